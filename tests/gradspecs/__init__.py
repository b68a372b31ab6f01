"""Gradient specs: for every differentiable op, calls that reach it, checked by test_gradients.py.

Each family module defines ``SPECS``, a list of ``Case(op, fn, args)``: ``fn`` is
an npflow function that must reach the registered op ``op`` (the test checks it),
``args`` NumPy arrays (float64; complex where the op supports it). Cases are
checked with ``npflow.testing.check_grads(fn, args, order=2, modes=("fwd", "rev"))``.
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
        cases += importlib.import_module(f"{__name__}.{mod.name}").SPECS
    return cases


CHECKED = set()  # ops whose cases all passed (reported in the terminal summary)
