"""Loop re-rolling (npflow/jit/reroll.py): Python loops that tracing unrolled become scan nodes.

The rolled graph runs the traced kernels in the traced order, so its NumPy replay gives the
unrolled graph's values bit for bit (asserted here against eager npflow on two inputs, the one
traced and another); values of the run read after it come back stacked; a run that cannot be a
loop (values of older periods, writes, a returned view) stays unrolled. The default backend
(numba installed) compiles the rolled loops: values within numba's tolerance."""
import importlib

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


def _written_before(W, xs, h):  # an in-place write (a node with no result) before the loop
    h = h.copy()
    h[0] = 0.0
    return _rnn(W, xs, h)


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
    "written_before": (_written_before, 1, 1),
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


@pytest.fixture
def numba_cache(tmp_path, monkeypatch):
    """numba installed (else the test is skipped), its disk cache in a fresh folder."""
    pytest.importorskip("numba")
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


# -- random loops: rolled or not, the replay is eager's bit for bit ---------------------------
STEP_OPS = [  # (new value from the loop's values: h carry, g older carry, x this period's row)
    lambda h, g, x, W: np.tanh(W @ h + x),
    lambda h, g, x, W: h * 0.5 + g,
    lambda h, g, x, W: np.sin(h) * x,
    lambda h, g, x, W: h - x[::-1],
    lambda h, g, x, W: np.maximum(h, g) + x.sum(),
    lambda h, g, x, W: np.exp(-h * h) @ W,
    lambda h, g, x, W: np.where(h > 0, h, g * 2),
]


def _random_loop(seed):
    """A Python loop drawn from ``seed``: a body of 1-4 steps, 2-3 carries (one from two periods
    back, which cuts a run), xs read forward, backward or every other row, and values read after
    the loop at random periods."""
    rng = numpy.random.default_rng(seed)
    ops = [STEP_OPS[i] for i in rng.integers(0, len(STEP_OPS), rng.integers(1, 5))]
    order = ["forward", "backward", "every_other"][rng.integers(0, 3)]
    back2 = rng.random() < 0.3
    keep = sorted(set(rng.integers(0, 10, 3).tolist()))

    def f(W, xs, h):
        g, seen = h * 0.25, []
        ts = {"forward": range(xs.shape[0]), "backward": range(xs.shape[0] - 1, -1, -1),
              "every_other": range(0, xs.shape[0], 2)}[order]
        older = g
        for t in ts:
            new = h
            for op in ops:
                new = op(new, older if back2 else g, xs[t], W)
            older, g, h = g, h, new
            seen.append(h)
        return h + g, [seen[k] for k in keep if k < len(seen)]
    return f


@pytest.mark.parametrize("seed", range(24))
def test_random_loops_roll_bit_identically(seed, monkeypatch):
    monkeypatch.setattr(rr, "MIN_NODES", 8)
    fun = _random_loop(seed)
    args = _args(seed, steps=16)
    graph, run, _ = _rolled(fun, args)
    for s in (seed, seed + 100):
        args = _args(s, steps=16)
        got, want = run(*[a._data for a in args]), _leaves(fun(*args))
        for g, w in zip(got, want):
            assert_same(np.asarray(g), numpy.asarray(w))
    jg = np.jit(np.grad(lambda W, xs, h: np.sum(fun(W, xs, h)[0])), backend="replay")
    gr = jg.trace(*args)
    rr.reroll(gr)
    assert_same(np.asarray(compile_graph(gr)(*[a._data for a in args])[0]),
                numpy.asarray(np.grad(lambda W, xs, h: np.sum(fun(W, xs, h)[0]))(*args)))


def test_random_loops_mostly_roll(monkeypatch):
    """(The random loops above are loops: most roll; a value from two periods back does not.)"""
    monkeypatch.setattr(rr, "MIN_NODES", 8)
    rolled = [_rolled(_random_loop(seed), _args(seed, steps=16))[2] for seed in range(24)]
    assert sum(rolled) >= 16, rolled


