"""Statistics against NumPy: quantiles (every method, weights, nan-variants), cov, corrcoef,
histograms, bincount, digitize; dtypes, axes, errors and devices."""
import inspect
import warnings

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import stats as S
from support import (REAL, FLOATS, BOOL, COMPLEX, assert_same, same_function, make, hyp_arrays, ids,
                     raises_like_numpy)

QUANTILES = ["quantile", "percentile", "nanquantile", "nanpercentile"]
METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf", "averaged_inverted_cdf",
           "closest_observation", "interpolated_inverted_cdf", "hazen", "weibull", "median_unbiased",
           "normal_unbiased"]
RTOL = 1e-13  # composites: NumPy's own steps, within an ulp or two


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def check(name, *args, rtol=RTOL, **kw):
    """``name(*args, **kw)`` in npflow equals NumPy's (NumPy arrays in kw converted), or both raise alike."""
    return same_function(name, *args, rtol=rtol, atol=1e-300, **kw)


def test_signatures_match_numpy():
    for name in S.__all__:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


def _data(name, dtype, shape=(4, 5), seed=0):
    x = make(shape, dtype, seed)
    if name.startswith("nan") and x.dtype.kind == "f":
        x.flat[::4] = onp.nan
        x[-1] = onp.nan                                      # an all-NaN line
    return x


def _q(name, q):
    return q if "quantile" in name else (onp.multiply(q, 100) if isinstance(q, (list, onp.ndarray)) else q * 100)


QS = [0.3, 1, [0.0, 0.25, 1.0], onp.float32(0.4), onp.array([[0.1, 0.2], [0.9, 1.0]])]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", QUANTILES)
def test_quantiles(name, method):
    """Every function and method over dtypes, q forms (Python, 0-d, 1-d, 2-d), axes and keepdims."""
    for dtype in REAL + BOOL[:0]:
        x = _data(name, dtype)
        for q in QS:
            for axis in (None, 0, -1, (0, 1)):
                check(name, x, _q(name, q), axis=axis, method=method)
            check(name, x, _q(name, q), axis=1, method=method, keepdims=True)
    check(name, make((2, 3, 4), onp.float64), _q(name, [0.2, 0.7]), axis=(0, 2), method=method)


@pytest.mark.parametrize("name", QUANTILES)
def test_quantile_weights(name):
    """weights= (inverted_cdf only): same shape as a, or 1-d along the axis; zero weights."""
    x = _data(name, onp.float64)
    w = make((4, 5), onp.float64, seed=1, low=0.0, high=2.0)
    w[0, 0] = 0.0
    cases = [(None, w), (0, w), (1, w)] + ([(1, w[0]), (0, w[:, 0])] if "nan" not in name else [])
    for axis, weights in cases:
        for q in (0.3, [0.0, 0.5, 1.0]):
            check(name, x, _q(name, q), axis=axis, method="inverted_cdf", weights=weights)


@pytest.mark.parametrize("name", QUANTILES)
def test_quantile_errors(name):
    x = make((3, 4), onp.float64)
    w = onp.ones((3, 4))
    for args, kw in [((x, _q(name, 1.5)), {}), ((x, _q(name, -0.1)), {}), ((x.astype(complex), 0.5), {}),
                     ((x, 0.5), dict(method="bogus")), ((x, 0.5), dict(weights=w)),
                     ((x, 0.5), dict(method="inverted_cdf", weights=-w)),
                     ((x, 0.5), dict(method="inverted_cdf", weights=w[0])),
                     ((x, 0.5), dict(method="inverted_cdf", weights=w[0], axis=0)),
                     ((x, onp.full((1, 1, 1), 0.5)), {}), ((x, 0.5), dict(axis=2))]:
        check(name, *args, **kw)
    with pytest.raises(TypeError, match=name):
        getattr(nf, name)(nf.asarray(x.astype(complex)), 0.5)


def test_quantile_out_empty_and_nan():
    x = make((3, 4), onp.float64)
    out = nf.zeros(4)
    assert nf.quantile(nf.asarray(x), 0.3, axis=0, out=out) is out
    assert_same(out, onp.quantile(x, 0.3, axis=0), rtol=RTOL)
    xn = x.copy()
    xn[1, 2] = onp.nan
    for name in ("quantile", "median"):  # NaN lines give NaN, as NumPy
        check(name, xn, axis=0) if name == "median" else check(name, xn, 0.5, axis=0)
    check("nanquantile", onp.zeros((0, 3)), 0.5)
    check("nanquantile", onp.zeros((0, 3)), 0.5, axis=0)
    check("quantile", onp.zeros((0,)), 0.5)


