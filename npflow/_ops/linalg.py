"""Linear algebra primitives: one LAPACK call each (``xp.linalg.*``), rules at the bottom.

Kernels return plain tuples (never NumPy's named tuples: the public functions build those).
Factorisations whose LAPACK routine reads one triangle only (cholesky, eigh, eigvalsh) are
differentiated as functions of that triangle, as NumPy computes them.
"""
import inspect

from .._core.registry import KERNEL_CALLS, Op, kernel_op, register, xp_op

OPS = {name: xp_op(f"linalg.{name}", f"linalg.{name}") for name in ("inv", "det")}


def _op(name, nout=1, **kw):
    def deco(fn):
        OPS[name] = kernel_op(f"linalg.{name}", nout=nout, **kw)(fn)
        return fn
    return deco


@_op("slogdet", 2)
def _slogdet(xp, a):
    return tuple(xp.linalg.slogdet(a))


def _broadcast(s, t):
    """The broadcast of two shapes (pure Python: the kernel's own metadata)."""
    n = max(len(s), len(t))
    s, t = (1,) * (n - len(s)) + tuple(s), (1,) * (n - len(t)) + tuple(t)
    if any(i != j and 1 not in (i, j) for i, j in zip(s, t)):
        raise ValueError(f"operands could not be broadcast together with batch shapes {s} and {t}")
    return tuple(max(i, j) if 0 not in (i, j) else 0 for i, j in zip(s, t))


@_op("solve")
def _solve(xp, a, b):
    """NumPy 2's (and the standard's) rule, spelled out for every backend (CuPy still follows
    NumPy 1's): b is a vector (stack) only when 1-d, else a broadcast stack of matrices."""
    if b.ndim == 1:
        return xp.linalg.solve(a, b[:, None])[..., 0] if a.ndim > 2 else xp.linalg.solve(a, b)
    if a.ndim >= 2 and a.shape[:-2] != b.shape[:-2]:
        batch = _broadcast(a.shape[:-2], b.shape[:-2])
        a, b = xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:])
    return xp.linalg.solve(a, b)


def _cholesky_impl(xp):
    chol = xp.linalg.cholesky
    try:
        has_upper = "upper" in inspect.signature(chol).parameters
    except (TypeError, ValueError):
        has_upper = False
    if has_upper:
        return lambda a, upper=False: chol(a, upper=True) if upper else chol(a)

    def cholesky(a, upper=False):  # U = L(A^H)^H reads A's upper triangle, as LAPACK's 'U'
        if not upper:
            return chol(a)
        return xp.conj(xp.swapaxes(chol(xp.conj(xp.swapaxes(a, -1, -2))), -1, -2))
    return cholesky


OPS["cholesky"] = register(Op("linalg.cholesky", _cholesky_impl))


@_op("qr", 2)
def _qr(xp, a, mode="reduced"):
    return tuple(xp.linalg.qr(a, mode=mode))


# The Householder form (mode='raw'): it has a derivative, but no rule is written for this
# internal representation (reflectors and scalings); differentiate mode='reduced' instead.
@_op("qr_raw", 2, differentiable=None)
def _qr_raw(xp, a):
    return tuple(xp.linalg.qr(a, mode="raw"))


@_op("svd", 3)
def _svd(xp, a, full_matrices=True):
    return tuple(xp.linalg.svd(a, full_matrices=full_matrices))


@_op("svdvals")
def _svdvals(xp, a):
    return xp.linalg.svd(a, compute_uv=False)


@_op("eigh", 2)
def _eigh(xp, a, UPLO="L"):
    return tuple(xp.linalg.eigh(a, UPLO=UPLO))


@_op("eigvalsh")
def _eigvalsh(xp, a, UPLO="L"):
    return xp.linalg.eigvalsh(a, UPLO=UPLO)


