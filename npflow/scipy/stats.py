"""``npflow.scipy.stats``: SciPy's distributions (every one ``jax.scipy.stats`` has) with SciPy's
methods, as composites of npflow ops and ``npflow.scipy.special`` (so every method has
gradients in both modes, in the data and the parameters, wherever the special function it uses
has one); ``mode``, ``rankdata`` (SciPy's kernels, no derivative) and ``sem``.

As SciPy's: values are float64 (float input of any width, as SciPy promotes; SciPy computes some
methods in a float16 or float32 input's precision, npflow in float64), scalars give 0-d arrays,
invalid parameters (``scale <= 0``, a shape out of its domain) give NaN, points outside the
support give a zero density (``-inf`` log-density) and the cdf's limits, its ends the values
SciPy's framework gives there (``cdf`` 1 from the upper end on, ``ppf(0)`` the lower end).
Where SciPy is inconsistent npflow follows the consistent rule: a discrete ``logcdf`` is the log
of the ``cdf`` (NaN for invalid parameters, where SciPy's gives 0 at and above the support's
end). Zeros' signs follow npflow's formulas (SciPy's follow its own). Derivatives: where the
parameters are invalid, NaN (not a zero); tails are computed so that neither the value nor its
derivative underflows to a wrong 0 (``sf`` is not ``1 - cdf``, ``isf`` not ``ppf(1 - q)``).
"""
import collections
import math as _math

import npflow as np
from .._core.dispatch import apply, composite
from .._core.registry import Op, register
from .._numpy.math import as_arrays
from ..autodiff.rules import defelementwise
from . import special as sp
from ._kernels import scipy_kernel

_LOG2PI = _math.log(2 * _math.pi)


def _f64(*xs):
    """The arguments as float64 arrays (complex stays complex), on the device of the first
    npflow array among them (NumPy arrays and Python numbers follow it)."""
    return [x.astype(np.result_type(x.dtype, np.float64), copy=False) for x in as_arrays(*xs)]


_NAN_UNLESS = register(Op("scipy.stats.nan_unless", lambda xp: lambda ok, value: xp.where(ok, value, xp.nan)))
defelementwise(_NAN_UNLESS, None, lambda ans, ok, value: np.where(np.isnan(ans), np.nan, 1.0))


_NAN_DERIVATIVE = register(Op("scipy.stats.nan_derivative", lambda xp: lambda ok, p: xp.zeros(
    xp.broadcast_shapes(xp.shape(ok), xp.shape(p)))))
defelementwise(_NAN_DERIVATIVE, None, lambda ans, ok, p: np.where(ok, 0.0, np.nan))


def _nan_unless(ok, value, *params):
    """``value`` where ``ok``, else NaN, with NaN derivatives there, in ``value`` and in each of
    ``params`` (where() would give a silent zero, e.g. through a support's constant branch;
    ``nan * value`` in its other branch would spoil the derivatives where ``ok``)."""
    out = apply(_NAN_UNLESS, ok, value)
    for p in params:
        out = out + apply(_NAN_DERIVATIVE, ok, p)
    return out


def _positional(name, a, kw, shapes, extra):
    """SciPy's calling convention: the shape parameters, then ``extra`` (loc, scale), positional
    or by keyword; the keywords as a dict."""
    ns = len(shapes)
    if len(a) < ns or len(a) > ns + len(extra) or set(kw) - set(extra):
        raise TypeError(f"{name}: expected the shape parameters {shapes or '()'} and {', '.join(extra)} "
                        f"(positional or by keyword), got {len(a)} positional and {sorted(kw)}")
    kw = dict(kw)
    for key, v in zip(extra, a[ns:]):
        if key in kw:
            raise TypeError(f"{name}: got multiple values for argument {key!r}")
        kw[key] = v
    return kw


class _Distribution:
    """One distribution's methods as plain functions (``norm.logpdf`` is a function)."""

    def __init__(self, name, methods):
        self.name = name
        for method, fn in methods.items():
            fn.__name__ = method
            fn.__qualname__ = f"{name}.{method}"
            fn.__module__ = __name__
            setattr(self, method, composite(fn))

    def __repr__(self):
        return f"<npflow.scipy.stats.{self.name}>"


