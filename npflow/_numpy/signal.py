"""Signal processing: ``convolve``, ``correlate``, ``interp``, ``gradient``, ``trapezoid``, ``unwrap``,
``ediff1d``, ``vander``, ``sort_complex`` and the windows (``bartlett``, ``blackman``, ``hamming``,
``hanning``, ``kaiser``).

All are composites of npflow ops following NumPy's own formulas (so values match and they
are differentiable and device-portable); the windows are made from an integer length only.
"""
import math

import numpy as _np
from numpy.lib.array_utils import normalize_axis_tuple as _axis_tuple

from .._core.dispatch import apply, composite, ndarray_type
from .._core.registry import REGISTRY
from .._ops import sorting as _sorting_ops  # noqa: F401  (registers interp_index)
from .creation import arange, array, asarray, ones, zeros
from .manipulation import broadcast_to, concatenate, diff, reshape
from .math import as_arrays, i0, imag, real, where
from .reductions import cumprod, sum
from .sorting import argsort_like_numpy, searchsorted, sort
from .ufuncs import absolute, conjugate, cos, isnan, less_equal, mod, sqrt

__all__ = ["convolve", "correlate", "interp", "gradient", "trapezoid", "unwrap", "ediff1d", "vander",
           "sort_complex", "bartlett", "blackman", "hamming", "hanning", "kaiser"]

_INTERP_INDEX, _COMPLEX = REGISTRY["interp_index"], REGISTRY["complex"]
_MODES = {"valid": 0, "same": 1, "full": 2}


def _arr(x, like=None):
    """``x`` as an npflow array (on ``like``'s device)."""
    if isinstance(x, ndarray_type()):
        return x
    return asarray(x, device=None if like is None else like.device)


def _mode(mode):
    """A mode name or number as 0 (valid), 1 (same) or 2 (full), with NumPy's errors."""
    if isinstance(mode, str):
        if mode in _MODES:
            return _MODES[mode]
        if mode.lower()[:1] in ("v", "s", "f"):
            raise ValueError("Use one of 'valid', 'same', or 'full' for convolve/correlate mode")
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    if isinstance(mode, (int, _np.integer)):
        if mode not in (0, 1, 2):
            raise ValueError("integer convolve/correlate mode must be 0, 1, or 2")
        return int(mode)
    raise TypeError("convolve/correlate mode not understood")


def _sliding(a, v, mode, same_offset):
    """The outputs ``mode`` keeps of the full ``S(a, v)[k] = sum_j a_pad[k + j] v[j]`` (``a`` padded
    by len(v) - 1 zeros each side); S(a, v) is S(v, a) reversed, so the shorter one slides."""
    n, m = a.shape[0], v.shape[0]
    k = min(n, m)
    o, length = {0: (k - 1, max(n, m) - k + 1), 1: (same_offset(n, m), max(n, m)),
                 2: (0, n + m - 1)}[mode]
    if m > n:
        return _slide(v, a, n + m - 1 - o - length, length)[::-1]
    return _slide(a, v, o, length)


def _slide(a, v, o, length):
    """Outputs ``o .. o + length`` of S(a, v): one shifted product per element of ``v``."""
    m = v.shape[0]
    dt = _np.result_type(a.dtype, v.dtype)
    a, v = a.astype(dt, copy=False), v.astype(dt, copy=False)
    if m == 1:
        return a[o:o + length] * v[0]
    n = a.shape[0]
    z = zeros(m - 1, dt, device=a.device)
    a = concatenate([z, a, z])
    # only the overlapping products count, as NumPy's (a padding zero times inf or NaN is NaN)
    inside = (arange(n + 2 * m - 2, device=a.device) >= m - 1) & (arange(n + 2 * m - 2, device=a.device) < n + m - 1)
    term = lambda j: where(inside[o + j:o + j + length], a[o + j:o + j + length] * v[j], 0)  # noqa: E731
    acc = term(0)
    for j in range(1, m):
        acc = acc + term(j)
    return acc.astype(dt, copy=False)


