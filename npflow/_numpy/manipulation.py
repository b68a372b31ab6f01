"""Shape manipulation: ``reshape``, ``transpose``, ``concatenate``, ``stack``, ``split``, ``pad``, ...

Every function has NumPy 2's signature. Primitives (see ``npflow._ops.manipulation``):
reshape, ravel, transpose, broadcast_to, broadcast_arrays, concatenate, repeat, roll, pad (its
statistic modes: pad_statistic), copyto, packbits, unpackbits. The rest are composites of those
and indexing, built as NumPy builds them, so they return views exactly where NumPy does (axis
moves, squeeze/expand, flips, split pieces).
The in-place functions (place, putmask, fill_diagonal) write through ``setitem``/``flat``, so
tapes record them as functional updates.
"""
import operator
import warnings

import numpy as _np
from numpy.lib.array_utils import normalize_axis_index as _axis, normalize_axis_tuple as _axes

from .._core import dispatch as _dispatch
from .._core.dispatch import apply, composite, describe, ndarray_type, DeviceMismatchError
from .._core.dispatch import warn_at_caller as _warn_at_caller
from .._core.registry import REGISTRY
from .._ops import manipulation as _ops  # noqa: F401  (registers the primitives)
from .creation import asarray

_OPS = {name: REGISTRY[name] for name in (
    "reshape", "ravel", "transpose", "broadcast_to", "concatenate", "repeat", "roll", "pad",
    "pad_statistic", "broadcast_arrays", "copyto", "packbits", "unpackbits")}

__all__ = ["shape", "ndim", "size", "diff", 
    "reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "moveaxis", "swapaxes",
    "expand_dims", "squeeze", "broadcast_to", "broadcast_arrays", "broadcast_shapes",
    "concatenate", "concat", "stack", "vstack", "hstack", "dstack", "column_stack",
    "split", "array_split", "hsplit", "vsplit", "dsplit", "tile", "repeat", "flip", "fliplr",
    "flipud", "roll", "rot90", "pad", "atleast_1d", "atleast_2d", "atleast_3d",
    "append", "block", "delete", "insert", "resize", "rollaxis", "trim_zeros", "packbits",
    "unpackbits", "copyto", "place", "putmask", "fill_diagonal", "select", "piecewise",
    "apply_along_axis", "apply_over_axes",
] + [name for name in ("row_stack", "unstack") if hasattr(_np, name)]


# -- helpers (metadata only) ---------------------------------------------------
def _tracked(x):
    """Whether an active trace (a tape, a jvp) is differentiating ``x``."""
    return isinstance(x, ndarray_type()) and _dispatch.tracked_by_active(x)


