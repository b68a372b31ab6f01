"""Type and array utilities: dtype queries, layout and memory checks, business days,
``vectorize``/``frompyfunc``, and the submodules ``emath``, ``dtypes``, ``exceptions``.

Queries about dtypes and Python objects (``issubdtype``, ``typename``, ``isscalar``, the
type tables) are NumPy's own: npflow's dtypes are NumPy's. As in NumPy, ``isscalar`` is
False for 0-d arrays (npflow's 0-d results included). ``vectorize`` and ``frompyfunc``
call a Python function once per element on the host: they are not differentiable.
"""
import math as _math

import numpy as _np
from numpy import (  # noqa: F401  (re-exported: NumPy's dtypes are npflow's)
    ScalarType, False_, True_, sctypeDict, typecodes, little_endian, issubdtype, typename,
    isscalar, iterable, datetime_data, busdaycalendar, dtypes, exceptions)

from .. import emath  # noqa: F401  (npflow.emath)
from .._core.dispatch import apply, ndarray_type
from .._core.registry import REGISTRY
from .._ops import types as _ops  # noqa: F401  (registers the primitives)
from .creation import array, asanyarray, asarray
from .io import to_host, from_host, device_of, refuse_tracked as _refuse_tracked
from .manipulation import broadcast_arrays
from .math import all_, as_arrays
from .ufuncs import isfinite

__all__ = ["ScalarType", "False_", "True_", "sctypeDict", "typecodes", "little_endian",
           "issubdtype", "typename", "isscalar", "iterable", "datetime_data", "busdaycalendar",
           "dtypes", "exceptions", "emath", "common_type", "min_scalar_type", "mintypecode",
           "isfortran", "require", "asarray_chkfinite", "asfortranarray", "may_share_memory",
           "shares_memory", "datetime_as_string", "busday_count", "busday_offset", "is_busday",
           "vectorize", "frompyfunc", "info", "broadcast", "einsum_path"]

_NoValue = _np._NoValue
# common_type: precision rank of each inexact type (integers rank as float64), and back
_PRECISION = {_np.half: 0, _np.single: 1, _np.double: 2, _np.longdouble: 3,
              _np.csingle: 1, _np.cdouble: 2, _np.clongdouble: 3}
_BY_PRECISION = ((_np.half, _np.single, _np.double, _np.longdouble),
                 (None, _np.csingle, _np.cdouble, _np.clongdouble))
_FLAGS = {"C": "C", "C_CONTIGUOUS": "C", "CONTIGUOUS": "C", "F": "F", "F_CONTIGUOUS": "F",
          "FORTRAN": "F", "A": "A", "ALIGNED": "A", "W": "W", "WRITEABLE": "W", "O": "O",
          "OWNDATA": "O", "E": "E", "ENSUREARRAY": "E"}


# -- dtype queries -----------------------------------------------------------------------
def common_type(*arrays):
    """The inexact scalar type of the arrays' common precision (integers count as float64)."""
    precision, is_complex = 0, False
    for a in arrays:
        dt = a.dtype
        is_complex |= dt.kind == "c"
        p = 2 if dt.kind in "iu" else _PRECISION.get(dt.type)
        if p is None:
            raise TypeError("common_type(): can't get common type for non-numeric array")
        precision = max(precision, p)
    return _BY_PRECISION[is_complex][precision]


def min_scalar_type(a, /):
    """The smallest dtype holding the value of a scalar (or 0-d array); an array's own dtype."""
    if isinstance(a, ndarray_type()):
        return _np.min_scalar_type(to_host(a)) if a.ndim == 0 else a.dtype
    return _np.min_scalar_type(a)


def mintypecode(typechars, typeset="GDFgdf", default="d"):
    """The character of the smallest type in ``typeset`` that the types in ``typechars`` fit."""
    nd = ndarray_type()
    return _np.mintypecode([t.dtype.char if isinstance(t, nd) else t for t in typechars],
                           typeset, default)


