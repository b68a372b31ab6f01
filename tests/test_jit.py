"""npflow.jit: tracing, the signature cache, the graph listing, the errors a graph raises
instead of giving another answer than eager npflow, in-place writes and views, composition
with autodiff. The registry walk (every gradient spec under jit) is test_jit_gradients.py."""
import importlib.util

import numpy as onp
import pytest

import npflow as np
from npflow._core import dispatch
from npflow.autodiff.pytree import flatten
from npflow.jit import ConcretizationError, JitError, ValueDependentShapeError
from npflow.optimizers import Adam, apply_updates
from support import DEVICES, assert_same, load_example

RNG = onp.random.default_rng(0)
X = np.asarray(RNG.uniform(-1, 1, (3, 4)))
Y = np.asarray(RNG.uniform(-1, 1, (3, 4)))


def _same(got, want):
    g, w = flatten(got)[0], flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        if isinstance(b, np.ndarray):
            assert_same(a, onp.asarray(b), rtol=1e-13, atol=1e-13)
        else:
            assert type(a) is type(b) and a == b


def _chain(x, y):
    return np.exp(-x * x) * y + np.sin(x)


# -- the signature and the cache ------------------------------------------------------------
# (arguments of a second call, whether it traces again)
SIGNATURES = [
    ("same signature, other values", (X + 1, Y), False),
    ("other shape", (X[:2], Y[:2]), True),
    ("other dtype", (X.astype(np.float32), Y), True),
    ("a NumPy array for an npflow one", (onp.asarray(X), Y), True),
    ("other device", (X.to_device("sim"), Y.to_device("sim")), True),
    ("a Python scalar (static by value)", (X, 2.0), True),
    ("a pytree of another structure", ((X,), Y), True),
]


