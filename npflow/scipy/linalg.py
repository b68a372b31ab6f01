"""``npflow.scipy.linalg``: SciPy's linear algebra with SciPy's signatures, differentiable.

Composites of ``npflow.linalg``'s differentiable ops (cholesky, qr, svd, eigh, solve, det,
inv) and npflow ops; ``lu`` is a primitive on SciPy's kernel with its own derivative rules
(square matrices), ``sqrtm`` one whose rules solve a Sylvester equation in npflow ops, and
``schur``/``hessenberg`` run SciPy's kernels with no derivative rule (differentiating them
raises). ``funm`` is the eigendecomposition's composite (differentiable where the eigenvalues
are distinct, as SciPy's Schur-Parlett value is accurate only there). ``overwrite_*`` arguments are accepted and ignored (npflow never overwrites inputs);
``check_finite=True`` raises SciPy's ValueError for infinite or NaN input.
"""
import math as _math

import npflow as np
from .._core.dispatch import apply, composite
from .._core.registry import Op, register
from ..autodiff.rules import defvjp, defjvp
from ._kernels import scipy_kernel

__all__ = ["cholesky", "cho_factor", "cho_solve", "solve_triangular", "lu", "lu_factor", "lu_solve",
           "qr", "svd", "eigh", "eigh_tridiagonal", "det", "inv", "solve", "expm", "expm_frechet",
           "sqrtm", "schur", "hessenberg", "polar", "solve_sylvester", "block_diag", "toeplitz",
           "hankel", "circulant", "companion"]


def _arr(a, check_finite=False, name="array"):
    a = np.asarray(a)
    if check_finite and a.dtype.kind in "fc" and not bool(np.all(np.isfinite(a))):
        raise ValueError("array must not contain infs or NaNs")
    return a


def _float(a):
    return a if a.dtype.kind in "fc" else a.astype(np.float64)


def _square(a, fname):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{fname}(): expected a square matrix (or a stack of them), got {a.dtype} {a.shape}")


