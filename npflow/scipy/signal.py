"""``npflow.scipy.signal``: N-d convolution and correlation with SciPy's signatures and modes,
as composites of npflow ops (differentiable in both inputs).

``method='direct'`` (and ``'auto'`` where the smaller input has at most 64 elements, or the data
are integers) sums shifted copies of the larger input weighted by the smaller one's entries
(SciPy's direct values and dtypes; integers stay integers); ``'fft'`` multiplies FFTs
(``npflow.fft``), as ``fftconvolve``.
"""
import itertools

import npflow as np
from .._core.dispatch import composite

__all__ = ["convolve", "correlate", "fftconvolve", "convolve2d", "correlate2d"]

_DIRECT_MAX = 64
_MODES = ("full", "same", "valid")


def _inputs(in1, in2, fname):
    in1, in2 = np.asarray(in1), np.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError(f"{fname}(): in1 and in2 should have the same dimensionality, got "
                         f"{in1.shape} and {in2.shape}")
    return in1, in2


def _check_mode(mode, fname):
    if mode not in _MODES:
        raise ValueError(f"{fname}(): acceptable mode flags are 'valid', 'same', or 'full', got {mode!r}")


def _swap_for_valid(in1, in2, mode, fname):
    """SciPy's rule: in 'valid' mode one input must be at least as large as the other in every
    dimension; the larger one comes first."""
    if mode != "valid":
        return in1, in2
    ge = all(a >= b for a, b in zip(in1.shape, in2.shape))
    le = all(a <= b for a, b in zip(in1.shape, in2.shape))
    if not (ge or le):
        raise ValueError(f"{fname}(): for 'valid' mode, one must be at least as large as the other in "
                         f"every dimension, got {in1.shape} and {in2.shape}")
    return (in1, in2) if ge else (in2, in1)


def _centered(arr, shape):
    start = [(c - n) // 2 for c, n in zip(arr.shape, shape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, shape))]


def _crop(full, s1, s2, mode):
    if mode == "full":
        return full
    if mode == "same":
        return _centered(full, s1)
    return _centered(full, [a - b + 1 for a, b in zip(s1, s2)])


def _direct_full(in1, in2):
    """The full convolution as a sum over the smaller input's entries of shifted, weighted copies
    of the larger one."""
    big, small = (in1, in2) if in1.size >= in2.size else (in2, in1)
    full = [a + b - 1 for a, b in zip(in1.shape, in2.shape)]
    out = None
    for k in itertools.product(*[range(n) for n in small.shape]):
        pads = [(kd, f - b - kd) for kd, f, b in zip(k, full, big.shape)]
        term = np.pad(big * small[k], pads)
        out = term if out is None else out + term
    return out


def _fft_full(in1, in2, axes):
    full = [in1.shape[a] + in2.shape[a] - 1 for a in axes]
    if in1.dtype.kind == "c" or in2.dtype.kind == "c":
        r = np.fft.ifftn(np.fft.fftn(in1, full, axes=axes) * np.fft.fftn(in2, full, axes=axes), full, axes=axes)
    else:
        r = np.fft.irfftn(np.fft.rfftn(in1, full, axes=axes) * np.fft.rfftn(in2, full, axes=axes), full, axes=axes)
    return r.astype(np.result_type(in1.dtype, in2.dtype, np.float32 if in1.dtype.itemsize <= 4
                                   and in2.dtype.itemsize <= 4 else np.float64), copy=False)


def _use_direct(in1, in2, method, fname):
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"{fname}(): acceptable method flags are 'auto', 'direct', or 'fft', got {method!r}")
    if method == "auto":
        return in1.dtype.kind not in "fc" or min(in1.size, in2.size) <= _DIRECT_MAX
    return method == "direct"