# eig and eigvals always give complex results (DESIGN: decisions; README's deviations): NumPy's
# dtype depends on the values (real when every eigenvalue is), which a trace cannot know.
def _complex(xp, x):
    return x.astype(xp.result_type(x.dtype, xp.complex64), copy=False)


KERNEL_CALLS.update(("linalg.eig", "linalg.eigvals"))


@_op("eig", 2)
def _eig(xp, a):
    return tuple(_complex(xp, r) for r in xp.linalg.eig(a))


@_op("eigvals")
def _eigvals(xp, a):
    return _complex(xp, xp.linalg.eigvals(a))


@_op("lstsq", 4)
def _lstsq(xp, a, b, rcond=None):
    x, resids, rank, s = xp.linalg.lstsq(a, b, rcond=rcond)
    return x, resids, xp.asarray(rank), s


# -- derivative rules (written in npflow ops: DESIGN.md invariant 3) -------------------------
# Complex numbers: each vjp is the transpose of its jvp (JAX's convention). Where a jvp is not
# complex-linear (it conjugates, or takes real parts), the vjp is written as the adjoint A* of the
# jvp for the real inner product Re<x, y>, and turned into the transpose as conj(A*(conj(g)))
# (``_transposed``). Derivatives of eigen/singular vectors need distinct eigen/singular values;
# they fix the vectors' free phase (sign) so that v_j^H dv_j is real: check them on functions
# that do not depend on that phase (eigenvalues, |v|^2, v v^H, u s v^H).
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp  # noqa: E402


def _T(x):
    return np.swapaxes(x, -1, -2)


def _c(x):
    return np.conj(x) if x.dtype.kind == "c" else x


def _H(x):
    return _c(_T(x))


def _eye(n, like):
    return np.eye(n, dtype=like.dtype, device=like.device)


def _diag(v):
    """Vectors ``v[..., n]`` as diagonal matrices."""
    return v[..., :, None] * _eye(v.shape[-1], v)


def _diagonal(m):
    return np.diagonal(m, 0, -2, -1)


def _transposed(adjoint):
    """A vjp rule from the adjoint of the jvp (for the real inner product): conj(A*(conj(g)))."""
    def vjp(g, ans, *operands, **params):
        g = tuple(_c(x) for x in g) if type(g) is tuple else _c(g)
        return _c(adjoint(g, ans, *operands, **params))
    return vjp


def _gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    d = w[..., None, :] - w[..., :, None]
    eye = _eye(w.shape[-1], d) != 0
    return np.where(eye, 0, 1 / np.where(eye, 1, d))


def _half(x, lower=True):
    """The triangle LAPACK reads, with the diagonal halved: a tangent t acts as _half(t) + _half(t)^H."""
    tri = np.tril(x, -1) if lower else np.triu(x, 1)
    return tri + 0.5 * x * _eye(x.shape[-1], x)


def _sym(x, lower=True):
    """The Hermitian matrix a one-triangle routine sees when its input moves by ``x``."""
    h = _half(x, lower)
    return h + _H(h)


def _sym_adjoint(y, lower=True):
    """The adjoint of ``_sym``."""
    return _half(y + _H(y), lower)


def _mv(a, x):
    """``a @ x`` for a matrix stack and a vector stack."""
    return np.matmul(a, x[..., None])[..., 0]


# inv, det, slogdet, solve: holomorphic, one-line rules
defvjp("linalg.inv", lambda g, ans, a: -np.matmul(_T(ans), np.matmul(g, _T(ans))))
defjvp("linalg.inv", lambda t, ans, a: -np.matmul(ans, np.matmul(t, ans)))
defvjp("linalg.det", lambda g, ans, a: (g * ans)[..., None, None] * _T(np.linalg.inv(a)))
defjvp("linalg.det", lambda t, ans, a: ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))


def _slogdet_vjp(g, ans, a):
    gsign, glog = g
    coef = glog if a.dtype.kind != "c" else glog + 1j * np.imag(gsign * ans[0])
    return coef[..., None, None] * _T(np.linalg.inv(a))


