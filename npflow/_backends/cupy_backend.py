"""The CuPy backend: CUDA device memory.

CuPy is imported on first use only, so ``import npflow`` never imports it.
"""
_cupy = None


class BackendUnavailableError(RuntimeError):
    """CUDA was asked for, but CuPy or a GPU is missing."""


def load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise BackendUnavailableError(
                "device 'cuda' needs CuPy, which is not installed "
                "(install it with: pip install 'npflow[cuda]')") from e
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CUDA driver missing or broken
            raise BackendUnavailableError(
                f"device 'cuda': CuPy {cupy.__version__} is installed but no CUDA GPU "
                f"can be used ({e})") from e
        if count == 0:
            raise BackendUnavailableError(
                f"device 'cuda': CuPy {cupy.__version__} is installed but no CUDA GPU was found")
        _cupy = cupy
    return _cupy


def gpu_count():
    return load_cupy().cuda.runtime.getDeviceCount()


class CupyBackend:
    name = "cupy"

    def __init__(self):
        self.xp = load_cupy()
        self.array_type = self.xp.ndarray

    def asarray(self, obj, dtype=None, copy=None, device=None):
        with self.context(device):
            if copy is False:
                return self.xp.asarray(obj, dtype=dtype)
            if copy:
                return self.xp.array(obj, dtype=dtype, copy=True)
            return self.xp.asarray(obj, dtype=dtype)

    def normalize(self, r):
        if isinstance(r, self.array_type):
            return r
        return self.xp.asarray(r)

    def is_array(self, obj):
        return isinstance(obj, self.array_type)

    def to_host(self, arr, copy=None):
        return self.xp.asnumpy(arr)

    def from_host(self, host, device, copy=None):
        with self.context(device):
            return self.xp.asarray(host)

    def context(self, device):
        return self.xp.cuda.Device(device.index)


_BACKEND = None


def backend():
    global _BACKEND
    if _BACKEND is None:
        _BACKEND = CupyBackend()
    return _BACKEND
