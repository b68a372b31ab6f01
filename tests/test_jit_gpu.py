"""npflow.jit on CUDA (npflow/jit/cupy_backend.py): fused elementwise kernels and CUDA-graph
replay, against eager npflow on the same device.

They run where "cuda" is available (``pytest -m gpu``): on a GPU, or here with
NPFLOW_FAKE_CUPY=1, where tests/fake_cupy.py compiles the generated kernels' CUDA C (typed,
strictly: see its ElementwiseKernel) and records and relaunches captured device work.
"""
import numpy as onp
import pytest

import npflow as np
from npflow.jit import cupy_backend
from support import HAVE_GPU, assert_same, make

gpu = pytest.mark.gpu
RNG = onp.random.default_rng(0)


def _cuda(a):
    return np.asarray(a, device="cuda")


def _entry(f):
    (entries,) = f.cache.values()
    return entries[0]


def _eager_and_jit(fn, *args, calls=3):
    """(jitted fn, [(jit result, eager result)] for the calls after the tracing one)."""
    f = np.jit(fn)
    f(*args)
    out = []
    for k in range(calls):
        a = [_cuda((onp.asarray(x) * (k + 2)).astype(x.dtype)) if x.dtype.kind == "f" else x
             for x in args]
        out.append((f(*a), fn(*a)))
    assert f.trace_count == 1
    return f, out


def _same_within(got, want, ulps):
    got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
    for g, w in zip(got, want):
        assert g.device == w.device
        w = onp.asarray(w)
        if w.dtype.kind == "f":  # (ulps of the values' magnitude: a difference in a term survives
            scale = max(1.0, float(onp.max(onp.abs(w), initial=0, where=onp.isfinite(w))))  # cancellation)
            assert_same(g, w, rtol=ulps * onp.finfo(w.dtype).eps, atol=ulps * onp.finfo(w.dtype).eps * scale)
        else:
            assert_same(g, w)


