"""Statistics: ``quantile``/``percentile`` (and nan-variants), ``cov``, ``corrcoef``, histograms,
``bincount``, ``digitize``.

All are composites in npflow ops, following NumPy's own steps (so values match), except
``bincount``, a scatter-add primitive (``npflow._ops.stats``). Quantiles are a sort, a gather
and a linear interpolation: differentiable in ``a`` and ``q``; histograms and ``bincount``
are differentiable in their weights.
"""
import builtins
import math
import operator
import warnings

import numpy as _np
from numpy.lib.array_utils import normalize_axis_tuple as _axis_tuple

from .._core.dispatch import apply, composite, ndarray_type
from .._core.dispatch import warn_at_caller as _warn_at_caller
from ..autodiff import stop_gradient
from .._ops import stats as _ops
from .creation import arange, asarray, array, linspace, zeros
from .manipulation import broadcast_to, concatenate, diff, moveaxis, reshape, squeeze, transpose
from .math import around, clip, real, imag, where
from .products import dot
from .reductions import all, any, max, mean, min, nanmean, std, sum, cumsum
from .sorting import argsort_like_numpy, searchsorted, sort, take_along_axis
from .ufuncs import ceil, floor, isnan, maximum, minimum, sqrt, subtract, true_divide

__all__ = ["percentile", "quantile", "nanpercentile", "nanquantile", "cov", "corrcoef", "histogram",
           "histogram2d", "histogramdd", "histogram_bin_edges", "bincount", "digitize"]

_NoValue = _np._NoValue
_INTP = _np.intp


def _arr(x, like=None):
    """``x`` as an npflow array (on ``like``'s device)."""
    return x if isinstance(x, ndarray_type()) else asarray(
        x, device=None if like is None else like.device)


# -- quantiles ---------------------------------------------------------------------------------
def _bounded(index, keep_previous):
    """Discrete methods: the index rounded down where ``keep_previous(gamma, index)``, else up."""
    prev = floor(index)
    res = where(keep_previous(index - prev, index), prev, prev + 1).astype(_INTP)
    return maximum(res, 0)


def _hf(alpha, beta):
    """Hyndman & Fan's continuous methods: virtual index n q + alpha + q (1 - alpha - beta) - 1."""
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


_SAME = lambda gamma, index: gamma  # noqa: E731
# method -> (virtual index from (n, q), gamma fix (None: the index is an integer, no interpolation))
METHODS = {
    "inverted_cdf": (lambda n, q: _bounded(n * q - 1, lambda g, i: g == 0), None),
    "averaged_inverted_cdf": (lambda n, q: n * q - 1, lambda g, i: where(g == 0, 0.5, 1.0)),
    "closest_observation": (lambda n, q: _bounded(n * q - 1 - 0.5,
                                                  lambda g, i: (g == 0) & (floor(i) % 2 == 1)), None),
    "interpolated_inverted_cdf": (_hf(0, 1), _SAME),
    "hazen": (_hf(0.5, 0.5), _SAME),
    "weibull": (_hf(0, 0), _SAME),
    "linear": (lambda n, q: (n - 1) * q, _SAME),
    "median_unbiased": (_hf(1 / 3.0, 1 / 3.0), _SAME),
    "normal_unbiased": (_hf(3 / 8.0, 3 / 8.0), _SAME),
    "lower": (lambda n, q: floor((n - 1) * q).astype(_INTP), None),
    "higher": (lambda n, q: ceil((n - 1) * q).astype(_INTP), None),
    "midpoint": (lambda n, q: 0.5 * (floor((n - 1) * q) + ceil((n - 1) * q)),
                 lambda g, i: where(i % 1 == 0, 0.0, 0.5)),
    "nearest": (lambda n, q: around((n - 1) * q).astype(_INTP), None),
}


def _gather(s, idx, shape):
    """``s`` (reduced axis first) at positions ``idx`` along that axis, one set per quantile."""
    return take_along_axis(s, broadcast_to(idx, shape), axis=0)


