"""Creation primitives: arrays built from a shape, a range or a diagonal.

Ops without array operands (zeros, arange, linspace, eye, ...) run on the
backend of the device given as ``device=`` (the default device otherwise);
their outputs depend on no operand, so they are not differentiable.
``tril``, ``triu``, ``diag``, ``diagflat`` and ``meshgrid`` take array
operands and run on their device.
"""
from .._core.registry import xp_op, kernel_op

for _name in ("zeros", "ones", "empty", "full", "eye", "tri"):
    xp_op(_name, differentiable=False)
for _name in ("tril", "triu", "diag", "diagflat"):
    xp_op(_name)


@kernel_op("arange", differentiable=False)
def arange(xp, *, start, stop, step, dtype):
    return xp.arange(start, stop, step, dtype=dtype)


@kernel_op("linspace", differentiable=False)
def linspace(xp, *, start, stop, num, endpoint, retstep, dtype, axis):
    y, step = xp.linspace(start, stop, num, endpoint=endpoint, retstep=True, dtype=dtype, axis=axis)
    return (y, xp.asarray(step)) if retstep else y


@kernel_op("meshgrid")
def meshgrid(xp, *xi, copy, sparse, indexing):
    """NumPy's meshgrid in the common xp API (CuPy's takes 1-d inputs only)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    ones = (1,) * n
    out = [xp.asarray(x).reshape(ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = out[0].reshape((1, -1) + ones[2:])
        out[1] = out[1].reshape((-1, 1) + ones[2:])
    if not sparse:
        out = xp.broadcast_arrays(*out)
    return tuple(x.copy() for x in out) if copy else tuple(out)