# NaT sorts last and propagates as NaN does (NaT lines give NaT; the nan-variants skip it)
TIMES = [onp.array([1, 2, "NaT", 4], "m8[s]"), onp.array([[1, "NaT", 3], [4, 5, 6]], "m8[ms]"),
         onp.array(["2020-01-01", "NaT", "2020-01-05", "2020-01-02"], "M8[D]"), onp.array(["NaT", "NaT"], "m8[s]"),
         onp.array([[3, 1], [2, 7]], "m8[s]"), onp.array(["2020-01-01", "2021-03-05"], "M8[s]")]


@pytest.mark.parametrize("name", QUANTILES + ["median", "nanmedian"])
def test_quantiles_of_datetimes_with_nat(name):
    for x in TIMES:
        for axis in (None, -1):
            if "median" in name:
                same_function(name, x, axis=axis)
                continue
            for method in ("linear", "lower", "nearest", "midpoint", "inverted_cdf", "hazen"):
                same_function(name, x, _q(name, 0.5), axis=axis, method=method)


@given(hyp_arrays(onp.float64, min_dims=1, max_dims=2, max_side=5,
                  elements=st.floats(-100, 100, allow_nan=False)),
       st.lists(st.floats(0, 1), min_size=1, max_size=3), st.sampled_from(METHODS))
def test_quantile_hypothesis(x, q, method):
    if x.size:
        check("quantile", x, onp.array(q), axis=-1, method=method)


COV = [
    ((3, 6), {}), ((3, 6), dict(rowvar=False)), ((3, 6), dict(bias=True)), ((3, 6), dict(ddof=2)),
    ((3, 6), dict(fweights=onp.array([1, 2, 1, 3, 1, 1]))), ((3, 6), dict(aweights=onp.linspace(0.1, 1, 6))),
    ((3, 6), dict(fweights=onp.array([1, 2, 1, 3, 1, 1]), aweights=onp.linspace(0.1, 1, 6), ddof=1)),
    ((3, 6), dict(dtype=onp.float32)), ((6,), {}), ((1, 6), {}), ((0, 3), {}), ((3, 1), {}),
    ((3, 6), dict(ddof=1.5)), ((2, 2, 2), {}), ((3, 6), dict(fweights=onp.array([1.5] * 6))),
    ((3, 6), dict(fweights=onp.array([-1] * 6))), ((3, 6), dict(aweights=onp.ones(5))),
]


@pytest.mark.parametrize("dtype", REAL + BOOL + COMPLEX, ids=ids(REAL + BOOL + COMPLEX))
def test_cov_corrcoef(dtype):
    for shape, kw in COV:
        x = make(shape, dtype)
        check("cov", x, rtol=1e-6 if kw.get("dtype") else 1e-12, **kw)
        if shape == (3, 6) and not kw:
            check("cov", x, make((6,), dtype, seed=1), rtol=1e-12)
            check("cov", x.T, x.T[:, :2], rowvar=False, rtol=1e-12)
            check("corrcoef", x, rtol=1e-12)
            check("corrcoef", x, make((6,), dtype, seed=1), rtol=1e-12)
            check("corrcoef", x[0], rtol=1e-12)


BINS = [10, 3, "auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt", [-1.0, 0.0, 0.5, 2.0]]


@pytest.mark.parametrize("bins", BINS, ids=[str(b) for b in BINS])
def test_histogram(bins):
    for dtype in FLOATS + [onp.int8, onp.uint8, onp.int64]:
        x = make((40,), dtype, seed=3)
        check("histogram", x, bins)
        check("histogram_bin_edges", x, bins)
        check("histogram", x, bins, range=(-1, 2))
        if not isinstance(bins, str):
            w = make((40,), onp.float64, seed=4, low=0.0, high=1.0)
            check("histogram", x, bins, weights=w, rtol=1e-12)
            check("histogram", x, bins, weights=w, density=True, rtol=1e-12)
            check("histogram", x, bins, weights=(w + 1j * w[::-1]).astype(onp.complex64), rtol=1e-6)
    check("histogram", make((3, 4), onp.bool_), bins if bins != "stone" else 4)


def test_histogram_large_and_errors():
    x = make((70000,), onp.float64, seed=5)
    w = make((70000,), onp.float64, seed=6)
    check("histogram", x, 7, weights=w, rtol=1e-12)              # more than one block of 65536
    check("histogram", x, [-3.0, 0.0, 1.0, 3.0], weights=w, rtol=1e-12)
    check("histogram", onp.zeros(0), 3)
    check("histogram", onp.ones(4), 3)
    y = make((5,), onp.float64)
    for args, kw in [((y, 0), {}), ((y, 2.5), {}), ((y, "bogus"), {}), ((y, [3, 1]), {}),
                     ((y, [[1, 2]]), {}), ((y, 3), dict(range=(2, 1))), ((y, 3), dict(weights=onp.ones(4))),
                     ((y, "auto"), dict(weights=onp.ones(5))), ((onp.array([1.0, onp.inf]), 3), {})]:
        check("histogram", *args, **kw)


