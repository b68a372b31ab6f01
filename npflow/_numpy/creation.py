"""Array creation: ``array``, ``asarray``, ``zeros``, ``arange``, ``linspace``, ``eye``, ...

Every function takes ``device=``. Functions of no array create on that device
(the default device when omitted); functions of arrays (``tril``, ``diag``,
``meshgrid``, the ``*_like`` family) create on their operand's device unless
``device=`` is given.
"""
import operator

import numpy as _np

from .._core import devices as _devices, dispatch as _dispatch
from .._core.dispatch import apply, ndarray_type
from .._core.public import npflow as _np_public
from .._core.dtypes import result_type
from .._core.registry import REGISTRY
from .._ops import creation as _creation_ops  # noqa: F401  (registers the creation primitives)
from .ufuncs import log10, logical_or, power, sign

__all__ = ["astype", "array", "asarray", "asanyarray", "ascontiguousarray", "copy",
           "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
           "arange", "linspace", "logspace", "geomspace", "eye", "identity", "meshgrid",
           "tri", "tril", "triu", "diag", "diagflat", "fromfunction"]

_AxisError = _np.exceptions.AxisError


# -- helpers (metadata only) ---------------------------------------------------
def _shape(shape):
    """A shape argument as a tuple of ints (TypeError for anything else, as NumPy)."""
    try:
        return (operator.index(shape),)
    except TypeError:
        return tuple(map(operator.index, shape))


def _order(order):
    if order is None:
        return "K"
    if not (isinstance(order, str) and order.upper() in ("C", "F", "A", "K")):
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    return order.upper()


def _device(device, *xs):
    """``device``, else the device of the first npflow array in ``xs`` (None: the default)."""
    if device is not None:
        return device
    return next((x.device for x in xs if isinstance(x, ndarray_type())), None)


def _on(x, device):
    return x if device is None else asarray(x, device=device)


def _expand(x, axis):
    """``x`` with a new axis of length 1 at ``axis`` (NumPy's expand_dims for one axis)."""
    n = x.ndim + 1
    if not -n <= axis < n:
        raise _AxisError(axis, n)
    return x[(slice(None),) * (axis % n) + (None,)]


def _from_npflow(name, a, dtype, order, copy, device, ndmin=0):
    """An npflow array converted as NumPy converts an array: copied only when asked or needed."""
    x = a if device is None else a.to_device(device)
    moved = x is not a
    order = _order(order)
    need = ((dtype is not None and _np.dtype(dtype) != x.dtype)
            or (order == "C" and not x.flags.c_contiguous)
            or (order == "F" and not x.flags.f_contiguous))
    if copy is False and (need or moved):
        why = f"moving it from {a.device} to {x.device}" if moved else \
            f"converting {x.dtype}[{', '.join(map(str, x.shape))}] to dtype={dtype}, order={order!r}"
        raise ValueError(f"{name}(): {why} needs a copy, but copy=False was given")
    if need or (copy and not moved):
        # (not the method: ``s.astype`` of a scalar result is a scalar, ``array(s)`` an array)
        x = apply(REGISTRY["astype"], x, dtype=x.dtype if dtype is None else dtype, order=order,
                  casting="unsafe", copy=not moved)
    if x.ndim < ndmin:
        x = x[(None,) * (ndmin - x.ndim)]
    return x


