"""numpy.linalg (and polyfit, roots, poly) against NumPy: values, dtypes, shapes, result types,
stacked and empty inputs, exceptions, devices."""
import warnings

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from support import DEVICES, assert_same, ids, make, outcomes, raises_like_numpy

DTYPES = [onp.float64, onp.float32, onp.complex128, onp.complex64, onp.int64, onp.bool_]
SQUARE = [(3, 3), (2, 3, 3), (1, 1), (0, 0), (2, 0, 0)]
GENERAL = [(3, 4), (4, 3), (2, 4, 3), (0, 3), (3, 0), (2, 0, 3)]


def _tol(x):
    """Tolerances for results of dtype ``x`` (composites may differ from NumPy by a few ulp)."""
    single = any(getattr(r, "dtype", None) in (onp.float32, onp.complex64) for r in
                 (x if isinstance(x, tuple) else (x,)))
    return dict(rtol=2e-5, atol=2e-5) if single else dict(rtol=1e-10, atol=1e-12)


def _nf(a):
    return nf.asarray(a.copy()) if isinstance(a, onp.ndarray) else a


def check(fn, *args, exact_type=True):
    """``fn(module, *args)`` with NumPy (and numpy.linalg) and npflow: same results or exception."""
    res = outcomes(lambda m: fn(m, *(args if m is onp else [_nf(a) for a in args])))
    if res is None:
        return None
    got, expected = res
    if exact_type and isinstance(expected, tuple):
        assert type(got) is type(expected), f"{type(got).__name__} != NumPy's {type(expected).__name__}"
    assert_same(got, expected, **_tol(expected))
    return got


def square(shape, dtype, seed=0):
    """Well-conditioned square matrices."""
    n = shape[-1]
    a = make(shape, onp.float64, seed=seed) + 4 * onp.eye(n) if n else onp.zeros(shape)
    if onp.dtype(dtype).kind == "c":
        a = a + 1j * make(shape, onp.float64, seed=seed + 1)
    return a.astype(dtype) if onp.dtype(dtype).kind != "b" else onp.ones(shape, bool) ^ (a > 3)


def hermitian_pd(shape, dtype, seed=0):
    a = square(shape, onp.complex128 if onp.dtype(dtype).kind == "c" else onp.float64, seed)
    return (a @ onp.conj(onp.swapaxes(a, -1, -2)) + shape[-1] * onp.eye(shape[-1])).astype(dtype)


def inexact(dtype):
    return onp.dtype(dtype).kind in "fc"


def _complex(m, r):
    """eig and eigvals are always complex in npflow (README's deviations): NumPy's result as the
    same complex dtype (NumPy's is real where every eigenvalue is)."""
    if m is nf:
        return r
    c = lambda x: x.astype(onp.result_type(x.dtype, onp.complex64))
    return type(r)(*map(c, r)) if isinstance(r, tuple) else c(r)


