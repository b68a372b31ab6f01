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