# -- layout and memory -------------------------------------------------------------------
def isfortran(a):
    """Is ``a`` Fortran-contiguous and not C-contiguous?"""
    flags = a.flags
    return bool(flags.f_contiguous and not flags.c_contiguous)


def require(a, dtype=None, requirements=None, *, like=None, device=None):
    """``a`` as an array of ``dtype`` meeting the flag ``requirements`` ('C', 'F', 'A', 'W', 'O', 'E')."""
    if not requirements:
        return asanyarray(a, dtype=dtype, device=device)
    req = {_FLAGS[r.upper()] for r in requirements}
    if "E" in req:  # a plain npflow.ndarray, not a subclass (Variable)
        a, req = asarray(a, device=device), req - {"E"}
    if req >= {"C", "F"}:
        raise ValueError('require(): Cannot specify both "C" and "F" order')
    order = "F" if "F" in req else "C" if "C" in req else "A"
    arr = array(a, dtype=dtype, order=order, copy=None, device=device)
    if any(not arr.flags[p] for p in req - {"C", "F"}):
        return arr.copy(order)
    return arr


def asarray_chkfinite(a, dtype=None, order=None):
    """``asarray(a)``, raising ValueError if it holds infs or NaNs."""
    a = asarray(a, dtype=dtype, order=order)
    if a.dtype.char in typecodes["AllFloat"] and not all_(isfinite(a)):
        raise ValueError("asarray_chkfinite(): array must not contain infs or NaNs")
    return a


def asfortranarray(a, dtype=None, *, like=None, device=None):
    """``a`` (at least 1-d) laid out in Fortran order."""
    return array(a, dtype, copy=None, order="F", ndmin=1, device=device)


def _overlap(op, a, b, max_work):
    nd = ndarray_type()
    devs = {x.device.kind == "cpu" if isinstance(x, nd) else True for x in (a, b)}
    if (isinstance(a, nd) and isinstance(b, nd) and a.device is not b.device) or len(devs) > 1:
        return False  # memory on two devices (an array on a device, host data) never overlaps
    return apply(op, a, b, max_work=max_work)


def may_share_memory(a, b, /, max_work=0):
    """Might ``a`` and ``b`` share memory? (Bounds only, by default.)"""
    return _overlap(REGISTRY["may_share_memory"], a, b, max_work)


def shares_memory(a, b, /, max_work=-1):
    """Do ``a`` and ``b`` share memory? (Exact, by default.)"""
    return _overlap(REGISTRY["shares_memory"], a, b, max_work)


def einsum_path(*operands, optimize="greedy", einsum_call=False):
    """NumPy's contraction order for ``einsum`` and its cost report (from the operands' shapes
    and dtypes only: NumPy is given zero-memory stand-ins of the same shapes)."""
    nd = ndarray_type()
    shapes = [_np.broadcast_to(_np.zeros((), x.dtype), x.shape) if isinstance(x, nd) else x
              for x in operands]
    path = _np.einsum_path(*shapes, optimize=optimize, einsum_call=einsum_call)
    if einsum_call:  # (the operands, the contraction list): the operands themselves, not stand-ins
        given = {id(s): x for s, x in zip(shapes, operands)}
        path = ([given.get(id(o), o) for o in path[0]], path[1])
    return path


class broadcast:
    """NumPy's ``broadcast``: its arguments broadcast together (``shape``, ``size``, ...), and an
    iterator over tuples of their elements (0-d npflow arrays) in C order."""

    __module__ = "npflow"

    def __init__(self, *arrays):
        flat = [a for x in arrays for a in (x._arrays if isinstance(x, broadcast) else (x,))]
        if len(flat) > 64:
            raise ValueError(f"broadcast(): Need at most 64 array objects, got {len(flat)}")
        self._arrays = broadcast_arrays(*as_arrays(*flat)) if flat else ()
        self.index = 0

    shape = property(lambda self: self._arrays[0].shape if self._arrays else ())
    ndim = nd = property(lambda self: len(self.shape))
    size = property(lambda self: _math.prod(self.shape))
    numiter = property(lambda self: len(self._arrays))
    iters = property(lambda self: tuple(a.flat for a in self._arrays))

    def reset(self):
        self.index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.index >= self.size:
            raise StopIteration
        self.index += 1
        return tuple(a.flat[self.index - 1] for a in self._arrays)