def _slogdet_jvp(t, ans, a):
    tr = np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    return (ans[0] * (1j * np.imag(tr)) if a.dtype.kind == "c" else None), np.real(tr)


defvjp("linalg.slogdet", _slogdet_vjp)
defjvp("linalg.slogdet", _slogdet_jvp)


def _solve_ct_b(g, a, b):
    return _mv_solve(_T(a), g, b.ndim == 1)


def _mv_solve(a, b, vector):
    return np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)


def _outer_or_matmul(x, y, vector):
    """x y^T for vector stacks, x @ y^T for matrix stacks."""
    return x[..., :, None] * y[..., None, :] if vector else np.matmul(x, _T(y))


defvjp("linalg.solve",
       lambda g, ans, a, b: -_outer_or_matmul(_solve_ct_b(g, a, b), ans, b.ndim == 1),
       lambda g, ans, a, b: _solve_ct_b(g, a, b), shape_only=(1,))
defjvp("linalg.solve",
       lambda t, ans, a, b: -_mv_solve(a, _mv(t, ans) if b.ndim == 1 else np.matmul(t, ans), b.ndim == 1),
       lambda t, ans, a, b: _mv_solve(a, t, b.ndim == 1))


# cholesky: A = L L^H from A's lower triangle (upper=True: U = L^H from the upper one)
def _chol_jvp_lower(L, t):
    z = _H(np.linalg.solve(L, _H(np.linalg.solve(L, _sym(t)))))  # L^-1 dA L^-H
    return np.matmul(L, _half(z))


def _chol_adjoint_lower(L, y):
    LH = _H(L)
    z = _H(np.linalg.solve(LH, _H(np.linalg.solve(LH, _half(np.matmul(LH, y))))))  # L^-H . L^-1
    return _sym_adjoint(z)


def _chol_jvp(t, ans, a, upper=False):
    return _H(_chol_jvp_lower(_H(ans), _H(t))) if upper else _chol_jvp_lower(ans, t)


def _chol_adjoint(g, ans, a, upper=False):
    return _H(_chol_adjoint_lower(_H(ans), _H(g))) if upper else _chol_adjoint_lower(ans, g)


defvjp("linalg.cholesky", _transposed(_chol_adjoint), shape_only=(0,))
defjvp("linalg.cholesky", _chol_jvp)


# qr (modes 'reduced' and 'complete'): A = Q R. For M >= N (JAX's rule); for M < N, A = [X | Y]
# with X square: X = Q U as for a square matrix, and R = [U | Q^H Y]. Mode 'complete' with
# M > N: the last M - N columns of Q are any orthonormal completion, without a derivative.
def _qr_square_jvp(q, r, t):
    """(dQ, dR) for M >= N."""
    n = r.shape[-1]
    tr = _T(np.linalg.solve(_T(r), _T(t)))  # dA R^-1
    p = np.matmul(_H(q), tr)
    low = np.tril(p, -1)
    do = low - _H(low)
    if p.dtype.kind == "c":
        do = do + _eye(n, p) * (p - np.real(p))
    return np.matmul(q, do - p) + tr, np.matmul(p - do, r)


def _qr_square_adjoint(q, r, gq, gr):
    """The adjoint of ``_qr_square_jvp`` (as a map of dA)."""
    n = r.shape[-1]
    # dQ = Q (do - P) + T, dR = (P - do) R with T = dA R^-1, P = Q^H T, do = skew(tril(P, -1)) + i Im diag P
    m_do = np.matmul(_H(q), gq) - np.matmul(gr, _H(r))  # coefficient of do
    m_p = np.matmul(gr, _H(r)) - np.matmul(_H(q), gq)   # coefficient of P (besides do's)
    low = np.tril(m_do - _H(m_do), -1)
    adj_p = m_p + low
    if m_do.dtype.kind == "c":
        adj_p = adj_p + _eye(n, m_do) * (1j * np.imag(m_do))
    adj_t = gq + np.matmul(q, adj_p)
    return _H(np.linalg.solve(r, _H(adj_t)))  # (adj_T) R^-H


