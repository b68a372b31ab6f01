"""The array object against NumPy's: attributes, methods, operators, the number
protocol of 0-d arrays, printing, indexing (views and copies), pickling, copying."""
import copy
import operator
import pickle

import numpy as onp
import pytest

import npflow as nf
from support import ALL_DTYPES, COMPLEX, FLOATS, SHAPES, assert_same, ids, same_outcome, outcomes
from support import make as _make


def make(*args, **kw):
    return onp.asarray(_make(*args, **kw))  # support.make gives NumPy scalars for some 0-d cases


def shares(a, b):
    return onp.shares_memory(onp.asarray(a), onp.asarray(b))


# -- attributes ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape", SHAPES + [(2, 3, 4)], ids=str)
def test_attributes(dtype, shape):
    xn = make(shape, dtype)
    x = nf.asarray(xn)
    for attr in ("shape", "dtype", "ndim", "size", "itemsize", "nbytes", "strides"):
        assert getattr(x, attr) == getattr(xn, attr), attr
    assert type(x.shape) is tuple and type(x.ndim) is int and type(x.size) is int
    assert x.device == nf.Device("cpu") and x.device == "cpu"
    assert_same(x.T, xn.T)
    assert_same(x.real, xn.real)
    assert_same(x.imag, xn.imag)
    assert shares(x.real, x) == onp.shares_memory(xn.real, xn)
    if xn.ndim >= 2:
        assert_same(x.mT, xn.mT)
        assert shares(x.mT, x) == onp.shares_memory(xn.mT, xn)
        assert shares(x.T, x) == onp.shares_memory(xn.T, xn)
    else:
        with pytest.raises(ValueError):
            xn.mT
        with pytest.raises(ValueError, match="mT"):
            x.mT


def test_transposed_strides_and_flags():
    xn = make((3, 4), onp.float32)
    x = nf.asarray(xn)
    assert x.T.strides == xn.T.strides
    assert x.T.flags.f_contiguous and not x.T.flags.c_contiguous
    assert (x[1:].base is None) == (xn[1:].base is None) and x.copy().base is None


def test_constructor():
    x = nf.ndarray((2, 3), dtype=onp.int16)
    assert isinstance(x, nf.ndarray) and x.shape == (2, 3) and x.dtype == onp.int16
    assert nf.ndarray(4).dtype == onp.float64


@pytest.mark.parametrize("dtype", FLOATS + COMPLEX + [onp.int32], ids=ids(FLOATS + COMPLEX + [onp.int32]))
def test_real_imag_setters(dtype):
    xn = make((2, 3), dtype)
    x = nf.asarray(xn.copy())
    xn.real = 5
    x.real = 5
    assert_same(x, xn)
    xn.real = onp.arange(3)
    x.real = nf.asarray(onp.arange(3))
    assert_same(x, xn)
    if onp.dtype(dtype).kind == "c":
        xn.imag = -2
        x.imag = -2
        assert_same(x, xn)
    else:
        with pytest.raises(TypeError):
            xn.imag = 1
        with pytest.raises(TypeError):
            x.imag = 1
        assert_same(x, xn)


FLAT_KEYS = [3, -1, slice(1, 4), slice(None, None, -2), [0, 5, 2], Ellipsis, onp.array([1, 1, 4])]


@pytest.mark.parametrize("key", FLAT_KEYS, ids=repr)
def test_flat_get_set(key):
    xn = make((3, 4), onp.int32).T  # not contiguous: flat follows the logical (C) order
    x = nf.asarray(xn)
    assert_same(x.flat[key], xn.flat[key])
    for value in (99, [7, 8], onp.array([1.5, 2.5, 3.5])):  # values repeat cyclically
        def put(a):
            a.flat[key] = nf.asarray(value) if isinstance(a, nf.ndarray) and type(value) is onp.ndarray else value
            return a
        same_outcome(put, put, xn.copy())


def test_flat_whole_and_iterate():
    xn = make((2, 3), onp.float64)
    x = nf.asarray(xn.copy())
    assert len(x.flat) == 6 and x.flat.base is x
    got = list(x.flat)
    assert all(isinstance(v, nf.ndarray) and v.ndim == 0 for v in got)
    assert [float(v) for v in got] == list(xn.flat)
    assert_same(nf.asarray(onp.asarray(x.flat)), xn.ravel())
    assert_same(x.flat.copy(), xn.flat.copy())
    xn.flat = [1, 2, 3, 4]
    x.flat = [1, 2, 3, 4]
    assert_same(x, xn)
    with pytest.raises(IndexError):
        xn.flat[6]
    with pytest.raises(IndexError):
        x.flat[6]


