"""Type and array utilities, business days, vectorize/frompyfunc and np.emath, against NumPy."""
import io

import numpy as onp
import pytest
from hypothesis import given

import npflow as nf
from support import (ALL_DTYPES, DEVICES, NUMERIC, SHAPES, assert_same, hyp_arrays, ids, make,
                     outcomes, same_outcome)


def _shares(a, b):
    return onp.shares_memory(onp.asarray(a), onp.asarray(b))


# -- dtype queries -------------------------------------------------------------------------
@pytest.mark.parametrize("dtypes", [("i1",), ("f4",), ("f2", "i8"), ("f4", "c8"), ("f2", "c8"),
                                    ("u2", "f4"), ("c16", "f4"), ("g",), ("?",), ("i4", "U3")],
                         ids=str)
def test_common_type(dtypes):
    arrays = [onp.zeros(2, dt) for dt in dtypes]
    res = outcomes(lambda m: m.common_type(*(a if m is onp else nf.asarray(a) for a in arrays)))
    if res:
        assert res[0] is res[1]


def _valid(value, dtype):
    try:
        with onp.errstate(over="ignore"):
            onp.asarray(value, dtype=dtype)
    except (TypeError, OverflowError):
        return False
    return True


SCALARS = [(v, dt) for v in (3, -3, 300, 70000, 3.0, 1e300, 1e-5, 2j, True)
           for dt in (None, onp.int64, onp.uint8, onp.float32, onp.complex128) if _valid(v, dt)]


@pytest.mark.parametrize("value,dtype", SCALARS, ids=str)
def test_min_scalar_type(value, dtype):
    x = onp.asarray(value, dtype=dtype)
    assert nf.min_scalar_type(nf.asarray(x)) == onp.min_scalar_type(x)
    assert nf.min_scalar_type(value) == onp.min_scalar_type(value)
    assert nf.min_scalar_type(nf.asarray(onp.stack([x, x]))) == onp.min_scalar_type(onp.stack([x, x]))


@pytest.mark.parametrize("typechars,kw", [("fd", {}), (["f", "d"], {"typeset": "GDFgdf"}),
                                          (["i", "l"], {}), (["F", "d"], {}), (["b"], {"default": "f"}),
                                          (["f", "U"], {})], ids=str)
def test_mintypecode(typechars, kw):
    assert nf.mintypecode(typechars, **kw) == onp.mintypecode(typechars, **kw)
    arrays = [onp.zeros(1, t) for t in typechars if t != "U"]
    assert nf.mintypecode([nf.asarray(a) for a in arrays], **kw) == onp.mintypecode(arrays, **kw)


@pytest.mark.parametrize("obj", [1, 1.5, "s", [1], (1,), onp.float32(1), None, range(3)], ids=repr)
def test_isscalar_iterable_and_queries(obj):
    assert nf.isscalar(obj) == onp.isscalar(obj) and nf.iterable(obj) == onp.iterable(obj)
    x = nf.asarray(onp.zeros(()))
    assert nf.isscalar(x) == onp.isscalar(onp.zeros(())) is False  # 0-d arrays, as NumPy
    assert nf.iterable(x) == onp.iterable(onp.zeros(()))
    assert nf.issubdtype(nf.arange(3).dtype, nf.integer) and nf.typename("d") == onp.typename("d")
    assert nf.datetime_data(onp.dtype("M8[3ms]")) == ("ms", 3)
    assert nf.sctypeDict is onp.sctypeDict and nf.ScalarType == onp.ScalarType
    assert (nf.True_, nf.False_, nf.typecodes, nf.little_endian) == \
        (onp.True_, onp.False_, onp.typecodes, onp.little_endian)


# -- layout and memory ---------------------------------------------------------------------
LAYOUTS = {"C": lambda x: x, "F": lambda x: x.T, "strided": lambda x: x[::2], "0-d": lambda x: x[0, 0, ...],
           "1-d": lambda x: x[0], "empty": lambda x: x[:0]}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_isfortran_and_asfortranarray(layout):
    base = make((4, 3), onp.float32)
    x_np, x_nf = LAYOUTS[layout](base), LAYOUTS[layout](nf.asarray(base))
    assert nf.isfortran(x_nf) == onp.isfortran(x_np)
    for dtype in (None, onp.float32, onp.complex128):
        got, want = nf.asfortranarray(x_nf, dtype), onp.asfortranarray(x_np, dtype)
        assert_same(got, want)
        assert got.flags.f_contiguous and _shares(got, x_nf) == _shares(want, x_np)