# -- from existing data --------------------------------------------------------
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=0, like=None,
          device=None):
    if ndmax and ndmin > ndmax:
        raise ValueError(f"array(): ndmin must be <= ndmax ({ndmax})")
    if isinstance(object, ndarray_type()):
        return _from_npflow("array", object, dtype, order, copy, device, ndmin)
    if device is None and _devices.several and type(object) in (list, tuple):
        device = _nested_device(object, "array")
    if _dispatch.tracing and _holds_npflow(object):
        return _from_npflow("array", from_nested(object, device), dtype, order, None, None, ndmin)
    extra = {"ndmax": ndmax} if ndmax else {}
    return apply(REGISTRY["array"], object, dtype=dtype, copy=copy, order=order, ndmin=ndmin,
                 device=device, **extra)


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    nd = ndarray_type()
    if isinstance(a, nd):
        if type(a) is not nd:  # a subclass (npflow.Variable): a plain array on its memory, as NumPy
            a = apply(REGISTRY["alias"], a)
        return _from_npflow("asarray", a, dtype, order, copy, device)
    if device is None and _devices.several and type(a) in (list, tuple):
        device = _nested_device(a, "asarray")
    if _dispatch.tracing and _holds_npflow(a):
        return _from_npflow("asarray", from_nested(a, device), dtype, order, None, None)
    return apply(REGISTRY["asarray"], a, dtype=dtype, order=order, copy=copy, device=device)


def _nested_device(obj, name):
    """The device of the npflow arrays nested in the list or tuple ``obj`` (None if there are
    none): the rest of it is uncommitted and follows them (DESIGN invariant 10)."""
    found = set()
    nd = ndarray_type()

    def walk(o):
        for e in o:
            if isinstance(e, nd):
                found.add(e.device)
            elif type(e) is list or type(e) is tuple:
                walk(e)
    walk(obj)
    if len(found) > 1:
        raise _dispatch.DeviceMismatchError(
            f"{name}(): the sequence holds arrays on different devices "
            f"({', '.join(sorted(d.name for d in found))}); move them to one device first with x.to_device(...)")
    return found.pop() if found else None


def _holds_npflow(obj):
    nd = ndarray_type()
    if isinstance(obj, nd):
        return True
    return type(obj) in (list, tuple) and any(_holds_npflow(e) for e in obj)


def from_nested(obj, device=None):
    """A list (of lists) holding npflow arrays, built with ``stack`` so that gradients
    flow through it (used while a trace is active; NumPy's conversion would drop them)."""
    if isinstance(obj, ndarray_type()):
        return obj if device is None else obj.to_device(device)
    if type(obj) in (list, tuple) and _holds_npflow(obj):
        import npflow
        parts = [from_nested(e, device) for e in obj]
        dev = next((p.device for p in parts if isinstance(p, ndarray_type())), device)
        return npflow.stack([p if isinstance(p, ndarray_type()) else asarray(p, device=dev) for p in parts])
    return asarray(obj, device=device)


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    if isinstance(a, ndarray_type()):  # subclasses pass through, as NumPy's
        return _from_npflow("asanyarray", a, dtype, order, copy, device)
    return asarray(a, dtype=dtype, order=order, device=device, copy=copy)


def ascontiguousarray(a, dtype=None, *, like=None, device=None):
    return array(a, dtype, copy=None, order="C", ndmin=1, device=device)


def copy(a, order="K", subok=False, *, device=None):
    return array(a, order=order, copy=True, device=device)


# -- from a shape --------------------------------------------------------------
def zeros(shape, dtype=None, order="C", *, device=None, like=None):
    return apply(REGISTRY["zeros"], shape=_shape(shape), dtype=dtype, order=order, device=device)


def ones(shape, dtype=None, order="C", *, device=None, like=None):
    return apply(REGISTRY["ones"], shape=_shape(shape), dtype=dtype, order=order, device=device)


def empty(shape, dtype=None, order="C", *, device=None, like=None):
    return apply(REGISTRY["empty"], shape=_shape(shape), dtype=dtype, order=order, device=device)


def _traced(*xs):
    """Whether an active autodiff trace tracks one of ``xs``: a value argument the creation ops
    take as a static parameter is then computed in differentiable npflow calls instead (the same
    values)."""
    return _dispatch.tracing and any(isinstance(x, ndarray_type()) and _dispatch.tracked_by_active(x)
                                     for x in xs)


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    shape = _shape(shape)
    if _traced(fill_value):  # fill_value broadcast and copied: its gradient is the sum (both modes)
        np = _np_public
        v = fill_value if device is None else fill_value.to_device(device)
        v = v if dtype is None else v.astype(dtype)  # (NumPy's copyto: unsafe casting)
        return np.copy(np.broadcast_to(v, shape), order=order)
    return apply(REGISTRY["full"], shape=shape, fill_value=fill_value, dtype=dtype,
                 order=order, device=device)