def _H(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _T(x):
    return np.swapaxes(x, -1, -2)


# -- factorizations and solves -------------------------------------------------------------------
@composite
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a Hermitian positive-definite ``a``: upper (``U^H U = a``) unless
    ``lower`` (``L L^H = a``)."""
    a = _float(_arr(a, check_finite))
    _square(a, "cholesky")
    L = np.linalg.cholesky(a)
    return L if lower else _H(L)


@composite
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for :func:`cho_solve`: the factor in one triangle of ``c`` and, as SciPy's
    (LAPACK leaves it), ``a``'s own entries in the other."""
    a = _float(_arr(a, check_finite))
    c = cholesky(a, lower=lower, check_finite=False)
    n = a.shape[-1]
    tri = np.tri(n, dtype=bool, device=a.device) if lower else ~np.tri(n, k=-1, dtype=bool, device=a.device)
    return np.where(tri, c, a), lower


@composite
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """The solution of ``a x = b`` given :func:`cho_factor`'s ``(c, lower)``."""
    c, lower = c_and_lower
    c, b = _arr(c, check_finite), _arr(b, check_finite)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or b.shape[0] != c.shape[0]:
        raise ValueError(f"cho_solve(): incompatible dimensions: c {c.shape}, b {b.shape}")
    L = np.tril(c) if lower else _H(np.triu(c))
    return solve_triangular(L, solve_triangular(L, b, lower=True, check_finite=False), trans="C",
                            lower=True, check_finite=False)


_TRANS = {0: "N", 1: "T", 2: "C", "N": "N", "T": "T", "C": "C"}


@composite
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """The solution of ``op(a) x = b`` for triangular ``a`` (only its ``lower`` or upper triangle
    is read), ``op`` the identity, the transpose (``trans=1``) or conjugate transpose (2)."""
    a, b = _arr(a, check_finite), _arr(b, check_finite)
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular(): trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or b.shape[0] != a.shape[0]:
        raise ValueError(f"solve_triangular(): shapes of a {a.shape} and b {b.shape} are incompatible")
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t - np.diag(np.diagonal(t)) + np.eye(a.shape[0], dtype=t.dtype, device=t.device)
    t = {"N": t, "T": t.T, "C": np.conj(t.T)}[_TRANS[trans]]
    return np.linalg.solve(t, b)


# lu: P, L, U with a = P L U, a primitive on SciPy's kernel (its derivative: F = L^-1 P^T da U^-1,
# dL = L tril(F, -1), dU = triu(F) U)
_LU = register(Op("scipy.linalg.lu", scipy_kernel("linalg", "lu"), nout=3))


def _lu_jvp(t, ans, a, **_):
    p, l, u = ans
    f = np.linalg.solve(l, _T(p) @ t) @ np.linalg.inv(u)
    return np.zeros_like(p), l @ np.tril(f, -1), np.triu(f) @ u


def _lu_vjp(g, ans, a, **_):
    p, l, u = ans
    gl, gu = g[1], g[2]
    x = np.tril(_T(l) @ gl, -1) + np.triu(gu @ _T(u))
    return p @ np.linalg.solve(_T(l), x) @ _T(np.linalg.inv(u))


defvjp(_LU, _lu_vjp)
defjvp(_LU, _lu_jvp)


@composite
def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``(P, L, U)`` with ``a = P L U`` (``(P L, U)`` if ``permute_l``); differentiable for
    square ``a`` (L and U's derivatives; P is piecewise constant)."""
    a = _float(_arr(a, check_finite))
    _square(a, "lu")
    p, l, u = apply(_LU, a)
    if permute_l:
        return p @ l, u
    if p_indices:
        return np.argmax(p, axis=-2).astype(np.int32), l, u
    return p, l, u


_PIV = register(Op("scipy.linalg.lu_factor.piv",
                   lambda xp: (lambda a, k=scipy_kernel("linalg", "lu_factor")(xp): k(a)[1]),
                   differentiable=False))
_PERM = register(Op("scipy.linalg.lu_solve.perm",
                    lambda xp: lambda piv: xp.asarray(_perm_of_piv(piv.tolist()), dtype=xp.intp),
                    differentiable=False))


def _perm_of_piv(piv):
    """LAPACK's row interchanges ``piv`` as the permutation they make of 0 .. n-1."""
    perm = list(range(len(piv)))
    for i, j in enumerate(piv):
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@composite
def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)`` for :func:`lu_solve`: L (unit diagonal, not stored) and U in one matrix, and
    LAPACK's pivot indices."""
    a = _float(_arr(a, check_finite))
    _square(a, "lu_factor")
    _, l, u = apply(_LU, a)
    return np.tril(l, -1) + u, apply(_PIV, a)


@composite
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """The solution of ``a x = b`` (``a^T x = b`` for trans=1, ``a^H`` for 2) from :func:`lu_factor`."""
    lu_, piv = lu_and_piv
    lu_, b = _arr(lu_, check_finite), _arr(b, check_finite)
    perm = apply(_PERM, piv)
    n = lu_.shape[0]
    l = np.tril(lu_, -1) + np.eye(n, dtype=lu_.dtype, device=lu_.device)
    u = np.triu(lu_)
    t = _TRANS.get(trans)
    if t is None:
        raise ValueError(f"lu_solve(): trans must be 0, 1 or 2, got {trans!r}")
    if t == "N":   # a = P L U with P's rows: (P^T a)[i] = a[perm[i]]
        return np.linalg.solve(u, np.linalg.solve(l, b[perm]))
    op = (lambda m: m.T) if t == "T" else (lambda m: np.conj(m.T))
    y = np.linalg.solve(op(l), np.linalg.solve(op(u), b))
    return y[np.argsort(perm)]


@composite
def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """SciPy's QR: ``mode`` 'full' (Q square), 'economic', 'r' (``(R,)``) or 'raw'-less; no
    column pivoting (``pivoting=True`` raises)."""
    if pivoting:
        raise ValueError("qr(): pivoting=True is not supported by npflow.scipy.linalg.qr (its "
                         "permutation has no derivative); use pivoting=False")
    a = _float(_arr(a, check_finite))
    if mode == "full":
        return tuple(np.linalg.qr(a, mode="complete"))
    if mode == "economic":
        return tuple(np.linalg.qr(a, mode="reduced"))
    if mode == "r":
        return (np.triu(np.linalg.qr(a, mode="complete")[1]),)
    raise ValueError(f"qr(): mode must be 'full', 'economic' or 'r', got {mode!r}")


@composite
def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """``U, s, Vh`` (``s`` alone without ``compute_uv``)."""
    a = _float(_arr(a, check_finite))
    if not compute_uv:
        return np.linalg.svdvals(a)
    return tuple(np.linalg.svd(a, full_matrices=full_matrices))


@composite
def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """The eigenvalues (ascending) and eigenvectors of Hermitian ``a``, or of the generalized
    problem ``a v = w b v`` (``type=1``) with ``b`` positive definite (vectors normalized so
    that ``v^H b v = I``, as SciPy's). Differentiable where the eigenvalues are distinct."""
    a = _float(_arr(a, check_finite))
    _square(a, "eigh")
    if type != 1:
        raise ValueError(f"eigh(): only type=1 (a v = w b v) is supported, got type={type}")
    uplo = "L" if lower else "U"
    if b is not None:
        b = _float(_arr(b, check_finite))
        bs = (np.tril(b) + _H(np.tril(b, -1))) if lower else (np.triu(b) + _H(np.triu(b, 1)))
        L = np.linalg.cholesky(bs)
        a_s = (np.tril(a) + _H(np.tril(a, -1))) if lower else (np.triu(a) + _H(np.triu(a, 1)))
        c = np.linalg.solve(L, _H(np.linalg.solve(L, a_s)))
        w, y = np.linalg.eigh(c)
        v = np.linalg.solve(_H(L), y)
    else:
        w, v = np.linalg.eigh(a, UPLO=uplo)
    if subset_by_index is not None:
        lo, hi = subset_by_index
        w, v = w[..., lo:hi + 1], v[..., lo:hi + 1]
    if subset_by_value is not None:
        lo, hi = subset_by_value
        keep = np.nonzero((np.stop_gradient(w) > lo) & (np.stop_gradient(w) <= hi))[0]
        w, v = w[keep], v[:, keep]
    return w if eigvals_only else (w, v)


@composite
def eigh_tridiagonal(d, e, eigvals_only=False, select="a", select_range=None, check_finite=True,
                     tol=0.0, lapack_driver="auto"):
    """The eigenvalues (and vectors) of the real symmetric tridiagonal matrix with diagonal ``d``
    and off-diagonal ``e``."""
    d, e = _float(_arr(d, check_finite)), _float(_arr(e, check_finite))
    if d.ndim != 1 or e.shape != (d.shape[0] - 1,):
        raise ValueError(f"eigh_tridiagonal(): d must be 1-d and e one shorter, got {d.shape}, {e.shape}")
    m = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    if select == "a":
        return eigh(m, eigvals_only=eigvals_only, check_finite=False)
    if select == "i":
        return eigh(m, eigvals_only=eigvals_only, subset_by_index=select_range, check_finite=False)
    if select == "v":
        return eigh(m, eigvals_only=eigvals_only, subset_by_value=select_range, check_finite=False)
    raise ValueError(f"eigh_tridiagonal(): select must be 'a', 'i' or 'v', got {select!r}")


@composite
def det(a, overwrite_a=False, check_finite=True):
    """The determinant of square ``a`` (or of each matrix of a stack)."""
    a = _arr(a, check_finite)
    _square(a, "det")
    return np.linalg.det(_float(a))


@composite
def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    """The inverse of square ``a`` (LinAlgError for a singular one)."""
    a = _arr(a, check_finite)
    _square(a, "inv")
    return np.linalg.inv(_float(a))


@composite
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, assume_a=None,
          transposed=False):
    """The solution of ``a x = b`` (``a^T x = b`` if ``transposed``); a 1-d ``b`` is one vector.
    ``assume_a`` 'sym'/'her'/'pos' reads only the ``lower`` or upper triangle, as SciPy's."""
    a, b = _float(_arr(a, check_finite)), _arr(b, check_finite)
    _square(a, "solve")
    if assume_a in ("sym", "symmetric", "her", "hermitian", "pos", "positive definite"):
        t = np.tril(a, -1) if lower else np.triu(a, 1)
        conj = np.conj if assume_a in ("her", "hermitian", "pos", "positive definite") else (lambda m: m)
        a = t + conj(_T(t)) + np.diag(np.diagonal(a))
    elif assume_a in ("lower triangular", "upper triangular"):
        a = np.tril(a) if assume_a[0] == "l" else np.triu(a)
    if transposed:
        a = _T(a)
    if b.ndim == 1:
        return np.linalg.solve(a, b[:, None])[:, 0]
    return np.linalg.solve(a, b)