# -- one input: square matrices -------------------------------------------------------------
SQUARE_FUNCS = {
    "inv": lambda m, a: m.linalg.inv(a),
    "det": lambda m, a: m.linalg.det(a),
    "slogdet": lambda m, a: m.linalg.slogdet(a),
    "eigvals": lambda m, a: _complex(m, m.linalg.eigvals(a)),
    "eig": lambda m, a: _complex(m, m.linalg.eig(a)),
    "eigh": lambda m, a: m.linalg.eigh(a),
    "eigh-U": lambda m, a: m.linalg.eigh(a, UPLO="U"),
    "eigvalsh-u": lambda m, a: m.linalg.eigvalsh(a, "u"),
    "matrix_power-0": lambda m, a: m.linalg.matrix_power(a, 0),
    "matrix_power-1": lambda m, a: m.linalg.matrix_power(a, 1),
    "matrix_power-3": lambda m, a: m.linalg.matrix_power(a, 3),
    "matrix_power-6": lambda m, a: m.linalg.matrix_power(a, 6),
    "matrix_power--2": lambda m, a: m.linalg.matrix_power(a, -2),
    "cond": lambda m, a: m.linalg.cond(a),
    "cond--2": lambda m, a: m.linalg.cond(a, -2),
    "cond-fro": lambda m, a: m.linalg.cond(a, "fro"),
    "cond-1": lambda m, a: m.linalg.cond(a, 1),
    "cond-inf": lambda m, a: m.linalg.cond(a, onp.inf),
    "svd-hermitian": lambda m, a: m.linalg.svd(a, hermitian=True),
    "svdvals-hermitian": lambda m, a: m.linalg.svd(a, compute_uv=False, hermitian=True),
    "pinv-hermitian": lambda m, a: m.linalg.pinv(a, hermitian=True),
    "matrix_rank-hermitian": lambda m, a: m.linalg.matrix_rank(a, hermitian=True),
    "tensorinv": lambda m, a: m.linalg.tensorinv(a[..., None, :], ind=1) if a.ndim == 2 else None,
}


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("shape", SQUARE, ids=str)
@pytest.mark.parametrize("name", list(SQUARE_FUNCS))
def test_square_matrix_functions(name, shape, dtype):
    check(SQUARE_FUNCS[name], square(shape, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("shape", SQUARE, ids=str)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, dtype, upper):
    check(lambda m, a: m.linalg.cholesky(a, upper=upper), hermitian_pd(shape, dtype))


# -- one input: any matrix ------------------------------------------------------------------
GENERAL_FUNCS = {
    "qr": lambda m, a: m.linalg.qr(a),
    "qr-complete": lambda m, a: m.linalg.qr(a, mode="complete"),
    "qr-r": lambda m, a: m.linalg.qr(a, mode="r"),
    "qr-raw": lambda m, a: m.linalg.qr(a, mode="raw"),
    "svd": lambda m, a: m.linalg.svd(a),
    "svd-reduced": lambda m, a: m.linalg.svd(a, full_matrices=False),
    "svd-no-uv": lambda m, a: m.linalg.svd(a, compute_uv=False),
    "svdvals": lambda m, a: m.linalg.svdvals(a),
    "pinv": lambda m, a: m.linalg.pinv(a),
    "pinv-rcond": lambda m, a: m.linalg.pinv(a, 0.3),
    "pinv-rtol": lambda m, a: m.linalg.pinv(a, rtol=None),
    "matrix_rank": lambda m, a: m.linalg.matrix_rank(a),
    "matrix_rank-tol": lambda m, a: m.linalg.matrix_rank(a, tol=5.0),
    "matrix_rank-rtol": lambda m, a: m.linalg.matrix_rank(a, rtol=0.5),
    "norm": lambda m, a: m.linalg.norm(a),
    "norm-keepdims": lambda m, a: m.linalg.norm(a, keepdims=True),
    "matrix_transpose": lambda m, a: m.linalg.matrix_transpose(a),
    "diagonal": lambda m, a: m.linalg.diagonal(a, offset=1),
    "trace": lambda m, a: m.linalg.trace(a, offset=-1),
    "trace-dtype": lambda m, a: m.linalg.trace(a, dtype=onp.complex128),
    "vector_norm": lambda m, a: m.linalg.vector_norm(a),
    "vector_norm-axis-keepdims": lambda m, a: m.linalg.vector_norm(a, axis=-1, keepdims=True),
    "vector_norm-axes-ord": lambda m, a: m.linalg.vector_norm(a, axis=(0, -1), ord=3),
    "vector_norm-axes-keepdims": lambda m, a: m.linalg.vector_norm(a, axis=(-1, 0), ord=onp.inf,
                                                                   keepdims=True),
    "vector_norm-ord0": lambda m, a: m.linalg.vector_norm(a, ord=0),
    "vector_norm-ord-inf": lambda m, a: m.linalg.vector_norm(a, axis=0, ord=-onp.inf),
    "vector_norm-ord1": lambda m, a: m.linalg.vector_norm(a, axis=1, ord=1),
    "vector_norm-ord-1.5": lambda m, a: m.linalg.vector_norm(a, ord=-1.5),
}
GENERAL_FUNCS.update({f"matrix_norm-{o}": (lambda o: lambda m, a: m.linalg.matrix_norm(a, ord=o))(o)
                      for o in ("fro", "nuc", 1, -1, 2, -2, onp.inf, -onp.inf)})
GENERAL_FUNCS["matrix_norm-keepdims"] = lambda m, a: m.linalg.matrix_norm(a, keepdims=True, ord=1)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("shape", GENERAL, ids=str)
@pytest.mark.parametrize("name", list(GENERAL_FUNCS))
def test_matrix_functions(name, shape, dtype):
    check(GENERAL_FUNCS[name], make(shape, dtype, seed=3))


NORMS = [(None, None), (2, 0), (1, 1), (onp.inf, -1), (-onp.inf, 0), (0, 1), (3, 0), (-1, 1), (0.5, 0),
         ("fro", (0, 1)), ("nuc", (1, 0)), (2, (0, 1)), (-2, (0, 1)), (1, (1, 0)), (-1, (0, 1)),
         (onp.inf, (0, 1)), (-onp.inf, (1, 0)), (None, (0, 1)), ("f", None), (2, None), (1, None)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ord,axis", NORMS, ids=str)
@pytest.mark.parametrize("dtype", [onp.float64, onp.float32, onp.complex128, onp.int32], ids=str)
def test_norm(ord, axis, dtype, keepdims):
    for shape in [(4,), (3, 4), (2, 3, 4)]:
        check(lambda m, a: m.linalg.norm(a, ord, axis, keepdims), make(shape, dtype, seed=5))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 3),
       st.sampled_from([None, 1, 2, -2, onp.inf, "fro", "nuc"]))
