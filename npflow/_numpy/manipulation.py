"""Shape manipulation: ``reshape``, ``transpose``, ``concatenate``, ``stack``, ``split``, ``pad``, ...

Every function has NumPy 2's signature. Primitives (see ``npflow._ops.manipulation``):
reshape, ravel, transpose, broadcast_to, concatenate, repeat, roll, pad. The rest are
composites of those and indexing, built as NumPy builds them, so they return views
exactly where NumPy does (axis moves, squeeze/expand, flips, split pieces).
"""
import operator
import warnings

import numpy as _np
from numpy.lib.array_utils import normalize_axis_index as _axis, normalize_axis_tuple as _axes

from .._core.dispatch import apply, composite, describe, ndarray_type, DeviceMismatchError
from .._core.registry import REGISTRY
from .._ops import manipulation as _ops  # noqa: F401  (registers the primitives)
from .creation import asarray

_OPS = {name: REGISTRY[name] for name in (
    "reshape", "ravel", "transpose", "broadcast_to", "concatenate", "repeat", "roll", "pad")}

__all__ = ["shape", "ndim", "size", "diff", 
    "reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "moveaxis", "swapaxes",
    "expand_dims", "squeeze", "broadcast_to", "broadcast_arrays", "broadcast_shapes",
    "concatenate", "concat", "stack", "vstack", "hstack", "dstack", "column_stack",
    "split", "array_split", "hsplit", "vsplit", "dsplit", "tile", "repeat", "flip", "fliplr",
    "flipud", "roll", "rot90", "pad", "atleast_1d", "atleast_2d", "atleast_3d",
] + [name for name in ("row_stack", "unstack") if hasattr(_np, name)]


# -- helpers (metadata only) ---------------------------------------------------
def _arrays(seq, fn):
    """The items of a sequence as npflow arrays on one device (foreign ones join that device)."""
    if not hasattr(seq, "__getitem__"):
        raise TypeError(f'{fn}(): arrays to stack must be passed as a "sequence" type such as '
                        f'list or tuple.')
    nd = ndarray_type()
    items = list(seq)
    devs = {x.device for x in items if isinstance(x, nd)}
    dev = next(iter(devs)) if devs else None
    host = dev is not None and dev.kind != "cpu" and any(isinstance(x, _np.ndarray) for x in items)
    if len(devs) > 1 or host:
        raise DeviceMismatchError(
            f"{fn}(): operands are on different devices ({', '.join(map(describe, items))}); "
            f"move them to one device first with npflow.asarray(x, device=...)")
    return [x if isinstance(x, nd) else asarray(x, device=dev) for x in items]


def _shape(shape):
    """A shape argument (an int or a sequence of ints) as a tuple of non-negative ints."""
    dims = tuple(map(operator.index, shape)) if hasattr(shape, "__len__") else (operator.index(shape),)
    if any(d < 0 for d in dims):
        raise ValueError(f"broadcast_shapes(): negative dimensions are not allowed, got shape {dims}")
    return dims


