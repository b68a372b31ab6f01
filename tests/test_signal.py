"""Signal processing against NumPy: convolve, correlate, interp, gradient, trapezoid, unwrap,
ediff1d, vander, sort_complex and the windows; dtypes, modes, axes, errors, devices."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import signal as S
from support import ALL_DTYPES, REAL, COMPLEX, INTS, same_function, make, hyp_arrays, ids

RTOL = 1e-12  # composites: NumPy's formulas, summed in another order


def check(name, *args, rtol=RTOL, **kw):
    return same_function(name, *args, rtol=rtol, atol=1e-12, **kw)


def test_signatures_match_numpy():
    for name in S.__all__:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


LENGTHS = [(5, 3), (5, 4), (3, 5), (4, 5), (2, 6), (6, 1), (1, 1), (4, 4)]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_convolve_correlate(name, dtype):
    """Every mode (names and 0/1/2) for every length order; complex conj semantics of correlate."""
    for n, m in LENGTHS:
        a, v = make((n,), dtype, seed=n), make((m,), dtype, seed=m + 10)
        for mode in ("full", "same", "valid", 0, 1, 2):
            check(name, a, v, mode, rtol=1e-5 if dtype in (onp.float32, onp.complex64) else RTOL)
    check(name, make((4,), dtype), make((3,), onp.complex128, seed=1), "same")


def test_convolve_correlate_errors():
    a = make((4,), onp.float64)
    for name in ("convolve", "correlate"):
        for args in [(onp.zeros(0), a), (a, onp.zeros(0)), (a.reshape(2, 2), a), (a, a, "bogus"), (a, a, "s"),
                     (onp.float64(2.0), onp.float64(3.0)), (a, a, 3), (a, a, None), (a, a, "Full"),
                     (a, a, 2.0)]:
            check(name, *args)
    with pytest.raises(ValueError, match="convolve"):
        nf.convolve(nf.zeros(0), nf.ones(2))


@given(hyp_arrays(onp.float64, min_dims=1, max_dims=1, max_side=6, elements=st.floats(-9, 9)),
       hyp_arrays(onp.float64, min_dims=1, max_dims=1, max_side=6, elements=st.floats(-9, 9)),
       st.sampled_from(["full", "same", "valid"]))
def test_convolve_hypothesis(a, v, mode):
    check("convolve", a, v, mode, rtol=1e-9)
    check("correlate", a, v, mode, rtol=1e-9)


XP = onp.sort(make((8,), onp.float64, seed=1, low=0, high=10))
FP = make((8,), onp.float64, seed=2)
XS = onp.concatenate([make((12,), onp.float64, seed=3, low=-2, high=12), XP[:3], [onp.nan, onp.inf]])


@pytest.mark.parametrize("kw", [{}, dict(left=-5.0, right=7.0), dict(period=4), dict(period=-3.5),
                                dict(left=1j, right=2j)], ids=str)
def test_interp(kw):
    for fp in (FP, FP + 1j * FP[::-1], FP.astype(onp.float32), onp.arange(8)):
        if "left" in kw and isinstance(kw["left"], complex) and fp.dtype.kind != "c":
            continue
        check("interp", XS, XP, fp, **kw)
        check("interp", XS[:15].reshape(3, 5).astype(onp.float32), XP, fp, **kw)
        check("interp", 2.5, XP, fp, **kw)
    check("interp", XS, XP.astype(onp.int64), FP)
    check("interp", [0.0, 1.0, 2.0], [1.0], [3.0])                          # one sample point
    check("interp", XS, onp.array([0.0, 1.0, 1.0, 2.0]), onp.array([0.0, 1.0, 5.0, onp.inf]))
    for args, kwe in [((XS, [], []), {}), ((XS, XP, FP[:5]), {}), ((XS, XP.reshape(2, 4), FP.reshape(2, 4)), {}),
                      ((XS, XP, FP), dict(period=0)), ((XS, XP.reshape(2, 4), FP), dict(period=2)),
                      ((XS + 1j, XP, FP), {})]:
        check("interp", *args, **kwe)
    # period= maps two sample points to the same place: ties sorted as NumPy's own interp sorts them
    check("interp", 0.0, [-7.8e-264, -3.9e-308, 1.0, 2.0], [0.5, -1.2, 0.3, 2.0], period=7.5)


# sample points NumPy's search meets in an order of its own (NaN, unsorted), values with
# infinities (its NaN fallbacks, per part for complex values), short and long (its guessed search)
ODD_XP = [[onp.nan, 1.0], [0.0, onp.nan, 2.0], [3.0, 1.0, 2.0, 0.0], onp.r_[onp.arange(12.0), onp.nan, 13, 2.0],
          onp.arange(20.0)[::-1], [1.0, 1.0, 1.0], [onp.nan]]


def test_interp_nan_unsorted_and_infinite_samples():
    x = onp.r_[-1.0, 0.5, 1.0, 1.5, 2.5, 7.25, 12.5, 30.0, onp.nan, onp.inf, -onp.inf]
    for xp in ODD_XP:
        n = len(xp)
        for fp in (onp.arange(n) * 1.5, onp.where(onp.arange(n) % 2, onp.inf, -onp.inf),
                   onp.where(onp.arange(n) % 2, 1 + 0j, -onp.inf + 1j), onp.full(n, onp.inf + 0j)):
            check("interp", x, xp, fp)
            check("interp", x[::-1], xp, fp)
    check("interp", [0.5], [0.0, 1.0], [-onp.inf + 0j, 1 + 0j])


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=8, unique=True),
       hyp_arrays(onp.float64, min_dims=0, max_dims=2, max_side=4, elements=st.floats(-60, 60)),
       st.integers(0, 2 ** 31))
def test_interp_hypothesis(xp, x, seed):
    xp = onp.sort(onp.array(xp))
    fp = make(xp.shape, onp.float64, seed=seed % 1000)
    check("interp", x, xp, fp)
    check("interp", x, xp, fp, period=7.5)


SPACING = [((), {}), ((2.0,), {}), ((onp.cumsum(make((5,), onp.float64, 1, 0.5, 1)),
                                     onp.cumsum(make((6,), onp.float64, 2, 0.5, 1))), {}),
           ((onp.arange(6),), dict(axis=1)), ((0.5,), dict(axis=(0,))), ((onp.arange(6) * 2.0,), dict(axis=-1)),
           ((2.0, 3.0), {})]


@pytest.mark.parametrize("dtype", REAL + COMPLEX, ids=ids(REAL + COMPLEX))
def test_gradient(dtype):
    f = make((5, 6), dtype, seed=3)
    for edge_order in (1, 2):
        for args, kw in SPACING:
            check("gradient", f, *args, edge_order=edge_order, rtol=1e-5 if dtype in (onp.float32, onp.complex64)
                  else RTOL, **kw)
    check("gradient", make((4,), dtype))
    for args, kw in [((1.0, 2.0, 3.0), {}), ((onp.ones((2, 2)), 1.0), {}), ((onp.arange(3), 1.0), {}),
                     ((), dict(edge_order=3)), ((), dict(axis=2))]:
        check("gradient", f, *args, **kw)
    check("gradient", make((2, 3), dtype), edge_order=2)


def test_gradient_of_datetimes_is_timedeltas():
    for f in (onp.array(["2020-01-01", "2020-01-03", "2020-01-07", "NaT"], "M8[D]"),
              onp.array([[1, 5, 2], [7, 3, 0]], "M8[s]"), onp.array([1, 4, 9, 20], "m8[ms]")):
        for args in ((), (2.0,)):
            for edge_order in (1, 2):
                same_function("gradient", f, *args, edge_order=edge_order)


@pytest.mark.parametrize("dtype", REAL + COMPLEX + [onp.bool_], ids=ids(REAL + COMPLEX + [onp.bool_]))
def test_trapezoid(dtype):
    y = make((5, 6), dtype, seed=4)
    x = onp.cumsum(make((6,), onp.float64, 5, 0.1, 1))
    for kw in [{}, dict(dx=0.5), dict(x=x), dict(axis=0, x=x[:5]), dict(x=onp.tile(x, (5, 1))), dict(axis=0),
               dict(dx=2)]:
        check("trapezoid", y, rtol=1e-5 if dtype in (onp.float32, onp.complex64) else RTOL, **kw)
    check("trapezoid", make((1,), dtype))
    check("trapezoid", [1, 2, 3])


@pytest.mark.parametrize("dtype", REAL, ids=ids(REAL))
def test_unwrap(dtype):
    p = onp.cumsum(make((3, 10), onp.float64, 6, -4, 4), axis=1).astype(dtype)
    if dtype in INTS:
        p = onp.cumsum(make((3, 10), dtype, 6, -9, 9), axis=1).astype(dtype)
    for kw in [{}, dict(axis=0), dict(discont=4.0), dict(period=5), dict(period=6), dict(period=7.5)]:
        check("unwrap", p, rtol=1e-5 if dtype == onp.float32 else RTOL, **kw)
    check("unwrap", [0.0, 3.5, 7.0])


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_ediff1d(dtype):
    a = make((3, 4), dtype, seed=7)
    for kw in [{}, dict(to_end=[1, 2]), dict(to_begin=-3), dict(to_begin=[5.5], to_end=9), dict(to_end=[]),
               dict(to_begin=onp.array([1, 2], onp.int8))]:
        check("ediff1d", a, **kw)
    check("ediff1d", make((), dtype))
    check("ediff1d", make((0,), dtype), to_begin=[1])


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_vander(dtype):
    x = make((4,), dtype, seed=8, low=-3, high=3)
    for N in (None, 0, 1, 3, 6):
        for increasing in (False, True):
            check("vander", x, N, increasing, rtol=1e-6 if dtype in (onp.float32, onp.complex64) else RTOL)
    check("vander", make((0,), dtype))
    check("vander", x.reshape(2, 2))


@pytest.mark.parametrize("dtype", ALL_DTYPES + [onp.longdouble], ids=ids(ALL_DTYPES + [onp.longdouble]))
def test_sort_complex(dtype):
    check("sort_complex", make((7,), dtype, seed=9))
    check("sort_complex", make((2, 3), dtype, seed=9))


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
def test_windows(name):
    for M in (-1, 0, 1, 2, 5, 8, 9.0, onp.int8(6)):
        check(name, M)


def test_kaiser():
    for M in (0, 1, 2, 5, 8):
        for beta in (0, 3.5, 14):
            check("kaiser", M, beta)


@pytest.mark.parametrize("device", ["sim"])
def test_results_stay_on_device(device):
    a = nf.asarray(make((3, 6), onp.float64), device=device)
    v = a[1, :3]
    xp = nf.sort(a[0])
    outs = [nf.convolve(a[0], v), nf.correlate(a[0], v, "same"), nf.convolve([1.0, 2.0], v),
            nf.interp(v, xp, a[2]), nf.interp([1.0, 2.0], xp, a[2], period=3), nf.gradient(a)[0],
            nf.gradient(a[0], nf.cumsum(nf.abs(a[1]))), nf.trapezoid(a), nf.unwrap(a),
            nf.ediff1d(a, to_end=[1.0]), nf.vander(v), nf.sort_complex(v)]
    assert {o.device.name for o in outs} == {device}
