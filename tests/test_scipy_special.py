"""npflow.scipy.special against scipy.special: values, dtypes, shapes, broadcasting and edge
values (0, -0, +-inf, NaN, the poles), the composites' edge cases, the errors for arguments
with no derivative, gradient coverage of every public function, and SciPy imported lazily."""
import subprocess
import sys
import warnings

import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.special as sp
from npflow.autodiff.core import AutodiffError
from support import BROADCAST, assert_same, make, same_outcome

scipy_special = pytest.importorskip("scipy.special")

EDGES = onp.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 2.0, 3.7, -3.7, 1e-300, 30.0, -30.0,
                   onp.inf, -onp.inf, onp.nan])
# Functions of one argument, and, for those of more, the fixed arguments before the varied one
UNARY = ["expit", "logit", "erf", "erfc", "erfinv", "erfcx", "gammaln", "gamma", "loggamma",
         "digamma", "psi", "gammasgn", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "exp1",
         "expi", "spence", "dawsn", "entr", "wofz", "fresnel", "sici", "factorial"]
BINARY = ["xlogy", "xlog1py", "kl_div", "rel_entr", "betaln", "beta", "poch", "gammainc",
          "gammaincc", "binom", "owens_t", "boxcox", "boxcox1p", "zeta", "comb"]
WITH_ORDER = [("expn", (2,)), ("jv", (1.5,)), ("iv", (0,)), ("ive", (2,)), ("polygamma", (1,)),
              ("betainc", (2.0, 3.0)), ("hyp1f1", (1.5, 2.5)), ("hyp2f1", (0.5, 1.5, 2.5)),
              ("polygamma", (0,)), ("zeta", (3.0,)), ("sph_harm_y", (3, 1, 0.7))]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def check(name, *args, **kw):
    """npflow's ``name(*args, **kw)`` equals SciPy's exactly (its kernel), or both raise alike."""
    return same_outcome(getattr(sp, name), getattr(scipy_special, name), *args, **kw)


