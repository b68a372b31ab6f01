"""The elementwise layer against NumPy: every ufunc over every dtype and shape, weak Python
scalars (NEP 50), keywords (out=, where=, dtype=, casting=), methods, attributes, operators."""
import operator

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import npflow as nf
from npflow._ops.ufuncs import UFUNCS, ALIASES
from support import ALL_DTYPES, BROADCAST, SHAPES, DEVICES, assert_same, ids, make, outcomes, REFERENCE

DTYPES = ALL_DTYPES + [onp.float16]
NP_UFUNCS = sorted(n for n in dir(onp) if isinstance(getattr(onp, n), onp.ufunc))
UNARY = [n for n, nin, _, _ in UFUNCS if nin == 1]
BINARY = [n for n, nin, _, _ in UFUNCS if nin == 2]
# gufuncs take core dimensions: shape pairs that fit them (and some that do not)
GUFUNC_SHAPES = {
    "matmul": [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((4, 2, 3), (3, 2)),
               ((0, 3), (3, 2)), ((), (3,)), ((2, 3), (2, 3))],
    "vecdot": [((2, 3), (3,)), ((3,), (3,)), ((4, 1, 3), (2, 3)), ((0, 3), (3,)), ((3,), (2,))],
    "matvec": [((2, 3), (3,)), ((4, 2, 3), (1, 3)), ((2, 3), (2,))],
    "vecmat": [((3,), (3, 2)), ((4, 3), (1, 3, 2)), ((2,), (3, 2))],
}
SPECIAL = [onp.nan, onp.inf, -onp.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 1e30, -1e-30, 3.0]
PY_SCALARS = [True, 0, 2, -3, 300, 2**63, 2.5, -0.0, float("nan"), float("inf"), 1e300, 1 + 2j,
              onp.float64(2.5), onp.float32(-1.5), onp.int8(3), onp.uint64(7), onp.complex64(1j)]


def to_nf(v):
    """NumPy arrays (also inside tuples) as npflow copies; everything else unchanged."""
    if isinstance(v, onp.ndarray):
        return nf.asarray(v.copy())
    if type(v) is tuple:
        return tuple(map(to_nf, v))
    return v


def names(msg, name):
    """Does the error message name ``name`` (``add(``), a method's ufunc and method
    (``add.reduce``), or one of the alternatives ``a|b``?"""
    if "|" in name:
        return any(names(msg, n) for n in name.split("|"))
    if "." in name:
        return all(part in msg for part in name.split("."))
    return f"{name}(" in msg


def check(name, f_nf, f_np, *args, **kw):
    """Same result as NumPy, or an exception of NumPy's type whose message names ``name``."""
    args_nf = [to_nf(a) for a in args]
    kw_nf = {k: to_nf(v) for k, v in kw.items()}
    try:
        expected = f_np(*args, **kw)
    except Exception as e:
        with pytest.raises(type(e)) as info:
            f_nf(*args_nf, **kw_nf)
        assert names(str(info.value), name), f"the error does not name {name}: {info.value}"
        return None
    got = f_nf(*args_nf, **kw_nf)
    assert_same(got, expected)
    return got




def check_ufunc(name, *args, **kw):
    return check(name, getattr(nf, name), REFERENCE.get(name, getattr(onp, name)), *args, **kw)


