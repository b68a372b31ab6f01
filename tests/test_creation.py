"""Array creation against NumPy: values, dtypes, shapes, views-vs-copies, errors and devices."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import creation as C
from support import ALL_DTYPES, SHAPES, DEVICES, assert_same, same_outcome, make, hyp_arrays, ids

NAMES = C.__all__
SIM = nf.Device("sim")
SHAPE_ARGS = [(), 0, 3, (0,), (5,), (2, 3), (0, 3), (3, 1, 2), [2, 2], onp.int64(2)]
DTYPES = [None] + ALL_DTYPES


def test_signatures_match_numpy_plus_device():
    """NumPy 2's parameters, in order, with a keyword-only device= (added where NumPy lacks it)."""
    assert set(NAMES) >= {"zeros", "linspace", "meshgrid", "fromfunction", "copy"}
    for name in NAMES:
        mine = inspect.signature(getattr(nf, name)).parameters
        theirs = inspect.signature(getattr(onp, name)).parameters
        assert mine["device"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert mine["device"].default is None, name
        assert [p for p in mine.values() if p.name != "device"] == \
            [p for p in theirs.values() if p.name != "device"], name


# -- from a shape --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
def test_zeros_ones_full_shapes_dtypes(dtype):
    """zeros/ones/full/empty over shapes (int, tuple, list, 0-d, empty) and every dtype."""
    for shape in SHAPE_ARGS:
        for name in ("zeros", "ones"):
            same_outcome(getattr(nf, name), getattr(onp, name), shape, dtype=dtype)
        for fill in (0, 3, -1, 2.5, True, 1 + 2j, onp.float32(1.5)):
            same_outcome(nf.full, onp.full, shape, fill, dtype=dtype)
        e = nf.empty(shape, dtype=dtype)
        assert (e.shape, e.dtype) == (onp.empty(shape, dtype).shape, onp.empty(shape, dtype).dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_like_family(dtype):
    """*_like: the prototype's dtype and shape (npflow, NumPy or list prototype), overrides, layout."""
    for shape in SHAPES:
        x = make(shape, dtype)
        protos = [(nf.asarray(x), x), (x, x), (x.tolist(), x.tolist())]
        for p_nf, p_np in protos:
            for kw in ({}, {"dtype": onp.float32}, {"shape": (2, 0)}, {"shape": 4}):
                assert_same(nf.zeros_like(p_nf, **kw), onp.zeros_like(p_np, **kw))
                assert_same(nf.ones_like(p_nf, **kw), onp.ones_like(p_np, **kw))
                assert_same(nf.full_like(p_nf, 7, **kw), onp.full_like(p_np, 7, **kw))
                e, ne = nf.empty_like(p_nf, **kw), onp.empty_like(p_np, **kw)
                assert (e.shape, e.dtype) == (ne.shape, ne.dtype)


def test_like_layout_follows_prototype():
    f = onp.asfortranarray(make((3, 4), onp.float64))
    for order in ("K", "A", "C", "F"):
        for fn in ("zeros_like", "ones_like", "empty_like"):
            got = getattr(nf, fn)(nf.asarray(f), order=order)
            want = getattr(onp, fn)(f, order=order)
            assert got.flags.f_contiguous == want.flags.f_contiguous, (fn, order)
            assert got.flags.c_contiguous == want.flags.c_contiguous, (fn, order)


def test_full_like_fill_values():
    x = make((2, 3), onp.int16)
    for fill in (2.7, -3, True, onp.array([1, 2, 3])):
        same_outcome(nf.full_like, onp.full_like, x, fill)
    same_outcome(nf.full_like, onp.full_like, x, 1.5, dtype=onp.float32)
    same_outcome(nf.full_like, onp.full_like, make((3,), onp.uint8), -1)  # OverflowError in both


# -- everything else: one table, one test ------------------------------------
A33 = make((3, 3), onp.float64, seed=1)
A24 = make((2, 4), onp.int32, seed=2)
A233 = make((2, 3, 3), onp.complex64, seed=3)
V3 = make((3,), onp.int64, seed=4)
CASES = [
    # arange: ints, floats, negative and fractional steps, empty ranges, dtypes
    ("arange", (5,), {}), ("arange", (0,), {}), ("arange", (-3,), {}), ("arange", (2, 10, 3), {}),
    ("arange", (10, 2, -3), {}), ("arange", (2, 10, -1), {}), ("arange", (0, 1, 0.1), {}),
    ("arange", (1, 0, -0.25), {}), ("arange", (0.5, 5.5), {}), ("arange", (5,), {"dtype": onp.float32}),
    ("arange", (0, 10, 3), {"dtype": onp.int8}), ("arange", (0, 5, 0.5), {"dtype": int}),
    ("arange", (2,), {"dtype": bool}), ("arange", (3,), {"dtype": bool}), ("arange", (0, 10, 0), {}),
    ("arange", (1 + 1j, 4), {}), ("arange", (onp.int8(3),), {}), ("arange", (onp.float32(2.5),), {}),
    ("arange", (0, 2**40, 2**38), {}), ("arange", (3,), {"dtype": "foo"}),
    ("arange", (-2.5, 2.5), {"dtype": onp.uint16}),
    # linspace: num 0/1, endpoint, retstep, integer dtype, array ends and axis, bad num
    ("linspace", (0, 1), {}), ("linspace", (0, 1, 0), {}), ("linspace", (0, 1, 1), {}),
    ("linspace", (0, 1, 1), {"endpoint": False}), ("linspace", (1, 0, 5), {}),
    ("linspace", (0, 10, 5), {"endpoint": False}), ("linspace", (0, 10, 7), {"dtype": int}),
    ("linspace", (-3, 10, 7), {"dtype": onp.uint8}), ("linspace", (0, 1, 5), {"retstep": True}),
    ("linspace", (0, 1, 1), {"retstep": True}), ("linspace", (0, 1, 0), {"retstep": True, "endpoint": False}),
    ("linspace", (0, 1, 3), {"dtype": onp.float32}), ("linspace", (1j, 2 + 3j, 4), {}),
    ("linspace", (onp.float32(0), onp.float32(1), 4), {}), ("linspace", (0, 1, -1), {}),
    ("linspace", (0, 1, 2.5), {}), ("linspace", (V3, 10, 4), {}),
    ("linspace", ([0, 1], [2, 4], 3), {"axis": -1, "retstep": True}),
    ("linspace", (A24, 0, 3), {"axis": 1}), ("linspace", (A24, 0, 3), {"axis": 3}),
    ("linspace", (0, 1, 4), {"dtype": "foo"}),
    # logspace
    ("logspace", (0, 2, 3), {}), ("logspace", (0, 2, 3), {"base": 2}), ("logspace", (0, 2, 0), {}),
    ("logspace", (0, 2, 1), {}), ("logspace", (0, 3, 4), {"endpoint": False}),
    ("logspace", (0, 3, 4), {"dtype": int}), ("logspace", (0, 1, 5), {"base": [2.0, 3.0], "axis": -1}),
    ("logspace", (0, 1, 5), {"base": onp.array([[2.0], [3.0]]), "axis": 1}),
    ("logspace", ([0, 1], 2, 3), {}), ("logspace", (0, 2, 3), {"base": 1j}),
    ("logspace", (onp.float32(0), onp.float32(2), 3), {}), ("logspace", (0, 2, 3), {"base": onp.float32(2)}),
    ("logspace", (0, 1, 5), {"base": [2.0, 3.0], "axis": 3}), ("logspace", (0, 1, -2), {}),
    # geomspace: negative and complex ends, arrays and axis, dtypes, zero
    ("geomspace", (1, 1000, 4), {}), ("geomspace", (-1, -1000, 4), {}), ("geomspace", (1j, 1000j, 4), {}),
    ("geomspace", (-1 + 0j, 1 + 0j, 5), {}), ("geomspace", ([1, 2], [10, 20], 3), {}),
    ("geomspace", ([1, -1j], [1000, -1000j], 4), {"axis": -1}),
    ("geomspace", ([[1], [2]], [10, 20, 30], 3), {"axis": 1}),
    ("geomspace", (1, 256, 9), {"dtype": int}), ("geomspace", (1, 2, 4), {"dtype": onp.float32}),
    ("geomspace", (2, 16, 3), {"endpoint": False}), ("geomspace", (2, 16, 0), {}),
    ("geomspace", (2, 16, 1), {}), ("geomspace", (0, 1), {}), ("geomspace", ([1, 0], 1), {}),
    ("geomspace", (onp.float32(1), onp.float32(100), 3), {}), ("geomspace", (3.3, 7.7, 5), {}),
    ("geomspace", ([0.3, -2.9], 17.1, 6), {"axis": 1, "endpoint": True}),
    # eye, identity, tri
    ("eye", (3,), {}), ("eye", (3, 4), {}), ("eye", (3, 4, 1), {}), ("eye", (3, 4, -2), {}),
    ("eye", (0,), {}), ("eye", (3,), {"dtype": int}), ("eye", (2,), {"dtype": bool}),
    ("eye", (2, 3), {"dtype": complex, "order": "F"}), ("eye", (3,), {"k": 5}),
    ("eye", (-1,), {}), ("eye", (2.5,), {}), ("eye", (3,), {"dtype": "foo"}),
    ("identity", (3,), {}), ("identity", (0,), {}), ("identity", (2,), {"dtype": onp.int8}),
    ("tri", (3,), {}), ("tri", (3, 4, 1), {}), ("tri", (2, 5, -1), {"dtype": int}), ("tri", (0,), {}),
    # triangles and diagonals (array operands)
    ("tril", (A33,), {}), ("tril", (A24, -1), {}), ("tril", (A233, 1), {}), ("tril", (V3,), {}),
    ("tril", (onp.zeros((0, 3)),), {}), ("tril", (onp.array(3.0),), {}), ("tril", ([[1, 2], [3, 4]],), {}),
    ("triu", (A33,), {}), ("triu", (A24, 2), {}), ("triu", (A233, -1), {}), ("triu", (V3, 1), {}),
    ("diag", (V3,), {}), ("diag", (V3, 1), {}), ("diag", (V3, -2), {}), ("diag", (onp.zeros(0),), {}),
    ("diag", (A24,), {}), ("diag", (A24, 2), {}), ("diag", (A24, -1), {}), ("diag", (A24, 9), {}),
    ("diag", (A233,), {}), ("diag", (onp.array(2),), {}), ("diag", ([1, 2],), {}),
    ("diagflat", (V3,), {}), ("diagflat", (A24, 1), {}), ("diagflat", (A24, -2), {}),
    ("diagflat", (onp.array(2.5),), {}), ("diagflat", ([[1, 2], [3, 4]],), {}),
    # meshgrid: 0..3 inputs, n-d inputs (raveled), indexing, sparse, copy
    ("meshgrid", (), {}), ("meshgrid", (V3,), {}), ("meshgrid", (V3, A24), {}),
    ("meshgrid", (V3, onp.arange(2.0), A24), {"indexing": "ij"}),
    ("meshgrid", (V3, onp.arange(2.0), onp.zeros(0)), {"sparse": True}),
    ("meshgrid", (V3, A24), {"copy": False}), ("meshgrid", ([1, 2], 5), {}),
    ("meshgrid", (V3,), {"indexing": "yx"}),
    # array and friends from lists, scalars, NumPy arrays
    ("array", ([[1, 2], [3, 4]],), {}), ("array", (2.5,), {}), ("array", ([],), {}),
    ("array", ([1, 2],), {"dtype": onp.float32, "ndmin": 3}), ("array", ([[1, 2]],), {"order": "F"}),
    ("array", ([1, 2.5, 1j],), {}), ("array", ([True],), {"dtype": "foo"}),
    ("array", ([[1, 2], [3]],), {}), ("array", ([1],), {"ndmin": 3, "ndmax": 2}),
    ("asarray", ([1, 2],), {}), ("asarray", ((1, 2.0),), {"dtype": onp.complex64}),
    ("asarray", ([1, 2],), {"copy": False}), ("asarray", (A24,), {"order": "F"}),
    ("asanyarray", ([[1]],), {"dtype": bool}), ("ascontiguousarray", (3,), {}),
    ("ascontiguousarray", (A24.T,), {"dtype": onp.float32}), ("copy", (A233,), {}),
    ("copy", ([1, 2],), {}), ("copy", (onp.asfortranarray(A33),), {"order": "C"}),
    # negative dimensions and bad dtypes: NumPy's exception types
    ("zeros", ((2, -1),), {}), ("ones", (-1,), {}), ("empty", (-2,), {}), ("full", (-1, 0), {}),
    ("zeros", (3.0,), {}), ("zeros", ((2, 1.5),), {}), ("zeros", (3,), {"dtype": "foo"}),
    ("ones", (3,), {"order": "Z"}), ("tri", (-1,), {}), ("zeros_like", (A24,), {"dtype": "foo"}),
    ("full", (3, 1), {"dtype": "foo"}), ("zeros_like", (A24,), {"shape": -1}),
]


def _case_id(case):
    name, args, kw = case
    show = [f"{a.dtype}{list(a.shape)}" if isinstance(a, onp.ndarray) else repr(a) for a in args]
    return f"{name}({', '.join(show + [f'{k}={v!r}' for k, v in kw.items()])})".replace(" ", "")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_against_numpy(case):
    name, args, kw = case
    same_outcome(getattr(nf, name), getattr(onp, name), *args, **kw)


def test_fromfunction():
    for fn, shape, kw in [(lambda i, j: i + j, (2, 3), {}), (lambda i, j: i * 10 + j, (3, 2), {"dtype": int}),
                          (lambda i: i < 2, (4,), {}), (lambda i, j, k: i - j * k, (2, 0, 3), {}),
                          (lambda i, j, a: i + a, (2, 2), {"dtype": onp.float32, "a": 1.5}),
                          (lambda: 7, (), {}), (lambda i: i, (2,), {"dtype": complex})]:
        assert_same(nf.fromfunction(fn, shape, **kw), onp.fromfunction(fn, shape, **kw))
    with pytest.raises(TypeError):
        nf.fromfunction(lambda i: i, 3)


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-7, 7).filter(bool),
       st.sampled_from([None, onp.int16, onp.float32, onp.float64]))