@composite
def convolve(in1, in2, mode="full", method="auto"):
    """The N-d convolution of ``in1`` and ``in2`` (SciPy's modes 'full', 'same', 'valid')."""
    in1, in2 = _inputs(in1, in2, "convolve")
    _check_mode(mode, "convolve")
    if in1.size == 0 or in2.size == 0:   # (SciPy's: an empty 'same' result, else an error)
        if mode != "same":
            raise ValueError("convolve(): inputs cannot be empty")
        return np.zeros(in1.shape, dtype=np.result_type(in1.dtype, in2.dtype))
    if in1.ndim == 0:
        return in1 * in2
    a, b = _swap_for_valid(in1, in2, mode, "convolve")
    if _use_direct(a, b, method, "convolve"):
        full = _direct_full(a, b)
    else:
        full = _fft_full(a, b, list(range(a.ndim)))
    return _crop(full, a.shape, b.shape, mode)


def _reverse_and_conj(x):
    return np.conj(x[(slice(None, None, -1),) * x.ndim]) if x.dtype.kind == "c" else x[(slice(None, None, -1),) * x.ndim]


@composite
def correlate(in1, in2, mode="full", method="auto"):
    """The N-d cross-correlation of ``in1`` and ``in2``: ``convolve(in1, in2[::-1, ...].conj())``."""
    in1, in2 = _inputs(in1, in2, "correlate")
    _check_mode(mode, "correlate")
    if mode == "valid" and not all(a >= b for a, b in zip(in1.shape, in2.shape)):
        # SciPy: the swapped inputs' correlation, reversed and conjugated
        if all(a <= b for a, b in zip(in1.shape, in2.shape)):
            return _reverse_and_conj(correlate(in2, in1, mode, method))
    return convolve(in1, _reverse_and_conj(in2), mode, method)


@composite
def fftconvolve(in1, in2, mode="full", axes=None):
    """The convolution by FFTs, over ``axes`` (all by default; the other axes broadcast)."""
    in1, in2 = _inputs(in1, in2, "fftconvolve")
    if in1.ndim == 0:
        return in1 * in2
    if in1.size == 0 or in2.size == 0:   # (SciPy's: before the mode is checked)
        return np.zeros((0,) * in1.ndim, dtype=np.result_type(in1.dtype, in2.dtype, np.float64))
    _check_mode(mode, "fftconvolve")
    axes = list(range(in1.ndim)) if axes is None else [a % in1.ndim for a in np.atleast_1d(axes).tolist()]
    if not all(in1.shape[a] == in2.shape[a] or 1 in (in1.shape[a], in2.shape[a])
               for a in range(in1.ndim) if a not in axes):
        raise ValueError(f"fftconvolve(): incompatible shapes for in1 and in2: {in1.shape} and {in2.shape}")
    if in1.dtype.kind not in "fc":
        in1 = in1.astype(np.float64)
    if in2.dtype.kind not in "fc":
        in2 = in2.astype(np.float64)
    if mode == "valid":
        if not (all(in1.shape[a] >= in2.shape[a] for a in axes) or all(in1.shape[a] <= in2.shape[a] for a in axes)):
            raise ValueError(f"fftconvolve(): for 'valid' mode, one must be at least as large as the other "
                             f"in every dimension, got {in1.shape} and {in2.shape}")
        if not all(in1.shape[a] >= in2.shape[a] for a in axes):
            in1, in2 = in2, in1
    full = _fft_full(in1, in2, axes)
    if mode == "full":
        return full
    shape = list(full.shape)
    for a in axes:
        shape[a] = in1.shape[a] if mode == "same" else in1.shape[a] - in2.shape[a] + 1
    return _centered(full, shape)


_BOUNDARY = {"fill": "constant", "pad": "constant", "wrap": "wrap", "circular": "wrap",
             "symm": "symmetric", "symmetric": "symmetric"}


