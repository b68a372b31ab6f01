"""Automatic differentiation: tapes (reverse mode), tangents (forward mode), transforms.

See core.py for the engine, rules.py for how derivative rules are declared
(the rules themselves live beside their ops in npflow/_ops).

Complex numbers follow JAX's (and autograd's) convention. Forward mode is plain:
``jvp(f, (z,), (t,))`` is ``f'(z) * t`` for holomorphic ``f``. A vjp is the
*transpose* of the jvp, not its conjugate transpose, so:

- for holomorphic ``f``, ``grad(f, holomorphic=True)(z)`` is ``f'(z)`` (as is
  ``vjp(f, z)[1](1.0)``): ``grad(lambda z: z ** 2, holomorphic=True)(1 + 2j) == 2 + 4j``;
- for real-valued ``f`` of complex ``z = x + iy``, ``grad(f)(z)`` is
  ``df/dx - i df/dy``, the *conjugate* of the direction of steepest ascent (step
  along ``conj(grad(f)(z))`` to increase ``f``):
  ``grad(lambda z: np.abs(z) ** 2)(1 + 2j) == 2 * conj(1 + 2j) == 2 - 4j``.

``grad`` of a function with a complex output raises TypeError unless
``holomorphic=True``; with it, the arguments must be complex.
"""
from .core import AutodiffError
from .tape import GradientTape
from .transforms import (grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev, jacobian,
                         hessian, elementwise_grad, stop_gradient, custom_vjp, custom_jvp, checkpoint)

__all__ = ["AutodiffError", "GradientTape", "grad", "value_and_grad", "vjp", "jvp", "linearize",
           "jacfwd", "jacrev", "jacobian", "hessian", "elementwise_grad", "stop_gradient",
           "custom_vjp", "custom_jvp", "checkpoint"]