def special(dtype):
    """NaN, infinities, signed zeros, huge and tiny values in ``dtype``; extremes for integers."""
    dt = onp.dtype(dtype)
    if dt.kind == "c":
        re, im = onp.meshgrid(SPECIAL, SPECIAL[:6])
        return (re + 1j * im).ravel().astype(dt)
    if dt.kind == "f":
        return onp.array(SPECIAL, dtype=dt)
    if dt.kind in "iu":
        info = onp.iinfo(dt)
        return onp.array([info.min, info.max, 0, 1, info.max // 2, info.min // 2 + 1], dtype=dt)
    return onp.array([True, False])


# -- the namespace and the ufunc objects ----------------------------------------------------
def test_every_numpy_ufunc_exists_with_numpys_aliasing():
    for name in NP_UFUNCS:
        u = getattr(nf, name)
        assert isinstance(u, nf.ufunc), name
        canonical = getattr(onp, name).__name__
        assert u.__name__ == canonical
        assert u is getattr(nf, canonical), f"nf.{name} is not nf.{canonical}"
    for alias, target in ALIASES.items():
        assert getattr(onp, alias) is getattr(onp, target)
        assert getattr(nf, alias) is getattr(nf, target)
    assert {n for n, *_ in UFUNCS} | set(ALIASES) == set(NP_UFUNCS)


@pytest.mark.parametrize("name", NP_UFUNCS)
def test_attributes(name):
    u, nu = getattr(nf, name), getattr(onp, name)
    for attr in ("nin", "nout", "nargs", "ntypes", "types", "signature", "__name__"):
        assert getattr(u, attr) == getattr(nu, attr), attr
    assert repr(u.identity) == repr(nu.identity)
    assert repr(u) == repr(nu)
    assert nu.__doc__.partition("\n")[0] in u.__doc__  # NumPy's, adopted (npflow/_docstrings.py)


# -- values over dtypes and shapes ----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", UNARY)
def test_unary(name, dtype):
    """Every shape (0-d, empty), plus the special values; NumPy's TypeError where it has no loop."""
    for shape in SHAPES:
        check_ufunc(name, make(shape, dtype))
    check_ufunc(name, special(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcast(name, dtype):
    for s1, s2 in GUFUNC_SHAPES.get(name, BROADCAST):
        check_ufunc(name, make(s1, dtype, 1), make(s2, dtype, 2))
        check_ufunc(name, make(s2, dtype, 3), make(s1, dtype, 4))
    if name not in GUFUNC_SHAPES:
        x = special(dtype)
        check_ufunc(name, x[:, None], x[None, :])


@pytest.mark.parametrize("name", BINARY)
def test_binary_mixed_dtypes(name):
    """NumPy's promotion for every pair of dtypes (or its exception)."""
    s1, s2 = GUFUNC_SHAPES.get(name, [((2, 3), (3,))])[0]
    for d1 in DTYPES:
        for d2 in DTYPES:
            check_ufunc(name, make(s1, d1, 1), make(s2, d2, 2))


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", BINARY)
def test_binary_scalars_are_weak(name, dtype):
    """Python scalars on either side take the array's dtype (NEP 50); NumPy scalars do not."""
    x = make((2, 3), dtype, 5)
    for s in PY_SCALARS:
        check_ufunc(name, x, s)
        check_ufunc(name, s, x)


@pytest.mark.parametrize("name", [n for n, *_ in UFUNCS])
def test_scalar_operands(name):
    """Only scalars (Python or NumPy): NumPy gives a scalar, npflow the 0-d array."""
    nin = getattr(onp, name).nin
    for s in PY_SCALARS:
        check_ufunc(name, *[s] * nin)
    check_ufunc(name, *[[1.5, -2.0]] * nin)  # lists


NEP50 = [
    # (array dtype, other operand, NumPy's result dtype or its exception)
    (onp.float32, 2.0, onp.float32), (onp.float32, 1j, onp.complex64),
    (onp.int8, 300, OverflowError), (onp.uint8, -1, OverflowError), (onp.int8, 1.5, onp.float64),
    (onp.bool_, 1, onp.int64), (onp.float16, 1e10, onp.float16),
    (onp.int8, onp.int64(2), onp.int64),
    (onp.float32, onp.float64(1), onp.float64), (onp.uint64, 2**63, onp.uint64),
]


@pytest.mark.parametrize("dtype, other, expected", NEP50)
def test_nep50_examples(dtype, other, expected):
    a = nf.asarray(make((3,), dtype))
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected, match="add"):
            a + other
        with pytest.raises(expected, match="add"):
            other + a
        return
    assert (a + other).dtype == (other + a).dtype == onp.dtype(expected)
    assert nf.add(a, other).dtype == onp.dtype(expected)


def _floats(dtype):
    dt = onp.dtype(dtype)
    spec = [complex(v) for v in SPECIAL] if dt.kind == "c" else SPECIAL
    return st.one_of(st.sampled_from(spec).map(dt.type),
                     hnp.from_dtype(dt, allow_nan=True, allow_infinity=True, allow_subnormal=False))


@pytest.mark.parametrize("dtype", [onp.float32, onp.float64, onp.complex128, onp.int16, onp.uint8],
                         ids=ids([onp.float32, onp.float64, onp.complex128, onp.int16, onp.uint8]))
@settings(max_examples=150)
@given(data=st.data())
def test_binary_hypothesis(dtype, data):
    """Random broadcastable shapes and values, NaN/inf/-0.0 often, for a random binary ufunc."""
    name = data.draw(st.sampled_from([n for n in BINARY if n not in GUFUNC_SHAPES]), label="ufunc")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    elements = _floats(dtype) if onp.dtype(dtype).kind in "fc" else None
    a, b = (data.draw(hnp.arrays(dtype, s, elements=elements)) for s in shapes.input_shapes)
    check_ufunc(name, a, b)


def test_datetime_ufuncs():
    t = onp.array(["2024-01-01", "NaT", "1970-01-02"], dtype="datetime64[D]")
    check_ufunc("isnat", t)
    check_ufunc("isnat", t - t[0])
    check_ufunc("subtract", t, t[:1])
    check_ufunc("less", t, t[::-1])


# -- keywords ---------------------------------------------------------------------------------
def _arr(m, shape=(2, 3), dtype=onp.float64, seed=1):
    return m.asarray(make(shape, dtype, seed))


F32, I64 = onp.float32, onp.int64


def _where_mask(m):
    return m.asarray(onp.array([True, False, True]))


KEYWORD_CASES = {
    # each case gets the namespace and two output buffers o, p (float64, shape (2, 3))
    "out kw": lambda m, o, p: m.add(_arr(m), _arr(m, seed=2), out=o),
    "out positional": lambda m, o, p: m.add(_arr(m), 2.0, o),
    "out 1-tuple": lambda m, o, p: m.sin(_arr(m), out=(o,)),
    "out None kw": lambda m, o, p: m.add(_arr(m), 1.0, out=None),
    "out None positional": lambda m, o, p: m.add(_arr(m), 1.0, None),
    "out (None,)": lambda m, o, p: m.negative(_arr(m), out=(None,)),
    "out broadcast into": lambda m, o, p: m.add(_arr(m, (3,)), 1, out=o),
    "out cast same_kind": lambda m, o, p: m.add(_arr(m, dtype=onp.int8), 1, out=_arr(m, dtype=F32)),
    "out cast error": lambda m, o, p: m.add(_arr(m), 1.0, out=_arr(m, dtype=onp.int64)),
    "out cast unsafe": lambda m, o, p: m.add(_arr(m), 1, out=_arr(m, dtype=I64), casting="unsafe"),
    "out wrong shape": lambda m, o, p: m.add(_arr(m), 1.0, out=_arr(m, (3,))),
    "out too many": lambda m, o, p: m.add(_arr(m), 1.0, out=(o, p)),
    "out twice": lambda m, o, p: m.add(_arr(m), 1.0, o, out=p),
    "too many positional": lambda m, o, p: m.add(_arr(m), 1.0, o, p),
    "too few positional": lambda m, o, p: m.add(_arr(m)),
    "unknown keyword": lambda m, o, p: m.add(_arr(m), 1.0, bogus=1),
    "keyword operand": lambda m, o, p: m.sin(x=_arr(m)),
    "2 outputs positional": lambda m, o, p: m.divmod(_arr(m), 0.7, o, p),
    "2 outputs kw": lambda m, o, p: m.modf(_arr(m), out=(o, p)),
    "2 outputs, first None": lambda m, o, p: m.divmod(_arr(m), 0.7, out=(None, p)),
    "2 outputs, second None": lambda m, o, p: m.frexp(_arr(m), out=(o, None)),
    "2 outputs, int out": lambda m, o, p: m.frexp(_arr(m), o, _arr(m, dtype=onp.int32)),
    "2 outputs, one given": lambda m, o, p: m.divmod(_arr(m), 0.7, out=o),
    "where with out": lambda m, o, p: m.add(_arr(m), 1.0, out=o, where=_where_mask(m)),
    "where list": lambda m, o, p: m.sqrt(_arr(m), out=o, where=[[True], [False]]),
    "where False": lambda m, o, p: m.multiply(_arr(m), 3, out=o, where=False),
    "where 2 outputs": lambda m, o, p: m.divmod(_arr(m), 0.7, o, p, where=_where_mask(m)),
    "where bad shape": lambda m, o, p: m.add(_arr(m), 1, out=o, where=m.asarray([True, False])),
    "dtype": lambda m, o, p: m.add(_arr(m, dtype=onp.int8), _arr(m, dtype=onp.int8), dtype=F32),
    "dtype str": lambda m, o, p: m.sin(_arr(m, dtype=onp.int16), dtype="f4"),
    "dtype narrowing": lambda m, o, p: m.add(_arr(m), 1.0, dtype=onp.int8),
    "dtype unsafe": lambda m, o, p: m.add(_arr(m), 1.0, dtype=onp.int8, casting="unsafe"),
    "dtype no loop": lambda m, o, p: m.gcd(_arr(m, dtype=onp.int8), 3, dtype=onp.float64),
    "casting no": lambda m, o, p: m.add(_arr(m, dtype=onp.int64), 1.5, casting="no"),
    "casting safe out": lambda m, o, p: m.add(_arr(m), 1.0, out=_arr(m, dtype=F32), casting="safe"),
    "casting equiv": lambda m, o, p: m.multiply(_arr(m), _arr(m), casting="equiv"),
    "casting bad": lambda m, o, p: m.add(_arr(m), 1.0, casting="sometimes"),
    "signature": lambda m, o, p: m.add(_arr(m), _arr(m, seed=2), signature=(None, None, "f4")),
    "order F": lambda m, o, p: m.exp(_arr(m, (3, 4)), order="F"),
    "subok": lambda m, o, p: m.add(_arr(m), 1.0, subok=False),
    "matmul axes": lambda m, o, p: m.matmul(_arr(m, (3, 3)), _arr(m, (3, 3), 2), axes=[(1, 0)] * 3),
    "vecdot axis": lambda m, o, p: m.vecdot(_arr(m), _arr(m, seed=2), axis=0),
    "matmul out": lambda m, o, p: m.matmul(_arr(m), _arr(m, (3, 3)), out=o),
}


@pytest.mark.parametrize("case", KEYWORD_CASES)
def test_keywords(case):
    """out= (positional, keyword, tuples, None entries), where=, dtype=, casting=, ...: the results,
    the buffers written, which buffers are returned; or NumPy's exception."""
    def run(m):
        o, p = _arr(m, seed=9), _arr(m, seed=8)
        r = KEYWORD_CASES[case](m, o, p)
        rs = r if isinstance(r, tuple) else (r,)
        return r, o, p, [x is o for x in rs], [x is p for x in rs]
    res = outcomes(run)
    if res is None:
        return
    got, expected = res
    if case == "order F":
        assert got[0].flags.f_contiguous and expected[0].flags.f_contiguous
    assert_same(got, expected)


# -- methods ----------------------------------------------------------------------------------
A23 = {dt: make((2, 3), dt, 11) for dt in DTYPES}
METHOD_CASES = [
    # (method, positional args after the array, keywords)
    ("reduce", (), {}), ("reduce", (), dict(axis=None)), ("reduce", (), dict(axis=1)),
    ("reduce", (), dict(axis=-1, keepdims=True)), ("reduce", (), dict(axis=(0, 1))),
    ("reduce", (), dict(axis=())), ("reduce", (), dict(axis=2)),
    ("reduce", (), dict(dtype=onp.float64)), ("reduce", (), dict(initial=3)),
    ("reduce", (), dict(axis=1, where=onp.array([True, False, True]), initial=1)),
    ("reduce", (), dict(where=onp.array([[True], [False]]))),
    ("reduce", (), dict(axis=0, out=onp.zeros(3))),
    ("reduce", (), dict(axis=1, out=(onp.zeros(2),))),
    ("accumulate", (), {}), ("accumulate", (), dict(axis=1)),
    ("accumulate", (), dict(axis=-1, dtype=onp.float64)),
    ("accumulate", (), dict(out=onp.zeros((2, 3)))), ("accumulate", (), dict(axis=None)),
    ("reduceat", ([0, 2, 1],), dict(axis=1)), ("reduceat", ([1, 0],), {}),
    ("reduceat", (onp.array([0, 2]),), dict(axis=-1, dtype=onp.float64)),
    ("reduceat", ([5],), dict(axis=1)),
    ("outer", (onp.array([1, 2, 0]),), {}), ("outer", (3,), {}),
    ("outer", (onp.arange(4).reshape(2, 2),), dict(dtype=onp.float64)),
]


def _method(m, name, method, args):
    """``m.<name>.<method>`` with the positional ``args`` after the array (as npflow for nf)."""
    bound = getattr(getattr(m, name), method)
    args = [to_nf(v) for v in args] if m is nf else args
    return lambda x, **kw: bound(x, *args, **kw)


@pytest.mark.parametrize("dtype", [onp.bool_, onp.int32, onp.uint8, onp.float64, onp.complex64],
                         ids=ids([onp.bool_, onp.int32, onp.uint8, onp.float64, onp.complex64]))
@pytest.mark.parametrize("name", BINARY + ["negative"])
def test_methods(name, dtype):
    """reduce/accumulate/reduceat/outer with their parameters, over 0-d and empty inputs too."""
    x = A23[dtype]
    for method, args, kw in METHOD_CASES:
        check(f"{name}.{method}", _method(nf, name, method, args), _method(onp, name, method, args),
              x, **kw)
    reduce_nf, reduce_np = _method(nf, name, "reduce", ()), _method(onp, name, "reduce", ())
    for empty in (onp.zeros((0, 3), dtype), onp.zeros((3, 0), dtype)):
        for axis in (0, 1, None):
            check(f"{name}.reduce", reduce_nf, reduce_np, empty, axis=axis)
    check(f"{name}.reduce", reduce_nf, reduce_np, x[0, 0].copy().reshape(()))


AT_CASES = [([0, 2], (1,)), ([0, 0, 2], (2,)), ((slice(1, 3),), ()), ([1, 1], ()),
            (onp.array([2, 0, 2]), (onp.array([1, 2, 3]),)), ([True, False, True], (1,)),
            ([5], (1,))]


@pytest.mark.parametrize("dtype", [onp.int32, onp.float64], ids=ids([onp.int32, onp.float64]))
@pytest.mark.parametrize("name", [n for n, *_ in UFUNCS])
def test_at(name, dtype):
    """ufunc.at(a, indices[, b]) updates ``a`` in place, unbuffered (repeated indices add up)."""
    nin = getattr(onp, name).nin
    for idx, b in AT_CASES:
        if len(b) != nin - 1:
            continue
        a_np, a_nf = make((4,), dtype, 3), nf.asarray(make((4,), dtype, 3))
        res = outcomes(lambda m: getattr(m, name).at(a_np, idx, *b) if m is onp else
                       getattr(nf, name).at(a_nf, to_nf(idx), *map(to_nf, b)))
        if res is None:
            continue
        assert res[0] is None
        assert_same(a_nf, a_np)


def test_method_errors_name_the_method():
    with pytest.raises(ValueError, match=r"sin.*reduce|reduce.*sin"):
        nf.sin.reduce(nf.asarray([1.0]))
    with pytest.raises(ValueError, match=r"maximum\.reduce\("):
        nf.maximum.reduce(nf.asarray([], dtype=float))


# -- operators --------------------------------------------------------------------------------
# operator -> the ufunc its errors name (x ** 2, x ** -1, x ** 0.5 are square, reciprocal, sqrt,
# as in NumPy); the arithmetic ones (the first 13) have in-place forms
OPERATORS = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
             "floordiv": "floor_divide", "mod": "remainder", "pow": "power|square|reciprocal|sqrt",
             "matmul": "matmul", "and_": "bitwise_and", "or_": "bitwise_or", "xor": "bitwise_xor",
             "lshift": "left_shift", "rshift": "right_shift", "eq": "equal", "ne": "not_equal",
             "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
OP_NAMES = {getattr(operator, k): v for k, v in OPERATORS.items()} | {divmod: "divmod"}
BINARY_OPERATORS = list(OP_NAMES)
INPLACE = {getattr(operator, k): getattr(operator, "i" + k.rstrip("_"))
           for k in list(OPERATORS)[:13]}
OTHERS = [2, -1, 1.5, True, 1j, 300, onp.float32(2), onp.int16(-2), [1, 2, 0]]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=[o.__name__ for o in BINARY_OPERATORS])
def test_binary_operators(op, dtype):
    """npflow on either side of every operator, against npflow, scalars, lists and NumPy arrays."""
    name = OP_NAMES[op]
    a, b = make((3, 3), dtype, 1), make((3, 3), dtype, 2)
    check(name, op, op, a, b)
    check(name, op, op, a, b[0])
    for other in OTHERS:
        check(name, op, op, a, other)
        check(name, op, op, other, a)
    # a NumPy array on one side: NumPy hands the operation to npflow (__array_ufunc__)
    check(name, lambda x, y: op(a, y), op, a, b)
    check(name, lambda x, y: op(x, b), op, a, b)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("op", list(INPLACE), ids=[o.__name__ for o in INPLACE])
def test_inplace_operators(op, dtype):
    """``a op= b`` writes into ``a`` and returns it; NumPy's same-kind error (int += 1.5)."""
    iop, name = INPLACE[op], OP_NAMES[op]
    for other in [make((3, 3), dtype, 2), make((3,), dtype, 3), make((2, 3, 3), dtype, 4)] + OTHERS:
        a_np = make((3, 3), dtype, 1)
        a_nf = nf.asarray(a_np.copy())
        o_nf = to_nf(other)
        try:
            r_np = iop(a_np, other)
        except Exception as e:
            with pytest.raises(type(e)) as info:
                iop(a_nf, o_nf)
            assert names(str(info.value), name), info.value
            continue
        assert r_np is a_np
        r_nf = iop(a_nf, o_nf)
        assert r_nf is a_nf
        assert_same(a_nf, a_np)


def test_inplace_same_kind_error():
    a = nf.asarray([1, 2, 3])
    with pytest.raises(onp._core._exceptions._UFuncOutputCastingError, match="add"):
        a += 1.5
    assert_same(a, onp.array([1, 2, 3]))
    with pytest.raises(TypeError, match="add"):
        a += 1.5
    b = nf.asarray(onp.array([1, 2, 3], onp.int8))
    with pytest.raises(OverflowError, match="add"):
        b += 300


UNARY_OPERATORS = {"negative": operator.neg, "positive": operator.pos, "absolute": abs,
                   "invert": operator.invert}


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name", UNARY_OPERATORS)
def test_unary_operators(name, dtype):
    op = UNARY_OPERATORS[name]
    for shape in SHAPES:
        check(name, op, op, make(shape, dtype))
    check(name, op, op, special(dtype))


def test_operator_results_are_new_arrays_and_defer_to_unknown_types():
    a = nf.asarray([1.0, 2.0])
    assert (a + 0) is not a and not onp.shares_memory(onp.asarray(a + 0), onp.asarray(a))

    class Other:
        __array_ufunc__ = None  # NumPy's opt-out: npflow defers too

        def __radd__(self, other):
            return "other"

        def __eq__(self, other):
            return "eq"
    assert a + Other() == "other"
    assert (a == Other()) == "eq"
    with pytest.raises(TypeError):
        a + object()


# -- devices and errors -----------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
def test_results_stay_on_the_device(device):
    x = nf.asarray(make((2, 3), onp.float64), device=device)
    y = nf.asarray(make((3,), onp.float64, 2), device=device)
    o, o2 = (nf.asarray(onp.zeros((2, 3)), device=device) for _ in range(2))
    results = [nf.sin(x), nf.add(x, y), x * 2.0, 1 - x, -x, x >= y, nf.divmod(x, y)[1],
               nf.add(x, y, out=o), nf.multiply(x, y, out=o2, where=y > 0),
               nf.add.reduce(x, axis=1), nf.add.accumulate(x), nf.multiply.outer(y, y),
               nf.maximum.reduceat(y, [0, 2]), nf.add(x, [1.0, 2.0, 3.0])]
    for r in results:
        assert r.device == device
    assert_same(results[1], onp.add(make((2, 3), onp.float64), make((3,), onp.float64, 2)))
    nf.add.at(x, [0, 0], 1.0)
    assert x.device == device


def test_mixed_devices_are_errors_naming_the_ufunc():
    c = nf.asarray([1.0, 2.0])
    s = nf.asarray([1.0, 2.0], device="sim")
    for f in (lambda: nf.add(c, s), lambda: c + s, lambda: nf.add(s, 1, out=nf.asarray([0.0, 0.0])),
              lambda: nf.add(s, s, where=c > 0), lambda: nf.multiply.outer(c, s)):
        with pytest.raises(nf.DeviceMismatchError, match=r"(add|multiply.outer)\("):
            f()


@pytest.mark.parametrize("name, args", [
    ("add", (nf.asarray([1, 2]), nf.asarray([1, 2, 3]))),
    ("invert", (nf.asarray([1.5]),)),
    ("isnat", (nf.asarray([1.5]),)),
    ("sqrt", (nf.asarray(["a"]),)),
    ("gcd", (nf.asarray([1.5]), 2)),
    ("power", (nf.asarray([2, 3]), -1)),
])
def test_errors_name_the_ufunc_and_operands(name, args):
    with pytest.raises((TypeError, ValueError)) as info:
        getattr(nf, name)(*args)
    msg = str(info.value)
    assert f"{name}(" in msg and str(args[0].dtype) in msg, msg
