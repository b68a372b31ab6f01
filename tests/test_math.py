"""Elementwise non-ufunc functions against NumPy: where, clip, round, real/imag (views), angle,
sinc, nan_to_num, real_if_close, fix, i0 and the type tests; dtypes, shapes, errors, devices."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import npflow as nf
from npflow._numpy import math as M
from support import BROADCAST, SHAPES, DEVICES, assert_same, ids, make
from test_ufuncs import DTYPES, PY_SCALARS, check, special, to_nf

NAMES = M.__all__
FLOATING = [onp.float16, onp.float32, onp.float64, onp.complex64, onp.complex128]


def check_fn(name, *args, **kw):
    return check(name, getattr(nf, name), getattr(onp, name), *args, **kw)


# clip's positional bounds have the Array API's names (min, max; NumPy's a_min/a_max are keywords):
# the standard's test suite checks them, and every NumPy call still works (see np_clip).
STANDARD_SIGNATURES = {"clip": "(a, min=<no value>, max=<no value>, out=None, *, a_min=<no value>, "
                               "a_max=<no value>, **kwargs)"}


# JAX's keywords npflow adds (keyword-only): where(condition, size=, fill_value=), for jit
JAX_KEYWORDS = {"size", "fill_value"}


def test_signatures_match_numpy():
    for name in NAMES:
        ours, theirs = inspect.signature(getattr(nf, name)), inspect.signature(getattr(onp, name))
        if name in STANDARD_SIGNATURES:
            assert str(ours) == STANDARD_SIGNATURES[name] and set(ours.parameters) == set(theirs.parameters)
        else:
            ours = ours.replace(parameters=[p for p in ours.parameters.values() if not (
                p.kind is p.KEYWORD_ONLY and p.name in JAX_KEYWORDS and p.name not in theirs.parameters)])
            assert ours == theirs, name


def np_clip(a, *bounds, **kw):
    """NumPy's clip, where a lone positional bound is ``min`` (the standard's clip(x, min)), and a
    positional bound given again by keyword is Python's TypeError (NumPy: ValueError)."""
    if len(bounds) == 1 and not {"a_min", "a_max"} & kw.keys():
        bounds, kw = (), {"min": bounds[0], **kw}
    if {"min", "max"} & kw.keys() and bounds:
        raise TypeError("clip() got multiple values for a bound")
    return onp.clip(a, *bounds, **kw)


