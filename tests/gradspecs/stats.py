"""Gradient specs for statistics, signal processing and polynomials (npflow._numpy.stats, .signal,
.polynomial): composites checked under their public names, and the ``bincount`` op."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

X = rand(3, 5, seed=31)                                  # distinct values: sorting stays put
X3 = rand(2, 3, 4, seed=32)
XN = X.copy()
XN[[0, 2], [1, 3]] = onp.nan                              # nan-functions: NaNs get no derivative
Z = rand(3, 5, seed=33, complex=True)
V = rand(5, seed=34)
ZV = rand(5, seed=35, complex=True)
K = rand(3, seed=36)
ZK = rand(3, seed=37, complex=True)
Q = onp.array([0.31, 0.77])                              # virtual indices off the integers
W = rand(3, 5, low=0.5, high=1.5, seed=38)
XP = onp.sort(rand(6, low=0.0, high=10.0, seed=39))
XI = onp.array([-1.3, 0.4, 2.2, 5.1, 7.7, 9.9, 11.4])   # outside, inside, beyond the samples
SP = onp.cumsum(rand(5, low=0.5, high=1.5, seed=40))     # non-uniform spacing
IDX = onp.array([0, 2, 2, 4, 1, 4, 4])
PH = onp.cumsum(rand(8, low=-4.0, high=4.0, seed=41))    # phases with jumps over pi
P = rand(4, seed=42)
PQ = onp.array([1.5, 0.3, -0.7])
METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf", "averaged_inverted_cdf",
           "closest_observation", "interpolated_inverted_cdf", "hazen", "weibull", "median_unbiased",
           "normal_unbiased"]


def case(op, fn, args, label=""):
    return Case(op, fn, args, label)


SPECS = [case("np.quantile", (lambda m: lambda x: np.quantile(x, Q, axis=1, method=m))(m), (X,), m)
         for m in METHODS]
SPECS += [
    case("np.quantile", lambda x, q: np.quantile(x, q), (X, Q), "q-all"),
    case("np.quantile", lambda x: np.quantile(x, 0.4, axis=(0, 2), keepdims=True), (X3,), "tuple-keepdims"),
    case("np.quantile", lambda x: np.quantile(x, Q, axis=0, method="inverted_cdf", weights=W), (X,), "weights"),
    case("np.percentile", lambda x, q: np.percentile(x, q, axis=0), (X, 100 * Q), "axis0"),
    case("np.percentile", lambda x: np.percentile(x, 65, method="hazen"), (X3,), "hazen"),
    case("np.nanquantile", lambda x, q: np.nanquantile(x, q, axis=1), (XN, Q), "axis1"),
    case("np.nanquantile", lambda x: np.nanquantile(x, Q, method="inverted_cdf", weights=W), (XN,), "weights"),
    case("np.nanpercentile", lambda x: np.nanpercentile(x, [20, 70], axis=0, method="median_unbiased"),
         (XN,), "median_unbiased"),
    case("np.cov", lambda x: np.cov(x), (X,), "rows"),
    case("np.cov", lambda x, y: np.cov(x, y, rowvar=False, ddof=0), (X, X[:, 0]), "y-cols-ddof0"),
    case("np.cov", lambda x: np.cov(x, fweights=[1, 2, 1, 3, 1], aweights=W[0]), (X,), "weights"),
    case("np.cov", lambda x: np.cov(x), (Z,), "complex"),
    case("np.corrcoef", lambda x: np.corrcoef(x), (X,), "rows"),
    case("np.corrcoef", lambda x, y: np.corrcoef(x, y), (X, V), "y"),
    case("np.corrcoef", lambda x: np.corrcoef(x), (Z,), "complex"),
    case("bincount", lambda w: np.bincount(IDX, w), (rand(7, seed=43),), "weights"),
    case("bincount", lambda w: np.bincount(IDX, w, minlength=8), (rand(7, seed=44),), "minlength"),
    case("np.histogram", lambda w: np.histogram(V, 3, weights=w)[0], (rand(5, seed=45),), "weights"),
    case("np.histogram", lambda a: np.histogram(a, 3, density=True)[0], (V,), "density-edges"),
    case("np.histogram", lambda w: np.histogram(V, [-2.0, -0.5, 0.7, 2.0], weights=w)[0],
         (rand(5, seed=46, complex=True),), "array-bins-complex"),
    case("np.histogram_bin_edges", lambda a: np.histogram_bin_edges(a, 4), (V,), "from-min-max"),
    case("np.histogram2d", lambda w: np.histogram2d(X[0], X[1], 2, weights=w)[0], (X[2],), "weights"),
    case("np.histogramdd", lambda s: np.histogramdd(s, 2, density=True)[0], (X.T,), "density"),
    case("np.convolve", lambda a, v: np.convolve(a, v), (V, K), "full"),
    case("np.convolve", lambda a, v: np.convolve(a, v, "same"), (K, ZV), "same-complex"),
    case("np.correlate", lambda a, v: np.correlate(a, v), (V, K), "valid"),
    case("np.correlate", lambda a, v: np.correlate(a, v, "full"), (ZV, ZK), "full-complex"),
    case("np.correlate", lambda a, v: np.correlate(a, v, "same"), (K, V), "same-swapped"),
    case("np.interp", lambda x, xp, fp: np.interp(x, xp, fp), (XI, XP, rand(6, seed=47)),
         "x-xp-fp"),
    case("np.interp", lambda x, fp: np.interp(x, XP, fp, left=-1.0, right=fp[0]), (XI, rand(6, seed=48)),
         "left-right"),
    case("np.interp", lambda x, fp: np.interp(x, XP, fp, period=12.0), (XI, rand(6, seed=49, complex=True)),
         "period-complex"),
    case("np.gradient", lambda f: np.gradient(f), (X,), "2d"),
    case("np.gradient", lambda f, x: np.gradient(f, x, axis=1, edge_order=2), (X, SP), "spacing-order2"),
    case("np.gradient", lambda f: np.gradient(f, 0.5, axis=0, edge_order=2), (Z,), "complex-uniform"),
    case("np.trapezoid", lambda y: np.trapezoid(y, dx=0.5), (X,), "dx"),
    case("np.trapezoid", lambda y, x: np.trapezoid(y, x, axis=1), (Z, SP), "x-complex"),
    case("np.unwrap", lambda p: np.unwrap(p), (PH,), "default"),
    case("np.unwrap", lambda p: np.unwrap(p, discont=4.0, axis=0, period=5.0), (PH.reshape(4, 2),), "period"),
    case("np.ediff1d", lambda a: np.ediff1d(a, to_end=[1.0, 2.0], to_begin=-3.0), (X,), "ends"),
    case("np.ediff1d", lambda a: np.ediff1d(a), (Z,), "complex"),
    case("np.vander", lambda x: np.vander(x), (V,), "square"),
    case("np.vander", lambda x: np.vander(x, 3, increasing=True), (ZV,), "increasing-complex"),
    case("np.sort_complex", lambda a: np.sort_complex(a), (V,), "real"),
    case("np.sort_complex", lambda a: np.sort_complex(a), (ZV,), "complex"),
    case("np.polyadd", lambda a, b: np.polyadd(a, b), (P, PQ), "padded"),
    case("np.polysub", lambda a, b: np.polysub(a, b), (PQ, P + 1j), "complex"),
    case("np.polymul", lambda a, b: np.polymul(a, b), (P, PQ), "real"),
    case("np.polymul", lambda a, b: (np.poly1d(a) * b).coeffs, (ZV, PQ), "poly1d-complex"),
    case("np.polydiv", lambda u, v: np.polydiv(u, v)[0], (P, PQ[:2]), "quotient"),
    case("np.polydiv", lambda u, v: np.polydiv(u, v)[1], (P, PQ), "remainder"),
    case("np.polyder", lambda p: np.polyder(p, 2), (P,), "m2"),
    case("np.polyder", lambda p: np.poly1d(p).deriv().coeffs, (ZV,), "poly1d-complex"),
    case("np.polyint", lambda p: np.polyint(p, 2, k=[1.0, 2.0]), (P,), "m2-k"),
    case("np.polyint", lambda p, k: np.polyint(p, 1, k=k), (ZV, onp.array([0.5])), "k-complex"),
    case("np.polyval", lambda p, x: np.polyval(p, x), (P, X), "x2d"),
    case("np.polyval", lambda p, x: np.poly1d(p)(x), (ZV, V), "poly1d-complex"),
]
