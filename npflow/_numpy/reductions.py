"""Reductions: ``sum``, ``mean``, ``std``, ``min``, ``argmax``, ``cumsum``, ``median``, nan-variants, ...

Every function has NumPy 2's signature. Primitives (one kernel call each, see
``npflow._ops.reductions``) come from a table of signature families;
``ptp`` and ``average`` are composites. Full reductions give 0-d arrays where
NumPy gives scalars.
"""
import functools

import numpy as _np
from numpy.lib.array_utils import normalize_axis_tuple as _axis_tuple

from .._core import dispatch as _dispatch
from .._core.dispatch import apply, ndarray_type
from .._core.registry import REGISTRY
from .._ops import reductions as _ops
from .creation import asarray
from .manipulation import broadcast_to, transpose
from .math import composite
from .ufuncs import multiply, subtract

_NoValue = _np._NoValue


def _reduce(op, a, **params):
    """``apply`` with the parameters NumPy treats as absent left out (kernels see only real ones)."""
    for k in [k for k, v in params.items() if v is _NoValue or (k == "where" and v is True)]:
        del params[k]
    return apply(op, a, **params)


# -- signature families: each builds the public function for one op -----------
def _sum_like(op):
    def f(a, axis=None, dtype=None, out=None, keepdims=_NoValue, initial=_NoValue, where=_NoValue):
        if keepdims is _NoValue and initial is _NoValue and where is _NoValue:  # (the common call)
            return apply(op, a, axis=axis, dtype=dtype, out=out)
        return _reduce(op, a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       initial=initial, where=where)
    return f


def _mean_like(op):
    def f(a, axis=None, dtype=None, out=None, keepdims=_NoValue, *, where=_NoValue):
        if keepdims is _NoValue and where is _NoValue:  # (the common call)
            return apply(op, a, axis=axis, dtype=dtype, out=out)
        return _reduce(op, a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)
    return f


def _var_like(op):
    def f(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NoValue, *, where=_NoValue,
          mean=_NoValue, correction=_NoValue):
        return _reduce(op, a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                       where=where, mean=mean, correction=correction)
    return f


def _extremum(op):
    def f(a, axis=None, out=None, keepdims=_NoValue, initial=_NoValue, where=_NoValue):
        return _reduce(op, a, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)
    return f


def _arg(op):
    def f(a, axis=None, out=None, *, keepdims=_NoValue):
        return _reduce(op, a, axis=axis, out=out, keepdims=keepdims)
    return f


def _logical(op):
    def f(a, axis=None, out=None, keepdims=_NoValue, *, where=_NoValue):
        return _reduce(op, a, axis=axis, out=out, keepdims=keepdims, where=where)
    return f


def _scan(op):
    def f(a, axis=None, dtype=None, out=None):
        return _reduce(op, a, axis=axis, dtype=dtype, out=out)
    return f


