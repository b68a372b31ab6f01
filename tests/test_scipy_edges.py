"""The edge-value sweep of npflow.scipy against SciPy ("no silently wrong answer"): every
function of ``special`` and every method of every distribution of ``stats``, on one table of
inputs (0, -0, +-1, +-inf, NaN, the poles and branch points, out-of-support points, invalid
parameters), every argument over the table at once (a grid by broadcasting); then float32,
float16, integer and bool inputs, 0-d and empty arrays. Values (NaN positions, infinities'
signs, signed zeros), dtypes and shapes are SciPy's. Last, a table of gradients at edge points:
right (finite differences) or NaN/inf, never a finite wrong number."""
import inspect
import warnings

import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.special as sp
import npflow.scipy.stats as ns
from npflow.autodiff.core import AutodiffError
from support import assert_same, outcomes

scipy_special = pytest.importorskip("scipy.special")
scipy_stats = pytest.importorskip("scipy.stats")

inf, nan = onp.inf, onp.nan
EDGE = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, -3.0, 30.0, -30.0, 1e-300, inf, -inf, nan]
SMALL = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, nan]  # (hyp1f1/hyp2f1 hang at some infinities)
ORDER = [0.0, 1.0, 2.0, -1.0, 0.5, 30.0, nan]               # integer orders, and off-integer ones
INTS = [0, 1, -1, 2, -2, 3, 30]

# special: name -> the table of each argument (EDGE unless listed)
SPECIAL = {name: None for name in sp.__all__ if name not in (
    "logsumexp", "softmax", "log_softmax", "bernoulli", "bessel_jn", "multigammaln", "comb",
    "factorial", "zeta", "sph_harm_y")}
SPECIAL.update({
    "hyp1f1": [SMALL] * 3, "hyp2f1": [SMALL] * 4, "expn": [ORDER, EDGE], "polygamma": [ORDER, EDGE],
    "sph_harm_y": [[0, 1, 2, -1], [0, 1, -1, 2], EDGE, EDGE],
})
NARGS = {name: len(inspect.signature(getattr(sp, name)).parameters) for name in SPECIAL}
# composites and functions with keywords: (label, name, args, keywords)
LSE = onp.array([[0.0, -inf, 1.0], [-inf, -inf, -inf], [inf, 1.0, -inf], [nan, 0.0, 1.0], [inf, inf, 0.0],
                 [inf, -inf, 0.0], [1e308, 1e308, 0.0], [-0.0, 0.0, -1.0]])
SPECIAL_CALLS = [
    ("zeta-riemann", "zeta", (EDGE,), {}), ("zeta-hurwitz", "zeta", (EDGE, EDGE), {}),
    ("factorial", "factorial", (EDGE,), {}), ("factorial-complex", "factorial", (EDGE,), {"extend": "complex"}),
    ("comb", "comb", (EDGE, EDGE), {}), ("comb-rep", "comb", (EDGE, EDGE), {"repetition": True}),
    ("multigammaln", "multigammaln", ([3.0, 30.0, inf, nan],), {"d": 3}),
    *[(f"{f}-axis{a}", f, (LSE,), {"axis": a}) for f in ("logsumexp", "softmax", "log_softmax") for a in (0, 1)],
    *[(f"logsumexp-b{i}", "logsumexp", (LSE,), {"axis": 1, "b": b, "return_sign": s})
      for i, (b, s) in enumerate([([1.0, 0.0, 2.0], False), ([1.0, -1.0, 0.0], True), ([[-1.0], [0.0], [1.0],
                                 [2.0], [1.0], [0.5], [1.0], [-0.0]], True), (0.0, False)])],
    ("logsumexp-empty", "logsumexp", (onp.zeros((0, 3)),), {"axis": 0, "return_sign": True}),
]
# Where SciPy's logsumexp contradicts its own rule (a zero weight drops its term, even an infinite
# or NaN one) or cancels into NaN: npflow's (value, sign) of the exact sum, row by row of LSE
SCIPY_LSE_DIFFERS = {
    "logsumexp-b0": {4: inf},            # inf + 0 * inf + 2: inf (SciPy: NaN)
    "logsumexp-b1": {6: (-inf, 0.0)},    # e**1e308 - e**1e308 = 0: log 0, sign 0 (SciPy: NaN, NaN)
    "logsumexp-b3": {i: -inf for i in range(len(LSE))},  # every weight 0: log 0 (SciPy: NaN where a
}                                                        # row holds an infinity or NaN)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def grid(*tables):
    """The tables as arrays along their own axes: broadcast together they are every combination."""
    n = len(tables)
    return [onp.asarray(t).reshape((1,) * i + (-1,) + (1,) * (n - 1 - i)) for i, t in enumerate(tables)]