def test_norm_hypothesis(m, n, seed, ord):
    a = onp.random.default_rng(seed).standard_normal((m, n))
    check(lambda mod, x: mod.linalg.norm(x, ord), a)


# -- two inputs ---------------------------------------------------------------------------------
def _pair(a_shape, b_shape, dtype, a_fn=square):
    return a_fn(a_shape, dtype), make(b_shape, dtype, seed=7)


BINARY = [
    ("solve", lambda m, a, b: m.linalg.solve(a, b), [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                                                     ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (3, 2)),
                                                     ((3, 3), (2, 3, 2)), ((0, 0), (0,)), ((3, 3), (3, 0))]),
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b), [((4, 3), (4,)), ((3, 4), (3, 2)), ((4, 3), (4, 0)),
                                                     ((3, 3), (3,)), ((0, 3), (0,))]),
    ("lstsq-rcond", lambda m, a, b: m.linalg.lstsq(a, b, rcond=0.5), [((4, 3), (4, 2))]),
    ("tensorsolve", lambda m, a, b: m.linalg.tensorsolve(a.reshape(a.shape[:1] + (1,) + a.shape[1:]), b[:, None]),
     [((3, 3), (3,))]),
    ("matmul", lambda m, a, b: m.linalg.matmul(a, b), [((3, 3), (3,)), ((2, 3, 3), (3, 2))]),
    ("tensordot", lambda m, a, b: m.linalg.tensordot(a, b, axes=1), [((3, 3), (3, 2))]),
    ("tensordot-pairs", lambda m, a, b: m.linalg.tensordot(a, b, axes=([0], [0])), [((3, 3), (3, 2))]),
    ("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), [((3, 3), (3,)), ((2, 3, 3), (3, 3))]),
    ("vecdot-axis", lambda m, a, b: m.linalg.vecdot(a, b, axis=0), [((3, 3), (3, 2))]),
    ("outer", lambda m, a, b: m.linalg.outer(a[0], b), [((3, 3), (4,)), ((0, 0), (2,))]),
    ("cross", lambda m, a, b: m.linalg.cross(a, b), [((3, 3), (3,)), ((2, 3, 3), (3, 3))]),
    ("cross-axis", lambda m, a, b: m.linalg.cross(a, b, axis=0), [((3, 3), (3, 2))]),
    ("multi_dot", lambda m, a, b: m.linalg.multi_dot([a, a, b]), [((3, 3), (3, 2)), ((3, 3), (3,))]),
    ("multi_dot-4", lambda m, a, b: m.linalg.multi_dot([a[0], a, a.T, b]), [((3, 3), (3, 2)), ((3, 3), (3,))]),
    ("multi_dot-2", lambda m, a, b: m.linalg.multi_dot([a, b]), [((3, 3), (3, 2))]),
    ("multi_dot-6", lambda m, a, b: m.linalg.multi_dot([b.T, a, a, a[:, :2], b.T, a]), [((3, 3), (3, 2))]),
]
BINARY_CASES = [(name, fn, sa, sb) for name, fn, shapes in BINARY for sa, sb in shapes]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name,fn,sa,sb", BINARY_CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in BINARY_CASES])
def test_two_operand_functions(name, fn, sa, sb, dtype):
    a, b = _pair(sa, sb, dtype, square if sa[-1] == sa[-2] else make)
    check(fn, a, b)


