"""The C accelerator: built, equivalent to the pure-Python path, and safe when it elides temporaries."""
import functools
import itertools
import operator
import os
import subprocess
import sys
import tracemalloc
import warnings

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st

import npflow as nf
from npflow._core import dispatch
from npflow._core import ndarray as nd_module
from npflow.autodiff import rules

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = 100_000  # 800 kB of float64: above the 256 kB elision threshold


def test_accelerator_is_built():
    if os.environ.get("NPFLOW_PURE_PYTHON"):
        pytest.skip("pure-Python mode was asked for")
    assert nd_module._fastpath is not None, (
        "npflow's C accelerator (npflow/_core/fastpath/) is not built: run `pip install -e .` "
        "with a C compiler; npflow works without it but dispatch is about 2x slower")
    assert type(nf.asarray([1.0])).__mro__[1] is nd_module._fastpath.ArrayBase


def _big(seed):
    return onp.random.default_rng(seed).random(BIG)


# Expressions whose temporaries may or may not be elided; each must equal NumPy's result
# and leave every named array unchanged.
ELISION_CASES = [
    ("x * y + x", lambda x, y: x * y + x),
    ("x + x * y (temporary on the right)", lambda x, y: x + x * y),
    ("x - x * y (not commutative: right temporary not reused)", lambda x, y: x - x * y),
    ("(x * y) / y", lambda x, y: (x * y) / y),
    ("tanh(x * y + x) - y", lambda x, y: onp.tanh(x * y + x) - y if isinstance(x, onp.ndarray)
     else nf.tanh(x * y + x) - y),
    ("(x > 0.5) + y  (bool temporary, float result: no reuse)", lambda x, y: (x > 0.5) + y),
    ("(x * 2).astype(float32) + y (float32 temporary, float64 result: no reuse)",
     lambda x, y: (x * 2).astype(onp.float32) + y),
    ("x[:, None][:10] * y[:10] + 1 (views)", lambda x, y: x[:, None][:10] * y[:10] + 1),
]


@pytest.mark.parametrize("name,expr", ELISION_CASES, ids=[c[0] for c in ELISION_CASES])
def test_elision_matches_numpy_and_keeps_inputs(name, expr):
    a, b = _big(1), _big(2)
    x, y = nf.asarray(a.copy()), nf.asarray(b.copy())
    got = expr(x, y)
    onp.testing.assert_array_equal(onp.asarray(got), expr(a, b))
    assert onp.asarray(got).dtype == expr(a, b).dtype
    onp.testing.assert_array_equal(onp.asarray(x), a)
    onp.testing.assert_array_equal(onp.asarray(y), b)


def test_named_temporaries_and_views_are_never_overwritten():
    a, b = _big(3), _big(4)
    x, y = nf.asarray(a), nf.asarray(b)
    t = x * y          # named: its buffer must survive t + x
    view = (x * 1.0)[::2]
    r = t + x
    onp.testing.assert_array_equal(onp.asarray(t), a * b)
    onp.testing.assert_array_equal(onp.asarray(r), a * b + a)
    r2 = view + 1.0
    onp.testing.assert_array_equal(onp.asarray(r2), a[::2] + 1.0)

    host = onp.asarray(x * y)      # NumPy holds the data of the temporary: no reuse
    keep = host.copy()
    total = sum([x, y, x])         # operators reached from C code (builtin sum): no reuse
    onp.testing.assert_array_equal(onp.asarray(total), a + b + a)
    onp.testing.assert_array_equal(host, keep)