def _broadcast_shape(shapes, fn):
    ndim = max(map(len, shapes), default=0)
    out = []
    for dims in zip(*[(1,) * (ndim - len(s)) + s for s in shapes]):
        sizes = set(dims) - {1}
        if len(sizes) > 1:
            raise ValueError(f"{fn}(): shape mismatch: objects cannot be broadcast to a single "
                             f"shape: {', '.join(map(str, shapes))}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _at_least(a, n):
    """``a`` with ones added to its shape up to ``n`` dimensions, NumPy's atleast_nd way."""
    a = asarray(a)
    s, nd = a.shape, a.ndim
    if nd >= n:
        return a
    if n == 3 and nd:
        return reshape(a, ((1,) + s if nd == 1 else s) + (1,))
    return reshape(a, (1,) * (n - nd) + s)


def _at_least_all(arys, n):
    res = tuple(_at_least(a, n) for a in arys)
    return res[0] if len(res) == 1 else res


def _sliced(a, axis, start, stop, step=None):
    return a[(slice(None),) * axis + (slice(start, stop, step),)]


# -- primitives ------------------------------------------------------------------
def reshape(a, /, shape, order="C", *, copy=None):
    return apply(_OPS["reshape"], a, shape=shape, order=order, copy=copy)


def ravel(a, order="C"):
    return apply(_OPS["ravel"], a, order=order)


def transpose(a, axes=None):
    return apply(_OPS["transpose"], a, axes=axes)


permute_dims = transpose  # NumPy's Array API name is the same function


def broadcast_to(array, shape, subok=False):
    return apply(_OPS["broadcast_to"], array, shape=shape)


def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if not hasattr(arrays, "__getitem__"):
        raise TypeError("concatenate(): the first input argument needs to be a sequence")
    return apply(_OPS["concatenate"], *arrays, axis=axis, out=out, dtype=dtype, casting=casting)


concat = concatenate  # NumPy's Array API name is the same function


def repeat(a, repeats, axis=None):
    return apply(_OPS["repeat"], a, repeats=repeats, axis=axis)


def roll(a, shift, axis=None):
    return apply(_OPS["roll"], a, shift=shift, axis=axis)


def pad(array, pad_width, mode="constant", **kwargs):
    return apply(_OPS["pad"], array, pad_width=pad_width, mode=mode, **kwargs)


# -- axis moves (views) --------------------------------------------------------------
@composite
def swapaxes(a, axis1, axis2):
    a = asarray(a)
    perm = list(range(a.ndim))
    i, j = _axis(axis1, a.ndim, "swapaxes(): axis1"), _axis(axis2, a.ndim, "swapaxes(): axis2")
    perm[i], perm[j] = j, i
    return transpose(a, perm)


@composite
def matrix_transpose(x, /):
    x = asarray(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose(): Input array must be at least 2-dimensional, "
                         f"but it is {x.ndim}")
    return swapaxes(x, -1, -2)


@composite
def moveaxis(a, source, destination):
    a = asarray(a)
    src = _axes(source, a.ndim, "moveaxis(): source")
    dst = _axes(destination, a.ndim, "moveaxis(): destination")
    if len(src) != len(dst):
        raise ValueError("moveaxis(): `source` and `destination` arguments must have the same "
                         "number of elements")
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@composite
def expand_dims(a, axis):
    a = asarray(a)
    n = a.ndim + (len(axis) if type(axis) in (tuple, list) else 1)
    axes = _axes(axis, n, "expand_dims()")
    dims = iter(a.shape)
    return reshape(a, tuple(1 if i in axes else next(dims) for i in range(n)))


@composite
def squeeze(a, axis=None):
    a = asarray(a)
    s = a.shape
    axes = [i for i, d in enumerate(s) if d == 1] if axis is None else _axes(axis, a.ndim, "squeeze()")
    if any(s[i] != 1 for i in axes):
        raise ValueError(f"squeeze(): cannot select an axis to squeeze out which has size not "
                         f"equal to one (shape {s}, axis {axis})")
    return reshape(a, tuple(d for i, d in enumerate(s) if i not in axes))


@composite
def unstack(x, /, *, axis=0):
    x = asarray(x)
    if x.ndim == 0:
        raise ValueError("unstack(): Input array must be at least 1-d.")
    return tuple(moveaxis(x, _axis(axis, x.ndim, "unstack()"), 0))


# -- broadcasting --------------------------------------------------------------------
def broadcast_shapes(*args):
    return _broadcast_shape([_shape(s) for s in args], "broadcast_shapes")


@composite
def broadcast_arrays(*args, subok=False):
    arrays = _arrays(args, "broadcast_arrays")
    shape = _broadcast_shape([a.shape for a in arrays], "broadcast_arrays")
    return tuple(a if a.shape == shape else broadcast_to(a, shape) for a in arrays)


# -- joining ---------------------------------------------------------------------------
@composite
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = _arrays(arrays, "stack")
    if not arrays:
        raise ValueError("stack(): need at least one array to stack")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack(): all input arrays must have the same shape, got "
                         f"{', '.join(str(a.shape) for a in arrays)}")
    axis = _axis(axis, arrays[0].ndim + 1, "stack()")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out, dtype=dtype,
                       casting=casting)


@composite
def vstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [_at_least(a, 2) for a in _arrays(tup, "vstack")]
    return concatenate(arrays, 0, dtype=dtype, casting=casting)


@composite
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [_at_least(a, 1) for a in _arrays(tup, "hstack")]
    axis = 0 if arrays and arrays[0].ndim == 1 else 1
    return concatenate(arrays, axis, dtype=dtype, casting=casting)


@composite
def dstack(tup):
    return concatenate([_at_least(a, 3) for a in _arrays(tup, "dstack")], 2)


@composite
def column_stack(tup):
    arrays = [a if a.ndim >= 2 else reshape(a, (a.size, 1)) for a in _arrays(tup, "column_stack")]
    return concatenate(arrays, 1)


if hasattr(_np, "row_stack"):
    def row_stack(tup, *, dtype=None, casting="same_kind"):
        warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                      DeprecationWarning, stacklevel=2)
        return vstack(tup, dtype=dtype, casting=casting)


def atleast_1d(*arys):
    return _at_least_all(arys, 1)


def atleast_2d(*arys):
    return _at_least_all(arys, 2)


def atleast_3d(*arys):
    return _at_least_all(arys, 3)


