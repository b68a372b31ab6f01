"""Shape-manipulation primitives: one kernel call each, with simple derivatives.

Everything else in ``npflow._numpy.manipulation`` (stacking, splitting,
flipping, axis moves, squeeze/expand, tiling) is a composite of these and indexing.
``copyto`` writes in place (a functional update for autodiff); the bit packing and
index conversion ops (``packbits``, ``ravel_multi_index``, ...) have integer results.
Static parameters are keywords, so the kernels are the backend's functions themselves.
"""
from .._core.registry import kernel_op, xp_op

for _name in ("ravel", "transpose", "broadcast_to", "repeat", "roll", "pad"):
    xp_op(_name)
del _name
PAD_STATISTICS = ("maximum", "minimum", "median")


@kernel_op("pad_statistic")
def pad_statistic(xp, array, *, pad_width, mode, **kwargs):
    """pad's modes in PAD_STATISTICS (an op of their own: only their derivative reads the output)."""
    return xp.pad(array, pad_width, mode, **kwargs)


@kernel_op("reshape")
def reshape(xp, x, *, shape, order="C", copy=None):
    # copy= is passed only when given, for backends whose reshape lacks it.
    if copy is None:
        return xp.reshape(x, shape, order=order)
    return xp.reshape(x, shape, order=order, copy=copy)


@kernel_op("copyto", wraps=False, inplace="write")
def copyto(xp, dst, src, *, casting="same_kind", where=True):
    if where is True:  # where= only when given (CuPy's default is None)
        return xp.copyto(dst, src, casting=casting)
    return xp.copyto(dst, src, casting=casting, where=where)


# Bit packing: integer results, no derivative. count= only when given (CuPy lacks it).
@kernel_op("packbits", differentiable=False)
def packbits(xp, a, *, axis=None, bitorder="big"):
    return xp.packbits(a, axis=axis, bitorder=bitorder)


@kernel_op("unpackbits", differentiable=False)
def unpackbits(xp, a, *, axis=None, count=None, bitorder="big"):
    kw = {} if count is None else {"count": count}
    return xp.unpackbits(a, axis=axis, bitorder=bitorder, **kw)


# Flat <-> multi-dimensional index conversion: integer results, no derivative.
@kernel_op("ravel_multi_index", differentiable=False)
def ravel_multi_index(xp, *multi_index, dims, mode="raise", order="C"):
    return xp.ravel_multi_index(multi_index, dims, mode=mode, order=order)


@kernel_op("unravel_index", differentiable=False)
def unravel_index(xp, indices, *, shape, order="C"):
    return xp.unravel_index(indices, shape, order=order)


@kernel_op("broadcast_arrays", nout=2)  # one output per operand (the engine needs only "several")
def broadcast_arrays(xp, *arrays):
    """NumPy's own: views of the inputs, writeable (warning on write) where the inputs are."""
    return tuple(xp.broadcast_arrays(*arrays))


@kernel_op("concatenate")
def concatenate(xp, *arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return xp.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)


# -- derivative rules (linear maps: jvp is the op itself, vjp its transpose) -----------------
import itertools  # noqa: E402

import numpy as _numpy  # noqa: E402  (pad's widths: metadata only)

from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.core import AutodiffError  # noqa: E402
from ..autodiff.rules import defvjp, defjvp, deflinear, defvjp_all, defjvp_all  # noqa: E402
from .array_ops import scatter_sum  # noqa: E402
from .reductions import _choice_w, _median_w  # noqa: E402  (max's and median's weights)


def _inverse_perm(axes, ndim):
    if axes is None:
        return None
    inv = [0] * ndim
    for i, a in enumerate(axes):
        inv[a % ndim] = i
    return tuple(inv)


def _order(x, order):
    """``order`` where it does not depend on memory layout ('A', 'K' do: the gradient keeps no layout)."""
    order = "C" if order is None else order.upper()
    if order in ("C", "F") or x.ndim <= 1:
        return "F" if order == "F" else "C"
    raise AutodiffError(f"reshape/ravel(): order={order!r} depends on the memory layout, which the "
                        f"gradient does not keep; pass order='C' or 'F' to differentiate")


