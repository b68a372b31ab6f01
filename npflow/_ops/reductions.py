"""Reduction primitives: sums, products, extrema, statistics, scans and their nan-variants.

Each kernel is the backend's function of the same name, so values and dtypes
are NumPy's own (``mean`` of float16 accumulates in float32, ``nanvar`` and
``median`` take NumPy's exact steps). Rows marked ``N`` have integer or
boolean outputs and no derivative.
"""
import numpy as _numpy

from .._core.registry import REGISTRY, xp_op

D, N = True, False  # differentiable / not
REDUCTIONS = [
    ("sum", D), ("prod", D), ("mean", D), ("var", D), ("std", D), ("min", D), ("max", D),
    ("median", D), ("cumsum", D), ("cumprod", D), ("cumulative_sum", D), ("cumulative_prod", D),
    ("argmin", N), ("argmax", N), ("all", N), ("any", N), ("count_nonzero", N),
    ("nansum", D), ("nanprod", D), ("nanmean", D), ("nanvar", D), ("nanstd", D),
    ("nanmin", D), ("nanmax", D), ("nanmedian", D), ("nancumsum", D), ("nancumprod", D),
    ("nanargmin", N), ("nanargmax", N),
]
# cumulative_sum / cumulative_prod exist from NumPy 2.1 on.
REDUCTIONS = [row for row in REDUCTIONS if hasattr(_numpy, row[0])]

for _name, _diff in REDUCTIONS:
    xp_op(_name, differentiable=_diff)


# -- derivative rules --------------------------------------------------------------------------
# Most reductions share one pair of rules: the output's derivative is a weighting of the
# operand's, d out = sum(W * d x) over the reduced axes, so vjp = g * W and jvp = sum(t * W)
# for a weight W from a table (1 for sum, 1/n for mean, the chosen elements for max and
# median, the product of the others for prod). where= and NaNs (for nan-functions) mask W.
import math  # noqa: E402

from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp  # noqa: E402


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if _numpy.ndim(axis) == 0 else axis
    return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()


def _keep(a, ndim, axes, keepdims):
    """A reduction's output (or cotangent) ``a`` with the reduced axes kept as length 1."""
    if a is None or keepdims or a.ndim == ndim or a.ndim == 0:  # a 0-d result broadcasts as it is
        return a
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return np.reshape(a, tuple(shape))


def _real_dtype(x):
    return _numpy.finfo(x.dtype).dtype if x.dtype.kind == "c" else x.dtype


def _mask(x, where, nan):
    """The elements taking part: ``where`` and, for nan-functions, not NaN (None: all)."""
    m = None if where is True else np.asarray(where, device=x.device)  # where= arrives unwrapped
    if nan:
        ok = ~np.isnan(x)
        m = ok if m is None else ok & m
    return m


def _count(x, axes, m):
    """How many elements each output reduces (a Python int, or an array with kept axes)."""
    if m is None:
        return math.prod(x.shape[a] for a in axes)
    return np.sum(np.broadcast_to(m, x.shape), axis=axes, keepdims=True).astype(_real_dtype(x))


def _to_last(x, axes):
    """``x`` with ``axes`` moved to the end and merged into one, and the function undoing that."""
    ndim, k = x.ndim, len(axes)
    last = tuple(range(ndim - k, ndim))
    y = np.moveaxis(x, axes, last)
    shape = y.shape
    y = np.reshape(y, shape[:ndim - k] + (math.prod(shape[ndim - k:]),))
    return y, lambda w: np.moveaxis(np.reshape(w, shape), last, axes)


# weights W(ans, x, axes, m, **params); ``ans`` has the reduced axes kept; None means 1
def _mean_w(ans, x, axes, m, **_):
    n = _count(x, axes, m)
    return 1.0 / max(n, 1) if m is None else 1.0 / np.maximum(n, 1)


def _var_w(ans, x, axes, m, ddof=0, correction=None, mean=None, **_):
    """d var = Re sum(W dx) with W = 2 conj(x - mean) / (n - ddof) (the mean's own term sums to 0)."""
    mu = np.mean(x, axis=axes, keepdims=True, where=True if m is None else m) if mean is None else \
        np.asarray(mean, device=x.device)
    d = x - mu if m is None else np.where(m, x - mu, 0)  # masked first: no NaN reaches std's division
    dof = _count(x, axes, m) - (ddof if correction is None else correction)
    scale = 2 / dof if isinstance(dof, np.ndarray) else 2 / dof if dof > 0 else math.nan
    return (np.conj(d) if d.dtype.kind == "c" else d) * scale


def _std_w(ans, x, axes, m, **params):
    return _var_w(ans, x, axes, m, **params) / (2 * ans)


