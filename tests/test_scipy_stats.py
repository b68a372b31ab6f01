"""npflow.scipy.stats against scipy.stats: every method of every distribution over edge points
(outside the support, +-inf, NaN), loc/scale (invalid scale: NaN), float32 input, broadcasting;
multivariate_normal (allow_singular, diagonal and scalar covariances), dirichlet, multinomial,
rankdata, mode, sem; and gradient coverage of every method."""
import warnings

import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.stats as ns
from gradspecs import all_cases
from gradspecs.scipy_stats import CONTINUOUS, DISCRETE
from support import make, same_outcome

st = pytest.importorskip("scipy.stats")

RTOL = 1e-9  # composites of SciPy's special functions: SciPy's own formulas within rounding
X = onp.array([-3.0, -0.5, 0.0, 0.2, 0.7, 1.0, 2.5, 7.0, onp.inf, -onp.inf, onp.nan])
Q = onp.array([0.0, 0.1, 0.5, 0.9, 1.0, 1.5, -0.1, onp.nan])
K = onp.array([-1.0, 0, 1, 2, 2.5, 3, 4, 10, onp.nan])
CONTINUOUS_METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
DISCRETE_METHODS = ("logpmf", "pmf", "cdf", "logcdf", "sf", "ppf")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def check(dist, method, *args, rtol=RTOL, **kw):
    return same_outcome(getattr(getattr(ns, dist), method), getattr(getattr(st, dist), method), *args,
                        rtol=rtol, atol=1e-300, **kw)


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_continuous(name):
    shapes = tuple(float(s) for s in CONTINUOUS[name][1])
    for method in CONTINUOUS_METHODS:
        if not hasattr(getattr(ns, name), method):
            continue
        pts = Q if method in ("ppf", "isf") else X
        for kw in ({}, {"loc": 0.3, "scale": 2.0}, {"scale": -1.0}, {"scale": 0.0}):
            check(name, method, pts, *shapes, **kw)
        check(name, method, pts, *shapes, 0.3, 2.0)                          # loc, scale positional
        check(name, method, pts, *shapes, 0.3, scale=2.0)
        check(name, method, pts, *shapes, 0.3, loc=2.0)                      # TypeError, as SciPy's
        # float32 in: float64 out (SciPy computes some methods in float32 precision, npflow in float64)
        check(name, method, pts.astype(onp.float32), *shapes, rtol=1e-6)
        check(name, method, 0.4, *shapes)                                   # a scalar: 0-d
        check(name, method, make((3, 1), onp.float64, seed=1, low=0.05, high=0.95), *shapes,
              loc=make((4,), onp.float64, seed=2, low=-0.1, high=0.1), scale=onp.array([1.0, 2.0, 0.5, 3.0]))


@pytest.mark.parametrize("name", ["t", "chi2", "gamma", "beta", "pareto", "gennorm", "vonmises",
                                  "wrapcauchy", "truncnorm"])
def test_continuous_invalid_shapes_give_nan(name):
    shapes = [float(s) for s in CONTINUOUS[name][1]]
    shapes[0] = -1.0 if name != "truncnorm" else 5.0   # (truncnorm: a > b)
    for method in ("logpdf", "cdf"):
        if hasattr(getattr(ns, name), method):
            check(name, method, X, *shapes)


@pytest.mark.parametrize("name", list(DISCRETE))
def test_discrete(name):
    _, params, fixed, _ = DISCRETE[name]
    shapes = (*fixed, *(float(p) for p in params))
    for method in DISCRETE_METHODS:
        if not hasattr(getattr(ns, name), method):
            continue
        pts = Q if method == "ppf" else K
        for kw in ({}, {"loc": 1}):
            check(name, method, pts, *shapes, **kw)
        check(name, method, pts, *shapes, 1)                                 # loc positional
        check(name, method, pts.astype(onp.float32), *shapes, rtol=1e-6)


def _spd(d, seed):
    a = make((d, d), onp.float64, seed=seed)
    return a @ a.T + 0.5 * onp.eye(d)


MVN = [
    ("batch", make((4, 3), onp.float64, seed=3), make((3,), onp.float64, seed=4), _spd(3, 5), {}),
    ("one-point", make((3,), onp.float64, seed=6), make((3,), onp.float64, seed=7), _spd(3, 8), {}),
    ("scalar-cov", make((5,), onp.float64, seed=9), onp.array(0.2), 2.0, {}),
    ("diagonal-cov", make((2, 3), onp.float64, seed=10), onp.zeros(3), onp.array([1.0, 2.0, 0.5]), {}),
    ("no-mean", make((2, 3, 2), onp.float64, seed=11), None, _spd(2, 12), {}),
    ("singular-allowed", onp.array([[1.0, 2.0, 0.0], [0.5, 0.1, 0.0], [0.5, 0.1, 1.0]]), None,
     onp.diag([1.0, 2.0, 0.0]), {"allow_singular": True}),
    ("singular-rank1", onp.array([[1.0, 1.0], [1.0, -1.0]]), onp.zeros(2), onp.ones((2, 2)),
     {"allow_singular": True}),
    ("singular-refused", onp.zeros(3), None, onp.diag([1.0, 2.0, 0.0]), {}),
    ("not-psd", onp.zeros(2), None, onp.array([[1.0, 0.0], [0.0, -1.0]]), {"allow_singular": True}),
    ("cov-shape", onp.zeros(3), onp.zeros(3), onp.eye(2), {}),
]