def test_histogram2d_dd():
    x, y, w = (make((30,), onp.float64, seed=s) for s in (7, 8, 9))
    for bins in (10, 3, [3, [0.0, 0.5, 1.0]], [-1.0, 0.0, 1.0, 2.0]):
        check("histogram2d", x, y, bins)
        check("histogram2d", x, y, bins, weights=w, density=True, rtol=1e-12)
    check("histogram2d", x, y, 4, range=[(-1, 1), (0, 2)])
    s = make((30, 3), onp.float64, seed=10)
    for bins in ((2, 3, 4), 3, [[0.0, 1.0], 2, 3]):
        check("histogramdd", s, bins)
        check("histogramdd", s, bins, weights=w, density=True, rtol=1e-12)
    check("histogramdd", [x, y], 3)
    for bins, kw in [((2, 3), {}), ((0, 1, 1), {}), ((2, 2, 2), dict(range=[(0, 1)]))]:
        check("histogramdd", s, bins, **kw)


@pytest.mark.parametrize("dtype", [onp.int8, onp.uint16, onp.int64, onp.bool_], ids=ids([onp.int8, onp.uint16,
                                                                                           onp.int64, onp.bool_]))
def test_bincount(dtype):
    x = make((12,), dtype, seed=2, low=0, high=9)
    check("bincount", x)
    check("bincount", x, minlength=15)
    check("bincount", x, make((12,), onp.float32, seed=3))
    check("bincount", x, weights=make((12,), onp.int16, seed=3))
    for bad, kw in [(onp.array([-1, 2]), {}), (x, dict(weights=onp.ones(3))), (x, dict(minlength=-1)),
                    (x.reshape(3, 4), {}), (x, dict(weights=onp.ones(12) * 1j))]:
        check("bincount", bad, **kw)
    check("bincount", onp.array([], dtype))


@pytest.mark.parametrize("name,f", [
    ("histogram2d", lambda xp: xp.histogram2d([1, 2], [1, 2, 3])),
    ("digitize", lambda xp: xp.digitize([1.0], xp.asarray([1 + 0j, 2]))),
    ("quantile", lambda xp: xp.quantile(xp.arange(3.0), 2.0)),
], ids=lambda v: v if isinstance(v, str) else "call")  # (a function's repr holds its address)
def test_errors_as_numpy(name, f):
    """NumPy's exception class and message (which NumPy code and tests match on)."""
    raises_like_numpy(name, f)


def test_bincount_of_sequences():
    """Sequences are cast to integers as NumPy casts them ([] is an empty count, floats warn)."""
    for seq in ([], (), [1, 2], [True, False, True], [-1]):
        check("bincount", seq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check("bincount", [1.5, 2.0])
    with pytest.warns(DeprecationWarning, match="Non-integer input") as record:
        nf.bincount([1.5, 2.0])
    assert [r.filename for r in record] == [__file__]  # the caller's line, as NumPy's


def test_digitize():
    x = make((3, 5), onp.float64, seed=4)
    nan = onp.nan
    for bins in ([-1.0, 0.0, 1.0], [2.0, 0.5, -0.5], [1.0], [0.0, 0.0, 1.0], [], [2.0, 2.0, 1.0, 1.0],
                 [0.0, nan], [nan, 0.0], [0.0, nan, 1.0], [1.0, nan, 0.0], [0.0, 1.0, nan], [nan, nan]):
        for right in (False, True):
            check("digitize", x, onp.array(bins), right)
            check("digitize", make((6,), onp.int32, seed=4), onp.array(bins), right)
    for bins in ([1.0, 0.0, 2.0], [0.0, 1.0, 0.5], 1.0, [[1.0, 2.0]]):
        check("digitize", x, onp.array(bins))
    check("digitize", x.astype(complex), onp.array([0.0, 1.0]))
    for bins in ([1 + 0j, 2], onp.array([1, 2], "m8[s]"), onp.array([1, 2], object), ["a", "b"],
                 onp.array([1, 2], onp.longdouble), onp.array([1, 2], onp.uint64), [True, True]):
        check("digitize", x, bins if isinstance(bins, onp.ndarray) else onp.array(bins))  # bins read as doubles


@pytest.mark.parametrize("device", ["sim"])
def test_results_stay_on_device(device):
    a = nf.asarray(make((3, 6), onp.float64), device=device)
    w = nf.abs(a)
    outs = [nf.quantile(a, 0.3, axis=1), nf.nanpercentile(a, [10, 90]),
            nf.quantile(a, 0.5, method="inverted_cdf", weights=w), nf.cov(a), nf.corrcoef(a, a[0]),
            nf.histogram(a)[0], nf.histogram(a, "auto")[1], nf.histogram(a, 3, weights=w)[0],
            nf.histogram2d(a[0], a[1])[0], nf.histogramdd(a.T)[0],
            nf.bincount(nf.asarray([1, 2, 2], device=device), a[0, :3]), nf.digitize(a, nf.sort(a[0]))]
    assert {o.device.name for o in outs} == {device}