# The accelerator's own Python-callable functions and types, given objects they never get from
# npflow: each raises (the exception type here) or declines the case (False: Python's path),
# and never reads a NULL or malformed field.
def _fp_cases():
    fp = dispatch._fastpath
    bare = type(nf.ones(1)).__mro__[1].__new__(nf.ndarray)
    op = nf.sin._op
    neg, meta = nf.negative._op, ((3,), onp.dtype(float))

    def backward_over(parent, m=meta):   # a node whose rule (-g) runs, then its fields are read
        node = fp.Node(neg, {}, [parent], [None], None, [m], [])
        return lambda: fp.backward([node], {node: [nf.ones(3)]}, {}, {}, rules.fit, None, False)
    return {
        "trace(bare operand)": (lambda: fp.trace(op, (bare,), {}, nf.ones(3)), False),
        "trace(bare result)": (lambda: fp.trace(op, (nf.ones(3),), {}, bare), False),
        "watch(bare)": (lambda: fp.watch(None, bare), False),
        "apply(op, bare)": (lambda: fp.apply(op, bare), AttributeError),
        "Node()": (lambda: fp.Node(), TypeError),
        "RootVersion(0)": (lambda: fp.RootVersion(0), TypeError),
        "VersionTable()[key]": (lambda: fp.VersionTable()[1], KeyError),
        "Partial(1)": (lambda: fp.Partial(1), TypeError),
        "Partial(None)()": (lambda: fp.Partial(None)(), TypeError),
        "untrack(table, [1])": (lambda: fp.untrack(fp.VersionTable(), [1]), TypeError),
        "release_nodes([1])": (lambda: fp.release_nodes([1]), AttributeError),
        "backward([1])": (lambda: fp.backward([1], {}, {}, {}, None, None, False), TypeError),
        "backward(parent index not an int)": (backward_over((None, "k")), TypeError),
        "backward(parent index out of range)": (backward_over((None, 5)), RuntimeError),
        "backward(parent not an entry)": (backward_over(7), RuntimeError),
        "backward(meta not (shape, dtype))": (backward_over((None, 0), (None,)), RuntimeError),
    }


@pytest.mark.skipif(dispatch._fastpath is None, reason="the C accelerator is not built")
def test_accelerator_functions_survive_odd_arguments():
    for name, (call, expected) in _fp_cases().items():
        if isinstance(expected, type):
            with pytest.raises(expected):
                call()
        else:
            assert call() is expected, name


def test_forward_mode_fits_tangents_with_forward_true():
    """A jvp rule whose tangent has another dtype than the result (astype complex to real) is
    fitted by rules.fit(..., forward=True). The C forward path passed forward=True from past the
    end of its argument array: stack garbage as the keyword's value (refcount corruption and a
    crash under tools/sanitize.sh; a wrong fit where the garbage was falsy)."""
    from npflow.autodiff import core
    fp = dispatch._fastpath
    seen = []

    def spy(ct, shape, dtype, opname, **kw):
        seen.append(kw.get("forward") is True)
        return rules.fit(ct, shape, dtype, opname, **kw)
    z = nf.asarray([1 + 2j, 3 - 1j, -0.5j])
    if fp is not None:
        fp.configure_forward(core.Tangents, spy, core.trace_from)
    try:
        with warnings.catch_warnings():  # NumPy's ComplexWarning: discarding the imaginary part
            warnings.simplefilter("ignore", onp.exceptions.ComplexWarning)
            _, t = nf.jvp(lambda a: a.astype(onp.float64), (z,), (z * 1j,))
    finally:
        if fp is not None:
            fp.configure_forward(core.Tangents, rules.fit, core.trace_from)
    assert t.dtype == onp.float64 and onp.array_equal(onp.asarray(t), onp.real(onp.asarray(z) * 1j))
    if fp is not None:
        assert seen and all(seen), "rules.fit was called without forward=True"


def test_zero_dimensional_arrays_on_tapes():
    """Tapes watching and recording 0-d arrays among others (issue 13, finding 2: the recorder
    handed NumPy's NULL dims of a 0-d array to memcmp; tools/sanitize.sh reports such UB)."""
    for shape in [(), (3,), (), (2, 2), ()]:
        a = onp.full(shape, 0.5)
        x = nf.asarray(a)
        with nf.GradientTape() as t:
            t.watch(x)
            y = x * x + nf.sin(x) * nf.asarray(2.0)
        onp.testing.assert_allclose(onp.asarray(t.gradient(y, x)), 2 * a + 2 * onp.cos(a))


