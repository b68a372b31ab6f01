"""``npflow.scipy.signal``: N-d convolution and correlation with SciPy's signatures and modes,
detrending, and spectral estimation (``welch``, ``csd``, ``stft``, ``istft``), as composites of
npflow ops (differentiable in every array argument, windows included).

``method='direct'`` (and ``'auto'`` where the smaller input has at most 64 elements, or the data
are integers) sums shifted copies of the larger input weighted by the smaller one's entries
(SciPy's direct values and dtypes; integers stay integers); ``'fft'`` multiplies FFTs
(``npflow.fft``), as ``fftconvolve``.
"""
import itertools
import math
import warnings

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


# -- spectral estimation -------------------------------------------------------------------------
def _get_window(window, nperseg):
    """A named window (a string or tuple, SciPy's ``get_window``: constants, not data) as an array."""
    from scipy.signal import get_window
    return np.asarray(get_window(window, nperseg))


def _segments(x, nperseg, nstep, detr, win, nfft, onesided):
    """The windowed FFTs of ``x``'s segments along its last axis: shape (..., nfreq, nseg)."""
    nseg = (x.shape[-1] - nperseg) // nstep + 1
    idx = np.arange(nseg)[:, None] * nstep + np.arange(nperseg)[None, :]
    seg = x[..., idx]
    if detr is not None and detr is not False:
        seg = detr(seg) if callable(detr) else detrend(seg, type=detr, axis=-1)
    seg = win * seg
    res = np.fft.rfft(np.real(seg), n=nfft) if onesided else np.fft.fft(seg, n=nfft)
    return np.swapaxes(res, -1, -2)


def _check_overlap(nperseg, nfft, noverlap, fname):
    nfft = int(nfft) if nfft is not None else nperseg
    if nfft < nperseg:
        raise ValueError(f"{fname}(): nfft={nfft} must be greater than or equal to nperseg={nperseg}")
    noverlap = int(noverlap) if noverlap is not None else nperseg // 2
    if noverlap >= nperseg:
        raise ValueError(f"{fname}(): noverlap={noverlap} must be less than nperseg={nperseg}")
    return nfft, noverlap


def _scale(win, fs, scaling, fname):
    if scaling == "density":
        return 1.0 / (fs * np.sum(win * win))
    if scaling == "spectrum":
        return 1.0 / np.sum(win) ** 2
    raise ValueError(f"{fname}(): unknown scaling: {scaling!r} (not 'density' or 'spectrum')")


