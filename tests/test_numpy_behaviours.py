"""Issue 20's function behaviours, as families against NumPy: NumPy subclass inputs refused
(never their meaning silently dropped), string and void comparisons, memory layout (order='K',
functions that return their input, einsum views), and warnings attributed to the caller."""
import decimal
import fractions
import warnings

import numpy as onp
import pytest

import npflow as nf
from support import assert_same, outcomes, same_outcome


class _Sub(onp.ndarray):
    """A user subclass (NumPy keeps it through its functions; npflow's results are plain)."""


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)  # (numpy.matrix's own advice)
    SUBCLASSED = {
        "masked": onp.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
        "matrix": onp.matrix([[1.0, 2.0], [3.0, 4.0]]),
        "user": onp.arange(3.0).view(_Sub),
    }
# one call per door through which inputs are converted: primitives, composites, ufuncs,
# reductions, creation, joins (lists of arrays), operators
CALLS = [lambda x: nf.trapezoid(x), lambda x: nf.sum(x), lambda x: nf.sin(x), lambda x: nf.asarray(x),
         lambda x: nf.mean(x, axis=0), lambda x: nf.concatenate([x, x]), lambda x: nf.percentile(x, 50),
         lambda x: nf.dot(x, x), lambda x: nf.sort(x), lambda x: nf.where(x > 1, x, 0),
         lambda x: nf.cumsum(x), lambda x: nf.arange(x.shape[-1]) + x, lambda x: nf.array(x),
         lambda x: nf.linalg.norm(x), lambda x: nf.fft.fft(x), lambda x: nf.zeros_like(x)]


@pytest.mark.parametrize("kind", SUBCLASSED)
@pytest.mark.parametrize("call", range(len(CALLS)))
def test_numpy_subclass_inputs_are_refused(kind, call):
    """numpy.ma, numpy.matrix and user subclasses: a TypeError saying so, not a plain result."""
    with pytest.raises(TypeError, match="subclass|masked array"):
        CALLS[call](SUBCLASSED[kind])


def test_memmap_is_plain_data(tmp_path):
    m = onp.memmap(tmp_path / "m.dat", dtype=onp.float64, mode="w+", shape=(3,))
    m[:] = [1.0, 2.0, 3.0]
    assert_same(nf.sum(m), onp.sum(onp.asarray(m)))


# operands of dtypes with no comparison loop between them: ``==``/``!=`` are all unequal (the
# ufuncs raise), void against non-void raises, as NumPy's operators
_S, _I = (lambda xp: xp.array(["a", "b"])), (lambda xp: xp.array([1, 2]))
COMPARISONS = [
    lambda xp: _S(xp) == _I(xp), lambda xp: _S(xp) != _I(xp), lambda xp: _S(xp) == 1,
    lambda xp: xp.array(1) == _S(xp), lambda xp: _S(xp) != 1.5, lambda xp: _S(xp) == xp.array([1, 2, 3]),
    lambda xp: xp.array("a") == xp.array(1), lambda xp: _S(xp) < 1, lambda xp: xp.equal(_S(xp), _I(xp)),
    lambda xp: xp.zeros(2, "V4") == _I(xp), lambda xp: xp.array(["2020"], "M8[D]") == 1,
    lambda xp: _S(xp) == xp.array([b"a", b"b"]), lambda xp: xp.array_equal(xp.array("a"), xp.array(1)),
    lambda xp: xp.array_equal(_S(xp), _S(xp)), lambda xp: xp.array_equiv(_S(xp), _I(xp)),
    lambda xp: xp.array_equal(xp.zeros(2, "V4"), _I(xp)),
]
# void against void: NumPy compares bytes or fields; npflow refuses (never an answer of its own)
VOID_PAIRS = [lambda xp: xp.zeros(2, "V4") == xp.zeros(2, "V4"), lambda xp: xp.zeros(2, "V4") != xp.zeros(2, "V4"),
              lambda xp: xp.zeros(2, [("a", "i4"), ("b", "f8")]) == xp.zeros(2, [("a", "i4"), ("b", "f8")])]


@pytest.mark.parametrize("i", range(len(VOID_PAIRS)))
def test_void_comparisons_match_or_raise(i):
    try:
        got = VOID_PAIRS[i](nf)
    except TypeError:
        return
    assert_same(got, VOID_PAIRS[i](onp))


@pytest.mark.parametrize("i", range(len(COMPARISONS)))
def test_comparisons_of_strings_and_voids(i):
    res = outcomes(COMPARISONS[i])
    if res is not None:
        assert_same(*res)


# -- memory layout ------------------------------------------------------------------------------
_PROTOTYPES = [onp.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1)[::2],  # no contiguous order
               onp.asfortranarray(onp.arange(6.0).reshape(2, 3)), onp.arange(6.0).reshape(2, 3)[:, ::-1]]