def same(f_nf, f_ref, args, kw=None, rtol=0.0, atol=0.0, zero_signs=True):
    """npflow's and SciPy's results alike (type, dtype, shape, values, NaNs, infinities' and, with
    ``zero_signs``, zeros' signs), or the same exception type."""
    kw = kw or {}
    res = outcomes(lambda m: (f_nf(*[nf.asarray(a) if isinstance(a, onp.ndarray) else a for a in args], **kw)
                              if m is nf else f_ref(*args, **kw)))
    if res is None:
        return
    got, want = res
    assert_same(got, want, rtol=rtol, atol=atol)
    if not zero_signs:
        return
    for g, w in zip(*((r if isinstance(r, tuple) else (r,)) for r in (got, want))):
        g, w = onp.asarray(g), onp.asarray(w)
        zero = (w == 0) & (g == 0)
        bad = onp.signbit(g.real) != onp.signbit(w.real)
        assert not onp.any(zero & bad), f"zeros' signs differ at {onp.argwhere(zero & bad)[:5].tolist()}"


def _ints(table):
    return [int(v) for v in table if onp.isfinite(v) and v == int(v)] or [0, 1]


def _typed(tables, dtype):
    """The tables in ``dtype`` (integer and bool: their integer values)."""
    if dtype == onp.bool_:
        return [onp.array([False, True])] * len(tables)
    if onp.dtype(dtype).kind in "iu":
        return [onp.array(_ints(t), dtype) for t in tables]
    return [onp.array(t, dtype) for t in tables]


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_edges(name):
    tables = SPECIAL[name] or [EDGE] * NARGS[name]
    f, ref = getattr(sp, name), getattr(scipy_special, name)
    for dtype in (onp.float64, onp.float32, onp.float16, onp.int64, onp.bool_):
        same(f, ref, grid(*_typed(tables, dtype)))
    n = len(tables)
    same(f, ref, [onp.array(0.5)] * n)                               # 0-d
    same(f, ref, [0.5] * n)                                          # Python floats
    same(f, ref, [onp.zeros((0, 1))] + [onp.ones(3)] * (n - 1))      # empty, broadcast
    same(f, ref, [onp.zeros(0, onp.float32)] * n)


@pytest.mark.parametrize("label,name,args,kw", SPECIAL_CALLS, ids=[c[0] for c in SPECIAL_CALLS])
def test_special_composite_edges(label, name, args, kw):
    f, ref = getattr(sp, name), getattr(scipy_special, name)
    if label in SCIPY_LSE_DIFFERS:
        ref = lambda *a, ref=ref, **k: _patched(ref(*a, **k), SCIPY_LSE_DIFFERS[label])  # noqa: E731
    rtol = 1e-13 if name in ("logsumexp", "softmax", "log_softmax", "multigammaln", "comb") else 0.0
    arrays = [onp.asarray(a) for a in (args if len(args) == 1 else grid(*args))]
    kw = {k: onp.asarray(v) if isinstance(v, list) else v for k, v in kw.items()}
    same(f, ref, arrays, kw, rtol=rtol, atol=1e-300 if rtol else 0.0)
    if name in ("factorial", "comb", "zeta"):
        for dtype in (onp.float32, onp.float16, onp.int64, onp.bool_):
            same(f, ref, grid(*_typed(args, dtype)) if len(args) > 1 else _typed(args, dtype), kw)


def _patched(result, rows):
    out = [onp.array(r) for r in (result if isinstance(result, tuple) else (result,))]
    for i, v in rows.items():
        for o, vi in zip(out, v if isinstance(v, tuple) else (v,)):
            o[i] = vi
    return tuple(out) if isinstance(result, tuple) else out[0]