def _check_sequences(a, v, empty):
    """NumPy's checks of convolve's and correlate's operands; ``empty``: each one's message."""
    if a.ndim == 0 or v.ndim == 0:
        raise ValueError("object of too small depth for desired array")
    if a.ndim > 1 or v.ndim > 1:
        raise ValueError("object too deep for desired array")
    for x, message in zip((a, v), empty):
        if x.size == 0:
            raise ValueError(message)


@composite
def convolve(a, v, mode="full"):
    """Discrete linear convolution of two 1-d sequences."""
    a, v = (array(x, ndmin=1, copy=None) for x in as_arrays(a, v))
    _check_sequences(a, v, ("a cannot be empty", "v cannot be empty"))
    return _sliding(a, v[::-1], _mode(mode), lambda n, m: (min(n, m) - 1) // 2)


@composite
def correlate(a, v, mode="valid"):
    """Cross-correlation of two 1-d sequences: ``c[k] = sum_n a[n + k] conj(v[n])``."""
    a, v = as_arrays(a, v)
    _check_sequences(a, v, ("first array argument cannot be empty", "second array argument cannot be empty"))
    if v.dtype.kind == "c":
        v = conjugate(v)
    return _sliding(a, v, _mode(mode), lambda n, m: (m - 1) // 2 if n >= m else n // 2)


# -- interpolation and differences ---------------------------------------------------------------
@composite
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x (NumPy's compiled steps, in npflow ops)."""
    x, xp, fp = as_arrays(x, xp, fp)
    if x.dtype.kind == "c" or xp.dtype.kind == "c":
        raise TypeError("float() argument must be a string or a real number, not 'complex'")
    for v in (x, xp) if fp.dtype.kind == "c" else (x, xp, fp):  # NumPy reads them as doubles
        if not _np.can_cast(v.dtype, _np.float64, "safe"):
            raise TypeError(f"Cannot cast array data from {v.dtype!r} to dtype('float64') according to "
                            f"the rule 'safe'")
    cdt = _np.complex128 if fp.dtype.kind == "c" else _np.float64
    x, xp, fp = x.astype(_np.float64, copy=False), xp.astype(_np.float64, copy=False), fp.astype(cdt, copy=False)
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period, left, right = abs(period), None, None
        if xp.ndim != 1 or fp.ndim != 1:
            raise ValueError("Data points must be 1-D sequences")
        if xp.shape[0] != fp.shape[0]:
            raise ValueError("fp and xp are not of the same length")
        x, xp = x % period, xp % period
        order = argsort_like_numpy(xp)
        xp, fp = xp[order], fp[order]
        xp = concatenate((xp[-1:] - period, xp, xp[0:1] + period))
        fp = concatenate((fp[-1:], fp, fp[0:1]))
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError("object too deep for desired array")
    if xp.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    if xp.shape[0] != fp.shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    n = xp.shape[0]
    lval = fp[0] if left is None else left
    rval = fp[-1] if right is None else right
    j = apply(_INTERP_INDEX, xp, x)  # NumPy's search: -1 left of xp, n right of it
    jl, jr = j.clip(0, n - 1), (j + 1).clip(0, n - 1)
    x0, x1, y0, y1 = xp[jl], xp[jr], fp[jl], fp[jr]
    inner = (j >= 0) & (j < n - 1) & (x0 != x)
    with _np.errstate(all="ignore"):  # (NumPy's compiled loop warns of nothing)
        step = where(inner, x1 - x0, 1)  # (the slope is only used inside)
        if cdt is _np.complex128:  # each part on its own, times 1/step, as NumPy
            inv = 1.0 / step
            res = apply(_COMPLEX, *(_lerp(p(y0), p(y1), (p(y1) - p(y0)) * inv, x, x0, x1)
                                    for p in (real, imag)))
        else:
            res = _lerp(y0, y1, (y1 - y0) / step, x, x0, x1)
    res = where(inner, res, y0)
    res = where(j >= n, rval, where(j < 0, lval, res))
    if n > 1:  # (NumPy's one-point loop has no NaN test: NaN x gives fp[0] there)
        res = where(isnan(x), x, res)
    return res.astype(cdt, copy=False)


def _lerp(y0, y1, slope, x, x0, x1):
    """NumPy's interpolation within an interval: from the left end, from the right one if that
    gave NaN, and ``y0`` if both did and the ends are equal (infinite ends)."""
    res = slope * (x - x0) + y0
    res = where(isnan(res), slope * (x - x1) + y1, res)
    return where(isnan(res) & (y0 == y1), y0, res)


@composite
def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, one-sided (order 1 or 2) at the edges."""
    f = _arr(f)
    N = f.ndim
    axes = tuple(range(N)) if axis is None else _axis_tuple(axis, N)
    n = len(varargs)
    if n == 0:
        dx = [1.0] * len(axes)
    elif n == 1 and _np.ndim(varargs[0]) == 0:
        dx = list(varargs) * len(axes)
    elif n == len(axes):
        dx = list(varargs)
        for i, d in enumerate(dx):
            if _np.ndim(d) == 0:
                continue
            d = _arr(d, f)
            if d.ndim != 1:
                raise ValueError("distances must be either scalars or 1d")
            if len(d) != f.shape[axes[i]]:
                raise ValueError("when 1d, distances must match the length of the corresponding dimension")
            if d.dtype.kind in "iu":
                d = d.astype(_np.float64)
            d = diff(d)
            dx[i] = d[0] if bool((d == d[0]).all()) else d
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = f.dtype
    if otype.kind == "M":  # differences of datetimes: timedeltas of the same unit, as NumPy
        otype = _np.dtype(otype.name.replace("datetime", "timedelta"))
        f = f.view(otype)
    elif otype.kind not in "fcm":
        if otype.kind in "iu":
            f = f.astype(_np.float64)
        otype = _np.dtype(_np.float64)
    outs = []
    for ax, h in zip(axes, dx):
        if f.shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        part = lambda s: f[(slice(None),) * ax + (s,)]  # noqa: E731
        uniform = _np.ndim(h) == 0 or (isinstance(h, ndarray_type()) and h.ndim == 0)
        line = (-1,) + (1,) * (N - ax - 1)
        if uniform:
            mid = (part(slice(2, None)) - part(slice(None, -2))) / (2. * h)
        else:
            d1, d2 = h[:-1], h[1:]
            a, b, c = (reshape(w, line) for w in (-d2 / (d1 * (d1 + d2)), (d2 - d1) / (d1 * d2),
                                                  d1 / (d2 * (d1 + d2))))
            mid = a * part(slice(None, -2)) + b * part(slice(1, -1)) + c * part(slice(2, None))
        if edge_order == 1:
            first = (part(slice(1, 2)) - part(slice(0, 1))) / (h if uniform else h[0])
            last = (part(slice(-1, None)) - part(slice(-2, -1))) / (h if uniform else h[-1])
        else:
            if uniform:
                a0, b0, c0, a1, b1, c1 = -1.5 / h, 2. / h, -0.5 / h, 0.5 / h, -2. / h, 1.5 / h
            else:
                d1, d2 = h[0], h[1]
                a0, b0, c0 = (-(2. * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2),
                              -d1 / (d2 * (d1 + d2)))
                d1, d2 = h[-2], h[-1]
                a1, b1, c1 = (d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2),
                              (2. * d2 + d1) / (d2 * (d1 + d2)))
            first = a0 * part(slice(0, 1)) + b0 * part(slice(1, 2)) + c0 * part(slice(2, 3))
            last = a1 * part(slice(-3, -2)) + b1 * part(slice(-2, -1)) + c1 * part(slice(-1, None))
        outs.append(concatenate([p.astype(otype, copy=False) for p in (first, mid, last)], axis=ax))
    return outs[0] if len(axes) == 1 else tuple(outs)


@composite
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` (over ``x``, or spacing ``dx``) along ``axis`` by the trapezoidal rule."""
    y = _arr(y)
    if x is None:
        d = dx
    else:
        x = _arr(x, y)
        if x.ndim == 1:
            d = diff(x)
            shape = [1] * y.ndim
            shape[axis] = d.shape[0]
            d = reshape(d, shape)
        else:
            d = diff(x, axis=axis)
    nd = y.ndim
    s1 = [slice(None)] * nd
    s2 = [slice(None)] * nd
    s1[axis], s2[axis] = slice(1, None), slice(None, -1)
    return sum(d * (y[tuple(s1)] + y[tuple(s2)]) / 2.0, axis)


@composite
def unwrap(p, discont=None, axis=-1, *, period=2 * math.pi):
    """``p`` with jumps larger than ``discont`` replaced by their ``period``-complement."""
    p = _arr(p)
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    s1 = [slice(None)] * p.ndim
    s1[axis] = slice(1, None)
    s0 = list(s1)
    s0[axis] = slice(0, 1)
    dtype = _np.result_type(dd.dtype, period)
    if dtype.kind in "iu":
        high, rem = divmod(period, 2)
        ambiguous = rem == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    ddmod = mod(dd - low, period) + low
    if ambiguous:
        ddmod = where((ddmod == low) & (dd > 0), high, ddmod)
    correct = where(absolute(dd) < discont, 0, ddmod - dd)
    return concatenate([p[tuple(s0)].astype(dtype),
                        (p[tuple(s1)] + correct.cumsum(axis)).astype(dtype, copy=False)], axis=axis)


@composite
def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened ``ary``, with values added at the ends."""
    ary = _arr(ary).ravel()
    dt = ary.dtype
    parts = [ary[1:] - ary[:-1]]
    for name, extra, at in (("to_begin", to_begin, 0), ("to_end", to_end, 1)):
        if extra is None:
            continue
        extra = _arr(extra, ary)
        if not _np.can_cast(extra.dtype, dt, casting="same_kind"):
            raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under the `same_kind` rule.")
        parts.insert(len(parts) * at, extra.ravel().astype(dt, copy=False))
    return parts[0] if len(parts) == 1 else concatenate(parts).astype(dt, copy=False)


@composite
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns are powers of ``x`` (decreasing unless ``increasing``)."""
    x = _arr(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    N = len(x) if N is None else N
    dt = _np.promote_types(x.dtype, int)
    cols = [ones((len(x), min(N, 1)), dt, device=x.device)]
    if N > 1:
        cols.append(cumprod(broadcast_to(x[:, None].astype(dt), (len(x), N - 1)), axis=1))
    v = concatenate(cols, axis=1) if len(cols) > 1 else cols[0]
    return v if increasing else v[:, ::-1]


@composite
def sort_complex(a):
    """``a`` sorted by real part, then imaginary part, as a complex array."""
    b = sort(array(_arr(a), copy=True))
    if b.dtype.kind == "c":
        return b
    return b.astype("F" if b.dtype.char in "bhBH" else "G" if b.dtype.char == "g" else "D")


# -- windows: arrays made from an integer length only ------------------------------------------
def _window(fname, M, body):
    values = _np.array([0.0, M])
    M = values[1]
    if M < 1:
        return array([], dtype=values.dtype)
    if M == 1:
        return ones(1, dtype=values.dtype)
    return body(arange(1 - M, M, 2), M)


def bartlett(M):
    """The Bartlett (triangular) window of ``M`` points."""
    return _window("bartlett", M, lambda n, M: where(less_equal(n, 0), 1 + n / (M - 1), 1 - n / (M - 1)))


def blackman(M):
    """The Blackman window of ``M`` points."""
    return _window("blackman", M, lambda n, M: 0.42 + 0.5 * cos(_np.pi * n / (M - 1))
                   + 0.08 * cos(2.0 * _np.pi * n / (M - 1)))


def hamming(M):
    """The Hamming window of ``M`` points."""
    return _window("hamming", M, lambda n, M: 0.54 + 0.46 * cos(_np.pi * n / (M - 1)))


def hanning(M):
    """The Hann window of ``M`` points."""
    return _window("hanning", M, lambda n, M: 0.5 + 0.5 * cos(_np.pi * n / (M - 1)))


def kaiser(M, beta):
    """The Kaiser window of ``M`` points and shape ``beta``."""
    values = _np.array([0.0, M, beta])
    M, beta = values[1], values[2]
    if M == 1:
        return ones(1, dtype=values.dtype)
    n = arange(0, M)
    alpha = (M - 1) / 2.0
    return i0(beta * sqrt(1 - ((n - alpha) / alpha) ** 2.0)) / i0(beta)
