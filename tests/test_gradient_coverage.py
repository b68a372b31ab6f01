"""The registry and the gradient specs agree: every differentiable op has rules and is checked."""
from npflow._core.registry import REGISTRY
from gradspecs import all_cases

CASES = all_cases()
DIFFERENTIABLE = sorted(n for n, op in REGISTRY.items() if op.differentiable is True)


def test_every_differentiable_op_has_rules_and_specs():
    covered = {c.op for c in CASES}
    missing_rules = [n for n in DIFFERENTIABLE if REGISTRY[n].vjp is None or REGISTRY[n].jvp is None]
    missing_specs = [n for n in DIFFERENTIABLE if n not in covered]
    assert not missing_rules, f"differentiable ops without vjp/jvp rules: {missing_rules}"
    assert not missing_specs, f"differentiable ops without a gradient spec in tests/gradspecs: {missing_specs}"
    unknown = covered - set(DIFFERENTIABLE)
    assert not unknown, f"specs for ops that are not registered as differentiable: {sorted(unknown)}"