# -- stats ------------------------------------------------------------------------------------------
X = [-inf, -30.0, -2.0, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 2.0, 3.0, 30.0, inf, nan]
Q = [0.0, -0.0, 1e-300, 0.3, 0.5, 1.0, 1 - 1e-16, 1.5, -0.1, inf, nan]
LOC = [0.0, -1.0, inf, nan]
SCALE = [1.0, 2.0, 0.0, -1.0, inf, nan]
POS = [0.5, 1.0, 3.0, 0.0, -1.0, inf, nan]           # a positive shape parameter, and invalid ones
# (pareto's and beta's densities at an infinite shape parameter: SciPy gives inf at some points
# of the degenerate limit, NaN at others; npflow gives NaN, so these tables stop at 30)
POS_FINITE = [0.5, 1.0, 3.0, 30.0, 0.0, -1.0, nan]
UNIT = [0.0, 0.3, 1.0, -0.1, 1.5, nan]                # a probability
COUNT = [0.0, 1.0, 5.0, 2.5, -1.0, nan]               # a number of trials
# distribution: its shape parameters' tables
DISTRIBUTIONS = {
    "norm": [], "cauchy": [], "expon": [], "laplace": [], "logistic": [], "gumbel_r": [], "gumbel_l": [],
    "uniform": [], "pareto": [POS_FINITE], "t": [POS], "chi2": [POS], "gamma": [POS], "beta": [POS_FINITE, POS_FINITE],
    "gennorm": [POS], "vonmises": [POS], "wrapcauchy": [UNIT], "truncnorm": [[-1.0, 0.5, -inf, inf, nan],
                                                                              [2.0, 0.5, -inf, inf, nan]],
    "bernoulli": [UNIT], "binom": [COUNT, UNIT], "betabinom": [COUNT, POS, POS], "geom": [UNIT],
    "nbinom": [POS, UNIT], "poisson": [POS],
}
K = [-inf, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 5.0, 6.0, 30.0, inf, nan]
CASES = [(d, m) for d in DISTRIBUTIONS for m in ("logpdf", "pdf", "logpmf", "pmf", "cdf", "logcdf", "sf",
                                                 "logsf", "ppf", "isf") if hasattr(getattr(ns, d), m)]


@pytest.mark.parametrize("name,method", CASES, ids=[f"{d}.{m}" for d, m in CASES])
def test_stats_edges(name, method):
    f, ref = getattr(getattr(ns, name), method), getattr(getattr(scipy_stats, name), method)
    discrete = hasattr(getattr(ns, name), "pmf")
    if discrete and method == "logcdf":
        # SciPy's discrete logcdf gives 0 at and above the support's end even for invalid
        # parameters, where its cdf gives NaN; npflow gives NaN (log of its cdf) there
        cdf = getattr(scipy_stats, name).cdf
        ref = lambda *a, ref=ref: onp.where(onp.isnan(cdf(*a)), nan, ref(*a))[()]  # noqa: E731
    pts = Q if method in ("ppf", "isf") else K if discrete else X
    extra = [LOC] if discrete else [LOC, SCALE]
    shapes = DISTRIBUTIONS[name]
    # (zeros' signs are not compared: SciPy's follow its formulas, -z for expon.logpdf at z = 0
    # but +0 for norm.logcdf(inf), not the distribution; npflow's follow its own formulas)
    tol = {"rtol": 1e-9, "atol": 1e-300, "zero_signs": False}
    same(f, ref, grid(pts, *shapes, *extra), **tol)
    mid = [onp.asarray(s[1]) for s in shapes]
    # the points' dtype: float64 out (SciPy computes some methods in the points' precision,
    # npflow in float64: equal within that precision)
    for dtype, rtol in ((onp.float32, 1e-6), (onp.float16, 4e-3), (onp.int64, 1e-9), (onp.bool_, 1e-9)):
        same(f, ref, [_typed([pts], dtype)[0]] + mid, **{**tol, "rtol": rtol})
    same(f, ref, [onp.array(0.3)] + mid, **tol)                        # 0-d
    same(f, ref, [onp.zeros((0, 1))] + mid + [onp.zeros(3)], **tol)   # empty, broadcast with loc


# -- gradients at edge points ----------------------------------------------------------------------
# Every special function's derivative in each argument it has one in, over the value table (but
# 1e-300, where finite differences mislead): never a finite number that the one-sided finite
# differences contradict (NaN and inf are allowed: JAX gives them at removable singularities such
# as poch(0, m) or betaln at a + b = 0, which npflow's rules, JAX's formulas, do not remove)
GRADIENT_SWEEP_SKIPS = {
    "gammasgn": "piecewise constant: its derivative is 0 by declaration (NaN at the poles)",
    "hyp2f1": "at c a non-positive integer SciPy gives 1 at z = 0 and inf around it: the rule's finite "
              "a b / c F(a+1, b+1, c+1, 0) there is for a function that is not defined",
    "fresnel": "two results (checked in tests/test_scipy_special.py)", "sici": "two results",
    "wofz": "complex results", "sph_harm_y": "complex results", "psi": "digamma under its other name",
}


