"""``npflow.scipy.ndimage``: ``map_coordinates`` with SciPy's signature, values and boundary modes.

Orders 0 and 1 (jax.scipy's) are composites of npflow ops, differentiable in the input and (for
order 1) in the coordinates: each coordinate is first folded into the input by the mode (SciPy's
rules, mode by mode), then the neighbours are gathered and weighted. Orders 2 to 5 (spline
interpolation) run SciPy's kernel, with no derivative rule (differentiating them raises).
"""
import itertools

import npflow as np
from .._core.dispatch import apply, composite
from .._core.registry import Op, register
from ._kernels import scipy_kernel

__all__ = ["map_coordinates"]

_MODES = ("constant", "grid-constant", "nearest", "mirror", "grid-mirror", "reflect", "wrap", "grid-wrap")
_SPLINE = register(Op("scipy.ndimage.map_coordinates", scipy_kernel("ndimage", "map_coordinates"),
                      differentiable=None))


def _fold(c, n, mode):
    """SciPy's folding of a coordinate ``c`` outside [0, n - 1] back into the input (-1 for
    'constant': the point takes ``cval``)."""
    if mode == "grid-constant":
        return c
    if mode == "constant":
        return np.where((c < 0) | (c > n - 1), -1.0, c)
    if mode == "nearest":
        return np.clip(c, 0, n - 1)
    if n <= 1:
        return np.where((c < 0) | (c > n - 1), 0.0, c)
    if mode == "mirror":
        s2 = 2 * n - 2
        neg = s2 * np.trunc(-c / s2) + c
        neg = np.where(neg <= 1 - n, neg + s2, -neg)
        pos = c - s2 * np.trunc(c / s2)
        pos = np.where(pos >= n, s2 - pos, pos)
    elif mode in ("reflect", "grid-mirror"):
        s2 = 2 * n
        neg = np.where(c < -s2, s2 * np.trunc(-c / s2) + c, c)
        neg = np.where(neg < -n, neg + s2, np.where(neg > -1e-15, 1e-15, -neg) - 1)
        pos = c - s2 * np.trunc(c / s2)
        pos = np.where(pos >= n, s2 - pos - 1, pos)
    elif mode == "wrap":
        s = n - 1
        neg = c + s * (np.trunc(-c / s) + 1)
        pos = c - s * np.trunc(c / s)
    else:   # grid-wrap
        neg = c + n * (np.trunc((-1 - c) / n) + 1)
        pos = c - n * np.trunc(c / n)
    return np.where(c < 0, neg, np.where(c > n - 1, pos, c))


def _index(i, n, mode):
    """A neighbour's index outside [0, n) read by the mode (and whether it is inside the input,
    for 'grid-constant')."""
    inside = (i >= 0) & (i < n)
    if n <= 1:
        return np.zeros_like(i), inside
    if mode in ("mirror",):
        s2 = 2 * n - 2
        i = np.abs(i) % s2
        return np.where(i >= n, s2 - i, i), inside
    if mode in ("reflect", "grid-mirror"):
        i = np.where(i < 0, -i - 1, i) % (2 * n)
        return np.where(i >= n, 2 * n - 1 - i, i), inside
    if mode == "grid-wrap":
        return i % n, inside
    return np.clip(i, 0, n - 1), inside


@composite
def map_coordinates(input, coordinates, output=None, order=3, mode="constant", cval=0.0, prefilter=True):
    """The values of ``input`` at ``coordinates`` (shape ``(input.ndim, ...)``) by spline
    interpolation of ``order`` (0: nearest, 1: linear), points outside extended by ``mode``."""
    if order < 0 or order > 5:
        raise RuntimeError("map_coordinates(): spline order not supported")
    input, coordinates = np.asarray(input), np.asarray(coordinates)
    if coordinates.dtype.kind == "c":
        raise TypeError("map_coordinates(): complex type not supported for coordinates")
    if input.ndim < 1 or coordinates.ndim < 2:
        raise RuntimeError(f"map_coordinates(): input and output rank must be > 0, got input "
                           f"{input.shape} and coordinates {coordinates.shape}")
    if coordinates.shape[0] != input.ndim:
        raise RuntimeError(f"map_coordinates(): invalid shape for coordinate array: {coordinates.shape} "
                           f"for input {input.shape}")
    if mode not in _MODES:
        raise RuntimeError(f"map_coordinates(): boundary mode not supported: {mode!r}")
    if output is not None and not isinstance(output, (type, np.dtype, str)):
        raise TypeError("map_coordinates(): output must be None or a dtype (npflow never writes into an "
                        "output array)")
    out_dtype = input.dtype if output is None else np.dtype(output)
    if order > 1:
        return apply(_SPLINE, input, coordinates, order=order, mode=mode, cval=cval,
                     prefilter=prefilter, output=out_dtype)
    coords = coordinates.astype(np.float64) if coordinates.dtype.kind != "f" else coordinates
    corners, outside = [], None
    for axis, n in enumerate(input.shape):
        c = coords[axis]
        cc = _fold(c, n, mode)
        if mode == "constant":
            off = (c < 0) | (c > n - 1)
            outside = off if outside is None else outside | off
        if order == 0:
            start = np.floor(cc + 0.5)
            taps = [(start, None)]
        else:
            start = np.floor(cc)
            upper = cc - start
            taps = [(start, 1 - upper), (start + 1, upper)]
        corners.append([(_index(s.astype(np.intp), n, mode), w) for s, w in taps])
    result = None
    for combo in itertools.product(*corners):
        ids = tuple(t[0][0] for t in combo)
        ins = [t[0][1] for t in combo]
        weights = [t[1] for t in combo]
        value = input[ids]
        if mode == "grid-constant":
            valid = ins[0]
            for v in ins[1:]:
                valid = valid & v
            value = np.where(valid, value, cval)
        for w in weights:
            if w is not None:
                value = value * w
        result = value if result is None else result + value
    if outside is not None:
        result = np.where(outside, cval, result)
    if np.dtype(out_dtype).kind in "iub":
        result = np.where(result > 0, result + 0.5, result - 0.5)
        return np.trunc(result).astype(out_dtype)
    return result.astype(out_dtype)