# -- methods -----------------------------------------------------------------

# (label, method call on the array): the same call runs on NumPy's array and on npflow's
METHODS = [
    ("astype-f32", lambda a: a.astype(onp.float32)),
    ("astype-i8-nocopy", lambda a: a.astype(onp.int8, copy=False)),
    ("astype-same-nocopy", lambda a: a.astype(a.dtype, copy=False)),
    ("astype-safe", lambda a: a.astype(onp.bool_, casting="safe")),
    ("copy", lambda a: a.copy()),
    ("copy-F", lambda a: a.copy(order="F")),
    ("item", lambda a: a.item(1)),
    ("item-2d", lambda a: a.item(1, 2)),
    ("item-size>1", lambda a: a.item()),
    ("tolist", lambda a: a.tolist()),
    ("fill", lambda a: (a.fill(3), a)[1]),
    ("reshape-tuple", lambda a: a.reshape((3, 2))),
    ("reshape-args", lambda a: a.reshape(3, -1)),
    ("reshape-F", lambda a: a.reshape(6, order="F")),
    ("reshape-bad", lambda a: a.reshape(4, 2)),
    ("ravel", lambda a: a.ravel()),
    ("ravel-F", lambda a: a.ravel("F")),
    ("flatten", lambda a: a.flatten()),
    ("flatten-F", lambda a: a.flatten("F")),
    ("transpose", lambda a: a.transpose()),
    ("transpose-tuple", lambda a: a.transpose((1, 0))),
    ("transpose-args", lambda a: a.transpose(1, 0)),
    ("swapaxes", lambda a: a.swapaxes(0, 1)),
    ("squeeze", lambda a: a[None, :, :1].squeeze()),
    ("squeeze-axis", lambda a: a[None].squeeze(0)),
    ("squeeze-bad", lambda a: a.squeeze(0)),
    ("sum", lambda a: a.sum()),
    ("sum-axis", lambda a: a.sum(axis=1, keepdims=True)),
    ("sum-dtype", lambda a: a.sum(0, dtype=onp.float64)),
    ("sum-badaxis", lambda a: a.sum(axis=2)),
    ("prod", lambda a: a.prod(axis=0)),
    ("mean", lambda a: a.mean()),
    ("mean-axis", lambda a: a.mean(axis=0)),
    ("std", lambda a: a.std(axis=1)),
    ("var-ddof", lambda a: a.var(ddof=1)),
    ("min", lambda a: a.min()),
    ("max-axis", lambda a: a.max(axis=1)),
    ("argmin", lambda a: a.argmin()),
    ("argmax-axis", lambda a: a.argmax(axis=0)),
    ("argmax-keepdims", lambda a: a.argmax(axis=1, keepdims=True)),
    ("cumsum", lambda a: a.cumsum()),
    ("cumprod-axis", lambda a: a.cumprod(axis=1)),
    ("all", lambda a: a.all()),
    ("any-axis", lambda a: a.any(axis=0)),
    ("clip", lambda a: a.clip(1, 5)),
    ("clip-max", lambda a: a.clip(max=2)),
    ("round", lambda a: a.round()),
    ("round-1", lambda a: a.round(1)),
    ("dot", lambda a: a.dot(a.T)),
    ("sort", lambda a: (a.sort(), a)[1]),
    ("sort-axis0", lambda a: (a.sort(axis=0), a)[1]),
    ("argsort", lambda a: a.argsort(kind="stable")),
    ("nonzero", lambda a: a.nonzero()),
    ("conj", lambda a: a.conj()),
    ("conjugate", lambda a: a.conjugate()),
    ("diagonal", lambda a: a.diagonal()),
    ("diagonal-offset", lambda a: a.diagonal(1)),
    ("trace", lambda a: a.trace()),
    ("repeat", lambda a: a.repeat(2)),
    ("repeat-axis", lambda a: a.repeat([1, 2], axis=0)),
    ("take", lambda a: a.take([0, 4, -1])),
    ("take-axis", lambda a: a.take([2, 0], axis=1)),
    ("take-oob", lambda a: a.take([9])),
    ("searchsorted", lambda a: a.ravel().searchsorted(a[0, 1])),
    ("view", lambda a: a.view()),
    ("view-u8", lambda a: a.view(onp.uint8)),
    ("divmod", lambda a: divmod(a, 3)),
    ("rdivmod", lambda a: divmod(7, a)),
    ("contains", lambda a: a[0, 1] in a),
    ("not-contains", lambda a: 1000 in a),
    ("len", lambda a: len(a)),
]
METHOD_DTYPES = [onp.bool_, onp.int8, onp.uint16, onp.int64, onp.float32, onp.float64, onp.complex128]
# Methods NumPy lacks for some dtypes raise there and must raise the same here.
FLOAT_TOL = {"mean", "mean-axis", "std", "var-ddof"}


