"""Gradient specs: for every differentiable op, calls that reach it, checked by test_gradients.py.

Each family module defines ``SPECS``, a list of ``Case(op, fn, args)``: ``fn`` is
an npflow function that must reach the registered op ``op`` (the test checks it),
``args`` NumPy arrays (float64; complex where the op supports it). Cases are
checked with ``npflow.testing.check_grads(fn, args, order=2, modes=("fwd", "rev"))``.

A composite public function (written in npflow ops, no op of its own) is checked
by a case whose ``op`` is its public name with an ``np.`` prefix (``"np.cov"``,
``"np.linalg.multi_dot"``): the test checks that ``fn`` called that function.
Public functions of NumPy's namespace with no derivative are listed, with a
reason, in ``nondifferentiable.py``; ``test_gradient_coverage`` fails for a
public function that is neither checked nor listed.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field

import numpy as onp


@dataclass
class Case:
    op: str
    fn: object
    args: tuple
    label: str = ""
    kw: dict = field(default_factory=dict)  # extra check_grads arguments (eps, atol)

    @property
    def id(self):
        return f"{self.op}[{self.label}]" if self.label else self.op


def rand(*shape, low=-2.0, high=2.0, seed=0, complex=False):
    rng = onp.random.default_rng(seed)
    x = rng.uniform(low, high, shape)
    if complex:
        x = x + 1j * rng.uniform(low, high, shape)
    return x


def all_cases():
    cases = []
    for mod in pkgutil.iter_modules(__path__):
        cases += getattr(importlib.import_module(f"{__name__}.{mod.name}"), "SPECS", [])
    return cases


def public(name):
    """The npflow object named ``"np.linalg.inv"``-style, or None where npflow lacks it."""
    import npflow
    obj = npflow
    for part in name.split(".")[1:]:
        obj = getattr(obj, part, None)
    return obj


PUBLIC_MODULES = ("", "linalg", "fft", "random")  # NumPy's namespaces that npflow mirrors


def numpy_public_callables():
    """``np.``-prefixed names of NumPy's public functions (not classes, not modules) in PUBLIC_MODULES."""
    import types
    names = []
    for sub in PUBLIC_MODULES:
        mod = onp if not sub else getattr(onp, sub)
        prefix = "np." + (sub + "." if sub else "")
        for n in dir(mod):
            obj = getattr(mod, n)
            if n.startswith("_") or isinstance(obj, (type, types.ModuleType)) or not callable(obj):
                continue
            names.append(prefix + n)
    return names


CHECKED = set()  # ops and "np." public functions whose cases all passed (reported in the summary)
