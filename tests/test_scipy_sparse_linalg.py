"""npflow.scipy.sparse.linalg (cg, gmres, bicgstab) against scipy.sparse.linalg: SciPy's iterates
(values, info, callbacks) for every kind of operator; the implicit derivatives' limits. (Their
derivatives against finite differences: tests/gradspecs/scipy_sparse.py.)"""
import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.sparse.linalg as nsl

ssl = pytest.importorskip("scipy.sparse.linalg")
sps = pytest.importorskip("scipy.sparse")

N = 8
_B = onp.random.default_rng(0).normal(size=(N, N))
MATRICES = {"cg": _B @ _B.T + N * onp.eye(N), "gmres": _B + 3 * onp.eye(N), "bicgstab": _B + 3 * onp.eye(N)}
RHS = onp.random.default_rng(1).normal(size=N)
OPERATORS = {"array": nf.asarray, "numpy": lambda A: A, "function": lambda A: (lambda v: nf.asarray(A) @ v),
             "LinearOperator": ssl.aslinearoperator, "csr": sps.csr_matrix}
KWARGS = [{}, {"rtol": 1e-10}, {"maxiter": 3}, {"atol": 1e-3, "rtol": 0.0}, {"x0": onp.ones(N)},
          {"M": "jacobi"}, {"restart": 3}]


@pytest.mark.parametrize("name,kw", [(n, k) for n in sorted(MATRICES) for k in range(len(KWARGS))
                                     if n == "gmres" or "restart" not in KWARGS[k]])
@pytest.mark.parametrize("kind", sorted(OPERATORS))
def test_values_against_scipy(name, kind, kw):
    A, kw = MATRICES[name], dict(KWARGS[kw])
    if kw.get("M") == "jacobi":
        kw["M"] = onp.diag(1 / onp.diag(A))
    seen, want_seen = [], []
    x, info = getattr(nsl, name)(OPERATORS[kind](A), nf.asarray(RHS), callback=lambda xk: seen.append(xk),
                                 **({"callback_type": "x"} if name == "gmres" else {}), **kw)
    same = OPERATORS[kind](A) if kind in ("numpy", "LinearOperator", "csr") else A  # (SciPy's own kinds)
    want, want_info = getattr(ssl, name)(same, RHS, callback=lambda xk: want_seen.append(xk.copy()),
                                         **({"callback_type": "x"} if name == "gmres" else {}), **kw)
    assert info == want_info and isinstance(x, nf.ndarray) and x.shape == (N,) and x.dtype == onp.float64
    # (gmres sums its basis in another order: SciPy's iterates to rounding)
    onp.testing.assert_allclose(onp.asarray(x), want, rtol=1e-10, atol=1e-12)
    assert len(seen) == len(want_seen)
    onp.testing.assert_allclose(onp.asarray(nf.stack(seen)), onp.stack(want_seen), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_complex_and_float32(name):
    A = MATRICES[name] + 1j * onp.diag(onp.arange(N) * 0.1)
    b = RHS + 0.5j
    x, info = getattr(nsl, name)(nf.asarray(A), nf.asarray(b), rtol=1e-10)
    want, want_info = getattr(ssl, name)(A, b, rtol=1e-10)
    assert info == want_info and x.dtype == onp.complex128
    onp.testing.assert_allclose(onp.asarray(x), want, rtol=1e-8)
    x, _ = getattr(nsl, name)(nf.asarray(MATRICES[name], dtype=nf.float32), nf.asarray(RHS, dtype=nf.float32))
    assert x.dtype == onp.float32
    onp.testing.assert_allclose(onp.asarray(x), onp.linalg.solve(MATRICES[name], RHS), rtol=1e-3)


def test_gmres_callback_types():
    A = MATRICES["gmres"]
    for callback_type in ("pr_norm", "legacy"):
        got, want = [], []
        nsl.gmres(nf.asarray(A), nf.asarray(RHS), restart=3, callback=got.append, callback_type=callback_type)
        ssl.gmres(A, RHS, restart=3, callback=want.append, callback_type=callback_type)
        onp.testing.assert_allclose(got, want, rtol=1e-8)
    with pytest.raises(ValueError, match="callback_type"):
        nsl.gmres(nf.asarray(A), nf.asarray(RHS), callback=print, callback_type="y")


def test_errors_and_derivative_limits():
    A, b = nf.asarray(MATRICES["cg"]), nf.asarray(RHS)
    with pytest.raises(ValueError, match=r"cg\(\): A must be a square matrix matching b.*float64\[8, 7\]"):
        nsl.cg(A[:, :7], b)
    with pytest.raises(ValueError, match=r"gmres\(\): b must be a vector"):
        nsl.gmres(A, nf.ones((8, 2)))
    with pytest.raises(TypeError, match=r"bicgstab\(\): A must be an array, a function or a linear operator"):
        nsl.bicgstab("A", b)
    with pytest.raises(ValueError, match="atol"):
        nsl.cg(A, b, atol=-1.0)
    # an operator closing over an array being differentiated: an error, not a lost derivative
    with pytest.raises(nf.AutodiffError, match="cg.*operator A depends"):
        nf.grad(lambda s: nf.sum(nsl.cg(lambda v: s * (A @ v), b)[0]))(nf.asarray(2.0))
    with pytest.raises(nf.AutodiffError, match=r"gmres\(\): the iteration did not converge \(info=2\)"):
        nf.grad(lambda b: nf.sum(nsl.gmres(A, b, maxiter=2, restart=1)[0]))(b)
    # the derivative in b through an operator; in A as a matrix (an (n, 1) b solves as (n,))
    g = nf.grad(lambda b: nf.sum(nsl.cg(lambda v: A @ v, b, rtol=1e-12)[0]))(b)
    onp.testing.assert_allclose(onp.asarray(g), onp.linalg.solve(MATRICES["cg"].T, onp.ones(N)), rtol=1e-9)
    x, _ = nsl.cg(A, nf.reshape(b, (N, 1)))
    assert x.shape == (N,)
    # the callback sees the problem's iterates only, not the derivative's solves
    seen, want = [], []
    nf.grad(lambda b: nf.sum(nsl.bicgstab(A, b, callback=seen.append)[0]))(b)
    ssl.bicgstab(MATRICES["cg"], RHS, callback=want.append)
    assert len(seen) == len(want)