def test_multi_dot_out():
    a, b = square((3, 3), onp.float64), make((3, 2), onp.float64)
    out = nf.zeros((3, 2))
    r = nf.linalg.multi_dot([nf.asarray(a), nf.asarray(a), nf.asarray(b)], out=out)
    assert r is out
    onp.testing.assert_allclose(onp.asarray(out), onp.linalg.multi_dot([a, a, b]), rtol=1e-12)


# -- result types, views, polynomial fits -----------------------------------------------------------
@pytest.mark.parametrize("name", [f"linalg.{n}" for n in onp.linalg.__all__ if n != "LinAlgError"]
                         + ["polyfit", "roots", "poly"])
def test_signatures_are_numpys(name):
    import inspect
    mod, _, fn = name.rpartition(".")
    ours, theirs = (getattr(getattr(m, mod) if mod else m, fn) for m in (nf, onp))
    assert inspect.signature(ours) == inspect.signature(theirs)


@given(st.lists(st.integers(1, 3), max_size=2), st.lists(st.integers(1, 3), max_size=2), st.integers(1, 4),
       st.integers(0, 3), st.booleans())
def test_stacked_solve_inv_det_hypothesis(batch_a, batch_b, n, k, vector):
    """Broadcast batches: solve's b is a vector stack only when 1-d (NumPy 2 and the standard)."""
    rng = onp.random.default_rng(len(batch_a) + 7 * n + k)
    a = rng.standard_normal(tuple(batch_a) + (n, n)) + 2 * n * onp.eye(n)
    b = rng.standard_normal((n,) if vector else tuple(batch_b) + (n, k))
    check(lambda m, x, y: (m.linalg.solve(x, y), m.linalg.inv(x), m.linalg.det(x)), a, b, exact_type=False)


def test_result_types_and_fields():
    a = nf.asarray(hermitian_pd((3, 3), onp.float64))
    vectors = ("eigenvalues", "eigenvectors")
    for fn, fields in [(nf.linalg.eig, vectors), (nf.linalg.eigh, vectors),
                       (nf.linalg.svd, ("U", "S", "Vh")), (nf.linalg.qr, ("Q", "R")),
                       (nf.linalg.slogdet, ("sign", "logabsdet"))]:
        r = fn(a)
        assert type(r).__name__ == type(getattr(onp.linalg, fn.__name__)(onp.asarray(a))).__name__
        assert r._fields == fields and all(isinstance(x, nf.ndarray) for x in r)
    assert nf.linalg.LinAlgError is onp.linalg.LinAlgError
    assert set(nf.linalg.__all__) == {n for n in onp.linalg.__all__}


def test_views_as_numpy():
    a = nf.asarray(make((2, 3, 3), onp.float64))
    for fn in (lambda x: nf.linalg.diagonal(x), nf.linalg.matrix_transpose):
        assert onp.shares_memory(onp.asarray(fn(a)), onp.asarray(a))
    assert not onp.shares_memory(onp.asarray(nf.linalg.inv(a)), onp.asarray(a))


X = onp.linspace(-1.0, 2.0, 9)
POLYFIT = [
    ("deg2", lambda m, x, y: m.polyfit(x, y, 2)),
    ("deg0", lambda m, x, y: m.polyfit(x, y, 0)),
    ("2d-y", lambda m, x, y: m.polyfit(x, m.stack([y, 2 * y], axis=1), 3)),
    ("full", lambda m, x, y: m.polyfit(x, y, 2, full=True)),
    ("rcond-full", lambda m, x, y: m.polyfit(x, y, 1, rcond=0.1, full=True)),
    ("weights", lambda m, x, y: m.polyfit(x, y, 2, w=x * x + 1)),
    ("weights-2d", lambda m, x, y: m.polyfit(x, m.stack([y, y + 1], axis=1), 2, w=x * x + 1)),
    ("cov", lambda m, x, y: m.polyfit(x, y, 2, cov=True)),
    ("cov-unscaled-2d", lambda m, x, y: m.polyfit(x, m.stack([y, -y], axis=1), 1, cov="unscaled")),
    ("cov-too-few", lambda m, x, y: m.polyfit(x[:3], y[:3], 2, cov=True)),
    ("negative-deg", lambda m, x, y: m.polyfit(x, y, -1)),
    ("2d-x", lambda m, x, y: m.polyfit(m.stack([x, x]), y, 1)),
    ("empty-x", lambda m, x, y: m.polyfit(x[:0], y[:0], 1)),
    ("3d-y", lambda m, x, y: m.polyfit(x, y[:, None, None], 1)),
    ("length-mismatch", lambda m, x, y: m.polyfit(x, y[1:], 1)),
    ("bad-weights", lambda m, x, y: m.polyfit(x, y, 1, w=x[1:])),
    ("int", lambda m, x, y: m.polyfit((x * 4).astype(int), (y * 4).astype(int), 2)),
]


