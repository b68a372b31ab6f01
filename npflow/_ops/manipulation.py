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


# -- derivative rules (the structural ones; linear maps, so jvp is the op itself) -----------
import npflow as np  # noqa: E402  (the rules run later, once npflow is imported)

from ..autodiff.rules import defvjp, deflinear, defvjp_all, defjvp_all  # noqa: E402


def _inverse_perm(axes, ndim):
    if axes is None:
        return None
    inv = [0] * ndim
    for i, a in enumerate(axes):
        inv[a % ndim] = i
    return tuple(inv)


defvjp("reshape", lambda g, ans, x, order="C": np.reshape(g, x.shape, order=order), shape_only=(0,))
deflinear("reshape", lambda t, shape, order="C", copy=None: np.reshape(t, shape, order=order))
defvjp("ravel", lambda g, ans, x, order="C": np.reshape(g, x.shape, order=order), shape_only=(0,))
deflinear("ravel", lambda t, order="C": np.ravel(t, order=order))
defvjp("transpose", lambda g, ans, x, axes=None: np.transpose(g, _inverse_perm(axes, x.ndim)),
       shape_only=(0,))
deflinear("transpose", lambda t, axes=None: np.transpose(t, axes))
defvjp("broadcast_to", lambda g, ans, x: g)  # the cotangent is summed back by unbroadcast
deflinear("broadcast_to", lambda t, shape, subok=False: np.broadcast_to(t, shape))


def _concatenate_vjp(g, ans, *arrays, axis=0, **_):
    if axis is None:
        g = np.reshape(g, (-1,))
        axis = 0
    ends = np.cumsum([a.shape[axis] if axis is not None else a.size for a in arrays]).tolist()
    pieces = np.split(g, ends[:-1], axis=axis)
    return [np.reshape(p, a.shape) if p.shape != a.shape else p for p, a in zip(pieces, arrays)]


def _concatenate_jvp(tangents, ans, *arrays, axis=0, dtype=None, casting="same_kind", **_):
    ts = [np.zeros_like(a, dtype=ans.dtype) if t is None else t for t, a in zip(tangents, arrays)]
    return np.concatenate(ts, axis=axis, dtype=dtype, casting=casting)


defvjp_all("concatenate", _concatenate_vjp, shape_only=True)
defjvp_all("concatenate", _concatenate_jvp)