LIKE = [lambda xp, a: xp.empty_like(a), lambda xp, a: xp.zeros_like(a), lambda xp, a: xp.ones_like(a),
        lambda xp, a: xp.full_like(a, 2.5), lambda xp, a: xp.full_like(a, xp.arange(a.shape[-1])),
        lambda xp, a: xp.empty_like(a, dtype=onp.int8), lambda xp, a: xp.zeros_like(a, shape=a.shape[::-1]),
        lambda xp, a: xp.copy(a), lambda xp, a: xp.copy(a, order="K"), lambda xp, a: xp.asarray(a, order="K"),
        lambda xp, a: xp.array(a, order="K"), lambda xp, a: xp.array(a, copy=True, order="K"),
        lambda xp, a: xp.asarray(a, dtype=onp.float32, order="K"), lambda xp, a: a.astype(onp.float32, order="K"),
        lambda xp, a: a.copy(order="K"), lambda xp, a: xp.ones_like(a, order="A"), lambda xp, a: xp.zeros_like(a, order="C")]


@pytest.mark.parametrize("i", range(len(LIKE)))
def test_order_k_keeps_the_inputs_strides(i):
    for proto in _PROTOTYPES:
        expected, got = LIKE[i](onp, proto), LIKE[i](nf, nf.asarray(proto))
        assert got.strides == expected.strides and got.dtype == expected.dtype
        if i not in (0, 5):  # (empty_like: uninitialised values)
            assert_same(got, expected)


IDENTITY = [lambda xp, a: xp.asarray(a), lambda xp, a: xp.asanyarray(a), lambda xp, a: xp.ascontiguousarray(a),
            lambda xp, a: xp.array(a, copy=False), lambda xp, a: xp.array(a, copy=None),
            lambda xp, a: xp.asarray(a, dtype=a.dtype, order="K"), lambda xp, a: xp.asarray(a, order="C"),
            lambda xp, a: xp.asarray_chkfinite(a), lambda xp, a: xp.require(a), lambda xp, a: xp.atleast_1d(a),
            lambda xp, a: xp.atleast_2d(a), lambda xp, a: a.astype(a.dtype, copy=False),
            lambda xp, a: xp.nan_to_num(a, copy=False), lambda xp, a: xp.real_if_close(a),
            lambda xp, a: xp.squeeze(a), lambda xp, a: xp.squeeze(a, axis=()), lambda xp, a: a.real,
            lambda xp, a: xp.real(a), lambda xp, a: xp.trim_zeros(a, axis=()), lambda xp, a: xp.atleast_3d(a),
            lambda xp, a: xp.asfortranarray(a), lambda xp, a: xp.transpose(a), lambda xp, a: xp.copy(a)]


@pytest.mark.parametrize("i", range(len(IDENTITY)))
def test_functions_return_their_input_where_numpy_does(i):
    a = onp.arange(6.0).reshape(2, 3)
    b = nf.asarray(a.copy())
    assert (IDENTITY[i](nf, b) is b) == (IDENTITY[i](onp, a) is a)


EINSUM_VIEWS = [("ii->i", (3, 3)), ("ij->ji", (3, 3)), ("ij", (3, 3)), ("ji", (3, 3)), ("...", (3, 3)),
                ("ijk->kji", (2, 3, 4)), ("i...->...i", (2, 3, 4)), ("ii", (3, 3)), ("iji->j", (3, 3, 3))]


@pytest.mark.parametrize("spec,shape", EINSUM_VIEWS)
def test_einsum_returns_views_where_numpy_does(spec, shape):
    a = onp.arange(float(onp.prod(shape))).reshape(shape)
    b = nf.asarray(a.copy())
    expected, got = onp.einsum(spec, a), nf.einsum(spec, b)
    assert_same(got, expected)
    assert onp.shares_memory(onp.asarray(got), onp.asarray(b)) == onp.shares_memory(expected, a)


# -- warnings name the caller's line --------------------------------------------------------------
_NANS = onp.array([[1.0, onp.nan], [onp.nan, onp.nan]])
WARNING_CALLS = [
    lambda xp: xp.nanmean(xp.asarray(_NANS), axis=1), lambda xp: xp.nanmax(xp.asarray(_NANS), axis=1),
    lambda xp: xp.nanmin(xp.asarray(_NANS), axis=0), lambda xp: xp.nanmedian(xp.asarray(_NANS), axis=1),
    lambda xp: xp.nanpercentile(xp.asarray(_NANS), 50, axis=1), lambda xp: xp.nanquantile(xp.asarray(_NANS), 0.5),
    lambda xp: xp.nanstd(xp.asarray(_NANS), axis=1), lambda xp: xp.nanvar(xp.asarray(_NANS), axis=1),
    lambda xp: xp.cov(xp.ones(1)), lambda xp: xp.polyfit(xp.arange(3.0), xp.arange(3.0), 5),
    lambda xp: xp.linalg.qr(xp.eye(2), mode="economic"), lambda xp: xp.fft.fftn(xp.ones((2, 2)), s=(2, 2)),
    lambda xp: xp.asarray([1 + 1j]).astype(float), lambda xp: xp.bincount([1.5]),
    lambda xp: xp.random.default_rng(0).shuffle(_Untyped()),
]


class _Untyped:
    """Indexable with a length but not a Sequence (NumPy's shuffle warns)."""

    def __init__(self):
        self.items = [1, 2, 3]

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return self.items[i]

    def __setitem__(self, i, v):
        self.items[i] = v


