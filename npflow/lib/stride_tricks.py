"""numpy.lib.stride_tricks on npflow arrays, differentiable where the result is a view.

``sliding_window_view`` is a primitive (NumPy's or CuPy's kernel: a read-only view, as NumPy's
by default) whose vjp adds each window offset's cotangent back into place; its jvp is itself.
``as_strided`` reads memory at arbitrary strides (elements may overlap or be outside the data's
logical layout): it has no derivative an op could state, so it is forward-only and raises under
a trace. ``broadcast_to``, ``broadcast_arrays`` and ``broadcast_shapes`` are npflow's own.
``numpy.lib.stride_tricks.sliding_window_view(x)`` on an npflow array dispatches here
(``__array_function__``); NumPy's ``as_strided(x)`` returns a NumPy array on x's memory.
"""
import itertools

import numpy as _numpy
from numpy.lib.array_utils import normalize_axis_tuple

from .._core.public import npflow as _np  # (called at run time, once npflow is imported)
from .._core.dispatch import apply
from .._core.registry import REGISTRY, kernel_op
from .._numpy.manipulation import broadcast_to, broadcast_arrays, broadcast_shapes  # noqa: F401
from ..autodiff.rules import defvjp, deflinear

__all__ = ["as_strided", "sliding_window_view", "broadcast_to", "broadcast_arrays",
           "broadcast_shapes"]


@kernel_op("sliding_window_view")
def _sliding_window_view(xp, x, *, window_shape, axis, writeable=False):
    return xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis, writeable=writeable)


@kernel_op("as_strided", differentiable=None)
def _as_strided(xp, x, *, shape, strides, writeable=True):
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """NumPy's sliding_window_view: windows of ``window_shape`` over ``axis`` as a view of x."""
    window_shape = tuple(window_shape) if _numpy.iterable(window_shape) else (window_shape,)
    x = _np.asarray(x)
    if axis is None:
        axis = tuple(range(x.ndim))
        if len(window_shape) != len(axis):
            raise ValueError(f"sliding_window_view(): since axis is None, window_shape must have one "
                             f"entry per dimension of x (x has {x.ndim}, window_shape {window_shape})")
    else:
        axis = normalize_axis_tuple(axis, x.ndim, allow_duplicate=True)
        if len(window_shape) != len(axis):
            raise ValueError(f"sliding_window_view(): window_shape {window_shape} and axis {axis} "
                             f"must have the same length")
    return apply(REGISTRY_OP, x, window_shape=window_shape, axis=axis, writeable=writeable)


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    """NumPy's as_strided on an npflow array: a view at the given strides (no derivative: an
    array being differentiated raises)."""
    x = _np.asarray(x)
    return apply(_AS_STRIDED, x, shape=x.shape if shape is None else tuple(shape),
                 strides=x.strides if strides is None else tuple(strides), writeable=writeable)


def _swv_vjp(g, ans, x, window_shape, axis, writeable=False):
    """Each window offset's cotangent, padded back to x's shape, summed."""
    parts = []
    for offsets in itertools.product(*(range(w) for w in window_shape)):
        pads = [[0, 0] for _ in range(x.ndim)]
        for ax, w, k in zip(axis, window_shape, offsets):
            pads[ax][0] += k
            pads[ax][1] += w - 1 - k
        parts.append(_np.pad(g[(Ellipsis,) + offsets], pads))
    return sum(parts[1:], parts[0]) if parts else _np.zeros_like(x)


REGISTRY_OP, _AS_STRIDED = REGISTRY["sliding_window_view"], REGISTRY["as_strided"]
defvjp("sliding_window_view", _swv_vjp, shape_only=(0,))
deflinear("sliding_window_view", lambda t, window_shape, axis, writeable=False:
          apply(REGISTRY_OP, t, window_shape=window_shape, axis=axis, writeable=writeable))
