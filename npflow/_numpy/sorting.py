"""Sorting, searching and indexed selection: ``sort``, ``unique``, ``take``, ``nonzero``, ...

Primitives (one backend call each), except the Array API ``unique_*`` functions,
which are ``unique`` with NumPy's arguments and its named tuples.
"""
import operator as _operator
from collections import namedtuple

import numpy as _np

from .._core.dispatch import apply, ndarray_type
from .._core.registry import REGISTRY
from .._ops.sorting import OPS
from .creation import asarray
from .manipulation import flip, ravel

__all__ = ["isin", "sort", "argsort", "lexsort", "partition", "argpartition", "unique", "unique_values",
           "unique_counts", "unique_inverse", "unique_all", "take", "take_along_axis",
           "put_along_axis", "put", "nonzero", "flatnonzero", "argwhere", "searchsorted",
           "extract", "compress", "choose"]

UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def _given(**params):
    """The optional parameters that were given (not None): backends lacking them still work."""
    return {k: v for k, v in params.items() if v is not None}


def _stacked(seq):
    """A sequence-of-arrays argument as (operands, stacked): one array, or each element."""
    if isinstance(seq, (ndarray_type(), _np.ndarray)):
        return (seq,), True
    return tuple(seq), False


def _writable_target(a, fname, error):
    """In-place functions write into an npflow (or NumPy) array; anything else is NumPy's error."""
    if not isinstance(a, (ndarray_type(), _np.ndarray)):
        raise error(f"{fname}(): the array to write into must be an npflow.ndarray, "
                    f"got {type(a).__name__}")


def sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's sort; ``descending=True`` (the Array API's keyword, not NumPy's) reverses it."""
    r = apply(OPS["sort"], a, axis=axis, **_given(kind=kind, order=order, stable=stable))
    return flip(r, axis=-1 if axis is None else axis) if descending and r.ndim else r


def argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's argsort; ``descending=True`` (the Array API's keyword) orders from largest to smallest,
    equal elements keeping their order when the sort is stable (reversed, flipped and mirrored)."""
    # The standard's default is a stable sort; NumPy's default leaves the order of ties
    # unspecified (machine-dependent), so a stable order is one NumPy allows too.
    stable = True if kind is None and stable is None else stable
    params = _given(kind=kind, order=order, stable=stable)
    a = asarray(a) if descending else a
    if not descending or a.ndim == 0:
        return apply(OPS["argsort"], a, axis=axis, **params)
    if axis is None:
        a, axis = ravel(a), -1
    rev = flip(apply(OPS["argsort"], flip(a, axis=axis), axis=axis, **params), axis=axis)
    return (a.shape[axis] - 1) - rev


def argsort_like_numpy(a, axis=-1):
    """``argsort`` as NumPy's own default sorts: kind ``"quicksort"`` (introsort), not stable.

    npflow's ``argsort``/``sort`` default to a stable sort (a documented deviation NumPy
    allows, its default leaving the order of ties unspecified). Composites that copy NumPy's
    own Python steps (weighted quantiles, histograms, ``interp(period=)``,
    ``linalg.svd(hermitian=True)``) must put equal elements in the very order NumPy's default
    puts them, so their values match NumPy's exactly: they sort through this helper. Internal
    (not in ``__all__``); it is npflow's ``argsort`` with ``kind="quicksort"``, differentiable
    and on every device as that is.
    """
    return argsort(a, axis=axis, kind="quicksort")


def lexsort(keys, axis=-1):
    operands, stacked = _stacked(keys)
    return apply(OPS["lexsort"], *operands, axis=axis, stacked=stacked)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    return apply(OPS["partition"], a, kth=kth, axis=axis, kind=kind, **_given(order=order))


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    return apply(OPS["argpartition"], a, kth=kth, axis=axis, kind=kind, **_given(order=order))


def _size(size, fill_value, what):
    """``size=`` checked (an int >= 0), and ``fill_value=`` as a Python value (JAX's keywords:
    a static output shape, so that ``jit`` can hold the function)."""
    try:
        n = _operator.index(size)
    except TypeError:
        raise TypeError(f"{what}(): size= must be an integer, got {type(size).__name__}") from None
    if n < 0:
        raise ValueError(f"{what}(): size= must be >= 0, got {n}")
    for f in fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,):
        if isinstance(f, (ndarray_type(), _np.ndarray)):
            raise TypeError(f"{what}(): fill_value= must be a Python scalar (or a tuple of "
                            f"them), got an array")
    return n


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True, size=None, fill_value=None):
    """NumPy's ``unique``; with ``size=`` (JAX's keyword, for ``jit``), the first ``size`` sorted
    unique values, padded with ``fill_value`` (default: the smallest value), their indices
    padded with the smallest's, counts with 0 (the inverse indices are NumPy's)."""
    if size is not None:
        return apply(OPS["unique_sized"], ar, size=_size(size, fill_value, "unique"),
                     fill_value=fill_value, return_index=return_index,
                     return_inverse=return_inverse, return_counts=return_counts, axis=axis,
                     equal_nan=equal_nan)
    extra = {} if sorted else {"sorted": False}
    return apply(OPS["unique"], ar, return_index=return_index, return_inverse=return_inverse,
                 return_counts=return_counts, axis=axis, equal_nan=equal_nan, **extra)


def unique_values(x):
    """The distinct values, sorted. NumPy >= 2.3 leaves their order unspecified (hash order); sorted
    is what array-api-compat gives for NumPy and what its consumers (scikit-learn's ``classes_``) expect."""
    return unique(x, equal_nan=False)


def unique_counts(x):
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False))