REQUIREMENTS = [None, "C", "F", ["A", "W"], ["O"], ["C", "O"], ["E"], ["F_CONTIGUOUS", "aligned"],
                ["C", "F"], ["X"]]


@pytest.mark.parametrize("req", REQUIREMENTS, ids=str)
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", [None, onp.float64, onp.int16], ids=str)
def test_require(layout, req, dtype):
    base = make((4, 3), onp.float64)
    x_np, x_nf = LAYOUTS[layout](base), LAYOUTS[layout](nf.asarray(base))
    res = outcomes(lambda m: m.require(x_np if m is onp else x_nf, dtype, req))
    if res:
        got, want = res
        assert_same(got, want)
        assert (got.flags.c_contiguous, got.flags.f_contiguous, _shares(got, x_nf)) == \
            (want.flags.c_contiguous, want.flags.f_contiguous, _shares(want, x_np))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("bad", [None, onp.nan, onp.inf, -onp.inf], ids=str)
def test_asarray_chkfinite(dtype, bad):
    x = make((5,), dtype)
    if bad is not None and onp.dtype(dtype).kind in "fc":
        x[2] = bad
    res = outcomes(lambda m: m.asarray_chkfinite(x if m is onp else nf.asarray(x)))
    if res:
        assert_same(*res)
    elif bad is not None:
        with pytest.raises(ValueError, match="asarray_chkfinite"):
            nf.asarray_chkfinite(nf.asarray(x))
    assert_same(nf.asarray_chkfinite([1, 2], dtype=onp.float32), onp.asarray_chkfinite([1, 2], onp.float32))


MEMORY = {"self": lambda a: (a, a), "view": lambda a: (a, a[1:]), "copy": lambda a: (a, a.copy()),
          "disjoint": lambda a: (a[:, ::2], a[:, 1::2]), "bounds-only": lambda a: (a[0], a[-1, ::-1]),
          "T": lambda a: (a, a.T), "list": lambda a: (a, [1.0]), "empty": lambda a: (a[:0], a)}


@pytest.mark.parametrize("case", MEMORY)
def test_shares_memory(case):
    for name, kw in (("shares_memory", {}), ("may_share_memory", {}), ("shares_memory", {"max_work": 1})):
        res = outcomes(lambda m: getattr(m, name)(*MEMORY[case](m.arange(12.0).reshape(3, 4)), **kw))
        if res:
            assert res[0] is res[1]


def test_shares_memory_across_devices_and_with_numpy():
    x = nf.arange(4.0)
    assert nf.shares_memory(x, onp.asarray(x)) and not nf.may_share_memory(x, x.to_device("sim"))
    y = nf.arange(4.0, device="sim")
    assert nf.shares_memory(y, y[1:]) and nf.may_share_memory(y[:2], y[1:])


EINSUM_PATH = [("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)], {}),
               ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)], {"optimize": "optimal"}),
               ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], {"optimize": ["einsum_path", (0, 1)]}),
               ("i,i", [(3,), (3,)], {"einsum_call": True}),
               ("ij,jk", [(3, 4), (5, 2)], {})]  # mismatched: ValueError


@pytest.mark.parametrize("subscripts,shapes,kw", EINSUM_PATH, ids=[str(c) for c in EINSUM_PATH])
def test_einsum_path(subscripts, shapes, kw):
    arrays = [make(sh, onp.float64, seed=i) for i, sh in enumerate(shapes)]
    res = outcomes(lambda m: m.einsum_path(subscripts, *(nf.asarray(a) if m is nf else a for a in arrays),
                                           **kw))
    if res:
        assert str(res[0]) == str(res[1])  # the same path and the same report


BROADCAST = [(onp.arange(3), [[1], [2]]), (), (1.5,), (onp.zeros((2, 0)), 1.0),
             (make((3, 1, 2), onp.int8), make((4, 1), onp.complex64), 2), (onp.arange(3), onp.arange(2))]


@pytest.mark.parametrize("args", BROADCAST, ids=[str(len(a)) + "-" + str(i) for i, a in enumerate(BROADCAST)])
def test_broadcast(args):
    res = outcomes(lambda m: m.broadcast(*(nf.asarray(a) if m is nf and isinstance(a, onp.ndarray) else a
                                           for a in args)))
    if res:
        got, want = res
        assert (got.shape, got.ndim, got.nd, got.size, got.numiter, got.index) == \
            (want.shape, want.ndim, want.nd, want.size, want.numiter, want.index)
        if want.size:
            assert_same(next(got), tuple(onp.asarray(e) for e in next(want)))
            assert got.index == want.index == 1
        rest = list(got), list(want)
        assert len(rest[0]) == len(rest[1])
        for g, w in zip(*rest):
            assert_same(g, tuple(onp.asarray(e) for e in w))
        got.reset()
        assert got.index == 0 and len(got.iters) == got.numiter
        more = nf.broadcast(got, nf.zeros((5, 1, 1, 1))), onp.broadcast(want, onp.zeros((5, 1, 1, 1)))
        assert more[0].shape == more[1].shape