def _cumulative(op):
    def f(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        return _reduce(op, x, axis=axis, dtype=dtype, out=out, include_initial=include_initial)
    return f


def _watched(a):
    """Whether a live trace depends on ``a``'s memory (it tracks ``a``, or saved it or a view of it)."""
    data = a._data if isinstance(a, ndarray_type()) else a if isinstance(a, _np.ndarray) else None
    return data is not None and bool(_dispatch.versions) and id(_dispatch.root_of(data)) in _dispatch.versions


def _median_like(op, keepdims_default):
    def f(a, axis=None, out=None, overwrite_input=False, keepdims=keepdims_default):
        # overwrite_input=True lets NumPy partition ``a`` in place (its contents are then
        # undefined): not over memory a gradient depends on, which is kept intact instead.
        overwrite_input = overwrite_input and not _watched(a)
        return _reduce(op, a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    return f


def _count(op):
    def f(a, axis=None, *, keepdims=False):
        return _reduce(op, a, axis=axis, keepdims=keepdims)
    return f


# signature family -> the public functions it builds (amin, amax: aliases of min, max)
FAMILIES = {
    _sum_like: ("sum", "prod", "nansum", "nanprod"),
    _mean_like: ("mean", "nanmean"),
    _var_like: ("var", "std", "nanvar", "nanstd"),
    _extremum: ("min", "max", "nanmin", "nanmax"),
    _arg: ("argmin", "argmax", "nanargmin", "nanargmax"),
    _logical: ("all", "any"),
    _scan: ("cumsum", "cumprod", "nancumsum", "nancumprod"),
    _cumulative: ("cumulative_sum", "cumulative_prod"),
    functools.partial(_median_like, keepdims_default=False): ("median",),
    functools.partial(_median_like, keepdims_default=_NoValue): ("nanmedian",),
    _count: ("count_nonzero",),
}
TABLE = {name: (family, name) for family, names in FAMILIES.items() for name in names}
TABLE.update(amin=(_extremum, "min"), amax=(_extremum, "max"))


# NumPy's nan-functions (their kernels) warn of all-NaN and empty slices naming their caller
_WARNING_KERNELS = {"nanmean", "nanmin", "nanmax", "nanvar", "nanstd", "nanmedian", "nanargmin", "nanargmax"}


def _public(name, family, opname):
    f = family(REGISTRY[opname])
    if name in _WARNING_KERNELS:
        f = _dispatch.reissuing_warnings(f)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = getattr(_np, name).__doc__
    return f


PRIMITIVES = {name: _public(name, family, opname) for name, (family, opname) in TABLE.items()
              if opname in dict(_ops.REDUCTIONS)}
globals().update(PRIMITIVES)


# -- composites (sum, mean, min, max, any below are the primitives built above) -------
@composite
def ptp(a, axis=None, out=None, keepdims=_NoValue):
    """Range of values (maximum - minimum) along an axis."""
    hi, lo = max(a, axis, out, keepdims), min(a, axis, None, keepdims)
    if lo.dtype == object and _dispatch.is_scalar(lo._data):  # NumPy subtracts the elements themselves: a
        hi, lo = asarray(hi.item(), device=lo.device), asarray(lo.item(), device=lo.device)  # 3 is int64
    return subtract(hi, lo, out=out)


@composite
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    """Weighted average along the given axes (NumPy's steps, in npflow ops)."""
    nd = ndarray_type()
    a = a if isinstance(a, nd) else asarray(a)
    if axis is not None:
        axis = _axis_tuple(axis, a.ndim, argname="axis")
    kw = {} if keepdims is _NoValue else {"keepdims": keepdims}
    if weights is None:
        avg = mean(a, axis, **kw)
        scl = asarray(avg.dtype.type(a.size / avg.size), device=a.device)
    else:
        wgt = weights if isinstance(weights, nd) else asarray(weights, device=a.device)
        if a.shape != wgt.shape:
            if axis is None:
                raise TypeError("average(): Axis must be specified when shapes of a and weights differ.")
            if wgt.shape != tuple(a.shape[ax] for ax in axis):
                raise ValueError("average(): Shape of weights must be consistent with shape of a "
                                 "along specified axis.")
            order = sorted(range(len(axis)), key=axis.__getitem__)  # argsort(axis)
            wgt = transpose(wgt, order).reshape(
                tuple(s if ax in axis else 1 for ax, s in enumerate(a.shape)))
        extra = ("f8",) if a.dtype.kind in "biu" else ()
        result_dtype = _np.result_type(a.dtype, wgt.dtype, *extra)
        scl = sum(wgt, axis=axis, dtype=result_dtype, **kw)
        if any(scl == 0.0):
            raise ZeroDivisionError("average(): Weights sum to zero, can't be normalized")
        avg = sum(multiply(a, wgt, dtype=result_dtype), axis, **kw) / scl
    if not returned:
        return avg
    if scl.shape != avg.shape:
        scl = broadcast_to(scl, avg.shape).copy()
    return avg, scl


__all__ = sorted(PRIMITIVES) + ["average", "ptp"]
