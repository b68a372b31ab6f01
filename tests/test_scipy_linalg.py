"""npflow.scipy.linalg against scipy.linalg: values, dtypes, shapes and errors of every function
(eigenvectors up to their sign: LAPACK drivers differ), and derivatives that raise."""
import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.linalg as nl
from npflow.autodiff.core import AutodiffError
from support import assert_same, make, same_outcome

sl = pytest.importorskip("scipy.linalg")

RNG = onp.random.default_rng(0)
A = RNG.normal(size=(4, 4))
S = A @ A.T + onp.eye(4)
B = RNG.normal(size=(4, 2))
V = RNG.normal(size=4)

CASES = [
    ("cholesky", (S,), {}), ("cholesky", (S,), {"lower": True}), ("cholesky", (S.astype(onp.float32),), {}),
    ("cholesky", (-S,), {}), ("cholesky", (A[:3],), {}), ("cholesky", (onp.full((2, 2), onp.nan),), {}),
    ("cho_factor", (S,), {}), ("cho_factor", (S,), {"lower": True}),
    ("solve_triangular", (A, B), {}), ("solve_triangular", (A, B), {"lower": True}),
    ("solve_triangular", (A, B[:, 0]), {"trans": 1}), ("solve_triangular", (A, B), {"trans": "C", "unit_diagonal": True}),
    ("solve_triangular", (A.astype(onp.float32), B.astype(onp.float32)), {}), ("solve_triangular", (A, B[:3]), {}),
    ("lu", (A,), {}), ("lu", (A,), {"permute_l": True}), ("lu", (A,), {"p_indices": True}), ("lu_factor", (A,), {}),
    ("qr", (A,), {}), ("qr", (A[:, :3],), {}), ("qr", (A[:, :3],), {"mode": "economic"}), ("qr", (A,), {"mode": "r"}),
    ("svd", (A,), {}), ("svd", (A[:3],), {"full_matrices": False}), ("svd", (A,), {"compute_uv": False}),
    ("eigh", (S,), {"eigvals_only": True}), ("eigh", (S,), {"eigvals_only": True, "lower": False}),
    ("eigh", (A + A.T, S), {"eigvals_only": True}), ("eigh", (S,), {"eigvals_only": True, "subset_by_index": (1, 2)}),
    ("eigh_tridiagonal", (onp.arange(4.0), onp.ones(3)), {"eigvals_only": True}),
    ("det", (A,), {}), ("det", (onp.arange(4).reshape(2, 2),), {}), ("inv", (A,), {}), ("inv", (onp.zeros((2, 2)),), {}),
    ("solve", (A, B), {}), ("solve", (S, B[:, 0]), {"assume_a": "pos"}), ("solve", (A, B), {"transposed": True}),
    ("solve", (S, B), {"assume_a": "sym", "lower": True}), ("solve", (A, B[:3]), {}),
    ("expm", (A,), {}), ("expm", (30 * A,), {}), ("expm", (onp.zeros((3, 3)),), {}),
    ("expm", (onp.stack([A, 2 * A]),), {}), ("expm", (A.astype(onp.float32),), {}),
    ("expm_frechet", (A, S), {}), ("expm_frechet", (A, S), {"compute_expm": False}),
    ("solve_sylvester", (A, S, B @ B.T), {}), ("sqrtm", (S,), {}), ("polar", (A,), {}), ("polar", (A,), {"side": "left"}),
    ("schur", (A,), {}), ("hessenberg", (A,), {}), ("hessenberg", (A,), {"calc_q": True}),
    ("block_diag", (A[:2], onp.array([[1.0]]), onp.arange(3)), {}), ("block_diag", (), {}),
    ("toeplitz", (onp.arange(3.0), onp.arange(5.0)), {}), ("toeplitz", (onp.array([1 + 2j, 3]),), {}),
    ("hankel", (onp.arange(3.0),), {}), ("hankel", (onp.arange(3.0), onp.arange(4.0)), {}),
    ("circulant", (onp.arange(4.0),), {}), ("companion", (onp.array([2.0, 3, 4]),), {}), ("companion", (onp.array([0.0, 3]),), {}),
    ("fiedler", (onp.array([1.0, 4.0, -2.0]),), {}), ("leslie", (onp.array([0.1, 2.0, 1.5]), onp.array([0.2, 0.8])), {}),
    ("leslie", (onp.array([1, 2]), onp.array([1])), {}), ("leslie", (onp.array([0.1]), onp.array([])), {}),
    ("hilbert", (4,), {}), ("invhilbert", (4,), {}), ("invhilbert", (4,), {"exact": True}), ("pascal", (5,), {}),
    ("pascal", (4,), {"kind": "lower", "exact": False}), ("invpascal", (4,), {}), ("hadamard", (4,), {}),
    ("hadamard", (3,), {}), ("helmert", (4,), {}), ("helmert", (4,), {"full": True}), ("dft", (4,), {}),
    ("dft", (3,), {"scale": "sqrtn"}),
    *[("convolution_matrix", (a, n, mode), {}) for a, n in ((V, 3), (V, 6), (V[:2], 5), (B.T, 3), (onp.arange(1, 4), 2))
      for mode in ("full", "same", "valid")],
    ("convolution_matrix", (V, 0), {}), ("convolution_matrix", (V, 3, "bad"), {}), ("convolution_matrix", (V[:0], 3), {}),
    *[("fiedler_companion", (a,), {}) for a in (onp.arange(1.0, 7), onp.arange(1.0, 8).astype(onp.float32), onp.arange(2, 6),
                                                 B.T, onp.array([2.0, 3]), onp.array([1.0]), onp.array([0.0, 1, 2]))],
    *[("qr_multiply", (a, c), kw) for a, c, kw in (
        (A, B.T, {}), (A[:, :3], B.T, {}), (A[:3], B[:3].T, {}), (A[:, :3], B[:3], {"mode": "left"}),
        (A[:3], V[:3], {"mode": "left"}), (A, V, {"conjugate": True}), (A[:3], B[:3], {"mode": "left", "conjugate": True}),
        (A.astype(onp.float32), V.astype(onp.float32), {}), (A, B, {}), (A, B, {"mode": "bad"}), (A, onp.full(4, onp.inf), {}))],
    ("rsf2csf", sl.schur(A), {}), ("rsf2csf", sl.schur(A.astype(onp.float32)), {}), ("rsf2csf", sl.schur(S), {}),
    ("rsf2csf", sl.schur(A + 1j * S), {}), ("rsf2csf", (A, A[:3]), {}), ("rsf2csf", (A[:3], A), {}),
]
SIGN_FREE = {"qr", "svd", "polar", "schur", "hessenberg"}  # results up to the signs of vectors