def test_arange_hypothesis(start, stop, step, dtype):
    assert_same(nf.arange(start, stop, step, dtype=dtype), onp.arange(start, stop, step, dtype=dtype))
    assert_same(nf.arange(start / 4, stop / 3, step / 5), onp.arange(start / 4, stop / 3, step / 5))


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.integers(0, 12), st.booleans(),
       st.sampled_from([None, onp.int32, onp.float32, onp.complex128]))
def test_linspace_hypothesis(start, stop, num, endpoint, dtype):
    kw = dict(num=num, endpoint=endpoint, dtype=dtype, retstep=True)
    assert_same(nf.linspace(start, stop, **kw), onp.linspace(start, stop, **kw))


@given(hyp_arrays(onp.float64, max_dims=2), st.sampled_from([None, onp.float32, onp.int64]))
def test_array_asarray_hypothesis(x, dtype):
    for fn in ("array", "asarray", "ascontiguousarray", "copy"):
        kw = {} if fn == "copy" else {"dtype": dtype}
        assert_same(getattr(nf, fn)(nf.asarray(x), **kw), getattr(onp, fn)(x, **kw))
        assert_same(getattr(nf, fn)(x, **kw), getattr(onp, fn)(x, **kw))


# -- views and copies ----------------------------------------------------------
def _inputs():
    base = make((4, 6), onp.float64)
    return [base, onp.asfortranarray(base), base[:, ::2], base.T, make((), onp.int32), make((0, 3), onp.int8)]


