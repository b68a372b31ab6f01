"""Elementwise functions that are not ufuncs: ``where``, ``clip``, ``round``, complex parts,
``nan_to_num``, ``sinc``, and the type tests ``iscomplex``/``isreal``/``isposinf``/...

``where``, ``clip``, ``round``, ``real``, ``imag`` and ``i0`` are primitives; the rest are
composites of npflow calls, as NumPy itself writes them.
"""

import inspect as _inspect

import numpy as _np

from .._core.dispatch import composite, apply, ndarray_type
from .._core.dtypes import finfo
from .._core.registry import REGISTRY
from .._ops import math as _ops  # noqa: F401  (registers the primitives)
from .creation import asarray, array
from .ufuncs import (arctan2, absolute, isinf, isnan, less, logical_and, signbit, sin,
                     trunc)

__all__ = ["where", "clip", "round", "around", "real", "imag", "angle", "sinc", "nan_to_num",
           "real_if_close", "fix", "i0", "iscomplex", "isreal", "iscomplexobj", "isrealobj",
           "isneginf", "isposinf"]

_NoValue = _np._NoValue
_PY_SCALARS = (int, float, complex)  # isinstance: as NumPy's tests (bool, numpy.float64 too)
_PY_EXACT = frozenset((int, float, complex, bool))  # Python's own scalars only
_WHERE, _CLIP, _ROUND, _REAL, _IMAG, _I0 = (REGISTRY[n] for n in
                                            ("where", "clip", "round", "real", "imag", "i0"))


def all_(x):
    """``all(x)`` over every axis, as a 0-d bool array (the ufunc reduction, no other module)."""
    return logical_and.reduce(x, axis=None)


def as_arrays(*xs, keep_scalars=False):
    """``xs`` as npflow arrays: others are made on the device of the first npflow array among
    them (Python scalars are kept as they are, weak, with ``keep_scalars``)."""
    nd = ndarray_type()
    dev = next((x.device for x in xs if isinstance(x, nd)), None)
    return tuple(x if isinstance(x, nd) or keep_scalars and isinstance(x, _PY_SCALARS)
                 else asarray(x, device=dev) for x in xs)


# -- primitives ---------------------------------------------------------------------------
@composite
def where(condition, x=_NoValue, y=_NoValue, /, *, size=None, fill_value=None):
    """``x`` where ``condition`` holds, else ``y``; the condition alone gives its ``nonzero()``
    (``size=``/``fill_value=``: JAX's keywords of that form, see :func:`nonzero`)."""
    if (x is _NoValue or x is None) and (y is _NoValue or y is None):  # as NumPy: where(c, None, None) too
        return as_arrays(condition)[0].nonzero(size=size, fill_value=fill_value)
    if size is not None or fill_value is not None:
        raise TypeError("where(): size= and fill_value= apply to where(condition) alone")
    if x is _NoValue or y is _NoValue:
        raise ValueError("where(): either both or neither of x and y should be given")
    return apply(_WHERE, condition, x, y)


# NumPy's text signature (its C code tells a missing x or y from None: where(c, 1, None) is a choice)
where.__signature__ = _inspect.signature(lambda condition, x=None, y=None, /, *, size=None,
                                         fill_value=None: None)


def clip(a, min=_NoValue, max=_NoValue, out=None, *, a_min=_NoValue, a_max=_NoValue, **kwargs):
    """``a`` limited to ``[min, max]`` (either bound may be None).

    NumPy's calls all work (``clip(a, lo, hi)``, ``a_min=``/``a_max=``, ``min=``/``max=``); the
    positional bounds are named as the Array API names them (NumPy 2.1 added those names as
    keywords), so ``clip(a, lo)`` clips from below only, as the standard asks."""
    if a_min is _NoValue and a_max is _NoValue:  # the standard's (and NumPy 2.1's) names
        lo, hi = (None if v is _NoValue else v for v in (min, max))
    elif a_min is not _NoValue and a_max is not _NoValue:  # NumPy's older names
        if min is not _NoValue or max is not _NoValue:
            raise ValueError("clip(): passing `min` or `max` keyword argument when `a_min` and "
                             "`a_max` are provided is forbidden")
        lo, hi = a_min, a_max
    else:  # one of a_min=/a_max=, the other bound positional (NumPy's clip(a, lo, a_max=hi))
        name, given, other = ("a_min", a_min, max) if a_min is not _NoValue else ("a_max", a_max, min)
        if (min if name == "a_min" else max) is not _NoValue:
            raise TypeError(f"clip() got multiple values for argument '{name}'")
        # (with a_min= a keyword, a positional max would have given a_min twice: max= is a keyword,
        # and NumPy's a_max is missing)
        if other is _NoValue or name == "a_min":
            missing = "a_max" if name == "a_min" else "a_min"
            raise TypeError(f"clip() missing 1 required positional argument: '{missing}'")
        lo, hi = (given, other) if name == "a_min" else (other, given)
    return apply(_CLIP, a, lo, hi, out=out, **kwargs)


