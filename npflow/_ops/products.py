"""Products: each NumPy function here is one backend call (dot, einsum, trace, ...).

``einsum`` takes its subscripts as a static parameter, always in string form
(the public function turns the sublist form into it), so a gradient rule sees
one spelling.
"""
from .._core.registry import kernel_op, xp_op

OPS = {name: xp_op(name) for name in
       ("dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "trace", "diagonal")}


@kernel_op("einsum")
def einsum(xp, *operands, subscripts, **params):
    return xp.einsum(subscripts, *operands, **params)


OPS["einsum"] = einsum