# -- continuous distributions: standardised functions of z = (x - loc) / scale ---------------------
def _continuous(name, shapes, logpdf, valid=None, cdf=None, sf=None, logcdf=None, logsf=None,
                ppf=None, isf=None, support=None):
    """SciPy's methods for a location-scale family from its standardised functions
    ``f(z, *shape_params)``; the missing ones follow from the others. ``support(*shape_params)``
    gives the standardised support's ends (the real line by default): as SciPy's framework
    (rv_continuous), the formulas are used inside it, its ends and the points beyond give the
    limits (a density's zero, the cdf's 0 and 1, the ppf's ends), NaN points and invalid
    parameters NaN."""
    ns = len(shapes)
    logcdf = logcdf or (cdf and (lambda z, *s: _log_of(cdf(z, *s), sf and sf(z, *s))))
    logsf = logsf or (sf and (lambda z, *s: _log_of(sf(z, *s), cdf and cdf(z, *s))))
    isf = isf or (ppf and (lambda q, *s: ppf(1 - q, *s)))

    def args(x, a, kw):
        kw = _positional(name, a, kw, shapes, ("loc", "scale"))
        x, loc, scale, *s = _f64(x, kw.get("loc", 0.0), kw.get("scale", 1.0), *a[:ns])
        ok = scale > 0
        if valid is not None:
            ok = ok & valid(*s)
        lo, hi = support(*s) if support is not None else (-np.inf, np.inf)
        return x, loc, scale, s, ok, lo, hi

    def density(f, log):
        def method(x, *a, **kw):
            x, loc, scale, s, ok, lo, hi = args(x, a, kw)
            z = (x - loc) / scale
            inside = (lo <= z) & (z <= hi)
            v = np.where(inside, f(z, *s), -np.inf)
            return _nan_unless(ok & ~np.isnan(z), v - np.log(scale) if log else np.exp(v) / scale, x, loc, scale, *s)
        return method

    def of_z(f, upper, at_end, beyond):
        """cdf-like (``upper``: 1 at and above the support's upper end, ``beyond`` below its
        lower end) or sf-like (the reverse)."""
        def method(x, *a, **kw):
            x, loc, scale, s, ok, lo, hi = args(x, a, kw)
            z = (x - loc) / scale
            inside = (lo < z) & (z < hi)
            end = z >= hi if upper else z <= lo
            v = np.where(inside, f(z, *s), np.where(end, at_end, beyond))
            return _nan_unless(ok & ~np.isnan(z), v, x, loc, scale, *s)
        return method

    def of_q(f, inverse):
        def method(q, *a, **kw):
            q, loc, scale, s, ok, lo, hi = args(q, a, kw)
            at0, at1 = (hi, lo) if inverse else (lo, hi)
            # the formula at q = 0 and 1 too (its derivative there, e.g. ndtri's inf), the
            # support's end where it gives NaN; outside [0, 1] it gives NaN, and so does its derivative
            v = f(q, *s)
            v = np.where(np.isnan(v) & (q == 0), at0, np.where(np.isnan(v) & (q == 1), at1, v))
            return _nan_unless(ok & (loc == loc) & (q >= 0) & (q <= 1), v * scale + loc, q, loc, scale, *s)
        return method

    methods = {"logpdf": density(logpdf, True), "pdf": density(logpdf, False)}
    for mname, f, kind in (("cdf", cdf, of_z(cdf, True, 1.0, 0.0)), ("logcdf", logcdf, of_z(logcdf, True, 0.0, -np.inf)),
                           ("sf", sf, of_z(sf, False, 1.0, 0.0)), ("logsf", logsf, of_z(logsf, False, 0.0, -np.inf)),
                           ("ppf", ppf, of_q(ppf, False)), ("isf", isf, of_q(isf, True))):
        if f is not None:
            methods[mname] = kind
    return _Distribution(name, methods)


def _above(z, c):
    """max(z, c) with z's whole derivative at z = c (np.maximum splits it at the tie): a formula's
    argument kept in its domain, differentiable from inside the support at its end."""
    return np.where(z >= c, z, c)


def _below(z, c):
    return np.where(z <= c, z, c)


def _within(z, lo, hi):
    return _below(_above(z, lo), hi)


def _log_of(p, q):
    """log(p), or log1p(-q) for p = 1 - q near 1 (where log(p) would lose q's digits)."""
    return np.log(p) if q is None else np.where(q < 0.5, np.log1p(-q), np.log(p))


def _nan_at(z, v):
    """NaN where ``z`` is NaN (a support test would give the value outside the support)."""
    return np.where(np.isnan(z), np.nan, v)


def _support(cond, value, outside=-np.inf):
    return np.where(cond, value, outside)


def _logcdf_norm(z):
    return sp.log_ndtr(z)


norm = _continuous(
    "norm", (), lambda z: -z * z / 2 - _LOG2PI / 2, cdf=sp.ndtr, sf=lambda z: sp.ndtr(-z),
    logcdf=_logcdf_norm, logsf=lambda z: sp.log_ndtr(-z), ppf=sp.ndtri, isf=lambda q: -sp.ndtri(q))
cauchy = _continuous(
    "cauchy", (), lambda z: -_math.log(_math.pi) - np.log1p(z * z),
    cdf=lambda z: 0.5 + np.arctan(z) / np.pi, sf=lambda z: 0.5 - np.arctan(z) / np.pi,
    ppf=lambda q: _cauchy_ppf(q), isf=lambda q: -_cauchy_ppf(q))