@pytest.mark.parametrize("dtype", METHOD_DTYPES, ids=ids(METHOD_DTYPES))
@pytest.mark.parametrize("label,call", METHODS, ids=[m[0] for m in METHODS])
def test_methods(label, call, dtype):
    tol = 1e-6 if label in FLOAT_TOL and onp.dtype(dtype) in (onp.float32, onp.complex64) else 0
    same_outcome(call, call, make((2, 3), dtype, low=1), rtol=tol)


METHOD_NAMES = sorted({m for m in vars(nf.ndarray) if not m.startswith("_") and callable(getattr(nf.ndarray, m))
                       and hasattr(onp.ndarray, m)})


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_method_signatures_match_numpy(name):
    """Parameter names, kinds and defaults as NumPy's methods (where NumPy takes ``**kwargs``,
    the parameters before it); npflow may add keyword-only parameters at the end (``device=``)."""
    import inspect
    try:
        theirs = list(inspect.signature(getattr(onp.ndarray, name)).parameters.values())[1:]
    except ValueError:
        pytest.skip(f"NumPy gives no signature for ndarray.{name}")
    ours = list(inspect.signature(getattr(nf.ndarray, name)).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in theirs) and name == "view":
        return  # view(*args, **kwargs) in NumPy: ``view([dtype][, type])``; checked by behaviour
    strip = [p for p in theirs if p.kind is not p.VAR_KEYWORD]
    ours_cmp = ours[:len(strip)]
    assert [(p.name, p.kind, p.default) for p in ours_cmp] == [(p.name, p.kind, p.default) for p in strip]
    extra = ours[len(strip):]
    if len(strip) == len(theirs):  # NumPy takes no **kwargs: only keyword-only additions
        assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in extra), extra


def test_method_out_arguments():
    xn = make((2, 3), onp.float64)
    x = nf.asarray(xn)
    for name, args, shape in [("sum", (0,), (3,)), ("max", (1,), (2,)), ("cumsum", (1,), (2, 3)),
                              ("argmax", (0,), (3,)), ("clip", (0, 1), (2, 3)), ("round", (1,), (2, 3)),
                              ("mean", (None,), ())]:
        dt = onp.intp if name == "argmax" else onp.float64
        on, o = onp.zeros(shape, dt), nf.asarray(onp.zeros(shape, dt))
        assert getattr(xn, name)(*args, out=on) is on
        assert getattr(x, name)(*args, out=o) is o, name
        assert_same(o, on)


def test_method_views_and_copies():
    xn = make((2, 3), onp.float64)
    x = nf.asarray(xn)
    for call in (lambda a: a.reshape(3, 2), lambda a: a.ravel(), lambda a: a.transpose(),
                 lambda a: a.swapaxes(0, 1), lambda a: a.view(), lambda a: a.diagonal(),
                 lambda a: a.flatten(), lambda a: a.copy(), lambda a: a.astype(onp.float64),
                 lambda a: a.astype(onp.float64, copy=False), lambda a: a.T.ravel()):
        assert shares(call(x), x) == onp.shares_memory(call(xn), xn)


def test_to_device_method_and_item_on_0d():
    x = nf.asarray(onp.arange(3.0))
    assert x.to_device("cpu") is x
    assert x.to_device(nf.Device("sim")).device == "sim"
    s = x[1]
    assert type(s.item()) is float and s.item() == 1.0
    assert s.tolist() == 1.0


# -- operators -----------------------------------------------------------------

BINOPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
          operator.mod, operator.pow, operator.and_, operator.or_, operator.xor, operator.lshift,
          operator.rshift, operator.eq, operator.ne, operator.lt, operator.le, operator.gt,
          operator.ge]
INPLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv,
           operator.imod, operator.ipow, operator.iand, operator.ior, operator.ixor,
           operator.ilshift, operator.irshift]
OP_DTYPES = [onp.bool_, onp.int8, onp.uint8, onp.int64, onp.float32, onp.float64, onp.complex64]


@pytest.mark.parametrize("dtype", OP_DTYPES, ids=ids(OP_DTYPES))
@pytest.mark.parametrize("op", BINOPS, ids=ids(BINOPS))
def test_binary_operators(op, dtype):
    a, b = make((2, 3), dtype, seed=1, low=1, high=5), make((3,), dtype, seed=2, low=1, high=5)
    same_outcome(op, op, a, b)                 # array op array, broadcasting
    same_outcome(op, op, a, 2)                 # array op Python int (weak)
    same_outcome(op, op, 3, a)                 # reflected
    same_outcome(op, op, a, 1.5)
    same_outcome(op, op, a[0, 0, None].reshape(()), b[1:2].reshape(()))  # 0-d: NumPy gives scalars


@pytest.mark.parametrize("dtype", OP_DTYPES, ids=ids(OP_DTYPES))
@pytest.mark.parametrize("op", INPLACE, ids=ids(INPLACE))
def test_inplace_operators(op, dtype):
    for other in (make((3,), dtype, seed=2, low=1, high=5), 2, 1.5):
        xn = make((2, 3), dtype, seed=1, low=1, high=5)
        x = nf.asarray(xn.copy())
        res = outcomes(lambda m: op(xn, other) if m is onp else
                       op(x, nf.asarray(other) if isinstance(other, onp.ndarray) else other))
        if res is not None:
            got, expected = res
            assert got is x and expected is xn
        assert_same(x, xn)  # also unchanged on failure


@pytest.mark.parametrize("dtype", OP_DTYPES, ids=ids(OP_DTYPES))
@pytest.mark.parametrize("op", [operator.neg, operator.pos, abs, operator.invert],
                         ids=["neg", "pos", "abs", "invert"])
def test_unary_operators(op, dtype):
    same_outcome(op, op, make((2, 3), dtype))


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 2, 3), (3,)),
                                    ((3,), (2, 3)), ((), (3,))], ids=str)
def test_matmul_operator(shapes):
    a, b = make(shapes[0], onp.float64, 1), make(shapes[1], onp.float64, 2)
    same_outcome(operator.matmul, operator.matmul, a, b)
    same_outcome(operator.matmul, operator.matmul, a, b.tolist())


@pytest.mark.parametrize("shapes", [((3, 3), (3, 3)), ((3,), (3, 3)), ((3, 3), (3,)), ((3,), (3,)),
                                    ((2, 3, 3), (3, 3)), ((3, 3), (2, 3, 3)), ((), (3,)), ((2, 3), (3, 3))], ids=str)
def test_inplace_matmul(shapes):
    """``a @= b`` as NumPy: the product may not broadcast into ``a``."""
    a, b = make(shapes[0], onp.float64, 1), make(shapes[1], onp.float64, 2)
    same_outcome(operator.imatmul, operator.imatmul, a, b)


# -- 0-d arrays behave like NumPy scalars ----------------------------------------

def _same_py(f, got_in, exp_in):
    """f(npflow 0-d) and f(NumPy scalar): the same Python value and type, or the same error."""
    res = outcomes(lambda m: f(got_in if m is nf else exp_in))
    if res is None:
        return
    got, expected = res
    if isinstance(expected, onp.generic):
        assert_same(got, expected)
    else:
        assert type(got) is type(expected) and (got == expected or expected != expected), (got, expected)


SCALAR_PROTOCOL = [bool, float, int, complex, operator.index, str, round, lambda s: round(s, 1),
                   lambda s: round(s, -1), lambda s: f"{s}", lambda s: f"{s:.3f}", lambda s: f"{s:>12}",
                   lambda s: f"{s:05d}", lambda s: f"{s:e}", lambda s: f"{s:g}", len,
                   lambda s: list(iter(s)), lambda s: s == s.item(), lambda s: {s.item(): 1}[s]]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("value", [0, 1, 2.5, -3.75, float("nan"), float("inf")], ids=str)
def test_0d_number_protocol(dtype, value):
    xn = onp.array([value]).astype(dtype)
    s_np = xn[0]
    s = nf.asarray(xn)[0]
    assert isinstance(s, nf.ndarray) and s.shape == ()
    for f in SCALAR_PROTOCOL:
        _same_py(f, s, s_np)
    if s_np == s_np:  # the hash of NaN is per object in Python
        assert hash(s) == hash(s_np)