# -- matrix functions ----------------------------------------------------------------------------
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


@composite
def expm(A):
    """The matrix exponential (Higham's degree-13 Padé approximant with scaling and squaring;
    the scaling is chosen from the value, the approximant differentiates)."""
    A = _float(np.asarray(A))
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"expm(): expected a square matrix (or a stack of them), got {A.shape}")
    n = A.shape[-1]
    if n == 0:
        return A * 1
    norm = float(np.max(np.sum(np.abs(np.stop_gradient(A)), axis=-2)))
    s = max(0, int(_math.ceil(_math.log2(norm / _THETA13)))) if norm > 0 and _math.isfinite(norm) else 0
    A = A / 2.0 ** s
    b = _PADE13
    ident = np.eye(n, dtype=A.dtype, device=A.device)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    R = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


@composite
def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """The Fréchet derivative of expm at ``A`` in the direction ``E`` (with ``expm(A)`` first if
    ``compute_expm``): the upper-right block of expm([[A, E], [0, A]])."""
    A, E = _float(_arr(A, check_finite)), _float(_arr(E, check_finite))
    if A.ndim != 2 or A.shape[0] != A.shape[1] or E.shape != A.shape:
        raise ValueError(f"expm_frechet(): expected square A and E of one shape, got {A.shape}, {E.shape}")
    n = A.shape[0]
    big = np.concatenate([np.concatenate([A, E], axis=1),
                          np.concatenate([np.zeros_like(A), A], axis=1)], axis=0)
    X = expm(big)
    return (X[:n, :n], X[:n, n:]) if compute_expm else X[:n, n:]