defvjp("reshape", lambda g, ans, x, order="C": np.reshape(g, x.shape, order=_order(x, order)),
       shape_only=(0,))
deflinear("reshape", lambda t, shape, order="C", copy=None: np.reshape(t, shape, order=_order(t, order)))
defvjp("ravel", lambda g, ans, x, order="C": np.reshape(g, x.shape, order=_order(x, order)),
       shape_only=(0,))
deflinear("ravel", lambda t, order="C": np.ravel(t, order=_order(t, order)))
defvjp("transpose", lambda g, ans, x, axes=None: np.transpose(g, _inverse_perm(axes, x.ndim)),
       shape_only=(0,))
deflinear("transpose", lambda t, axes=None: np.transpose(t, axes))
defvjp("broadcast_to", lambda g, ans, x: g)  # the cotangent is summed back by unbroadcast
deflinear("broadcast_to", lambda t, shape, subok=False: np.broadcast_to(t, shape))
defvjp_all("broadcast_arrays", lambda g, ans, *arrays: list(g), shape_only=True)  # (unbroadcast)
defjvp_all("broadcast_arrays", lambda tangents, ans, *arrays: tuple(
    None if t is None else np.broadcast_to(t, a.shape) for t, a in zip(tangents, ans)))


def _concatenate_vjp(g, ans, *arrays, axis=0, **_):
    if axis is None:
        g = np.reshape(g, (-1,))
    sizes = [None if a is None else a.size if axis is None else a.shape[axis] for a in arrays]
    if sizes.count(None) == 1:  # a foreign operand (a list, a NumPy array): its length is what is left
        sizes[sizes.index(None)] = g.shape[axis or 0] - sum(s for s in sizes if s is not None)
    elif None in sizes:
        raise AutodiffError("concatenate(): the gradient needs the lengths of its operands; convert "
                            "the NumPy arrays and lists among them with npflow.asarray first")
    ends = list(itertools.accumulate(sizes))
    pieces = np.split(g, ends[:-1], axis=axis or 0)
    return [None if a is None else np.reshape(p, a.shape) if p.shape != a.shape else p
            for p, a in zip(pieces, arrays)]


def _concatenate_jvp(tangents, ans, *arrays, axis=0, dtype=None, casting="same_kind", **_):
    ts = [np.zeros_like(a, dtype=ans.dtype) if t is None else t for t, a in zip(tangents, arrays)]
    return np.concatenate(ts, axis=axis, dtype=dtype, casting=casting)


defvjp_all("concatenate", _concatenate_vjp, shape_only=True)
defjvp_all("concatenate", _concatenate_jvp)


def _ints(v):
    """A shift or repeat count as a Python int or list of ints (from an int, sequence or array)."""
    v = v.tolist() if hasattr(v, "tolist") else v
    return [int(e) for e in v] if isinstance(v, (list, tuple)) else int(v)


def _repeat_vjp(g, ans, x, repeats, axis=None):
    n, ax = (x.size, 0) if axis is None else (x.shape[axis], axis % x.ndim)
    r = _ints(repeats)
    if isinstance(r, list) and len(r) == 1:
        r = r[0]
    if isinstance(r, int):  # every element r times: sum over a new axis of length r
        g = np.sum(np.reshape(g, g.shape[:ax] + (n, r) + g.shape[ax + 1:]), axis=ax + 1)
    else:
        index = np.repeat(np.arange(n, device=g.device), r)
        g = scatter_sum(g, g.shape[:ax] + (n,) + g.shape[ax + 1:], (slice(None),) * ax + (index,))
    return np.reshape(g, x.shape)


defvjp("repeat", _repeat_vjp, shape_only=(0,))
deflinear("repeat", lambda t, repeats, axis=None: np.repeat(t, repeats, axis=axis))