_FILLS = {"zeros": (0,), "ones": (1,), "empty": (None,)}  # make -> the fill NumPy's *_like copies in


def _like(make, a, dtype, order, shape, device, *fill):
    """``make(shape, *fill, dtype, order, device)`` with the prototype's dtype, shape, layout, device
    (an npflow fill value's where the prototype is not npflow's: DESIGN invariant 10)."""
    nd = ndarray_type()
    if device is None and not isinstance(a, nd) and fill and isinstance(fill[0], nd):
        device = fill[0].device
    x = a if isinstance(a, nd) else asarray(a, device=device)
    shape = x.shape if shape is None else _shape(shape)
    dtype = x.dtype if dtype is None else dtype
    order = _order(order)
    if order == "A" or (order == "K" and len(shape) == x.ndim):
        flags = x._data.flags
        if order == "K" and not (flags.c_contiguous or flags.f_contiguous) \
                and (device is None or _dispatch._devices.as_device(device) is x.device):
            # the prototype's own axis order (its strides, sorted), as NumPy's order="K"
            if fill and _traced(fill[0]):  # (then the traced value written in: differentiable)
                r = apply(REGISTRY["like"], x, fill=0, dtype=dtype, shape=shape)
                r[...] = fill[0]
                return r
            return apply(REGISTRY["like"], x, fill=(fill or _FILLS[make.__name__])[0], dtype=dtype, shape=shape)
        order = "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    elif order == "K":
        order = "C"
    return make(shape, *fill, dtype=dtype, order=order, device=x.device if device is None else device)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(zeros, a, dtype, order, shape, device)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(ones, a, dtype, order, shape, device)


