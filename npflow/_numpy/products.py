"""Products: ``dot``, ``einsum``, ``tensordot``, ``kron``, ``cross``, ``trace``, ``diagonal``, ...

Each is a primitive (one backend call); ``matmul`` and ``vecdot`` are ufuncs.
"""
import operator
import string

from .._core.dispatch import apply
from .._ops.products import OPS

__all__ = ["dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron", "cross", "trace",
           "diagonal"]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # sublist label i is _LETTERS[i], as NumPy


def dot(a, b, out=None):
    return apply(OPS["dot"], a, b, out=out)


def vdot(a, b, /):
    return apply(OPS["vdot"], a, b)


def inner(a, b, /):
    return apply(OPS["inner"], a, b)


def outer(a, b, out=None):
    return apply(OPS["outer"], a, b, out=out)


def tensordot(a, b, axes=2):
    return apply(OPS["tensordot"], a, b, axes=axes)


def kron(a, b):
    return apply(OPS["kron"], a, b)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return apply(OPS["cross"], a, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return apply(OPS["trace"], a, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype, out=out)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal as a read-only view, as NumPy gives it."""
    return apply(OPS["diagonal"], a, offset=offset, axis1=axis1, axis2=axis2)


def einsum(*operands, out=None, optimize=False, **kwargs):
    """Einstein summation, in the subscripts-string or the operand/sublist form."""
    if operands and isinstance(operands[0], str):
        subscripts, arrays = operands[0], operands[1:]
    else:
        subscripts, arrays = _sublists_to_subscripts(operands)
    return apply(OPS["einsum"], *arrays, subscripts=subscripts, out=out, optimize=optimize, **kwargs)


def _sublists_to_subscripts(operands):
    """``(x, [0, 1], y, [1, 2], [0, 2])`` as ``("AB,BC->AC", (x, y))``."""
    if not operands:
        raise ValueError("einsum(): must specify the einstein sum subscripts string and at least "
                         "one operand, or at least one operand and its corresponding subscripts list")
    n = len(operands) // 2
    if n == 0:
        raise ValueError("einsum(): must provide at least an operand and a subscripts list to einsum")
    spec = ",".join(_labels(s) for s in operands[1:2 * n:2])
    if len(operands) % 2:
        spec += "->" + _labels(operands[-1])
    return spec, operands[0:2 * n:2]


def _labels(sublist):
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
            continue
        try:
            i = operator.index(s)
        except TypeError:
            raise TypeError(f"einsum(): each subscript must be either an integer or an ellipsis, "
                            f"got {s!r}") from None
        if not 0 <= i < len(_LETTERS):
            raise ValueError(f"einsum(): subscript {i} is not within the valid range [0, 52)")
        out.append(_LETTERS[i])
    return "".join(out)
