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


# -- the registry walk: one case per op that compiles (value, and jit of its gradient) ------
def _walk_cases():
    seen, cases = set(), []
    for case in all_cases():
        if case.op in seen or _expected_error(case) is not None or \
                any(onp.asarray(a).dtype.kind == "c" for a in case.args):
            continue
        seen.add(case.op)
        cases.append(case)
    return cases


WALK = _walk_cases()


def _other(a, k):
    rng = onp.random.default_rng(100 + k)
    return a + 1e-2 * rng.uniform(-1, 1, onp.shape(a))


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


def test_the_walk_compiles_most_ops():
    """The walk is not vacuous: most of its ops run inside compiled segments."""
    compiled = 0
    for case in WALK[:40]:
        args = tuple(nf.asarray(a) for a in case.args)
        try:
            graph = nf.jit(case.fn).trace(*args)
        except Exception:
            continue
        from npflow.jit.passes import optimize
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
    fn = lambda v: (nf.max(v, axis=1), nf.min(v, axis=0), nf.max(v), nf.log(v) / v)  # noqa: E731
    with onp.errstate(all="ignore"):
        want = fn(x)
        _close(nf.jit(fn, backend="numba")(x), want)


def test_without_numba_backend_numba_raises(monkeypatch):
    monkeypatch.setattr(numba_backend, "available", lambda: False)
    with pytest.raises(JitError, match=r"jit\(my_function, backend='numba'\): numba is not installed"):
        def my_function(x):
            return x + 1
        nf.jit(my_function, backend="numba")(nf.ones(3))