def empty_like(prototype, /, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(empty, prototype, dtype, order, shape, device)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(full, a, dtype, order, shape, device, fill_value)


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    return apply(REGISTRY["eye"], N=N, M=M, k=k, dtype=dtype, order=order, device=device)


def identity(n, dtype=None, *, like=None, device=None):
    return eye(n, dtype=dtype, device=device)


def tri(N, M=None, k=0, dtype=float, *, like=None, device=None):
    return apply(REGISTRY["tri"], N=N, M=M, k=k, dtype=dtype, device=device)


def fromfunction(function, shape, *, dtype=float, like=None, device=None, **kwargs):
    """``function(*indices)``, where the i-th index array holds each element's i-th index."""
    shape = tuple(shape)
    n = len(shape)
    grids = [full(shape, arange(s, dtype=dtype, device=device)[(slice(None),) + (None,) * (n - 1 - i)],
                  dtype=dtype, device=device) for i, s in enumerate(shape)]
    return function(*grids, **kwargs)


# -- ranges --------------------------------------------------------------------
def arange(start_or_stop, /, stop=None, step=1, *, dtype=None, device=None, like=None):
    return apply(REGISTRY["arange"], start=start_or_stop, stop=stop, step=step, dtype=dtype,
                 device=device)


def _linspace_traced(start, stop, num, endpoint, retstep, dtype, axis, device):
    """NumPy's linspace in npflow calls (its steps, so its values), differentiable in start and stop."""
    np = _np_public
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    device = _device(device, start, stop)
    dt = result_type(start, stop, float(num))  # (Python scalars weak, as NumPy's)
    start, stop = asarray(start, device=device), asarray(stop, device=device)
    div = (num - 1) if endpoint else num
    delta = np.subtract(stop, start, dtype=dt)
    y = np.reshape(arange(0, num, dtype=dt, device=device), (-1,) + (1,) * delta.ndim)
    step = delta / div if div > 0 else None
    if step is not None and bool(np.any(step == 0)):
        y = y / div * delta
    elif step is not None:
        y = y * step
    else:
        step = _np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        y = np.concatenate([y[:-1], np.broadcast_to(stop, y[-1:].shape).astype(dt)])
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    if dtype is not None and _np.issubdtype(dtype, _np.integer):
        y = np.floor(y)
    y = y if dtype is None else y.astype(dtype, copy=False)
    return (y, step) if retstep else y


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    if _traced(start, stop):
        return _linspace_traced(start, stop, operator.index(num), endpoint, retstep, dtype, axis, device)
    r = apply(REGISTRY["linspace"], start=start, stop=stop, num=num, endpoint=endpoint,
              retstep=retstep, dtype=dtype, axis=axis, device=device)
    if retstep and (num - 1 if endpoint else num) <= 0:
        return r[0], _np.nan  # NumPy's step of an empty or one-sample sequence: a Python nan
    return r


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, *, device=None):
    if not isinstance(base, (int, float, complex)):
        device = _device(device, start, stop, base)
        base = asarray(base, device=device)
        if base.ndim:  # an array base broadcasts with start and stop before the axis is placed
            start, stop = asarray(start, device=device), asarray(stop, device=device)
            nd = len(_np.broadcast_shapes(start.shape, stop.shape, base.shape))
            start, stop, base = (array(x, copy=None, ndmin=nd) for x in (start, stop, base))
            base = _expand(base, axis)
    e = linspace(start, stop, num=num, endpoint=endpoint, axis=axis, device=device)
    if isinstance(base, (int, float, complex)) and _traced(e):  # (power's rule needs its base on
        base = asarray(base, dtype=result_type(base, e), device=e.device)  # e's device, as e's dtype)
    y = power(base, e)
    return y if dtype is None else y.astype(dtype, copy=False)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0, *, device=None):
    device = _device(device, start, stop)
    start, stop = asarray(start, device=device), asarray(stop, device=device)
    if logical_or.reduce(start == 0, axis=None) or logical_or.reduce(stop == 0, axis=None):
        raise ValueError("geomspace(): Geometric sequence cannot include zero")
    dt = result_type(start, stop, float(num), _np.dtype(dtype))
    start, stop = start.astype(dt), stop.astype(dt)
    # Rotate start onto the positive real axis, space the magnitudes, rotate back.
    out_sign = sign(start)
    start, stop = start / out_sign, stop / out_sign
    result = logspace(log10(start), log10(stop), num=num, endpoint=endpoint, dtype=dt, axis=axis)
    ax = (slice(None),) * (axis % result.ndim)
    if _traced(result):  # (power saved its result for the gradient: the ends written into a copy)
        result = result.copy()
    if num > 0:  # the ends exactly as given (exp(log(x)) need not be x)
        result[ax + (0,)] = start
        if num > 1 and endpoint:
            result[ax + (-1,)] = stop
    result = result * array(out_sign, copy=None, ndmin=result.ndim - 1)[ax + (None,)]
    return result.astype(dt if dtype is None else dtype, copy=False)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy", device=None):
    return apply(REGISTRY["meshgrid"], *(_on(x, device) for x in xi), copy=copy, sparse=sparse,
                 indexing=indexing)


# -- triangles and diagonals ---------------------------------------------------
def tril(m, k=0, *, device=None):
    return apply(REGISTRY["tril"], _on(m, device), k=k)


def triu(m, k=0, *, device=None):
    return apply(REGISTRY["triu"], _on(m, device), k=k)


def diag(v, k=0, *, device=None):
    return apply(REGISTRY["diag"], _on(v, device), k=k)


def diagflat(v, k=0, *, device=None):
    return apply(REGISTRY["diagflat"], _on(v, device), k=k)


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` as ``dtype`` (a copy unless ``copy=False`` and nothing changes), as NumPy's astype."""
    if not isinstance(x, ndarray_type()):
        raise TypeError(f"astype(): input should be an npflow.ndarray, got {type(x).__name__}")
    return x.astype(dtype, copy=copy, device=device)
