"""Sorting, searching and indexed selection: each one backend call.

Index-like arguments (``indices``, ``kth``, ``condition``, ``sorter``, the
``a`` of ``choose``) are static parameters; the positional operands are the
arrays whose values a result is made of (what gradients flow to). Ops whose
outputs are positions or counts have no derivative (``differentiable=False``);
``unique`` is a set operation and, as in other frameworks, has none either.
Functions taking a sequence of arrays (``lexsort`` keys, ``choose`` choices)
receive them as separate operands, or one stacked operand with ``stacked=True``.
"""
import numpy as _np  # (metadata: a fill value cast to an index or value dtype)

from .._core.registry import kernel_op, xp_op

N = dict(differentiable=False)
OPS = {name: xp_op(name, **kw) for name, kw in [
    ("sort", {}), ("partition", {}), ("take", {}), ("take_along_axis", {}),
    ("argsort", N), ("argpartition", N), ("unique", N), ("nonzero", N), ("flatnonzero", N),
    ("argwhere", N), ("searchsorted", N),
]}


@kernel_op("lexsort", **N)
def lexsort(xp, *keys, axis, stacked):
    return xp.lexsort(keys[0] if stacked else keys, axis=axis)


@kernel_op("choose")
def choose(xp, *choices, a, stacked, **params):
    return xp.choose(a, choices[0] if stacked else choices, **params)


@kernel_op("extract")
def extract(xp, arr, *, condition):
    return xp.extract(condition, arr)


@kernel_op("compress")
def compress(xp, a, *, condition, **params):
    return xp.compress(condition, a, **params)


@kernel_op("put", wraps=False, inplace="write")
def put(xp, a, v, *, ind, mode):
    xp.put(a, ind, v, mode=mode)


@kernel_op("put_along_axis", wraps=False, inplace="write")
def put_along_axis(xp, arr, values, *, indices, axis):
    xp.put_along_axis(arr, indices, values, axis)


OPS.update(lexsort=lexsort, choose=choose, extract=extract, compress=compress, put=put,
           put_along_axis=put_along_axis)


# -- value-dependent shapes made static: ``size=`` (JAX's), so a graph can hold them ---------
def _fit(xp, v, size, fill, axis=0):
    """``v`` cut or padded along ``axis`` to ``size`` entries: the padding is ``fill`` (a
    scalar, or one value per trailing position: argwhere's columns) cast to ``v``'s dtype."""
    v = xp.moveaxis(v, axis, 0)
    n = v.shape[0]
    if n > size:
        v = v[:size].copy()
    elif n < size:
        shape = (size - n,) + v.shape[1:]
        if not isinstance(fill, xp.ndarray):
            fill = xp.asarray(_np.asarray(fill).astype(v.dtype))
        v = xp.concatenate([v, xp.broadcast_to(fill.astype(v.dtype), shape)])
    return xp.moveaxis(v, 0, axis)


def _fills(fill_value, n, what):
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * n
    if len(fills) != n:
        raise ValueError(f"{what}: fill_value= has {len(fills)} values for {n} dimensions")
    return fills


@kernel_op("nonzero_sized", differentiable=False)
def nonzero_sized(xp, a, *, size, fill_value):
    idx = xp.nonzero(a)
    return tuple(_fit(xp, i, size, f) for i, f in zip(idx, _fills(fill_value, len(idx), "nonzero")))


@kernel_op("flatnonzero_sized", differentiable=False)
def flatnonzero_sized(xp, a, *, size, fill_value):
    return _fit(xp, xp.flatnonzero(a), size, fill_value)


@kernel_op("argwhere_sized", differentiable=False)
def argwhere_sized(xp, a, *, size, fill_value):
    r = xp.argwhere(a)
    return _fit(xp, r, size, _np.asarray(_fills(fill_value, r.shape[1], "argwhere")))


