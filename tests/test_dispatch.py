"""Dispatch, the one door: every computation reports to the recorders; errors keep
NumPy's exception types and name the op and operands; operators defer to objects
that opt out of ufuncs; failed in-place operations write nothing."""
import contextlib
import operator

import numpy as onp
import pytest

import npflow as nf
from npflow._core import dispatch
from support import assert_same, ids


@contextlib.contextmanager
def recording():
    """Record (op name, operands, params, result) of every call through the door."""
    calls = []

    def rec(op, operands, params, result):
        calls.append((op.name, operands, params, result))
    dispatch.recorders.append(rec)
    try:
        yield calls
    finally:
        dispatch.recorders.remove(rec)


def data():
    x = nf.asarray(onp.arange(6.0).reshape(2, 3))
    y = nf.asarray(onp.array([1.0, -2.0, 3.0]))
    i = nf.asarray(onp.arange(6).reshape(2, 3))
    return x, y, i


def _setitem(a, key, v):
    a[key] = v


def _iadd(a, v):
    a += v


def _flat_set(a):
    a.flat[1] = 5


def _augmented(a):
    a[[0, 0, 2]] += 1


# (label, call, op names that must be reported, in order, for the call's work)
ONE_DOOR = [
    ("add", lambda x, y, i: x + y, ["add"]), ("radd", lambda x, y, i: 1 + x, ["add"]),
    ("sub-numpy", lambda x, y, i: x - onp.ones(3), ["subtract"]), ("mul", lambda x, y, i: x * 2.0, ["multiply"]),
    ("truediv", lambda x, y, i: x / y, ["divide"]), ("floordiv", lambda x, y, i: x // y, ["floor_divide"]),
    ("mod", lambda x, y, i: x % 2, ["remainder"]), ("pow", lambda x, y, i: x ** 3, ["power"]),
    ("square", lambda x, y, i: x ** 2, ["square"]), ("rpow", lambda x, y, i: 2 ** x, ["power"]),
    ("matmul", lambda x, y, i: x @ y, ["matmul"]), ("and", lambda x, y, i: i & 3, ["bitwise_and"]),
    ("or", lambda x, y, i: 3 | i, ["bitwise_or"]), ("xor", lambda x, y, i: i ^ i, ["bitwise_xor"]),
    ("lshift", lambda x, y, i: i << 1, ["left_shift"]), ("rshift", lambda x, y, i: i >> 1, ["right_shift"]),
    ("neg", lambda x, y, i: -x, ["negative"]), ("pos", lambda x, y, i: +x, ["positive"]),
    ("abs", lambda x, y, i: abs(y), ["absolute"]), ("invert", lambda x, y, i: ~i, ["invert"]),
    ("eq", lambda x, y, i: x == y, ["equal"]), ("ne", lambda x, y, i: x != 1, ["not_equal"]),
    ("lt", lambda x, y, i: x < y, ["less"]), ("le", lambda x, y, i: x <= y, ["less_equal"]),
    ("gt", lambda x, y, i: x > y, ["greater"]), ("ge", lambda x, y, i: x >= y, ["greater_equal"]),
    ("iadd", lambda x, y, i: _iadd(x, y), ["add"]), ("divmod", lambda x, y, i: divmod(x, 2), ["divmod"]),
    ("ufunc1", lambda x, y, i: nf.sin(x), ["sin"]), ("ufunc2", lambda x, y, i: nf.maximum(x, y), ["maximum"]),
    ("ufunc-kw", lambda x, y, i: nf.add(x, y, dtype=onp.float32), ["add"]),
    ("ufunc-out", lambda x, y, i: nf.exp(x, out=x), ["exp"]),
    ("reduce", lambda x, y, i: nf.add.reduce(x, axis=1), ["add.reduce"]),
    ("accumulate", lambda x, y, i: nf.multiply.accumulate(y), ["multiply.accumulate"]),
    ("outer", lambda x, y, i: nf.add.outer(y, y), ["reshape", "add"]),  # a composite: broadcasting
    ("at", lambda x, y, i: nf.add.at(y, [0, 0], 1.0), ["add.at"]),
    ("numpy-ufunc", lambda x, y, i: onp.cos(x), ["cos"]),
    ("numpy-reduce", lambda x, y, i: onp.add.reduce(x), ["add.reduce"]),
    ("getitem-int", lambda x, y, i: x[1], ["getitem"]), ("getitem-slice", lambda x, y, i: x[1:], ["getitem"]),
    ("getitem-tuple", lambda x, y, i: x[0, 1:], ["getitem"]),
    ("getitem-fancy", lambda x, y, i: x[[0, 1, 1]], ["getitem"]),
    ("getitem-mask", lambda x, y, i: y[y > 0], ["greater", "getitem"]),
    ("getitem-npflow-index", lambda x, y, i: x[:, i[0]], ["getitem", "getitem"]),
    ("setitem", lambda x, y, i: _setitem(x, 0, y), ["setitem"]),
    ("setitem-list", lambda x, y, i: _setitem(x, 0, [1, 2, 3]), ["asarray", "setitem"]),
    ("setitem-augmented", lambda x, y, i: _augmented(y), ["getitem", "add", "setitem"]),
    ("flat-get", lambda x, y, i: x.flat[4], ["flat.getitem"]),
    ("flat-set", lambda x, y, i: _flat_set(x), ["flat.setitem"]),
    ("astype", lambda x, y, i: x.astype(onp.int8), ["astype"]), ("copy", lambda x, y, i: x.copy(), ["copy"]),
    ("view", lambda x, y, i: x.view(), ["view"]), ("fill", lambda x, y, i: y.fill(2.0), ["fill"]),
    ("to_device", lambda x, y, i: x.to_device("sim"), ["to_device"]),
    ("conj", lambda x, y, i: (x + 1j).conj(), ["add", "conjugate"]),
    ("round-0d", lambda x, y, i: round(x[1, 1], 1), ["getitem"]),
    ("asarray", lambda x, y, i: nf.asarray([1, 2]), ["asarray"]),
    ("from_dlpack", lambda x, y, i: nf.from_dlpack(onp.ones(2)), ["from_dlpack"]),
    # methods forwarding to namespace functions: each reports at least one op
    ("sum", lambda x, y, i: x.sum(axis=0), None), ("mean", lambda x, y, i: x.mean(), None),
    ("reshape", lambda x, y, i: x.reshape(3, 2), None), ("T", lambda x, y, i: x.T, None),
    ("ravel", lambda x, y, i: x.ravel(), None), ("max", lambda x, y, i: x.max(), None),
    ("argsort", lambda x, y, i: y.argsort(), None), ("sort", lambda x, y, i: y.sort(), None),
    ("clip", lambda x, y, i: x.clip(0, 1), None), ("cumsum", lambda x, y, i: x.cumsum(), None),
    ("contains", lambda x, y, i: 3.0 in x, None), ("real", lambda x, y, i: (x + 1j).real, None),  # (real x: x)
]


@pytest.mark.parametrize("label,call,expected", ONE_DOOR, ids=[c[0] for c in ONE_DOOR])
def test_every_computation_goes_through_the_door(label, call, expected):
    x, y, i = data()
    with recording() as calls:
        r = call(x, y, i)
    names = [c[0] for c in calls]
    assert names, f"{label}: nothing was reported"
    if expected is not None:
        it = iter(names)
        assert all(e in it for e in expected), f"{label}: reported {names}, expected {expected} among them"
    if isinstance(r, nf.ndarray):  # the returned array is the one that was reported
        assert any(c[3] is r or type(c[3]) is tuple and any(e is r for e in c[3]) for c in calls), \
            f"{label}: the result was not reported"


def test_reported_operands_are_the_callers():
    x, y, _ = data()
    with recording() as calls:
        r = x * y
    [(name, operands, params, result)] = calls
    assert name == "multiply" and operands[0] is x and operands[1] is y and result is r and params == {}


def test_recorders_are_removed_and_fast_path_returns():
    x, y, _ = data()
    n = len(dispatch.recorders)
    with recording():
        pass
    assert len(dispatch.recorders) == n
    assert_same(x + y, onp.arange(6.0).reshape(2, 3) + onp.array([1.0, -2.0, 3.0]))


# -- errors keep NumPy's type and name the op and operands --------------------------------------

ERRORS = [
    ("shape", lambda m, a, b, i: a + b[:2], r"add\(\).*float64\[2, 3\] on cpu.*float64\[2\] on cpu"),
    ("shape-ufunc", lambda m, a, b, i: m.multiply(a, m.ones(4) if m is onp else nf.asarray(onp.ones(4))),
     r"multiply\(\).*float64\[2, 3\] on cpu.*float64\[4\] on cpu"),
    ("bitwise-float", lambda m, a, b, i: a & b, r"bitwise_and\(\).*float64\[2, 3\] on cpu.*float64\[3\] on cpu"),
    ("bitwise-ufunc", lambda m, a, b, i: m.bitwise_and(a, 1), r"bitwise_and\(\).*float64\[2, 3\] on cpu.*int 1"),
    ("invert-float", lambda m, a, b, i: ~a, r"invert\(\).*float64\[2, 3\] on cpu"),
    ("output-cast", lambda m, a, b, i: m.add(i, 1.5, out=i), r"add\(\).*int64\[2, 3\] on cpu.*float 1.5"),
    ("inplace-cast", lambda m, a, b, i: i.__iadd__(1.5), r"add\(\).*Cannot cast.*int64\[2, 3\] on cpu"),
    ("no-loop-shift", lambda m, a, b, i: m.left_shift(a, 2), r"left_shift\(\).*float64"),
    ("matmul-shape", lambda m, a, b, i: a @ a, r"matmul\(\).*float64\[2, 3\] on cpu.*float64\[2, 3\] on cpu"),
    ("index", lambda m, a, b, i: a[5], r"getitem\(\).*out of bounds.*float64\[2, 3\] on cpu"),
    ("index-type", lambda m, a, b, i: a[1.5], r"getitem\(\).*float64\[2, 3\] on cpu"),
    ("setitem-shape", lambda m, a, b, i: a.__setitem__(0, b[:2]), r"setitem\(\).*float64\[2, 3\] on cpu.*float64\[2\]"),
    ("reduce-axis", lambda m, a, b, i: m.add.reduce(a, axis=5), r"add.reduce\(\).*float64\[2, 3\] on cpu"),
    ("astype-casting", lambda m, a, b, i: a.astype(onp.int8, casting="safe"), r"astype\(\).*float64\[2, 3\] on cpu"),
    ("int-negative-power", lambda m, a, b, i: i ** -1, r"power\(\).*int64\[2, 3\] on cpu"),
    ("gufunc-reduce", lambda m, a, b, i: m.matmul.reduce(a), r"matmul.reduce\(\).*float64\[2, 3\] on cpu"),
    ("imatmul-vector", lambda m, a, b, i: a.__imatmul__(b), r"matmul\(\).*float64\[2, 3\] on cpu.*float64\[3\]"),
    # a composite whose inner op met the same operands names them once
    ("composite-inner", lambda m, a, b, i: m.cov(a, a[:, :2]),
     r"^cov\(\): concatenate\(\): [^(]*\(operands: float64\[2, 3\] on cpu, float64\[2, 2\] on cpu\)$"),
]


@pytest.mark.parametrize("label,call,pattern", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_keep_numpy_type_and_name_op_and_operands(label, call, pattern):
    an, bn, i_n = onp.arange(6.0).reshape(2, 3), onp.array([1.0, -2.0, 3.0]), onp.arange(6).reshape(2, 3)
    with pytest.raises(Exception) as np_info:
        call(onp, an, bn, i_n)
    a, b, i = nf.asarray(an.copy()), nf.asarray(bn.copy()), nf.asarray(i_n.copy())
    with pytest.raises(type(np_info.value), match=pattern) as info:
        call(nf, a, b, i)
    assert str(np_info.value).split("(")[0][:20] in str(info.value)  # NumPy's own words are kept
    for attr in ("ufunc", "casting", "from_", "to", "axis", "ndim"):  # and its attributes
        if hasattr(np_info.value, attr):
            assert getattr(info.value, attr) == getattr(np_info.value, attr)


def test_mixed_device_error_names_devices():
    x = nf.asarray(onp.ones(3))
    s = x.to_device("sim")
    for f in (lambda: x + s, lambda: nf.add(x, s), lambda: onp.add(x, s), lambda: nf.add(x, 1, out=s)):
        with pytest.raises(nf.DeviceMismatchError, match=r"add\(\).*float64\[3\] on cpu.*float64\[3\] on sim"):
            f()


# -- operators defer to objects that opt out of ufuncs ------------------------------------------

class OptOut:
    """NumPy's convention: ``__array_ufunc__ = None`` means "my reflected operators decide"."""
    __array_ufunc__ = None

    def _r(name):
        return lambda self, other: (name, other)
    for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
               "lshift", "rshift", "divmod"):
        locals()[f"__r{_n}__"] = _r(f"r{_n}")
    for _n in ("eq", "ne", "lt", "le", "gt", "ge"):
        locals()[f"__{_n}__"] = _r(_n)
    del _n, _r
    __hash__ = object.__hash__


DEFER = [(operator.add, "radd"), (operator.sub, "rsub"), (operator.mul, "rmul"), (operator.truediv, "rtruediv"),
         (operator.floordiv, "rfloordiv"), (operator.mod, "rmod"), (operator.pow, "rpow"),
         (operator.matmul, "rmatmul"), (operator.and_, "rand"), (operator.or_, "ror"), (operator.xor, "rxor"),
         (operator.lshift, "rlshift"), (operator.rshift, "rrshift"), (divmod, "rdivmod"),
         (operator.eq, "eq"), (operator.ne, "ne"), (operator.lt, "gt"), (operator.le, "ge"),
         (operator.gt, "lt"), (operator.ge, "le")]
INPLACE_OPS = [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv,
               operator.imod, operator.ipow, operator.imatmul, operator.iand, operator.ior, operator.ixor,
               operator.ilshift, operator.irshift]


@pytest.mark.parametrize("op,answer", DEFER, ids=[d[1] + "-" + d[0].__name__ for d in DEFER])
def test_operators_defer_to_array_ufunc_none(op, answer):
    o = OptOut()
    xn = onp.arange(3)
    expected = op(xn, o)  # NumPy returns NotImplemented, so Python asks the other object
    assert expected[0] == answer and expected[1] is xn
    x = nf.asarray(xn)
    got = op(x, o)
    assert type(got) is tuple and got[0] == answer and got[1] is x


@pytest.mark.parametrize("op", INPLACE_OPS, ids=ids(INPLACE_OPS))
def test_inplace_operators_with_array_ufunc_none_raise(op):
    """NEP 13: in-place operators never defer; NumPy raises TypeError, and so does npflow."""
    xn = onp.arange(3)
    with pytest.raises(TypeError):
        op(xn, OptOut())
    x = nf.asarray(xn)
    with pytest.raises(TypeError, match="__array_ufunc__"):
        op(x, OptOut())
    assert_same(x, onp.arange(3))


def test_ufunc_call_with_opt_out_object_raises_typeerror():
    o = OptOut()
    with pytest.raises(TypeError):
        onp.add(onp.arange(3), o)
    with pytest.raises(TypeError):
        nf.add(nf.asarray(onp.arange(3)), o)


def test_operators_with_unknown_objects_raise_typeerror():
    x = nf.asarray(onp.arange(3))
    for f in (lambda: x + object(), lambda: object() * x, lambda: x < object(), lambda: divmod(x, object())):
        with pytest.raises(TypeError):
            f()


# -- failed in-place operations leave the array unchanged ---------------------------------------

FAILING_INPLACE = [
    ("int += float", lambda a, f, s: a.__iadd__(1.5)),
    ("int *= float array", lambda a, f, s: a.__imul__(f)),
    ("int /= 2", lambda a, f, s: a.__itruediv__(2)),
    ("int += complex", lambda a, f, s: a.__iadd__(1j)),
    ("shape", lambda a, f, s: a.__iadd__(nf.asarray(onp.ones((2, 2), onp.int64)))),
    ("broadcast output", lambda a, f, s: a[0].__iadd__(a)),
    ("device", lambda a, f, s: a.__iadd__(s)),
    ("ufunc out", lambda a, f, s: nf.add(a, 0.5, out=a)),
    ("ufunc out device", lambda a, f, s: nf.add(s, 1, out=a)),
    ("setitem overflow", lambda a, f, s: a.__setitem__(slice(None), [[1, 2**70, 3], [4, 5, 6]])),
    ("setitem bad index", lambda a, f, s: a.__setitem__(([0, 1], [0, 3]), 99)),
    ("setitem shape", lambda a, f, s: a.__setitem__(slice(None), onp.ones((3, 3)))),
    ("fill", lambda a, f, s: a.fill(2**70)),
    ("sort-bad-axis", lambda a, f, s: a.sort(axis=3)),
    ("at", lambda a, f, s: nf.add.at(a, [0, 5], 1)),
    ("ipow negative", lambda a, f, s: a.__ipow__(-1)),
]


@pytest.mark.parametrize("label,call", FAILING_INPLACE, ids=[c[0] for c in FAILING_INPLACE])
def test_failed_inplace_ops_write_nothing(label, call):
    a = nf.asarray(onp.arange(6, dtype=onp.int64).reshape(2, 3))
    before = onp.asarray(a).copy()
    f = nf.asarray(onp.full((2, 3), 0.5))
    s = nf.asarray(onp.ones((2, 3), onp.int64), device="sim")
    with pytest.raises((TypeError, ValueError, IndexError, OverflowError)):
        call(a, f, s)
    onp.testing.assert_array_equal(onp.asarray(a), before)