def _one_sided(f, x, side, rel):
    """Elementwise one-sided difference quotients of the elementwise ``f`` at ``x`` (NaN where a
    value is not finite; 0 where both are the same infinity; at +-inf, those at +-1e8)."""
    x = onp.where(onp.isfinite(x), x, onp.copysign(1e8, x))
    step = 1e-6 * (onp.where(x != 0, abs(x), 1.0) if rel else onp.maximum(abs(x), 1.0))
    a, b = (x, x + step) if side > 0 else (x - step, x)
    fa, fb = (onp.asarray(f(nf.asarray(v))) for v in (a, b))
    q = onp.where(onp.isfinite(fa) & onp.isfinite(fb), (fb - fa) / step, nan)
    return onp.where(onp.isinf(fa) & (fa == fb), 0.0, q)


@pytest.mark.parametrize("name", sorted(set(SPECIAL) - set(GRADIENT_SWEEP_SKIPS)))
def test_special_gradient_edges(name):
    tables = [[v for v in t if v != 1e-300] for t in (SPECIAL[name] or [EDGE] * NARGS[name])]
    assert _derivatives_never_contradict(getattr(sp, name), tables) or name == "gammasgn"


def _derivatives_never_contradict(f, tables, call=None, which=None, infinite_values=False):
    """Every argument's (those in ``which``) derivative of the elementwise ``f`` over the grid of
    ``tables``, both modes, against one-sided finite differences (any derivative where ``f`` is
    infinite, with ``infinite_values``); how many arguments were differentiable."""
    call = call or (lambda f, *a: f(*a))
    args = [onp.broadcast_to(a, onp.broadcast_shapes(*(g.shape for g in grid(*tables)))).copy()
            for a in grid(*tables)]
    checked = 0
    for i in (range(len(args)) if which is None else which):
        def f_i(v, i=i):
            return call(f, *[v if j == i else nf.asarray(a) for j, a in enumerate(args)])
        x = nf.asarray(args[i])
        if x.dtype.kind != "f":  # (sph_harm_y's integer degree and order)
            continue
        try:
            fwd = onp.asarray(nf.jvp(f_i, (x,), (nf.ones_like(x),))[1])
        except AutodiffError:  # (no derivative in this argument: tests/test_scipy_special.py)
            continue
        rev = onp.asarray(nf.grad(lambda v: nf.sum(f_i(v)))(x))
        checked += 1
        fds = [_one_sided(f_i, args[i], side, rel) for rel in (False, True) for side in (-1, 1)]
        with onp.errstate(invalid="ignore"):
            def near(g, d):
                return onp.isfinite(d) & (abs(g - d) <= 1e-3 * (1 + abs(d)))
            for mode, g in (("fwd", fwd), ("rev", rev)):
                ok = ~onp.isfinite(g)
                if infinite_values:
                    ok |= onp.isinf(onp.asarray(f_i(x)))
                for L, R in (fds[:2], fds[2:]):
                    ok |= near(g, L) | near(g, R) | ((onp.minimum(L, R) <= g) & (g <= onp.maximum(L, R)))
                bad = onp.argwhere(~ok)
                assert not len(bad), f"{mode}: finite derivatives the finite differences contradict in " \
                    f"argument {i} at " + str([([float(a[tuple(j)]) for a in args], float(g[tuple(j)])) for j in bad[:4]])
    return checked