expon = _continuous(
    "expon", (), lambda z: _support(z >= 0, -z),
    cdf=lambda z: _support(z >= 0, -np.expm1(-z), 0.0), sf=lambda z: _support(z >= 0, np.exp(-z), 1.0),
    logsf=lambda z: _support(z >= 0, -z, 0.0), ppf=lambda q: -np.log1p(-q), isf=lambda q: -np.log(q),
    support=lambda: (0.0, np.inf))
laplace = _continuous(
    "laplace", (), lambda z: -_math.log(2) - np.abs(z),
    cdf=lambda z: np.where(z < 0, 0.5 * np.exp(_below(z, 0)), 1 - 0.5 * np.exp(-_above(z, 0))),
    sf=lambda z: np.where(z > 0, 0.5 * np.exp(-_above(z, 0)), 1 - 0.5 * np.exp(_below(z, 0))),
    ppf=lambda q: np.where(q <= 0.5, np.log(2 * q), -np.log(2 - 2 * q)),
    isf=lambda q: np.where(q <= 0.5, -np.log(2 * q), np.log(2 - 2 * q)))
logistic = _continuous(
    "logistic", (), lambda z: -np.abs(z) - 2 * np.log1p(np.exp(-np.abs(z))),
    cdf=sp.expit, sf=lambda z: sp.expit(-z), logcdf=lambda z: -np.logaddexp(0, -z),
    logsf=lambda z: -np.logaddexp(0, z), ppf=sp.logit, isf=lambda q: -sp.logit(q))
gumbel_r = _continuous(
    "gumbel_r", (), lambda z: -z - np.exp(-z), cdf=lambda z: np.exp(-np.exp(-z)),
    logcdf=lambda z: -np.exp(-z), sf=lambda z: -np.expm1(-np.exp(-z)), ppf=lambda q: -np.log(-np.log(q)),
    isf=lambda q: -np.log(-np.log1p(-q)))
gumbel_l = _continuous(
    "gumbel_l", (), lambda z: z - np.exp(z), cdf=lambda z: -np.expm1(-np.exp(z)),
    sf=lambda z: np.exp(-np.exp(z)), logsf=lambda z: -np.exp(z), ppf=lambda q: np.log(-np.log1p(-q)),
    isf=lambda q: np.log(-np.log(q)))
uniform = _continuous(
    "uniform", (), lambda z: _support((z >= 0) & (z <= 1), 0 * z), cdf=lambda z: _within(z, 0.0, 1.0),
    sf=lambda z: 1 - _within(z, 0.0, 1.0), ppf=lambda q: q, support=lambda: (0.0, 1.0))
pareto = _continuous(
    "pareto", ("b",), lambda z, b: _support(z >= 1, np.log(b) - (b + 1) * np.log(_above(z, 1))),
    valid=lambda b: b > 0, cdf=lambda z, b: _support(z >= 1, -np.expm1(-b * np.log(_above(z, 1))), 0.0),
    sf=lambda z, b: _support(z >= 1, np.exp(-b * np.log(_above(z, 1))), 1.0),
    logsf=lambda z, b: _support(z >= 1, -b * np.log(_above(z, 1)), 0.0),
    ppf=lambda q, b: np.exp(-np.log1p(-q) / b), isf=lambda q, b: np.exp(-np.log(q) / b),
    support=lambda b: (1.0, np.inf))
def _t_logpdf(z, df):
    """Student's t; the normal distribution (its limit) at df = inf, as SciPy."""
    big = np.isposinf(df)
    d = np.where(big, 1.0, df)
    t_ = (sp.gammaln((d + 1) / 2) - sp.gammaln(d / 2) - 0.5 * np.log(d * np.pi) - (d + 1) / 2 * np.log1p(z * z / d))
    return np.where(big, -z * z / 2 - _LOG2PI / 2, t_)


t = _continuous("t", ("df",), _t_logpdf, valid=lambda df: df > 0)
chi2 = _continuous(
    "chi2", ("df",), lambda z, df: _support(z >= 0, sp.xlogy(df / 2 - 1, z) - z / 2 - sp.gammaln(df / 2)
                                          - df / 2 * _math.log(2)),
    valid=lambda df: df > 0, cdf=lambda z, df: sp.gammainc(df / 2, _above(z, 0) / 2),
    sf=lambda z, df: sp.gammaincc(df / 2, _above(z, 0) / 2), support=lambda df: (0.0, np.inf))
gamma = _continuous(
    "gamma", ("a",), lambda z, a: _support(z >= 0, sp.xlogy(a - 1, z) - z - sp.gammaln(a)),
    valid=lambda a: a > 0, cdf=lambda z, a: sp.gammainc(a, _above(z, 0)),
    sf=lambda z, a: sp.gammaincc(a, _above(z, 0)), support=lambda a: (0.0, np.inf))