def test_0d_in_conditions_and_containers():
    x = nf.asarray(onp.array([1.0, -2.0, 4.0]))
    total = nf.sum(x)
    if total > 0:
        branch = "positive"
    else:
        branch = "negative"
    assert branch == "positive"
    assert float(total) == 3.0 and int(nf.max(x)) == 4
    assert x[0] in {1.0} and {x[2]: "a"}[4.0] == "a" and hash(x[1]) == hash(-2.0)
    assert range(5)[nf.asarray(onp.array([3]))[0]] == 3  # operator.index
    assert f"{nf.sum(x):.2f} {x[1]:+.1f}" == "3.00 -2.0"
    with pytest.raises(TypeError):
        hash(x)
    with pytest.raises(TypeError):
        iter(x[0])
    with pytest.raises(TypeError):
        len(x[0])
    with pytest.raises(TypeError):
        round(x)


@pytest.mark.parametrize("spec", ["", ".2f", "10"], ids=repr)
def test_format_of_arrays(spec):
    same_outcome(lambda a: format(a, spec), lambda a: format(a, spec), make((2, 2), onp.float64))


# -- printing ----------------------------------------------------------------------

SPECIAL = onp.array([0.0, -0.0, 1.5, onp.nan, onp.inf, -onp.inf, 1e-10, 1e20])
SPECIAL_C = SPECIAL + 1j * onp.nan_to_num(SPECIAL[::-1])
REPR_ARRAYS = [make(s, d) for d in ALL_DTYPES for s in SHAPES] + [
    SPECIAL, SPECIAL.astype(onp.float32), SPECIAL_C, onp.arange(2000),
    onp.arange(24.0).reshape(2, 3, 4) / 7, onp.zeros((0, 3), onp.int8), onp.array(3.5),
    onp.array([1, 2], onp.int32), onp.array([1e-300, 1e300]), onp.array([True]),
]