@composite
def solve_sylvester(a, b, q):
    """The solution X of ``a X + X b = q`` (as a linear system in vec(X): small matrices)."""
    a, b, q = (_float(np.asarray(m)) for m in (a, b, q))
    m, n = q.shape
    k = np.kron(np.eye(n, dtype=a.dtype, device=a.device), a) + np.kron(_T(b), np.eye(m, dtype=b.dtype, device=b.device))
    x = np.linalg.solve(k, np.reshape(_T(q), (m * n,)))
    return _T(np.reshape(x, (n, m)))


# sqrtm: SciPy's kernel; dX solves X dX + dX X = dA (its transpose for the vjp)
def _sqrtm_kernel(k):
    def sqrtm(a):
        r = k(a)
        return r[0] if isinstance(r, tuple) else r
    return sqrtm


_SQRTM = register(Op("scipy.linalg.sqrtm", lambda xp: _sqrtm_kernel(scipy_kernel("linalg", "sqrtm")(xp))))


defjvp(_SQRTM, lambda t, ans, a: solve_sylvester(ans, ans, t))
defvjp(_SQRTM, lambda g, ans, a: solve_sylvester(_T(ans), _T(ans), g))


@composite
def sqrtm(A, disp=True, blocksize=64):
    """The principal matrix square root (SciPy's kernel), differentiable."""
    A = _arr(A)
    _square(A, "sqrtm")
    return apply(_SQRTM, A)


def _tuple_kernel(k):
    return lambda a, **kw: tuple(k(a, **kw))


_SCHUR = register(Op("scipy.linalg.schur", lambda xp: _tuple_kernel(scipy_kernel("linalg", "schur")(xp)),
                     nout=2, differentiable=None))
_HESS = register(Op("scipy.linalg.hessenberg", lambda xp: _tuple_kernel(scipy_kernel("linalg", "hessenberg")(xp)),
                    nout=2, differentiable=None))


def schur(a, output="real", lwork=None, overwrite_a=False, sort=None, check_finite=True):
    """``(T, Z)`` with ``a = Z T Z^H`` (SciPy's kernel; no derivative rule: differentiating raises)."""
    return apply(_SCHUR, _arr(a, check_finite), output=output, sort=sort)


