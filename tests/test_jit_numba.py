"""npflow.jit(..., backend="numba"): whole graphs compiled with numba (npflow/jit/numba_graph.py).

A compiled function gives eager npflow's dtypes and shapes exactly and its values within the
fused-kernel tolerance (TOLERANCE); loops and branches of the control-flow forms become part
of one compiled segment (asserted on the compiled graph, so a silent fallback to the NumPy
replay fails); unsupported ops split segments; errors are NumPy's."""
import numpy as onp
import pytest

numba = pytest.importorskip("numba")

import npflow as nf  # noqa: E402
from npflow.autodiff.pytree import flatten  # noqa: E402
from npflow.jit import JitError, numba_backend, numba_graph  # noqa: E402
from npflow.jit.passes import optimize  # noqa: E402
from gradspecs import all_cases  # noqa: E402
from support import assert_same, make  # noqa: E402
from test_control_flow import PROGRAMS  # noqa: E402
from test_jit_gradients import _expected_error  # noqa: E402

# relative tolerance by dtype: numba's math routines and summation order against NumPy's
TOLERANCE = {"float64": 1e-12, "float32": 1e-5, "complex128": 1e-12, "complex64": 1e-5}


@pytest.fixture(autouse=True, scope="module")
def _cache(tmp_path_factory):
    """Compiled segments cached on disk for this module only (the module's kernels are shared
    in memory by source)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NPFLOW_NUMBA_CACHE", str(tmp_path_factory.mktemp("numba")))
    yield
    mp.undo()


def _compiled(jf):
    """The graph a jitted function's (one) traced signature runs."""
    (entries,) = jf.cache.values()
    return entries[0].fast


def _close(got, want):
    g, w = flatten(got)[0], flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        if isinstance(b, nf.ndarray):
            b = onp.asarray(b)
            rtol = TOLERANCE.get(b.dtype.name, 0.0)
            assert_same(a, b, rtol=rtol, atol=rtol * 1e-3 if rtol else 0.0)
        elif isinstance(b, (int, float, complex)) and not isinstance(b, bool):
            assert a == b  # (a loop's Python scalar: a 0-d array in a graph)
        else:
            assert a == b


# -- the registry walk: one case per op (and one with complex operands where it has one) ----
def _walk_cases():
    seen, cases = set(), []
    for case in all_cases():
        key = (case.op, any(onp.asarray(a).dtype.kind == "c" for a in case.args))
        if key in seen or _expected_error(case) is not None:
            continue
        seen.add(key)
        cases.append(case)
    return cases


WALK = _walk_cases()


def _other(a, k):
    rng = onp.random.default_rng(100 + k)
    return a + 1e-2 * rng.uniform(-1, 1, onp.shape(a))


_WALK_STATE = {"modules": {}, "ufuncs": {}, "helpers": None}


@pytest.fixture
def _unoptimized():
    """The walk compiles some 600 distinct segments: with LLVM's optimizations off (numba's
    NUMBA_OPT=0) they compile 2.4x faster and mean the same (no fastmath: the optimizations keep
    IEEE results; signed overflow, which numba leaves undefined to LLVM, is tested optimized by
    test_integer_division_power_and_shifts_are_numpy_s). The walk's compiled segments, fused
    ufuncs and helpers are its own, in memory only: no unoptimized code reaches another test or
    a disk cache."""
    from numba.core import config
    mp = pytest.MonkeyPatch()
    mp.setattr(config, "OPT", type(config.OPT)(0))
    mp.setenv("NPFLOW_NUMBA_CACHE", "0")
    mp.setattr(numba_graph, "_MODULES", _WALK_STATE["modules"])
    mp.setattr(numba_backend, "_CACHE", _WALK_STATE["ufuncs"])
    mp.setattr(numba_graph, "_HELPERS", _WALK_STATE["helpers"])
    try:
        yield
    finally:
        _WALK_STATE["helpers"] = numba_graph._HELPERS
        mp.undo()


@pytest.mark.usefixtures("_unoptimized")
@pytest.mark.parametrize("case", WALK, ids=[c.id for c in WALK])
def test_registry_walk_under_numba(case):
    args = tuple(nf.asarray(a) for a in case.args)
    other = tuple(nf.asarray(_other(a, k)) for k, a in enumerate(case.args))
    jf = nf.jit(case.fn, backend="numba")
    try:
        want = case.fn(*args)
    except Exception as e:  # (jit's own errors are tested in test_jit_gradients)
        with pytest.raises(type(e)):
            jf(*args)
        return
    _close(jf(*args), want)
    if jf.trace_count == 1:
        _close(jf(*other), case.fn(*other))