@pytest.mark.parametrize("label, args, retraces", SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_retrace_exactly_when_the_signature_changes(label, args, retraces):
    f = np.jit(lambda x, y: _chain(flatten(x)[0][0], y))
    f(X, Y)
    _same(f(*args), _chain(flatten(args[0])[0][0], args[1]))
    assert f.trace_count == 1 + retraces
    f(*args)
    assert f.trace_count == 1 + retraces  # (now cached)


def test_python_scalars_and_static_arguments():
    f = np.jit(lambda x, n, *, mode: x * n if mode == "mul" else x + n, static_argnames="mode")
    for n, mode in [(2.0, "mul"), (2.0, "mul"), (3.0, "mul"), (3.0, "add")]:
        _same(f(X, n, mode=mode), X * n if mode == "mul" else X + n)
    assert f.trace_count == 3
    g = np.jit(lambda x, k: x[:k].sum(), static_argnums=1)
    _same(g(X, 2), X[:2].sum())
    _same(g(X + 1, 2), (X + 1)[:2].sum())
    assert g.trace_count == 1
    with pytest.raises(TypeError, match="neither an array nor hashable"):
        np.jit(lambda x, s: x)(X, {1, 2})


def test_the_graph_prints_like_a_jaxpr():
    f = np.jit(_chain)
    text = str(f.trace(X, Y))
    assert f.trace_count == 1 and f(X, Y) is not None and f.trace_count == 1
    lines = text.splitlines()
    assert lines[0] == "{ lambda ; a:float64[3,4] b:float64[3,4]. let"
    assert lines[1:] == ["    c:float64[3,4] = negative a", "    d:float64[3,4] = multiply c a",
                         "    e:float64[3,4] = exp d", "    f:float64[3,4] = multiply e b",
                         "    g:float64[3,4] = sin a", "    h:float64[3,4] = add f g", "  in (h,) }"]


def test_disable_jit(monkeypatch):
    seen = []
    f = np.jit(lambda x: seen.append(1) or x * 2)
    f(X)
    f(X)
    assert seen == [1]
    monkeypatch.setenv("NPFLOW_DISABLE_JIT", "1")
    _same(f(X), X * 2)
    assert seen == [1, 1] and f.trace_count == 1


def test_outputs_keep_eager_identity_and_kinds():
    f = np.jit(lambda x, c: (x, x.sum(), c, 3, None, x.shape))
    c = np.ones(2)
    for arg in (X, X + 1):
        out = f(arg, c)
        assert out[0] is arg and out[2] is c and out[3:] == (3, None, (3, 4))
        _same(out[1], arg.sum())
        assert dispatch.is_scalar(out[1]._data)  # (a full reduction: a scalar, as in eager mode)


# -- what a graph cannot hold: errors naming the function and the line ----------------------
def _if(x):
    if x.sum() > 0:
        return x
    return -x


CONCRETE = [("bool", _if, "bool()"), ("float", lambda x: float(x.sum()) * x, "float()"),
            ("item", lambda x: x.sum().item() * x, ".item()"),
            ("int", lambda x: x[: int(x.sum() > 0)], "int()"),
            ("tolist", lambda x: x.tolist(), ".tolist()"),
            ("numpy", lambda x: onp.asarray(x) * 2, "numpy.asarray()"),
            ("loop bound", lambda x: [x for _ in range(int(x.max() * 3))], "int()")]


@pytest.mark.parametrize("label, fn, what", CONCRETE, ids=[c[0] for c in CONCRETE])
def test_python_control_flow_on_traced_values_raises(label, fn, what):
    with pytest.raises(ConcretizationError) as info:
        np.jit(fn)(X)
    msg = str(info.value)
    assert what in msg and "test_jit.py:" in msg and "cond" in msg and "while_loop" in msg


VALUE_SHAPED = [("mask", lambda x: x[x > 0], "getitem"), ("nonzero", lambda x: np.nonzero(x), "nonzero"),
                ("unique", lambda x: np.unique(x), "unique"),
                ("argwhere", lambda x: np.argwhere(x > 0), "argwhere")]


@pytest.mark.parametrize("label, fn, op", VALUE_SHAPED, ids=[c[0] for c in VALUE_SHAPED])
def test_value_dependent_shapes_raise(label, fn, op):
    with pytest.raises(ValueDependentShapeError, match=rf"{op}\(\): inside jit.*test_jit.py:"):
        np.jit(fn)(X)


def test_values_npflow_itself_branches_on_are_guarded():
    """npflow's own functions that check values (expm's scaling, a histogram's range) record a
    guard: the same graph while the value converts the same way, a new trace when it does not."""
    f = np.jit(lambda x: np.histogram(x, bins=3)[0])
    _same(f(X), np.histogram(X, bins=3)[0])
    _same(f(X * 0.5), np.histogram(X * 0.5, bins=3)[0])
    assert f.trace(X).count("guard") and f.trace_count == 2
    _same(f(X), np.histogram(X, bins=3)[0])  # (the first variant again: no new trace)
    assert f.trace_count == 2


def test_npflow_random_inside_jit_raises():
    """The rule for npflow.random's global state (README): a graph cannot hold it, so a draw
    inside a jitted function raises; draws are made outside and passed in."""
    with pytest.raises(JitError, match=r"normal\(\): npflow.random draws inside jit\(<lambda>\)"):
        np.jit(lambda x: x + np.random.normal(size=x.shape))(X)
    with pytest.raises(JitError, match="draws inside jit"):
        np.jit(lambda x: x + np.random.default_rng(0).uniform(size=3))(X)
    f = np.jit(lambda x, noise: x + noise)
    for _ in range(2):
        noise = np.random.normal(size=X.shape)
        _same(f(X, noise), X + noise)


def test_print_runs_at_trace_time_only(capsys):
    f = np.jit(lambda x: print("tracing", x.shape) or x + 1)
    f(X)
    f(X + 1)
    assert capsys.readouterr().out == "tracing (3, 4)\n"


# -- in-place writes and views ---------------------------------------------------------------
def _writes(x):
    y = x * 1
    y[0] = 0
    y[1:3] += x[0]
    v = y[:, ::2]
    v *= 2
    y.T[0] -= 1
    z = np.zeros(4)
    z[1:] = y[0, 1:]
    return y, z, v


def _into_argument(x, y):
    x[0] += y[0]
    x[1:] = np.where(y[1:] > 0, y[1:], x[1:])  # (a mask write: no value-dependent shape)
    x[y > 0.5] = -1.0
    return x.sum()


def test_in_place_writes_and_views_as_in_eager():
    f = np.jit(_writes)
    for a in (X, X + 2):
        _same(f(a), _writes(a))
    g = np.jit(_into_argument)
    for a in (X, Y, X * 3):
        mine, theirs = a.copy(), a.copy()
        _same(g(mine, Y), _into_argument(theirs, Y))
        _same(mine, theirs)  # (the argument was written, as in eager mode)
    assert f.trace_count == 1 and g.trace_count == 1


def test_captured_arrays_are_read_at_every_call():
    w = np.ones(4)
    f = np.jit(lambda x: x @ w)
    _same(f(X), X @ w)
    w[...] = 2.0
    _same(f(X), X @ w)


# -- composition with autodiff ---------------------------------------------------------------
def _loss(x, y):
    return np.sum(np.tanh(x @ y.T) ** 2)


def test_autodiff_of_jitted_functions_and_jitted_autodiff():
    jl = np.jit(_loss)
    for a in (X, X * 2):
        _same(np.grad(jl)(a, Y), np.grad(_loss)(a, Y))
        _same(np.jit(np.grad(_loss, argnums=(0, 1)))(a, Y), np.grad(_loss, argnums=(0, 1))(a, Y))
        _same(np.jit(np.value_and_grad(_loss))(a, Y), np.value_and_grad(_loss)(a, Y))
        _same(np.jvp(jl, (a, Y), (Y, a)), np.jvp(_loss, (a, Y), (Y, a)))
        out, f_vjp = np.vjp(jl, a, Y)
        _same((out, f_vjp(np.asarray(2.0))), (_loss(a, Y), np.vjp(_loss, a, Y)[1](np.asarray(2.0))))
        h = lambda x: _loss(x, Y)  # noqa: E731
        _same(np.hessian(np.jit(h))(a[0:1]), np.hessian(h)(a[0:1]))
        _same(np.jit(np.hessian(h))(a[0:1]), np.hessian(h)(a[0:1]))
        with np.GradientTape() as tape:
            v = a * 1.0
            tape.watch(v)
            out = jl(v, Y)
        _same(tape.gradient(out, v), np.grad(_loss)(a, Y))


@np.custom_vjp
def _clip_grad(x):
    return x * 1.0


_clip_grad.defvjp(lambda x: (x * 1.0, None), lambda res, g: (np.clip(g, -0.1, 0.1),))


def test_custom_vjp_inside_jit():
    f = lambda x: np.sum(_clip_grad(x) ** 2)  # noqa: E731
    jg = np.jit(np.grad(f))
    for a in (X, X * 3):
        _same(jg(a), np.clip(2 * a, -0.1, 0.1))
    assert jg.trace_count == 1


def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = np.maximum(h @ w + b, 0)
    w, b = params[-1]
    logits = h @ w + b
    return -np.mean(np.sum(y * (logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))), axis=1))


