"""Gradient specs for npflow.scipy.stats: every method of every distribution (composites named
``np.scipy.stats.<distribution>.<method>``), in the data, loc, scale and the shape parameters
wherever the special functions a method uses are differentiable in them."""
import numpy as onp

import npflow as np
import npflow.scipy.special as sp
import npflow.scipy.stats as st
from gradspecs import Case, rand

A = rand(5, seed=100)
POS = rand(5, low=0.3, high=3.0, seed=101)
UNIT = rand(5, low=0.1, high=0.9, seed=102)
Q = rand(5, low=0.05, high=0.95, seed=103)
LOC, SCALE = onp.asarray(-0.3), onp.asarray(1.3)

# distribution: (points inside the support, shape parameters, whether the cdf family (cdf, sf,
# their logs, ppf, isf) is differentiable in the shape parameters)
CONTINUOUS = {
    "norm": (A, (), True), "cauchy": (A, (), True), "expon": (POS, (), True), "laplace": (A, (), True),
    "logistic": (A, (), True), "gumbel_r": (A, (), True), "gumbel_l": (A, (), True),
    "uniform": (UNIT, (), True), "pareto": (POS + 1.5, (onp.asarray(2.5),), True),
    "t": (A, (onp.asarray(3.5),), False), "chi2": (POS, (onp.asarray(2.5),), False),
    "gamma": (POS, (onp.asarray(1.7),), False), "beta": (UNIT, (onp.asarray(2.0), onp.asarray(3.0)), False),
    "gennorm": (A, (onp.asarray(1.5),), False), "vonmises": (A, (onp.asarray(2.0),), False),
    "wrapcauchy": (POS + 0.5, (onp.asarray(0.4),), False),
    "truncnorm": (UNIT * 1.5 - 0.4, (onp.asarray(-1.0), onp.asarray(2.0)), True),
}
DENSITY = ("logpdf", "pdf")


def _continuous_cases():
    cases = []
    for name, (x, shapes, cdf_in_shapes) in CONTINUOUS.items():
        dist = getattr(st, name)
        for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
            f = getattr(dist, method, None)
            if f is None:
                continue
            pts = Q if method in ("ppf", "isf") else x
            op = f"np.scipy.stats.{name}.{method}"
            if method in DENSITY or cdf_in_shapes:
                cases.append(Case(op, lambda x, loc, scale, *s, f=f: f(x, *s, loc=loc, scale=scale),
                                  (pts, LOC, SCALE, *shapes)))
            else:
                cases.append(Case(op, lambda x, loc, scale, f=f, s=shapes: f(x, *s, loc=loc, scale=scale),
                                  (pts, LOC, SCALE)))
    return cases


K = onp.array([0.0, 1, 2, 3, 5])
# distribution: (points in the support, the differentiable shape parameters' values, the
# shapes before them (constants), the methods differentiable in them)
DISCRETE = {
    "bernoulli": (K[:2], (onp.asarray(0.3),), (), ("logpmf", "pmf", "cdf", "logcdf", "sf")),
    "binom": (K, (onp.asarray(0.3),), (6,), ("logpmf", "pmf")),
    "betabinom": (K, (onp.asarray(2.0), onp.asarray(3.0)), (6,), ("logpmf", "pmf")),
    "geom": (K[1:], (onp.asarray(0.3),), (), ("logpmf", "pmf", "cdf", "logcdf", "sf")),
    "nbinom": (K, (onp.asarray(2.5), onp.asarray(0.4)), (), ("logpmf", "pmf")),
    "poisson": (K, (onp.asarray(2.0),), (), ("logpmf", "pmf", "cdf", "logcdf", "sf")),
}


def _discrete_cases():
    cases = []
    for name, (k, params, fixed, methods) in DISCRETE.items():
        for method in methods:
            f = getattr(getattr(st, name), method)
            cases.append(Case(f"np.scipy.stats.{name}.{method}",
                              lambda *p, f=f, k=k, fixed=fixed: f(k, *fixed, *p), params))
    # nbinom's cdf is betainc(n, k + 1, p): differentiable in p only
    cases.append(Case("np.scipy.stats.poisson.entropy", st.poisson.entropy, (onp.array([0.5, 2.0, 7.5]),)))
    cases += [Case(f"np.scipy.stats.nbinom.{m}", lambda p, m=m: getattr(st.nbinom, m)(K, 2.5, p),
                   (onp.asarray(0.4),)) for m in ("cdf", "logcdf", "sf")]
    return cases


M = rand(3, seed=104)
F = rand(3, 3, seed=105)
X = rand(4, 3, seed=106)


def _cov(f):
    return f @ f.T + np.eye(3, device=f.device)


SPECS = [
    *_continuous_cases(), *_discrete_cases(),
    Case("np.scipy.stats.multivariate_normal.logpdf",
         lambda x, m, f: st.multivariate_normal.logpdf(x, m, _cov(f)), (X, M, F)),
    Case("np.scipy.stats.multivariate_normal.logpdf",
         lambda x, m, f: st.multivariate_normal.logpdf(x, m, _cov(f), allow_singular=True), (X, M, F),
         "allow_singular"),
    Case("np.scipy.stats.multivariate_normal.logpdf",
         lambda x, d: st.multivariate_normal.logpdf(x, onp.zeros(3), d * d + 0.5), (X, M), "diagonal"),
    Case("np.scipy.stats.multivariate_normal.pdf",
         lambda x, m, f: st.multivariate_normal.pdf(x, m, _cov(f)), (X[0], M, F)),
    # the first K - 1 components (the last is 1 - their sum, so x stays on the simplex)
    Case("np.scipy.stats.dirichlet.logpdf", st.dirichlet.logpdf,
         (rand(2, 4, low=0.1, high=0.45, seed=107), rand(3, low=0.5, high=3, seed=108))),
    Case("np.scipy.stats.dirichlet.pdf", st.dirichlet.pdf,
         (rand(2, low=0.1, high=0.45, seed=109), rand(3, low=0.5, high=3, seed=110))),
    *[Case(f"np.scipy.stats.multinomial.{m}",
           lambda theta, m=m: getattr(st.multinomial, m)(onp.array([[1.0, 2, 0], [0, 0, 3]]), 3, sp.softmax(theta)),
           (rand(3, seed=111),)) for m in ("logpmf", "pmf")],
    Case("np.scipy.stats.sem", st.sem, (rand(4, 3, seed=112),)),
    Case("np.scipy.stats.gaussian_kde.logpdf", lambda data, x: st.gaussian_kde(data).logpdf(x),
         (rand(2, 12, seed=114), rand(2, 3, seed=115))),
    Case("np.scipy.stats.gaussian_kde.evaluate", lambda data, w, x: st.gaussian_kde(data, "silverman", w)(x),
         (rand(12, seed=116), rand(12, low=0.5, high=1.0, seed=117), rand(4, seed=118))),
    Case("np.scipy.stats.sem", lambda a: st.sem(a, axis=None, ddof=0), (rand(4, 3, seed=113),), "axis-None"),
    # every method's last step: the value where the parameters are valid (NaN elsewhere)
    Case("scipy.stats.nan_unless", lambda x: st._nan_unless(x > -10, x * x),
         (rand(3, seed=119),)),
    Case("scipy.stats.nan_derivative", lambda x: st._nan_unless(x > -10, x * x, x),
         (rand(3, seed=120),)),
]