@pytest.mark.usefixtures("_unoptimized")
def test_the_walk_compiles_most_ops():
    """The walk is not vacuous: most of its ops run inside compiled segments."""
    compiled = 0
    for case in WALK[:40]:
        args = tuple(nf.asarray(a) for a in case.args)
        try:
            graph = nf.jit(case.fn).trace(*args)
        except Exception:
            continue
        optimize(graph)
        compiled += bool(getattr(numba_graph.compile(graph), "numba_segments", None))
    assert compiled >= 15


# -- control flow: loops and branches compiled --------------------------------------------
LOOPS = {"cond_tree": "cond", "while_tree": "while_loop", "while_data": "while_loop",
         "fori_euler": "fori_loop", "fori_tree": "fori_loop", "scan": "scan", "scan_reverse": "scan",
         "scan_tree_xs": "scan", "map": "map", "map_tree": "map", "switch": None}


@pytest.mark.parametrize("name", sorted(LOOPS))
@pytest.mark.parametrize("dtype", [onp.float64, onp.float32])
def test_control_flow_compiles_to_one_segment(name, dtype):
    x = nf.asarray(make((3, 2), dtype, seed=len(name)))
    fn = lambda v: PROGRAMS[name](nf, nf, v)  # noqa: E731
    jf = nf.jit(fn, backend="numba")
    for v in (x, x * 0.7 + 0.2):
        _close(jf(v), fn(v))
    graph = _compiled(jf)
    loop = LOOPS[name]
    if loop is not None and nf.jit(fn).trace(x).count(loop):  # (a graph node when traced)
        assert not any(n.name == loop for n in graph.nodes), graph  # (not a replayed loop)
        assert any(loop in label for label in graph.numba_segments), graph


def test_recurrence_loop_is_one_compiled_function():
    def rnn(W, xs, h):
        return nf.sum(nf.fori_loop(0, xs.shape[0], lambda t, h: nf.tanh(W @ h + xs[t]), h))
    rng = onp.random.default_rng(0)
    args = [nf.asarray(0.5 * rng.standard_normal(s)) for s in ((4, 4), (50, 4), (4,))]
    jf = nf.jit(rnn, backend="numba")
    _close(jf(*args), rnn(*args))
    graph = _compiled(jf)
    assert len(graph.nodes) == 1 and graph.numba_segments[0].startswith("numba[fori_loop")


def test_a_traced_index_out_of_range_raises():
    """numba does not check indices: a traced index is bounds-checked (IndexError, as eager)."""
    def f(x, n):
        return nf.fori_loop(0, n, lambda i, c: c + x[i], nf.zeros(2))
    x = nf.ones((3, 2))
    jf = nf.jit(f, backend="numba")
    _close(jf(x, nf.asarray(3)), f(x, nf.asarray(3)))
    assert "fori_loop" in _compiled(jf).numba_segments[0]
    with pytest.raises(IndexError):
        f(x, nf.asarray(4))
    with pytest.raises(IndexError):
        jf(x, nf.asarray(4))


def test_unsupported_ops_split_segments():
    def f(x):
        y = nf.tanh(x * 2.0 + 1.0)
        z = nf.sort(y, axis=0)  # (not compiled: NumPy between the segments)
        return nf.exp(-z) * y
    x = nf.asarray(make((5, 3), onp.float64, seed=2))
    jf = nf.jit(f, backend="numba")
    _close(jf(x), f(x))
    graph = _compiled(jf)
    assert [n.name.startswith("numba[") for n in graph.nodes] == [True, False, True]


# ops that compile (asserted: none of them is left as a replayed node), one graph per group
def _x(dtype=onp.float64):
    return (nf.asarray(make((3, 4, 5), dtype, seed=4)),)