@pytest.mark.parametrize("dtype", [onp.float64, onp.float32, onp.complex128], ids=str)
@pytest.mark.parametrize("label,fn", POLYFIT, ids=[p[0] for p in POLYFIT])
def test_polyfit(label, fn, dtype):
    y = (onp.cos(2 * X) + 0.1 * X ** 3).astype(dtype)
    check(fn, X.astype(dtype), y, exact_type=False)


def test_polyfit_rank_warning():
    x = onp.ones(5)
    with pytest.warns(onp.exceptions.RankWarning):
        nf.polyfit(nf.asarray(x), nf.asarray(x + 1), 2)


ROOTS = [[1, -3, 2], [0, 0, 1, 2, 0, 0], [2.0], [0, 0], [0], [1, 0, 1], [1j, 2, 3], [3, 2, 1, 0.5],
         onp.array([1, 2, 3], onp.float32), onp.array([[1, 2]])]
POLY = [[1, 2, 3], [1j, -1j], [1, 2j], [[1.0, 2.0], [3.0, 4.0]], [], onp.array([1, 2], onp.float32),
        [1 + 1j, 1 - 1j, 2], onp.array([[1, 2, 3]]), onp.zeros((0, 0)), onp.array([True, False])]


@pytest.mark.parametrize("p", ROOTS, ids=str)
def test_roots(p):
    def sorted_roots(m, x):
        r = m.roots(x)
        return r if r.size == 0 else r[m.argsort(m.real(r) * 1000 + m.imag(r))]
    check(sorted_roots, onp.asarray(p) if isinstance(p, onp.ndarray) else p)


@pytest.mark.parametrize("z", POLY, ids=str)
def test_poly(z):
    check(lambda m, x: m.poly(x), onp.asarray(z) if isinstance(z, onp.ndarray) else z)


