"""Shape-manipulation primitives: one kernel call each, with simple derivatives.

Everything else in ``npflow._numpy.manipulation`` (stacking, splitting,
flipping, axis moves, squeeze/expand, tiling) is a composite of these and indexing.
Static parameters are keywords, so the kernels are the backend's functions themselves.
"""
from .._core.registry import kernel_op, xp_op

for _name in ("ravel", "transpose", "broadcast_to", "repeat", "roll", "pad"):
    xp_op(_name)
del _name


@kernel_op("reshape")
def reshape(xp, x, *, shape, order="C", copy=None):
    # copy= is passed only when given, for backends whose reshape lacks it.
    if copy is None:
        return xp.reshape(x, shape, order=order)
    return xp.reshape(x, shape, order=order, copy=copy)


@kernel_op("concatenate")
def concatenate(xp, *arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return xp.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
