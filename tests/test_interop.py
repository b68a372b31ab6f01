"""Interoperability with NumPy: ``numpy.asarray``, NumPy's ufuncs and functions on
npflow arrays (``__array_ufunc__``, ``__array_function__``), DLPack, the Array API
namespace, and NumPy arrays mixed into operators."""
import operator

import numpy as onp
import pytest

import npflow as nf
from support import ALL_DTYPES, assert_same, ids, make, outcomes


def arr(shape=(2, 3), dtype=onp.float64, seed=0):
    xn = onp.asarray(make(shape, dtype, seed))
    return nf.asarray(xn.copy()), xn


# -- the buffer protocol of NumPy: __array__ ---------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_numpy_asarray_shares_memory_on_cpu(dtype):
    x, xn = arr((2, 3), dtype)
    h = onp.asarray(x)
    assert type(h) is onp.ndarray and h.dtype == xn.dtype
    onp.testing.assert_array_equal(h, xn)
    assert onp.shares_memory(h, onp.asarray(x)) and onp.shares_memory(onp.asarray(x, copy=False), h)
    h[0, 0] = h[1, 1]
    assert x[0, 0] == xn[1, 1]  # a write through NumPy's view is seen by npflow
    assert not onp.shares_memory(onp.array(x), h)          # numpy.array copies, as for NumPy input
    assert not onp.shares_memory(onp.asarray(x, copy=True), h)
    assert onp.asarray(x, dtype=onp.complex128).dtype == onp.complex128
    with pytest.raises(ValueError):
        onp.asarray(x, dtype=onp.int8 if dtype != onp.int8 else onp.int16, copy=False)


def test_numpy_asarray_of_views_and_0d():
    x, xn = arr((4, 5))
    v = x[1:, ::2]
    assert onp.shares_memory(onp.asarray(v), onp.asarray(x))
    assert onp.asarray(v).strides == xn[1:, ::2].strides
    assert onp.asarray(x[1, 2]).shape == () and float(onp.asarray(x[1, 2])) == xn[1, 2]
    onp.testing.assert_array_equal(onp.asarray(x.flat), xn.ravel())


PURE = nf._core.dispatch._fastpath is None  # (no buffer export: Python 3.11's classes have none)
# NumPy arrays over an npflow array's memory: through its buffer (C build), x.data, __array__
ALIASES = [("asarray", lambda x: onp.asarray(x)), ("asarray-view", lambda x: onp.asarray(x)[1:]),
           ("data", lambda x: onp.asarray(x.data)), ("data-view", lambda x: onp.asarray(x.data)[::2])]
if not PURE:
    ALIASES += [("memoryview", lambda x: onp.asarray(memoryview(x))),
                ("frombuffer", lambda x: onp.frombuffer(x)), ("ndarray-buffer", lambda x: onp.ndarray(2, buffer=x))]


@pytest.mark.parametrize("label,alias", ALIASES, ids=[a[0] for a in ALIASES])
def test_writes_through_numpy_aliases_are_counted(label, alias):
    """An npflow write into a NumPy array over x's memory (out=) is a write into x: dispatch.root_of
    follows NumPy's bases and exported buffers to x's memory, so a tape that saved x raises
    instead of differentiating the overwritten value."""
    x = nf.arange(4.0)
    h = alias(x)
    assert onp.shares_memory(h, x.data)
    with nf.GradientTape() as tape:
        tape.watch(x)
        y = nf.sin(x)
        nf.multiply(h, 2.0, out=h)
    with pytest.raises(nf.AutodiffError, match="written in place"):
        tape.gradient(nf.sum(y), x)


# -- NumPy's ufuncs on npflow arrays ---------------------------------------------------------

UFUNC_CALLS = [
    ("sin", lambda m, x, y: m.sin(x)), ("add", lambda m, x, y: m.add(x, y)),
    ("add-scalar-left", lambda m, x, y: m.add(2, x)), ("mixed-numpy", lambda m, x, y: m.multiply(onp.ones(3), x)),
    ("divmod", lambda m, x, y: m.divmod(x, 2.0)), ("modf", lambda m, x, y: m.modf(x)),
    ("dtype-kw", lambda m, x, y: m.add(x, y, dtype=onp.float32)),
    ("reduce", lambda m, x, y: m.add.reduce(x)),
    ("reduce-axis", lambda m, x, y: m.maximum.reduce(x, axis=1, keepdims=True)),
    ("reduce-none", lambda m, x, y: m.multiply.reduce(x, axis=None)),
    ("accumulate", lambda m, x, y: m.add.accumulate(x, axis=1)),
    ("outer", lambda m, x, y: m.multiply.outer(x[0], y)),
    ("reduceat", lambda m, x, y: m.add.reduceat(x, [0, 2], axis=1)),
    ("compare", lambda m, x, y: m.less(x, y)), ("bad-shape", lambda m, x, y: m.add(x, onp.ones(4))),
    ("bad-dtype", lambda m, x, y: m.bitwise_and(x, y)),
]