@pytest.mark.parametrize("name,args,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_against_scipy(name, args, kw):
    if name in SIGN_FREE:
        got = getattr(nl, name)(*[nf.asarray(a) for a in args], **kw)
        want = getattr(sl, name)(*args, **kw)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            assert onp.asarray(g).dtype == w.dtype and onp.asarray(g).shape == w.shape
            onp.testing.assert_allclose(onp.abs(onp.asarray(g)), onp.abs(w), rtol=1e-9, atol=1e-12)
        return
    rtol = 1e-5 if any(getattr(a, "dtype", None) == onp.float32 for a in args) else 1e-10
    same_outcome(getattr(nl, name), getattr(sl, name), *args, rtol=rtol, atol=1e-12, **kw)


FUNM = [(A, "exp"), (S, "sqrt"), (A + 1j * S, "sin"), (A.astype(onp.float32), "exp"), (onp.diag([1.0, 2.0]), "log"),
        (A[:3], "exp")]


@pytest.mark.parametrize("m,f", FUNM, ids=[f"{f}-{i}" for i, (m, f) in enumerate(FUNM)])
def test_funm(m, f):
    rtol = 1e-5 if m.dtype == onp.float32 else 1e-9
    for disp in (True, False):
        same_outcome(lambda a: nl.funm(a, getattr(nf, f), disp), lambda a: sl.funm(a, getattr(onp, f), disp), m,
                     rtol=rtol, atol=rtol)


def test_eigenvectors_and_solvers():
    w, v = nl.eigh(nf.asarray(A + A.T), nf.asarray(S))
    ws, vs = sl.eigh(A + A.T, S)
    assert_same(w, ws, rtol=1e-10)
    onp.testing.assert_allclose(onp.abs(onp.asarray(v)), onp.abs(vs), rtol=1e-8)
    c = sl.cho_factor(S)
    assert_same(nl.cho_solve((nf.asarray(c[0]), c[1]), nf.asarray(B)), sl.cho_solve(c, B), rtol=1e-10)
    f = sl.lu_factor(A)
    for trans in (0, 1, 2):
        assert_same(nl.lu_solve((nf.asarray(f[0]), nf.asarray(f[1])), nf.asarray(B), trans=trans),
                    sl.lu_solve(f, B, trans=trans), rtol=1e-10)


def test_errors_and_no_derivative():
    with pytest.raises(ValueError, match="pivoting"):
        nl.qr(A, pivoting=True)
    with pytest.raises(ValueError, match="infs or NaNs"):
        nl.solve(onp.full((2, 2), onp.inf), onp.ones(2))
    for f in (lambda a: nl.schur(a)[0], lambda a: nl.hessenberg(a)):
        with pytest.raises(AutodiffError):
            nf.grad(lambda a: nf.sum(f(a)))(nf.asarray(A))
    g = nf.grad(lambda a: nf.sum(nl.lu(a)[2]))(nf.asarray(A))           # lu: L and U differentiate
    eps = 1e-6
    fd = (onp.sum(sl.lu(A + eps * onp.eye(4))[2]) - onp.sum(sl.lu(A - eps * onp.eye(4))[2])) / (2 * eps)
    assert abs(float(nf.sum(g * onp.eye(4))) - fd) < 1e-6
