"""Sorting, searching and indexed selection: each one backend call.

Index-like arguments (``indices``, ``kth``, ``condition``, ``sorter``, the
``a`` of ``choose``) are static parameters; the positional operands are the
arrays whose values a result is made of (what gradients flow to). Ops whose
outputs are positions or counts have no derivative (``differentiable=False``);
``unique`` is a set operation and, as in other frameworks, has none either.
Functions taking a sequence of arrays (``lexsort`` keys, ``choose`` choices)
receive them as separate operands, or one stacked operand with ``stacked=True``.
"""
from .._core.registry import kernel_op, xp_op

N = dict(differentiable=False)
OPS = {name: xp_op(name, **kw) for name, kw in [
    ("sort", {}), ("partition", {}), ("take", {}), ("take_along_axis", {}),
    ("argsort", N), ("argpartition", N), ("unique", N), ("nonzero", N), ("flatnonzero", N),
    ("argwhere", N), ("searchsorted", N),
]}


@kernel_op("lexsort", **N)
def lexsort(xp, *keys, axis, stacked):
    return xp.lexsort(keys[0] if stacked else keys, axis=axis)


@kernel_op("choose")
def choose(xp, *choices, a, stacked, **params):
    return xp.choose(a, choices[0] if stacked else choices, **params)


@kernel_op("extract")
def extract(xp, arr, *, condition):
    return xp.extract(condition, arr)


@kernel_op("compress")
def compress(xp, a, *, condition, **params):
    return xp.compress(condition, a, **params)


@kernel_op("put", wraps=False, inplace="write")
def put(xp, a, v, *, ind, mode):
    xp.put(a, ind, v, mode=mode)


@kernel_op("put_along_axis", wraps=False, inplace="write")
def put_along_axis(xp, arr, values, *, indices, axis):
    xp.put_along_axis(arr, indices, values, axis)


OPS.update(lexsort=lexsort, choose=choose, extract=extract, compress=compress, put=put,
           put_along_axis=put_along_axis)