# Callers that hold the only reference to a temporary from C code (issue 13, finding 3: NumPy's
# object loop holds each element so, and ``o + 1`` overwrote ``o[0]``). Each case runs with
# NumPy arrays and with npflow arrays and returns what it computed and what the caller holds
# afterwards: the same values in both.
def _object_loop(x):
    o = onp.empty(2, dtype=object)
    o[0], o[1] = x * 1.0, x * 2.0       # only o holds them
    r = o + 1
    return [r[0], r[1], o[0], o[1]]


def _partial(x):
    class Holder:                          # the partial holds x * 1.0 alone
        __add__ = functools.partial(operator.add, x * 1.0)
    return [Holder() + 1, Holder() + 1]    # (NumPy 2.4's own elision gives x + 2 the second time)


def _reduce(x):
    return [functools.reduce(operator.add, (x * float(k) for k in range(4)))]


def _map(x):
    return list(map(operator.mul, (x * 1.0 for _ in range(2)), (x + 1.0 for _ in range(2))))


def _sum(x):
    return [sum(x * float(k) for k in range(4))]


def _accumulate(x):
    return list(itertools.accumulate(x * 1.0 for _ in range(3)))


def _reversed_operands(x):
    return [operator.sub(x * 1.0, x * 2.0), 2.0 - x * 3.0, (x * 1.0).__add__(x * 2.0)]


# (case, its expected values from a NumPy array; None: the case itself run on NumPy arrays)
HELD_BY_C = [(_object_loop, None), (_partial, lambda a: [a + 1, a + 1]), (_reduce, None), (_map, None),
             (_sum, None), (_accumulate, None), (_reversed_operands, None)]


@pytest.mark.parametrize("case,reference", HELD_BY_C, ids=[c.__name__.strip("_") for c, _ in HELD_BY_C])
def test_temporaries_held_by_c_code_are_never_overwritten(case, reference):
    a = _big(5)
    got, want = case(nf.asarray(a)), (reference or case)(a)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        onp.testing.assert_array_equal(onp.asarray(g), w)
    onp.testing.assert_array_equal(onp.asarray(nf.asarray(a)), _big(5))


@pytest.mark.skipif(dispatch._fastpath is None, reason="the C accelerator is not built")
def test_temporaries_of_plain_expressions_are_still_reused():
    """Where the interpreter's stack holds the only reference, the operator writes into the
    temporary: a chain of operators allocates one result, not one per operator."""
    x, y = nf.asarray(_big(6)), nf.asarray(_big(7))
    tracemalloc.start()
    try:
        r = ((x * y + x) * 2.0 - y) / 3.0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    onp.testing.assert_allclose(onp.asarray(r), ((_big(6) * _big(7) + _big(6)) * 2.0 - _big(7)) / 3.0)
    assert peak < 1.5 * BIG * 8, f"{peak / (BIG * 8):.1f} results' worth allocated: no temporary reused"


def test_recording_turns_the_fast_path_off():
    seen = []
    x = nf.asarray([1.0, 2.0])
    dispatch.recorders.append(lambda op, operands, params, result: seen.append(op.name))
    try:
        y = x * 2.0 + x
        z = nf.tanh(y)
        w = -z
    finally:
        dispatch.recorders.pop()
    assert seen == ["multiply", "add", "tanh", "negative"]
    onp.testing.assert_allclose(onp.asarray(w), -onp.tanh(onp.array([1.0, 2.0]) * 3))


