"""Array creation: ``array``, ``asarray``, ``zeros``, ``arange``, ``linspace``, ...

Every function takes ``device=`` (the default device when omitted).
"""
from .._core.dispatch import apply, ndarray_type
from .._core.registry import REGISTRY

__all__ = ["array", "asarray", "asanyarray", "ascontiguousarray"]


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    if isinstance(a, ndarray_type()):
        x = a if device is None else a.to_device(device)
        if dtype is None and not copy and order in (None, "K", "A"):
            return x
        if copy is False and dtype is not None and x.dtype != dtype:
            raise ValueError(f"asarray(): casting {x.dtype} to {dtype} needs a copy, "
                             f"but copy=False was given")
        return x.astype(x.dtype if dtype is None else dtype, order=order or "K",
                        copy=bool(copy) or x is a and copy is not False and False)
    return apply(REGISTRY["asarray"], a, dtype=dtype, order=order, copy=copy, device=device)


def array(object, dtype=None, *, copy=True, order="K", subok=True, ndmin=0, like=None, device=None):
    if isinstance(object, ndarray_type()):
        x = object if device is None else object.to_device(device)
        r = x.astype(x.dtype if dtype is None else dtype, order=order,
                     copy=bool(copy) and x is object)
        while r.ndim < ndmin:
            r = r[None]
        return r
    return apply(REGISTRY["array"], object, dtype=dtype, copy=copy, order=order, ndmin=ndmin,
                 device=device)


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return asarray(a, dtype=dtype, order=order, device=device, copy=copy)


def ascontiguousarray(a, dtype=None, *, like=None):
    x = asarray(a, dtype=dtype, order="C")
    return x if x.ndim else x.reshape(1)