def _arrays(seq, fn):
    """The items of a sequence as npflow arrays on one device (foreign ones join that device)."""
    if not hasattr(seq, "__getitem__"):
        raise TypeError(f'{fn}(): arrays to stack must be passed as a "sequence" type such as '
                        f'list or tuple.')
    nd = ndarray_type()
    items = list(seq)
    devs = {x.device for x in items if isinstance(x, nd)}
    dev = next(iter(devs)) if devs else None
    if len(devs) > 1:
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
    """The broadcast shape, or NumPy's error naming the first two arguments that disagree
    (scanning the result's axes left to right, as its broadcast iterator does)."""
    ndim = max(map(len, shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for i in range(ndim):
        size, src = 1, None
        for j, s in enumerate(padded):
            if s[i] == 1:
                continue
            if size == 1:
                size, src = s[i], j
            elif size != s[i]:
                raise ValueError(f"{fn}(): shape mismatch: objects cannot be broadcast to a single "
                                 f"shape.  Mismatch is between arg {src} with shape {tuple(shapes[src])} "
                                 f"and arg {j} with shape {tuple(shapes[j])}.")
        out.append(size)
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
        raise TypeError("concatenate(): The first input argument needs to be a sequence")
    return apply(_OPS["concatenate"], *arrays, axis=axis, out=out, dtype=dtype, casting=casting)


concat = concatenate  # NumPy's Array API name is the same function


def repeat(a, repeats, axis=None):
    return apply(_OPS["repeat"], a, repeats=repeats, axis=axis)


def roll(a, shift, axis=None):
    return apply(_OPS["roll"], a, shift=shift, axis=axis)


def pad(array, pad_width, mode="constant", **kwargs):
    if callable(mode) and _tracked(array):
        from ..autodiff.core import AutodiffError
        raise AutodiffError(f"pad(): a function as mode ({mode!r}) has no derivative, but it was given "
                            f"an array being differentiated ({describe(array)}); pad with a named mode")
    c = kwargs.get("constant_values")
    if mode == "constant" and _tracked(c) and c.ndim == 0 and set(kwargs) == {"constant_values"}:
        # a traced fill: the padding's cells (a mask padded alike) take it, differentiably
        from .._core.public import npflow as np
        array = asarray(array)
        mask = apply(_OPS["pad"], np.zeros(array.shape, dtype=bool, device=array.device),
                     pad_width=pad_width, mode=mode, constant_values=True)
        return np.where(mask, c.astype(array.dtype), apply(_OPS["pad"], array, pad_width=pad_width, mode=mode))
    op = _OPS["pad_statistic"] if isinstance(mode, str) and mode in _ops.PAD_STATISTICS else _OPS["pad"]
    return apply(op, array, pad_width=pad_width, mode=mode, **kwargs)


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
    src = _axes(source, a.ndim, "source")  # (NumPy's messages: composite names the function)
    dst = _axes(destination, a.ndim, "destination")
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same "
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
    if not axes:  # nothing to squeeze: the array itself, as NumPy
        return a
    return reshape(a, tuple(d for i, d in enumerate(s) if i not in axes))


@composite
def unstack(x, /, *, axis=0):
    x = asarray(x)
    if x.ndim == 0:
        raise ValueError("unstack(): Input array must be at least 1-d.")
    return tuple(moveaxis(x, _axis(axis, x.ndim, "source"), 0))  # (NumPy's message: its moveaxis)


# -- broadcasting --------------------------------------------------------------------
def broadcast_shapes(*args):
    return _broadcast_shape([_shape(s) for s in args], "broadcast_shapes")


@composite
def broadcast_arrays(*args, subok=False):
    """NumPy's: the arrays already of the common shape as they are, views of the others (all
    writeable where the input is, warning on write, as NumPy 2's)."""
    arrays = _arrays(args, "broadcast_arrays")
    shape = _broadcast_shape([a.shape for a in arrays], "broadcast_arrays")
    if all(a.shape == shape for a in arrays):
        return tuple(arrays)
    views = apply(_OPS["broadcast_arrays"], *arrays)
    return tuple(a if a.shape == shape else v for a, v in zip(arrays, views))


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
        _warn_at_caller("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                      DeprecationWarning)
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
    # NumPy repeats axis after axis: a negative count raises unless the array is empty and it
    # multiplies an empty axis (its final reshape refuses a negative length).
    if any(s * r < 0 for s, r in zip(shape, reps)) or A.size and any(r < 0 for r in reps):
        raise ValueError(f"tile(): negative dimensions are not allowed, got reps {reps}")
    reps = tuple(max(r, 0) for r in reps)
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
    try:
        axis = _axis(axis, ary.ndim)
    except _np.exceptions.AxisError as e:  # an AxisError (an IndexError), with NumPy's words too
        raise _np.exceptions.AxisError(f"{fn}(): {e} (tuple index out of range)") from None
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
        raise ValueError(f"fliplr(): Input must be >= 2-d. (shape {m.shape})")
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


# -- inserting, deleting, resizing (copies) ----------------------------------------------
def _host_index(obj):
    """An index argument (ints, a slice, a mask) as host metadata (npflow arrays are read back)."""
    return _np.asarray(obj) if isinstance(obj, ndarray_type()) else obj


def _flat_axis(arr, axis, fn):
    """NumPy's ``axis=None`` convention for delete/insert/append: the array flattened, axis 0."""
    if axis is None:
        return (arr if arr.ndim == 1 else ravel(arr)), 0
    return arr, _axis(axis, arr.ndim, f"{fn}()")


@composite
def append(arr, values, axis=None):
    arr, values = _arrays([arr, values], "append")
    if axis is None:
        arr, values, axis = (arr if arr.ndim == 1 else ravel(arr)), ravel(values), 0
    return concatenate((arr, values), axis=axis)


@composite
def delete(arr, obj, axis=None):
    arr, axis = _flat_axis(asarray(arr), axis, "delete")
    try:
        keep = _np.delete(_np.arange(arr.shape[axis]), _host_index(obj))  # which positions stay
    except IndexError as e:  # (raised about the positions' axis 0: name the array's)
        raise IndexError(str(e).replace("for axis 0 ", f"for axis {axis} ")) from None
    return arr[(slice(None),) * axis + (asarray(keep, device=arr.device),)]


@composite
def insert(arr, obj, values, axis=None):
    arr, axis = _flat_axis(asarray(arr), axis, "insert")
    n, obj = arr.shape[axis], _host_index(obj)
    if isinstance(obj, slice):
        obj = _np.arange(*obj.indices(n))
    elif _np.ndim(obj) and _np.asarray(obj).dtype == bool:  # a mask: its True positions
        obj = _np.flatnonzero(obj)
    values = (values.astype(arr.dtype, copy=False) if isinstance(values, ndarray_type())
              else asarray(values, dtype=arr.dtype, device=arr.device))
    if _np.size(obj) == 1:  # one position: the values' own length along axis (NumPy's rule)
        values = reshape(values, (1,) * (arr.ndim - values.ndim) + values.shape)
        if _np.ndim(obj) == 0:
            values = moveaxis(values, 0, axis)
        count = values.shape[axis]
    else:
        count = _np.size(obj)
    target = arr.shape[:axis] + (count,) + arr.shape[axis + 1:]
    try:
        values = broadcast_to(values, target)
    except ValueError:  # NumPy's message: it assigns the values into the new array
        fmt = lambda t: f"({','.join(map(str, t))}{',' if len(t) == 1 else ''})"  # noqa: E731
        raise ValueError(f"could not broadcast input array from shape {fmt(values.shape)} into "
                         f"shape {fmt(target)}") from None
    # Where every element of the result comes from in (arr, values) joined: NumPy's insert of
    # the values' positions n, n+1, ... into arange(n).
    source = _np.insert(_np.arange(n), obj, _np.arange(n, n + count))
    joined = concatenate((arr, values), axis=axis)
    return joined[(slice(None),) * axis + (asarray(source, device=arr.device),)]


@composite
def resize(a, new_shape):
    new_shape = _shape_arg(new_shape)
    a = ravel(a)
    new_size = int(_np.prod(new_shape, dtype=_np.intp))
    if any(d < 0 for d in new_shape):
        raise ValueError("resize(): all elements of `new_shape` must be non-negative")
    if a.size == 0 or new_size == 0:
        import npflow
        return npflow.zeros(new_shape, dtype=a.dtype, device=a.device)
    repeats = -(-new_size // a.size)
    return reshape(concatenate((a,) * repeats)[:new_size], new_shape)


def _shape_arg(shape):
    return tuple(map(operator.index, shape)) if hasattr(shape, "__len__") else (operator.index(shape),)


@composite
def rollaxis(a, axis, start=0):
    a = asarray(a)
    n = a.ndim
    axis = _axis(axis, n, "rollaxis()")
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise _np.exceptions.AxisError(f"rollaxis(): 'start' arg requires {-n} <= start < {n + 1}, "
                                       f"but {start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(a, axes)


@composite
def trim_zeros(filt, trim="fb", axis=None):
    import npflow
    a = asarray(filt)
    trim = trim.lower()
    if trim not in {"fb", "bf", "f", "b"}:
        raise ValueError(f"trim_zeros(): unexpected character(s) in `trim`: {trim!r}")
    axes = range(a.ndim) if axis is None else _axes(axis, a.ndim, "axis")
    if not axes:
        return filt
    # (as NumPy: None in an object array counts as nonzero here, so object arrays test != 0)
    nonzero = npflow.argwhere(a != 0 if a.dtype == object else a)
    if nonzero.size == 0:  # all zero: an empty slice
        start = stop = [0] * a.ndim
    else:
        start = npflow.min(nonzero, axis=0).tolist() if "f" in trim else [None] * a.ndim
        stop = (npflow.max(nonzero, axis=0) + 1).tolist() if "b" in trim else [None] * a.ndim
    sl = tuple(slice(start[ax], stop[ax]) if ax in axes else slice(None) for ax in range(a.ndim))
    src = filt if isinstance(filt, (list, tuple)) else a  # NumPy slices lists as lists
    return src[sl[0]] if len(sl) == 1 else src[sl]


def packbits(a, /, axis=None, bitorder="big"):
    return apply(_OPS["packbits"], a, axis=axis, bitorder=bitorder)


def unpackbits(a, /, axis=None, count=None, bitorder="big"):
    return apply(_OPS["unpackbits"], a, axis=axis, count=count, bitorder=bitorder)


# -- writing in place (recorded by tapes as functional updates) -------------------------------
def _target(a, fn):
    """The array an in-place function writes into, as an npflow array sharing its memory."""
    if not isinstance(a, (ndarray_type(), _np.ndarray)):
        raise TypeError(f"{fn}() argument 1 must be numpy.ndarray, not {type(a).__name__}")
    return asarray(a)


def copyto(dst, src, casting="same_kind", where=True):
    if not isinstance(dst, (ndarray_type(), _np.ndarray)):
        raise TypeError(f"copyto() argument 1 must be a numpy.ndarray, not {type(dst).__name__}")
    apply(_OPS["copyto"], dst, src, casting=casting, where=where)


@composite
def place(arr, mask, vals):
    import npflow
    arr = _target(arr, "place")
    mask = asarray(mask, device=arr.device)
    if mask.size != arr.size:
        raise ValueError("place(): mask and data must be the same size")
    positions = npflow.flatnonzero(mask)
    vals = ravel(vals if isinstance(vals, ndarray_type()) else asarray(vals, device=arr.device))
    if positions.size and not vals.size:
        raise ValueError("place(): Cannot insert from an empty array!")
    if positions.size:
        arr.flat[positions] = vals  # the values repeat cyclically over the selected positions


@composite
def putmask(a, /, mask, values):
    import npflow
    a = _target(a, "putmask")
    mask = asarray(mask, device=a.device)
    if mask.size != a.size:
        raise ValueError("putmask(): mask and data must be the same size")
    values = ravel(values if isinstance(values, ndarray_type()) else asarray(values, device=a.device))
    positions = npflow.flatnonzero(mask)
    if values.size and positions.size:  # values[i % len(values)] goes to flat position i
        a.flat[positions] = values[positions % values.size]


@composite
def fill_diagonal(a, val, wrap=False):
    import npflow
    if a.ndim < 2:
        raise ValueError("fill_diagonal(): array must be at least 2-d")
    end = None
    if a.ndim == 2:
        step = a.shape[1] + 1
        if not wrap:
            end = a.shape[1] * a.shape[1]
    else:
        if len(set(a.shape)) != 1:
            raise ValueError("fill_diagonal(): All dimensions of input must be of equal length")
        step = 1 + sum(int(_np.prod(a.shape[:i])) for i in range(1, a.ndim))
    a = a if isinstance(a, npflow.ndarray) else asarray(a)
    a.flat[:end:step] = val


# -- choosing by conditions --------------------------------------------------------------------
@composite
def select(condlist, choicelist, default=0):
    import npflow
    if len(condlist) != len(choicelist):
        raise ValueError("select(): list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select(): select with an empty condition list is not possible")
    weak, nd = (int, float, complex), ndarray_type()
    dev = next((x.device for x in (*condlist, *choicelist, default) if isinstance(x, nd)), None)
    choices = [c if type(c) in weak else asarray(c, device=dev) for c in (*choicelist, default)]
    try:
        dtype = npflow.result_type(*choices)
    except TypeError as e:
        raise TypeError(f"select(): Choicelist and default value do not have a common dtype: {e}") \
            from None
    conds = broadcast_arrays(*[asarray(c, device=dev) for c in condlist])
    for i, cond in enumerate(conds):
        if cond.dtype != _np.bool_:
            raise TypeError(f"select(): invalid entry {i} in condlist: should be boolean ndarray")
    choices = broadcast_arrays(*[asarray(c, dtype=dtype, device=dev) if type(c) in weak
                                 else c.astype(dtype, copy=False) for c in choices])
    shape = _broadcast_shape([conds[0].shape, choices[0].shape], "select")
    result = broadcast_to(choices[-1], shape)
    for choice, cond in zip(choices[-2::-1], conds[::-1]):  # the first choice wins: last applied
        result = npflow.where(cond, choice, result)
    return result if result.dtype == dtype else result.astype(dtype)


@composite
def piecewise(x, condlist, funclist, *args, **kw):
    import npflow
    x = asarray(x)
    arrays = (ndarray_type(), _np.ndarray, list)
    scalar = _np.isscalar(condlist) or isinstance(condlist, ndarray_type()) and condlist.ndim == 0
    first = None if scalar else condlist[0]  # (npflow's 0-d arrays stand for NumPy's scalars)
    if first is None or (not (isinstance(first, arrays) and _np.ndim(first)) and x.ndim != 0):
        condlist = [condlist]
    conds = asarray(condlist, dtype=bool, device=x.device)
    n, n2 = len(conds), len(funclist)
    if n == n2 - 1:  # the "otherwise" condition
        conds = concatenate([conds, ~npflow.any(conds, axis=0, keepdims=True)], axis=0)
    elif n != n2:
        raise ValueError(f"piecewise(): with {n} condition(s), either {n} or {n + 1} functions "
                         f"are expected")
    y = npflow.zeros_like(x)
    for cond, func in zip(conds, funclist):
        if not callable(func):
            y[cond] = func
        else:
            vals = x[cond]
            if vals.size > 0:
                y[cond] = func(vals, *args, **kw)
    return y


# -- applying functions over axes ------------------------------------------------------------
@composite
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = asarray(arr)
    axis = _axis(axis, arr.ndim, "apply_along_axis()")
    moved = moveaxis(arr, axis, -1)
    outer = moved.shape[:-1]
    if 0 in outer:
        raise ValueError("apply_along_axis(): Cannot apply_along_axis when any iteration "
                         "dimensions are 0")
    results = [asarray(func1d(moved[ind + (Ellipsis,)], *args, **kwargs), device=arr.device)
               for ind in _np.ndindex(outer)]
    first = results[0]
    results = [r if r.shape == first.shape else broadcast_to(r, first.shape) for r in results]
    buff = reshape(stack(results, dtype=first.dtype, casting="unsafe"), outer + first.shape)
    dims = list(range(buff.ndim))
    return transpose(buff, dims[:axis] + dims[buff.ndim - first.ndim:] + dims[axis:buff.ndim - first.ndim])


@composite
def apply_over_axes(func, a, axes):
    val = asarray(a)
    if _np.ndim(axes) == 0:
        axes = (axes,)
    for axis in axes:
        if axis < 0:
            axis += val.ndim
        res = func(val, axis)
        if res.ndim != val.ndim:
            res = expand_dims(res, axis)
            if res.ndim != val.ndim:
                raise ValueError("apply_over_axes(): function is not returning an array of the "
                                 "correct shape")
        val = res
    return val


# -- block ------------------------------------------------------------------------------------
def _block_depth(arrays, index=()):
    """(the first leaf's index, the largest ndim of the leaves), checking that every leaf is
    equally deep (its index's length is the list depth)."""
    if type(arrays) is tuple:
        raise TypeError(f"block(): arrays is a tuple{f' at arrays{list(index)}' if index else ''}. "
                        f"Only lists can be used to arrange blocks, and np.block does not allow "
                        f"implicit conversion from tuple to ndarray.")
    if type(arrays) is not list:
        return index, _np.ndim(arrays) if not isinstance(arrays, ndarray_type()) else arrays.ndim
    if not arrays:
        raise ValueError(f"block(): List at arrays{list(index)} cannot be empty")
    first, ndim = None, 0
    for i, x in enumerate(arrays):
        where, n = _block_depth(x, index + (i,))
        if first is None:
            first = where
        elif len(where) != len(first):
            raise ValueError(f"block(): List depths are mismatched. First element was at depth "
                             f"{len(first)}, but there is an element at depth {len(where)} "
                             f"(arrays{''.join(f'[{k}]' for k in where)})")
        ndim = max(ndim, n)
    return first, ndim


@composite
def block(arrays):
    first, ndim = _block_depth(arrays)
    depth = len(first)
    ndim = max(depth, ndim)
    leaves = []

    def collect(x):
        if type(x) is list:
            for e in x:
                collect(e)
        else:
            leaves.append(x)
    collect(arrays)
    leaves = iter(_arrays(leaves, "block"))

    def build(x, d):
        if d == depth:
            leaf = next(leaves)
            return reshape(leaf, (1,) * (ndim - leaf.ndim) + leaf.shape)
        return concatenate([build(e, d + 1) for e in x], axis=-(depth - d))
    result = build(arrays, 0)
    return result.copy() if depth == 0 else result