beta = _continuous(
    "beta", ("a", "b"), lambda z, a, b: _support((z >= 0) & (z <= 1), sp.xlogy(a - 1, z)
                                                  + sp.xlog1py(b - 1, -z) - sp.betaln(a, b)),
    valid=lambda a, b: (a > 0) & (b > 0), cdf=lambda z, a, b: sp.betainc(a, b, _within(z, 0.0, 1.0)),
    sf=lambda z, a, b: sp.betainc(b, a, 1 - _within(z, 0.0, 1.0)), support=lambda a, b: (0.0, 1.0))
gennorm = _continuous(
    "gennorm", ("beta",), lambda z, b: np.log(b) - _math.log(2) - sp.gammaln(1 / b) - np.abs(z) ** b,
    valid=lambda b: b > 0,
    cdf=lambda z, b: _gennorm_cdf(z, b), sf=lambda z, b: _gennorm_cdf(-z, b))
vonmises = _continuous(
    "vonmises", ("kappa",), lambda z, k: k * (np.cos(z) - 1) - _LOG2PI - _log_i0e(k),
    valid=lambda k: k >= 0)
wrapcauchy = _continuous(
    "wrapcauchy", ("c",), lambda z, c: _support((z >= 0) & (z <= 2 * np.pi), np.log1p(-c * c) - _LOG2PI
                                                 - np.log1p(c * c - 2 * c * np.cos(z))),
    valid=lambda c: (c > 0) & (c < 1), support=lambda c: (0.0, 2 * np.pi))


def _log_i0e(k):
    """log(i0e(k)) for k >= 0: log(i0(k)) - k below 500 (differentiable from the right at 0, where
    i0e has a kink), log(i0e(k)) above (i0 overflows)."""
    small = k < 500
    return np.where(small, np.log(sp.i0(np.where(small, k, 0.0))) - k, np.log(sp.i0e(np.where(small, 500.0, k))))


def _cauchy_ppf(q):
    """tan(pi (q - 1/2)) in the middle; -1 / tan(pi q) and 1 / tan(pi (1 - q)) in the tails,
    where q - 1/2 would lose q's digits (SciPy's values at q = 1e-300)."""
    mid = np.abs(q - 0.5) <= 0.25
    lower = np.where(q < 0.5, q, 1 - q) + 0.0  # (+0 at q = -0: the lower tail)
    tail = np.where(q < 0.5, -1.0, 1.0) / np.tan(np.pi * np.where(mid, 0.25, lower))
    return np.where(mid, np.tan(np.pi * (q - 0.5)), tail)


def _gennorm_cdf(z, b):
    """0.5 gammaincc(1/b, |z|**b) below 0, 0.5 + 0.5 gammainc(...) above (no cancellation)."""
    p = np.abs(z) ** b
    return np.where(z < 0, 0.5 * sp.gammaincc(1 / b, p), 0.5 + 0.5 * sp.gammainc(1 / b, p))


def _truncnorm_logmass(a, b):
    """log(ndtr(b) - ndtr(a)), in the tail where that difference would cancel."""
    upper = a > 0  # both bounds in the upper tail: use the survival functions
    return np.where(upper, np.log(sp.ndtr(-a) - sp.ndtr(-b)), np.log(sp.ndtr(b) - sp.ndtr(a)))


def _truncnorm_cdf(z, a, b):
    upper = a > 0
    c = np.where(upper, (sp.ndtr(-a) - sp.ndtr(-z)) / (sp.ndtr(-a) - sp.ndtr(-b)),
                 (sp.ndtr(z) - sp.ndtr(a)) / (sp.ndtr(b) - sp.ndtr(a)))
    return np.where(z <= a, 0.0, np.where(z >= b, 1.0, c))


truncnorm = _continuous(
    "truncnorm", ("a", "b"), lambda z, a, b: _support((z >= a) & (z <= b), -z * z / 2 - _LOG2PI / 2
                                                      - _truncnorm_logmass(a, b)),
    valid=lambda a, b: a < b, cdf=_truncnorm_cdf, sf=lambda z, a, b: _truncnorm_cdf(-z, -b, -a),
    support=lambda a, b: (a, b))