@pytest.mark.parametrize("i", range(len(WARNING_CALLS)))
def test_warnings_name_the_callers_line(i):
    """The same warnings as NumPy's; where NumPy's name the calling line, npflow's name it too."""
    seen = {}
    for m in (onp, nf):
        with warnings.catch_warnings(record=True) as record, onp.errstate(all="warn"):
            warnings.simplefilter("always")
            WARNING_CALLS[i](m)
        seen[m] = [(r.category, r.filename == __file__) for r in record]
    assert [c for c, _ in seen[nf]] == [c for c, _ in seen[onp]]
    assert all(here for (_, here), (_, theirs) in zip(seen[nf], seen[onp]) if theirs)


# -- object arrays: NumPy's values and dtypes (Fraction, Decimal) -------------------------------
_F = onp.array([fractions.Fraction(1, 3), fractions.Fraction(1, 6), fractions.Fraction(1, 2), fractions.Fraction(2, 3)],
               dtype=object)
_D = onp.array([decimal.Decimal("1.5"), decimal.Decimal("2"), decimal.Decimal("0.25"), decimal.Decimal("-1")],
               dtype=object)
OBJECT_CALLS = [
    *[lambda xp, a, n=n: getattr(xp, n)(a) for n in ("sum", "prod", "mean", "max", "min", "cumsum", "cumprod", "var",
                                                      "std", "median", "ptp", "argmax", "sort", "nansum", "average")],
    lambda xp, a: xp.sum(a.reshape(2, 2), axis=0), lambda xp, a: xp.mean(a.reshape(2, 2), axis=1),
    lambda xp, a: xp.einsum("i,i->", a, a), lambda xp, a: xp.einsum("ij,jk->ik", a.reshape(2, 2), a.reshape(2, 2)),
    lambda xp, a: xp.einsum("i->", a), lambda xp, a: xp.einsum("i,j->ij", a, a), lambda xp, a: xp.dot(a, a),
    lambda xp, a: xp.percentile(a, [25, 50]), lambda xp, a: xp.percentile(a, 50, method="lower"),
    lambda xp, a: xp.quantile(a, 0.5, method="nearest"), lambda xp, a: xp.quantile(a, 0.5),
    lambda xp, a: a.reshape(2, 2) @ a.reshape(2, 2),
]


_OBJECT_DATA = {"fraction": _F, "decimal": _D, "int": onp.array([3, 1, 4, 2], dtype=object),
                "float": onp.array([0.5, 2.25, -1.0, 8.0], dtype=object),
                "float64": onp.array([onp.float64(v) for v in (2.5, -1, 4, 0.25)], dtype=object)}
_METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf", "averaged_inverted_cdf",
            "closest_observation", "interpolated_inverted_cdf", "hazen", "weibull", "median_unbiased",
            "normal_unbiased"]
OBJECT_CALLS += [lambda xp, a, m=m: xp.percentile(a, 40, method=m) for m in _METHODS] + [
    lambda xp, a: xp.percentile(a, onp.float64(40)), lambda xp, a: xp.percentile(a, onp.asarray(40.0)),
    lambda xp, a: xp.quantile(a.reshape(2, 2), 0.3, axis=0), lambda xp, a: xp.ptp(a.reshape(2, 2), axis=1)]


@pytest.mark.parametrize("data", list(_OBJECT_DATA))
@pytest.mark.parametrize("i", range(len(OBJECT_CALLS)))
def test_object_arrays(i, data):
    """NumPy's values and types: where NumPy gives a NumPy scalar (numpy.float64 from an object
    interpolation) a 0-d array of its dtype, where it gives the element (a Fraction, a Python
    float) a 0-d object array holding it (assert_same compares the element's type)."""
    x = _OBJECT_DATA[data]
    res = outcomes(lambda m: OBJECT_CALLS[i](m, x.copy() if m is onp else nf.asarray(x.copy())))
    if res is not None:
        assert_same(*res)


# -- ndarray.clip's keywords: accepted where NumPy's method accepts them, raising where it raises --
CLIP_METHOD_CALLS = [((), {}), ((1,), {}), ((1, 2), {}), ((None, 2), {}), ((None, None), {}),
                     ((), {"min": 1}), ((), {"max": 2}), ((), {"min": 1, "max": 2}), ((1,), {"max": 3}),
                     ((), {"a_min": 1}), ((), {"a_max": 2}), ((), {"a_min": 1, "a_max": 2}),
                     ((1,), {"a_min": 1}), ((), {"min": 1, "a_min": 1}), ((1, 3), {"min": 0}),
                     ((1, 2), {"dtype": onp.float32}), ((1, 2), {"casting": "unsafe"}),
                     ((1, 2), {"where": True})]


@pytest.mark.parametrize("args,kwargs", CLIP_METHOD_CALLS, ids=[f"{a}-{sorted(k)}" for a, k in CLIP_METHOD_CALLS])
def test_clip_method_keywords(args, kwargs):
    same_outcome(lambda a: a.clip(*args, **kwargs), lambda a: a.clip(*args, **kwargs), onp.arange(4.0))
