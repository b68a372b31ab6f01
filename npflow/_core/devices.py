"""Devices: where an array's data lives, and which backend computes on it.

Devices are interned: ``Device("cpu") is Device("cpu")``, so dispatch compares
them with ``is``. Three kinds exist:

- ``cpu``: host memory, the NumPy backend. Always there.
- ``sim``: a simulated second device, NumPy-backed but with its own identity,
  so that placement, transfers and mixed-device errors are tested on machines
  without a GPU (as array-api-strict's test devices are). It is not listed by
  ``npflow.devices()``, but ``Device("sim")`` always works.
- ``cuda:N``: GPU N through CuPy, imported on first use ("cuda" and "gpu" are
  aliases of "cuda:0").
- ``dask``: chunked arrays through Dask (``dask.array``), lazy, in this process or on a
  ``dask.distributed`` cluster; Dask is imported on first use. Not listed by
  ``npflow.devices()`` (it is not a piece of hardware).
"""
import contextlib
import contextvars
import os
import threading

from .._backends import cupy_backend, dask_backend
from .._backends.numpy_backend import BACKEND as _NUMPY_BACKEND
from . import registry as _registry

_REGISTRY = {}
_LOCK = threading.Lock()


class Device:
    """A device, e.g. ``Device("cpu")``, ``Device("cuda:0")``, ``Device("sim")``."""

    __slots__ = {"kind": "'cpu', 'sim', 'cuda' or 'dask'.", "index": "The GPU's number (0 for 'cpu' and 'sim').",
                 "_backend": None, "__weakref__": None}

    def __new__(cls, spec="cpu"):
        if type(spec) is Device:
            return spec
        found = _REGISTRY.get(spec) if type(spec) is str else None
        if found is not None:
            return found
        kind, index = _parse(spec)
        key = f"{kind}:{index}" if kind == "cuda" else kind
        with _LOCK:
            dev = _REGISTRY.get(key)
            if dev is None:
                if kind == "cuda":
                    _check_gpu(index)
                elif kind == "dask":
                    dask_backend.load_dask()  # raises BackendUnavailableError without Dask
                dev = object.__new__(cls)
                dev.kind = kind
                dev.index = index
                dev._backend = _NUMPY_BACKEND if kind in ("cpu", "sim") else None
                _REGISTRY[key] = dev
                if kind != "cpu":
                    global several
                    several = True
            _REGISTRY[spec] = dev
        return dev

    @property
    def backend(self):
        """The backend that computes on this device (CuPy's and Dask's are made on first use)."""
        b = self._backend
        if b is None:
            if self.kind == "dask":
                b = dask_backend.backend(_registry.REGISTRY, _registry.kernel_paths())
            else:
                b = cupy_backend.backend(_registry.kernel_paths())
            self._backend = b
        return b

    @property
    def name(self):
        """``'cpu'``, ``'sim'`` or ``'cuda:N'``."""
        return f"cuda:{self.index}" if self.kind == "cuda" else self.kind

    def __repr__(self):
        return f"Device({self.name!r})"

    def __str__(self):
        return self.name

    def __reduce__(self):
        return (Device, (self.name,))

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, RuntimeError):
                return False
        return self is other

    def __hash__(self):
        return hash(self.name)


def _parse(spec):
    if not isinstance(spec, str):
        raise TypeError(f"device must be a str or npflow.Device, got {type(spec).__name__}: {spec!r}")
    s = spec.strip().lower()
    if s in ("cpu", "sim", "dask"):
        return s, 0
    name, colon, idx = s.partition(":")
    if name in ("cuda", "gpu"):
        if not colon:
            return "cuda", 0
        if idx.isdigit():
            return "cuda", int(idx)
    raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda', 'cuda:N', 'gpu', 'sim' or 'dask'")


def _check_gpu(index):
    count = cupy_backend.gpu_count()  # raises BackendUnavailableError, naming what is missing
    if index >= count:
        raise cupy_backend.BackendUnavailableError(
            f"device 'cuda:{index}' does not exist: {count} CUDA GPU(s) found")


# Whether a device besides the CPU has been used: until then no conversion needs to look for
# the device of npflow arrays nested in lists (they are all on the CPU).
several = False
CPU = Device("cpu")


def devices():
    """The devices available here: the CPU, then every CUDA GPU CuPy can see."""
    out = [CPU]
    try:
        out += [Device(f"cuda:{i}") for i in range(cupy_backend.gpu_count())]
    except cupy_backend.BackendUnavailableError:
        pass
    return out


def _initial_default():
    """``NPFLOW_DEVICE`` (e.g. ``cuda``), read when the default device is first needed. Where it
    names a device that cannot be used, the first array creation raises (BackendUnavailableError
    saying whether CuPy or a GPU is missing): a script meant for the GPU never runs on the CPU
    unnoticed. ``import npflow`` itself always works."""
    spec = os.environ.get("NPFLOW_DEVICE")
    if not spec:
        return CPU
    try:
        return Device(spec)
    except (ValueError, TypeError) as e:
        raise ValueError(f"NPFLOW_DEVICE={spec!r}: {e}") from None
    except cupy_backend.BackendUnavailableError as e:
        raise cupy_backend.BackendUnavailableError(f"NPFLOW_DEVICE={spec!r}: {e}") from None


_default = contextvars.ContextVar("npflow_default_device", default=None)
_env_default = None


def get_default_device():
    """The device creation functions use when none is given."""
    d = _default.get()
    if d is None:
        global _env_default
        if _env_default is None:
            _env_default = _initial_default()
        d = _env_default
    return d


@contextlib.contextmanager
def default_device(device):
    """``with npflow.default_device("cuda"):`` creates arrays there by default."""
    token = _default.set(Device(device))
    try:
        yield get_default_device()
    finally:
        _default.reset(token)


def as_device(device):
    """``None`` means the default device; anything else is parsed."""
    if device is None:
        return get_default_device()
    if type(device) is Device:
        return device
    return Device(device)