def hessenberg(a, calc_q=False, overwrite_a=False, check_finite=True):
    """The upper Hessenberg form ``H`` (and ``Q`` with ``a = Q H Q^H``) (SciPy's kernel; no derivative rule)."""
    h, q = apply(_HESS, _arr(a, check_finite), calc_q=True)
    return (h, q) if calc_q else h


@composite
def polar(a, side="right"):
    """The polar decomposition ``a = u p`` (``side='left'``: ``a = p u``) from the SVD."""
    a = _float(np.asarray(a))
    if a.ndim != 2:
        raise ValueError(f"polar(): `a` must be a 2-D array, got {a.shape}")
    w, s, vh = np.linalg.svd(a, full_matrices=False)
    u = w @ vh
    if side == "right":
        return u, (_H(vh) * s) @ vh
    if side == "left":
        return u, (w * s) @ _H(w)
    raise ValueError("polar(): `side` must be either 'right' or 'left'")


# -- special matrices ----------------------------------------------------------------------------
@composite
def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (each made at least 2-d), of their common dtype."""
    if not arrs:
        return np.empty((1, 0))
    arrs = [np.atleast_2d(np.asarray(a)) for a in arrs]
    bad = [a.shape for a in arrs if a.ndim > 2]
    if bad:
        raise ValueError(f"block_diag(): arguments must have dimension <= 2, got shapes {bad}")
    dtype = np.result_type(*[a.dtype for a in arrs])
    total = sum(a.shape[1] for a in arrs)
    rows, c = [], 0
    for a in arrs:
        r, k = a.shape
        rows.append(np.concatenate([np.zeros((r, c), dtype=dtype, device=a.device), a.astype(dtype),
                                    np.zeros((r, total - c - k), dtype=dtype, device=a.device)], axis=1))
        c += k
    return np.concatenate(rows, axis=0)


def _index_matrix(m, n, device):
    """(m - 1) - i + j: where entry (i, j) of a Toeplitz matrix reads the vector [c[::-1], r[1:]]."""
    return (m - 1) - np.arange(m, device=device)[:, None] + np.arange(n, device=device)[None, :]


@composite
def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` and first row ``r`` (``conj(c)`` if None;
    ``r[0]`` is ignored), as SciPy's (inputs flattened)."""
    c = np.ravel(np.asarray(c))
    r = np.conj(c) if r is None else np.ravel(np.asarray(r))
    vals = np.concatenate([c[::-1], r[1:]])
    return vals[_index_matrix(c.shape[0], r.shape[0], vals.device)]


@composite
def hankel(c, r=None):
    """The Hankel matrix with first column ``c`` and last row ``r`` (zeros if None)."""
    c = np.ravel(np.asarray(c))
    r = np.zeros_like(c) if r is None else np.ravel(np.asarray(r))
    vals = np.concatenate([c, r[1:]])
    m, n = c.shape[0], r.shape[0]
    idx = np.arange(m, device=vals.device)[:, None] + np.arange(n, device=vals.device)[None, :]
    return vals[idx]


@composite
def circulant(c):
    """The circulant matrix whose first column is ``c``."""
    c = np.ravel(np.asarray(c))
    n = c.shape[0]
    idx = (np.arange(n, device=c.device)[:, None] - np.arange(n, device=c.device)[None, :]) % max(n, 1)
    return c[idx]


@composite
def companion(a):
    """The companion matrix of the polynomial with coefficients ``a`` (highest degree first)."""
    a = np.ravel(np.asarray(a))
    if a.shape[0] < 2:
        raise ValueError("companion(): the length of `a` must be at least 2.")
    if bool(a[0] == 0):
        raise ValueError("companion(): the first coefficient in `a` must not be zero.")
    first = -a[1:] / (1.0 * a[0])
    n = a.shape[0] - 1
    below = np.eye(n - 1, n, dtype=first.dtype, device=first.device)
    return np.concatenate([first[None, :], below], axis=0)


@composite
def fiedler(a):
    """The symmetric Fiedler matrix ``|a_i - a_j|``."""
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"fiedler(): expected a 1-d array, got {a.shape}")
    return np.abs(a[:, None] - a[None, :])