def _quantile(arr, q, method, w, weak, nan):
    """Quantiles of ``arr`` along axis 0: shape ``q.shape + arr.shape[1:]`` (NumPy's steps)."""
    n = arr.shape[0]
    inexact = arr.dtype.kind in "fcmM"  # has NaN (NaT): it sorts last, as NumPy's NaN does
    qf = reshape(q, (q.size,) + (1,) * (arr.ndim - 1))
    shape = (q.size,) + arr.shape[1:]
    if w is None:
        s = sort(arr, axis=0)
    else:
        order = argsort_like_numpy(arr, axis=0)
        s, w = take_along_axis(arr, order, axis=0), take_along_axis(w, order, axis=0)
    cnt = n
    if nan and inexact:  # NaNs sort last: each line's count of the others plays n
        cnt = sum(~isnan(s), axis=0, keepdims=True)
        if w is not None:
            w = where(isnan(s), 0, w)
    last = (cnt - 1) if isinstance(cnt, int) else maximum(cnt - 1, 0)
    if w is not None:
        cdf = cumsum(w, axis=0, dtype=_np.float64)
        cdf = cdf / cdf[-1:]
        if any(isnan(cdf[-1:]) & (cnt > 0)):  # (all-NaN lines of nan-functions give NaN below)
            raise ValueError("Weights included NaN, inf or were all zero.")
        if q.dtype.kind == "f":
            cdf = cdf.astype(q.dtype)
        cdf = where(cdf == 0, -1, cdf)  # zero-weight leading values are never chosen
        below = sum(cdf[None] < reshape(qf, (q.size, 1) + qf.shape[1:]), axis=1)
        res = _gather(s, minimum(below, last), shape)
    else:
        if method not in METHODS:
            raise ValueError(f"{method!r} is not a valid method. Use one of: {METHODS.keys()}")
        index, fix = METHODS[method]
        nn = cnt if isinstance(cnt, int) else cnt.astype(q.dtype if q.dtype.kind == "f" else _np.int64)
        vi = index(nn, qf)
        if fix is None or (method == "linear" and vi.dtype.kind in "iu"):
            res = _gather(s, clip(vi, 0, last), shape)
        else:
            prev = floor(vi)
            bad = isnan(vi) | (vi >= last)
            prev = where(bad, last, where(vi < 0, 0, prev)).astype(_INTP)
            nxt = where(bad, last, where(vi < 0, 0, prev + 1)).astype(_INTP)
            gamma = fix(vi - prev, vi).astype(vi.dtype)
            up, down = gamma, 1 - gamma
            if weak:  # NumPy makes gamma a Python float: weakly typed
                dt = s.dtype if s.dtype.kind == "f" else _np.float64
                up, down = up.astype(dt), down.astype(dt)
            a, b = _gather(s, prev, shape), _gather(s, nxt, shape)
            d = b - a
            res = where(gamma >= 0.5, b - d * down, a + d * up)
    if nan and inexact:
        empty_ = cnt == 0
        if any(empty_):
            _warn_at_caller("All-NaN slice encountered", RuntimeWarning)
            res = where(empty_, _np.nan if arr.dtype.kind in "fc" else s[-1:], res)
    elif inexact:
        top = s[-1:]
        res = where(isnan(top), top, res)
    return reshape(res, q.shape + arr.shape[1:])


def _weights_valid(wgt, a, axis):
    """NumPy's weight checks; the weights broadcast against ``a``."""
    if a.shape != wgt.shape:
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if wgt.shape != tuple(a.shape[ax] for ax in axis):
            raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
        wgt = transpose(wgt, sorted(range(len(axis)), key=axis.__getitem__))
        wgt = reshape(wgt, tuple(s if ax in axis else 1 for ax, s in enumerate(a.shape)))
    return broadcast_to(wgt, a.shape)


def _all_numeric(a):
    """Every element of an object array a Python or NumPy number (not a Fraction, a Decimal)."""
    for v in a.ravel().tolist():
        if not (type(v) in (int, float, bool) or isinstance(v, (_np.number, _np.bool_))):
            return False
    return True