def _qr_jvp(t, ans, a, mode="reduced"):
    q, r = ans
    m, n = a.shape[-2:]
    if m >= n:
        dq, dr = _qr_square_jvp(q[..., :, :n], r[..., :n, :], t)
        if q.shape[-1] > n:  # mode 'complete', M > N: no derivative for the completion
            dq = np.concatenate([dq, np.full_like(q[..., n:], np.nan)], axis=-1)
            dr = np.concatenate([dr, np.zeros_like(r[..., n:, :])], axis=-2)
        return dq, dr
    dq, du = _qr_square_jvp(q, r[..., :, :m], t[..., :, :m])
    dv = np.matmul(_H(dq), a[..., :, m:]) + np.matmul(_H(q), t[..., :, m:])
    return dq, np.concatenate([du, dv], axis=-1)


def _qr_adjoint(g, ans, a, mode="reduced"):
    (gq, gr), (q, r) = g, ans
    m, n = a.shape[-2:]
    if m >= n:
        if q.shape[-1] > n:
            _no_completion(gq[..., n:], "qr", "mode='reduced'")
            gq, gr, q, r = gq[..., :n], gr[..., :n, :], q[..., :n], r[..., :n, :]
        return _qr_square_adjoint(q, r, gq, gr)
    y = a[..., :, m:]
    gv = gr[..., :, m:]
    gq = gq + np.matmul(y, _H(gv))  # dV = dQ^H Y + Q^H dY
    gx = _qr_square_adjoint(q, r[..., :, :m], gq, gr[..., :, :m])
    return np.concatenate([gx, np.matmul(q, gv)], axis=-1)


def _no_completion(g_extra, fn, fix):
    """A nonzero cotangent on an orthonormal completion has no derivative to give: an error."""
    if g_extra.size and bool(np.any(g_extra != 0)):
        raise ValueError(f"linalg.{fn}(): the derivative of the orthonormal completion (the columns past "
                         f"min(M, N)) is not defined; use {fix}")


defvjp("linalg.qr", _transposed(_qr_adjoint))
defjvp("linalg.qr", _qr_jvp)


# svd: A = U diag(s) Vh, reduced (full_matrices=True with M != N: the extra columns of U or
# rows of Vh have no derivative: NaN tangents, and an error for a nonzero cotangent).
def _svd_jvp_reduced(u, s, vh, t):
    v = _H(vh)
    p = np.matmul(_H(u), np.matmul(t, v))
    ds = np.real(_diagonal(p))
    f = _gaps(s * s)
    sr, sc = s[..., None, :], s[..., :, None]
    du = np.matmul(u, f * (p * sr + sc * _H(p)))
    if p.dtype.kind == "c":
        du = du + u * (1j * np.imag(_diagonal(p)) / s)[..., None, :]
    dv = np.matmul(v, f * (sc * p + _H(p) * sr))
    m, n = t.shape[-2:]
    if m > n:
        tv = np.matmul(t, v)
        du = du + (tv - np.matmul(u, np.matmul(_H(u), tv))) / sr
    if n > m:
        tu = np.matmul(_H(t), u)
        dv = dv + (tu - np.matmul(v, np.matmul(vh, tu))) / sr
    return du, ds, _H(dv)