@composite
def leslie(f, s):
    """The Leslie matrix: fecundities ``f`` in the first row, survival ``s`` on the subdiagonal."""
    f, s = np.atleast_1d(np.asarray(f)), np.atleast_1d(np.asarray(s))
    if f.ndim != 1 or s.ndim != 1 or f.shape[0] < 2 or s.shape[0] != f.shape[0] - 1:
        raise ValueError(f"leslie(): f must be 1-d of length >= 2 and s one shorter, got {f.shape}, {s.shape}")
    dtype = np.result_type(f.dtype, s.dtype)
    below = np.concatenate([np.diag(s), np.zeros((s.shape[0], 1), dtype=s.dtype, device=s.device)], axis=1)
    return np.concatenate([f[None, :], below], axis=0).astype(dtype)


# Matrices made from sizes alone (no array argument: no derivative): SciPy's kernels


def _constant(name):
    op = register(Op(f"scipy.linalg.{name}", scipy_kernel("linalg", name), differentiable=False))
    return lambda **params: apply(op, **params)


def hilbert(n):
    """The Hilbert matrix of order ``n``."""
    return _HILBERT(n=n)


def invhilbert(n, exact=False):
    """The inverse of the Hilbert matrix of order ``n``."""
    return _INVHILBERT(n=n, exact=exact)


def pascal(n, kind="symmetric", exact=True):
    """The Pascal matrix ('symmetric', 'lower' or 'upper')."""
    return _PASCAL(n=n, kind=kind, exact=exact)


def invpascal(n, kind="symmetric", exact=True):
    """The inverse of the Pascal matrix."""
    return _INVPASCAL(n=n, kind=kind, exact=exact)


def hadamard(n, dtype=int):
    """The Hadamard matrix of order ``n`` (a power of 2)."""
    return _HADAMARD(n=n, dtype=dtype)


def helmert(n, full=False):
    """The Helmert matrix of order ``n``."""
    return _HELMERT(n=n, full=full)


def dft(n, scale=None):
    """The discrete Fourier transform matrix."""
    return _DFT(n=n, scale=scale)


_HILBERT, _INVHILBERT, _PASCAL, _INVPASCAL, _HADAMARD, _HELMERT, _DFT = (
    _constant(n) for n in ("hilbert", "invhilbert", "pascal", "invpascal", "hadamard", "helmert", "dft"))
__all__ += ["fiedler", "leslie", "hilbert", "invhilbert", "pascal", "invpascal", "hadamard", "helmert", "dft"]


# -- the rest of jax.scipy.linalg's names --------------------------------------------------------
def _toeplitz_last(col, row):
    """The Toeplitz matrices of first columns ``col`` and first rows ``row`` (last axis; batched)."""
    vals = np.concatenate([col[..., ::-1], row[..., 1:]], axis=-1)
    return vals[..., _index_matrix(col.shape[-1], row.shape[-1], vals.device)]


@composite
def convolution_matrix(a, n, mode="full"):
    """The matrix ``A`` with ``A @ v == convolve(a, v, mode)`` for ``v`` of length ``n`` (a Toeplitz
    matrix; batched over ``a``'s leading axes)."""
    if n <= 0:
        raise ValueError("convolution_matrix(): n must be a positive integer.")
    a = np.asarray(a)
    if a.size == 0:
        raise ValueError("convolution_matrix(): len(a) must be at least 1.")
    if mode not in ("full", "valid", "same"):
        raise ValueError("convolution_matrix(): 'mode' argument must be one of ('full', 'valid', 'same')")
    a = np.atleast_1d(a)
    pad = [(0, 0)] * (a.ndim - 1) + [(0, n - 1)]
    az, raz = np.pad(a, pad), np.pad(a[..., ::-1], pad)
    length = az.shape[-1]
    if mode == "full":
        tb = te = 0
        col0, row0 = az, raz[..., length - n:]
    else:
        trim = min(n, a.shape[-1]) - 1
        tb = trim // 2 if mode == "same" else trim
        te = trim - tb if mode == "same" else trim
        col0, row0 = az[..., tb:length - te], raz[..., length - n - tb:length - tb]
    return _toeplitz_last(col0, row0)