# Operators and ufunc calls, the same on the C path and in pure Python (checked in a subprocess).
SCRIPT = r"""
import json, numpy as onp, npflow as nf
x = nf.asarray(onp.arange(-3, 3, dtype=onp.int16)); f = nf.asarray(onp.linspace(-1, 1, 6))
out = {}
cases = {"x+1": lambda: x + 1, "2-x": lambda: 2 - x, "x*f": lambda: x * f, "x/0": lambda: x / 0,
         "x//2": lambda: x // 2, "x%3": lambda: x % 3, "x**2": lambda: x ** 2, "-x": lambda: -x,
         "abs(x)": lambda: abs(x), "~x": lambda: ~x, "x<f": lambda: x < f, "x==1": lambda: x == 1,
         "x&3": lambda: x & 3, "x<<1": lambda: x << 1, "tanh(f)": lambda: nf.tanh(f),
         "add(x,f)": lambda: nf.add(x, f), "x+[1]*6": lambda: x + [1] * 6,
         "x+300000": lambda: x + 300000, "x+f[:2]": lambda: x + f[:2], "1j*f": lambda: 1j * f,
         "f@f": lambda: f @ f, "x+True": lambda: x + True}
with onp.errstate(all="ignore"):
    for k, fn in cases.items():
        try:
            r = fn(); out[k] = [str(r.dtype), onp.asarray(r).tolist().__repr__(), type(r).__name__]
        except Exception as e:
            out[k] = [type(e).__name__]
print(json.dumps(out))
"""


def _run(env_extra, script=SCRIPT):
    env = dict(os.environ, **env_extra)
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, f"crashed (status {r.returncode}) after:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def test_c_and_pure_python_agree():
    assert _run({}) == _run({"NPFLOW_PURE_PYTHON": "1"})


# Objects Python code can build that npflow never makes (issue 13, finding 1: the C build read
# their NULL data and crashed), through every kind of entry point of the accelerator: the
# attributes, operators, ufunc calls, apply, the tape recorder and watch, forward mode, the
# backward loop (a tape node whose fields were deleted, a custom rule returning such an array),
# and an elidable temporary meeting one. Each case prints the exception type it raised (or
# the type of its result); the C build must print what the pure-Python build prints, and
# survive: a crash fails the test naming the case that was running.
ODD_OBJECTS_SCRIPT = r"""
import numpy as onp, npflow as np
Base = type(np.ones(1)).__mro__[1]    # ArrayBase: the C type, or its pure-Python twin

def without(*names):
    def make():
        x = np.ones(3)
        for n in names:
            delattr(x, n)
        return x
    return make

def with_data(value):
    def make():
        x = np.ones(3)
        x._data = value
        return x
    return make

MAKERS = {"del _data": without("_data"), "del _device": without("_device"),
          "ArrayBase.__new__": lambda: Base.__new__(np.ndarray),   # (Variable.__new__'s path)
          "_data = list": with_data([1.0, 2.0, 3.0]), "_data = None": with_data(None),
          "_data = 0-d": with_data(onp.float32(2.0))}

def on_tape(f, watch_x=False):
    def run(x):
        y = np.ones(3)
        with np.GradientTape() as t:
            t.watch(x if watch_x else y)
            z = f(x, y)
        return t.gradient(z, x if watch_x else y)
    return run

USES = {
    "shape": lambda x: x.shape, "dtype": lambda x: x.dtype, "ndim": lambda x: x.ndim,
    "size": lambda x: x.size, "device": lambda x: x.device,   # (not _ad: None where unset, in C)
    "x + 1": lambda x: x + 1, "1 + x": lambda x: 1 + x, "x * y": lambda x: x * np.ones(3),
    "y * x": lambda x: np.ones(3) * x, "x < 1": lambda x: x < 1, "-x": lambda x: -x,
    "abs(x)": abs, "~x": lambda x: ~x, "sin(x)": lambda x: np.sin(x),
    "add(x, 1)": lambda x: np.add(x, 1), "sum(x)": lambda x: np.sum(x),
    "reshape(x)": lambda x: np.reshape(x, (3,)), "x[0]": lambda x: x[0],
    "big temporary + x": lambda x: np.ones(100_000) * 2.0 + x,
    "tape: y * x": on_tape(lambda x, y: y * x), "tape: sin(x) * y": on_tape(lambda x, y: np.sin(x) * y),
    "tape: watch(x)": on_tape(lambda x, y: x * 2.0, watch_x=True),
    "grad": lambda x: np.grad(lambda a: np.sum(a * x))(np.ones(3)),
    "jvp": lambda x: np.jvp(lambda a: a * x, (np.ones(3),), (np.ones(3),)),
    "vjp": lambda x: np.vjp(lambda a: a * x, np.ones(3))[1](np.ones(3)),
}

@np.custom_vjp
def passthrough(a):
    return a * 1.0
passthrough.defvjp(lambda a: (a * 1.0, None), lambda res, g: (Base.__new__(np.ndarray),))

def node_without(field):
    def run():
        y = np.ones(3)
        with np.GradientTape(persistent=True) as t:
            t.watch(y)
            z = np.sin(y) * 2.0
        for node in t._rec.nodes:
            if node.op is not None:
                delattr(node, field)
        return t.gradient(z, y)
    return run

CASES = {f"{m} / {u}": (lambda make=make, use=use: use(make()))
         for m, make in MAKERS.items() for u, use in USES.items()}
CASES["custom vjp returning ArrayBase.__new__"] = lambda: np.grad(lambda a: np.sum(passthrough(a)))(np.ones(3))
CASES.update({f"backward over a node without .{f}": node_without(f) for f in ("op", "params", "ans", "custom")})

def ufunc_without(field):
    u = type(np.sin)("sin")
    delattr(u, field)
    return u(np.ones(3))
CASES.update({f"a ufunc without .{f}": (lambda f=f: ufunc_without(f)) for f in ("_op", "_kernel")})
with onp.errstate(all="ignore"):
    for name, case in CASES.items():
        try:
            got = "returned " + type(case()).__name__
        except Exception as e:
            got = "raised " + type(e).__name__
        print(f"{name}: {got}", flush=True)
"""