def test_a_training_step_is_one_graph():
    """Loss, gradient and an Adam update (optax style; the step count an array) as one graph."""
    opt = Adam(1e-2)

    def step(params, state, x, y):
        loss, g = np.value_and_grad(_mlp_loss)(params, x, y)
        updates, state = opt.update(g, state, params)
        return apply_updates(params, updates), state, loss
    sizes = [6, 5, 3]
    params = [(np.asarray(RNG.standard_normal((a, b)) * 0.3), np.zeros(b)) for a, b in zip(sizes, sizes[1:])]
    x = np.asarray(RNG.standard_normal((8, 6)))
    y = np.asarray(onp.eye(3)[RNG.integers(0, 3, 8)])
    state = opt.init(params)._replace(count=np.asarray(0))
    jstep = np.jit(step)
    eager, jitted = (params, state), (params, state)
    for _ in range(4):
        *eager, le = step(*eager, x, y)
        *jitted, lj = jstep(*jitted, x, y)
        _same((jitted, lj), (eager, le))
    assert jstep.trace_count <= 2  # (the count becomes a scalar after the first step)
    assert jstep.trace(*jitted, x, y).count("matmul") == 5  # forward (2) and backward (3) in one graph


def _write_scalar_results(a):
    z = np.zeros(3)
    z.fill(a * 2.0)
    w = np.zeros(2)
    w[0] = a + 1.0
    return z, w, np.geomspace(a, 5.7, 4)


def test_scalar_results_written_into_arrays_stay_graph_values():
    """A scalar result (a 0-d array standing for NumPy's scalar) written by setitem or fill is
    the graph's value, not the trace-time number baked in (geomspace's ends were)."""
    jf = np.jit(_write_scalar_results)
    jf(np.asarray(1.0))
    for a in (3.8, -2.0):
        _same(jf(np.asarray(a)), _write_scalar_results(np.asarray(a)))


