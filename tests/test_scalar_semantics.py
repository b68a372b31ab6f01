"""Operators with every kind of scalar operand, scalar results under augmented assignment, and
Python's conversions (float, int, complex, bool, index) of 0-d and size-1 arrays: NumPy's
results, or NumPy's exception types (issue 13, findings 6, 7 and 8)."""
import datetime
import operator
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as onp
import pytest

import npflow as nf
from support import ALL_DTYPES, assert_same, ids, outcomes


class Plain:
    """An arbitrary object: NumPy makes it an object operand."""


class Reflecting:
    """An object with a reflected ``+`` and an ``==``: NumPy's object loops call them."""
    __hash__ = None

    def __radd__(self, other):
        return "radd"

    def __eq__(self, other):
        return "eq"


class Deferring:
    """A higher ``__array_priority__`` and no ``__array_ufunc__``: NumPy's operators defer."""
    __array_priority__ = 1000.0

    def __radd__(self, other):
        return "deferred"

    __rmul__ = __radd__


class OptedOut:
    """``__array_ufunc__ = None`` (NEP 13): operators defer, ufuncs refuse."""
    __array_ufunc__ = None

    def __radd__(self, other):
        return "opted-out"


OPERANDS = [onp.array([1.0, 2.0]), onp.array([1, 2]), onp.array(["a", "cat"]), onp.array([b"a"]),
            onp.array([1 + 2j]), onp.array([True]), onp.array(["2020-01-01"], dtype="M8[D]"),
            onp.array([1], dtype="m8[s]"), onp.array([None, 1], dtype=object), onp.array(2.0)]
SCALARS = ["cat", "a", b"a", Fraction(1, 2), Decimal("1.5"), datetime.date(2020, 1, 1),
           datetime.datetime(2020, 1, 1), datetime.timedelta(1), None, Plain(), Reflecting(),
           Deferring(), OptedOut(), onp.float32(1), onp.str_("a"), onp.bytes_(b"a"),
           onp.datetime64("2020-01-01"), onp.timedelta64(3, "s"), 2, 1.5, 1j, True, [1, 2], ("a",)]
BINARY = [operator.eq, operator.ne, operator.lt, operator.ge, operator.add, operator.sub, operator.mul,
          operator.truediv, operator.floordiv, operator.mod, operator.pow, operator.and_,
          operator.lshift, operator.matmul, divmod]
INPLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ipow]