CONVERSIONS = [
    ("asarray", {}), ("asarray", {"copy": True}), ("asarray", {"copy": False}), ("asarray", {"order": "C"}),
    ("asarray", {"order": "F"}), ("asarray", {"order": "A"}), ("asarray", {"order": "C", "copy": False}),
    ("asarray", {"dtype": onp.float32}), ("asarray", {"dtype": onp.float32, "copy": False}),
    ("asarray", {"dtype": onp.float64, "copy": False}), ("asanyarray", {}),
    ("array", {}), ("array", {"copy": None}), ("array", {"copy": False}),
    ("array", {"ndmin": 4, "copy": None}),
    ("array", {"ndmin": 3}), ("array", {"order": "F", "copy": None}), ("array", {"order": "A"}),
    ("ascontiguousarray", {}), ("copy", {}), ("copy", {"order": "F"}),
]


@pytest.mark.parametrize("name, kw", CONVERSIONS, ids=[f"{n}-{k}" for n, k in CONVERSIONS])
def test_views_and_copies(name, kw):
    """Same result, same memory sharing, same identity (``asarray(a) is a``) as NumPy."""
    for x in _inputs():
        a = nf.asarray(x)  # same layout as x (a view of it)
        a_host = onp.asarray(a)
        try:
            want = getattr(onp, name)(x, **kw)
        except ValueError:
            with pytest.raises(ValueError, match=name):
                getattr(nf, name)(a, **kw)
            continue
        got = getattr(nf, name)(a, **kw)
        assert_same(got, want)
        assert onp.shares_memory(a_host, onp.asarray(got)) == onp.shares_memory(x, want)
        assert (got is a) == (want is x)
        assert onp.asarray(got).flags.f_contiguous == want.flags.f_contiguous