def unique_inverse(x):
    return UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False))


def unique_all(x):
    return UniqueAllResult(*unique(x, return_index=True, return_inverse=True, return_counts=True,
                                   equal_nan=False))


def take(a, indices, axis=None, out=None, mode="raise"):
    return apply(OPS["take"], a, indices=indices, axis=axis, out=out, mode=mode)


def take_along_axis(arr, indices, axis=-1):
    return apply(OPS["take_along_axis"], arr, indices=indices, axis=axis)


def put_along_axis(arr, indices, values, axis):
    """Write ``values`` into ``arr`` in place along ``axis``."""
    _writable_target(arr, "put_along_axis", AttributeError)
    apply(OPS["put_along_axis"], arr, values, indices=indices, axis=axis)


def put(a, ind, v, mode="raise"):
    """Write ``v`` into the flat positions ``ind`` of ``a``, in place."""
    _writable_target(a, "put", TypeError)
    apply(OPS["put"], a, v, ind=ind, mode=mode)


def nonzero(a, *, size=None, fill_value=None):
    """NumPy's ``nonzero``; with ``size=`` (JAX's keyword, for ``jit``), each index array cut or
    padded to ``size`` entries with ``fill_value`` (default 0; or one value per dimension)."""
    if size is not None:
        return apply(OPS["nonzero_sized"], a, size=_size(size, fill_value, "nonzero"),
                     fill_value=0 if fill_value is None else fill_value)
    return apply(OPS["nonzero"], a)


def flatnonzero(a, *, size=None, fill_value=None):
    """NumPy's ``flatnonzero``; ``size=``/``fill_value=`` as for :func:`nonzero`."""
    if size is not None:
        return apply(OPS["flatnonzero_sized"], a, size=_size(size, fill_value, "flatnonzero"),
                     fill_value=0 if fill_value is None else fill_value)
    return apply(OPS["flatnonzero"], a)


def argwhere(a, *, size=None, fill_value=None):
    """NumPy's ``argwhere``; with ``size=``, ``size`` rows, padded with ``fill_value`` (default
    0; or one value per column)."""
    if size is not None:
        return apply(OPS["argwhere_sized"], a, size=_size(size, fill_value, "argwhere"),
                     fill_value=0 if fill_value is None else fill_value)
    return apply(OPS["argwhere"], a)


def searchsorted(a, v, side="left", sorter=None):
    return apply(OPS["searchsorted"], a, v, side=side, **_given(sorter=sorter))


def extract(condition, arr):
    return apply(OPS["extract"], arr, condition=condition)


def compress(condition, a, axis=None, out=None):
    return apply(OPS["compress"], a, condition=condition, axis=axis, out=out)


def choose(a, choices, out=None, mode="raise"):
    operands, stacked = _stacked(choices)
    return apply(OPS["choose"], *operands, a=a, stacked=stacked, out=out, mode=mode)


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Whether each element of ``element`` is in ``test_elements`` (boolean, ``element``'s shape)."""
    return apply(REGISTRY["isin"], element, test_elements, assume_unique=assume_unique,
                 invert=invert, kind=kind)
