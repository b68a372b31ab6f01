"""Reduction primitives: sums, products, extrema, statistics, scans and their nan-variants.

Each kernel is the backend's function of the same name, so values and dtypes
are NumPy's own (``mean`` of float16 accumulates in float32, ``nanvar`` and
``median`` take NumPy's exact steps). Rows marked ``N`` have integer or
boolean outputs and no derivative.
"""
import numpy as _numpy

from .._core.registry import xp_op

D, N = True, False  # differentiable / not
REDUCTIONS = [
    ("sum", D), ("prod", D), ("mean", D), ("var", D), ("std", D), ("min", D), ("max", D),
    ("median", D), ("cumsum", D), ("cumprod", D), ("cumulative_sum", D), ("cumulative_prod", D),
    ("argmin", N), ("argmax", N), ("all", N), ("any", N), ("count_nonzero", N),
    ("nansum", D), ("nanprod", D), ("nanmean", D), ("nanvar", D), ("nanstd", D),
    ("nanmin", D), ("nanmax", D), ("nanmedian", D), ("nancumsum", D), ("nancumprod", D),
    ("nanargmin", N), ("nanargmax", N),
]
# cumulative_sum / cumulative_prod exist from NumPy 2.1 on.
REDUCTIONS = [row for row in REDUCTIONS if hasattr(_numpy, row[0])]

for _name, _diff in REDUCTIONS:
    xp_op(_name, differentiable=_diff)


# -- derivative rules --------------------------------------------------------------------------
import npflow as np  # noqa: E402  (the rules run later, once npflow is imported)

from ..autodiff.rules import defvjp, defjvp, restore_axes  # noqa: E402


def _sum_vjp(g, ans, x, axis=None, keepdims=False, where=True, **_):
    g = restore_axes(g, x.shape, axis, keepdims)
    return g if where is True else np.where(where, g, 0)


defvjp("sum", _sum_vjp, shape_only=(0,))
defjvp("sum", lambda t, ans, x, axis=None, keepdims=False, where=True, dtype=None, **_:
       np.sum(t, axis=axis, keepdims=keepdims, where=where, dtype=dtype))
defvjp("add.reduce", lambda g, ans, x, axis=0, keepdims=False, **_: restore_axes(g, x.shape, axis, keepdims),
       shape_only=(0,))
defjvp("add.reduce", lambda t, ans, x, axis=0, keepdims=False, dtype=None, **_:
       np.add.reduce(t, axis=axis, keepdims=keepdims, dtype=dtype))