@pytest.mark.parametrize("label,x,mean,cov,kw", MVN, ids=[m[0] for m in MVN])
def test_multivariate_normal(label, x, mean, cov, kw):
    for method in ("logpdf", "pdf"):
        check("multivariate_normal", method, x, mean, cov, rtol=1e-10, **kw)


def test_dirichlet_multinomial():
    alpha = onp.array([1.5, 2.0, 0.7])
    x = onp.array([[0.2, 0.3], [0.5, 0.3], [0.3, 0.4]])
    for method in ("logpdf", "pdf"):
        check("dirichlet", method, x, alpha)
        check("dirichlet", method, x[:2], alpha)          # the last component implied
        check("dirichlet", method, x[:, 0], alpha)
        check("dirichlet", method, onp.array([0.5, 0.6, 0.1]), alpha)  # off the simplex: ValueError
        check("dirichlet", method, x, -alpha)
    counts = onp.array([[1.0, 2, 0], [3, 0, 0], [1, 1, 0], [1.5, 1.5, 0]])
    for method in ("logpmf", "pmf"):
        check("multinomial", method, counts, 3, onp.array([0.2, 0.5, 0.3]))
        check("multinomial", method, counts[:2], onp.array([3, 4]), onp.array([0.2, 0.5, 0.3]))


def test_rankdata_mode_sem():
    a = onp.array([[3.0, 1, 2, 2], [onp.nan, 1, 1, 0]])
    for kw in ({}, {"method": "min"}, {"method": "dense", "axis": 1}, {"axis": 0, "nan_policy": "omit"}):
        same_outcome(ns.rankdata, st.rankdata, a, **kw)
    ints = make((5, 3), onp.int64, seed=13, low=0, high=3)
    for kw in ({}, {"axis": 1, "keepdims": True}, {"axis": None}):
        m_nf, m_np = ns.mode(nf.asarray(ints), **kw), st.mode(ints, **kw)
        assert type(m_nf).__name__ == "ModeResult"
        for g, e in zip(m_nf, m_np):
            onp.testing.assert_array_equal(onp.asarray(g), e)
    x = make((4, 3), onp.float32, seed=14)
    x[1, 1] = onp.nan
    for kw in ({}, {"axis": 1, "ddof": 0}, {"axis": None, "keepdims": True}, {"nan_policy": "omit"},
               {"nan_policy": "raise"}):
        same_outcome(ns.sem, st.sem, x, rtol=1e-6, atol=1e-300, **kw)


KDE = [(make((20,), onp.float64, seed=15), None, None), (make((2, 30), onp.float64, seed=16),
        make((30,), onp.float64, seed=17, low=0.5, high=1), "silverman"),
       (make((3, 25), onp.float64, seed=18), None, 0.4), (make((2, 10), onp.float64, seed=19), None, lambda k: 0.3)]


@pytest.mark.parametrize("i", range(len(KDE)))
def test_gaussian_kde(i):
    data, w, bw = KDE[i]
    want, got = st.gaussian_kde(data, bw, w), ns.gaussian_kde(nf.asarray(data), bw, w)
    d = data.shape[0] if data.ndim == 2 else 1
    pts = make((d, 5), onp.float64, seed=20)
    for method in ("evaluate", "pdf", "logpdf", "__call__"):
        onp.testing.assert_allclose(onp.asarray(getattr(got, method)(pts)), getattr(want, method)(pts), rtol=1e-12)
    for attr in ("factor", "covariance", "inv_cov", "neff", "weights"):
        onp.testing.assert_allclose(onp.asarray(getattr(got, attr)), getattr(want, attr), rtol=1e-12)
    if d == 1:
        onp.testing.assert_allclose(float(got.integrate_box_1d(-0.5, 1.0)), want.integrate_box_1d(-0.5, 1.0), rtol=1e-12)
    with pytest.raises(ValueError):
        got.logpdf(make((d + 1, 3), onp.float64))


def test_poisson_entropy():
    mu = onp.array([[0.0, 0.01, 0.5, 2.0], [10.0, 123.4, 999.0, 1001.0]])
    same_outcome(ns.poisson.entropy, st.poisson.entropy, mu, rtol=1e-11, atol=1e-15)
    same_outcome(ns.poisson.entropy, st.poisson.entropy, 2.5, rtol=1e-12)
    assert onp.isnan(float(ns.poisson.entropy(-1.0)))
    big = 5e4   # (SciPy's own sum does not converge there: the asymptotic series)
    assert abs(float(ns.poisson.entropy(big)) - 0.5 * onp.log(2 * onp.pi * onp.e * big)) < 1e-5


def test_every_method_is_gradient_checked_or_declared():
    """Every method of every distribution has a gradient spec, or no derivative: discrete ppf
    (integer values), rankdata and mode (piecewise constant)."""
    specs = {c.op for c in all_cases()}
    missing = []
    for name in ns.DISTRIBUTIONS:
        dist = getattr(ns, name)
        for method in [m for m in vars(dist) if m != "name"]:
            if f"np.scipy.stats.{name}.{method}" not in specs and not (name in DISCRETE and method == "ppf"):
                missing.append(f"{name}.{method}")
    assert not missing, f"npflow.scipy.stats methods without a gradient spec: {missing}"