# -- discrete distributions: functions of k (shifted by loc) ----------------------------------
def _discrete(name, shapes, logpmf, support, valid, cdf=None, sf=None, ppf=None):
    ns = len(shapes)

    def args(k, a, kw):
        kw = _positional(name, a, kw, shapes, ("loc",))
        k, loc, *s = _f64(k, kw.get("loc", 0), *a[:ns])
        return k - loc, s, valid(*s)

    def logpmf_(k, *a, **kw):
        k, s, ok = args(k, a, kw)
        inside = support(k, *s) & (k == np.floor(k))
        return _nan_unless(ok & ~np.isnan(k), np.where(inside, logpmf(np.where(inside, k, 0), *s), -np.inf), k, *s)

    def pmf_(k, *a, **kw):
        return np.exp(logpmf_(k, *a, **kw))
    methods = {"logpmf": logpmf_, "pmf": pmf_}
    if cdf is not None:
        def cdf_(k, *a, **kw):  # (1 at and above the support's upper end, as SciPy's framework)
            k, s, ok = args(k, a, kw)
            return _nan_unless(ok & ~np.isnan(k), np.where(np.isposinf(k), 1.0, cdf(np.floor(k), *s)), k, *s)

        def logcdf_(k, *a, **kw):
            return np.log(cdf_(k, *a, **kw))

        def sf_(k, *a, **kw):  # (its own formula: 1 - cdf would lose the upper tail)
            k, s, ok = args(k, a, kw)
            return _nan_unless(ok & ~np.isnan(k), np.where(np.isposinf(k), 0.0, sf(np.floor(k), *s)), k, *s)
        methods.update(cdf=cdf_, logcdf=logcdf_, sf=sf_)
    if ppf is not None:
        def ppf_(q, *a, **kw):
            kw = _positional(name, a, kw, shapes, ("loc",))
            q, loc, *s = _f64(q, kw.get("loc", 0), *a[:ns])
            return _nan_unless(valid(*s) & (loc == loc) & (q >= 0) & (q <= 1), ppf(q, *s) + loc, q, loc, *s)
        methods["ppf"] = ppf_
    return _Distribution(name, methods)


def _unit(p):
    return (p >= 0) & (p <= 1)


bernoulli = _discrete(
    "bernoulli", ("p",), lambda k, p: sp.xlogy(k, p) + sp.xlog1py(1 - k, -p), lambda k, p: (k >= 0) & (k <= 1),
    _unit, cdf=lambda k, p: np.where(k < 0, 0.0, np.where(k < 1, 1 - p, 1.0)),
    sf=lambda k, p: np.where(k < 0, 1.0, np.where(k < 1, p, 0.0)),
    ppf=lambda q, p: np.where(q == 0, -1.0, np.where((q <= 1 - p) & (q < 1), 0.0, 1.0)))
binom = _discrete(
    "binom", ("n", "p"), lambda k, n, p: (sp.gammaln(n + 1) - sp.gammaln(k + 1) - sp.gammaln(n - k + 1)
                                          + sp.xlogy(k, p) + sp.xlog1py(n - k, -p)),
    lambda k, n, p: (k >= 0) & (k <= n), lambda n, p: _unit(p) & (n >= 0) & (n == np.floor(n)))
betabinom = _discrete(
    "betabinom", ("n", "a", "b"), lambda k, n, a, b: (-np.log1p(n) - sp.betaln(n - k + 1, k + 1)
                                                      + sp.betaln(k + a, n - k + b) - sp.betaln(a, b)),
    lambda k, n, a, b: (k >= 0) & (k <= n), lambda n, a, b: (n >= 0) & (n == np.floor(n)) & (a > 0) & (b > 0))
geom = _discrete(
    "geom", ("p",), lambda k, p: sp.xlog1py(k - 1, -p) + np.log(p), lambda k, p: k >= 1,
    lambda p: (p > 0) & (p <= 1), cdf=lambda k, p: np.where(k < 1, 0.0, -np.expm1(sp.xlog1py(k, -p))),
    sf=lambda k, p: np.where(k < 1, 1.0, np.exp(sp.xlog1py(k, -p))))
nbinom = _discrete(
    "nbinom", ("n", "p"), lambda k, n, p: (sp.gammaln(n + k) - sp.gammaln(k + 1) - sp.gammaln(n)
                                           + n * np.log(p) + sp.xlog1py(k, -p)),
    lambda k, n, p: k >= 0, lambda n, p: (n > 0) & (p > 0) & (p <= 1),
    # (SciPy's kernel gives NaN for n = inf)
    cdf=lambda k, n, p: np.where(k < 0, 0.0, sp.betainc(n, np.maximum(k, 0) + 1, p) + np.where(np.isinf(n), np.nan, 0)),
    sf=lambda k, n, p: np.where(k < 0, 1.0, sp.betainc(np.maximum(k, 0) + 1, n, 1 - p) + np.where(np.isinf(n), np.nan, 0)))
poisson = _discrete(
    "poisson", ("mu",), lambda k, mu: sp.xlogy(k, mu) - sp.gammaln(k + 1) - mu, lambda k, mu: k >= 0,
    lambda mu: mu >= 0, cdf=lambda k, mu: np.where(k < 0, 0.0, sp.gammaincc(np.maximum(k, 0) + 1, mu)),
    sf=lambda k, mu: np.where(k < 0, 1.0, sp.gammainc(np.maximum(k, 0) + 1, mu)))