# -- gradients at edge points ----------------------------------------------------------------------
# (label, function of one float64 argument, point, whether NaN or inf is accepted where the
# finite differences are defined (JAX's value there too: e.g. xlogy's y-derivative x / y at 0/0))
GRADIENTS = [
    ("xlogy-x0", lambda x: sp.xlogy(x, 2.0), 0.0), ("xlogy-x0-y0", lambda y: sp.xlogy(0.0, y), 0.0, "jax"),
    ("xlogy-x0-y", lambda y: sp.xlogy(0.0, y), 1.5), ("xlog1py-x0", lambda y: sp.xlog1py(0.0, y), -1.0, "jax"),
    ("entr-0", sp.entr, 0.0), ("rel_entr-x0", lambda x: sp.rel_entr(x, 1.0), 0.0),
    ("kl_div-x0", lambda x: sp.kl_div(x, 1.0), 0.0), ("logit-0", sp.logit, 0.0), ("logit-1", sp.logit, 1.0),
    ("expit-inf", sp.expit, inf), ("ndtri-0", sp.ndtri, 0.0), ("ndtri-1", sp.ndtri, 1.0),
    ("log_ndtr--40", sp.log_ndtr, -40.0), ("gammaln-0", sp.gammaln, 0.0), ("gammaln--1", sp.gammaln, -1.0),
    ("gammaln--0.5", sp.gammaln, -0.5), ("digamma-0", sp.digamma, 0.0), ("erfinv-1", sp.erfinv, 1.0),
    ("betainc-x0", lambda x: sp.betainc(2.0, 3.0, x), 0.0), ("betainc-x1", lambda x: sp.betainc(2.0, 3.0, x), 1.0),
    ("betainc-a<1-x0", lambda x: sp.betainc(0.5, 3.0, x), 0.0),
    ("gammainc-x0", lambda x: sp.gammainc(2.0, x), 0.0), ("gammainc-a<1-x0", lambda x: sp.gammainc(0.5, x), 0.0),
    ("boxcox-l0", lambda lm: sp.boxcox(2.0, lm), 0.0), ("spence-1", sp.spence, 1.0),
    ("logsumexp-neg-inf", lambda a: sp.logsumexp(nf.stack([a, nf.asarray(-inf)])), 0.5),
    ("logsumexp-all-neg-inf", lambda a: sp.logsumexp(nf.stack([a, nf.asarray(-inf)])), -inf),
    ("logsumexp-b0", lambda a: sp.logsumexp(nf.stack([a, nf.asarray(1.0)]), b=nf.asarray([0.0, 1.0])), 0.5),
    ("log_softmax-neg-inf", lambda a: sp.log_softmax(nf.stack([a, nf.asarray(-inf)]))[0], 0.5),
    ("softmax-neg-inf", lambda a: sp.softmax(nf.stack([a, nf.asarray(-inf)]))[0], 0.5),
    ("norm.logpdf-scale0", lambda s: ns.norm.logpdf(0.5, scale=s), 0.0),
    ("norm.logpdf-scale-tiny", lambda s: ns.norm.logpdf(0.0, scale=s), 1e-300),
    ("norm.logpdf-x-inf", lambda x: ns.norm.logpdf(x), inf), ("norm.cdf-x-inf", lambda x: ns.norm.cdf(x), -inf),
    ("norm.logcdf-x-far", lambda x: ns.norm.logcdf(x), -40.0), ("norm.ppf-q0", ns.norm.ppf, 0.0),
    ("norm.ppf-q-out", ns.norm.ppf, 1.5), ("expon.logpdf-x0", ns.expon.logpdf, 0.0),
    ("expon.logpdf-out", ns.expon.logpdf, -1.0), ("expon.cdf-x0", ns.expon.cdf, 0.0),
    ("uniform.logpdf-out", ns.uniform.logpdf, 1.5),
    ("gamma.logpdf-x0", lambda x: ns.gamma.logpdf(x, 2.0), 0.0),
    ("gamma.logpdf-x0-a1", lambda x: ns.gamma.logpdf(x, 1.0), 0.0),
    ("gamma.logpdf-a0", lambda a: ns.gamma.logpdf(1.0, a), 0.0),
    ("beta.logpdf-x0", lambda x: ns.beta.logpdf(x, 2.0, 3.0), 0.0),
    ("beta.logpdf-x1", lambda x: ns.beta.logpdf(x, 2.0, 3.0), 1.0),
    ("t.logpdf-df-inf", lambda df: ns.t.logpdf(0.5, df), inf),
    ("t.logpdf-df0", lambda df: ns.t.logpdf(0.5, df), 0.0),
    ("poisson.logpmf-mu0", lambda mu: ns.poisson.logpmf(0.0, mu), 0.0),
    ("poisson.logpmf-mu0-k1", lambda mu: ns.poisson.logpmf(1.0, mu), 0.0),
    ("poisson.sf-far", lambda mu: ns.poisson.sf(30.0, mu), 1.0),
    ("bernoulli.logpmf-p0", lambda p: ns.bernoulli.logpmf(0.0, p), 0.0),
    ("bernoulli.logpmf-p1", lambda p: ns.bernoulli.logpmf(0.0, p), 1.0),
    ("bernoulli.logpmf-p-out", lambda p: ns.bernoulli.logpmf(0.0, p), 1.5),
    ("binom.logpmf-p0", lambda p: ns.binom.logpmf(0.0, 5.0, p), 0.0),
    ("laplace.logpdf-x0", ns.laplace.logpdf, 0.0), ("cauchy.ppf-q1", ns.cauchy.ppf, 1.0),
    ("cauchy.ppf-q-tiny", ns.cauchy.ppf, 1e-300), ("truncnorm.sf-far", lambda x: ns.truncnorm.sf(x, -1.0, inf), 30.0),
]


