"""The leak loop (issue 13): every kind of call repeated, and what stays behind measured
two ways: the objects the cyclic GC sees (npflow arrays, tape nodes, tuples, dicts...) and the
memory tracemalloc sees (every Python allocation and NumPy's data buffers), the least over a
few rounds; and the process's peak RSS over large arrays. A call that leaks one object or one
buffer each time leaves N of them after N calls; the bounds below are far under that and over
the caches that fill and the allocators' free lists. (sys.getallocatedblocks() is not used:
NumPy's cache of small dimension buffers keeps it moving for thousands of calls;
sys.gettotalrefcount() exists only in debug builds of Python.)

Run on both builds (NPFLOW_PURE_PYTHON=1 too). Under tools/sanitize.sh the RSS test is
skipped (it would measure ASan's quarantine of freed memory)."""
import gc
import os
import resource
import tracemalloc

import numpy as onp
import pytest

import npflow as np

N = 30            # calls per round, ROUNDS rounds after WARM calls that fill caches and free lists
ROUNDS = 3
WARM = 10
SIZE = 2_000      # elements: a leaked data buffer is 16 kB, a leaked object about 100 B
SANITIZED = bool(os.environ.get("NPFLOW_SANITIZER"))

_x = onp.linspace(-1.0, 1.0, SIZE)
_y = onp.cos(_x)


def _arrays():
    return np.asarray(_x), np.asarray(_y)


def _ops():
    x, y = _arrays()
    return np.sum(np.tanh(np.multiply(x, y)) + np.exp(-x), axis=0), np.where(x > 0, x, y).mean()


def _operators():
    x, y = _arrays()
    return (x * y + x) / (1.0 + abs(y)) - y ** 2, -x, x < y, x @ y, 2.0 * x


def _in_place():
    x, y = _arrays()
    a = x.copy()
    a += y
    a *= 2.0
    a[3:7] = 1.0
    a[a > 1.5] = 0.0
    np.add(a, y, out=a)
    return a


def _indexing():
    x, y = _arrays()
    return x[10:50:3], x[[1, 5, 7]], x[x > 0.5], x[None, :4], y.reshape(40, 50)[::2, 1], x[np.argmax(y)]


def _loss(w, x):
    return np.sum(np.tanh(w * x) ** 2) + np.sum(w * w)


def _tape():
    x, y = _arrays()
    with np.GradientTape() as t:
        t.watch(x)
        z = _loss(x, y)
    return t.gradient(z, x)


def _tape_persistent_nested():
    x, y = _arrays()
    with np.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with np.GradientTape() as inner:
            inner.watch(x)
            z = _loss(x, y)
        g = inner.gradient(z, x)
        s = np.sum(g * g)
    return outer.gradient(s, x), outer.gradient(z, x)


def _grad():
    x, y = _arrays()
    return np.grad(_loss)(x, y), np.value_and_grad(_loss)(x, y)


def _jvp():
    x, y = _arrays()
    return np.jvp(lambda w: _loss(w, y), (x,), (y,))


def _vjp():
    x, y = _arrays()
    out, pullback = np.vjp(lambda w: np.tanh(w * y), x)
    return pullback(y)


def _vjp_of_grad():
    x, y = _arrays()
    out, pullback = np.vjp(np.grad(lambda w: _loss(w, y)), x)
    return pullback(y), np.jacrev(np.grad(lambda w: _loss(w, w)))(x[:4])


def _hessian():
    w = np.asarray(_x[:5])
    return np.hessian(lambda v: _loss(v, v))(w)


@np.custom_vjp
def _softplus(x):
    return np.logaddexp(0.0, x)


_softplus.defvjp(lambda x: (_softplus(x), x), lambda x, g: (g / (1 + np.exp(-x)),))


def _custom_vjp():
    x, _ = _arrays()
    return np.grad(lambda v: np.sum(_softplus(v)))(x)


def _control_flow():
    x, y = _arrays()

    def f(w):
        h = np.cond(np.sum(w) > 0, lambda a: a * 2.0, lambda a: a - 1.0, w)
        h = np.fori_loop(0, 2, lambda i, a: np.tanh(a) + y, h)
        carry, ys = np.scan(lambda c, xi: (c + xi, c * xi), np.asarray(0.0), h[:6])
        return np.sum(ys) + carry
    return f(x), np.grad(f)(x), np.while_loop(lambda c: c < 10.0, lambda c: c + 1.0, np.asarray(0.0))


KINDS = [_ops, _operators, _in_place, _indexing, _tape, _tape_persistent_nested, _grad, _jvp, _vjp,
         _vjp_of_grad, _hessian, _custom_vjp, _control_flow]


def _measure(call):
    """(GC-tracked objects, traced bytes) that N calls of ``call`` leave behind: the least over
    ROUNDS rounds (a leak leaves them every round; a cache that grows once does not)."""
    for _ in range(WARM):
        call()
    least = None
    for _ in range(ROUNDS):
        gc.collect()
        objects = len(gc.get_objects())
        tracemalloc.start()
        try:
            for _ in range(N):
                call()
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        grown = (len(gc.get_objects()) - objects, traced)
        least = grown if least is None else tuple(map(min, least, grown))
    return least


@pytest.mark.parametrize("call", KINDS, ids=[k.__name__.strip("_") for k in KINDS])
def test_repeated_calls_leave_nothing_behind(call):
    objects, traced = _measure(call)
    assert objects < N // 2, f"{objects} more objects tracked by the GC after {N} calls"
    assert traced < 2 * 8 * SIZE, f"{traced} bytes still allocated after {N} calls (a buffer: {8 * SIZE})"


@pytest.mark.parametrize("call", KINDS, ids=[k.__name__.strip("_") for k in KINDS])
def test_a_finished_call_keeps_no_trace_alive(call):
    """Once a transform or tape has returned and its results are dropped, its traces are
    freed at once (not at this thread's next traced op): no trace object, and no memory
    version counter (which would keep NumPy's in-place partitioning off, _numpy.reductions)."""
    from npflow._core import dispatch
    from npflow.autodiff import core
    def live():  # (traces other tests left to the GC, or a retained traceback keeps, come before)
        gc.collect()
        # (type(o): isinstance would dereference a dead weakref.proxy, which numba leaves in gc's lists)
        return {id(o) for o in gc.get_objects() if issubclass(type(o), (core.Recorder, core.Tangents))}
    before, counters = live(), len(dispatch.versions)
    call()
    assert not live() - before
    assert len(dispatch.versions) <= counters


@pytest.mark.skipif(SANITIZED, reason="RSS under ASan measures its quarantine of freed memory")
def test_peak_memory_is_flat_over_large_arrays():
    """The process's peak RSS does not grow over repeated ops and gradients on 8 MB arrays
    (a leaked buffer per call would add 8 MB each time)."""
    big = onp.linspace(0.0, 1.0, 1_000_000)

    def call():
        x = np.asarray(big)
        return np.grad(lambda w: np.sum(np.tanh(w * x + w) - x))(x) + x * 2.0

    for _ in range(3):
        call()
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for _ in range(10):
        call()
    gc.collect()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 16 * 1024