def _quantile_public(a, q, axis, out, method, keepdims, weights, scale, nan):
    """The checks and axis handling shared by the four quantile functions."""
    a = _arr(a)
    if a.dtype.kind == "c":
        raise TypeError("a must be an array of real numbers")
    weak = type(q) in (int, float)
    q = _arr(q, a)
    if scale:
        q = true_divide(q, 100)
    if q.size and not (bool(min(q) >= 0) and bool(max(q) <= 1)):
        raise ValueError("Percentiles must be in the range [0, 100]" if scale else
                         "Quantiles must be in the range [0, 1]")
    if q.ndim > 2:
        raise ValueError("q must be a scalar or 1d")
    if weights is not None:
        if method != "inverted_cdf":
            raise ValueError(f"Only method 'inverted_cdf' supports weights. Got: {method}.")
        ax = None if axis is None else _axis_tuple(axis, a.ndim, argname="axis")
        weights = _weights_valid(_arr(weights, a), a, ax)
        if any(weights < 0):
            raise ValueError("Weights must be non-negative.")
    if nan and a.dtype.kind in "fc" and a.size == 0:
        return nanmean(a, axis, out=out, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else _axis_tuple(axis, a.ndim)
    keep = [i for i in range(a.ndim) if i not in axes]
    merged = lambda x: reshape(moveaxis(x, axes, tuple(range(len(axes)))),  # noqa: E731
                               (-1,) + tuple(a.shape[i] for i in keep))
    res = _quantile(merged(a), q, method, None if weights is None else merged(weights), weak, nan)
    if res.ndim == 0 and res.dtype == object and (isinstance(res.item(), _np.generic) or (
            q.ndim == 0 and weights is None and METHODS[method][1] is not None
            and type(res.item()) is float and _all_numeric(a))):
        # NumPy unpacks its 0-d object result: that scalar. A 0-d interpolation is NumPy's
        # ufuncs on the elements themselves with a numpy.float64 weight: numbers (not Fractions)
        # interpolate in float64, giving a numpy.float64.
        res = asarray(_np.float64(res.item()) if type(res.item()) is float else res.item(),
                      device=a.device)
    if keepdims is True:
        res = reshape(res, q.shape + tuple(1 if i in axes else s for i, s in enumerate(a.shape)))
    if out is not None:
        out[...] = res
        return out
    return res


def _quantile_fn(name, scale, nan):
    def f(a, q, axis=None, out=None, overwrite_input=False, method="linear",
          keepdims=_NoValue if nan else False, *, weights=None):
        return _quantile_public(a, q, axis, out, method, keepdims, weights, scale, nan)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"NumPy's ``{name}``: a sort, a gather and a linear interpolation (all methods)."
    return composite(f)


percentile = _quantile_fn("percentile", True, False)
quantile = _quantile_fn("quantile", False, False)
nanpercentile = _quantile_fn("nanpercentile", True, True)
nanquantile = _quantile_fn("nanquantile", False, True)


# -- covariance ----------------------------------------------------------------------------------
def _sample_weights(w, name, n, device, integral=False):
    """cov's ``fweights``/``aweights`` as floats, after NumPy's checks of them, in its order."""
    w = asarray(w, dtype=float, device=device)
    if integral and not all(w == around(w)):
        raise TypeError(f"{name} must be integer")
    if w.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if w.shape[0] != n:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if any(w < 0):
        raise ValueError(f"{name} cannot be negative")
    return w


@composite
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """Covariance matrix of the rows (variables) of ``m`` (and ``y``), NumPy's steps."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = _arr(m)
    if m.dtype == object or y is not None and getattr(y, "dtype", None) == object:
        raise TypeError("object arrays are not supported (NumPy's cov fails on them too)")
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = _arr(y, m)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = _np.result_type(m.dtype, *(() if y is None else (y.dtype,)), _np.float64)
    X = array(m, ndmin=2, dtype=dtype)
    if not rowvar and m.ndim != 1:
        X = X.T
    if X.shape[0] == 0:
        return reshape(asarray([], device=m.device), (0, 0))
    if y is not None:
        y = array(y, copy=None, ndmin=2, dtype=dtype)
        if not rowvar and y.shape[0] != 1:
            y = y.T
        X = concatenate((X, y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w = None
    if fweights is not None:
        w = _sample_weights(fweights, "fweights", X.shape[1], m.device, integral=True)
    if aweights is not None:
        aweights = _sample_weights(aweights, "aweights", X.shape[1], m.device)
        w = aweights if w is None else w * aweights
    if w is None:  # NumPy's average(X, axis=1, weights=w), written out
        avg = mean(X, axis=1)
    else:
        w_sum = sum(w)
        avg = sum(X * w, axis=1) / w_sum
    if w is None:
        fact = X.shape[1] - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * sum(w * aweights) / w_sum
    if fact <= 0:
        _warn_at_caller("Degrees of freedom <= 0 for slice", RuntimeWarning)
        fact = 0.0
    X = X - avg[:, None]
    X_T = X.T if w is None else (X * w).T
    c = dot(X, X_T.conj())
    scale = true_divide(1, fact) if isinstance(fact, ndarray_type()) else _np.true_divide(1, fact)
    return squeeze((c * scale).astype(c.dtype, copy=False))


@composite
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients: ``cov`` scaled by the standard deviations, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:  # a single variable: NumPy's c / c
        return c / c
    stddev = sqrt(real(c.diagonal()))
    c = c / stddev[:, None] / stddev[None, :]
    if c.dtype.kind == "c":
        return (clip(real(c), -1, 1) + 1j * clip(imag(c), -1, 1)).astype(c.dtype, copy=False)
    return clip(c, -1, 1)


# -- counting: bincount, digitize ----------------------------------------------------------------
def bincount(x, /, weights=None, minlength=0):
    """Counts (or weight sums) of each non-negative integer in ``x``; a scatter-add primitive."""
    if not isinstance(x, (ndarray_type(), _np.ndarray)):  # a sequence: cast to intp, as NumPy
        x = asarray(x, device=getattr(weights, "device", None))
        if x.dtype.kind not in "biu":
            if x.size:
                _warn_at_caller("Non-integer input passed to bincount. In a future version of NumPy, this "
                              "will be an error. (Deprecated NumPy 2.1)", DeprecationWarning)
            x = x.astype(_INTP)
    return apply(_ops.bincount, x, weights, minlength=minlength)


@composite
def digitize(x, bins, right=False):
    """The index of the bin each value of ``x`` falls in (``bins`` increasing or decreasing)."""
    x, bins = _arr(x), _arr(bins, None)
    if x.dtype.kind == "c":
        raise TypeError("x may not be complex")
    if not _np.can_cast(bins.dtype, _np.float64, "safe"):  # NumPy's bins check reads them as doubles
        raise TypeError(f"Cannot cast array data from {bins.dtype!r} to dtype('float64') according "
                        f"to the rule 'safe'")
    if bins.ndim != 1:
        raise ValueError("object of too small depth for desired array" if bins.ndim == 0 else
                         "object too deep for desired array")
    side = "left" if right else "right"
    mono = _monotonicity(bins)
    if mono == 0:
        raise ValueError("bins must be monotonically increasing or decreasing")
    if mono == -1:
        return len(bins) - searchsorted(bins[::-1], x, side=side)
    return searchsorted(bins, x, side=side)


def _monotonicity(b):
    """1 increasing, -1 decreasing, 0 neither: NumPy's test, which takes its direction from the
    first change (a NaN there means decreasing)."""
    lo, hi = b[:-1], b[1:]
    change = lo != hi
    if not bool(any(change)):
        return 1
    i = int(change.argmax())
    if bool(lo[i] < hi[i]):
        return 0 if bool(any(lo > hi)) else 1
    return 0 if bool(any(lo < hi)) else -1


# -- histograms ----------------------------------------------------------------------------------
_BLOCK = 65536
_UNSIGNED = {_np.byte: _np.ubyte, _np.short: _np.ushort, _np.intc: _np.uintc, _np.int_: _np.uint,
             _np.longlong: _np.ulonglong}


def _unsigned_subtract(a, b):
    """``a - b`` without overflow for signed integers (the difference as the unsigned type)."""
    dt = _np.result_type(a, b)
    udt = _UNSIGNED.get(dt.type)
    if isinstance(a, ndarray_type()) or isinstance(b, ndarray_type()):
        return (a - b).astype(dt, copy=False) if udt is None else \
            subtract(a, b, casting="unsafe", dtype=udt)
    if udt is None:  # scalar edges (Python or NumPy scalars taken from min/max): plain arithmetic
        return _np.subtract(a, b, dtype=dt)
    return _np.subtract(_np.asarray(a, dtype=dt), _np.asarray(b, dtype=dt), casting="unsafe", dtype=udt)


def _scalar(x):
    """A 0-d npflow array as a NumPy scalar of its dtype (as NumPy's ``a.min()``)."""
    return x.dtype.type(x.item())


def _ptp_width(x):
    return _unsigned_subtract(_scalar(max(x)), _scalar(min(x)))


def _bin_stone(x, rng):
    n, ptp_x = x.size, _ptp_width(x)
    if n <= 1 or ptp_x == 0:
        return 0

    def jhat(nbins):
        p_k = histogram(x, bins=nbins, range=rng)[0] / n
        return (2 - (n + 1) * float(dot(p_k, p_k))) / (ptp_x / nbins)
    upper = builtins.max(100, int(math.sqrt(n)))
    nbins = builtins.min(range(1, upper + 1), key=jhat)
    if nbins == upper:
        _warn_at_caller("The number of bins estimated may be suboptimal.", RuntimeWarning)
    return ptp_x / nbins


def _bin_doane(x, rng):
    if x.size > 2:
        sg1 = _np.sqrt(6.0 * (x.size - 2) / ((x.size + 1.0) * (x.size + 3)))
        sigma = std(x)
        if sigma > 0.0:
            g1 = float((((x - x.mean()) / sigma) ** 3).mean())
            return _ptp_width(x) / (1.0 + _np.log2(x.size) + _np.log2(1.0 + abs(g1) / sg1))
    return 0.0


def _bin_fd(x, rng):
    p = percentile(x, [75, 25])
    return 2.0 * _scalar(p[0] - p[1]) * x.size ** (-1.0 / 3.0)


def _bin_auto(x, rng):
    fd, sturges, sq = _bin_fd(x, rng), BIN_WIDTHS["sturges"](x, rng), BIN_WIDTHS["sqrt"](x, rng)
    return builtins.min(builtins.max(fd, sq / 2), sturges)


# estimator name -> bin width from the data (NumPy's selectors)
BIN_WIDTHS = {
    "stone": _bin_stone, "auto": _bin_auto, "doane": _bin_doane, "fd": _bin_fd,
    "rice": lambda x, rng: _ptp_width(x) / (2.0 * x.size ** (1.0 / 3)),
    "scott": lambda x, rng: (24.0 * _np.pi ** 0.5 / x.size) ** (1.0 / 3.0) * _scalar(std(x)),
    "sqrt": lambda x, rng: _ptp_width(x) / _np.sqrt(x.size),
    "sturges": lambda x, rng: _ptp_width(x) / (_np.log2(x.size) + 1.0),
}


def _ravel_weights(a, weights):
    a = _arr(a)
    if a.dtype == _np.bool_:
        _warn_at_caller(f"Converting input from {a.dtype} to {_np.uint8} for compatibility.",
                      RuntimeWarning)
        a = a.astype(_np.uint8)
    if weights is not None:
        weights = _arr(weights, a)
        if weights.shape != a.shape:
            raise ValueError("weights should have the same shape as a.")
        weights = weights.ravel()
    return a.ravel(), weights


def _outer_edges(a, rng):
    if rng is not None:
        first, last = rng
        if first > last:
            raise ValueError("max must be larger than min in range parameter.")
        if not (_np.isfinite(first) and _np.isfinite(last)):
            raise ValueError(f"supplied range of [{first}, {last}] is not finite")
    elif a.size == 0:
        first, last = 0, 1
    else:
        first, last = _scalar(min(a)), _scalar(max(a))
        if not (_np.isfinite(first) and _np.isfinite(last)):
            raise ValueError(f"autodetected range of [{first}, {last}] is not finite")
    if first == last:
        first, last = first - 0.5, last + 0.5
    return first, last


def _bin_edges(a, bins, rng, weights):
    """The bin edges, and (first edge, last edge, count) for equal bins (NumPy's steps)."""
    n_equal = None
    if isinstance(bins, str):
        if bins not in BIN_WIDTHS:
            raise ValueError(f"{bins!r} is not a valid estimator for `bins`")
        if weights is not None:
            raise TypeError("Automated estimation of the number of bins is not supported for weighted data")
        first, last = _outer_edges(a, rng)
        if rng is not None:
            keep = (a >= first) & (a <= last)
            if not bool(all(keep)):
                a = a[keep]
        width = BIN_WIDTHS[bins](a, (first, last)) if a.size else 0
        n_equal = 1
        if width:
            if a.dtype.kind in "iu" and width < 1:
                width = 1
            n_equal = int(_np.ceil(_unsigned_subtract(last, first) / width))
    elif _np.ndim(bins) == 0:
        try:
            n_equal = operator.index(bins)
        except TypeError as e:
            raise TypeError("`bins` must be an integer, a string, or an array") from e
        if n_equal < 1:
            raise ValueError("`bins` must be positive, when an integer")
        first, last = _outer_edges(a, rng)
    elif _np.ndim(bins) == 1:
        edges = _arr(bins, a)
        if bool(any(edges[:-1] > edges[1:])):
            raise ValueError("`bins` must increase monotonically, when an array")
        return edges, None
    else:
        raise ValueError("`bins` must be 1d, when an array")
    bin_type = _np.result_type(first, last, a.dtype)
    if bin_type.kind in "iub":
        bin_type = _np.result_type(bin_type, float)
    edges = linspace(first, last, n_equal + 1, endpoint=True, dtype=bin_type, device=a.device)
    if bool(any(edges[:-1] >= edges[1:])):
        raise ValueError(f"Too many bins for data range. Cannot create {n_equal} finite-sized bins.")
    return _tracked_edges(edges, a, rng), (first, last, n_equal)


def _tracked_edges(edges, a, rng):
    """Edges spanning ``a``'s min and max carry their derivative (their values stay linspace's)."""
    if rng is not None or not a._ad or a.size == 0:
        return edges
    u = arange(edges.shape[0], dtype=edges.dtype, device=a.device) / (edges.shape[0] - 1)
    lo, hi = min(a).astype(edges.dtype), max(a).astype(edges.dtype)
    lin = lo + (hi - lo) * u
    return edges + (lin - stop_gradient(lin))  # exactly the edges, differentiated as ``lin``


@composite
def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The edges ``histogram`` would use for these arguments."""
    a, weights = _ravel_weights(a, weights)
    return _bin_edges(a, bins, range, weights)[0]


def _search_inclusive(a, v):
    return concatenate((searchsorted(a, v[:-1], "left"), searchsorted(a, v[-1:], "right")))


def _weighted_bincount(idx, w, n, ntype):
    """Counts (w None) or weight sums per bin as ``ntype``; complex weights part by part."""
    if w is not None and w.dtype.kind == "c":
        return (bincount(idx, real(w), minlength=n) + 1j * bincount(idx, imag(w), minlength=n)).astype(ntype)
    return bincount(idx, w, minlength=n).astype(ntype)


@composite
def histogram(a, bins=10, range=None, density=None, weights=None):
    """Counts (or weight sums) of ``a`` in bins, and the bin edges: NumPy's algorithm, blockwise."""
    a, weights = _ravel_weights(a, weights)
    edges, uniform = _bin_edges(a, bins, range, weights)
    ntype = _np.dtype(_np.intp) if weights is None else weights.dtype
    simple = weights is None or _np.can_cast(weights.dtype, _np.double) or _np.can_cast(weights.dtype, complex)
    if uniform is not None and simple:
        first, last, nbins = uniform
        n = zeros(nbins, ntype, device=a.device)
        denom = _unsigned_subtract(last, first)
        for i in builtins.range(0, len(a), _BLOCK):
            ta = a[i:i + _BLOCK]
            tw = None if weights is None else weights[i:i + _BLOCK]
            keep = (ta >= first) & (ta <= last)
            if not bool(all(keep)):
                ta = ta[keep]
                tw = None if tw is None else tw[keep]
            ta = ta.astype(edges.dtype, copy=False)
            idx = (_unsigned_subtract(ta, first) / denom * nbins).astype(_INTP)
            idx = where(idx == nbins, idx - 1, idx)
            idx = where(ta < edges[idx], idx - 1, idx)
            idx = where((ta >= edges[idx + 1]) & (idx != nbins - 1), idx + 1, idx)
            n = n + _weighted_bincount(idx, tw, nbins, ntype)
    else:
        cum = zeros(edges.shape, ntype, device=a.device)
        for i in builtins.range(0, len(a), _BLOCK):
            ta = a[i:i + _BLOCK]
            if weights is None:
                cum = cum + _search_inclusive(sort(ta), edges)
            else:
                order = argsort_like_numpy(ta)
                cw = concatenate((zeros(1, ntype, device=a.device), cumsum(weights[i:i + _BLOCK][order])))
                cum = cum + cw[_search_inclusive(ta[order], edges)]
        n = diff(cum)
    if density:
        db = array(diff(edges), float)
        return n / db / n.sum(), edges
    return n, edges


@composite
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """The multidimensional histogram of ``sample`` (N points in D dimensions) and its edges."""
    nd = ndarray_type()
    if isinstance(sample, (nd, _np.ndarray)) and sample.ndim == 2:
        sample = _arr(sample)
    else:
        from .manipulation import atleast_2d, stack
        sample = atleast_2d(_arr(sample) if isinstance(sample, (nd, _np.ndarray)) else
                            stack([_arr(s) for s in sample]) if len(sample) else _arr(sample)).T
    N, D = sample.shape
    if weights is not None:
        weights = _arr(weights, sample)
    try:
        if len(bins) != D:
            raise ValueError("The dimension of bins must be equal to the dimension of the sample x.")
    except TypeError:
        bins = D * [bins]
    if range is None:
        range = (None,) * D
    elif len(range) != D:
        raise ValueError("range argument must have one entry per dimension")
    edges, nbin = [], []
    for i in builtins.range(D):
        if _np.ndim(bins[i]) == 0:
            if bins[i] < 1:
                raise ValueError(f"`bins[{i}]` must be positive, when an integer")
            smin, smax = _outer_edges(sample[:, i], range[i])
            try:
                n = operator.index(bins[i])
            except TypeError as e:
                raise TypeError(f"`bins[{i}]` must be an integer, when a scalar") from e
            edges.append(_tracked_edges(linspace(smin, smax, n + 1, device=sample.device),
                                        sample[:, i], range[i]))
        elif _np.ndim(bins[i]) == 1:
            edges.append(_arr(bins[i], sample))
            if bool(any(edges[i][:-1] > edges[i][1:])):
                raise ValueError(f"`bins[{i}]` must be monotonically increasing, when an array")
        else:
            raise ValueError(f"`bins[{i}]` must be a scalar or 1d array")
        nbin.append(len(edges[i]) + 1)
    xy = 0
    for i in builtins.range(D):  # the flat (C-order) bin of each point
        col = sample[:, i]
        ni = searchsorted(edges[i], col, side="right")
        ni = where(col == edges[i][-1], ni - 1, ni)
        xy = xy * nbin[i] + ni
    hist = bincount(xy, weights, minlength=math.prod(nbin)).reshape(nbin).astype(float, casting="safe")
    hist = hist[D * (slice(1, -1),)]
    if density:
        s = hist.sum()
        for i in builtins.range(D):
            shape = [1] * D
            shape[i] = nbin[i] - 2
            hist = hist / diff(edges[i]).reshape(shape)
        hist = hist / s
    return hist, edges


@composite
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """The 2-d histogram of points (x, y) and its edges along x and y."""
    x, y = _arr(x), _arr(y)
    if len(x) != len(y):
        raise ValueError("x and y must have the same length.")
    try:
        N = len(bins)
    except TypeError:
        N = 1
    if N != 1 and N != 2:
        xedges = yedges = _arr(bins, x)
        bins = [xedges, yedges]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]