def _prod_w(ans, x, axes, m, initial=None, **_):
    """The product of the other elements: exclusive products from both ends (zeros are safe)."""
    y, back = _to_last(x if m is None else np.where(m, x, 1), axes)
    if y.shape[-1] == 0:
        return None
    one = np.ones_like(y[..., :1])
    left = np.concatenate([one, np.cumprod(y[..., :-1], axis=-1)], axis=-1)
    right = np.concatenate([one, np.cumprod(y[..., :0:-1], axis=-1)], axis=-1)[..., ::-1]
    w = back(left * right)
    return w if initial is None else w * initial


def _choice_w(ans, x, axes, m, **_):
    """max/min: the elements equal to the result (NaN equal to NaN), split equally among ties."""
    hit = (x == ans) | (np.isnan(x) & np.isnan(ans))
    if m is not None:
        hit = hit & m
    return hit / np.maximum(np.sum(hit, axis=axes, keepdims=True), 1).astype(_real_dtype(x))


def _median_w(ans, x, axes, m, **_):
    """The middle element, or half each to the two middle ones (NaNs sort last, as NumPy's).
    (npflow.median never overwrites an input a trace depends on: ``x`` is intact here.)"""
    y, back = _to_last(x, axes)
    ranks = np.argsort(np.argsort(y, axis=-1), axis=-1)
    n = y.shape[-1] if m is None else np.sum(_to_last(m, axes)[0], axis=-1, keepdims=True)
    dt = _real_dtype(x)
    return back(((ranks == (n - 1) // 2).astype(dt) + (ranks == n // 2).astype(dt)) * 0.5)


def _reduction_rules(weights, nan=False, axis0=None):
    """vjp and jvp of a reduction with weights ``weights`` (``axis0``: the default axis)."""
    def parts(ans, x, axis, keepdims, where, params):
        axes = _axes(axis, x.ndim)
        m = _mask(x, where, nan)
        w = None if weights is None else weights(_keep(ans, x.ndim, axes, keepdims), x, axes, m, **params)
        if m is not None:
            w = m if w is None else np.where(m, w, 0)
        return axes, w

    plain = not nan and weights in (None, _mean_w)  # sum and mean: a constant weight

    def vjp(g, ans, x, axis=axis0, keepdims=False, where=True, **params):
        if plain and axis is None and where is True:  # (the common case, without the steps below)
            if weights is not None:
                g = g * (1.0 / max(x.size, 1))
            return g if g.shape == x.shape else np.broadcast_to(g, x.shape)
        axes, w = parts(ans, x, axis, keepdims, where, params)
        g = _keep(g, x.ndim, axes, keepdims)
        g = g if w is None else g * w
        return g if g.shape == x.shape else np.broadcast_to(g, x.shape)

    def jvp(t, ans, x, axis=axis0, keepdims=False, where=True, dtype=None, **params):
        axes, w = parts(ans, x, axis, keepdims, where, params)
        p = t if w is None else t * w
        if dtype is not None and not _numpy.can_cast(p.dtype, dtype, "same_kind"):
            dtype = None  # a complex tangent of a real result, or an integer result: fit() casts
        return np.sum(p, axis=axes, keepdims=keepdims, dtype=dtype)
    return vjp, jvp


# name: (weights, nan-function, default axis, the vjp reads x's values, it reads ans)
REDUCTION_RULES = {
    "sum": (None, False, None, False, False), "add.reduce": (None, False, 0, False, False),
    "nansum": (None, True, None, True, False),
    "mean": (_mean_w, False, None, False, False), "nanmean": (_mean_w, True, None, True, False),
    "var": (_var_w, False, None, True, False), "nanvar": (_var_w, True, None, True, False),
    "std": (_std_w, False, None, True, True), "nanstd": (_std_w, True, None, True, True),
    "prod": (_prod_w, False, None, True, False), "nanprod": (_prod_w, True, None, True, False),
    "multiply.reduce": (_prod_w, False, 0, True, False),
    "median": (_median_w, False, None, True, False), "nanmedian": (_median_w, True, None, True, False),
    **{name: (_choice_w, name.startswith("nan"), None, True, True)
       for name in ("min", "max", "nanmin", "nanmax")},
    **{f"{name}.reduce": (_choice_w, False, 0, True, True)
       for name in ("maximum", "minimum", "fmax", "fmin")},
}
for _name, (_w, _nan, _axis0, _values, _ans) in REDUCTION_RULES.items():
    _vjp, _jvp = _reduction_rules(_w, _nan, _axis0)
    defvjp(_name, _vjp, uses=(({0}, _ans),), shape_only=() if _values else (0,))
    defjvp(_name, _jvp)


# -- scans: cumsum, cumprod and their variants -------------------------------------------------
def _along(x, axis, key):
    return x[(slice(None),) * axis + (key,)]


def _revcumsum(g, axis):
    return _along(np.cumsum(_along(g, axis, slice(None, None, -1)), axis=axis), axis, slice(None, None, -1))


def _shift(x, s, fill, axis):
    """``x`` moved ``s`` places along ``axis`` (towards the end if s > 0), ``fill`` coming in."""
    n = x.shape[axis]
    k = min(abs(s), n)
    pad = np.full_like(_along(x, axis, slice(0, k)), fill)
    parts = [pad, _along(x, axis, slice(0, n - k))] if s > 0 else [_along(x, axis, slice(k, None)), pad]
    return np.concatenate(parts, axis=axis)


def _linrec(c, b, axis, step=1):
    """The linear recurrence x_k = c_k x_(k-step) + b_k along ``axis`` (step -1: from the end),
    starting from 0: a Hillis-Steele scan composing the maps x -> c x + b in log2(n) rounds.
    Products only, no division: exact (at every order) whatever zeros ``c`` holds."""
    n, s = b.shape[axis], 1
    while s < n:
        b = b + c * _shift(b, s * step, 0, axis)
        if 2 * s < n:
            c = c * _shift(c, s * step, 1, axis)
        s *= 2
    return b


# cumprod a_k = a_(k-1) y_k: its tangent obeys da_k = y_k da_(k-1) + a_(k-1) t_k, a linear
# recurrence; the vjp is its transpose, ct_j = a_(j-1) S_j with S_j = g_j + y_(j+1) S_(j+1).
# Written without dividing by y, so zeros (any number of them) are exact at every order.
def _cumprod_vjp(g, a, y, axis):
    return _shift(a, 1, 1, axis) * _linrec(_shift(y, -1, 1, axis), g, axis, step=-1)


def _cumprod_jvp(t, a, y, axis):
    return _linrec(y, _shift(a, 1, 1, axis) * t, axis)


def _scan_rules(prod, nan=False, axis0=None):
    """vjp and jvp of cumsum (``prod`` False) or cumprod along ``axis`` (None: the flattened array)."""
    def prepare(ans, x, axis, include_initial):
        """The scan axis, and for cumprod its output and input (flattened, NaNs as 1)."""
        ax = 0 if axis is None else int(axis) % max(x.ndim, 1)
        if not prod:
            return ax, None, None
        y = np.where(np.isnan(x), 1, x) if nan else x
        a = _along(ans, ax, slice(1, None)) if include_initial else ans
        return ax, a, np.ravel(y) if axis is None else y

    def vjp(g, ans, x, axis=axis0, include_initial=False, **_):
        ax, a, y = prepare(ans if prod else None, x, axis, include_initial)
        if include_initial:
            g = _along(g, ax, slice(1, None))
        ct = np.reshape(_cumprod_vjp(g, a, y, ax) if prod else _revcumsum(g, ax), x.shape)
        return np.where(np.isnan(x), 0, ct) if nan else ct

    def jvp(t, ans, x, axis=axis0, include_initial=False, **_):
        ax, a, y = prepare(ans, x, axis, include_initial)
        t = np.where(np.isnan(x), 0, t) if nan else t
        t = np.ravel(t) if axis is None else t
        out = _cumprod_jvp(t, a, y, ax) if prod else np.cumsum(t, axis=ax)
        if include_initial:
            out = np.concatenate([np.zeros_like(_along(out, ax, slice(0, 1))), out], axis=ax)
        return out
    return vjp, jvp


# name: (product, nan-function, default axis)
SCAN_RULES = {
    "cumsum": (False, False, None), "nancumsum": (False, True, None), "add.accumulate": (False, False, 0),
    "cumprod": (True, False, None), "nancumprod": (True, True, None), "multiply.accumulate": (True, False, 0),
    "cumulative_sum": (False, False, None), "cumulative_prod": (True, False, None),
}
for _name, (_prod, _nan, _axis0) in SCAN_RULES.items():
    if _name in REGISTRY:
        _vjp, _jvp = _scan_rules(_prod, _nan, _axis0)
        defvjp(_name, _vjp, uses=(({0}, _prod),), shape_only=() if _prod or _nan else (0,))
        defjvp(_name, _jvp)


# -- add.reduceat: sums over segments [i_k, i_k+1) (one element where i_k >= i_k+1) ----------
def _reduceat_vjp(g, ans, x, indices, axis=0, **_):
    """Each segment's cotangent added over its elements, as a difference array then a cumsum."""
    ax, n = int(axis) % x.ndim, x.shape[int(axis) % x.ndim]
    start = np.asarray(indices, device=x.device)
    nxt = np.concatenate([start[1:], np.asarray([n], dtype=start.dtype, device=x.device)])
    end = np.where(start < nxt, nxt, start + 1)
    g = np.moveaxis(g, ax, 0)
    d = np.zeros((n + 1,) + g.shape[1:], dtype=g.dtype, device=x.device)
    np.add.at(d, start, g)
    np.add.at(d, end, -g)
    return np.moveaxis(np.cumsum(d, axis=0)[:n], 0, ax)


defvjp("add.reduceat", _reduceat_vjp, None, shape_only=(0,))
defjvp("add.reduceat", lambda t, ans, x, indices, axis=0, **_: np.add.reduceat(t, indices, axis=axis), None)