def _svd_adjoint_reduced(u, s, vh, gu, gs, gvh):
    v, gv = _H(vh), _H(gvh)
    f = _gaps(s * s)
    sr, sc = s[..., None, :], s[..., :, None]
    ku, kv = np.matmul(_H(u), gu), np.matmul(vh, gv)
    x = _diag(gs) + f * (ku - _H(ku)) * sr + sc * (f * (kv - _H(kv)))
    if ku.dtype.kind == "c":
        x = x + _diag(1j * np.imag(_diagonal(ku)) / s)
    ga = np.matmul(u, np.matmul(x, vh))
    m, n = u.shape[-2], vh.shape[-1]
    if m > n:
        gus = gu / sr
        ga = ga + np.matmul(gus - np.matmul(u, np.matmul(_H(u), gus)), vh)
    if n > m:
        gvs = _H(gv) / sc
        ga = ga + np.matmul(u, gvs - np.matmul(np.matmul(gvs, v), vh))
    return ga


def _svd_jvp(t, ans, a, full_matrices=True):
    u, s, vh = ans
    k = s.shape[-1]
    du, ds, dvh = _svd_jvp_reduced(u[..., :k], s, vh[..., :k, :], t)
    if u.shape[-1] > k:
        du = np.concatenate([du, np.full_like(u[..., k:], np.nan)], axis=-1)
    if vh.shape[-2] > k:
        dvh = np.concatenate([dvh, np.full_like(vh[..., k:, :], np.nan)], axis=-2)
    return du, ds, dvh


def _svd_adjoint(g, ans, a, full_matrices=True):
    (gu, gs, gvh), (u, s, vh) = g, ans
    k = s.shape[-1]
    _no_completion(gu[..., k:], "svd", "full_matrices=False")
    _no_completion(gvh[..., k:, :], "svd", "full_matrices=False")
    return _svd_adjoint_reduced(u[..., :k], s, vh[..., :k, :], gu[..., :k], gs, gvh[..., :k, :])


defvjp("linalg.svd", _transposed(_svd_adjoint), shape_only=(0,))
defjvp("linalg.svd", _svd_jvp)


def _svdvals_jvp(t, ans, a):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return np.real(np.sum(_c(u) * np.matmul(t, _H(vh)), axis=-2))


def _svdvals_adjoint(g, ans, a):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return np.matmul(u * g[..., None, :], vh)


defvjp("linalg.svdvals", _transposed(_svdvals_adjoint))
defjvp("linalg.svdvals", _svdvals_jvp)


# eigh / eigvalsh: A v = v diag(w) for the Hermitian matrix of A's UPLO triangle
def _eigh_jvp(t, ans, a, UPLO="L"):
    w, v = ans
    p = np.matmul(_H(v), np.matmul(_sym(t, UPLO == "L"), v))
    return np.real(_diagonal(p)), np.matmul(v, _gaps(w) * p)


def _eigh_adjoint(g, ans, a, UPLO="L"):
    (gw, gv), (w, v) = g, ans
    x = _diag(gw) + _gaps(w) * np.matmul(_H(v), gv)
    return _sym_adjoint(np.matmul(v, np.matmul(x, _H(v))), UPLO == "L")


defvjp("linalg.eigh", _transposed(_eigh_adjoint), shape_only=(0,))
defjvp("linalg.eigh", _eigh_jvp)