def round(a, decimals=0, out=None):
    """``a`` rounded to ``decimals`` decimals, halves to even."""
    return apply(_ROUND, a, decimals=decimals, out=out)


@composite
def around(a, decimals=0, out=None):
    """``round`` under its older name."""
    return round(a, decimals, out)


def real(val):
    """The real part: a view of ``val`` (Python scalars give Python scalars, as in NumPy); of a
    real array, the array itself, as NumPy's."""
    if type(val) in _PY_EXACT:
        return val.real
    if isinstance(val, ndarray_type()) and val.dtype.kind != "c":
        return val
    return apply(_REAL, val)


def imag(val):
    """The imaginary part: a view of ``val`` for complex arrays (Python scalars give scalars)."""
    return val.imag if type(val) in _PY_EXACT else apply(_IMAG, val)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (real input only)."""
    return apply(_I0, x)


# -- composites ---------------------------------------------------------------------------
@composite
def angle(z, deg=False):
    """The counterclockwise angle from the positive real axis, in radians (or degrees)."""
    z = as_arrays(z)[0]
    a = arctan2(z.imag, z.real) if z.dtype.kind == "c" else arctan2(0, z)
    return a * (180 / _np.pi) if deg else a


@composite
def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _np.pi * as_arrays(x)[0]
    eps = finfo(x.dtype).eps if x.dtype.kind == "f" else 1e-20
    y = where(x != 0, x, eps)
    # at 0 the Taylor polynomial (exactly 1 there) carries the derivatives: sinc''(0) = -pi**2/3
    x2 = x * x
    return where(x != 0, sin(y) / y, 1 - x2 / 6 + x2 * x2 / 120)


def _finite_part(part, values):
    """A real array with NaN, +inf and -inf replaced by ``values`` (in that order)."""
    nan, posinf, neginf = values
    return where(isnan(part), nan, where(isposinf(part), posinf, where(isneginf(part), neginf, part)))


@composite
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by ``nan``, ``posinf``, ``neginf`` (in place if copy=False)."""
    x = x if isinstance(x, ndarray_type()) and not copy else array(x, copy=copy)
    if x.dtype.kind not in "fc":
        return x
    info = finfo(x.dtype)
    values = (nan, info.max if posinf is None else posinf, info.min if neginf is None else neginf)
    if x.dtype.kind == "c" and copy:  # a new array made of the two new parts, bit for bit
        re, im = (_finite_part(p, values) for p in (x.real, x.imag))
        return apply(REGISTRY["complex"], re, im)
    for name in ("real", "imag") if x.dtype.kind == "c" else (None,):
        part = x if name is None else getattr(x, name)  # (each view taken after the last writes)
        masks = isnan(part), isposinf(part), isneginf(part)  # all found before any is written
        for mask, value in zip(masks, values):
            part[mask] = value
    return x


@composite
def real_if_close(a, tol=100):
    """``a.real`` when every imaginary part is within ``tol`` (machine epsilons if > 1) of 0."""
    a = as_arrays(a)[0]
    if a.dtype.kind != "c":
        return a
    if tol > 1:
        tol = finfo(a.dtype).eps * tol
    return a.real if all_(less(absolute(a.imag), tol)) else a


@composite
def fix(x, out=None):
    """Round towards zero."""
    return trunc(x, out=out)


@composite
def iscomplex(x):
    """True where the element has a nonzero imaginary part (all False for real dtypes)."""
    x = as_arrays(x)[0]
    if x.dtype.kind != "c":  # (as NumPy: datetimes, strings, objects too)
        return apply(REGISTRY["zeros"], shape=x.shape, dtype=bool, device=x.device)
    return x.imag != 0


@composite
def isreal(x):
    """True where the imaginary part is zero."""
    return imag(x) == 0


def iscomplexobj(x):
    """Is the dtype of ``x`` (or of ``asarray(x)``) complex? A Python bool."""
    dt = getattr(x, "dtype", None)
    if not isinstance(dt, _np.dtype):
        dt = as_arrays(x)[0].dtype
    return dt.kind == "c"


def isrealobj(x):
    """Is the dtype of ``x`` not complex? A Python bool."""
    return not iscomplexobj(x)


def _signed_inf(name, negative, x, out):
    try:
        sign = signbit(x)
    except TypeError as e:
        raise TypeError(f"{name}(): this operation is not supported for {as_arrays(x)[0].dtype} "
                        f"values because it would be ambiguous") from e
    return logical_and(isinf(x), sign if negative else ~sign, out=out)


@composite
def isposinf(x, out=None):
    """True where ``x`` is +inf."""
    return _signed_inf("isposinf", False, x, out)


@composite
def isneginf(x, out=None):
    """True where ``x`` is -inf."""
    return _signed_inf("isneginf", True, x, out)