@kernel_op("unique_sized", differentiable=False)
def unique_sized(xp, ar, *, size, fill_value, return_index, return_inverse, return_counts, axis,
                 equal_nan):
    """JAX's ``unique(..., size=)``: the first ``size`` unique values, padded with
    ``fill_value`` (by default the smallest); indices padded with the smallest's, counts with 0."""
    r = xp.unique(ar, return_index=return_index, return_inverse=return_inverse,
                  return_counts=return_counts, axis=axis, equal_nan=equal_nan)
    rs = list(r) if isinstance(r, tuple) else [r]
    ax = 0 if axis is None else axis
    u = rs[0]
    if u.shape[ax] == 0 and size and fill_value is None:
        raise ValueError("unique(): for an empty input with size > 0, fill_value= must be given")
    first = xp.take(u, xp.asarray([0]), axis=ax) if fill_value is None else None
    k = 1
    out = [_fit(xp, u, size, fill_value if first is None else xp.moveaxis(first, ax, 0)[0], ax)]
    if return_index:
        i = rs[k]
        out.append(_fit(xp, i, size, i[:1] if i.shape[0] else 0))
        k += 1
    if return_inverse:
        out.append(rs[k])
        k += 1
    if return_counts:
        out.append(_fit(xp, rs[k], size, 0))
    return out[0] if len(out) == 1 else tuple(out)


OPS.update({"nonzero_sized": nonzero_sized, "flatnonzero_sized": flatnonzero_sized,
            "argwhere_sized": argwhere_sized, "unique_sized": unique_sized})


@kernel_op("isin", differentiable=False)
def isin(xp, element, test_elements, *, assume_unique=False, invert=False, kind=None):
    kw = {} if kind is None else {"kind": kind}  # kind= only when given (CuPy has no kind)
    return xp.isin(element, test_elements, assume_unique=assume_unique, invert=invert, **kw)


# -- derivative rules (written in npflow ops: DESIGN.md invariant 3) -------------------------
# A selection's vjp scatters the cotangent back with add.at (repeated indices accumulate).
# An in-place write (put, put_along_axis) is recorded as a functional update of operand 0:
# the old array's cotangent is g with the written positions zeroed, the values' is g gathered
# there. Which write wins a repeated position is found by replaying the same write with
# each value's serial number, so the rule agrees with the backend's own choice.
import math  # noqa: E402

from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp, defjvp_all, deflinear, unbroadcast  # noqa: E402


def _positions(indices, n, mode, device):
    """``indices`` into an axis of length ``n`` as plain in-range (or negative) positions."""
    idx = np.asarray(indices, device=device)
    return idx if mode == "raise" else np.mod(idx, n) if mode == "wrap" else np.clip(idx, 0, n - 1)


def _scatter(g, shape, key):
    """Zeros of ``shape`` with ``g`` added at ``key`` (the vjp of ``x[key]``)."""
    out = np.zeros(shape, dtype=g.dtype, device=g.device)
    np.add.at(out, key, g)
    return out


def _take_vjp(g, shape, indices, axis, mode="raise"):
    if axis is None:
        size = math.prod(shape)
        return np.reshape(_scatter(g, (size,), _positions(indices, size, mode, g.device)), shape)
    axis %= len(shape)
    return _scatter(g, shape, (slice(None),) * axis + (_positions(indices, shape[axis], mode, g.device),))