# -- errors ----------------------------------------------------------------------------------------
SINGULAR = onp.array([[1.0, 2.0], [2.0, 4.0]])
ERRORS = [
    ("inv", lambda m: m.linalg.inv(SINGULAR)),
    ("inv", lambda m: m.linalg.inv(onp.ones(3))),
    ("inv", lambda m: m.linalg.inv(onp.ones((2, 3)))),
    ("inv", lambda m: m.linalg.inv(onp.ones((2, 2), onp.float16))),
    ("solve", lambda m: m.linalg.solve(SINGULAR, onp.ones(2))),
    ("solve", lambda m: m.linalg.solve(onp.eye(2), onp.ones(3))),
    ("cholesky", lambda m: m.linalg.cholesky(-onp.eye(2))),
    ("eigh", lambda m: m.linalg.eigh(onp.eye(2), UPLO="X")),
    ("eigvalsh", lambda m: m.linalg.eigvalsh(onp.eye(2), UPLO="lower")),
    ("eig", lambda m: m.linalg.eig(onp.array([[onp.inf, 0], [0, 1]]))),
    ("eigvals", lambda m: m.linalg.eigvals(onp.ones((2, 3)))),
    ("det", lambda m: m.linalg.det(onp.ones(2))),
    ("slogdet", lambda m: m.linalg.slogdet(onp.ones((3, 2)))),
    ("qr", lambda m: m.linalg.qr(onp.eye(2), mode="bad")),
    ("qr", lambda m: m.linalg.qr(onp.ones(3))),
    ("svd", lambda m: m.linalg.svd(onp.ones(3))),
    ("lstsq", lambda m: m.linalg.lstsq(onp.ones((3, 2)), onp.ones(4))),
    ("lstsq", lambda m: m.linalg.lstsq(onp.ones((2, 3, 2)), onp.ones(3))),
    ("pinv", lambda m: m.linalg.pinv(onp.eye(2), rcond=0.1, rtol=0.1)),
    ("matrix_rank", lambda m: m.linalg.matrix_rank(onp.eye(2), tol=0.1, rtol=0.1)),
    ("matrix_power", lambda m: m.linalg.matrix_power(onp.eye(2), 1.5)),
    ("matrix_power", lambda m: m.linalg.matrix_power(onp.ones((2, 3)), 2)),
    ("matrix_power", lambda m: m.linalg.matrix_power(SINGULAR, -1)),
    ("cond", lambda m: m.linalg.cond(onp.zeros((0, 0)))),
    ("cond", lambda m: m.linalg.cond(onp.ones((2, 3)), 1)),
    ("norm", lambda m: m.linalg.norm(onp.ones(3), "fro", axis=0)),
    ("norm", lambda m: m.linalg.norm(onp.ones((2, 2)), 3)),
    ("norm", lambda m: m.linalg.norm(onp.ones((2, 2)), axis=(0, 0))),
    ("norm", lambda m: m.linalg.norm(onp.ones((2, 2, 2)), axis=(0, 1, 2))),
    ("norm", lambda m: m.linalg.norm(onp.ones((2, 2)), axis="a")),
    ("norm", lambda m: m.linalg.norm(onp.ones((2, 2)), axis=(0, 3))),
    ("vector_norm", lambda m: m.linalg.vector_norm(onp.ones((2, 2)), ord="fro")),
    ("matrix_norm", lambda m: m.linalg.matrix_norm(onp.ones(2))),
    ("multi_dot", lambda m: m.linalg.multi_dot([onp.eye(2)])),
    ("multi_dot", lambda m: m.linalg.multi_dot([onp.eye(2), onp.ones((2, 2, 2)), onp.eye(2)])),
    ("tensorinv", lambda m: m.linalg.tensorinv(onp.eye(4).reshape(4, 2, 2), ind=0)),
    ("tensorsolve", lambda m: m.linalg.tensorsolve(onp.ones((2, 3, 4)), onp.ones((2, 3)))),
    ("outer", lambda m: m.linalg.outer(onp.eye(2), onp.ones(2))),
    ("cross", lambda m: m.linalg.cross(onp.ones(2), onp.ones(2))),
    ("cross", lambda m: m.linalg.cross(onp.ones((3, 2)), onp.ones((3, 2)))),
    ("roots", lambda m: m.roots(onp.ones((2, 2)))),
    ("poly", lambda m: m.poly(onp.ones((2, 3)))),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_errors_as_numpy(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        raises_like_numpy(name, fn)


def test_singular_error_names_the_function():
    with pytest.raises(nf.linalg.LinAlgError, match="inv.*Singular matrix"):
        nf.linalg.inv(nf.asarray(SINGULAR))


def test_cond_of_singular_matrices_is_inf():
    stack = onp.stack([SINGULAR, onp.eye(2), onp.zeros((2, 2))])
    for p in (None, 1, "fro", onp.inf):
        check(lambda m, a: m.linalg.cond(a, p), stack)
        check(lambda m, a: m.linalg.cond(a, p), SINGULAR)


def test_qr_deprecated_modes():
    a = make((4, 3), onp.float64)
    for mode in ("full", "f", "economic", "e"):
        with pytest.warns(DeprecationWarning):
            expected = onp.linalg.qr(a, mode=mode)
        with pytest.warns(DeprecationWarning):
            got = nf.linalg.qr(nf.asarray(a), mode=mode)
        assert_same(got, expected)


# -- devices and derivatives ------------------------------------------------------------------------
DEVICE_CALLS = [
    lambda a, b: nf.linalg.inv(a), lambda a, b: nf.linalg.det(a), lambda a, b: nf.linalg.slogdet(a),
    lambda a, b: nf.linalg.solve(a, b), lambda a, b: nf.linalg.cholesky(a @ a.T + 3 * nf.eye(3, device=a.device)),
    lambda a, b: nf.linalg.qr(a), lambda a, b: nf.linalg.svd(a), lambda a, b: nf.linalg.svdvals(a),
    lambda a, b: nf.linalg.eig(a), lambda a, b: nf.linalg.eigvals(a), lambda a, b: nf.linalg.eigh(a),
    lambda a, b: nf.linalg.eigvalsh(a), lambda a, b: nf.linalg.lstsq(a, b),
    lambda a, b: nf.linalg.pinv(a), lambda a, b: nf.linalg.norm(a, "nuc"), lambda a, b: nf.linalg.norm(b, 3),
    lambda a, b: nf.linalg.cond(a, 1), lambda a, b: nf.linalg.matrix_rank(a),
    lambda a, b: nf.linalg.matrix_power(a, -5), lambda a, b: nf.linalg.multi_dot([a, a, a, b]),
    lambda a, b: nf.linalg.tensorsolve(a, b), lambda a, b: nf.linalg.vector_norm(a, axis=(0, 1), keepdims=True),
    lambda a, b: nf.linalg.svd(a, hermitian=True), lambda a, b: nf.linalg.cross(a, b),
    lambda a, b: nf.polyfit(b, b * b, 1, cov=True), lambda a, b: nf.roots(b), lambda a, b: nf.poly(b),
    lambda a, b: nf.poly(a),
]


@pytest.mark.parametrize("device", DEVICES)
def test_results_stay_on_the_inputs_device(device):
    a = nf.asarray(square((3, 3), onp.float64), device=device)
    b = nf.asarray(onp.array([1.0, -2.0, 0.5]), device=device)
    for call in DEVICE_CALLS:
        r = call(a, b)
        for x in (r if isinstance(r, tuple) else (r,)):
            if isinstance(x, nf.ndarray):
                assert x.device == nf.Device(device), call


def test_gradient_through_a_decomposition():
    """The gradient of log det through cholesky is the inverse (a sanity check beside the specs)."""
    a = hermitian_pd((3, 3), onp.float64)
    g = nf.grad(lambda x: 2 * nf.sum(nf.log(nf.linalg.diagonal(nf.linalg.cholesky(x)))))(nf.asarray(a))
    inv = onp.linalg.inv(a)
    onp.testing.assert_allclose(onp.asarray(g), onp.tril(2 * inv) - onp.diag(onp.diag(inv)), rtol=1e-10)


def test_undefined_vector_derivatives_raise():
    """svd(full_matrices=True) of a non-square matrix: the extra columns have no derivative."""
    a = nf.asarray(make((4, 2), onp.float64))
    with pytest.raises(ValueError, match="full_matrices=False"):
        nf.grad(lambda x: nf.sum(nf.linalg.svd(x)[0]))(a)
    g = nf.grad(lambda x: nf.sum(nf.linalg.svd(x)[1]))(a)  # the singular values alone are fine
    assert g.shape == (4, 2)
    with pytest.raises(ValueError, match="mode='reduced'"):
        nf.grad(lambda x: nf.sum(nf.linalg.qr(x, mode="complete")[0]))(a)
    _, (du, ds, dvh) = nf.jvp(lambda x: tuple(nf.linalg.svd(x)), (a,), (nf.ones_like(a),))
    assert onp.isnan(onp.asarray(du)[:, 2:]).all() and not onp.isnan(onp.asarray(du)[:, :2]).any()
    assert not onp.isnan(onp.asarray(ds)).any() and not onp.isnan(onp.asarray(dvh)).any()


def test_cholesky_upper_on_a_backend_without_the_keyword():
    """CuPy's cholesky has no upper=: the kernel builds U from the lower factor of A^H."""
    import types
    from npflow._ops.linalg import _cholesky_impl
    lower_only = types.SimpleNamespace(linalg=types.SimpleNamespace(cholesky=lambda a: onp.linalg.cholesky(a)),
                                       conj=onp.conj, swapaxes=onp.swapaxes)
    a = hermitian_pd((2, 3, 3), onp.complex128) + onp.tril(make((3, 3), onp.complex128), -1)
    onp.testing.assert_allclose(_cholesky_impl(lower_only)(a, upper=True), onp.linalg.cholesky(a, upper=True),
                                rtol=1e-12)
