"""Every differentiable op in the registry: rules exist, and match finite differences
(first and second order, forward and reverse mode, real and complex inputs)."""
import inspect
import sys

import pytest

import npflow as np
from npflow._core import dispatch
from npflow._core.registry import REGISTRY
from npflow.testing import check_grads
from gradspecs import all_cases, public, CHECKED

CASES = all_cases()
DIFFERENTIABLE = sorted(n for n, op in REGISTRY.items() if op.differentiable is True)
NO_RULE = sorted(n for n, op in REGISTRY.items() if op.differentiable is None)


def _code(name):
    """The code object a call of public function ``name`` runs (None for ufuncs and builtins)."""
    fn = inspect.unwrap(public(name))
    return getattr(fn, "__code__", None)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op_gradients(case):
    seen = set()
    composite = case.op.startswith("np.")
    target = _code(case.op) if composite else None

    def spy(op, operands, params, result):
        seen.add(op.name)

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is target:
            seen.add(case.op)
    dispatch.recorders.append(spy)
    if target is not None:
        sys.setprofile(profile)
    try:
        args = tuple(np.asarray(a) for a in case.args)
        check_grads(case.fn, args, order=2, modes=("fwd", "rev"), **case.kw)
    finally:
        sys.setprofile(None)
        dispatch.recorders.remove(spy)
    if composite:
        assert public(case.op) is not None, f"{case.op} is not in npflow"
        if target is None:
            seen.add(case.op)  # a ufunc or builtin: fn is expected to be the function itself
    assert case.op in seen, f"the spec for {case.op} never reached it (it reached {sorted(seen)})"
    if all(c.op != case.op or c is case or c.id in _PASSED for c in CASES):
        CHECKED.add(case.op)
    _PASSED.add(case.id)


_PASSED = set()


@pytest.mark.parametrize("name", NO_RULE)
def test_ops_without_rules_raise_under_a_tape(name):
    """An op with a derivative but no rule never gives a silent zero: reaching it raises."""
    op = REGISTRY[name]
    assert op.vjp is None and op.jvp is None, f"{name} has rules: register it as differentiable"