# -- fused kernels ---------------------------------------------------------------------------
CHAINS = {
    "exp(-x*x)*y + sin(x)": lambda x, y: np.exp(-x * x) * y + np.sin(x),
    "tanh(x*y + x) - y": lambda x, y: np.tanh(x * y + x) - y,
    "sqrt(|x|) / (1 + y**2)": lambda x, y: np.sqrt(np.abs(x)) / (1 + y ** 2),
    "log1p(x*x)*2.5 - expm1(y)": lambda x, y: np.log1p(x * x) * 2.5 - np.expm1(y),
    "arctan(x) + cosh(y)*0.5 - 3": lambda x, y: np.arctan(x) + np.cosh(y) * 0.5 - 3,
}
# (x dtype, y dtype): the loop type of each node is NumPy's (int32 * float32 is float64, int16
# + float32 float32, a Python float beside float32 float32)
DTYPES = [("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
          ("int32", "float32"), ("float32", "int16")]
BROADCASTS = [((3, 4), (4,)), ((5, 1), (1, 6)), ((7,), ()), ((2, 3, 4), (2, 3, 4))]
CASES = [(c, d, BROADCASTS[i % len(BROADCASTS)]) for i, (c, d) in
         enumerate((c, d) for c in CHAINS for d in DTYPES)]


@gpu
@pytest.mark.parametrize("chain, dtypes, shapes", CASES,
                         ids=[f"{c}-{d[0]}-{d[1]}-{s[0]}{s[1]}" for c, d, s in CASES])
def test_fused_chains_give_eager_values_and_dtypes(chain, dtypes, shapes):
    """Every floating-point node of the chain is in one fused kernel (integer arithmetic is not
    fused); dtypes and shapes are eager's, values within the fused kernel's documented
    tolerance (a few ulps)."""
    fn = CHAINS[chain]
    x = _cuda(make(shapes[0], dtypes[0], seed=1, low=-2, high=2))
    y = _cuda(make(shapes[1], dtypes[1], seed=2, low=-2, high=2))
    f, results = _eager_and_jit(fn, x, y)
    for got, want in results:
        _same_within(got, want, ulps=4)
    fast = _entry(f).fast
    fused = [n for n in fast.nodes if n.name.startswith("cupy.fused[")]
    assert len(fused) == 1 and fused[0] is fast.nodes[-1], str(fast)
    assert all(n.outs[0].dtype.kind != "f" for n in fast.nodes[:-1]), str(fast)
    assert fused[0].kernel.source[1] == f"{want.dtype} out0"


# a simple sum of a chain: one ReductionKernel (the chain its map expression)
SUMS = {
    "sum(exp(-x*x)*y)": lambda x, y: np.sum(np.exp(-x * x) * y),
    "sum(tanh(x*y), axis=-1, keepdims)": lambda x, y: np.sum(np.tanh(x * y) + 1, axis=-1, keepdims=True),
    "(sin(x)*y).sum(axis=(0, 1))": lambda x, y: (np.sin(x) * y - x).sum(axis=(0, 1)),
}
SUM_CASES = [(c, d, BROADCASTS[3 * (i % 2)]) for i, (c, d) in
             enumerate((c, d) for c in SUMS for d in (("float64", "float64"), ("float32", "float32")))]


@gpu
@pytest.mark.parametrize("chain, dtypes, shapes", SUM_CASES,
                         ids=[f"{c}-{d[0]}-{s[0]}{s[1]}" for c, d, s in SUM_CASES])
def test_sums_of_chains_are_one_reduction_kernel(chain, dtypes, shapes):
    """Eager's dtype and shape; the value within a few ulps of the sum's magnitude (CuPy's
    reduction order is its own either way)."""
    fn = SUMS[chain]
    x = _cuda(make(shapes[0], dtypes[0], seed=3, low=-2, high=2))
    y = _cuda(make(shapes[1], dtypes[1], seed=4, low=-2, high=2))
    f, results = _eager_and_jit(fn, x, y)
    for got, want in results:
        _same_within(got, want, ulps=64)
    assert [n.name.split("[")[0] for n in _entry(f).fast.nodes] == ["cupy.fused_sum"]


@gpu
def test_fused_kernels_in_a_gradient_and_beside_other_ops():
    """Chains between matmuls and reductions (a backward pass's too) fuse; the other ops stay."""
    w, x = _cuda(RNG.normal(size=(6, 3))), _cuda(RNG.normal(size=(5, 6)))

    def loss(w, x):
        h = np.tanh(x @ w) * 0.5 + 0.1
        return np.sum(np.exp(-h * h) * h)
    for fn in (loss, np.grad(loss)):
        f, results = _eager_and_jit(fn, w, x)
        for got, want in results:
            _same_within(got, want, ulps=16)
        names = [n.name for n in _entry(f).fast.nodes]
        assert any(n.startswith("cupy.fused[") for n in names) and "matmul" in names, names


@gpu
def test_what_does_not_fuse():
    """Integer results, float16, comparisons, non-finite constants and single nodes run as the
    ops they are; backend="replay" fuses nothing."""
    xi = _cuda(onp.arange(12).reshape(3, 4))
    xh = _cuda(onp.linspace(0, 1, 8).astype(onp.float16))
    xf = _cuda(onp.linspace(-1, 1, 8))
    for fn, arg in [(lambda a: (a * 3 + 1) * a, xi), (lambda a: np.exp(a) * a, xh),
                    (lambda a: (a > 0) & (a < 0.5), xf), (lambda a: (a + np.inf) * a, xf),
                    (lambda a: np.sin(a), xf)]:
        f, results = _eager_and_jit(fn, arg)
        for got, want in results:
            _same_within(got, want, ulps=0)
        assert not any(n.name.startswith("cupy.fused") for n in _entry(f).fast.nodes)
    f = np.jit(CHAINS["tanh(x*y + x) - y"], backend="replay")
    f(xf, xf)
    assert [n.name for n in _entry(f).fast.nodes] == ["multiply", "add", "tanh", "subtract"]


def test_fake_elementwise_kernel_compiles_strictly():
    """The fake's ElementwiseKernel computes what the CUDA C says, in the types it declares, and
    refuses what the generator must never emit (implicit conversions, bare literals, unknown
    functions): a test it passes says something about the generated source."""
    import fake_cupy
    a = onp.array([0.5, -1.0], onp.float32)
    k = fake_cupy.ElementwiseKernel("float32 a0, int64 a1", "float64 out0",
                                    "float t0 = sin(a0) * float(2); double t1 = double(t0) - double(a1); out0 = t1;")
    assert_same(np.asarray(k(a, onp.array(3))),
                (onp.sin(a) * onp.float32(2)).astype(onp.float64) - 3.0)
    for op in ["float t0 = a0 * double(2); out0 = double(t0);", "out0 = double(a0) * 2.0;",
               "double t0 = sin(a0); out0 = t0;", "out0 = double(tanhf(a0));", "out1 = double(a0);"]:
        with pytest.raises(fake_cupy.CompileException):
            fake_cupy.ElementwiseKernel("float32 a0", "float64 out0", op)(a)
    r = fake_cupy.ReductionKernel("float32 a0", "float32 out0", "(sin(a0)) * a0", "a + b",
                                  "out0 = a", "0", reduce_type="float")
    assert_same(np.asarray(r(a)), onp.sum(onp.sin(a) * a))
    with pytest.raises(fake_cupy.CompileException):  # (a double map value, a float reduction)
        fake_cupy.ReductionKernel("float32 a0", "float32 out0", "double(a0)", "a + b", "out0 = a",
                                  "0", reduce_type="float")(a)


# -- CUDA graphs -------------------------------------------------------------------------------
def _recurrence(w, h):
    for _ in range(8):
        h = np.tanh(w @ h) * 0.9 + 0.1 * h
    return np.sum(h * h), h


W = RNG.normal(size=(4, 4)) * 0.5
H = RNG.normal(size=4)


@gpu
@pytest.mark.parametrize("fn", [_recurrence, np.grad(lambda w, h: _recurrence(w, h)[0])],
                         ids=["recurrence", "its gradient"])
def test_small_op_graphs_run_as_cuda_graphs(fn):
    """The second call runs the plain replay (CuPy compiles its kernels), the third captures and
    launches, every later call launches: new arguments give new values, and no result aliases
    another call's or the arguments."""
    w, h = _cuda(W), _cuda(H)
    f, results = _eager_and_jit(fn, w, h, calls=4)
    runner = _entry(f).run
    assert runner.blocker is None and runner.launches == 3
    for got, want in results:
        _same_within(got, want, ulps=16)
    a, b = f(w, h), f(w, h)
    assert runner.launches == 5
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert not onp.shares_memory(onp.asarray(x._data), onp.asarray(y._data))
        x[...] = 0  # (a result belongs to its caller)
    h0 = h.copy()
    got = f(w, h)
    h[...] = 7.0  # (the graph copied the argument in: a later write does not reach it)
    _same_within(got, fn(w, h0), ulps=16)


def _writes_argument(x):
    x[0] = 1.0
    return np.tanh(x * 2) + 1 - x


def _cond(x):
    return np.cond(np.sum(x) > 0, lambda v: np.sin(v) * 2 + 1, lambda v: np.cos(v) * 2 - v, x)


# (label, function, argument, the blocker's words)
BLOCKED = [
    ("large values", lambda x: np.tanh(x * 2) * x + 1 - x, onp.linspace(0, 1, cupy_backend.SMALL + 1), "elements"),
    ("control flow", _cond, onp.linspace(-1, 1, 8), "control-flow"),
    ("integer-array index", lambda x: np.tanh(x[onp.array([0, 2, 1])] * 2) + x[:3] - 1, onp.linspace(0, 1, 8), "integer-array"),
    ("writes into an argument", _writes_argument, onp.linspace(0, 1, 8), "writes into an argument"),
    ("returns a view of an argument", lambda x: (np.tanh(x * 2) + 1 - x, x[1:]), onp.linspace(0, 1, 8), "view"),
    ("too few ops", lambda x: np.sin(x) + 1, onp.linspace(0, 1, 8), "no more than the copies"),
    ("outputs sharing memory", lambda x: (lambda t: (t, t[2:]))(np.tanh(x * 2) + 1 - x), onp.linspace(0, 1, 8), "share memory"),
]


@gpu
@pytest.mark.parametrize("label, fn, arg, why", BLOCKED, ids=[b[0] for b in BLOCKED])
def test_graphs_that_need_the_host_run_the_plain_replay(label, fn, arg, why):
    f = np.jit(fn)
    for k in range(4):
        got, want = f(_cuda(arg * (k + 1))), fn(_cuda(arg * (k + 1)))
        _same_within(got, want, ulps=4)
    runner = _entry(f).run
    assert why in runner.blocker and runner.launches == 0


@gpu
def test_a_capture_cuda_refuses_leaves_the_plain_replay(monkeypatch):
    """A host synchronisation the static checks did not foresee fails the capture (CUDA's
    error, the fake's too): the plain replay stays, with the reason."""
    import cupy
    f = np.jit(_recurrence)
    w, h = _cuda(W), _cuda(H)
    f(w, h), f(w, h)
    runner = _entry(f).run
    plain = runner.plain

    def syncing(*args):
        cupy.cuda.Device().synchronize()
        return plain(*args)
    monkeypatch.setattr(runner, "plain", syncing)
    for k in range(2):
        _same_within(f(w, h * k), _recurrence(w, h * k), ulps=16)
    assert "capture failed" in runner.blocker and runner.launches == 0


def test_without_cuda_nothing_changes():
    """On the CPU the CuPy executor is not involved (the replay runs NumPy's kernels)."""
    f = np.jit(CHAINS["tanh(x*y + x) - y"])
    x = np.linspace(0, 1, 5)
    f(x, x)
    assert not cupy_backend.on_cuda(_entry(f).graph)
    assert type(_entry(f).run) is not cupy_backend.GraphRunner
    assert HAVE_GPU or "cuda" not in [d.kind for d in np.devices()]
