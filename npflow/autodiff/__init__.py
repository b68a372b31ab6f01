"""Automatic differentiation: tapes (reverse mode), tangents (forward mode), transforms.

See core.py for the engine, rules.py for how derivative rules are declared
(the rules themselves live beside their ops in npflow/_ops).
"""
from .core import AutodiffError
from .tape import GradientTape
from .transforms import (grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev, jacobian,
                         hessian, elementwise_grad, stop_gradient, custom_vjp, custom_jvp, checkpoint)

__all__ = ["AutodiffError", "GradientTape", "grad", "value_and_grad", "vjp", "jvp", "linearize",
           "jacfwd", "jacrev", "jacobian", "hessian", "elementwise_grad", "stop_gradient",
           "custom_vjp", "custom_jvp", "checkpoint"]