def _median_bias(n):
    ii_2 = [2.0 * i for i in range(1, (n - 1) // 2 + 1)]
    return 1 + sum(1.0 / (i + 1) - 1.0 / i for i in ii_2)


@composite
def csd(x, y, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided=True, scaling="density", axis=-1, average="mean"):
    """The cross power spectral density ``Pxy`` by Welch's method (SciPy's): the average over
    overlapping windowed segments of ``conj(X) Y``; returns ``(f, Pxy)``."""
    same_data, axis = y is x, int(axis)
    x = np.asarray(x)
    y = x if same_data else np.asarray(y)
    xo, yo = list(x.shape), list(y.shape)
    xo.pop(axis)
    yo.pop(axis)
    try:
        outer = np.broadcast_shapes(tuple(xo), tuple(yo))
    except ValueError as e:
        raise ValueError(f"csd(): x and y cannot be broadcast together: {x.shape}, {y.shape}") from e
    if x.size == 0 or y.size == 0:
        if same_data:
            return np.empty(x.shape), np.empty(x.shape)
        e = np.moveaxis(np.empty(outer + (min(x.shape[axis], y.shape[axis]),)), -1, axis)
        return e, e
    out_dtype = np.result_type(x.dtype, y.dtype, np.complex64)
    n = max(x.shape[axis], y.shape[axis])
    if isinstance(window, (str, tuple)):
        nperseg = int(nperseg) if nperseg is not None else 256
        if nperseg < 1:
            raise ValueError(f"csd(): nperseg={nperseg} is not a positive integer")
        if n < nperseg:
            warnings.warn(f"nperseg={nperseg} is greater than signal length max(len(x), len(y)) = {n}, "
                          f"using nperseg = {n}", stacklevel=3)
            nperseg = n
        win = _get_window(window, nperseg)
    else:
        win = np.asarray(window)
        nperseg = win.shape[0] if nperseg is None else nperseg
    if win.ndim != 1 or nperseg != win.shape[0]:
        raise ValueError(f"csd(): nperseg={nperseg} does not equal the window's length ({win.shape})")
    nfft, noverlap = _check_overlap(nperseg, nfft, noverlap, "csd")
    if average not in ("mean", "median"):
        raise ValueError(f"csd(): average={average!r} must be 'median' or 'mean'")
    scale = _scale(win, fs, scaling, "csd")
    onesided = bool(return_onesided) and x.dtype.kind != "c"
    xs, ys = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    if xs.shape[-1] < n:
        xs = np.pad(xs, [(0, 0)] * (xs.ndim - 1) + [(0, n - xs.shape[-1])])
    if ys.shape[-1] < n:
        ys = np.pad(ys, [(0, 0)] * (ys.ndim - 1) + [(0, n - ys.shape[-1])])
    nstep = nperseg - noverlap
    sx = _segments(xs, nperseg, nstep, detrend, win, nfft, onesided)
    sy = sx if same_data else _segments(ys, nperseg, nstep, detrend, win, nfft, onesided)
    pxy = np.conj(sx) * sy * scale
    if onesided:
        last = -1 if nfft % 2 == 0 else None
        twice = np.ones(pxy.shape[-2], dtype=np.float64)
        twice[1:last] = 2.0
        pxy = pxy * twice[:, None]
    if pxy.shape[-1] > 1:
        if average == "median":
            bias = _median_bias(pxy.shape[-1])
            if pxy.dtype.kind == "c":
                pxy = np.median(np.real(pxy), axis=-1) + 1j * np.median(np.imag(pxy), axis=-1)
            else:
                pxy = np.median(pxy, axis=-1)
            pxy = pxy / bias
        else:
            pxy = np.mean(pxy, axis=-1)
    else:
        pxy = pxy[..., 0]
    pxy = np.moveaxis(pxy.astype(out_dtype), -1, axis)
    freqs = np.fft.rfftfreq(nfft, 1 / fs) if onesided else np.fft.fftfreq(nfft, 1 / fs)
    return freqs, (np.real(pxy) if same_data else pxy)


@composite
def welch(x, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided=True, scaling="density", axis=-1, average="mean"):
    """The power spectral density by Welch's method: ``csd(x, x)``'s real part; ``(f, Pxx)``."""
    freqs, pxx = csd(x, x, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                     detrend=detrend, return_onesided=return_onesided, scaling=scaling, axis=axis,
                     average=average)
    return freqs, np.real(pxx)


_EXTENSIONS = {"even": {"mode": "reflect"}, "odd": {"mode": "reflect", "reflect_type": "odd"},
               "constant": {"mode": "edge"}, "zeros": {"mode": "constant"}, None: None}


@composite
def stft(x, fs=1.0, window="hann_periodic", nperseg=256, noverlap=None, nfft=None, detrend=False,
         return_onesided=True, boundary="zeros", padded=True, axis=-1, scaling="spectrum"):
    """The short-time Fourier transform (SciPy's legacy ``stft``): ``(f, t, Zxx)``, frequencies
    before the segments' times on the last two axes."""
    if scaling == "psd":
        scaling = "density"
    elif scaling != "spectrum":
        raise ValueError(f"stft(): scaling={scaling!r} not in ['spectrum', 'psd']")
    if boundary not in _EXTENSIONS:
        raise ValueError(f"stft(): unknown boundary option {boundary!r}, must be None or one of "
                         f"{[k for k in _EXTENSIONS if k]}")
    axis = int(axis)
    x = np.asarray(x)
    out_dtype = np.result_type(x.dtype, np.complex64)
    if x.size == 0:
        return np.empty(x.shape), np.empty(x.shape), np.empty(x.shape)
    x = np.moveaxis(x, axis, -1)
    if nperseg is not None:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("stft(): nperseg must be a positive integer")
    if isinstance(window, (str, tuple)):
        nperseg = 256 if nperseg is None else nperseg
        if nperseg > x.shape[-1]:
            warnings.warn(f"nperseg = {nperseg:d} is greater than input length  = {x.shape[-1]:d}, "
                          f"using nperseg = {x.shape[-1]:d}", stacklevel=3)
            nperseg = x.shape[-1]
        win = _get_window(window, nperseg)
    else:
        win = np.asarray(window)
        if win.ndim != 1:
            raise ValueError("stft(): window must be 1-D")
        if x.shape[-1] < win.shape[-1]:
            raise ValueError("stft(): window is longer than input signal")
        if nperseg is None:
            nperseg = win.shape[0]
        elif nperseg != win.shape[0]:
            raise ValueError("stft(): value specified for nperseg is different from length of window")
    nfft, noverlap = _check_overlap(nperseg, nfft, noverlap, "stft")
    nstep = nperseg - noverlap
    ext = nperseg // 2
    if boundary is not None and ext > 0:
        if boundary in ("even", "odd") and ext > x.shape[-1] - 1:
            raise ValueError(f"stft(): the extension length n ({ext}) is too big. It must not exceed "
                             f"x.shape[axis]-1 ({x.shape[-1] - 1}).")
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(ext, ext)], **_EXTENSIONS[boundary])
    if padded:
        nadd = (-(x.shape[-1] - nperseg) % nstep) % nperseg
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, nadd)])
    if np.result_type(win.dtype, np.complex64) != out_dtype:
        win = win.astype(out_dtype)
    scale = np.sqrt(_scale(win, fs, scaling, "stft"))
    onesided = bool(return_onesided) and x.dtype.kind != "c"
    if return_onesided and not onesided:
        warnings.warn("Input data is complex, switching to return_onesided=False", stacklevel=3)
    zxx = (_segments(x, nperseg, nstep, detrend, win, nfft, onesided) * scale).astype(out_dtype)
    freqs = np.fft.rfftfreq(nfft, 1 / fs) if onesided else np.fft.fftfreq(nfft, 1 / fs)
    time = np.arange(nperseg / 2, x.shape[-1] - nperseg / 2 + 1, nstep) / float(fs)
    if boundary is not None:
        time = time - (nperseg / 2) / fs
    return freqs, time, np.moveaxis(np.swapaxes(zxx, -1, -2), -1, axis - 1 if axis < 0 else axis)