def _poisson_entropy(mu, loc=0):
    """-sum pmf log pmf over k = 0 .. mu + 30 sqrt(mu) + 40 (the rest is below 1e-190); for mu
    above 1000 the asymptotic series 0.5 log(2 pi e mu) - 1/(12 mu) - 1/(24 mu^2) - 19/(360 mu^3)."""
    (mu,) = _f64(mu)
    big = mu > 1000
    small_mu = np.where(big, 1.0, mu)
    top = float(np.max(np.stop_gradient(small_mu))) if small_mu.size else 0.0
    kmax = int(top + 30 * _math.sqrt(max(top, 0.0)) + 40)
    k = np.arange(kmax + 1, dtype=np.float64, device=mu.device).reshape((-1,) + (1,) * mu.ndim)
    logp = sp.xlogy(k, small_mu) - sp.gammaln(k + 1) - small_mu
    series = -np.sum(np.exp(logp) * np.where(np.isfinite(logp), logp, 0.0), axis=0)  # (0 log 0 = 0)
    big_mu = np.where(big, mu, 1e4)
    asym = (0.5 * np.log(2 * np.pi * np.e * big_mu) - 1 / (12 * big_mu) - 1 / (24 * big_mu ** 2)
            - 19 / (360 * big_mu ** 3))
    return _nan_unless(mu >= 0, np.where(big, asym, series))


poisson.entropy = composite(_poisson_entropy)
poisson.entropy.__qualname__ = "poisson.entropy"


# -- multivariate ------------------------------------------------------------------------------
def _mvn_params(mean, cov, x):
    """SciPy's _process_parameters and _process_quantiles: (x (..., d), mean (d,), cov (d, d))."""
    x, cov, *mean = _f64(x, cov, *(() if mean is None else (mean,)))
    mean = mean[0].reshape(-1) if mean else None
    dim = mean.shape[0] if mean is not None else cov.shape[0] if cov.ndim == 2 else 1
    mean = np.zeros(dim, device=x.device) if mean is None else mean
    if cov.ndim == 0:
        cov = cov * np.eye(dim, device=x.device)
    elif cov.ndim == 1:
        cov = np.diag(cov)
    if cov.shape != (dim, dim):
        raise ValueError(f"multivariate_normal: cov of shape {cov.shape} does not match a mean of "
                         f"dimension {dim}")
    if x.ndim == 0:
        x = x[None]
    if x.ndim == 1:
        x = x[:, None] if dim == 1 else x[None, :]
    return x, mean, cov, dim


def _squeeze(out):
    return np.squeeze(out)


def _infinite_dev(dev, out):
    """-inf where a deviation has an infinite component and no NaN (the quadratic form of a
    positive (semi)definite matrix is +inf there; substitution would give inf - inf)."""
    inf = np.any(np.isinf(dev), axis=-1) & ~np.any(np.isnan(dev), axis=-1)
    return np.where(np.stop_gradient(inf), -np.inf, out)


def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    x, mean, cov, dim = _mvn_params(mean, cov, x)
    dev = x - mean
    if not allow_singular:
        try:
            L = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError as e:
            raise np.linalg.LinAlgError("multivariate_normal: when allow_singular is False, cov must "
                                        "be symmetric positive definite") from e
        sol = np.linalg.solve(L, np.moveaxis(dev, -1, 0).reshape(dim, -1))
        maha = np.sum(sol * sol, axis=0).reshape(dev.shape[:-1])
        logdet = 2 * np.sum(np.log(np.diagonal(L)))
        return _squeeze(_infinite_dev(dev, -0.5 * (dim * _LOG2PI + logdet + maha)))
    # SciPy's pseudo-inverse and pseudo-determinant over the eigenvalues above its cutoff
    s, u = np.linalg.eigh(cov)
    eps = 1e6 * np.finfo(np.float64).eps * np.max(np.abs(np.stop_gradient(s)))
    if bool(np.any(s < -eps)):
        raise ValueError("multivariate_normal: the input matrix must be symmetric positive semidefinite")
    keep = s > eps
    s_kept = np.where(keep, s, 1.0)
    rank = int(np.sum(keep))
    proj = (dev @ u) * np.where(keep, 1 / np.sqrt(s_kept), 0.0)
    maha = np.sum(proj * proj, axis=-1)
    log_pdet = np.sum(np.where(keep, np.log(s_kept), 0.0))
    out = -0.5 * (rank * _LOG2PI + log_pdet + maha)
    # points off the support (outside the span of cov) have zero density
    resid = dev - (dev @ u) * keep @ u.T
    off = np.sqrt(np.sum(resid * resid, axis=-1)) > 1e-5 * (1 + np.sqrt(np.sum(dev * dev, axis=-1)))
    off = off | (rank == 0)  # (a zero covariance: SciPy's support is empty)
    return _squeeze(_infinite_dev(dev, np.where(np.stop_gradient(off), -np.inf, out)))


def _mvn_pdf(x, mean=None, cov=1, allow_singular=False):
    return np.exp(_mvn_logpdf(x, mean, cov, allow_singular))


