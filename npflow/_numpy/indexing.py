"""Index helpers: ``ix_``, ``indices``, ``tril_indices``, ``unravel_index``, ``ndenumerate`` and
the index objects ``r_``, ``c_``, ``s_``, ``index_exp``, ``mgrid``, ``ogrid``.

Composites of npflow ops (NumPy's algorithms), except ``ravel_multi_index`` and
``unravel_index``, one backend call each (``npflow._ops.manipulation``). Results are
npflow arrays, on the device of the array argument where there is one.
"""
import math
import operator

import numpy as _np

from .._core.dispatch import apply, composite, ndarray_type
from .._core.registry import REGISTRY
from .creation import arange, asarray, linspace, ones, tri
from .manipulation import broadcast_to, concatenate, reshape, stack, swapaxes, transpose

__all__ = ["c_", "r_", "s_", "index_exp", "mgrid", "ogrid", "ix_", "indices", "diag_indices",
           "diag_indices_from", "tril_indices", "tril_indices_from", "triu_indices",
           "triu_indices_from", "mask_indices", "ravel_multi_index", "unravel_index", "ndindex",
           "ndenumerate"]

# Index expressions hold no array data: NumPy's own objects (a[np.s_[1:2]] is a slice).
s_ = _np.s_
index_exp = _np.index_exp
ndindex = _np.ndindex


def _device(*objs):
    """The device of the first npflow array among ``objs`` (None: the default device)."""
    return next((o.device for o in objs if isinstance(o, ndarray_type())), None)


# -- index arrays ------------------------------------------------------------------------------
@composite
def ix_(*args):
    nd, out, dev = len(args), [], _device(*args)
    for k, new in enumerate(args):
        if not isinstance(new, ndarray_type()):
            new = asarray(new, device=dev)
            if new.size == 0:  # an empty list is an empty index, not floats
                new = new.astype(_np.intp)
        if new.ndim != 1:
            raise ValueError("ix_(): Cross index must be 1 dimensional")
        if new.dtype == _np.bool_:
            new, = new.nonzero()
        out.append(reshape(new, (1,) * k + (new.size,) + (1,) * (nd - k - 1)))
    return tuple(out)


def _indices(dimensions, dtype=int, sparse=False, device=None):
    dims = tuple(map(operator.index, dimensions))
    n = len(dims)
    grids = [reshape(arange(d, dtype=dtype, device=device), (1,) * i + (d,) + (1,) * (n - i - 1))
             for i, d in enumerate(dims)]
    if sparse:
        return tuple(grids)
    if not grids:
        return asarray(_np.empty(0, dtype), device=device)
    return stack([broadcast_to(g, dims) for g in grids])


def indices(dimensions, dtype=int, sparse=False):
    return _indices(dimensions, dtype, sparse)


def diag_indices(n, ndim=2):
    return _diag_indices(n, ndim)


def _diag_indices(n, ndim, device=None):
    return (arange(n, device=device),) * ndim


@composite
def diag_indices_from(arr):
    if arr.ndim < 2:
        raise ValueError("diag_indices_from(): input array must be at least 2-d")
    if len(set(arr.shape)) != 1:
        raise ValueError("diag_indices_from(): All dimensions of input must be of equal length")
    return _diag_indices(arr.shape[0], arr.ndim, _device(arr))


def _tri_indices(mask):
    """The (rows, columns) where a 2-d boolean ``mask`` holds, in row-major order."""
    return tuple(broadcast_to(g, mask.shape)[mask]
                 for g in _indices(mask.shape, sparse=True, device=mask.device))


def tril_indices(n, k=0, m=None):
    return _tri_indices(tri(n, m, k=k, dtype=bool))


def triu_indices(n, k=0, m=None):
    return _tri_indices(~tri(n, m, k=k - 1, dtype=bool))


def _from(fn, arr, k):
    if arr.ndim != 2:
        raise ValueError(f"{fn}(): input array must be 2-d")
    lower = fn.startswith("tril")
    mask = tri(arr.shape[-2], arr.shape[-1], k=k if lower else k - 1, dtype=bool, device=_device(arr))
    return _tri_indices(mask if lower else ~mask)


def tril_indices_from(arr, k=0):
    return _from("tril_indices_from", arr, k)


def triu_indices_from(arr, k=0):
    return _from("triu_indices_from", arr, k)


def mask_indices(n, mask_func, k=0):
    return (mask_func(ones((n, n), dtype=int), k) != 0).nonzero()


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    return apply(REGISTRY["ravel_multi_index"], *multi_index, dims=dims, mode=mode, order=order)


def unravel_index(indices, shape, order="C"):
    return apply(REGISTRY["unravel_index"], indices, shape=shape, order=order)


class ndenumerate:
    """Iterator of ``(index tuple, element)`` over an array, in row-major order."""

    def __init__(self, arr):
        self._arr = asarray(arr)
        self._index = _np.ndindex(self._arr.shape)

    def __next__(self):
        i = next(self._index)
        return i, self._arr[i]

    def __iter__(self):
        return self


# -- index objects -----------------------------------------------------------------------------
def _ndmin(x, n):
    """``x`` with ones prepended to its shape up to ``n`` dimensions (``array(x, ndmin=n)``)."""
    return x if x.ndim >= n else reshape(x, (1,) * (n - x.ndim) + x.shape)