@pytest.mark.parametrize("label,call", UFUNC_CALLS, ids=[c[0] for c in UFUNC_CALLS])
def test_numpy_ufuncs_return_npflow_arrays(label, call):
    x, xn = arr((2, 3))
    y, yn = arr((3,), seed=1)
    res = outcomes(lambda m: call(onp, x, y) if m is nf else call(onp, xn, yn))  # NumPy's ufunc on both
    if res is None:
        return
    got, expected = res          # got: NumPy's ufunc, npflow operands
    assert_same(got, expected)
    assert_same(call(nf, x, y), expected)


def test_numpy_ufunc_with_npflow_out():
    x, xn = arr((2, 3))
    o = nf.asarray(onp.zeros((2, 3)))
    r = onp.add(x, 1, out=o)
    assert r is o
    assert_same(o, xn + 1)
    r = onp.multiply(x, 2, out=(o,))
    assert r is o
    assert_same(o, xn * 2)
    q, rem = nf.asarray(onp.zeros((2, 3))), nf.asarray(onp.zeros((2, 3)))
    r = onp.divmod(x, 2, out=(q, rem))
    assert r[0] is q and r[1] is rem
    assert_same(rem, onp.divmod(xn, 2)[1])
    r = onp.divmod(x, 2, out=(None, rem))  # NumPy allocates the outputs given as None
    assert isinstance(r[0], nf.ndarray) and r[1] is rem
    assert_same(r[0], onp.divmod(xn, 2)[0])
    s = nf.asarray(onp.zeros(3))
    assert onp.add.reduce(x, axis=0, out=s) is s
    assert_same(s, xn.sum(axis=0))
    a = nf.asarray(onp.zeros(4))
    onp.add.at(a, [0, 0, 3], 1.5)
    assert_same(a, onp.array([3.0, 0, 0, 1.5]))


NUMPY_OUT_CALLS = [  # (label, call(p, x) writing into the NumPy array p with npflow operand x)
    ("iadd", lambda p, x: p.__iadd__(x)), ("imul", lambda p, x: p.__imul__(x)),
    ("out-kw", lambda p, x: onp.subtract(x, 1.0, out=p)), ("out-tuple", lambda p, x: onp.sin(x, out=(p,))),
    ("reduce", lambda p, x: onp.add.reduce(x.reshape(1, 3), axis=0, out=p)),
    ("at", lambda p, x: (onp.add.at(p, [0, 0, 2], x[:3]), p)[1]),
]


@pytest.mark.parametrize("device", ["cpu", "sim"])
@pytest.mark.parametrize("label,call", NUMPY_OUT_CALLS, ids=[c[0] for c in NUMPY_OUT_CALLS])
def test_numpy_out_arrays_with_npflow_operands(label, call, device):
    """``p += x`` with a NumPy p, NumPy's ufuncs with a NumPy out=: NumPy's values written into p,
    which is returned and stays NumPy's (SciPy's Newton-CG does ``p += x``); with an operand being
    differentiated the write raises (the derivative would be lost in NumPy's memory)."""
    xn = onp.array([0.5, -1.0, 2.0])
    p, pn = onp.ones(3), onp.ones(3)
    r = call(p, nf.asarray(xn, device=device))
    assert r is p and type(p) is onp.ndarray
    call(pn, xn)
    onp.testing.assert_array_equal(p, pn)
    if label == "reduce":
        return  # (NumPy 2.4 keeps the operands of a reduce override that raises: not exercised)

    def f(x):
        call(onp.ones(3), x)
        return nf.sum(x)
    with pytest.raises((nf.AutodiffError, TypeError), match="differentiated"):
        nf.grad(f)(nf.asarray(xn, device=device))


def test_numpy_ufunc_on_sim_stays_on_sim():
    x = nf.asarray(onp.arange(3.0), device="sim")
    for r in (onp.sin(x), onp.add(x, x), onp.add.reduce(x), onp.add.accumulate(x)):
        assert isinstance(r, nf.ndarray) and r.device == "sim"


