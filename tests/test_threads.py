"""Threads: an op on an array a trace tracks is that trace's business whichever thread runs it
(DESIGN invariant 9; issue 13, finding 5), and traces, transforms and plain ops in many threads
at once each get exactly the single-threaded result."""
import gc
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as onp
import pytest

import npflow as np
from npflow._core import dispatch
from support import run_in_threads

X = onp.array([0.3, -1.2, 0.7, 2.1])


def _f(x):
    return np.sum(np.sin(x) * x + x ** 2)


def _f_grad(x):
    return onp.cos(x) * x + onp.sin(x) + 2 * x


# -- work handed to another thread is recorded ----------------------------------------------------

def _in_a_thread(fn, *args):
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    return out[0]


def _in_a_pool(fn, *args):
    with ThreadPoolExecutor(2) as pool:
        return pool.submit(fn, *args).result()


def _split_over_a_pool(fn, x):  # each worker a part, the parts joined in the caller's thread
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(lambda part: fn(part), [x[:2], x[2:]]))


HANDOFFS = {"thread": _in_a_thread, "pool": _in_a_pool, "split": _split_over_a_pool}


def _tape_gradient(f, x):
    with np.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


TRANSFORMS = {  # how: (derivative of f at x, what it must equal)
    "grad": (lambda f, x: np.grad(f)(x), _f_grad),
    "value_and_grad": (lambda f, x: np.value_and_grad(f)(x)[1], _f_grad),
    "vjp": (lambda f, x: np.vjp(f, x)[1](np.asarray(1.0))[0], _f_grad),
    "jvp": (lambda f, x: np.jvp(f, (x,), (np.ones(4),))[1], lambda x: onp.sum(_f_grad(x))),
    "jacfwd": (lambda f, x: np.jacfwd(f)(x), _f_grad),
    "tape": (_tape_gradient, _f_grad),
    "hessian_diagonal": (lambda f, x: np.diagonal(np.hessian(f)(x)),
                         lambda x: -onp.sin(x) * x + 2 * onp.cos(x) + 2),
}


@pytest.mark.parametrize("handoff", list(HANDOFFS))
@pytest.mark.parametrize("how", list(TRANSFORMS))
def test_work_handed_to_another_thread_is_differentiated(how, handoff):
    transform, want = TRANSFORMS[how]
    got = transform(lambda x: HANDOFFS[handoff](_f, x), np.array(X))
    onp.testing.assert_allclose(onp.asarray(got), want(X), rtol=1e-12, atol=1e-12)


@np.custom_vjp
def _doubled_in_reverse(x):  # the identity, whose (deliberately unusual) rule doubles
    return x * 1.0


_doubled_in_reverse.defvjp(lambda x: (x * 1.0, None), lambda res, g: (2.0 * g,))


@np.custom_jvp
def _tripled_forward(x):
    return x * 1.0


@_tripled_forward.defjvp
def _tripled_rule(primals, tangents):
    return primals[0] * 1.0, 3.0 * tangents[0]


CUSTOM = {  # (derivative through a custom rule or checkpoint, what the rule makes it)
    "custom_vjp": (lambda f: np.grad(lambda x: np.sum(f(_doubled_in_reverse, x)))(np.array(X)), 2.0),
    "custom_jvp_forward": (lambda f: np.jvp(lambda x: np.sum(f(_tripled_forward, x)), (np.array(X),),
                                            (np.ones(4),))[1], 12.0),
    "custom_jvp_reverse": (lambda f: np.grad(lambda x: np.sum(f(_tripled_forward, x)))(np.array(X)), 3.0),
    "checkpoint": (lambda f: np.grad(lambda x: np.sum(f(np.checkpoint(np.sin), x)))(np.array(X)),
                   onp.cos(X)),
}


@pytest.mark.parametrize("handoff", ["thread", "pool"])
@pytest.mark.parametrize("how", list(CUSTOM))
def test_custom_rules_called_in_another_thread_are_used(how, handoff):
    run, want = CUSTOM[how]
    onp.testing.assert_allclose(onp.asarray(run(HANDOFFS[handoff])), want)


def _gradient_norm_in_a_pool(x):  # the inner derivative taken in another thread
    return _in_a_pool(lambda: np.sum(np.grad(lambda a: np.sum(np.sin(a) * a))(x) ** 2))


def _gradient_norm_derivative(x):
    return 2 * (onp.cos(x) * x + onp.sin(x)) * (-onp.sin(x) * x + 2 * onp.cos(x))