# -- every one-array function over dtypes, shapes, special values and scalars ------------------
ONE_ARRAY = {
    # name: keyword variants
    "round": [{}, dict(decimals=1), dict(decimals=-1), dict(decimals=3)],
    "around": [{}, dict(decimals=2)],
    "real": [{}], "imag": [{}], "angle": [{}, dict(deg=True)], "sinc": [{}],
    "nan_to_num": [{}, dict(nan=-1.0, posinf=9.0, neginf=-9.0), dict(copy=False)],
    "real_if_close": [{}, dict(tol=1e-3)], "fix": [{}], "i0": [{}],
    "iscomplex": [{}], "isreal": [{}], "isposinf": [{}], "isneginf": [{}],
    "clip": [dict(a_min=-1, a_max=2), dict(a_min=None, a_max=1.5), dict(min=0), dict(max=-1)],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", ONE_ARRAY)
def test_one_array_functions(name, dtype):
    for kw in ONE_ARRAY[name]:
        for shape in SHAPES:
            check_fn(name, make(shape, dtype, 3), **kw)
        check_fn(name, special(dtype), **kw)


@pytest.mark.parametrize("name", ONE_ARRAY)
def test_scalars_and_lists(name):
    """Python and NumPy scalars (NumPy's scalar results are npflow 0-d arrays) and lists."""
    for kw in ONE_ARRAY[name]:
        for s in PY_SCALARS + [[1.5, -2.0, float("nan")], [[1, 2]], [1j, 2]]:
            check_fn(name, s, **kw)


@pytest.mark.parametrize("name", ["iscomplexobj", "isrealobj"])
def test_type_predicates_return_python_bools(name):
    for x in [make((2,), d) for d in DTYPES] + PY_SCALARS + [[1, 2j], [[1.0]], onp.dtype(complex)]:
        got, expected = getattr(nf, name)(to_nf(x)), getattr(onp, name)(x)
        assert type(got) is bool and got == expected, x
    assert nf.iscomplexobj(nf.asarray([1j], device="sim"))


def test_python_scalar_parts_stay_python_scalars():
    for v in (3, 2.5, 1 + 2j, True):
        for name in ("real", "imag"):
            got, expected = getattr(nf, name)(v), getattr(onp, name)(v)
            assert type(got) is type(expected) and got == expected
    assert nf.isreal(2.0) is True and onp.isreal(2.0) is True


# -- where ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
def test_where_dtypes_and_broadcasting(dtype):
    for s1, s2 in BROADCAST:
        cond = make(s1, onp.bool_, 1)
        check_fn("where", cond, make(s2, dtype, 2), make(s1, dtype, 3))
        # a condition that is not boolean
        check_fn("where", make(s2, dtype, 4), make(s1, dtype, 2), make((), dtype, 3))
    for other in DTYPES:  # promotion of x with y
        check_fn("where", make((2, 3), onp.bool_), make((2, 3), dtype, 1), make((3,), other, 2))
    for s in PY_SCALARS:  # weak scalars take the array's dtype (300 wraps in int8, as NumPy)
        check_fn("where", make((4,), onp.bool_), s, make((4,), dtype, 5))
        check_fn("where", make((4,), onp.bool_), make((4,), dtype, 5), s)


@given(data=st.data())
def test_where_hypothesis(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    dt = data.draw(st.sampled_from([onp.int16, onp.float32, onp.float64, onp.complex64]))
    dtypes = (onp.bool_, dt, onp.float64)
    c, x, y = (data.draw(hnp.arrays(d, s)) for d, s in zip(dtypes, shapes.input_shapes))
    check_fn("where", c, x, y)


def test_where_one_argument_is_nonzero():
    for shape in SHAPES[1:]:
        check_fn("where", make(shape, onp.int8, 2))
    check_fn("where", make((), onp.bool_))  # ValueError for 0-d, as nonzero
    check_fn("where", [[0, 1], [2, 0]])


# -- clip -------------------------------------------------------------------------------------
CLIP_CASES = [
    # positional args after the array, keywords
    ((0, 1), {}), ((None, 0), {}), ((0, None), {}), ((None, None), {}), ((), {}),
    ((2, -1), {}), ((), dict(min=-1, max=1)), ((), dict(max=0.5)),
    ((onp.array([-1.0, 0.0, 1.0]), 2.0), {}),
    ((onp.array([[-2.0], [0.0]]), onp.array([0.5, 1.0, 2.0])), {}),
    ((0, 300), {}), ((-1e300, 1e300), {}), ((float("nan"), 1.0), {}), ((0j, 1 + 1j), {}),
    ((0,), {}), ((0, 1), dict(min=2)), ((), dict(a_max=1)), ((0, 1), dict(casting="no")),
    ((onp.array([1, 2]), 3), {}), ((0, 1), dict(bogus=1)),
]
# the function's bounds given in conflicting ways: raised as NumPy raises them
CLIP_CONFLICTS = [((), dict(a_min=0, max=1)), ((), dict(a_min=0, a_max=1, min=0)), ((0,), dict(a_max=1)),
                  ((), dict(a_max=1, max=0)), ((0, 1), dict(a_min=0))]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
def test_clip(dtype):
    x = make((2, 3), dtype, 6)
    for args, kw in CLIP_CASES:
        check("clip", lambda a, *r, **k: nf.clip(a, *map(to_nf, r), **k), np_clip, x, *args, **kw)
        check("clip", lambda a, *r, **k: a.clip(*map(to_nf, r), **k),
              lambda a, *r, **k: a.clip(*r, **k), x, *args, **kw)
    for args, kw in CLIP_CONFLICTS:
        check("clip", nf.clip, np_clip, x, *args, **kw)


def test_clip_out_and_where():
    for m in (onp, nf):
        a = m.asarray(make((2, 3), onp.float64, 1))
        assert m.clip(a, -1, 1, out=a) is a
        o = m.asarray(onp.zeros((2, 3)))
        assert m.clip(a, 0, 0.5, o, where=a > 0) is o
        oi = m.asarray(onp.zeros((2, 3), onp.int64))
        assert m.clip(a * 10, -5, 5, out=oi, casting="unsafe") is oi
    expected = [onp.clip(make((2, 3), onp.float64, 1), -1, 1)]
    assert_same(nf.clip(nf.asarray(make((2, 3), onp.float64, 1)), -1, 1), expected[0])
    with pytest.raises(ValueError, match=r"clip\("):
        nf.clip(nf.asarray([1.0, 2.0]), 0, 1, out=nf.asarray([0.0]))
    with pytest.raises(onp._core._exceptions._UFuncOutputCastingError, match=r"clip\("):
        nf.clip(nf.asarray([1.5]), 0, 1, out=nf.asarray([0]))


# -- round, fix -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["round", "around", "fix"])
def test_out(name):
    kw = {} if name == "fix" else dict(decimals=1)
    for dtype in (onp.float32, onp.float64, onp.int16):
        x = (make((2, 3), onp.float64, 2) * 1.2345).astype(dtype)
        for m in (onp, nf):
            o = m.asarray(onp.zeros((2, 3), dtype=onp.float64))
            assert getattr(m, name)(m.asarray(x), out=o, **kw) is o
            if m is onp:
                expected = o
        assert_same(o, expected)
    check_fn(name, make((2, 3), onp.float64), out=onp.zeros((3,)), **kw)  # bad out shape


def test_round_methods():
    x = make((2, 3), onp.float64, 1) * 10
    assert_same(nf.asarray(x).round(1), x.round(1))
    assert_same(round(nf.asarray(x[0, 0]), 2), round(x[0, 0], 2))
    assert round(nf.asarray(x[0, 0])) == round(x[0, 0])


# -- views --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
def test_real_imag_views_as_numpy(dtype):
    x = make((2, 3), dtype, 1)
    xn = nf.asarray(x.copy())
    for name in ("real", "imag"):
        got, expected = getattr(nf, name)(xn), getattr(onp, name)(x)
        shares = onp.shares_memory(onp.asarray(got), onp.asarray(xn))
        assert shares == onp.shares_memory(expected, x)
        assert onp.asarray(got).flags.writeable == expected.flags.writeable
        assert_same(getattr(xn, name), getattr(x, name))
    if x.dtype.kind == "c":  # writing through the views writes the array
        nf.real(xn)[0] = 7
        xn.imag[1] = -7
        x.real[0], x.imag[1] = 7, -7
        assert_same(xn, x)
        xn.imag = 0.5
        x.imag = 0.5
        assert_same(xn, x)
    else:
        with pytest.raises(ValueError):
            nf.imag(xn)[0] = 1  # read-only zeros, as NumPy
        with pytest.raises(TypeError):
            xn.imag = 1


def test_nan_to_num_copy_semantics():
    x = special(onp.complex128)
    for copy in (True, False):
        xn = nf.asarray(x.copy())
        r = nf.nan_to_num(xn, copy=copy)
        assert (r is xn) == (not copy)
        assert onp.shares_memory(onp.asarray(r), onp.asarray(xn)) == (not copy)
        assert_same(xn, onp.nan_to_num(x) if not copy else x)
    host = x.copy()  # a NumPy array given to npflow with copy=False is written, as by NumPy
    nf.nan_to_num(host, copy=False)
    assert_same(nf.asarray(host), onp.nan_to_num(x))


def test_nan_to_num_order_of_replacement():
    """All masks come from the input: a NaN replaced by inf is not then replaced by posinf."""
    x = onp.array([onp.nan, onp.inf, -onp.inf, 1.0])
    check_fn("nan_to_num", x, nan=onp.inf, posinf=5.0)
    check_fn("nan_to_num", x, nan=-onp.inf, neginf=onp.nan)


def test_real_if_close_identity():
    for x in (make((3,), onp.float64), make((3,), onp.complex64) * 0 + 1 + 1e-9j):
        xn = nf.asarray(x)
        r, e = nf.real_if_close(xn), onp.real_if_close(x)
        assert (r is xn) == (e is x)
        assert_same(r, e)


# -- errors and devices ---------------------------------------------------------------------
ERRORS = [
    ("where", lambda m: m.where(m.asarray([True, False]), m.asarray([1, 2, 3]), 0), ValueError),
    ("where", lambda m: m.where(m.asarray([True]), 1), ValueError),
    ("clip", lambda m: m.clip(m.asarray([1, 2]), m.asarray([0, 0, 0]), 1), ValueError),
    ("clip", lambda m: m.clip(m.asarray([1, 2]), a_min=1), TypeError),
    ("clip", lambda m: m.clip(m.asarray([1, 2]), a_min=0, a_max=1, max=3), ValueError),
    ("round", lambda m: m.round(m.asarray(["a"])), TypeError),
    ("around", lambda m: m.around(m.asarray([1.0]), out=m.asarray([1.0, 2.0])), ValueError),
    ("fix", lambda m: m.fix(m.asarray([1j])), TypeError),
    ("i0", lambda m: m.i0(m.asarray([1j])), TypeError),
    ("isposinf", lambda m: m.isposinf(m.asarray([1j])), TypeError),
    ("isneginf", lambda m: m.isneginf(m.asarray([1j])), TypeError),
    ("angle", lambda m: m.angle(m.asarray(["a"])), TypeError),
    ("sinc", lambda m: m.sinc(m.asarray(["a"])), TypeError),
    ("isposinf", lambda m: m.isposinf(m.asarray([1.0, 2.0]), m.asarray([True] * 3)), ValueError),
]


@pytest.mark.parametrize("name, call, exc", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_the_function(name, call, exc):
    with pytest.raises(exc):
        call(onp)
    with pytest.raises(exc) as info:
        call(nf)
    assert f"{name}(" in str(info.value), str(info.value)


DEVICE_CALLS = {
    "where": lambda x: nf.where(x > 0, x, 0.0), "where1": lambda x: nf.where(x > 0)[0],
    "clip": lambda x: nf.clip(x, -1, [0.5, 1, 2]), "round": lambda x: nf.round(x, 1),
    "around": nf.around, "real": nf.real, "imag": nf.imag, "angle": nf.angle, "sinc": nf.sinc,
    "nan_to_num": nf.nan_to_num, "nan_to_num_inplace": lambda x: nf.nan_to_num(x, copy=False),
    "real_if_close": lambda x: nf.real_if_close(x + 0j), "fix": nf.fix, "i0": nf.i0,
    "iscomplex": nf.iscomplex, "isreal": nf.isreal, "isposinf": nf.isposinf,
    "isneginf": nf.isneginf, "clip_out": lambda x: nf.clip(x, 0, 1, out=x),
    "list_operands": lambda x: nf.where(x > 0, [1, 2, 3], x),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", DEVICE_CALLS)
def test_results_stay_on_the_device(case, device):
    x_np = onp.array([-1.5, onp.inf, 0.25])
    r = DEVICE_CALLS[case](nf.asarray(x_np, device=device))
    assert r.device == device
    assert_same(nf.asarray(r.to_device("cpu")), onp.asarray(DEVICE_CALLS[case](nf.asarray(x_np))))


def test_mixed_devices_are_errors():
    c, s = nf.asarray([1.0, -1.0]), nf.asarray([1.0, 2.0], device="sim")
    for name, f in [("where", lambda: nf.where(c > 0, s, c)), ("clip", lambda: nf.clip(s, c, 2)),
                    ("clip", lambda: nf.clip(s, 0, 1, out=c)),
                    ("round", lambda: nf.round(s, out=c))]:
        with pytest.raises(nf.DeviceMismatchError, match=rf"{name}\("):
            f()


@pytest.mark.parametrize("dtype", [onp.complex64, onp.complex128], ids=["complex64", "complex128"])
def test_nan_to_num_keeps_signed_zeros(dtype):
    """Each part of a complex element is NumPy's to the bit: -0.0 stays -0.0 beside a NaN,
    an infinity or an ordinary value in the other part."""
    parts = [-0.0, 0.0, 2.0, onp.nan, onp.inf, -onp.inf]
    x = onp.array([complex(r, i) for r in parts for i in parts], dtype)
    got, expected = onp.asarray(nf.nan_to_num(nf.asarray(x))), onp.nan_to_num(x)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()
