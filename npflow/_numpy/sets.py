"""Set operations on 1-d arrays: ``intersect1d``, ``setdiff1d``, ``setxor1d``, ``union1d``.

Composites, NumPy's own algorithms (sort the joined arrays, compare neighbours), written in
npflow ops. The unique values are gathered from the input by ``unique``'s first indices, so
the results' values are differentiable (the index results are not).
"""
from .._core.dispatch import composite
from .creation import asarray
from .manipulation import _arrays, concatenate, ravel
from .sorting import argsort, isin, sort, unique

__all__ = ["intersect1d", "setdiff1d", "setxor1d", "union1d"]


def _unique(ar):
    """(``unique(ar)``, the first index of each value): the values gathered from ``ar``."""
    flat = ravel(ar)
    index = unique(flat, return_index=True)[1]
    return flat[index], index


@composite
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    ar1, ar2 = _arrays([ar1, ar2], "intersect1d")
    if assume_unique:
        ar1, ar2 = ravel(ar1), ravel(ar2)
    else:
        (ar1, ind1), (ar2, ind2) = _unique(ar1), _unique(ar2)
    aux = concatenate((ar1, ar2))
    order = argsort(aux, kind="mergesort")  # stable: of two equal values, ar1's comes first
    aux = aux[order]
    mask = aux[1:] == aux[:-1]
    int1d = aux[:-1][mask]
    if not return_indices:
        return int1d
    i1, i2 = order[:-1][mask], order[1:][mask] - ar1.size
    return (int1d, i1, i2) if assume_unique else (int1d, ind1[i1], ind2[i2])


@composite
def setdiff1d(ar1, ar2, assume_unique=False):
    ar1, ar2 = _arrays([ar1, ar2], "setdiff1d")
    if assume_unique:
        ar1 = ravel(ar1)
    else:
        ar1, ar2 = _unique(ar1)[0], _unique(ar2)[0]
    return ar1[isin(ar1, ar2, assume_unique=True, invert=True)]


@composite
def setxor1d(ar1, ar2, assume_unique=False):
    ar1, ar2 = _arrays([ar1, ar2], "setxor1d")
    if not assume_unique:
        ar1, ar2 = _unique(ar1)[0], _unique(ar2)[0]
    aux = concatenate((ar1, ar2), axis=None)
    if aux.size == 0:
        return aux
    aux = sort(aux)
    different = aux[1:] != aux[:-1]
    true = asarray([True], device=aux.device)
    flag = concatenate((true, different, true))
    return aux[flag[1:] & flag[:-1]]


@composite
def union1d(ar1, ar2):
    return _unique(concatenate(_arrays([ar1, ar2], "union1d"), axis=None))[0]