def _conv2d(in1, in2, mode, boundary, fillvalue, fname):
    in1, in2 = np.asarray(in1), np.asarray(in2)
    if in1.ndim != 2 or in2.ndim != 2:
        raise ValueError(f"{fname}(): in1 and in2 should have the same dimensionality (2), got "
                         f"{in1.shape} and {in2.shape}")
    _check_mode(mode, fname)
    if boundary not in _BOUNDARY:
        raise ValueError(f"{fname}(): acceptable boundary flags are 'fill', 'circular' and 'symmetric', "
                         f"got {boundary!r}")
    a, b = _swap_for_valid(in1, in2, mode, fname)
    if mode == "valid" or (_BOUNDARY[boundary] == "constant" and fillvalue == 0):
        return convolve(a, b, mode, method="direct")
    pads = [(n - 1, n - 1) for n in b.shape]
    kw = {"constant_values": fillvalue} if _BOUNDARY[boundary] == "constant" else {}
    padded = np.pad(a, pads, mode=_BOUNDARY[boundary], **kw)
    full = convolve(padded, b, "valid", method="direct")
    return _crop(full, a.shape, b.shape, mode)


@composite
def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """The 2-d convolution, with SciPy's boundary conditions ('fill' with ``fillvalue``, 'wrap', 'symm')."""
    return _conv2d(in1, in2, mode, boundary, fillvalue, "convolve2d")


@composite
def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """The 2-d cross-correlation: convolve2d with ``in2`` reversed and conjugated."""
    in1, in2 = np.asarray(in1), np.asarray(in2)
    if mode == "valid" and in1.ndim == 2 and in2.ndim == 2 and \
            not all(a >= b for a, b in zip(in1.shape, in2.shape)) and all(a <= b for a, b in zip(in1.shape, in2.shape)):
        return _reverse_and_conj(_conv2d(in2, _reverse_and_conj(in1), mode, boundary, fillvalue, "correlate2d"))
    flipped = _reverse_and_conj(in2) if in2.ndim == 2 else in2
    if mode == "same" and in1.ndim == 2 and in2.ndim == 2:   # SciPy's 'same' starts at in2.shape // 2
        full = _conv2d(in1, flipped, "full", boundary, fillvalue, "correlate2d")
        return full[tuple(slice(n // 2, n // 2 + m) for n, m in zip(in2.shape, in1.shape))]
    return _conv2d(in1, flipped, mode, boundary, fillvalue, "correlate2d")


@composite
def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=False):
    """``data`` minus its mean (``type='constant'``) or minus its least-squares line on each
    segment between the breakpoints ``bp`` (``'linear'``) along ``axis``; a differentiable composite."""
    if type not in ("linear", "l", "constant", "c"):
        raise ValueError("detrend(): trend type must be 'linear' or 'constant'.")
    data = np.asarray(data)
    if data.dtype.kind not in "fc":
        data = data.astype(np.float64)
    if type in ("constant", "c"):
        return data - np.mean(data, axis=axis, keepdims=True)
    x = np.moveaxis(data, axis, -1)
    n = x.shape[-1]
    bps = bp.tolist() if hasattr(bp, "tolist") else bp   # (sizes: plain Python numbers)
    bps = list(bps) if isinstance(bps, (list, tuple)) else [bps]
    breaks = sorted(set([0] + [int(b) for b in bps] + [n]))
    if any(b > n or b < 0 for b in breaks):
        raise ValueError("detrend(): breakpoints must be less than length of data along given axis.")
    parts = []
    for lo, hi in zip(breaks, breaks[1:]):
        y = x[..., lo:hi]
        t = np.arange(hi - lo, dtype=y.real.dtype if y.dtype.kind == "c" else y.dtype, device=y.device)
        tc = t - np.mean(t)
        yc = y - np.mean(y, axis=-1, keepdims=True)
        denom = np.sum(tc * tc)
        slope = np.sum(yc * tc, axis=-1, keepdims=True) / (denom if hi - lo > 1 else 1.0)
        parts.append(yc - slope * tc)
    return np.moveaxis(np.concatenate(parts, axis=-1), -1, axis)


__all__.append("detrend")
