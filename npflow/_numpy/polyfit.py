"""The polynomial functions built on linear algebra: ``polyfit`` (lstsq), ``roots`` (the
companion matrix's eigenvalues) and ``poly`` (coefficients from roots), composites as NumPy's."""
import warnings

import numpy as _onp
from numpy.exceptions import RankWarning

from .._core.public import npflow as _np  # (called at run time, once npflow is imported)
from .._core.dispatch import composite
from .._core.dispatch import warn_at_caller as _warn_at_caller

__all__ = ["polyfit", "roots", "poly"]


def _powers(x, order):
    """``vander(x, order)``: decreasing powers, each the previous times x (as NumPy builds them)."""
    x = x.astype(_onp.promote_types(x.dtype, int))
    cols = [_np.ones(x.shape, dtype=x.dtype, device=x.device)]
    for _ in range(order - 1):
        cols.append(cols[-1] * x)
    return _np.stack(cols[::-1], axis=1)


@composite
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    order = int(deg) + 1
    x = _np.asarray(x) + 0.0
    y = _np.asarray(y) + 0.0
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = _np.asarray(len(x) * _onp.finfo(x.dtype).eps, device=x.device)
    lhs, rhs = _powers(x, order), y
    if w is not None:
        w = _np.asarray(w) + 0.0
        if w.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w.shape[0] != y.shape[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = _np.sqrt(_np.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = _np.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if int(rank) != order and not full:
        _warn_at_caller("Polyfit may be poorly conditioned", RankWarning)
    if full:
        return c, resids, rank, s, rcond
    if cov:
        vbase = _np.linalg.inv(_np.dot(lhs.T, lhs)) / _np.outer(scale, scale)
        if cov == "unscaled":
            fac = 1
        else:
            if len(x) <= order:
                raise ValueError("the number of data points must exceed order to scale the covariance matrix")
            fac = resids / (len(x) - order)
        return c, (vbase * fac if y.ndim == 1 else vbase[:, :, None] * fac)
    return c


def _numpy_eigvals(a):
    """numpy.linalg.eigvals' result, as roots and poly give it: real where ``a`` is real and every
    eigenvalue is (npflow.linalg.eigvals is always complex: README's deviations)."""
    w = _np.linalg.eigvals(a)
    if a.dtype.kind != "c" and not bool(_np.any(_np.imag(w))):
        return _np.real(w)
    return w


@composite
def roots(p):
    if _np.ndim(p) == 0:  # (NumPy's roots takes no scalars either: its dispatcher fails on them)
        raise TypeError("roots(): the coefficients must be a rank-1 array, not a scalar")
    p = _np.atleast_1d(p)
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    non_zero = _np.nonzero(_np.ravel(p))[0]
    if len(non_zero) == 0:
        return _np.array([], device=p.device)
    first, last = int(non_zero[0]), int(non_zero[-1])
    trailing_zeros = len(p) - last - 1
    p = p[first:last + 1]
    if p.dtype.kind not in "fc":
        p = p.astype(float)
    n = len(p)
    if n > 1:  # the companion matrix: first row -p[1:] / p[0], ones below the diagonal
        below = _np.eye(n - 2, n - 1, dtype=p.dtype, device=p.device)
        r = _numpy_eigvals(_np.concatenate([(-p[1:] / p[0])[None, :], below], axis=0))
    else:
        r = _np.array([], device=p.device)
    return _np.hstack((r, _np.zeros(trailing_zeros, r.dtype, device=p.device)))


@composite
def poly(seq_of_zeros):
    if _np.ndim(seq_of_zeros) == 0:  # (NumPy's poly takes no scalars either: its dispatcher fails)
        raise TypeError("poly(): input must be 1d or non-empty square 2d array, not a scalar")
    seq_of_zeros = _np.atleast_1d(seq_of_zeros)
    sh = seq_of_zeros.shape
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        seq_of_zeros = _numpy_eigvals(seq_of_zeros)
    elif len(sh) == 1:
        if seq_of_zeros.dtype.char not in "GDFgdfO":  # NumPy's mintypecode (object arrays kept)
            seq_of_zeros = seq_of_zeros.astype(_np.float64)
    else:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if len(seq_of_zeros) == 0:
        return 1.0
    dt = seq_of_zeros.dtype
    a = _np.ones((1,), dtype=dt, device=seq_of_zeros.device)
    zero = _np.zeros((1,), dtype=dt, device=seq_of_zeros.device)
    for z in seq_of_zeros:  # a = convolve(a, [1, -z]): a[0] * 1 stays itself (NaN zeros too)
        a = _np.concatenate([a[:1], a[1:] + a[:-1] * -z, a[-1:] * -z])
    if a.dtype.kind == "c":  # roots in conjugate pairs: the coefficients are real
        r = _np.asarray(seq_of_zeros, dtype=complex)
        if bool(_np.all(_np.sort(r) == _np.sort(_np.conj(r)))):
            a = _np.real(a).copy()
    return a