COMPILED_OPS = {
    "reductions over axes": (
        lambda x: (nf.sum(x, axis=(0, 2)), nf.mean(x, axis=(1, 2), keepdims=True),
                   nf.max(x, axis=(0, 2)), nf.min(x, axis=None, keepdims=True), nf.prod(x, axis=(0, 1)),
                   nf.sum(x, axis=-1, keepdims=True), nf.any(x > 1, axis=(0, 2)), nf.all(x > -2, axis=1),
                   nf.any(x > 2.9)), _x, ("sum", "mean", "max", "min", "prod", "any", "all")),
    "integer reductions": (
        lambda x: (nf.sum(x, axis=(0, 1)), nf.prod(x, axis=2, keepdims=True), nf.max(x, axis=(1, 2)),
                   nf.argmin(x, axis=0)), lambda: _x(onp.int8), ("sum", "prod", "max", "argmin")),
    "argmax and argmin": (
        lambda x: (nf.argmax(x, axis=1), nf.argmin(x), nf.argmax(x, axis=-1, keepdims=True), nf.argmax(x)),
        _x, ("argmax", "argmin")),
    "views, stack and concatenate": (
        lambda x: (nf.ravel(x), nf.squeeze(x[None], 0), nf.expand_dims(x, 1) * 2, nf.reshape(nf.sum(x), (1,)),
                   nf.reshape(x[:1, :1, 0], ()), nf.stack([x, x * 2], axis=2), nf.concatenate([x, -x], axis=1)),
        _x, ("ravel", "reshape", "concatenate")),
    "complex": (
        lambda c: (c * c + (1 - 2j), nf.abs(c), nf.exp(c), nf.conj(c), c.real, c.imag, -c,
                   nf.sum(c, axis=(0, 1)), nf.mean(c, axis=2), c[0, 1:3], nf.where(c.real > 0, c, 1j),
                   nf.real(c.real), nf.imag(c.real)),
        lambda: _x(onp.complex128), ("multiply", "add", "absolute", "exp", "conjugate", "real", "imag", "sum")),
    "complex64": (lambda c: (c * 2 - c, nf.abs(c), nf.exp(c)), lambda: _x(onp.complex64),
                  ("multiply", "subtract", "absolute", "exp")),
    "creation, casts and dot": (
        lambda x: (nf.zeros((3, 2)) + x[0, :2, 0], nf.ones((2,), "int32") * 3, nf.full((2, 2), 1.5) - x[0, :2, :2],
                   x.astype("float32"), (x > 0).astype("int8"), (x > 0).astype("int64").astype("complex128"),
                   nf.dot(x[0], x[1].T), nf.dot(x[0, 0], x[0, 1]), nf.dot(x[1], x[2, 0]) + nf.asarray(onp.ones(4))),
        _x, ("astype", "dot", "asarray")),
    "index arrays": (
        lambda x, i: (x[i], x[0, 0][i[0]] * 2, x[i[1]]),
        lambda: _x() + (nf.asarray([[0, -1], [2, 1]]),), ("getitem",)),
}


def _assert_compiled(graph, ops, traced=None):
    """Every node of ``ops`` (all of them in the optimized ``traced`` graph) runs inside a
    compiled segment."""
    if traced is not None:
        optimize(traced)
        assert set(ops) <= {n.name for n in traced.nodes}, traced
    assert graph.numba_segments, graph
    left = [n.name for n in graph.nodes if n.name in ops]
    assert not left, f"replayed, not compiled: {left}\n{graph}"


@pytest.mark.parametrize("name", sorted(COMPILED_OPS))
def test_ops_compile_and_give_eager_values(name):
    fn, make_args, ops = COMPILED_OPS[name]
    args = make_args()
    jf = nf.jit(fn, backend="numba")
    _close(jf(*args), fn(*args))
    _assert_compiled(_compiled(jf), ops, nf.jit(fn).trace(*args))


def _integer_operands(dtype):
    """Every pair of 8-bit values; the corner values of wider types."""
    info = onp.iinfo(dtype)
    if info.bits == 8:
        v = onp.arange(info.min, info.max + 1)
    else:
        v = onp.array(sorted(k for k in {info.min, info.min + 1, -65, -64, -9, -8, -7, -1, 0, 1, 2, 3, 7, 8, 9,
                                         15, 16, 31, 32, 33, 63, 64, 65, info.max - 1, info.max}
                             if info.min <= k <= info.max))
    a, b = (w.ravel().astype(dtype) for w in onp.meshgrid(v, v))
    return a, b, onp.where(b > 20, b % 21, b) * (b >= 0)  # (non-negative exponents that stay fast)