@pytest.mark.parametrize("seed", range(4))
def test_random_loops_under_the_default_backend(seed, numba_cache):
    fun = _random_loop(seed)
    jf = np.jit(fun)
    for s in (seed, seed + 100):
        args = _args(s, steps=16)
        for g, w in zip(_leaves(jf(*args)), _leaves(fun(*args))):
            assert_same(g, numpy.asarray(w), rtol=1e-12, atol=1e-15)


def test_without_numba_the_default_is_the_replay(monkeypatch):
    """Without numba nothing is rolled (a rolled loop replays slower than the unrolled ops)."""
    monkeypatch.setattr(importlib.import_module("npflow.jit"), "_NUMBA", [False])
    jf = np.jit(_rnn)
    args = _args(0)
    assert_same(jf(*args), numpy.asarray(_rnn(*args)))
    (entries,) = jf.cache.values()
    assert entries[0].fast.count("scan") == 0 and len(entries[0].fast.nodes) > 4 * 24


# -- floating-point exceptions in compiled segments: NumPy's warnings and errors --------------
def _log_loop(x):
    for _ in range(30):
        x = np.log(x * 0.5) * 0.0 + x * 0.5
    return x


def _log_line(x):
    return np.log(x * 0.5) * 0.0 + np.exp(x * 800.0)


FPE_CASES = {  # name -> (function, backend, input)
    "default-loop": (_log_loop, None, [1.0, 0.0, 2.0, 3.0]),
    "numba-segment": (_log_line, "numba", [1.0, 0.0, 2.0, 3.0]),
    "numba-chain": (_log_line, "numba", [1.0, 0.0, 2.0, 3.0] * 64),
}


def _outcome(fun, x, **errstate):
    """(values or the exception's type, the warnings' messages) of ``fun(x)``."""
    import warnings
    with warnings.catch_warnings(record=True) as caught, numpy.errstate(**errstate):
        warnings.simplefilter("always")
        try:
            r = numpy.asarray(fun(x))
        except FloatingPointError as e:
            r = type(e)
    return r, sorted({str(w.message) for w in caught})


@pytest.mark.parametrize("flags", ["read", "unreadable"])
@pytest.mark.parametrize("errstate", [{"all": "warn"}, {"all": "warn", "divide": "raise"}, {"over": "raise", "divide": "ignore"},
                                      {"all": "ignore"}], ids=["warn", "raise", "over-raise", "ignore"])
@pytest.mark.parametrize("name", sorted(FPE_CASES))
def test_errstate_is_eager_s_in_compiled_segments(name, errstate, flags, numba_cache, monkeypatch):
    """A compiled segment that raised a floating-point exception errstate does not ignore runs
    again as the NumPy replay: eager's warnings, errors and values. (Where the flags cannot be
    read, errstate's errors still are eager's; warnings are not given.)"""
    from npflow.jit import fpe, numba_backend
    if flags == "unreadable":
        monkeypatch.setattr(fpe, "_FLAGS", None)
    monkeypatch.setattr(numba_backend, "MIN_SIZE", 64)
    monkeypatch.setattr(numba_backend, "PARALLEL_SIZE", 128)
    fun, backend, values = FPE_CASES[name]
    x = np.asarray(values)
    jf = np.jit(fun, backend=backend)
    with numpy.errstate(all="ignore"):
        jf(x)  # (traced and compiled)
    (entries,) = jf.cache.values()
    fast = entries[0].fast
    assert getattr(fast, "numba_segments", None) or any(n.name.startswith("fused") for n in fast.nodes), fast
    got, want = _outcome(jf, x, **errstate), _outcome(fun, x, **errstate)
    if isinstance(want[0], type):
        assert got[0] is want[0]
    else:
        assert_same(np.asarray(got[0]), want[0])
    assert got[1] == want[1] or flags == "unreadable" and not got[1]