def _fd(f, x, side, h=1e-6):
    """The one-sided difference quotient of ``f`` at ``x`` (relative step; NaN where the side
    leaves the domain; 0 where ``f`` is the same infinity on that side; at an infinity, the
    quotient at +-1e8)."""
    x = x if onp.isfinite(x) else onp.copysign(1e8, x)
    step = h * (abs(x) if x != 0 else 1.0)
    a, b = (x, x + step) if side > 0 else (x - step, x)
    fa, fb = (float(f(nf.asarray(v))) for v in (a, b))
    if onp.isinf(fa) and fa == fb:
        return 0.0
    return (fb - fa) / step if onp.isfinite(fa) and onp.isfinite(fb) else nan


def _close(g, d):
    return onp.isfinite(d) and abs(g - d) <= 1e-4 * (1 + abs(d))


@pytest.mark.parametrize("label,f,x,jax", [(*g, "") if len(g) == 3 else g for g in GRADIENTS],
                         ids=[g[0] for g in GRADIENTS])
def test_gradient_edges(label, f, x, jax):
    """Both modes: where the one-sided differences agree, their value (NaN or inf only where
    JAX gives it); at a kink, a value between them; where they are not both defined, or at an
    infinity, NaN, inf or the defined one; never another finite number."""
    rev = float(nf.grad(f)(nf.asarray(x)))
    fwd = float(nf.jvp(f, (nf.asarray(x),), (nf.asarray(1.0),))[1])
    left, right = _fd(f, x, -1), _fd(f, x, +1)
    for mode, g in (("rev", rev), ("fwd", fwd)):
        msg = f"{mode}: {g} where the one-sided differences are {left}, {right}"
        if not onp.isfinite(g):
            assert jax or not onp.isfinite(x) or not (_close(left, right) or _close(right, left)), msg
        elif onp.isfinite(left) and onp.isfinite(right) and onp.isfinite(x):
            assert min(left, right) - 1e-4 * (1 + abs(left)) <= g <= max(left, right) + 1e-4 * (1 + abs(right)), msg
        else:
            assert _close(g, left) or _close(g, right), msg