def _along_axis_key(shape, indices, axis, device):
    """The fancy index ``take_along_axis`` uses (NumPy's ``_make_along_axis_idx``)."""
    nd = len(shape)
    axis %= nd
    return tuple(indices if d == axis else
                 np.reshape(np.arange(n, device=device), (1,) * d + (-1,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(shape))


def _take_along_axis_vjp(g, shape, indices, axis):
    if axis is None:
        return _take_vjp(g, shape, indices, None)
    return _scatter(g, shape, _along_axis_key(shape, indices, axis, g.device))


def _partition_perm(a, ans, axis):
    """Where each element of ``ans`` came from in ``a`` (distinct values: matched by rank, which
    holds whatever order a backend leaves the partitions in)."""
    if axis is None:
        a, axis = np.ravel(a), -1
    rank = np.argsort(np.argsort(ans, axis=axis), axis=axis)
    return np.take_along_axis(np.argsort(a, axis=axis), rank, axis=axis)


defvjp("sort", lambda g, ans, a, axis=-1: _take_along_axis_vjp(g, a.shape, np.argsort(a, axis=axis), axis))
defjvp("sort", lambda t, ans, a, axis=-1: np.take_along_axis(t, np.argsort(a, axis=axis), axis=axis))
defvjp("partition", lambda g, ans, a, axis=-1:
       _take_along_axis_vjp(g, a.shape, _partition_perm(a, ans, axis), axis))
defjvp("partition", lambda t, ans, a, axis=-1: np.take_along_axis(t, _partition_perm(a, ans, axis), axis=axis))
defvjp("take", lambda g, ans, a, indices, axis=None, mode="raise": _take_vjp(g, a.shape, indices, axis, mode),
       shape_only=(0,))
deflinear("take", lambda t, indices, axis=None, mode="raise": np.take(t, indices, axis=axis, mode=mode))
defvjp("take_along_axis", lambda g, ans, a, indices, axis=-1: _take_along_axis_vjp(g, a.shape, indices, axis),
       shape_only=(0,))
deflinear("take_along_axis", lambda t, indices, axis=-1: np.take_along_axis(t, indices, axis=axis))
defvjp("compress", lambda g, ans, a, condition, axis=None:
       _take_vjp(g, a.shape, np.flatnonzero(np.asarray(condition, device=g.device)), axis), shape_only=(0,))
deflinear("compress", lambda t, condition, axis=None: np.compress(condition, t, axis=axis))
defvjp("extract", lambda g, ans, arr, condition:
       _take_vjp(g, arr.shape, np.flatnonzero(np.asarray(condition, device=g.device)), None), shape_only=(0,))
deflinear("extract", lambda t, condition: np.extract(condition, t))


def _choose_rule(k):
    def vjp(g, ans, *choices, a, stacked, mode="raise"):
        n = choices[0].shape[0] if stacked else len(choices)
        sel = _positions(a, n, mode, g.device)
        if stacked:
            return np.stack([unbroadcast(np.where(sel == j, g, 0), choices[0].shape[1:]) for j in range(n)])
        return np.where(sel == k, g, 0)
    return vjp


def _choose_jvp(tangents, ans, *choices, a, stacked, mode="raise"):
    ts = [np.zeros_like(c, dtype=ans.dtype) if t is None else t for t, c in zip(tangents, choices)]
    return np.choose(a, ts[0] if stacked else ts, mode=mode)


defvjp("choose", *(_choose_rule(k) for k in range(64)), shape_only=range(64))
defjvp_all("choose", _choose_jvp)


def _put_winners(shape, ind, mode, device):
    """(flat serial number of the write that lands at each position, -1 if none; the write
    serials; the flat indices): ``put`` replayed."""
    ind = np.ravel(np.asarray(ind, device=device))
    serial = np.arange(ind.size, device=device)
    winner = np.full(shape, -1, dtype=np.intp, device=device)
    np.put(winner, ind, serial, mode=mode)
    return winner, serial, ind


def _put_values_vjp(g, v, ind, mode):
    winner, serial, ind = _put_winners(g.shape, ind, mode, g.device)
    won = np.where(np.take(winner, ind, mode=mode) == serial, np.take(g, ind, mode=mode), 0)
    out = np.zeros(v.size, dtype=g.dtype, device=g.device)
    np.add.at(out, np.mod(serial, v.size), won)  # v is repeated when shorter than ind
    return np.reshape(out, v.shape)


def _put_jvp(tangents, ans, a, v, ind, mode):
    ta, tv = tangents
    out = np.zeros_like(a) if ta is None else ta.copy()
    np.put(out, ind, 0 if tv is None else tv, mode=mode)
    return out


def _written_zeroed(g, winner):
    """The old array's cotangent: ``g`` where nothing was written."""
    return np.where(winner >= 0, 0, g)


defvjp("put", lambda g, ans, a, v, ind, mode: _written_zeroed(g, _put_winners(g.shape, ind, mode, g.device)[0]),
       lambda g, ans, a, v, ind, mode: _put_values_vjp(g, v, ind, mode), shape_only=(1,))
defjvp_all("put", _put_jvp)


def _along_winners(shape, indices, axis, device):
    """(serial number of the write that lands at each position, -1 if none; the write serials
    in the shape of the written block): ``put_along_axis`` replayed."""
    winner = np.full(shape, -1, dtype=np.intp, device=device)
    block = np.take_along_axis(winner, indices, axis=axis).shape
    serial = np.reshape(np.arange(math.prod(block), device=device), block)
    np.put_along_axis(winner, indices, serial, axis)
    return winner, serial


def _put_along_values_vjp(g, indices, axis):
    winner, serial = _along_winners(g.shape, indices, axis, g.device)
    return np.where(np.take_along_axis(winner, indices, axis=axis) == serial,
                    np.take_along_axis(g, indices, axis=axis), 0)


def _put_along_jvp(tangents, ans, arr, values, indices, axis):
    ta, tv = tangents
    out = np.zeros_like(arr) if ta is None else ta.copy()
    np.put_along_axis(out, indices, 0 if tv is None else tv, axis)
    return out


defvjp("put_along_axis",
       lambda g, ans, arr, values, indices, axis:
       _written_zeroed(g, _along_winners(g.shape, indices, axis, g.device)[0]),
       lambda g, ans, arr, values, indices, axis: _put_along_values_vjp(g, indices, axis))
defjvp_all("put_along_axis", _put_along_jvp)


def _search_with_guess(key, arr, guess):
    """NumPy's ``binary_search_with_guess`` (its compiled ``interp``'s search), step for step:
    for sample points that are not increasing (NaNs among them) its answer depends on the
    comparisons it makes, so only the same comparisons give NumPy's result."""
    n = len(arr)
    if key > arr[n - 1]:
        return n
    if key < arr[0]:
        return -1
    if n <= 4:
        i = 1
        while i < n and key >= arr[i]:
            i += 1
        return i - 1
    cache = 8
    imin, imax = 0, n
    guess = max(min(guess, n - 3), 1)
    if key < arr[guess]:
        if key < arr[guess - 1]:
            imax = guess - 1
            if guess > cache and key >= arr[guess - cache]:
                imin = guess - cache
        else:
            return guess - 1
    else:
        if key < arr[guess + 1]:
            return guess
        if key < arr[guess + 2]:
            return guess + 1
        imin = guess + 2
        if guess < n - cache - 1 and key < arr[guess + cache]:
            imax = guess + cache
    while imin < imax:
        imid = imin + ((imax - imin) >> 1)
        if key >= arr[imid]:
            imin = imid + 1
        else:
            imax = imid
    return imin - 1


@kernel_op("interp_index", **N)
def interp_index(xp, points, x):
    """For each ``x``, the interval of the float64 sample ``points`` NumPy's ``interp`` uses:
    -1 left of them, ``len(points)`` right of them (NaN ``x`` gives anything: it is masked)."""
    n = points.shape[0]
    if n == 1 or bool(xp.all(points[1:] >= points[:-1])):  # increasing, no NaN: a bisection
        j = xp.searchsorted(points, x, side="right") - 1
        return xp.where(x > points[-1], n, j)
    arr = points.tolist()
    keys = x.ravel().tolist()
    out, j = [], 0
    for key in keys:
        if key != key:
            out.append(0)
            continue
        j = _search_with_guess(key, arr, j)
        out.append(j)
    return xp.asarray(out, dtype=xp.intp).reshape(x.shape)