multivariate_normal = _Distribution("multivariate_normal", {"logpdf": _mvn_logpdf, "pdf": _mvn_pdf})


def _dirichlet_logpdf(x, alpha):
    x, alpha = _f64(x, alpha)
    if alpha.ndim != 1:
        raise ValueError("dirichlet: parameter vector 'alpha' must be one-dimensional")
    if x.shape[0] == alpha.shape[0] - 1:
        x = np.concatenate([x, (1 - np.sum(x, axis=0))[None]], axis=0)
    if x.shape[0] != alpha.shape[0]:
        raise ValueError(f"dirichlet: x has {x.shape[0]} components along its first axis, alpha has "
                         f"{alpha.shape[0]}")
    if bool(np.any(alpha <= 0)):
        raise ValueError("dirichlet: all parameters must be greater than 0")
    if bool(np.any(x < 0)) or bool(np.any(x > 1)):
        raise ValueError("dirichlet: each entry in 'x' must be in [0, 1]")
    if bool(np.any(np.abs(np.sum(x, axis=0) - 1) > 1e-9)):
        raise ValueError("dirichlet: the input vector 'x' must lie within the normal simplex")
    a = alpha.reshape(alpha.shape + (1,) * (x.ndim - 1))
    lnB = np.sum(sp.gammaln(alpha)) - sp.gammaln(np.sum(alpha))
    return _squeeze(np.sum(sp.xlogy(a - 1, x), axis=0) - lnB)


def _dirichlet_pdf(x, alpha):
    return np.exp(_dirichlet_logpdf(x, alpha))


dirichlet = _Distribution("dirichlet", {"logpdf": _dirichlet_logpdf, "pdf": _dirichlet_pdf})


def _multinomial_logpmf(x, n, p):
    x, n, p = _f64(x, n, p)
    # SciPy's: the last probability is 1 - the sum of the others
    p = np.concatenate([p[..., :-1], 1 - np.sum(p[..., :-1], axis=-1, keepdims=True)], axis=-1)
    ok = (n >= 0) & np.all((p >= 0) & (p <= 1), axis=-1)
    inside = np.all((x >= 0) & (x == np.floor(x)), axis=-1) & (np.sum(x, axis=-1) == n)
    v = sp.gammaln(n + 1) + np.sum(sp.xlogy(x, p) - sp.gammaln(x + 1), axis=-1)
    return _nan_unless(ok, np.where(inside, v, -np.inf))


def _multinomial_pmf(x, n, p):
    return np.exp(_multinomial_logpmf(x, n, p))


multinomial = _Distribution("multinomial", {"logpmf": _multinomial_logpmf, "pmf": _multinomial_pmf})


# -- functions -----------------------------------------------------------------------------------
_RANKDATA = register(Op("scipy.stats.rankdata", scipy_kernel("stats", "rankdata"), differentiable=False))


def _as_tuple(kernel):
    return lambda a, **params: tuple(kernel(a, **params))


_MODE = register(Op("scipy.stats.mode", lambda xp: _as_tuple(scipy_kernel("stats", "mode")(xp)), nout=2,
                    differentiable=False))
ModeResult = collections.namedtuple("ModeResult", ("mode", "count"))


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """SciPy's ranks of ``a`` (its kernel; no derivative: ranks are piecewise constant)."""
    return apply(_RANKDATA, a, method=method, axis=axis, nan_policy=nan_policy)


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """SciPy's most common value along ``axis`` and its count (its kernel; no derivative)."""
    return ModeResult(*apply(_MODE, a, axis=axis, nan_policy=nan_policy, keepdims=keepdims))


@composite
def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """The standard error of the mean, ``std(a, ddof) / sqrt(n)`` along ``axis`` (differentiable)."""
    if nan_policy not in ("propagate", "omit", "raise"):
        raise ValueError(f"sem(): nan_policy must be one of 'propagate', 'omit', 'raise', got {nan_policy!r}")
    a = np.asarray(a)
    if nan_policy == "raise" and bool(np.any(np.isnan(a))):
        raise ValueError("sem(): the input contains nan values")
    if nan_policy == "omit":
        n = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
        sd = np.nanstd(a, axis=axis, ddof=ddof, keepdims=keepdims)
        return sd / np.sqrt(n).astype(sd.dtype)
    n = a.size if axis is None else a.shape[axis]
    return np.std(a, axis=axis, ddof=ddof, keepdims=keepdims) / _math.sqrt(n)


DISTRIBUTIONS = ["norm", "cauchy", "expon", "laplace", "logistic", "gumbel_r", "gumbel_l", "uniform",
                 "pareto", "t", "chi2", "gamma", "beta", "gennorm", "vonmises", "wrapcauchy", "truncnorm",
                 "bernoulli", "binom", "betabinom", "geom", "nbinom", "poisson", "multivariate_normal",
                 "dirichlet", "multinomial"]