@pytest.mark.parametrize("xn", REPR_ARRAYS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_repr_and_str(xn):
    x = nf.asarray(xn)
    assert repr(x) == repr(xn)
    assert str(x) == str(xn)
    with onp.printoptions(precision=3, threshold=10, edgeitems=2):
        assert repr(x) == repr(xn) and str(x) == str(xn)
    s = x.to_device("sim")
    assert repr(s) == repr(xn)[:-1] + ", device='sim')"
    assert str(s) == str(xn)


# -- indexing -----------------------------------------------------------------------

M3 = onp.array([True, False, True])
KEYS = [
    1, -1, (1, 2), (1, -1, 2), (2, 3, 4), slice(1, 3), slice(None, None, -1), slice(5, 1, -2),
    (slice(None), 1), (Ellipsis, 1), Ellipsis, (1, Ellipsis), (None, 1), (1, None, Ellipsis, None),
    (), (slice(1, None), None, slice(None, None, 2)), onp.int64(2), onp.intp(-2), True, False,
    [0, 2], [[0, 1], [2, 2]], [2, 0, 0], (onp.array([0, 2]), slice(None), onp.array([1, 3])),
    (slice(None), onp.array([[0], [3]]), onp.array([1, 2])), M3, (M3, 1), (slice(None), [True, False, True, False]),
    onp.array([0, 2]), onp.array([], dtype=onp.intp), (1, [0, 3], slice(None)), [],
    # errors, as NumPy raises them
    3, -4, (0, 0, 5), [0, 3], (1, 2, 3, 4), 1.0, onp.array([1.0]), "a", onp.array([True, False]),
]


def _as_nf_index(key):
    if isinstance(key, tuple):
        return tuple(_as_nf_index(k) for k in key)
    if isinstance(key, onp.ndarray):
        return nf.asarray(key)
    return key


@pytest.mark.parametrize("npflow_index", [False, True], ids=["index-as-given", "index-as-npflow"])
@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem(key, npflow_index):
    xn = make((3, 4, 5), onp.int16)
    x = nf.asarray(xn)
    k = _as_nf_index(key) if npflow_index else key
    res = outcomes(lambda m: xn[key] if m is onp else x[k])
    if res is None:
        return
    got, expected = res
    assert_same(got, expected)
    assert shares(got, x) == onp.shares_memory(expected, xn), "view vs copy differs from NumPy"


@pytest.mark.parametrize("value", [7, -1.5, [1, 2, 3, 4, 5], onp.arange(5), "array", "bad-shape"], ids=str)
@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_setitem(key, value):
    xn = make((3, 4, 5), onp.float32)
    x = nf.asarray(xn.copy())
    if isinstance(value, str) and value == "array":  # a value of the indexed result's shape, where there is one
        try:
            value = onp.arange(onp.size(xn[key]), dtype=onp.float64).reshape(onp.shape(xn[key]))
        except Exception:
            value = 2
    elif isinstance(value, str):
        value = onp.ones((2, 7))
    v = nf.asarray(value) if isinstance(value, onp.ndarray) else value

    def assign(m):
        if m is onp:
            xn[key] = value
        else:
            x[_as_nf_index(key)] = v
    outcomes(assign)
    assert_same(x, xn)  # also nothing half-written on failure


@pytest.mark.parametrize("key", [[0, 0, 2], [1, 1, 1], onp.array([[0, 1], [1, 0]]), M3, slice(None, None, -1),
                                 (slice(None), [0, 0])], ids=repr)
def test_fancy_augmented_assignment_is_buffered(key):
    """``x[idx] += v`` with repeated indices adds once per distinct index (NumPy's semantics)."""
    xn = make((3, 2), onp.int32)
    x = nf.asarray(xn.copy())
    xn[key] += 10
    x[_as_nf_index(key)] += 10
    assert_same(x, xn)
    xn[key] *= onp.int32(3)
    x[_as_nf_index(key)] *= 3
    assert_same(x, xn)


def test_setitem_converts_sequences_to_the_target_dtype():
    for dtype, value in [(onp.int8, [1000, 1]), (onp.uint8, [-1, 2]), (onp.int64, [1.7, 2.2]),
                         (onp.int64, [float("nan"), 1]), (onp.float32, [1j, 2]), (onp.bool_, [2, 0]),
                         (onp.float64, ["3", "4"]), (onp.int8, (5, 6))]:
        xn = onp.zeros(3, dtype)
        same_outcome(lambda a: a.__setitem__(slice(0, 2), value) or a,
                     lambda a: a.__setitem__(slice(0, 2), value) or a, xn)


def test_basic_slices_are_views():
    xn = onp.arange(6.0)
    x = nf.asarray(xn.copy())
    v = x[1:3]
    v[0] = 100
    v += 1
    assert x[1] == 101 and x[2] == 3
    x[2:4] = -1
    assert v[1] == -1
    x[...][0] = 42
    assert float(x[0]) == 42
    col = nf.asarray(onp.zeros((3, 3)))
    col[:, 1][...] = 5
    assert onp.asarray(col)[:, 1].tolist() == [5, 5, 5]
    fancy = x[[0, 1]]
    fancy[0] = 7
    assert float(x[0]) == 42  # advanced indexing copies


def test_index_errors_name_the_op():
    x = nf.asarray(onp.arange(3))
    for key in (5, -4, [0, 3], (0, 0)):
        with pytest.raises(IndexError, match=r"getitem\(\).*int64\[3\] on cpu"):
            x[key]
    with pytest.raises(IndexError, match=r"setitem\(\)"):
        x[[0, 7]] = 1
    assert onp.asarray(x).tolist() == [0, 1, 2]


# -- pickling and copying -------------------------------------------------------------

@pytest.mark.parametrize("device", ["cpu", "sim"])
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_pickle_round_trip(dtype, device):
    for xn in (make((2, 3), dtype), make((), dtype), make((4, 3), dtype)[::2, ::-1]):
        x = nf.asarray(xn).to_device(device)
        y = pickle.loads(pickle.dumps(x))
        assert isinstance(y, nf.ndarray) and y.device == device
        assert_same(y, xn)
    assert pickle.loads(pickle.dumps(nf.Device(device))) is nf.Device(device)


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_copy_module(copier):
    for xn in (make((2, 3), onp.float32), onp.asfortranarray(make((2, 3), onp.int8)), make((), onp.complex64)):
        x = nf.asarray(xn)
        y, yn = copier(x), copier(xn)
        assert_same(y, yn)
        assert y.flags.f_contiguous == yn.flags.f_contiguous
        assert not shares(y, x)
    s = nf.asarray(onp.arange(3)).to_device("sim")
    assert copier(s).device == "sim"
    assert copier([s])[0].device == "sim"