def _fiedler_index(n):
    """Where each entry of the n x n Fiedler companion matrix reads [0, 1, -a[1], -a[2], ...]."""
    idx = [[0] * n for _ in range(n)]
    for i, j in zip(range(3, n, 2), range(1, n - 2, 2)):
        idx[i][j] = 1
    for k, (i, j) in enumerate(zip(range(2, n, 2), range(1, n - 1, 2))):
        idx[i][j] = 2 + 3 + 2 * k - 1            # -a[3 + 2k]
    for i, j in zip(range(0, n - 2, 2), range(2, n, 2)):
        idx[i][j] = 1
    for k, (i, j) in enumerate(zip(range(0, n - 1, 2), range(1, n, 2))):
        idx[i][j] = 2 + 2 + 2 * k - 1            # -a[2 + 2k]
    idx[0][0] = 2                                 # -a[1]
    if n > 1:
        idx[1][0] = 1
    return idx


@composite
def fiedler_companion(a):
    """The Fiedler companion matrix of the polynomial with coefficients ``a`` (highest degree
    first; batched over leading axes): its eigenvalues are the polynomial's roots."""
    a = np.atleast_1d(np.asarray(a))
    if a.shape[-1] <= 2:
        if a.shape[-1] == 2:
            return -(a[..., -1:] / a[..., :1])[..., None]
        return np.empty((0,) if a.ndim == 1 else a.shape[:-1] + (0,), dtype=a.dtype)
    if bool(np.any(a[..., 0] == 0)):
        raise ValueError("fiedler_companion(): leading coefficient is zero.")
    a = a / a[..., :1]
    n = a.shape[-1] - 1
    vals = np.concatenate([np.zeros_like(a[..., :1]), np.ones_like(a[..., :1]), -a[..., 1:]], axis=-1)
    return vals[..., np.asarray(_fiedler_index(n), device=vals.device)]


@composite
def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False, overwrite_c=False):
    """``(c @ Q, R)`` (``mode='right'``) or ``(Q @ c, R)`` (``'left'``) of ``a = Q R`` with ``Q``'s
    first ``min(M, N)`` columns (conjugated if ``conjugate``); a 1-d ``c`` gives a 1-d product."""
    if mode not in ("left", "right"):
        raise ValueError(f"qr_multiply(): mode argument can only be 'left' or 'right' but not '{mode}'")
    if pivoting:
        raise ValueError("qr_multiply(): pivoting=True is not supported (its permutation has no derivative)")
    c = _arr(c, True)
    onedim = c.ndim < 2
    if onedim:
        c = np.atleast_2d(c)
        if mode == "left":
            c = c.T
    a = _float(np.atleast_2d(_arr(a, True)))
    M, N = a.shape
    if mode == "left" and c.shape[0] != min(M, N):
        raise ValueError(f"qr_multiply(): array shapes are not compatible for Q @ c operation: "
                         f"{a.shape} vs {c.shape}")
    if mode == "right" and c.shape[1] != M:
        raise ValueError(f"qr_multiply(): array shapes are not compatible for c @ Q operation: "
                         f"{c.shape} vs {a.shape}")
    q, r = np.linalg.qr(a, mode="reduced")
    if conjugate:
        q = np.conj(q)
    cq = (c @ q if mode == "right" else q @ c).astype(q.dtype)
    return (np.ravel(cq) if onedim else cq), r