# -- NumPy's functions on npflow arrays (__array_function__) ------------------------------

FUNCTION_CALLS = [
    ("mean", lambda m, x: m.mean(x)), ("mean-axis", lambda m, x: m.mean(x, axis=0)),
    ("sum", lambda m, x: m.sum(x, axis=1)), ("concatenate", lambda m, x: m.concatenate([x, x])),
    ("concatenate-mixed", lambda m, x: m.concatenate([onp.zeros((1, 3)), x])),
    ("where", lambda m, x: m.where(x > 0, x, 0.0)), ("reshape", lambda m, x: m.reshape(x, (3, 2))),
    ("transpose", lambda m, x: m.transpose(x)), ("sort", lambda m, x: m.sort(x, axis=0)),
    ("result_type", lambda m, x: m.result_type(x, 1)), ("can_cast", lambda m, x: m.can_cast(x, onp.float32)),
    ("bad-axis", lambda m, x: m.mean(x, axis=3)),
]


@pytest.mark.parametrize("label,call", FUNCTION_CALLS, ids=[c[0] for c in FUNCTION_CALLS])
def test_numpy_functions_on_cpu_arrays_give_numpy_s_results(label, call):
    """NumPy's function on plain CPU npflow arrays is NumPy's own call on their memory: NumPy's
    result, of NumPy's types (what NumPy code and the compiled code SciPy hands it to expect)."""
    x, xn = arr((2, 3))
    res = outcomes(lambda m: call(onp, x if m is nf else xn))
    if res is None:
        return
    got, expected = res
    assert type(got) is type(expected)
    if isinstance(expected, onp.ndarray):
        onp.testing.assert_array_equal(got, expected, strict=True)
        assert not expected.base is not None or onp.shares_memory(got, x.data)  # views stay views
    else:
        assert got == expected


@pytest.mark.parametrize("label,call", FUNCTION_CALLS[:-3], ids=[c[0] for c in FUNCTION_CALLS[:-3]])
@pytest.mark.parametrize("kind", ["sim", "traced"])
def test_numpy_functions_run_npflow_s_where_numpy_would_lose_something(label, call, kind):
    """On another device, or with an argument an active trace tracks: npflow's function (npflow
    arrays on the device; the trace records it)."""
    x, xn = arr((2, 3))
    expected = call(onp, xn)
    if kind == "sim":
        got = call(onp, x.to_device("sim"))
        assert got.device == nf.Device("sim")
        got = got.to_device("cpu")
    else:
        with nf.GradientTape() as tape:
            tape.watch(x)
            got = call(onp, x)
            total = nf.sum(got)
        assert tape.gradient(total, x) is not None
    assert_same(got, expected)


OUT_CALLS = [("mean", lambda m, x, o: m.mean(x, axis=0, out=o)), ("sum", lambda m, x, o: m.sum(x, 0, None, o)),
             ("dot", lambda m, x, o: m.dot(x, x[0], o)), ("clip", lambda m, x, o: m.clip(x[1], 0, 1, o))]


@pytest.mark.parametrize("label,call", OUT_CALLS, ids=[c[0] for c in OUT_CALLS])
def test_numpy_functions_with_an_npflow_out_run_npflow_s(label, call):
    """An npflow out= (keyword or positional): npflow's function writes it (and counts the write)."""
    x, xn = arr((2, 3))
    expected = call(onp, xn, None)
    o = nf.zeros(expected.shape)
    assert call(onp, x, o) is o
    assert_same(o, expected)


@pytest.mark.parametrize("name,args", [("copyto", (0.5,)), ("place", ([True, False, True], [9.0])),
                                       ("put", ([0, 2], [7.0])), ("putmask", ([True, False, False], 3.0)),
                                       ("fill_diagonal", (4.0,))])
def test_numpy_functions_writing_into_npflow_arrays_are_counted(name, args):
    """NumPy's in-place functions on an npflow target run npflow's (the write is counted: a tape
    that saved the target raises)."""
    x = nf.arange(3.0) if name != "fill_diagonal" else nf.ones((2, 2))
    xn = onp.asarray(x).copy()
    getattr(onp, name)(xn, *args)
    with nf.GradientTape() as tape:
        tape.watch(x)
        y = nf.sin(x)
    getattr(onp, name)(x, *args)
    assert_same(x, xn)
    with pytest.raises(nf.AutodiffError, match="written in place|overwritten"):
        tape.gradient(nf.sum(y), x)


