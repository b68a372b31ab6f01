"""Loop re-rolling (npflow/jit/reroll.py): Python loops that tracing unrolled become scan nodes.

The rolled graph runs the traced kernels in the traced order, so its NumPy replay gives the
unrolled graph's values bit for bit (asserted here against eager npflow on two inputs, the one
traced and another); values of the run read after it come back stacked; a run that cannot be a
loop (values of older periods, writes, a returned view) stays unrolled. The default backend
(numba installed) compiles the rolled loops: values within numba's tolerance."""
import numpy
import pytest

import npflow as np
from npflow.jit import reroll as rr
from npflow.jit.replay import compile_graph, interpret
from support import assert_same


def _rnn(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def _states(W, xs, h):
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        hs.append(h)
    return np.stack(hs), h


def _every_other(W, xs, h):  # an index advancing by 2, read from the end
    for t in range(xs.shape[0] - 1, 0, -2):
        h = np.sin(W @ h) * xs[t] + xs[t - 1, :3].sum()
    return h


def _two_carries(W, xs, h):  # a pair of carries, and a tuple-output op in the body
    g = h * 0.5
    for t in range(xs.shape[0]):
        m, e = np.frexp(h + xs[t])
        h, g = np.tanh(W @ g + m) * e, h
    return h - g


def _first_differs(W, xs, h):  # period 0 reads W.T made before the loop, as every period does
    WT = W.T
    for t in range(xs.shape[0]):
        h = np.cos(WT @ h) + xs[t]
    return h


def _written_after(W, xs, h):  # the loop's last value written in place afterwards
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    h += 1.0
    return h


def _returns_view(W, xs, h):  # a view of an argument among the outputs: its period not rolled
    outs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        outs.append(xs[t])
    return h, outs[3]


PROGRAMS = {  # name -> (function, runs rolled, runs the default backend compiles with numba)
    "rnn": (_rnn, 1, 1),
    "rnn_grad": (np.grad(_rnn), 2, 2),  # the forward loop, and the reverse pass reading its states
    "states": (_states, 1, 1),  # (np.stack's reshapes of the states: views alone, not rolled)
    "every_other": (_every_other, 1, 1),
    "two_carries": (_two_carries, 1, 0),  # (frexp has no numba source: not rolled for numba)
    "first_differs": (_first_differs, 1, 1),
    "written_after": (_written_after, 1, 1),
    "returns_view": (_returns_view, 1, 1),  # (from the period after the view returned)
}


def _args(seed, steps=24):
    rng = numpy.random.default_rng(seed)
    return [np.asarray(0.5 * rng.standard_normal(s)) for s in ((4, 4), (steps, 4), (4,))]


def _rolled(fun, args):
    """(the replay's traced graph, rolled; its runner; how many runs rolled)."""
    jf = np.jit(fun, backend="replay")
    graph = jf.trace(*args)
    n = rr.reroll(graph)
    return graph, compile_graph(graph), n


def _leaves(x):
    return [x] if isinstance(x, np.ndarray) else [e for v in x for e in _leaves(v)]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_rolled_replay_is_bit_identical(name):
    fun, runs, _ = PROGRAMS[name]
    graph, run, n = _rolled(fun, _args(0))
    assert n == runs and graph.count("scan") >= runs, graph
    for seed in (0, 1):
        args = _args(seed)
        got, want = run(*[a._data for a in args]), _leaves(fun(*args))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(np.asarray(g), numpy.asarray(w))


def test_rolling_shrinks_the_gradient_graph():
    graph, _, _ = _rolled(np.grad(_rnn), _args(0, steps=200))
    assert len(graph.nodes) < 20, graph  # (2200 unrolled)


@pytest.mark.parametrize("steps", [rr.MIN_ITERS - 1, rr.MIN_ITERS])
def test_short_loops_stay_unrolled(steps, monkeypatch):
    monkeypatch.setattr(rr, "MIN_NODES", 1)
    graph, _, n = _rolled(_rnn, _args(0, steps))
    assert n == (steps >= rr.MIN_ITERS) and graph.count("scan") == n


def test_gradients_through_a_rolled_graph():
    """Under autodiff a graph runs op by op (``interpret``): a rolled run as the eager scan,
    whose gradients (reverse and forward) are eager npflow's."""
    W, xs, h = _args(2)
    graph, _, n = _rolled(_rnn, (W, xs, h))
    assert n == 1

    def rolled(W):
        return interpret(graph, [W, xs, h])[0]
    assert_same(np.grad(rolled)(W), numpy.asarray(np.grad(_rnn)(W, xs, h)), rtol=1e-12)
    V = np.ones((4, 4))
    assert_same(np.jvp(rolled, (W,), (V,))[1], numpy.asarray(np.jvp(lambda W: _rnn(W, xs, h), (W,), (V,))[1]),
                rtol=1e-12)


numba = pytest.importorskip("numba")


@pytest.fixture
def numba_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NPFLOW_NUMBA_CACHE", str(tmp_path))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_default_backend_compiles_rolled_loops(name, numba_cache):
    fun, _, runs = PROGRAMS[name]
    jf = np.jit(fun)
    for seed in (0, 1):
        args = _args(seed)
        got, want = _leaves(jf(*args)), _leaves(fun(*args))
        for g, w in zip(got, want):
            assert_same(g, numpy.asarray(w), rtol=1e-12, atol=1e-15)
    (entries,) = jf.cache.values()
    fast = entries[0].fast
    assert sum(label.startswith("numba[scan") for label in getattr(fast, "numba_segments", ())) == runs, fast


def test_large_arrays_stay_numpy(numba_cache):
    """A loop over large arrays is bound by its kernels (NumPy's SIMD ones are faster than
    numba's): the default backend neither rolls nor compiles it."""
    def f(x):
        for _ in range(8):
            x = np.sin(x) * 0.5 + x
        return x
    jf = np.jit(f)
    x = np.linspace(0, 1, 2 * 4096)
    assert_same(jf(x), numpy.asarray(f(x)))
    (entries,) = jf.cache.values()
    assert entries[0].fast.count("scan") == 0 and not getattr(entries[0].fast, "numba_segments", ())