def test_objects_python_can_build_fail_as_in_pure_python():
    c, pure = _run({}, ODD_OBJECTS_SCRIPT).splitlines(), _run({"NPFLOW_PURE_PYTHON": "1"}, ODD_OBJECTS_SCRIPT).splitlines()
    assert [line for line in c if line not in pure] == []
    assert len(c) == len(pure) > 150


def test_core_suites_pass_in_pure_python():
    """The array, ufunc, dispatch and autodiff suites also pass without the accelerator."""
    if os.environ.get("NPFLOW_PURE_PYTHON"):
        pytest.skip("already in pure-Python mode")
    suites = [s for s in ("tests/test_ndarray.py", "tests/test_ufuncs.py", "tests/test_dispatch.py",
                          "tests/test_fastpath.py", "tests/test_autodiff.py", "tests/test_tape.py",
                          "tests/test_threads.py") if os.path.exists(os.path.join(ROOT, s))]
    env = dict(os.environ, NPFLOW_PURE_PYTHON="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *suites],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


ADDRESSES = [16 * int(a) for a in onp.random.default_rng(7).integers(2**30, 2**43, 200)]


@pytest.mark.skipif(dispatch._fastpath is None, reason="the C accelerator is not built")
@settings(max_examples=100, deadline=None)
@given(st.permutations(ADDRESSES), st.data())
def test_version_table_is_a_mapping(keys, data):
    """dispatch.versions (a hash table on addresses, with backward-shift deletion) behaves as a
    dict from id() to counter, through collisions, growth, and deletions inside runs."""
    table, model = dispatch._fastpath.VersionTable(), {}
    n = data.draw(st.integers(1, len(keys)))
    for key in keys[:n]:
        table[key] = model[key] = dispatch.RootVersion(key)
    for step, key in enumerate(data.draw(st.lists(st.sampled_from(keys), max_size=2 * n))):
        if step % 3 == 2:   # (every third step puts back)
            table[key] = model[key] = dispatch.RootVersion(key)
        elif key in model:
            del table[key], model[key]
        else:
            with pytest.raises(KeyError):
                del table[key]
        assert len(table) == len(model)
        assert all(table.get(k) is model.get(k) and (k in table) == (k in model) for k in keys)
    assert all(table[k] is v and v.key == k for k, v in model.items())
