"""The NumPy backend: host memory. It serves the CPU and the simulated device."""
import numpy

_ndarray = numpy.ndarray
_intp = numpy.intp
_generic = numpy.generic


def _sum(backend):
    """numpy.sum: for an ndarray, NumPy's own wrapper calls add.reduce with the same
    arguments; this skips the wrapper (a gradient's reductions are mostly tiny)."""
    reduce, full = numpy.add.reduce, numpy.sum

    def sum(a, axis=None, dtype=None, out=None, **kw):
        if type(a) is _ndarray:
            return reduce(a, axis, dtype, out, **kw)
        return full(a, axis, dtype, out, **kw)
    return sum


_MEAN_FAST = frozenset("fc")  # (NumPy's mean computes float16 in float32 and ints in float64)


def _mean(backend):
    """numpy.mean, whose common case (an ndarray of floats, every axis, no dtype, out or where)
    is NumPy's own steps: add.reduce, then the sum divided by the count, in the sum's type."""
    reduce, full = numpy.add.reduce, numpy.mean

    def mean(a, axis=None, dtype=None, out=None, **kw):
        if (type(a) is _ndarray and axis is None and dtype is None and out is None and not kw
                and a.dtype.kind in _MEAN_FAST and a.dtype.itemsize > 2 and a.size):
            r = reduce(a, None)
            return r.dtype.type(r / _intp(a.size))   # (an intp count, as NumPy's: float32 and
                                                     # complex64 sums divide in double precision)
        return full(a, axis, dtype, out, **kw)
    return mean


_VIEWABLE = frozenset("biufc")  # dtypes an ndarray can view through the buffer protocol


def _broadcast_to(backend):
    """numpy.broadcast_to; a 0-d array (a reduction's cotangent, spread back over its input)
    becomes the same read-only zero-stride view without numpy's Python-level iterator."""
    full, view = numpy.broadcast_to, numpy.ndarray

    def broadcast_to(array, shape, subok=False):
        if type(array) is _ndarray and array.ndim == 0 and type(shape) is tuple and \
                array.dtype.kind in _VIEWABLE and all(type(n) is int and n >= 0 for n in shape):
            r = view(shape, array.dtype, buffer=array, strides=(0,) * len(shape))
            r.flags.writeable = False
            return r
        return full(array, shape, subok=subok)
    return broadcast_to


class NumpyBackend:
    name = "numpy"
    xp = numpy
    array_type = numpy.ndarray
    kernels = {"sum": _sum, "mean": _mean, "broadcast_to": _broadcast_to}  # (see Op.kernel)

    def asarray(self, obj, dtype=None, copy=None, device=None):
        return numpy.asarray(obj, dtype=dtype, copy=copy)

    def normalize(self, r):
        """A kernel result as a backend array: NumPy scalars become 0-d arrays."""
        if isinstance(r, _generic):
            return numpy.asarray(r)
        return r

    def is_array(self, obj):
        return type(obj) is _ndarray

    def to_host(self, arr, copy=None):
        return numpy.asarray(arr, copy=copy)

    def from_host(self, host, device, copy=None):
        return numpy.asarray(host, copy=copy)

    def context(self, device):
        return _NULL


class _NullContext:
    __slots__ = ()

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _NullContext()
BACKEND = NumpyBackend()