# -- dates -------------------------------------------------------------------------------
def datetime_as_string(arr, unit=None, timezone="naive", casting="same_kind"):
    """datetime64 values as ISO 8601 strings."""
    return apply(REGISTRY["datetime_as_string"], arr, unit=unit, timezone=timezone, casting=casting)


def busday_count(begindates, enddates, weekmask="1111100", holidays=(), busdaycal=None, out=None):
    """The number of valid days in ``[begindates, enddates)``."""
    return apply(REGISTRY["busday_count"], begindates, enddates, weekmask=weekmask,
                 holidays=holidays, busdaycal=busdaycal, out=out)


def busday_offset(dates, offsets, roll="raise", weekmask="1111100", holidays=None, busdaycal=None,
                  out=None):
    """``dates`` rolled to valid days, then moved by ``offsets`` valid days."""
    return apply(REGISTRY["busday_offset"], dates, offsets, roll=roll, weekmask=weekmask,
                 holidays=holidays, busdaycal=busdaycal, out=out)


def is_busday(dates, weekmask="1111100", holidays=None, busdaycal=None, out=None):
    """Which of ``dates`` are valid days?"""
    return apply(REGISTRY["is_busday"], dates, weekmask=weekmask, holidays=holidays,
                 busdaycal=busdaycal, out=out)


# -- Python functions per element (host loops, not differentiable) -----------------------
class vectorize(_np.vectorize):
    """NumPy's ``vectorize``: ``pyfunc`` called once per element, on the host, with NumPy
    scalars; the results are npflow arrays on the inputs' device. Not differentiable."""

    __module__ = "npflow"

    def __call__(self, *args, **kwargs):
        if self.pyfunc is _NoValue:  # @vectorize(otypes=...) used as a decorator factory
            return super().__call__(*args, **kwargs)
        _refuse_tracked("vectorize", (*args, *kwargs.values()))
        keep = self.excluded
        dev = device_of(*args, *kwargs.values())
        args = [a if i in keep else to_host(a) for i, a in enumerate(args)]
        kwargs = {k: v if k in keep else to_host(v) for k, v in kwargs.items()}
        return from_host(super().__call__(*args, **kwargs), dev)


class _HostUfunc:
    """A ufunc of ``frompyfunc`` on npflow arrays: its methods run on the host, and their
    array results (object arrays) are npflow arrays on the inputs' device."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _host_call(self._ufunc, args, kwargs)

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        return (lambda *a, **k: _host_call(attr, a, k)) if callable(attr) else attr

    def __repr__(self):
        return f"<npflow host ufunc {self._ufunc.__name__!r}>"


def _host_call(fn, args, kwargs):
    _refuse_tracked("frompyfunc", (*args, *kwargs.values()))
    if "out" in kwargs:
        raise TypeError("frompyfunc(): out= is not supported (the ufunc runs on host copies)")
    dev = device_of(*args, *kwargs.values())
    return from_host(fn(*map(to_host, args), **{k: to_host(v) for k, v in kwargs.items()}), dev)


def frompyfunc(func, /, nin, nout, **kwargs):
    """A ufunc calling ``func`` once per element on the host (object arrays). Not differentiable."""
    return _HostUfunc(_np.frompyfunc(func, nin, nout, **kwargs))


def info(object=None, maxwidth=76, output=None, toplevel="numpy"):
    """NumPy's ``info`` (help on an object; for an npflow array, its host copy's layout)."""
    _np.info(to_host(object), maxwidth, output, toplevel)
