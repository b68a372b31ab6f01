"""Derivatives with one operand a Python scalar, on every non-CPU device, against the CPU.

For every binary differentiable ufunc in the registry (and where, clip): ``s op x`` and ``x op s``
with ``s`` an int and a float, first order (grad, jvp) and second order (jvp of grad, grad of
jvp). The derivative rules must build their constants on the operands' device (a Python scalar
operand has none: the rule's arrays go on the array operand's device), so every device gives the
CPU's values and gradients (a DeviceMismatchError, or a value from another device, fails).
"""
import numpy as onp
import pytest

import npflow as nf
from npflow._ops.ufuncs import UFUNCS

from support import DEVICES, assert_same

BINARY = sorted(name for name, nin, _, diff in UFUNCS  # elementwise (no gufunc signature)
                if nin == 2 and diff and getattr(onp, name).signature is None)
# (name, fn(x, s) with the scalar on the left or right): the ufuncs, then where and clip
CASES = ([(f"{n}-left", (lambda n: lambda x, s: getattr(nf, n)(s, x))(n)) for n in BINARY]
         + [(f"{n}-right", (lambda n: lambda x, s: getattr(nf, n)(x, s))(n)) for n in BINARY]
         + [("where-left", lambda x, s: nf.where(x > 0.5, s, x)),
            ("where-right", lambda x, s: nf.where(x > 0.5, x, s)),
            ("clip-lo", lambda x, s: nf.clip(x, s, 2.5)),
            ("clip-hi", lambda x, s: nf.clip(x, -1, s))])
SCALARS = [2, 0.75]
NOT_DIFFERENTIABLE = {("ldexp-left", s) for s in SCALARS} | {("ldexp-right", 0.75)}  # int exponent only
X = onp.array([0.3, 0.6, 1.4])
V = onp.array([1.0, -0.5, 0.25])


def _loss(fn, s):
    def f(x):
        out = fn(x, s)
        return sum(nf.sum(o) for o in out) if isinstance(out, tuple) else nf.sum(out)
    return f


def _derivatives(fn, s, device):
    x, v = nf.asarray(X, device=device), nf.asarray(V, device=device)
    f = _loss(fn, s)
    g = nf.grad(f)
    return {"value": f(x), "grad": g(x), "jvp": nf.jvp(f, (x,), (v,))[1],
            "fwd-over-rev": nf.jvp(g, (x,), (v,))[1],
            "rev-over-fwd": nf.grad(lambda y: nf.jvp(f, (y,), (v,))[1])(x)}


@pytest.mark.parametrize("device", [d for d in DEVICES if d != "cpu"])
@pytest.mark.parametrize("name,fn,s", [
    pytest.param(name, fn, s, id=f"{name}-{type(s).__name__}")
    for name, fn in CASES for s in SCALARS if (name, s) not in NOT_DIFFERENTIABLE])
def test_scalar_operand_derivatives_match_cpu(name, fn, s, device):
    expected = _derivatives(fn, s, "cpu")
    got = _derivatives(fn, s, device)
    for k, e in expected.items():
        assert getattr(got[k], "device", None) == nf.asarray(0.0, device=device).device, (name, k)
        assert_same(got[k].to_device("cpu"), onp.asarray(e))  # the same kernels: identical