def _negated(shift):
    s = _ints(shift)
    return [-e for e in s] if isinstance(s, list) else -s


defvjp("roll", lambda g, ans, x, shift, axis=None: np.roll(g, _negated(shift), axis=axis))
deflinear("roll", lambda t, shift, axis=None: np.roll(t, shift, axis=axis))


# pad: NumPy pads one axis after another, each a linear map of the fibres along it for the
# modes below (x -> pad(x) is then a Kronecker product of per-axis maps). Gathering modes
# transpose as a scatter of an index map; mean, linear_ramp and odd reflections as the
# per-axis matrix, found by padding an identity matrix. The statistic modes (maximum, minimum,
# median) pad each axis in turn with a statistic of each fibre's original part (the earlier
# axes already padded): per axis a weighting of that window, as max's and median's rules.
# They are their own op, pad_statistic: only their rules read the output, which pad's do not save.
# 'empty' pads with uninitialised values, which depend on no input: constants (derivative 0).
# A callable mode is refused when the array is recorded (npflow.pad).
_PAD_GATHERS = frozenset(("edge", "reflect", "symmetric", "wrap"))
_PAD_LINEAR = frozenset(("constant", "empty", "mean", "linear_ramp")) | _PAD_GATHERS
_PAD_STATS = {  # PAD_STATISTICS: the weights of the window ``w`` (along ``ax``) giving the statistic
    "maximum": lambda w, ax: _choice_w(np.max(w, axis=ax, keepdims=True), w, (ax,), None),
    "minimum": lambda w, ax: _choice_w(np.min(w, axis=ax, keepdims=True), w, (ax,), None),
    "median": lambda w, ax: _median_w(None, w, (ax,), None),
}


def _pad_mode(mode):
    if not isinstance(mode, str) or mode not in _PAD_LINEAR:
        raise AutodiffError(f"pad(): mode={mode!r} has no derivative rule (the differentiable modes "
                            f"are {', '.join(sorted(_PAD_LINEAR | set(_PAD_STATS)))})")
    return mode


def _pairs(v, ndim):
    """A per-axis (before, after) argument of pad, as NumPy broadcasts it (rounded to ints)."""
    if v is None:
        return ((None, None),) * ndim
    if isinstance(v, dict):  # {axis: width or (before, after)}, the others unpadded
        v = [v.get(ax, v.get(ax - ndim, 0)) for ax in range(ndim)]
        v = [(w, w) if _numpy.ndim(w) == 0 else tuple(w) for w in v]
    v = _numpy.asarray(v.tolist() if hasattr(v, "tolist") else v)
    return tuple(tuple(int(round(e)) for e in p) for p in _numpy.broadcast_to(v, (ndim, 2)).tolist())


def _axis_params(mode, stat, reflect_type):
    """pad's parameters for one axis, for padding an identity matrix (zero end values: the linear part)."""
    if mode == "mean":
        return {"stat_length": None if stat[0] is None else (stat, stat)}
    return {"end_values": 0} if mode == "linear_ramp" else {"reflect_type": reflect_type}


def _stat_steps(ans, x, mode, pad_width, stat_length):
    """The padded axes of a statistic mode, in NumPy's order: (axis, before, after, [(window
    start, weights) for each padded side]), the weights from the output's values."""
    widths, lengths = _pairs(pad_width, x.ndim), _pairs(stat_length, x.ndim)
    middle = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
    steps = []
    for ax, ((before, after), (lb, la), n) in enumerate(zip(widths, lengths, x.shape)):
        if not before and not after:
            continue
        xk = ans[(slice(None),) * ax + middle[ax:]]  # the array NumPy pads along ``ax``
        sides = []
        for width, length, left in ((before, lb, True), (after, la, False)):
            length = n if length is None else min(length, n)
            start = 0 if left else n - length
            w = _along(xk, ax, slice(start, start + length))
            sides.append((start, _PAD_STATS[mode](w, ax)) if width else None)
        steps.append((ax, before, after, sides))
    return steps


