"""Every gradient spec (tests/gradspecs, as test_gradients walks them) under npflow.jit: traced
on the spec's arguments, then called on other arguments, the jitted function gives the eager
value, and its vjp (jit of the gradient, and the gradient of the jitted function) the eager
vjp."""
import numpy as onp
import pytest

import npflow as np
from npflow.autodiff.pytree import flatten
from npflow.jit import JitError, ValueDependentShapeError
from gradspecs import all_cases
from support import assert_same

CASES = all_cases()


def _other(a, k):
    """Arguments a jitted function did not see when it was traced (same signature)."""
    rng = onp.random.default_rng(100 + k)
    noise = 1e-2 * rng.uniform(-1, 1, a.shape)
    return a + noise * (1 + 1j if a.dtype.kind == "c" else 1)


def _cotangent_loss(fn):
    """A scalar of ``fn``'s outputs (a fixed weighting of each inexact output's real part)."""
    def loss(*args):
        total = 0.0
        for k, o in enumerate(flatten(fn(*args))[0]):
            if isinstance(o, np.ndarray) and o.dtype.kind in "fc":
                w = onp.cos(onp.arange(o.size).reshape(o.shape) + k)
                total = total + np.sum(np.real(o) * w)
        return total
    return loss


def _close(got, want):
    g, w = flatten(got)[0], flatten(want)[0]
    assert len(g) == len(w)
    for a, b in zip(g, w):
        assert type(a) is type(b)
        if isinstance(b, np.ndarray):
            assert_same(a, onp.asarray(b), rtol=1e-12, atol=1e-12)
        else:
            assert a == b


# What a graph cannot hold, by spec op: the error jit raises (the rules, README's jit
# section). Output shapes that depend on the values of the user's operands:
SHAPE_FROM_VALUES = {"extract", "compress", "bincount"}
SHAPE_FROM_VALUES_CASES = {"getitem[boolean-of-x]"}


def _expected_error(case):
    if case.op.startswith(("np.random.", "random.")):  # npflow.random's state: never in a graph
        return JitError
    if case.op in SHAPE_FROM_VALUES or case.id in SHAPE_FROM_VALUES_CASES:
        return ValueDependentShapeError
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_jit_value_and_gradient(case):
    args = tuple(np.asarray(a) for a in case.args)
    other = tuple(np.asarray(_other(a, k)) for k, a in enumerate(case.args))
    jf = np.jit(case.fn)
    error = _expected_error(case)
    if error is not None:
        with pytest.raises(error, match="inside jit"):
            jf(*args)
        return
    _close(jf(*args), case.fn(*args))  # the tracing call is an eager call
    _close(jf(*other), case.fn(*other))  # the graph on values it was not traced with
    # (a graph traces again only where npflow's own code branched on a value: a guard failed)
    assert jf.trace_count == 1 or jf.trace(*args).count("guard")
    loss = _cotangent_loss(case.fn)
    argnums = tuple(range(len(args)))
    want = np.grad(loss, argnums=argnums)(*other)
    jg = np.jit(np.grad(loss, argnums=argnums))
    jg(*args)
    _close(jg(*other), want)
    gj = np.grad(_cotangent_loss(jf), argnums=argnums)
    _close(gj(*other), want)