def _eigvalsh_jvp(t, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return np.real(np.sum(_c(v) * np.matmul(_sym(t, UPLO == "L"), v), axis=-2))


def _eigvalsh_adjoint(g, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return _sym_adjoint(np.matmul(v * g[..., None, :], _H(v)), UPLO == "L")


defvjp("linalg.eigvalsh", _transposed(_eigvalsh_adjoint))
defjvp("linalg.eigvalsh", _eigvalsh_jvp)


# eig / eigvals: A V = V diag(w), columns of V of unit norm
def _eig_jvp(t, ans, a):
    w, v = ans
    p = np.linalg.solve(v, np.matmul(t, v))
    dv = np.matmul(v, _gaps(w) * p)
    dv = dv - v * np.real(np.sum(_c(v) * dv, axis=-2))[..., None, :]
    return _diagonal(p), dv


def _eig_adjoint(g, ans, a):
    (gw, gv), (w, v) = g, ans
    gv = gv - v * np.real(np.sum(_c(v) * gv, axis=-2))[..., None, :]
    x = _diag(gw) + _c(_gaps(w)) * np.matmul(_H(v), gv)
    return np.linalg.solve(_H(v), np.matmul(x, _H(v)))


defvjp("linalg.eig", _transposed(_eig_adjoint), shape_only=(0,))
defjvp("linalg.eig", _eig_jvp)


def _eigvals_jvp(t, ans, a):
    v = np.linalg.eig(a)[1]
    return _diagonal(np.linalg.solve(v, np.matmul(t, v)))


def _eigvals_adjoint(g, ans, a):
    v = np.linalg.eig(a)[1]
    return np.linalg.solve(_H(v), _diag(g) @ _H(v))


defvjp("linalg.eigvals", _transposed(_eigvals_adjoint))
defjvp("linalg.eigvals", _eigvals_jvp)


# lstsq: x = A^+ b (rank locally constant), residuals |b - A x|^2 per column, s = svdvals(A)
def _lstsq_parts(a, b, ans, rcond):
    m, n = a.shape
    if rcond is None:
        rcond = float(np.finfo(np.float64).eps) * max(m, n)
    pinv = np.linalg.pinv(a, rcond=rcond)
    x = ans[0][:, None] if b.ndim == 1 else ans[0]
    r = (b[:, None] if b.ndim == 1 else b) - np.matmul(a, x)
    return pinv, x, r


def _lstsq_jvp_a(t, ans, a, b, rcond=None):
    pinv, x, r = _lstsq_parts(a, b, ans, rcond)
    ph = _H(pinv)
    dx = -np.matmul(pinv, np.matmul(t, x)) + np.matmul(pinv, np.matmul(ph, np.matmul(_H(t), r))) \
        + np.matmul(_eye(a.shape[1], pinv) - np.matmul(pinv, a), np.matmul(_H(t), np.matmul(ph, x)))
    dres = -2 * np.real(np.sum(_c(r) * np.matmul(t, x), axis=0)) if ans[1].shape[0] else None
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    ds = np.real(np.sum(_c(u) * np.matmul(t, _H(vh)), axis=-2))
    return (dx[:, 0] if b.ndim == 1 else dx), dres, None, ds


def _lstsq_jvp_b(t, ans, a, b, rcond=None):
    pinv, x, r = _lstsq_parts(a, b, ans, rcond)
    dres = 2 * np.real(np.sum(_c(r) * (t[:, None] if b.ndim == 1 else t), axis=0)) if ans[1].shape[0] else None
    return np.matmul(pinv, t), dres, None, None


def _lstsq_adjoint(g, ans, a, b, rcond=None, operand=0):
    gx, gres, _, gs = g
    pinv, x, r = _lstsq_parts(a, b, ans, rcond)
    gx = gx[:, None] if b.ndim == 1 else gx
    ph = _H(pinv)
    if operand == 1:
        gb = np.matmul(ph, gx) + (2 * r * gres if ans[1].shape[0] else 0)
        return gb[:, 0] if b.ndim == 1 else gb
    q = _eye(a.shape[1], pinv) - np.matmul(pinv, a)
    ga = -np.matmul(ph, np.matmul(gx, _H(x))) + np.matmul(r, _H(np.matmul(pinv, np.matmul(ph, gx)))) \
        + np.matmul(np.matmul(ph, x), _H(np.matmul(q, gx)))
    if ans[1].shape[0]:
        ga = ga - 2 * np.matmul(r * gres, _H(x))
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return ga + np.matmul(u * gs[..., None, :], vh)


defvjp("linalg.lstsq", _transposed(_lstsq_adjoint),
       _transposed(lambda g, ans, a, b, rcond=None: _lstsq_adjoint(g, ans, a, b, rcond, operand=1)))
defjvp("linalg.lstsq", _lstsq_jvp_a, _lstsq_jvp_b)