@pytest.mark.parametrize("outer", ["grad", "jvp", "tape"])
def test_a_derivative_taken_in_another_thread_is_differentiated_again(outer):
    transform, _ = TRANSFORMS[outer]
    got = transform(_gradient_norm_in_a_pool, np.array(X))
    want = _gradient_norm_derivative(X)
    onp.testing.assert_allclose(onp.asarray(got), onp.sum(want) if outer == "jvp" else want, rtol=1e-12)


def test_a_variable_read_in_another_thread_is_watched_by_the_tape():
    v = np.Variable(X)
    with np.GradientTape() as tape:
        y = _in_a_pool(lambda: np.sum(v * v))
    assert tape.watched_variables() == (v,)
    onp.testing.assert_allclose(onp.asarray(tape.gradient(y, v)), 2 * X)


def test_a_write_in_another_thread_is_recorded():
    def f(x):
        y = x * 2.0
        _in_a_thread(lambda: np.multiply(np.ones(4), 3.0, out=y))  # y is a constant from now on
        z = x * 1.0
        _in_a_thread(lambda: z.__setitem__(0, 0.0))
        return np.sum(y * x) + np.sum(z * z)
    want = 3.0 + 2 * X * (onp.arange(4) != 0)
    onp.testing.assert_allclose(onp.asarray(np.grad(f)(np.array(X))), want)


def test_another_threads_op_after_the_trace_ended_is_not_recorded():
    x = np.array(X)
    with np.GradientTape() as tape:
        tape.watch(x)
        y = np.sum(x * x)
    z = _in_a_thread(lambda: np.sin(x))  # (the tape is not active any more: a plain op)
    assert not z._ad
    onp.testing.assert_allclose(onp.asarray(z), onp.sin(X))
    onp.testing.assert_allclose(onp.asarray(tape.gradient(y, x)), 2 * X)


# -- the stress test ---------------------------------------------------------------------------------

SHARED_W = np.asarray(onp.linspace(-1.0, 1.0, 16).reshape(4, 4))  # read by every thread
SHARED_X = np.array(X)  # watched by the tapes of every thread at once


def _net(x):
    return np.sum(np.tanh(SHARED_W @ x + x) ** 2)


def _job_tape(x):
    with np.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = _net(x)
        z = np.sum(np.exp(x) * x)
    return tape.gradient(y, x), tape.gradient(z, x)


def _job_tape_shared(_):
    return _job_tape(SHARED_X)


def _job_grad(x):
    return np.value_and_grad(_net)(x)


def _job_jvp(x):
    return np.jvp(_net, (x,), (x * 0.5,))


def _job_hvp(x):
    return np.jvp(np.grad(_net), (x,), (np.ones(4),))[1]


def _job_in_place(x):
    def f(a):
        a[1:] *= 2.0
        return _net(a)
    return np.grad(f)(np.array(x))


def _job_handed_off(x):
    return np.grad(lambda a: _in_a_thread(_net, a))(x)


def _job_plain(x):
    return np.tanh(SHARED_W @ x) * np.sum(SHARED_X), np.sort(x)[::-1]


JOBS = [_job_tape, _job_tape_shared, _job_grad, _job_jvp, _job_hvp, _job_in_place, _job_handed_off,
        _job_plain]
THREADS, REPEATS = 8, 300


def _leaves(result):
    return [onp.asarray(r) for r in (result if isinstance(result, tuple) else (result,))]


def test_many_threads_tracing_and_computing_at_once_get_single_threaded_results():
    gc.collect()
    base = len(dispatch.versions)  # (counters other tests' traces left to the GC)
    inputs = [np.asarray(X * (1.0 + 0.1 * k)) for k in range(THREADS)]
    reference = {(k, job): _leaves(job(inputs[k])) for k in range(THREADS) for job in JOBS}
    barrier = threading.Barrier(THREADS)
    wrong, errors = [], []

    def work(k):
        barrier.wait()
        try:
            for r in range(REPEATS):
                job = JOBS[(k + r) % len(JOBS)]
                got = _leaves(job(inputs[k]))
                if not all(onp.allclose(g, w, rtol=1e-12, atol=1e-12)
                           for g, w in zip(got, reference[k, job])):
                    wrong.append((k, job.__name__, got, reference[k, job]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((k, e))
    run_in_threads(work, [(k,) for k in range(THREADS)])
    assert not errors, errors[:3]
    assert not wrong, wrong[:3]
    gc.collect()
    assert len(dispatch.versions) <= base and not dispatch.tracing and not dispatch.stacks
