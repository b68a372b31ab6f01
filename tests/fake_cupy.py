"""A CuPy-like module made of NumPy, for testing the CUDA backend without a GPU.

Its functions keep CuPy's signatures and departures from NumPy where the CuPy
backend corrects them (read from CuPy's sources: cupy/_sorting, cupy/_indexing,
cupy/_core/_kernel.pyx, cupy/_core/_routines_*.pyx, cupy/_math, cupy/linalg):
a test that passes with it shows a correction works, not that CuPy is right.
``runtime.getDeviceCount()`` is 1 (``FAKE_CUPY_GPUS`` changes it), so npflow's
"cuda:0" can run on it end to end. Import it as ``cupy`` (tests/test_gpu.py
puts it on a subprocess's path) or load it by name.
"""
import builtins
import os

import numpy

globals().update({k: getattr(numpy, k) for k in dir(numpy) if not k.startswith("_")})
__version__ = "0.0-fake"
ndarray = numpy.ndarray
random, linalg, fft = numpy.random, numpy.linalg, numpy.fft
for _name in ("matvec", "vecmat", "vecdot", "spacing", "isnat"):  # not in CuPy
    globals().pop(_name, None)


class runtime:
    @staticmethod
    def getDeviceCount():
        return int(os.environ.get("FAKE_CUPY_GPUS", "1"))

    @staticmethod
    def getDeviceProperties(index):
        return {"name": b"fake GPU (NumPy)"}

    @staticmethod
    def runtimeGetVersion():
        return 0

    driverGetVersion = runtimeGetVersion


class Device:
    def __init__(self, index=0):
        self.id = index

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


class cuda:
    runtime = runtime
    Device = Device


def asnumpy(a):
    return numpy.array(a, copy=True)


class ufunc:
    """CuPy's ufunc: no where= (only a private _where), reduce/accumulate for add and multiply
    only, reduceat for add only (cupy/_core/_kernel.pyx)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def __call__(self, *args, **kw):
        bad = set(kw) - {"out", "dtype", "casting"}
        if bad:
            raise TypeError(f"Wrong arguments {bad}")
        return self._uf(*args, **kw)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`{self.__name__}.reduce` is not supported yet")
        return self._uf.reduce(array, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`{self.__name__}.accumulate` is not supported yet")
        return self._uf.accumulate(array, axis=axis, dtype=dtype, out=out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        if self.__name__ != "add":
            raise NotImplementedError(f"`{self.__name__}.reduceat` is not supported yet")
        return self._uf.reduceat(array, indices, axis=axis, dtype=dtype, out=out)

    def at(self, a, indices, b=None):
        self._uf.at(a, indices, *(() if b is None else (b,)))


globals().update({k: ufunc(v) for k, v in vars(numpy).items()
                  if isinstance(v, numpy.ufunc) and k in globals()})


def _arr(a):
    a.ndim  # CuPy's non-ufunc functions call array methods: Python scalars fail here
    return a


def sort(a, axis=-1, kind=None):
    if kind is not None and kind != "stable":
        raise ValueError("kind can only be None or 'stable'")
    return numpy.sort(a, axis=axis, kind="stable")


def argsort(a, axis=-1, kind=None):
    if kind is not None and kind != "stable":
        raise ValueError("kind can only be None or 'stable'")
    return numpy.argsort(a, axis=axis, kind="stable")


def partition(a, kth, axis=-1):
    return numpy.partition(a, kth, axis=axis)


def argpartition(a, kth, axis=-1):
    return numpy.argpartition(a, kth, axis=axis)


def take(a, indices, axis=None, out=None):
    return numpy.take(a, numpy.asarray(indices).astype(int), axis=axis, out=out, mode="wrap")


def take_along_axis(a, indices, axis):
    n = a.size if axis is None else a.shape[axis]
    return numpy.take_along_axis(a, numpy.asarray(indices) % builtins.max(n, 1), axis)  # wraps


def put(a, ind, v, mode="wrap"):
    ind = numpy.asarray(ind).ravel()
    if mode == "raise":  # CuPy writes the valid entries, then raises
        ok = (ind >= -a.size) & (ind < a.size)
        numpy.put(a, ind[ok], numpy.resize(v, ind.shape)[ok])
        if not ok.all():
            raise IndexError("invalid entry in indices array")
        return
    numpy.put(a, ind, v, mode=mode)


def lexsort(keys):
    if keys.ndim == 0:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if keys.ndim > 2:
        raise NotImplementedError("Keys with the rank of three or more is not supported in lexsort")
    return numpy.lexsort(keys)


def _reduction(name, params):
    f = getattr(numpy, name)

    def r(a, axis=None, *args, **kw):
        given = dict(zip(params, args), **kw)
        bad = set(given) - set(params)
        if bad:
            raise TypeError(f"{name}() got an unexpected keyword argument {sorted(bad)[0]!r}")
        return f(a, axis=axis, **given)
    r.__name__ = name
    return r


for _name in ("sum", "prod", "nansum", "nanprod", "mean", "nanmean"):
    globals()[_name] = _reduction(_name, ("dtype", "out", "keepdims"))
for _name in ("var", "std", "nanvar", "nanstd"):
    globals()[_name] = _reduction(_name, ("dtype", "out", "ddof", "keepdims"))
for _name in ("max", "min", "amax", "amin", "nanmax", "nanmin", "all", "any"):
    globals()[_name] = _reduction(_name, ("out", "keepdims"))


def where(condition, x=None, y=None):
    if x is None and y is None:
        return numpy.nonzero(condition)
    return numpy.where(condition.astype("?", copy=False), x, y)


def clip(a, a_min, a_max, out=None):
    return a.clip(a_min, a_max, out=out)


def dot(a, b, out=None):
    return a.dot(b, out)


for _name in ("vdot", "inner", "outer", "kron", "tensordot", "cross"):
    globals()[_name] = (lambda f: lambda a, b, *args, **kw: f(_arr(a), _arr(b), *args, **kw))(
        getattr(numpy, _name))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True):
    return numpy.unique(ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan)


def count_nonzero(a, axis=None):
    return numpy.count_nonzero(a, axis=axis)