@pytest.mark.parametrize("module, name, args", [("", "mean", ()), ("", "histogram2d", (0,)),
                                                 ("linalg", "norm", ()), ("fft", "fft", ())])
def test_numpy_functions_npflow_lacks_raise_typeerror(monkeypatch, module, name, args):
    """A NumPy function npflow must answer (arrays on another device) where npflow has no
    counterpart: TypeError."""
    x = arr()[0].to_device("sim")
    monkeypatch.delattr(getattr(nf, module) if module else nf, name)
    f = getattr(getattr(onp, module) if module else onp, name)
    with pytest.raises(TypeError, match=name):
        f(x, *(x[0] for _ in args))


def test_array_function_defers_to_unknown_array_types():
    class Other:
        def __array_function__(self, func, types, args, kwargs):
            return "other"
    x, _ = arr()
    assert onp.concatenate([x, Other()]) == "other"


# -- DLPack -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3)], ids=str)
def test_dlpack_round_trip_without_copy(dtype, shape):
    xn = onp.asarray(make(shape, dtype))
    y = nf.from_dlpack(xn)                       # NumPy -> npflow
    assert isinstance(y, nf.ndarray) and y.device == "cpu"
    assert_same(y, xn)
    z = onp.from_dlpack(y)                       # npflow -> NumPy
    assert type(z) is onp.ndarray
    onp.testing.assert_array_equal(z, xn)
    if xn.size:
        assert onp.shares_memory(onp.asarray(y), xn) and onp.shares_memory(z, xn)
    w = nf.from_dlpack(y)                        # npflow -> npflow
    assert_same(w, xn)
    assert y.__dlpack_device__() == xn.__dlpack_device__() == (1, 0)


def test_dlpack_writes_are_shared():
    xn = onp.arange(6.0).reshape(2, 3)
    y = nf.from_dlpack(xn)
    y[0, 1] = -5
    assert xn[0, 1] == -5
    z = onp.from_dlpack(y[1])
    z[2] = 42
    assert float(y[1, 2]) == 42 and xn[1, 2] == 42


def test_dlpack_copy_and_device_options():
    xn = onp.arange(4.0)
    y = nf.from_dlpack(xn, copy=True)
    assert not onp.shares_memory(onp.asarray(y), xn)
    assert_same(y, xn)
    assert nf.from_dlpack(xn, device="sim").device == "sim"
    z = onp.from_dlpack(nf.asarray(xn), copy=True)
    assert not onp.shares_memory(z, xn)


# -- the Array API namespace ----------------------------------------------------------------

def test_array_namespace():
    x, _ = arr()
    assert x.__array_namespace__() is nf
    for v in nf.SUPPORTED_API_VERSIONS:
        assert x.__array_namespace__(api_version=v) is nf
    with pytest.raises(ValueError, match="api_version"):
        x.__array_namespace__(api_version="2021.01")
    xp = x.to_device("sim").__array_namespace__()  # npflow, creating on sim by default (test_array_api)
    assert xp.__name__ == "npflow" and xp.add is nf.add and xp.zeros(2).device == "sim"


# -- NumPy arrays and scalars in operators ----------------------------------------------------

OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.lt, operator.eq,
       operator.matmul, operator.floordiv, operator.mod]


@pytest.mark.parametrize("op", OPS, ids=ids(OPS))
def test_numpy_operands_in_operators(op):
    x, xn = arr((3, 3), seed=1)
    other = onp.asarray(make((3, 3), onp.float32, seed=2))
    pairs = [(x, other, xn, other), (other, x, other, xn), (x, other.tolist(), xn, other.tolist())]
    if op is not operator.matmul:
        pairs += [(x, onp.float32(2), xn, onp.float32(2)), (onp.float64(3), x, onp.float64(3), xn)]
    for left, right, left_np, right_np in pairs:
        exp = op(left_np, right_np)
        got = op(left, right)
        assert isinstance(got, nf.ndarray), (type(left), type(right))
        assert_same(got, exp)


def test_numpy_scalars_behave_like_python_scalars_on_the_right():
    x = nf.asarray(onp.arange(3, dtype=onp.int8))
    assert (x + onp.int64(1)).dtype == (onp.arange(3, dtype=onp.int8) + onp.int64(1)).dtype == onp.int64
    assert (x + 1).dtype == onp.int8