INTEGER_OPS = ("floor_divide", "remainder", "power", "left_shift", "right_shift")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"])
def test_integer_division_power_and_shifts_are_numpy_s(dtype):
    """numba's own integer kernels differ from NumPy's (MIN // -1, % by -1, power's overflow,
    shift counts past the width): the compiled ones give NumPy's bits on every corner. A
    division compiles by a constant NumPy does not warn about (neither 0 nor, dividing, -1)."""
    info = onp.iinfo(dtype)
    divisors = [d for d in (1, 2, 3, 7, 64, -1, -2, -3, -7, -64, info.min, info.max) if d and info.min <= d <= info.max]

    def fn(a, b, e):
        return (a ** e, a << b, a >> b, *[a // d for d in divisors if d != -1], *[a % d for d in divisors],
                nf.remainder(b, a[3]), a // b)  # (by a value, maybe 0: replayed, eager's warnings)
    args = tuple(nf.asarray(v) for v in _integer_operands(onp.dtype(dtype)))
    jf = nf.jit(fn, backend="numba")
    _close(jf(*args), fn(*args))
    graph = _compiled(jf)  # (replayed: uint64's power, the divisions by a value)
    _assert_compiled(graph, set(INTEGER_OPS) - {"floor_divide", "remainder"} - ({"power"} if dtype == "uint64" else set()),
                     nf.jit(fn).trace(*args))
    assert [n.name for n in graph.nodes if not n.name.startswith("numba[")] == \
        ["power"] * (dtype == "uint64") + ["remainder", "floor_divide"], graph


@pytest.mark.parametrize("name", ["negative exponent", "index array out of range"])
def test_value_errors_are_eager_s(name):
    """Compiled ops that fail on values raise eager npflow's exception."""
    fn, good, bad, error = {
        "negative exponent": (lambda x, e: x ** e, onp.array([2, 0, 5]), onp.array([2, -1, 1]), ValueError),
        "index array out of range": (lambda x, i: x[i] * 2, onp.array([-3, 2]), onp.array([0, 3]), IndexError),
    }[name]
    x = nf.asarray(onp.arange(3))
    jf = nf.jit(fn, backend="numba")
    _close(jf(x, nf.asarray(good)), fn(x, nf.asarray(good)))
    assert _compiled(jf).numba_segments
    for f in (fn, jf):
        with pytest.raises(error):
            f(x, nf.asarray(bad))


# dtypes NumPy's promotion gives and numba's would not (Python scalars are weak, NEP 50)
DTYPE_PROGRAMS = {
    "float32 * python float": (lambda x: x * 0.1 + 2, onp.float32),
    "float32 comparison": (lambda x: nf.where(x > 0.1, x, 0.5), onp.float32),
    "int32 + python int": (lambda x: x + 3 - x * 2, onp.int32),
    "int true division": (lambda x: x / 2, onp.int64),
    "int8 sum": (lambda x: nf.sum(x * 2, axis=0), onp.int8),
    "float32 mean": (lambda x: nf.mean(x, axis=1) * 2.0, onp.float32),
    "bool logic": (lambda x: nf.logical_and(x > 0, x < 0.5), onp.float64),
    "uint8 max": (lambda x: nf.max(x, axis=1) + 1, onp.uint8),
}


@pytest.mark.parametrize("name", sorted(DTYPE_PROGRAMS))
def test_dtypes_are_eager_npflow_s(name):
    fn, dtype = DTYPE_PROGRAMS[name]
    x = nf.asarray(make((4, 3), dtype, seed=3))
    _close(nf.jit(fn, backend="numba")(x), fn(x))


def test_nan_and_inf_are_numpy_s():
    x = nf.asarray([[1.0, onp.nan, -1.0], [0.0, 2.0, onp.inf]])
    fn = lambda v: (nf.max(v, axis=1), nf.min(v, axis=0), nf.max(v), nf.log(v) / v,  # noqa: E731
                    nf.argmax(v, axis=1), nf.argmin(v[::-1], axis=1), nf.max(v, axis=(0, 1), keepdims=True))
    with onp.errstate(all="ignore"):
        want = fn(x)
        _close(nf.jit(fn, backend="numba")(x), want)


def test_without_numba_backend_numba_raises(monkeypatch):
    monkeypatch.setattr(numba_backend, "available", lambda: False)
    with pytest.raises(JitError, match=r"jit\(my_function, backend='numba'\): numba is not installed"):
        def my_function(x):
            return x + 1
        nf.jit(my_function, backend="numba")(nf.ones(3))