class AxisConcatenator:
    """``r_``/``c_``: slices, scalars and arrays joined along an axis (NumPy's directives)."""
    __slots__ = ("axis", "matrix", "ndmin", "trans1d")

    def __init__(self, axis=0, matrix=False, ndmin=1, trans1d=-1):
        self.axis, self.matrix, self.ndmin, self.trans1d = axis, matrix, ndmin, trans1d

    def __getitem__(self, key):
        import npflow
        first = key[0] if isinstance(key, tuple) and key else key
        if isinstance(first, str) and (first in ("r", "c") or first is key):
            raise NotImplementedError("npflow has no matrix class: the 'r'/'c' matrix directives "
                                      "of r_/c_ are not supported")
        key = key if isinstance(key, tuple) else (key,)
        trans1d, ndmin, axis = self.trans1d, self.ndmin, self.axis
        dev = _device(*key)
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, _np.complexfloating)):
                    new = linspace(start, item.stop, num=int(abs(step)), device=dev)
                else:
                    new = arange(start, item.stop, step, device=dev)
                if ndmin > 1:
                    new = _ndmin(new, ndmin)
                    if trans1d != -1:
                        new = swapaxes(new, -1, trans1d)
            elif isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                try:
                    vec = [int(x) for x in item.split(",")]
                except ValueError as e:
                    raise ValueError(f"unknown special directive {item!r}") from e
                if len(vec) == 1:
                    axis = vec[0]
                else:
                    axis, ndmin = vec[:2]
                    trans1d = vec[2] if len(vec) == 3 else trans1d
                continue
            elif type(item) in _np.ScalarType:
                objs.append(item)  # converted once the dtype is known (NumPy's weak scalars)
                kinds.append(item)
                continue
            else:
                item_ndim = _np.ndim(item) if not isinstance(item, ndarray_type()) else item.ndim
                new = _ndmin(item if isinstance(item, ndarray_type()) else asarray(item, device=dev),
                             ndmin)
                if trans1d != -1 and item_ndim < ndmin:
                    k2, k1 = ndmin - item_ndim, trans1d
                    k1 += k2 + 1 if k1 < 0 else 0
                    axes = list(range(ndmin))
                    new = transpose(new, axes[:k1] + axes[k2:] + axes[k1:k2])
            objs.append(new)
            kinds.append(new.dtype)
        if kinds:
            dtype = npflow.result_type(*kinds)
            objs = [_ndmin(o.astype(dtype, copy=False) if isinstance(o, ndarray_type())
                           else asarray(o, dtype=dtype, device=dev), ndmin) for o in objs]
        return concatenate(tuple(objs), axis=axis)

    def __len__(self):
        return 0


class RClass(AxisConcatenator):
    """``r_``: join along the first axis."""
    __slots__ = ()

    def __init__(self):
        super().__init__(0)


class CClass(AxisConcatenator):
    """``c_``: join 1-d arrays as columns (along the last axis, at least 2-d)."""
    __slots__ = ()

    def __init__(self):
        super().__init__(-1, ndmin=2, trans1d=0)


r_ = RClass()
c_ = CClass()


class nd_grid:
    """``mgrid``/``ogrid``: dense or open (sparse) grids from slices (a complex step: a count)."""
    __slots__ = ("sparse",)

    def __init__(self, sparse=False):
        self.sparse = sparse

    @staticmethod
    def _step(s):
        """(start, step): a complex step ``nj`` means n points from start to stop inclusive."""
        start = 0 if s.start is None else s.start
        step = 1 if s.step is None else s.step
        if isinstance(step, (complex, _np.complexfloating)):
            step = int(abs(step))
            if step != 1:
                step = (s.stop - start) / float(step - 1)
        return start, step

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            start, step = self._step(key)
            if isinstance(key.step, (complex, _np.complexfloating)):
                length = int(abs(key.step))
                dtype = _np.result_type(start, key.stop, abs(key.step))
                return arange(0, length, 1, dtype=dtype) * step + start
            return arange(start, key.stop, key.step if key.step is not None else 1)
        sizes, nums = [], [0]
        for s in key:
            start = 0 if s.start is None else s.start
            step = 1 if s.step is None else s.step
            if isinstance(step, (complex, _np.complexfloating)):
                step = abs(step)
                sizes.append(int(step))
            else:
                sizes.append(math.ceil((s.stop - start) / step))
            nums += [start, s.stop, step]
        dtype = _np.result_type(*nums)
        if self.sparse:
            grids = [arange(n, dtype=dtype) for n in sizes]
        else:
            grids = list(_indices(sizes, dtype))
        for k, s in enumerate(key):
            start, step = self._step(s)
            grids[k] = grids[k] * step + start
        if self.sparse:
            return tuple(reshape(g, (1,) * k + (n,) + (1,) * (len(sizes) - k - 1))
                         for k, (g, n) in enumerate(zip(grids, sizes)))
        return stack(grids).astype(dtype, copy=False) if grids else _indices((), dtype)


mgrid = nd_grid(sparse=False)
ogrid = nd_grid(sparse=True)