@pytest.mark.parametrize("name", UNARY)
def test_unary_values_dtypes_edges(name):
    for dtype in (onp.float32, onp.float64, onp.int64):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = EDGES.astype(dtype)
        check(name, x)
        check(name, make((2, 3), dtype, seed=1))
    check(name, 0.5)                                   # Python scalar: a 0-d array
    check(name, make((0, 3), onp.float64))
    if name in ("loggamma", "wofz", "erf", "expit", "spence", "exp1", "gamma", "digamma"):
        check(name, make((4,), onp.complex128, seed=2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_values_broadcasting_edges(name):
    for s1, s2 in BROADCAST:
        check(name, make(s1, onp.float64, seed=3, low=0.1, high=6), make(s2, onp.float64, seed=4, high=4))
    for dtype in (onp.float32, onp.float64):
        e = EDGES.astype(dtype)
        check(name, e[:, None], e[None, :])
    check(name, 2, make((5,), onp.float32, seed=5))       # a Python int with float32: SciPy's dtype


@pytest.mark.parametrize("name,fixed", WITH_ORDER, ids=[f"{n}{f}" for n, f in WITH_ORDER])
def test_functions_with_orders(name, fixed):
    # (SciPy's hyp1f1/hyp2f1 kernels do not return for some infinite or large arguments)
    edges = EDGES[onp.abs(EDGES) < 5] if name.startswith("hyp") else EDGES
    for dtype in (onp.float32, onp.float64):
        check(name, *fixed, edges.astype(dtype))
        check(name, *fixed, make((2, 3), dtype, seed=6, low=0.1, high=5))
    check(name, *[onp.array([f, f]) if isinstance(f, int) else f for f in fixed[:1]], *fixed[1:],
          make((3, 2), onp.float64, seed=7, low=0.1, high=0.9))


@pytest.mark.parametrize("kw", [{}, {"exact": True}, {"extend": "complex"}])
def test_factorial(kw):
    n = onp.array([0, 1, 5, 10, -2]) if kw.get("exact") else onp.array([0.0, 1.5, 5, -2.5, 170, onp.nan])
    if kw.get("extend"):
        n = n + 0.5j
    check("factorial", n, **kw)


def test_comb_bernoulli_multigammaln_bessel_jn():
    N, k = onp.array([5.0, 10, 3, -1, 4.5]), onp.array([2.0, 3, 5, 1, -1])
    for kw in ({}, {"repetition": True}):
        check("comb", N, k, **kw)
    assert int(sp.comb(10, 3, exact=True)) == scipy_special.comb(10, 3, exact=True) == 120
    check("bernoulli", 6)
    a = make((2, 3), onp.float64, seed=8, low=2, high=9)
    for d in (1, 3, 4):
        same_outcome(sp.multigammaln, scipy_special.multigammaln, a, d, rtol=1e-14)
    for d in (2.5, 9):                       # not an integer / a <= (d - 1) / 2: SciPy's ValueError
        same_outcome(sp.multigammaln, scipy_special.multigammaln, a, d)
    z = make((3, 2), onp.float32, seed=9)
    assert_same(sp.bessel_jn(nf.asarray(z), v=3), onp.stack([scipy_special.jv(v, z) for v in range(4)]))
    with pytest.raises(ValueError, match="bessel_jn"):
        sp.bessel_jn(z, v=-1)
    with pytest.raises(ValueError, match="diff_n"):
        sp.sph_harm_y(2, 1, 0.3, 0.4, diff_n=1)


LSE_INPUTS = [
    ("plain", make((3, 4), onp.float64, seed=10), {}),
    ("float32-axis", make((3, 4), onp.float32, seed=11), {"axis": 0}),
    ("ints", onp.arange(6).reshape(2, 3), {"axis": 1, "keepdims": True}),
    ("axis-tuple", make((2, 3, 4), onp.float64, seed=12), {"axis": (0, 2)}),
    ("0-d", onp.array(2.5), {}),
    ("empty", onp.zeros((0, 3)), {"axis": 0}),
    ("empty-all", onp.zeros((0,)), {}),
    ("all-neg-inf", onp.array([-onp.inf, -onp.inf]), {}),
    ("pos-inf", onp.array([1.0, onp.inf, -onp.inf]), {}),
    ("nan", onp.array([[1.0, onp.nan], [2.0, 3.0]]), {"axis": 1}),
    ("large", onp.array([1000.0, 1000.0, -1000.0]), {}),
    ("complex", make((2, 3), onp.complex128, seed=13), {"axis": 1}),
    ("complex-wrap", onp.array([1 + 3j, 1 + 3.1j]), {}),
]
LSE_WEIGHTS = [
    ("weights", onp.array([[1.0, 2.0, 0.5]])),
    ("zero-weight-drops-inf", onp.array([[1.0, 0.0, 1.0]])),
    ("negative", onp.array([[1.0, -1.0, 0.5]])),
    ("float32-weights", onp.array([[1.0, 2.0, 0.5]], onp.float32)),
]


@pytest.mark.parametrize("label,a,kw", LSE_INPUTS, ids=[c[0] for c in LSE_INPUTS])
def test_logsumexp(label, a, kw):
    for sign in (False, True):
        check("logsumexp", a, return_sign=sign, rtol=1e-12, atol=1e-300, **kw)


@pytest.mark.parametrize("label,b", LSE_WEIGHTS, ids=[c[0] for c in LSE_WEIGHTS])
def test_logsumexp_weights(label, b):
    a = onp.array([[0.5, onp.inf, -1.0], [2.0, 1.0, 0.0]])
    if label != "zero-weight-drops-inf":
        a[0, 1] = 3.0
    for sign in (False, True):
        for axis in (None, 1):
            check("logsumexp", a.astype(b.dtype), axis=axis, b=b, return_sign=sign, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name):
    for x, kw in [(make((3, 4), onp.float64, seed=14), {}), (make((3, 4), onp.float32, seed=15), {"axis": 1}),
                  (onp.array([1000.0, 1.0]), {}), (onp.array([[-onp.inf, 0.0], [onp.inf, 1.0]]), {"axis": 1}),
                  (onp.array(3.0), {}), (make((2, 3, 2), onp.float64, seed=16), {"axis": (0, 2)})]:
        check(name, x, rtol=1e-6 if x.dtype == onp.float32 else 1e-13, atol=1e-300, **kw)


# Arguments with no derivative: differentiating with respect to them raises, naming the function
NOT_DIFFERENTIABLE = [
    ("jv", lambda v: sp.jv(v, 2.0)), ("iv", lambda v: sp.iv(v, 2.0)), ("ive", lambda v: sp.ive(v, 2.0)),
    ("polygamma", lambda n: sp.polygamma(n, 2.0)), ("expn", lambda n: sp.expn(n, 2.0)),
    ("gammainc", lambda a: sp.gammainc(a, 2.0)), ("gammaincc", lambda a: sp.gammaincc(a, 2.0)),
    ("betainc", lambda a: sp.betainc(a, 2.0, 0.5)), ("hyp1f1", lambda b: sp.hyp1f1(1.0, b, 0.5)),
    ("hyp2f1", lambda c: sp.hyp2f1(1.0, 1.5, c, 0.5)), ("zeta", lambda x: sp.zeta(x, 2.0)),
    ("zeta", lambda x: sp.zeta(x)),
]


@pytest.mark.parametrize("name,f", NOT_DIFFERENTIABLE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NOT_DIFFERENTIABLE)])
def test_no_derivative_in_orders_and_parameters_is_an_error(name, f):
    x = nf.asarray(1.0)
    for transform in (lambda: nf.grad(f)(x), lambda: nf.jvp(f, (x,), (x,))):
        with pytest.raises(AutodiffError, match=name):
            transform()


def test_piecewise_constant_and_complex_derivatives():
    assert float(nf.grad(lambda x: sp.gammasgn(x) * x)(nf.asarray(-0.5))) == -1.0  # a constant factor
    # complex z, real-valued f = Re loggamma: JAX's convention gives loggamma'(z) = digamma(z)
    g = nf.grad(lambda z: nf.real(sp.loggamma(z)))(nf.asarray(2.0 + 1j))
    assert abs(complex(g) - complex(scipy_special.digamma(2.0 + 1j))) < 1e-12


LAZY = """
import sys
import npflow, npflow.scipy, npflow.scipy.special, npflow.scipy.stats
assert "scipy" not in sys.modules, "importing npflow.scipy imported SciPy"
sys.modules["scipy"] = None                      # as if SciPy were not installed
x = npflow.asarray([0.5])
print(npflow.scipy.special.logsumexp(x))         # composites need no SciPy
try:
    npflow.scipy.special.erf(x)
except ImportError as e:
    assert "pip install npflow[scipy]" in str(e) and "erf" in str(e), str(e)
else:
    raise AssertionError("no ImportError")
"""


def test_scipy_is_imported_lazily_and_its_absence_is_a_clear_error():
    r = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