def _same(run):
    """run(m) with NumPy and with npflow: the same result (NumPy's scalars as 0-d arrays), or
    the same exception type."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = outcomes(run)
    if res is not None:
        got, expected = res
        if isinstance(got, onp.str_):  # ``numpy.str_('a') % x``: str formatting, npflow not called
            assert type(got) is type(expected) and got == expected
        elif isinstance(got, (onp.ndarray, onp.bool_)):
            # ``numpy.float32(1) == labels``: NumPy's scalar asks npflow's ``equal`` (which raises
            # as NumPy's ufunc does: no loop), then answers itself: a NumPy array or bool of False
            assert_same(nf.asarray(got), expected)
        else:
            assert_same(got, expected)
    return res


@pytest.mark.parametrize("xn", OPERANDS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_operators_with_every_kind_of_scalar(xn):
    for s in SCALARS:
        for op in BINARY:
            _same(lambda m: op(xn.copy() if m is onp else nf.asarray(xn.copy()), s))
            _same(lambda m: op(s, xn.copy() if m is onp else nf.asarray(xn.copy())))
        for op in INPLACE:
            x = nf.asarray(xn.copy())
            expected = xn.copy()
            res = _same(lambda m: op(expected, s) if m is onp else op(x, s))
            assert_same(x, expected)  # written, or left as it was on an error
            if res is not None and res[1] is expected:
                assert res[0] is x


def test_labels_select_by_equality():
    labels = nf.asarray(["cat", "dog", "cat"])
    assert_same(labels[labels == "cat"], onp.array(["cat", "cat"]))
    assert_same(labels != b"cat", onp.array([True, True, True]))
    assert_same(nf.arange(3) * Fraction(1, 2), onp.arange(3) * Fraction(1, 2))


# -- finding 7: NumPy's scalars never change through an alias ------------------------------------

A = onp.array([[1.0, -2.0, 3.5], [0.5, 4.0, -1.0]])
V = onp.array([1.0, 2.0, 3.0])
# (name, program): what NumPy gives as a scalar, each way it can give one
SCALAR_RESULTS = [
    ("sum", lambda m, a: m.sum(a)), ("prod", lambda m, a: m.prod(a)), ("mean", lambda m, a: m.mean(a)),
    ("std", lambda m, a: m.std(a)), ("var", lambda m, a: a.var()), ("min", lambda m, a: a.min()),
    ("max", lambda m, a: m.max(a)), ("argmax", lambda m, a: m.argmax(a)), ("ptp", lambda m, a: m.ptp(a)),
    ("median", lambda m, a: m.median(a)), ("average", lambda m, a: m.average(a)),
    ("nansum", lambda m, a: m.nansum(a)), ("count_nonzero", lambda m, a: m.count_nonzero(a)),
    ("all", lambda m, a: m.all(a)), ("trace", lambda m, a: m.trace(a)),
    ("dot", lambda m, a: m.dot(a[0], a[1])), ("vdot", lambda m, a: m.vdot(a, a)),
    ("inner", lambda m, a: m.inner(a[0], a[1])), ("matmul-1d", lambda m, a: a[0] @ a[1]),
    ("norm", lambda m, a: m.linalg.norm(a)), ("det", lambda m, a: m.linalg.det(a[:, :2])),
    ("index", lambda m, a: a[0, 1]), ("index-1d", lambda m, a: a[1][2]), ("flat", lambda m, a: a.flat[4]),
    ("index-0d", lambda m, a: m.sum(a, axis=(0, 1), keepdims=False)[()]),
    ("ufunc-of-scalar", lambda m, a: m.sin(a[0, 0])), ("operator-of-scalar", lambda m, a: a[0, 0] * 2),
    ("sum-of-0d", lambda m, a: m.asarray(2.5) + 1), ("iteration", lambda m, a: list(a[0])[1]),
]
AUGMENTED = [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ipow,
             operator.ifloordiv, operator.imod]


def _program(make, aug):
    """``s = make(); t = s; t <aug>= 3``: (s, t) as NumPy arrays."""
    def run(m):
        s = make(m)
        t = s
        t = aug(t, 3)
        return s, t
    return run


@pytest.mark.parametrize("name,make", SCALAR_RESULTS, ids=[r[0] for r in SCALAR_RESULTS])
def test_aliases_of_scalar_results_never_change(name, make):
    expected = make(onp, A.copy())
    assert onp.ndim(expected) == 0 and not isinstance(expected, onp.ndarray)  # NumPy: a scalar
    got = make(nf, nf.asarray(A.copy()))
    assert isinstance(got, nf.ndarray) and got.shape == ()  # npflow: a 0-d array (DESIGN)
    for aug in AUGMENTED:
        _same(_program(lambda m: make(m, A.copy() if m is onp else nf.asarray(A.copy())), aug))
    with pytest.raises(TypeError):  # as NumPy's scalars: no item assignment
        got[()] = 1
    assert_same(got, expected)


def _write(x, value=7):
    x[()] = value
    return x


def _rebind(t):
    u = t
    u += 1
    return t, u


# What NumPy does with its scalars, each a program on one (found by tests/test_fuzz_programs.py)
SCALAR_PROGRAMS = [
    ("ravel is a new array", lambda m, s: (_write(m.ravel(s)[:1].reshape(())), s)),
    ("s[...] is an array", lambda m, s: (_write(s[...]), s)),
    ("s[None] is an array", lambda m, s: (_write(s[None][0:1].reshape(())), s)),
    ("broadcast is read-only", lambda m, s: _write(m.broadcast_to(s, (3,))[1:2].reshape(()))),
    ("astype is a scalar", lambda m, s: _rebind(s.astype(m.float32))),
    ("copy method is a scalar", lambda m, s: _rebind(s.copy())),
    ("copy function is an array", lambda m, s: _rebind(m.copy(s))),
    ("array is an array", lambda m, s: _rebind(m.array(s))),
    ("imag is a scalar", lambda m, s: _rebind(s.imag)),
    ("T is a scalar", lambda m, s: _rebind(s.T)),
    ("squeeze is a scalar", lambda m, s: _rebind(m.squeeze(s))),
    ("bool ** 2 is power", lambda m, s: (s > 0) ** 2),
    ("** 0.5 is power", lambda m, s: (s * (1 + 1j)) ** 0.5),
    ("== None", lambda m, s: (s == None, s != None)),  # noqa: E711
    ("@ of scalars", lambda m, s: s @ s),
    ("@ with an array", lambda m, s: s @ m.ones(2)),
    ("nan into ints", lambda m, s: _write(m.zeros(2, dtype=m.int64)[:1].reshape(()), s * m.nan)),
    ("fill with nan", lambda m, s: m.zeros(2, dtype=m.int64).fill(s * m.nan)),
]


@pytest.mark.parametrize("name,program", SCALAR_PROGRAMS, ids=[p[0] for p in SCALAR_PROGRAMS])
def test_programs_on_scalars(name, program):
    _same(lambda m: program(m, m.sum(m.asarray(A))))


REAL_0D = [("asarray", lambda m: m.asarray(1.5)), ("array", lambda m: m.array(2.0)),
           ("zeros", lambda m: m.zeros(())), ("full", lambda m: m.full((), 3, dtype=m.int64)),
           ("ellipsis-view", lambda m: m.arange(3.0)[1:2].reshape(())[...]),
           ("reshape-view", lambda m: m.ones(1).reshape(())), ("copy", lambda m: m.asarray(1.0).copy())]


@pytest.mark.parametrize("name,make", REAL_0D, ids=[r[0] for r in REAL_0D])
def test_real_0d_arrays_are_written_in_place(name, make):
    """What NumPy gives as a 0-d array is one: augmented assignment writes it (its aliases see it)."""
    for aug in AUGMENTED:
        _same(_program(make, aug))
    x = make(nf)
    y = x
    y += 1
    assert y is x
    x[()] = 7
    assert float(x) == 7


# -- finding 8: float, int, complex, bool and index of arrays ---------------------------------------

CONVERSIONS = [float, int, complex, bool, operator.index]
VALUES = [0, 1, 2.5, 1 + 2j]


def _conversions(run):
    """run(m) converts the same value with NumPy and npflow: the same Python value and type, the
    same exception type, and the same warnings."""
    out = {}
    for m in (onp, nf):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                r = run(m)
                out[m] = (type(r), r)
            except Exception as e:
                out[m] = (type(e),)
        out[m] += tuple(sorted({w.category.__name__ for w in caught}))
    assert out[nf] == out[onp] or (out[onp][0] in (float, complex) and out[onp][1] != out[onp][1]
                                   and out[nf][0] is out[onp][0] and out[nf][1] != out[nf][1]), out


@pytest.mark.parametrize("dtype", ALL_DTYPES + [onp.float16, object, "U3", "S3", "M8[s]", "m8[s]"],
                         ids=ids(ALL_DTYPES + [onp.float16, object]) + ["U3", "S3", "M8", "m8"])
def test_conversions_of_arrays_and_scalars(dtype):
    for f in CONVERSIONS:
        for v in VALUES:
            try:
                xn = onp.array([v]).astype(dtype)
            except (TypeError, ValueError):
                continue
            _conversions(lambda m: f(m.asarray(xn)[0]))               # a scalar (NumPy's)
            _conversions(lambda m: f(m.asarray(xn.reshape(()))))       # a 0-d array
            _conversions(lambda m: f(m.asarray(xn)))                   # a size-1 1-d array
            _conversions(lambda m: f(m.asarray(xn.reshape(1, 1))))     # and 2-d
            _conversions(lambda m: f(m.sum(m.asarray(xn))) if xn.dtype.kind in "biufc" else 0)