@composite
def rsf2csf(T, Z, check_finite=True):
    """The complex Schur form ``(T, Z)`` of a real one (2 x 2 blocks reduced by Givens rotations)."""
    Z, T = _arr(Z, check_finite), _arr(T, check_finite)
    for name, X in (("Z", Z), ("T", T)):
        if X.ndim != 2 or X.shape[0] != X.shape[1]:
            raise ValueError(f"rsf2csf(): input '{name}' must be square, got {X.shape}")
    if T.shape[0] != Z.shape[0]:
        raise ValueError(f"rsf2csf(): input array shapes must match: Z: {Z.shape} vs. T: {T.shape}")
    single = all(X.dtype in (np.float32, np.complex64) for X in (Z, T))
    t = np.complex64 if single else np.complex128
    Z, T = Z.astype(t), T.astype(t)
    eps = float(np.finfo(np.float64).eps)
    for m in range(T.shape[0] - 1, 0, -1):
        below = T[m, m - 1]
        if bool(np.abs(below) > eps * (np.abs(T[m - 1, m - 1]) + np.abs(T[m, m]))):
            mu = np.linalg.eigvals(T[m - 1:m + 1, m - 1:m + 1]) - T[m, m]
            r = np.sqrt(np.abs(mu[0]) ** 2 + np.abs(below) ** 2)
            c, s = mu[0] / r, below / r
            G = np.stack([np.stack([np.conj(c), s]), np.stack([-s, c])]).astype(t)
            GH = _H(G)
            T = _with_block(T, slice(m - 1, m + 1), slice(m - 1, None), G @ T[m - 1:m + 1, m - 1:])
            T = _with_block(T, slice(0, m + 1), slice(m - 1, m + 1), T[:m + 1, m - 1:m + 1] @ GH)
            Z = _with_block(Z, slice(None), slice(m - 1, m + 1), Z[:, m - 1:m + 1] @ GH)
        T = _with_block(T, slice(m, m + 1), slice(m - 1, m), np.zeros((1, 1), dtype=t))
    return T, Z


def _with_block(X, rows, cols, value):
    """``X`` with the block ``X[rows, cols]`` replaced by ``value`` (a new array: the operands the
    gradient saved stay as they were)."""
    r0, r1, _ = rows.indices(X.shape[0])
    c0, c1, _ = cols.indices(X.shape[1])
    inside = np.zeros(X.shape, dtype=bool, device=X.device)
    inside[rows, cols] = True
    return np.where(inside, np.pad(value, [(r0, X.shape[0] - r1), (c0, X.shape[1] - c1)]), X)


def _funm_error(A, F):
    """SciPy's estimate of funm's relative error, from the complex Schur form's triangle and the
    smallest gap between its diagonal entries (no derivative: a diagnostic)."""
    A = np.stop_gradient(A)
    T, _ = rsf2csf(*schur(A), check_finite=False)
    d = np.diagonal(T)
    gaps = np.abs(d[None, :] - d[:, None])[np.triu(np.ones(T.shape, dtype=bool), 1)]
    minden = min(float(np.abs(d[0])), float(np.min(gaps)) if gaps.size else float("inf"))
    tol = float(np.finfo(np.float32 if F.dtype in (np.float32, np.complex64) else np.float64).eps)
    minden = tol if minden == 0.0 else minden
    t1 = float(np.max(np.sum(np.abs(np.triu(T, 1)), axis=0))) if T.shape[0] else 0.0
    err = min(1, max(tol, (tol / minden) * t1))
    err = float("inf") if not bool(np.all(np.isfinite(np.stop_gradient(F)))) else err
    return np.asarray(err, dtype=np.float32 if tol > 1e-10 else np.float64), tol


@composite
def funm(A, func, disp=True):
    """The matrix function ``f(A)`` of ``func`` (a function of arrays, applied to the eigenvalues):
    ``V diag(func(w)) V^-1`` from the eigendecomposition, real for real ``A`` where the imaginary
    parts are negligible, as SciPy's; with ``disp=False`` also SciPy's error estimate."""
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"funm(): expected square array_like input, got {A.shape}")
    w, V = np.linalg.eig(A)
    Fd = np.asarray(func(w)).astype(w.dtype)
    F = (V * Fd[None, :]) @ np.linalg.inv(V)
    if A.dtype.kind != "c":
        single = F.dtype == np.complex64
        tol = float(np.finfo(np.float32).eps) * 1e3 if single else float(np.finfo(np.float64).eps) * 1e6
        if bool(np.allclose(np.stop_gradient(np.imag(F)), 0.0, atol=tol)):
            F = np.real(F)
    err, tol = _funm_error(A, F)
    if disp:
        if err > 1000 * tol:
            print("funm result may be inaccurate, approximate err =", err)
        return F
    return F, err


__all__ += ["convolution_matrix", "fiedler_companion", "qr_multiply", "rsf2csf", "funm"]