def _along(x, ax, key):
    return x[(slice(None),) * ax + (key,)]


def _pad_stat_vjp(g, ans, x, pad_width, mode, stat_length=None):
    for ax, before, after, sides in reversed(_stat_steps(ans, x, mode, pad_width, stat_length)):
        n = g.shape[ax] - before - after
        ct = _along(g, ax, slice(before, before + n))
        for side, part in zip(sides, (slice(0, before), slice(before + n, None))):
            if side is not None:
                start, w = side
                v = np.sum(_along(g, ax, part), axis=ax, keepdims=True) * w
                widths = [(0, 0)] * g.ndim
                widths[ax] = (start, n - start - v.shape[ax])
                ct = ct + np.pad(v, widths)
        g = ct
    return g


def _pad_stat_jvp(t, ans, x, pad_width, mode, stat_length=None):
    for ax, before, after, sides in _stat_steps(ans, x, mode, pad_width, stat_length):
        pads = []
        for side, width in zip(sides, (before, after)):
            if side is not None:
                start, w = side
                v = np.sum(_along(t, ax, slice(start, start + w.shape[ax])) * w, axis=ax, keepdims=True)
                side = np.broadcast_to(v, v.shape[:ax] + (width,) + v.shape[ax + 1:])
            pads.append(side)
        t = np.concatenate([p for p in (pads[0], t, pads[1]) if p is not None], axis=ax)
    return t


def _pad_vjp(g, ans, x, pad_width, mode="constant", stat_length=None, reflect_type="even", **_):
    mode = _pad_mode(mode)
    widths, stats = _pairs(pad_width, x.ndim), _pairs(stat_length, x.ndim)
    for ax, ((before, after), n) in enumerate(zip(widths, x.shape)):
        lead = (slice(None),) * ax
        if not before and not after:
            continue
        if mode in ("constant", "empty"):
            g = g[lead + (slice(before, before + n),)]
        elif mode in _PAD_GATHERS and reflect_type == "even":
            index = np.pad(np.arange(n, device=g.device), (before, after), mode)
            g = scatter_sum(g, g.shape[:ax] + (n,) + g.shape[ax + 1:], lead + (index,))
        else:  # the per-axis matrix M (padded length x n): g along this axis times M
            m = np.pad(np.eye(n, dtype=g.dtype, device=g.device), ((before, after), (0, 0)), mode,
                       **_axis_params(mode, stats[ax], reflect_type))
            g = np.moveaxis(np.matmul(np.moveaxis(g, ax, -1), m), -1, ax)
    return g


def _pad_jvp(t, ans, x, pad_width, mode="constant", **kw):
    """pad is affine: its jvp pads the tangent with zero constants and end values ('empty': zeros)."""
    if _pad_mode(mode) == "empty":
        return np.pad(t, pad_width)
    kw.update({k: 0 for k in ("constant_values", "end_values") if k in kw})
    return np.pad(t, pad_width, mode, **kw)


defvjp("pad", _pad_vjp, shape_only=(0,))
defjvp("pad", _pad_jvp)
defvjp("pad_statistic", _pad_stat_vjp, shape_only=(0,))
defjvp("pad_statistic", _pad_stat_jvp)


# copyto writes ``src`` into ``dst`` where ``where`` holds: a functional update of ``dst``.
def _mask(where, device):
    return True if where is True else np.asarray(where, device=device)


defvjp("copyto", lambda g, ans, dst, src, where=True: np.where(_mask(where, g.device), 0, g),
       lambda g, ans, dst, src, where=True: np.where(_mask(where, g.device), g, 0), shape_only=(0, 1))


def _copyto_jvp(tangents, ans, dst, src, where=True, **_):
    td, ts = (0 if t is None else t for t in tangents)
    dev = (tangents[0] if tangents[0] is not None else tangents[1]).device
    return np.where(_mask(where, dev), ts, td)


defjvp_all("copyto", _copyto_jvp)