def test_meshgrid_views():
    x, y = onp.arange(3.0), onp.arange(2.0)
    a, b = nf.asarray(x), nf.asarray(y)
    for kw in ({}, {"copy": False}, {"copy": False, "sparse": True}, {"sparse": True}):
        got, want = nf.meshgrid(a, b, **kw), onp.meshgrid(x, y, **kw)
        assert_same(got, want)
        assert onp.shares_memory(onp.asarray(a), onp.asarray(got[0])) == onp.shares_memory(x, want[0])


def test_array_from_npflow_keeps_dtype_and_copies():
    a = nf.asarray([1, 2, 3], dtype=onp.int8)
    b = nf.array(a)
    b[0] = 9
    assert a[0] == 1 and b.dtype == onp.int8
    assert nf.array(a, copy=False) is a and nf.asarray(a, dtype=onp.int8, copy=False) is a


# -- errors --------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, name", [
    (lambda: nf.zeros((2, -1)), ValueError, "zeros"), (lambda: nf.full(-3, 1.0), ValueError, "full"),
    (lambda: nf.eye(-1), ValueError, "eye"), (lambda: nf.ones(2, dtype="foo"), TypeError, "ones"),
    (lambda: nf.arange(3, dtype="foo"), TypeError, "arange"),
    (lambda: nf.linspace(0, 1, -1), ValueError, "linspace"),
    (lambda: nf.geomspace(0, 1), ValueError, "geomspace"),
    (lambda: nf.meshgrid([1], indexing="yx"), ValueError, "meshgrid"),
    (lambda: nf.diag(nf.zeros((2, 2, 2))), ValueError, "diag"),
    (lambda: nf.asarray(nf.zeros(3), dtype=onp.int8, copy=False), ValueError, "asarray"),
    (lambda: nf.asarray(nf.zeros(3), order="Z"), ValueError, "order"),
    (lambda: nf.array([1], ndmin=3, ndmax=2), ValueError, "array"),
])
def test_errors_name_the_function(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


# -- devices -------------------------------------------------------------------
PROTO = make((2, 3), onp.float32)
MAKERS = [
    lambda d: nf.zeros((2, 3), device=d), lambda d: nf.ones(3, device=d), lambda d: nf.empty(0, device=d),
    lambda d: nf.full((2,), 1.5, device=d), lambda d: nf.arange(5, device=d),
    lambda d: nf.linspace(0, 1, 5, device=d), lambda d: nf.linspace(0, 1, 5, retstep=True, device=d)[0],
    lambda d: nf.logspace(0, 1, 5, device=d), lambda d: nf.logspace(0, 1, 3, base=[2.0, 3.0], device=d),
    lambda d: nf.geomspace(1, 8, 4, device=d), lambda d: nf.eye(3, device=d),
    lambda d: nf.identity(2, device=d), lambda d: nf.tri(3, device=d),
    lambda d: nf.tril([[1, 2], [3, 4]], device=d), lambda d: nf.triu(PROTO.tolist(), device=d),
    lambda d: nf.diag([1, 2], device=d), lambda d: nf.diagflat([1, 2], device=d),
    lambda d: nf.meshgrid([1, 2], [3, 4], device=d)[1],
    lambda d: nf.fromfunction(lambda i: i, (3,), device=d),
    lambda d: nf.array([1, 2], device=d), lambda d: nf.asarray(PROTO, device=d),
    lambda d: nf.asanyarray(2.0, device=d), lambda d: nf.ascontiguousarray(PROTO, device=d),
    lambda d: nf.copy(PROTO, device=d), lambda d: nf.zeros_like(PROTO, device=d),
    lambda d: nf.ones_like([1, 2], device=d), lambda d: nf.empty_like(PROTO, shape=(0, 3), device=d),
    lambda d: nf.full_like(PROTO, 2, device=d),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("i", range(len(MAKERS)))
def test_device_placement(i, device):
    """device= places the result; so does ``with default_device``; the values are NumPy's."""
    make_on = MAKERS[i]
    x = make_on(device)
    assert x.device == nf.Device(device)
    with nf.default_device(device):
        y = make_on(None)
    assert y.device == nf.Device(device)
    assert make_on(None).device == nf.Device("cpu")
    assert_same(x, onp.asarray(make_on("cpu")))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_keeps_prototype_device(name):
    args = (2.0,) if name == "full_like" else ()
    proto = nf.asarray(PROTO, device="sim")
    with nf.default_device("cpu"):
        assert getattr(nf, name)(proto, *args).device == SIM
        assert getattr(nf, name)(proto, *args, device="cpu").device == nf.Device("cpu")
    with nf.default_device("sim"):
        assert getattr(nf, name)(PROTO, *args).device == SIM


def test_array_operands_stay_on_their_device():
    s = nf.asarray(make((3, 3), onp.int16), device="sim")
    for r in (nf.tril(s), nf.triu(s, 1), nf.diag(s), nf.diagflat(s), *nf.meshgrid(s, s),
              nf.array(s), nf.asarray(s, dtype=onp.float32), nf.copy(s), nf.ascontiguousarray(s),
              nf.linspace(s, 0, 3), nf.logspace(s, 1, 3), nf.geomspace(s + 1, 9, 3)):
        assert r.device == SIM
    assert nf.asarray(s) is s and nf.asarray(s, device="sim") is s
    moved = nf.asarray(s, device="cpu")
    assert moved.device == nf.Device("cpu") and not onp.shares_memory(onp.asarray(moved), onp.asarray(s))
    with pytest.raises(ValueError, match="copy=False"):
        nf.asarray(s, device="cpu", copy=False)
    with pytest.raises(nf.DeviceMismatchError):
        nf.meshgrid(s, nf.zeros(2))


# -- astype (NumPy 2.1's function form) -------------------------------------------------------
@pytest.mark.parametrize("to", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("src", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_astype(src, to):
    x = make((2, 3), src)
    same_outcome(nf.astype, onp.astype, x, to)
    a = nf.asarray(x)
    assert (nf.astype(a, src, copy=False) is a) == (onp.astype(x, src, copy=False) is x)


def test_astype_device_and_errors():
    a = nf.asarray([1.0, 2.0])
    assert nf.astype(a, onp.float32, device="sim").device == nf.Device("sim")
    with pytest.raises(TypeError, match="astype"):
        nf.astype([1.0], onp.float32)


# -- value arguments an autodiff trace tracks: the same values as NumPy's, on the value's device --
TRACED_VALUE_CALLS = [  # (label, call(m, v) with module m and value v: NumPy's or an npflow array)
    ("full", lambda m, v: m.full((2, 3), v)), ("full-dtype", lambda m, v: m.full((2, 2), v, dtype=onp.float32)),
    ("full-int", lambda m, v: m.full(3, v, dtype=int)), ("full-F", lambda m, v: m.full((2, 3), v, order="F")),
    ("full_like", lambda m, v: m.full_like(onp.zeros((2, 3), onp.float32), v)),
    ("full_like-K", lambda m, v: m.full_like(onp.zeros((4, 6))[::2, ::-2], v)),
    *[(f"linspace-{n}-{e}", lambda m, v, n=n, e=e: m.linspace(v, 3 * v + 1, n, endpoint=e))
      for n in (0, 1, 2, 7) for e in (True, False)],
    ("linspace-zero-step", lambda m, v: m.linspace(v, v, 4)),
    ("linspace-retstep", lambda m, v: m.linspace(v, 2.0, 5, retstep=True)),
    ("linspace-int", lambda m, v: m.linspace(v, 9.5, 6, dtype=int)),
    ("linspace-axis", lambda m, v: m.linspace(m.stack([v, -v]), 2.0, 3, axis=-1)),
    ("linspace-float32", lambda m, v: m.linspace(v.astype(onp.float32), 1.0, 5)),
    ("logspace", lambda m, v: m.logspace(v, 2.0, 4)), ("logspace-base", lambda m, v: m.logspace(v, 1.0, 3, base=2.0)),
    ("geomspace", lambda m, v: m.geomspace(v + 1, 50.0, 5)), ("geomspace-neg", lambda m, v: m.geomspace(-v - 1, -8.0, 3)),
    ("fill", lambda m, v: (lambda z: (z.fill(v), z)[1])(m.zeros_like(v, shape=3))),
    ("pad", lambda m, v: m.pad(m.ones_like(v, shape=(2, 3)), ((1, 0), (2, 1)), constant_values=v)),
    ("pad-int", lambda m, v: m.pad(m.ones_like(v, shape=3, dtype=int), 2, constant_values=v)),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("label,call", TRACED_VALUE_CALLS, ids=[c[0] for c in TRACED_VALUE_CALLS])
def test_traced_value_arguments_give_numpy_s_values(label, call, device):
    """full(shape, v), linspace(v, ...), x.fill(v), ... with v an array being differentiated:
    computed in npflow calls (differentiable; gradients in tests/gradspecs/creation.py), with
    NumPy's values and dtypes, on v's device."""
    v = nf.asarray(0.7, device=device)
    with nf.GradientTape() as tape:
        tape.watch(v)
        got = call(nf, v)
    expected = call(onp, onp.float64(0.7))
    got, expected = (got[0], expected[0]) if isinstance(expected, tuple) else (got, expected)
    assert got.device == nf.Device(device)
    assert_same(got.to_device("cpu"), expected)


def test_full_like_follows_an_npflow_fill_value_s_device():
    """A NumPy prototype is uncommitted: npflow.full_like takes the fill value's device (NumPy's own
    full_like dispatches on the prototype only: a host array, README)."""
    v = nf.asarray(2.0, device="sim")
    for proto in (onp.zeros((2, 3)), onp.zeros((4, 3))[::2]):
        r = nf.full_like(proto, v)
        assert r.device == nf.Device("sim")
        assert_same(r.to_device("cpu"), onp.full_like(proto, 2.0))
    r = onp.full_like(onp.zeros(3), v)
    assert type(r) is onp.ndarray and r.tolist() == [2.0, 2.0, 2.0]