def _overlap_add(frames, nstep, length):
    """The sum of ``frames`` (..., nseg, nperseg), frame i starting at ``i * nstep``, over ``length``
    samples: frames ``r`` apart do not overlap, so each residue class is one reshape."""
    nseg, nperseg = frames.shape[-2:]
    r = -(-nperseg // nstep)
    out = None
    for k in range(min(r, nseg)):
        f = frames[..., k::r, :]
        m = f.shape[-2]
        f = np.pad(f, [(0, 0)] * (f.ndim - 1) + [(0, r * nstep - nperseg)])
        flat = np.reshape(f, f.shape[:-2] + (m * r * nstep,))
        lead = k * nstep
        flat = np.pad(flat, [(0, 0)] * (flat.ndim - 1) + [(lead, max(0, length - lead - flat.shape[-1]))])
        flat = flat[..., :length]
        out = flat if out is None else out + flat
    return out


@composite
def istft(Zxx, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None, input_onesided=True,
          boundary=True, time_axis=-1, freq_axis=-2, scaling="spectrum"):
    """The inverse short-time Fourier transform (SciPy's legacy ``istft``) by windowed overlap-add:
    ``(t, x)``."""
    Zxx = np.asarray(Zxx) + 0j
    freq_axis, time_axis = int(freq_axis), int(time_axis)
    if Zxx.ndim < 2:
        raise ValueError(f"istft(): input stft must be at least 2d, got {Zxx.shape}")
    if freq_axis == time_axis:
        raise ValueError("istft(): must specify differing time and frequency axes")
    nseg = Zxx.shape[time_axis]
    n_default = 2 * (Zxx.shape[freq_axis] - 1) if input_onesided else Zxx.shape[freq_axis]
    if nperseg is None:
        nperseg = n_default
    else:
        nperseg = int(nperseg)
        if nperseg < 1:
            raise ValueError("istft(): nperseg must be a positive integer")
    if nfft is None:
        nfft = nperseg if input_onesided and nperseg == n_default + 1 else n_default
    elif nfft < nperseg:
        raise ValueError("istft(): nfft must be greater than or equal to nperseg.")
    else:
        nfft = int(nfft)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("istft(): noverlap must be less than nperseg.")
    nstep = nperseg - noverlap
    fa, ta = freq_axis % Zxx.ndim, time_axis % Zxx.ndim
    Zxx = np.transpose(Zxx, [a for a in range(Zxx.ndim) if a not in (fa, ta)] + [fa, ta])
    if isinstance(window, str) or type(window) is tuple:
        win = _get_window(window, nperseg)
    else:
        win = np.asarray(window)
        if win.ndim != 1:
            raise ValueError("istft(): window must be 1-D")
        if win.shape[0] != nperseg:
            raise ValueError(f"istft(): window must have length of {nperseg}")
    ifunc = np.fft.irfft if input_onesided else np.fft.ifft
    xsubs = ifunc(Zxx, axis=-2, n=nfft)[..., :nperseg, :]
    if np.result_type(win.dtype, xsubs.dtype) != xsubs.dtype:
        win = win.astype(xsubs.dtype)
    if scaling == "spectrum":
        xsubs = xsubs * np.sum(win)
    elif scaling == "psd":
        xsubs = xsubs * np.sqrt(fs * np.sum(win ** 2))
    else:
        raise ValueError(f"istft(): scaling={scaling!r} not in ['spectrum', 'psd']")
    length = nperseg + (nseg - 1) * nstep
    x = _overlap_add(np.swapaxes(xsubs, -1, -2) * win, nstep, length)
    norm = _overlap_add(np.broadcast_to(win ** 2, (nseg, nperseg)), nstep, length)
    if boundary:
        x, norm = x[..., nperseg // 2:-(nperseg // 2)], norm[..., nperseg // 2:-(nperseg // 2)]
    big = np.stop_gradient(norm) > 1e-10
    if not bool(np.all(big)):
        warnings.warn("NOLA condition failed, STFT may not be invertible."
                      + (" Possibly due to missing boundary" if not boundary else ""), stacklevel=3)
    x = x / np.where(big, norm, 1.0)
    if input_onesided:
        x = np.real(x)
    if x.ndim > 1 and ta != Zxx.ndim - 1:
        x = np.moveaxis(x, -1, ta - 1 if fa < ta else ta)
    return np.arange(x.shape[0]) / float(fs), x


__all__ += ["csd", "welch", "stft", "istft"]
