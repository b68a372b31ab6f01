"""Comparing whole arrays: ``isclose``, ``allclose``, ``array_equal``, ``array_equiv``.

Composites of npflow calls, written as NumPy writes them; the ``all*``/``array_*``
functions return Python bools, as NumPy's do.
"""
import warnings

import numpy as _np

from .._core.dispatch import warn_at_caller as _warn_at_caller
from .._core.dtypes import result_type
from .math import all_, as_arrays, composite
from .ufuncs import isfinite, isnan, less_equal

__all__ = ["isclose", "allclose", "array_equal", "array_equiv"]


@composite
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (infinities equal only to themselves)."""
    x, y, atol, rtol = as_arrays(a, b, atol, rtol, keep_scalars=True)
    # y inexact, so that abs(y) cannot overflow at the integer minimum
    if (dt := getattr(y, "dtype", None)) is not None and dt.kind != "m":
        y = y.astype(result_type(y, 1.0), copy=False)
    elif isinstance(y, int):
        y = float(y)
    if not (all_(isfinite(atol)) and all_(isfinite(rtol))):
        _invalid_tolerance(f"isclose(): one of rtol or atol is not valid, "
                           f"atol: {atol}, rtol: {rtol}")
    with _np.errstate(invalid="ignore"):
        result = less_equal(abs(x - y), atol + rtol * abs(y)) & isfinite(y) | (x == y)
        if equal_nan:
            result |= isnan(x) & isnan(y)
    return result[()]


def _invalid_tolerance(msg):
    """Report a non-finite tolerance as NumPy's ``invalid`` error state says."""
    mode = _np.geterr()["invalid"]
    if mode == "warn":
        _warn_at_caller(msg, RuntimeWarning)
    elif mode == "raise":
        raise FloatingPointError(msg)
    elif mode == "print":
        print(msg)


@composite
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Are all elements close (``isclose``)? A Python bool."""
    return bool(all_(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def array_equal(a1, a2, equal_nan=False):
    """Same shape and elements? A Python bool; with equal_nan, NaNs in the same places are equal."""
    try:
        a1, a2 = as_arrays(a1, a2)
    except Exception:
        return False
    if a1.shape != a2.shape:
        return False
    if not equal_nan or a1.dtype.kind in "biu" and a2.dtype.kind in "biu":
        return bool(all_(a1 == a2))
    if a1 is a2:
        return True
    nan1 = isnan(a1)
    if not all_(nan1 == isnan(a2)):
        return False
    return bool(all_(a1[~nan1] == a2[~nan1]))


def array_equiv(a1, a2):
    """Do the shapes broadcast together, with all elements equal? A Python bool."""
    try:
        a1, a2 = as_arrays(a1, a2)
        _np.broadcast_shapes(a1.shape, a2.shape)
    except Exception:
        return False
    return bool(all_(a1 == a2))