# -- the multivariate distributions: (label, distribution, method, args, keywords) -------------------
COV = onp.array([[2.0, 0.5], [0.5, 1.0]])
SINGULAR = onp.array([[1.0, 1.0], [1.0, 1.0]])
MULTIVARIATE = [
    ("mvn-edges", "multivariate_normal", "logpdf",
     (onp.array([[0.0, -0.0], [inf, 0.0], [-inf, inf], [nan, 1.0], [1e300, 0.0], [1.0, 1.0]]), [0.5, -1.0], COV), {}),
    ("mvn-pdf-edges", "multivariate_normal", "pdf", (onp.array([[inf, 0.0], [nan, 1.0], [40.0, 0.0]]), None, COV), {}),
    ("mvn-mean-inf", "multivariate_normal", "logpdf", (onp.array([0.0, 1.0]), [inf, 0.0], COV), {}),
    ("mvn-singular", "multivariate_normal", "logpdf", (onp.array([[1.0, 1.0], [1.0, 2.0], [inf, inf]]), None,
                                                        SINGULAR), {"allow_singular": True}),
    ("mvn-singular-raises", "multivariate_normal", "logpdf", (onp.array([1.0, 1.0]), None, SINGULAR), {}),
    ("mvn-zero-cov", "multivariate_normal", "logpdf", (onp.array([0.0, 1.0]), None, 0.0), {"allow_singular": True}),
    ("mvn-scalar", "multivariate_normal", "logpdf", (onp.array([-inf, 0.0, inf, nan]), 1.0, 2.0), {}),
    ("mvn-float32", "multivariate_normal", "logpdf", (onp.array([[0.5, 1.0]], onp.float32), None,
                                                       COV.astype(onp.float32)), {}),
    ("dirichlet-boundary", "dirichlet", "logpdf", (onp.array([[0.0, 0.5], [0.5, 0.5], [0.5, 0.0]]), [1.0, 2.0, 3.0]), {}),
    ("dirichlet-alpha<1", "dirichlet", "logpdf", (onp.array([[0.25, 0.5], [0.75, 0.5]]), [0.5, 0.5]), {}),
    ("dirichlet-pdf", "dirichlet", "pdf", (onp.array([0.2, 0.3, 0.5]), [1.0, 2.0, 3.0]), {}),
    ("dirichlet-x-out", "dirichlet", "logpdf", (onp.array([1.5, -0.5]), [1.0, 2.0]), {}),
    ("dirichlet-alpha0", "dirichlet", "logpdf", (onp.array([0.5, 0.5]), [0.0, 2.0]), {}),
    ("multinomial-edges", "multinomial", "logpmf", (onp.array([[0.0, 3.0], [1.0, 2.0], [1.5, 1.5], [-1.0, 4.0],
                                                              [3.0, 0.0], [nan, 3.0]]), 3, [0.0, 1.0]), {}),
    ("multinomial-n0", "multinomial", "pmf", (onp.array([[0.0, 0.0], [1.0, 0.0]]), 0, [0.3, 0.7]), {}),
    ("multinomial-bad-p", "multinomial", "logpmf", (onp.array([1.0, 2.0]), 3, [-0.5, 1.5]), {}),
    ("multinomial-bad-n", "multinomial", "logpmf", (onp.array([1.0, 2.0]), -3, [0.5, 0.5]), {}),
]


# [-inf, inf] - mean: the positive definite quadratic form is inf, the density 0 (SciPy: NaN, from
# inf - inf in its whitening, depending on its eigenvectors' signs)
SCIPY_MULTIVARIATE_DIFFERS = {"mvn-edges": {2: -inf}}


@pytest.mark.parametrize("label,name,method,args,kw", MULTIVARIATE, ids=[m[0] for m in MULTIVARIATE])
def test_multivariate_edges(label, name, method, args, kw):
    f, scipy_f = getattr(getattr(ns, name), method), getattr(getattr(scipy_stats, name), method)
    args = [onp.asarray(a) if isinstance(a, list) else a for a in args]

    def ref(*a, **k):  # (SciPy's multinomial gives a Python float for invalid parameters)
        return _patched(onp.asarray(scipy_f(*a, **k)), SCIPY_MULTIVARIATE_DIFFERS.get(label, {}))
    same(f, ref, args, kw, rtol=1e-12, atol=1e-300, zero_signs=False)


@pytest.mark.parametrize("name,method", CASES, ids=[f"{d}.{m}" for d, m in CASES])
def test_stats_gradient_edges(name, method):
    """Every method's derivatives in the points, loc, scale and shape parameters (a discrete
    distribution's: its shape parameters) over the value table. Where the value is infinite any
    derivative goes: outside the support the log-density is the constant -inf, its derivative 0,
    so that a mixture's logsumexp over components keeps its finite gradient."""
    discrete = hasattr(getattr(ns, name), "pmf")
    pts = Q if method in ("ppf", "isf") else K if discrete else X
    # (not at 1e-300 and 1 - 1e-16, where a difference quotient's step leaves the domain)
    tables = [[v for v in t if v not in (1e-300, 1 - 1e-16)]
              for t in (pts, *DISTRIBUTIONS[name], *([LOC] if discrete else [LOC, SCALE]))]
    ns_ = len(DISTRIBUTIONS[name])

    def call(f, x, *rest):
        return f(x, *rest[:ns_], **dict(zip(("loc", "scale"), rest[ns_:])))
    # (binom's and betabinom's n is an integer: no derivative)
    which = range(1 + (name in ("binom", "betabinom")), 1 + ns_) if discrete else None
    assert _derivatives_never_contradict(getattr(getattr(ns, name), method), tables, call, which, True) or \
        not which