@composite
def tile(A, reps):
    try:
        reps = tuple(map(operator.index, reps))
    except TypeError:
        reps = (operator.index(reps),)
    A = asarray(A)
    d = max(len(reps), A.ndim)
    reps = (1,) * (d - len(reps)) + reps
    shape = (1,) * (d - A.ndim) + A.shape
    if any(r < 0 for r in reps):
        raise ValueError(f"tile(): negative dimensions are not allowed, got reps {reps}")
    # Each axis of size s becomes (r, s): broadcast a (1, s) view, then copy it out flat.
    spread = reshape(A, tuple(v for s in shape for v in (1, s)))
    spread = broadcast_to(spread, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(spread, tuple(r * s for r, s in zip(reps, shape)), copy=True)


# -- splitting (pieces are views) ---------------------------------------------------
@composite
def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "array_split", equal=False)


@composite
def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, "split", equal=True)


def _split(ary, ios, axis, fn, equal):
    ary = asarray(ary)
    axis = _axis(axis, ary.ndim, f"{fn}()")
    total = ary.shape[axis]
    try:
        bounds = [0, *(ios.tolist() if isinstance(ios, ndarray_type()) else ios), total]
    except TypeError:
        sections = int(ios)
        if sections <= 0:
            raise ValueError(f"{fn}(): number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        if equal and extras:
            raise ValueError(f"{fn}(): array split does not result in an equal division "
                             f"({total} into {sections})") from None
        sizes = [each + 1] * extras + [each] * (sections - extras)
        bounds = [sum(sizes[:i]) for i in range(sections + 1)]
    return [_sliced(ary, axis, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _split_family(fn, min_ndim, axis_for):
    def f(ary, indices_or_sections):
        a = asarray(ary)
        if a.ndim < min_ndim:
            raise ValueError(f"{fn} only works on arrays of {min_ndim} or more dimensions")
        return split(a, indices_or_sections, axis_for(a.ndim))
    f.__name__ = f.__qualname__ = fn
    return f


hsplit = _split_family("hsplit", 1, lambda nd: 1 if nd > 1 else 0)
vsplit = _split_family("vsplit", 2, lambda nd: 0)
dsplit = _split_family("dsplit", 3, lambda nd: 2)


# -- flips and rotations (views) ---------------------------------------------------------
@composite
def flip(m, axis=None):
    m = asarray(m)
    axes = range(m.ndim) if axis is None else _axes(axis, m.ndim, "flip()")
    return m[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(m.ndim))]


@composite
def fliplr(m):
    m = asarray(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr(): Input must be >= 2-d, got shape {m.shape}.")
    return m[:, ::-1]


@composite
def flipud(m):
    m = asarray(m)
    if m.ndim < 1:
        raise ValueError("flipud(): Input must be >= 1-d.")
    return m[::-1, ...]


@composite
def rot90(m, k=1, axes=(0, 1)):
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90(): len(axes) must be 2.")
    m = asarray(m)
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise ValueError("rot90(): Axes must be different.")
    if not all(-m.ndim <= a < m.ndim for a in axes):
        raise ValueError(f"rot90(): Axes={axes} out of range for array of ndim={m.ndim}.")
    k %= 4
    if k == 0:
        return m[:]
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(m.ndim))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    return transpose(flip(m, axes[1]), perm) if k == 1 else flip(transpose(m, perm), axes[1])


def shape(a):
    """The shape of ``a`` (an array, or anything ``asarray`` takes)."""
    return asarray(a).shape


def ndim(a):
    return asarray(a).ndim


def size(a, axis=None):
    s = asarray(a).shape
    if axis is None:
        return operator.index(_np.prod(s, dtype=_np.intp)) if s else 1
    if isinstance(axis, tuple):
        return operator.index(_np.prod([s[i] for i in _axes(axis, len(s), "size")], dtype=_np.intp))
    return s[_axis(axis, len(s), "size")]


@composite
def diff(a, n=1, axis=-1, prepend=_np._NoValue, append=_np._NoValue):
    """The n-th discrete difference along ``axis`` (NumPy's algorithm, so it differentiates)."""
    import npflow
    a = asarray(a)
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    nd = a.ndim
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis(axis, nd)
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _np._NoValue:
            extra = asarray(extra, device=a.device)
            if extra.ndim == 0:
                shape = list(a.shape)
                shape[axis] = 1
                extra = broadcast_to(extra, tuple(shape))
            parts.append(extra)
    if len(parts) > 1:
        a = concatenate(parts, axis)
    later = tuple(slice(1, None) if i == axis else slice(None) for i in range(nd))
    earlier = tuple(slice(None, -1) if i == axis else slice(None) for i in range(nd))
    op = npflow.not_equal if a.dtype == _np.bool_ else npflow.subtract
    for _ in range(n):
        a = op(a[later], a[earlier])
    return a