def test_a_tensorflow_style_step_raises_under_jit():
    """apply_gradients keeps its step count and slots as Python state, which a graph would update
    only at trace time (later calls: silently wrong steps): it raises, naming the optax style."""
    opt = Adam(1e-2)
    v = np.Variable(np.asarray([1.0, 2.0]))

    def step(x):
        opt.apply_gradients([(2.0 * v * x, v)])
        return v + 0.0
    with pytest.raises(JitError, match=r"Adam.apply_gradients\(\) inside npflow.jit.*opt.update"):
        np.jit(step)(np.asarray([1.0, 1.0]))
    assert opt.iterations == 0
    step(np.asarray([1.0, 1.0]))  # (eager: as before)
    assert opt.iterations == 1


def test_the_jitted_example_gives_eager_numbers():
    jac, diff, speedup, error = load_example("jit_ode_sensitivity").main(steps=20)
    assert diff == 0.0 and error < 1e-3 and speedup > 0


_RNG = onp.random.default_rng(0)
EXAMPLES = {  # example -> (its differentiated function, the arguments from the module, keywords)
    "logistic_regression": ("loss", lambda m: (np.asarray(_RNG.standard_normal(6)) * 0.1,
                                               np.asarray(_RNG.standard_normal((40, 5))),
                                               np.asarray((_RNG.random(40) > 0.5) * 1.0), 1.0), {}),
    "gaussian_process": ("neg_log_marginal_likelihood", lambda m: (np.asarray([0.0, 0.0, -2.3]), *m.data(30, 0)), {}),
    "variational_inference": ("negative_elbo", lambda m: (np.asarray(_RNG.standard_normal(6)) * 0.1, *m.data(),
                                                          m.whitened_samples(16, 3)), {}),
    "ode_parameter_fit": ("loss", lambda m: (np.asarray([1.0, 0.1]), np.linspace(0.0, 6.0, 8),
                                             m.observations(np.linspace(0.0, 6.0, 8), 1e-8), 1e-8), {}),
    "ode_sensitivity": ("final_state", lambda m: (np.asarray([1.0, 10.0, 0.5]),), {"steps": 50}),
    # (its `if y > 0: raise` after the loop is Python control flow on a traced value)
    "projectile": ("flight_range", lambda m: (np.asarray(0.5),), {"steps": 50}),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_value_and_gradient_under_jit(name):
    """Each example's differentiated function, jitted with its gradient (``jit(value_and_grad)``):
    eager npflow's numbers (within the replay's logaddexp and numba's tolerance), or, where the
    example converts a traced value to Python, the clear error naming its line."""
    module = load_example(name)
    fn, make, kw = EXAMPLES[name]
    args = make(module)
    vg = np.value_and_grad(lambda *a: getattr(module, fn)(*a, **kw))
    if name == "projectile":
        with pytest.raises(ConcretizationError, match=r"bool\(\) of a traced value.*projectile.py:\d+"):
            np.jit(vg)(*args)
        return
    got, want = np.jit(vg)(*args), vg(*args)
    for g, w in zip(got, want):
        assert_same(g, onp.asarray(w), rtol=1e-12, atol=1e-14)


def test_large_graphs_run_as_a_loop():
    """Past replay.SOURCE_LIMIT nodes a graph runs as a loop over its kernels (compiling Python
    source would cost more than many calls): the same values, intermediates dropped. (The
    default backend, where numba is installed, rolls this loop back into a scan: the replay.)"""
    def f(x):
        for _ in range(1200):
            x = np.sin(x) * 0.5 + x
        return x
    jf = np.jit(f, backend="replay")
    for a in (X, Y):
        _same(jf(a), f(a))
    assert len(jf.trace(X).nodes) > 3000


# -- graph passes ----------------------------------------------------------------------------
def _cse(x):
    return np.sin(x) + np.sin(x)


def _simplified(x):
    return (x * 1.0 + 0) * 2


def _folded(x):
    return (np.eye(4) * 2 + np.ones((4, 4))) @ x.T


def _dead(x):
    np.exp(x)  # (computed, never used)
    return x + 1


def _writes_block_cse(x):
    a, b = x * 2, x * 2
    a[0] = 0
    return a, b


def _outputs_stay_distinct(x):
    return x * 2, x * 2


# (function, op: how many of it the graph keeps)
PASSES = [(_cse, {"sin": 1}), (_simplified, {"multiply": 1, "add": 0}),
          (_folded, {"eye": 0, "ones": 0, "add": 0, "matmul": 1}), (_dead, {"exp": 0}),
          (_writes_block_cse, {"multiply": 2}), (_outputs_stay_distinct, {"multiply": 2})]


@pytest.mark.parametrize("fn, counts", PASSES, ids=[p[0].__name__ for p in PASSES])
def test_graph_passes(fn, counts):
    f = np.jit(fn)
    graph = f.trace(X)
    for op, n in counts.items():
        assert graph.count(op) == n, str(graph)
    for a in (X, Y):
        _same(f(a.copy()), fn(a.copy()))
    out = f(X)
    if fn is _outputs_stay_distinct:
        assert out[0] is not out[1]


@pytest.mark.parametrize("device", DEVICES)
def test_graphs_run_on_the_arguments_device(device):
    """Kernels run on the arguments' backend (CuPy's for "cuda", tests/fake_cupy.py under
    NPFLOW_FAKE_CUPY=1), results stay there, values are eager npflow's there."""
    x, y = X.to_device(device), Y.to_device(device)
    for fn in (_chain, np.grad(_loss, argnums=(0, 1)), lambda a, b: _writes_block_cse(a * b)):
        f = np.jit(fn)
        for a in (x, x * 2):
            got, want = f(a, y), fn(a, y)
            for g, w in zip(flatten(got)[0], flatten(want)[0]):
                assert g.device == w.device == a.device
            _same(got, want)
        assert f.trace_count == 1


# -- backends: numba (fused elementwise chains) and the NumPy replay ------------------------
BIG = np.asarray(RNG.uniform(-2, 2, 5000))


@pytest.mark.parametrize("backend", ["replay", "numba"])
def test_backends_give_eager_values(backend, monkeypatch):
    """Both backends: the replay runs NumPy's kernels (equal values); numba's fused kernel
    agrees within a few ulps (its math routines differ: the documented tolerance)."""
    if backend == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("NPFLOW_JIT_BACKEND", backend)
    f = np.jit(_chain)
    y = BIG[::-1].copy()
    for a in (BIG, BIG * 0.5):
        got, want = f(a, y), _chain(a, y)
        assert_same(got, onp.asarray(want), rtol=4e-16 if backend == "numba" else 0, atol=4e-16)
    fast = f.cache[next(iter(f.cache))][0].fast
    names = [n.name for n in fast.nodes]
    assert names == (["fused[negative, multiply, exp, multiply, sin, add]"] if backend == "numba"
                     else ["negative", "multiply", "exp", "multiply", "sin", "add"])
    g = np.jit(np.grad(lambda a: np.sum(_chain(a, y))))  # (a backward pass's chains too)
    assert_same(g(BIG), onp.asarray(np.grad(lambda a: np.sum(_chain(a, y)))(BIG)), rtol=1e-14, atol=1e-15)


def test_numba_backend_forced():
    if importlib.util.find_spec("numba") is None:
        with pytest.raises(JitError, match="numba is not installed"):
            np.jit(_chain, backend="numba")(BIG, BIG)
    else:
        f = np.jit(_chain, backend="numba")
        _same(f(BIG[:3], BIG[:3]), _chain(BIG[:3], BIG[:3]))  # (too small to fuse: NumPy's kernels)
    with pytest.raises(ValueError, match="unknown backend"):
        np.jit(_chain, backend="xla")


def test_buffer_reuse_writes_only_dead_intermediates():
    """The replay writes a ufunc's result over an intermediate read for the last time (NumPy's
    temporary elision), never over an argument, an output, a view's memory or a constant."""
    w = np.ones((3, 4))

    def f(x, y):
        t = np.exp(-x * x)
        v = t[0]  # (a view of t: t's memory is never reused)
        return t * y + np.sin(x) + w, v
    jf = np.jit(f, backend="replay")
    for a in (X, Y):
        x0 = a.copy()
        _same(jf(a, Y), f(a, Y))
        _same(a, x0)
    src = jf.cache[next(iter(jf.cache))][0].run.source
    assert "out=" in src and "out=v0" not in src and "out=v1" not in src
    assert_same(w, onp.ones((3, 4)))