# -- dates ----------------------------------------------------------------------------------
DAYS = onp.array(["2011-01-01", "2011-01-03", "2011-02-14", "2011-07-04", "2012-02-29"], dtype="M8[D]")
HOLIDAYS = ["2011-07-04", "2011-02-14"]
BUSDAY = [
    ("busday_count", ("2011-01-01", "2011-02-01"), {}),
    ("busday_count", (DAYS, DAYS[::-1]), {"holidays": HOLIDAYS}),
    ("busday_count", (DAYS[:2], "2012-01-01"), {"weekmask": "Mon Tue"}),
    ("busday_count", (DAYS, DAYS), {"busdaycal": onp.busdaycalendar(holidays=HOLIDAYS)}),
    ("busday_offset", (DAYS, 3), {"roll": "forward"}),
    ("busday_offset", (DAYS, onp.arange(5)), {"roll": "backward", "holidays": HOLIDAYS}),
    ("busday_offset", ("2011-01-01", 1), {}),  # a Saturday with roll='raise': ValueError
    ("busday_offset", (DAYS, 1), {"roll": "sideways"}),  # ValueError
    ("is_busday", (DAYS,), {}),
    ("is_busday", (list(DAYS.astype(str)),), {"weekmask": [1, 1, 1, 1, 1, 1, 0]}),
    ("is_busday", (DAYS,), {"busdaycal": onp.busdaycalendar(weekmask="0111110")}),
    ("datetime_as_string", (DAYS,), {}),
    ("datetime_as_string", (DAYS.astype("M8[s]"),), {"unit": "h"}),
    ("datetime_as_string", (DAYS.astype("M8[s]"),), {"timezone": "UTC"}),
    ("datetime_as_string", (DAYS,), {"unit": "Y", "casting": "safe"}),  # TypeError
]


@pytest.mark.parametrize("name,args,kw", BUSDAY, ids=[f"{n}{i}" for i, (n, *_) in enumerate(BUSDAY)])
def test_dates(name, args, kw):
    res = outcomes(lambda m: getattr(m, name)(*(nf.asarray(a) if m is nf and isinstance(a, onp.ndarray)
                                                else a for a in args), **kw))
    if res:
        assert_same(*res)


@pytest.mark.parametrize("device", DEVICES)
def test_dates_on_a_device_and_out(device):
    d = nf.asarray(DAYS, device=device)
    out = nf.zeros(5, dtype=bool, device=device)
    assert nf.is_busday(d, out=out) is out
    assert_same(out.to_device("cpu"), onp.is_busday(DAYS))
    got = nf.busday_count(d, d[::-1])
    assert got.device == nf.Device(device)
    assert_same(got.to_device("cpu"), onp.busday_count(DAYS, DAYS[::-1]))


# -- Python functions per element -----------------------------------------------------------
def _f(x, y=1.0):
    return x * y if x > 0 else -x


VECTORIZE = [
    ({}, (onp.arange(-2.0, 3.0),), {}),
    ({"otypes": [onp.float32]}, (onp.arange(-2, 3), onp.array([[2], [3]])), {}),
    ({"excluded": {"y"}}, (onp.arange(-2, 3),), {"y": 2}),
    ({"signature": "(n)->()"}, (onp.arange(6.0).reshape(2, 3),), {}),
    ({}, (onp.arange(3), onp.arange(2)), {}),  # shapes do not broadcast: ValueError
]


@pytest.mark.parametrize("init,args,kw", VECTORIZE, ids=[str(i) for i, _, _ in VECTORIZE])
def test_vectorize(init, args, kw):
    fn = (lambda x: x.sum()) if "signature" in init else _f
    res = outcomes(lambda m: m.vectorize(fn, **init)(*(nf.asarray(a) if m is nf else a for a in args), **kw))
    if res:
        assert_same(*res)


@pytest.mark.parametrize("device", DEVICES)
def test_vectorize_results_stay_on_the_device(device):
    @nf.vectorize(otypes=[float])
    def g(x):
        return x + 1
    got = g(nf.arange(3, device=device))
    assert isinstance(got, nf.ndarray) and got.device == nf.Device(device)
    assert_same(got.to_device("cpu"), onp.arange(1.0, 4.0))
    two = nf.vectorize(lambda x: (x, -x))(nf.arange(3, device=device))
    assert type(two) is tuple and all(t.device == nf.Device(device) for t in two)