__all__ = DISTRIBUTIONS + ["rankdata", "mode", "sem", "ModeResult"]


class gaussian_kde:
    """SciPy's Gaussian kernel density estimate of ``dataset`` (``(d, n)``, or ``(n,)`` for d = 1),
    with ``bw_method`` 'scott' (default), 'silverman', a number or a callable of the estimator,
    and optional ``weights``; differentiable in the data, the weights and the points evaluated."""

    def __init__(self, dataset, bw_method=None, weights=None):
        self.dataset = np.atleast_2d(_f64(dataset)[0])
        if self.dataset.size <= 1:
            raise ValueError("gaussian_kde: `dataset` input should have multiple elements.")
        self.d, self.n = self.dataset.shape
        if weights is not None:
            w = _f64(weights)[0]
            if w.ndim != 1 or w.shape[0] != self.n:
                raise ValueError("gaussian_kde: `weights` input should be one-dimensional and of the "
                                 "same length as the dataset")
            self._weights = w / np.sum(w)
        else:
            self._weights = np.full((self.n,), 1.0 / self.n, device=self.dataset.device)
        self._neff = 1 / np.sum(self._weights ** 2)
        self.set_bandwidth(bw_method)

    weights = property(lambda self: self._weights, doc="The normalized weights of the data points.")
    neff = property(lambda self: self._neff, doc="The effective number of data points, 1 / sum(weights**2).")

    def scotts_factor(self):
        """Scott's bandwidth factor, neff ** (-1 / (d + 4))."""
        return self.neff ** (-1.0 / (self.d + 4))

    def silverman_factor(self):
        """Silverman's bandwidth factor, (neff (d + 2) / 4) ** (-1 / (d + 4))."""
        return (self.neff * (self.d + 2.0) / 4.0) ** (-1.0 / (self.d + 4))

    def covariance_factor(self):
        """The bandwidth factor the covariance is scaled by (``set_bandwidth`` chooses it)."""
        return self.scotts_factor()

    def set_bandwidth(self, bw_method=None):
        """Choose the bandwidth ('scott', 'silverman', a number or a callable of the estimator)
        and recompute the kernel covariance."""
        if bw_method is None or bw_method == "scott":
            self.covariance_factor = self.scotts_factor
        elif bw_method == "silverman":
            self.covariance_factor = self.silverman_factor
        elif isinstance(bw_method, (int, float)) and not isinstance(bw_method, bool):
            self.covariance_factor = lambda: bw_method
        elif callable(bw_method):
            self.covariance_factor = lambda: bw_method(self)
        else:
            raise ValueError("gaussian_kde: `bw_method` should be 'scott', 'silverman', a scalar or a callable.")
        self.factor = self.covariance_factor()
        data_cov = np.atleast_2d(np.cov(self.dataset, rowvar=True, bias=False, aweights=self.weights))
        self.covariance = data_cov * self.factor ** 2
        self._chol = np.linalg.cholesky(self.covariance)
        self.log_det = 2 * np.sum(np.log(np.diagonal(self._chol)))

    @property
    def inv_cov(self):
        """The inverse of the kernel covariance."""
        return np.linalg.inv(self.covariance)

    def _points(self, points):
        points = np.atleast_2d(_f64(points)[0])
        d, m = points.shape
        if d != self.d:
            if d == 1 and m == self.d:
                points = np.reshape(points, (self.d, 1))
            else:
                raise ValueError(f"gaussian_kde: points have dimension {d}, dataset has dimension {self.d}")
        return points

    def logpdf(self, x):
        """The log of the estimated density at the points ``x`` (``(d, m)``)."""
        pts = self._points(x)
        diff = pts[:, None, :] - self.dataset[:, :, None]                      # (d, n, m)
        z = np.linalg.solve(self._chol, np.reshape(diff, (self.d, -1)))
        maha = np.reshape(np.sum(z * z, axis=0), (self.n, pts.shape[1]))
        from .special import logsumexp
        return logsumexp(-0.5 * maha, axis=0, b=self.weights[:, None]) - 0.5 * (self.log_det + self.d * _LOG2PI)

    def evaluate(self, points):
        """The estimated density at ``points``."""
        return np.exp(self.logpdf(points))

    __call__ = pdf = evaluate

    def integrate_box_1d(self, low, high):
        """The integral of a 1-d estimate between ``low`` and ``high``."""
        if self.d != 1:
            raise ValueError("gaussian_kde: integrate_box_1d() only handles 1-D pdfs.")
        std = np.sqrt(self.covariance[0, 0])
        lo = (low - self.dataset[0]) / std
        hi = (high - self.dataset[0]) / std
        return np.sum(self.weights * (sp.ndtr(hi) - sp.ndtr(lo)))


__all__.append("gaussian_kde")
