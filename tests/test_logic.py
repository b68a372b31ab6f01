"""isclose, allclose, array_equal, array_equiv against NumPy: dtypes, broadcasting, NaN and
infinities, tolerances, Python scalars, the Python bools they return, errors, devices."""
import inspect
import warnings

import numpy as onp
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import npflow as nf
from npflow._numpy import logic as L
from support import BROADCAST, DEVICES, assert_same, ids, make
from test_ufuncs import DTYPES, PY_SCALARS, check, special

NAMES = L.__all__
BOOLEAN_RESULT = {"allclose", "array_equal", "array_equiv"}


def check_fn(name, *args, **kw):
    got = check(name, getattr(nf, name), getattr(onp, name), *args, **kw)
    if name in BOOLEAN_RESULT and got is not None:
        assert type(got) is bool
    return got


def test_signatures_match_numpy():
    for name in NAMES:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


def near(x, seed):
    """``x`` moved by a relative 1e-6 here and 1e-3 there: some elements close, some not."""
    if x.dtype.kind not in "fc":
        return x
    rng = onp.random.default_rng(seed)
    return (x * (1 + rng.choice([0, 1e-6, 1e-3], size=x.shape))).astype(x.dtype)


TOLERANCES = [{}, dict(rtol=0, atol=0), dict(rtol=1e-2), dict(atol=0.5), dict(equal_nan=True),
              dict(rtol=onp.array([1e-7, 1e-2, 0.1])), dict(atol=[0.0, 1.0, 0.0])]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", NAMES)
def test_dtypes_shapes_tolerances(name, dtype):
    for s1, s2 in BROADCAST + [((3,), (4,)), ((2, 3), (3, 2))]:
        x = make(s1, dtype, 1)
        check_fn(name, x, near(make(s2, dtype, 1), 2))
        check_fn(name, x, x.copy())
    x = special(dtype)
    y = onp.roll(x, 1)
    cases = {"isclose": TOLERANCES, "allclose": TOLERANCES,
             "array_equal": [{}, dict(equal_nan=True)]}
    for kw in cases.get(name, [{}]):
        if any(onp.ndim(v) for v in kw.values()):  # tolerances per element of the last axis
            if x.size % 3 == 0:
                check_fn(name, x.reshape(-1, 3), y.reshape(-1, 3), **kw)
            continue
        check_fn(name, x, y, **kw)
        check_fn(name, x, x.copy(), **kw)


@pytest.mark.parametrize("name", NAMES)
def test_mixed_dtypes_and_scalars(name):
    for d1 in DTYPES:
        for d2 in (onp.bool_, onp.int8, onp.uint64, onp.float32, onp.complex128):
            check_fn(name, make((4,), d1, 3), make((4,), d2, 3))
    x = make((3,), onp.float64, 4)
    for s in PY_SCALARS + [[1, 2, 3], [[1.0], [2.0]]]:
        check_fn(name, x, s)
        check_fn(name, s, x)
        check_fn(name, s, s)


def test_isclose_integer_extremes():
    """y is made inexact first, so abs(y) cannot overflow at the integer minimum."""
    for dt in (onp.int8, onp.int64, onp.uint64):
        info = onp.iinfo(dt)
        x = onp.array([info.min, info.max, 0], dtype=dt)
        check_fn("isclose", x, x)
        check_fn("isclose", x, x[::-1], atol=1)


def test_isclose_timedelta():
    t = onp.array([1, 2, 3], dtype="m8[s]")
    check_fn("isclose", t, t + onp.timedelta64(1, "s"), atol=onp.timedelta64(1, "s"), rtol=0)


def test_non_finite_tolerances_follow_numpys_error_state():
    with onp.errstate(invalid="warn"), pytest.warns(RuntimeWarning, match="isclose"):
        nf.isclose(1.0, 1.0, atol=onp.inf)
    with onp.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            onp.isclose(1.0, 1.0, rtol=onp.nan)
        with pytest.raises(FloatingPointError, match="isclose"):
            nf.isclose(1.0, 1.0, rtol=onp.nan)
    with onp.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        nf.isclose(1.0, 1.0, atol=nf.asarray([onp.inf]))


@pytest.mark.parametrize("dtype", [onp.float16, onp.float32, onp.float64, onp.complex64],
                         ids=ids([onp.float16, onp.float32, onp.float64, onp.complex64]))
@given(data=st.data())
def test_hypothesis(dtype, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    elements = hnp.from_dtype(onp.dtype(dtype), allow_subnormal=False)
    a = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elements))
    b = data.draw(st.one_of(hnp.arrays(dtype, shapes.input_shapes[1], elements=elements),
                            st.just(a.copy()), st.just(near(a, 5))))
    equal_nan = data.draw(st.booleans())
    for name in NAMES:
        kw = {} if name == "array_equiv" else dict(equal_nan=equal_nan)
        check_fn(name, a, b, **kw)


def test_array_equal_identity_and_nan():
    x = nf.asarray([1.0, onp.nan])
    assert nf.array_equal(x, x, equal_nan=True) is True
    assert nf.array_equal(x, x) is False
    assert nf.array_equal(nf.asarray([1, 2]), nf.asarray([1, 2]), equal_nan=True) is True
    for name in ("array_equal", "array_equiv"):  # a ragged list is no array: False, as NumPy
        ragged = ([1, [2, 3]], [1, 2])
        assert getattr(nf, name)(*ragged) is getattr(onp, name)(*ragged) is False


@pytest.mark.parametrize("name", ["isclose", "allclose"])
def test_errors_name_the_function(name):
    for m in (onp, nf):
        with pytest.raises(ValueError) as info:
            getattr(m, name)(m.asarray([1.0, 2.0]), m.asarray([1.0, 2.0, 3.0]))
    assert f"{name}(" in str(info.value)
    with pytest.raises(nf.DeviceMismatchError, match=name):
        getattr(nf, name)(nf.asarray([1.0]), nf.asarray([1.0], device="sim"))


@pytest.mark.parametrize("device", DEVICES)
def test_devices(device):
    a = nf.asarray([1.0, onp.nan, 3.0], device=device)
    b = nf.asarray([1.0, onp.nan, 3.1], device=device)
    r = nf.isclose(a, b, equal_nan=True)
    assert r.device == device
    assert_same(nf.asarray(r.to_device("cpu")), onp.array([True, True, False]))
    assert nf.isclose(a, [1, 2, 3]).device == device  # a list joins the array's device
    assert nf.allclose(a, a, equal_nan=True) is True
    assert nf.array_equal(a, b) is False
    assert nf.array_equal(a, [1.0, onp.nan, 3.0], equal_nan=True) is True
    assert nf.array_equiv(a[:1], [[1.0], [1.0]]) is True
    for name in ("array_equal", "array_equiv"):
        with pytest.raises(nf.DeviceMismatchError):
            getattr(nf, name)(nf.asarray([1.0]), nf.asarray([1.0], device="sim"))