def test_vectorize_and_frompyfunc_refuse_arrays_being_differentiated():
    double = nf.vectorize(lambda x: x * 2.0)
    ufunc = nf.frompyfunc(lambda x: x * 2.0, 1, 1)
    for f in (double, ufunc, ufunc.accumulate):
        with pytest.raises(nf.autodiff.core.AutodiffError, match="no derivative"):
            nf.grad(lambda x: nf.sum(f(x)))(nf.asarray([1.0, 2.0]))
    assert_same(double(nf.asarray([1.0, 2.0])), onp.array([2.0, 4.0]))  # untracked: fine


def test_frompyfunc():
    add = nf.frompyfunc(lambda a, b: a + b, 2, 1)
    ref = onp.frompyfunc(lambda a, b: a + b, 2, 1)
    x = onp.arange(4)
    assert_same(add(nf.asarray(x), 1), ref(x, 1))
    assert_same(add.reduce(nf.asarray(x)), ref.reduce(x))
    assert_same(add.accumulate(nf.asarray(x)), ref.accumulate(x))
    assert_same(add.outer(nf.asarray(x[:2]), nf.asarray(x)), ref.outer(x[:2], x))
    assert (add.nin, add.nout) == (2, 1)
    divmod_ = nf.frompyfunc(divmod, 2, 2)
    assert_same(divmod_(nf.asarray(x, device="sim"), 3)[1].to_device("cpu"),
                onp.frompyfunc(divmod, 2, 2)(x, 3)[1])
    assert divmod_(nf.asarray(x, device="sim"), 3)[0].device == nf.Device("sim")
    with pytest.raises(TypeError, match="frompyfunc"):
        add(nf.asarray(x), 1, out=nf.asarray(x))


def test_info_describes_an_npflow_array():
    got, want = io.StringIO(), io.StringIO()
    nf.info(nf.zeros((2, 3), dtype=onp.float32, order="F"), output=got)
    onp.info(onp.zeros((2, 3), dtype=onp.float32, order="F"), output=want)
    strip = lambda s: [ln for ln in s.getvalue().splitlines() if "pointer" not in ln]  # noqa: E731
    assert strip(got) == strip(want) and "shape:  (2, 3)" in got.getvalue()


# -- np.emath --------------------------------------------------------------------------------
EMATH = ["sqrt", "log", "log2", "log10", "arccos", "arcsin", "arctanh"]


@pytest.mark.parametrize("dtype", NUMERIC + [onp.bool_], ids=ids(NUMERIC + [onp.bool_]))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", EMATH)
def test_emath_unary(name, shape, dtype):
    same_outcome(getattr(nf.emath, name), getattr(onp.emath, name), make(shape, dtype), rtol=1e-6)
    same_outcome(getattr(nf.emath, name), getattr(onp.emath, name), make(shape, dtype, low=0.1, high=0.9),
                 rtol=1e-6)


@pytest.mark.parametrize("name", ["logn", "power"])
@pytest.mark.parametrize("dtypes", [(onp.float64, onp.float64), (onp.int32, onp.int8),
                                    (onp.float32, onp.int64), (onp.complex64, onp.float32),
                                    (onp.uint8, onp.int16)], ids=str)
def test_emath_binary(name, dtypes):
    a, b = make((2, 3), dtypes[0], seed=1), make((3,), dtypes[1], seed=2)
    same_outcome(getattr(nf.emath, name), getattr(onp.emath, name), a, b, rtol=1e-6)


@pytest.mark.parametrize("x", [-1, 4, -4.0, 2.5, 1j, -0.0], ids=repr)
def test_emath_scalars(x):
    for name in EMATH:
        assert_same(getattr(nf.emath, name)(x), onp.asarray(getattr(onp.emath, name)(x)), rtol=1e-12)


@given(hyp_arrays(onp.float64, max_dims=2))
def test_emath_hypothesis(x):
    for name in ("sqrt", "log10", "arcsin"):
        same_outcome(getattr(nf.emath, name), getattr(onp.emath, name), x, rtol=1e-12)


def test_emath_on_a_device():
    x = nf.asarray([-4.0, 4.0], device="sim")
    got = nf.emath.sqrt(x)
    assert got.device == nf.Device("sim")
    assert_same(got.to_device("cpu"), onp.emath.sqrt(onp.array([-4.0, 4.0])))
