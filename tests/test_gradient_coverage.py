"""The registry and the gradient specs agree: every differentiable op has rules and is checked."""
from npflow._core.registry import REGISTRY
from gradspecs import all_cases, numpy_public_callables, public
from gradspecs.nondifferentiable import NONDIFFERENTIABLE

CASES = all_cases()
DIFFERENTIABLE = sorted(n for n, op in REGISTRY.items() if op.differentiable is True)


def test_every_differentiable_op_has_rules_and_specs():
    covered = {c.op for c in CASES}
    missing_rules = [n for n in DIFFERENTIABLE if REGISTRY[n].vjp is None or REGISTRY[n].jvp is None]
    missing_specs = [n for n in DIFFERENTIABLE if n not in covered]  # ("np." names: composites)
    assert not missing_rules, f"differentiable ops without vjp/jvp rules: {missing_rules}"
    assert not missing_specs, f"differentiable ops without a gradient spec in tests/gradspecs: {missing_specs}"
    unknown = {n for n in covered if not n.startswith("np.")} - set(DIFFERENTIABLE)
    assert not unknown, f"specs for ops that are not registered as differentiable: {sorted(unknown)}"


def op_of(name):
    """The registered op a public function is (by its name or, for ufunc aliases, its ufunc's name)."""
    base = name.rsplit(".", 1)[-1]
    for n in (base, getattr(public(name), "__name__", None)):
        if n in REGISTRY and name.count(".") == 1:
            return REGISTRY[n]
    return None


def classify():
    """(checked, declared, missing) public names of NumPy's namespace that npflow has."""
    specs = {c.op for c in CASES}
    checked, declared, missing = [], [], []
    for name in numpy_public_callables():
        if public(name) is None:
            continue
        op = op_of(name)
        if name in specs or (op is not None and op.differentiable is True and op.name in specs):
            checked.append(name)
        elif name[3:] in NONDIFFERENTIABLE or (op is not None and op.differentiable is False):
            declared.append(name)
        else:
            missing.append(name)
    return checked, declared, missing


def test_every_public_function_is_gradient_checked_or_declared():
    checked, declared, missing = classify()
    PUBLIC_SUMMARY[:] = [len(checked), len(declared)]
    assert not missing, (f"public functions neither gradient-checked (tests/gradspecs) nor listed in "
                         f"tests/gradspecs/nondifferentiable.py: {missing}")
    stale = [n for n in NONDIFFERENTIABLE if public("np." + n) is None]
    assert not stale, f"nondifferentiable.py lists names npflow does not have: {stale}"


PUBLIC_SUMMARY = []
