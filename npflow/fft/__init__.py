"""numpy.fft: discrete Fourier transforms, differentiable, on every device.

Every transform is a composite: pad or crop the input to the requested lengths, then one
primitive of ``npflow._ops.fft`` (``c2c``, ``r2c``, ``c2r``) per run of distinct axes, in
NumPy's order. ``hfft``/``ihfft`` are ``irfft``/``rfft`` with conjugation, the shifts are
``roll``, and the frequencies are ``arange`` times the spacing's reciprocal.
"""
import operator
import warnings

import numpy as _np
from numpy.lib.array_utils import normalize_axis_index as _normalize_axis_index

from .._core.dispatch import composite
from .._core.dispatch import warn_at_caller as _warn_at_caller
from .._core.ndarray import ndarray
from .._ops.fft import SWAP, fft_c2c as _c2c, fft_r2c as _r2c, fft_c2r as _c2r
from .._numpy.creation import arange, asarray
from .._numpy.manipulation import concatenate, pad, roll
from .._numpy.ufuncs import conjugate

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "rfftn", "irfftn", "rfft2",
           "irfft2", "fft2", "ifft2", "fftn", "ifftn", "fftshift", "ifftshift", "fftfreq",
           "rfftfreq"]


def _n(n):
    """A 1-d transform's ``n`` as the n-d ``s``."""
    return None if n is None else [n]


def _norm(norm):
    if norm is None or norm in tuple(SWAP):
        return norm or "backward"
    raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _resized(a, lengths):
    """``a`` cropped or zero-padded at the end to ``lengths[axis]`` along each axis given."""
    crop = tuple(slice(0, lengths.get(ax)) for ax in range(a.ndim))
    if any(lengths.get(ax, n) < n for ax, n in enumerate(a.shape)):
        a = a[crop]
    widths = [(0, max(lengths.get(ax, n) - n, 0)) for ax, n in enumerate(a.shape)]
    return pad(a, widths) if any(w for _, w in widths) else a


def _runs(seq):
    """``seq`` split into consecutive runs without repeated axes."""
    runs = [[]]
    for ax, n in seq:
        if any(ax == b for b, _ in runs[-1]):
            runs.append([])
        runs[-1].append((ax, n))
    return runs


def _cook(a, s, axes, inverse_real):
    """NumPy's ``s`` and ``axes`` for an n-d transform (axes not yet normalised)."""
    shapeless = s is None
    if axes is None:
        if not shapeless:
            _warn_at_caller("`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy "
                          "2.0). In a future version of NumPy, this will raise an error and `s[i]` "
                          "will correspond to the size along the transformed axis specified by "
                          "`axes[i]`. To retain current behaviour, pass a sequence [0, ..., k-1] "
                          "to `axes` for an array of dimension k.", DeprecationWarning)
        axes = range(-(a.ndim if shapeless else len(s)), 0)
    axes = list(axes)
    s = [a.shape[ax] for ax in axes] if shapeless else list(s)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if inverse_real and shapeless:
        s[-1] = (a.shape[axes[-1]] - 1) * 2
    if None in s:
        _warn_at_caller("Passing an array containing `None` values to `s` is deprecated in NumPy "
                      "2.0 and will raise an error in a future version of NumPy. To use the "
                      "default behaviour of the corresponding 1-D transform, pass the value "
                      "matching the default for its `n` parameter. To use the default behaviour "
                      "for every axis, the `s` argument can be omitted.", DeprecationWarning)
    return [a.shape[ax] if n == -1 else n for n, ax in zip(s, axes)], axes


def _transform(kind, a, s, axes, norm, out):
    """The n-d transform ``kind`` (fft, ifft, rfft, irfft) of ``a``, as NumPy composes it."""
    if out is not None and not isinstance(out, (ndarray, _np.ndarray)):
        raise TypeError(f"return arrays must be of ArrayType (out= is {type(out).__name__})")
    a = asarray(a)
    s, axes = _cook(a, s, axes, kind == "irfft")
    if not axes and kind in ("rfft", "irfft"):
        raise IndexError("a real transform needs at least one axis (axes=() given)")
    # NumPy transforms one axis at a time, the last first, except irfftn (the last, real, axis
    # at the end), checking each as it comes to it.
    steps = list(zip(axes, s))
    steps = steps if kind == "irfft" else steps[::-1]
    lengths = []
    for i, (ax, n) in enumerate(steps):
        if n is None:  # the 1-d default (deprecated in s)
            n = (a.shape[ax] - 1) * 2 if kind == "irfft" and i == len(steps) - 1 else a.shape[ax]
        n = operator.index(n)
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
        norm = _norm(norm)
        lengths.append((_normalize_axis_index(operator.index(ax), a.ndim), n))
        if kind == "rfft" and a.dtype.kind == "c":
            raise TypeError(f"rfft is not supported for complex input ({a.dtype}); "
                            f"use fft, or the real part")
    if not lengths:
        return a  # as NumPy: nothing to transform (out= is not written)
    # A run of distinct axes commutes with its padding, so each run is one call; the backends'
    # n-d transforms go through their axes in reverse.
    runs = _runs(lengths)
    for k, run in enumerate(runs):
        sizes = dict(run)
        axes = tuple(sizes)
        last = k == len(runs) - 1
        o = out if last else None
        if kind == "irfft" and last:
            n = run[-1][1]
            a = _c2r(_resized(a, {**sizes, axes[-1]: n // 2 + 1}), axes, n, norm, o)
        elif kind == "rfft" and k == 0:
            a = _r2c(_resized(a, sizes), axes[::-1], norm, o)
        else:
            a = _c2c(_resized(a, sizes), axes[::-1], kind in ("ifft", "irfft"), norm, o)
    return a if out is None else out  # (out= itself, a NumPy array too, as NumPy returns it)


# -- the public functions -----------------------------------------------------------------------
@composite
def fft(a, n=None, axis=-1, norm=None, out=None):
    """The 1-d discrete Fourier transform along ``axis`` (``n`` points: cropped or zero-padded)."""
    return _transform("fft", a, _n(n), [axis], norm, out)


@composite
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """The 1-d inverse discrete Fourier transform along ``axis``."""
    return _transform("ifft", a, _n(n), [axis], norm, out)


@composite
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """The 1-d transform of real input: the ``n // 2 + 1`` non-negative frequency terms."""
    return _transform("rfft", a, _n(n), [axis], norm, out)


@composite
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """The inverse of ``rfft``: ``n`` real points (default ``2 * (m - 1)``) from a half spectrum."""
    return _transform("irfft", a, _n(n), [axis], norm, out)


@composite
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """The transform of a Hermitian-symmetric signal given by its first half: a real spectrum."""
    a = asarray(a)
    return irfft(conjugate(a), n, axis, norm=SWAP[_norm(norm)], out=out)


@composite
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """The inverse of ``hfft``: the half spectrum of a real signal, with ``ifft``'s signs."""
    return conjugate(rfft(a, n, axis, norm=SWAP[_norm(norm)], out=out), out=out)


@composite
def fftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d discrete Fourier transform over ``axes`` (all by default)."""
    return _transform("fft", a, s, axes, norm, out)


@composite
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d inverse discrete Fourier transform over ``axes`` (all by default)."""
    return _transform("ifft", a, s, axes, norm, out)


@composite
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """The 2-d discrete Fourier transform over the last two axes."""
    return _transform("fft", a, s, axes, norm, out)


@composite
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """The 2-d inverse discrete Fourier transform over the last two axes."""
    return _transform("ifft", a, s, axes, norm, out)


@composite
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d transform of real input (half spectrum along the last of ``axes``)."""
    return _transform("rfft", a, s, axes, norm, out)


@composite
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """The inverse of ``rfftn``: real output of shape ``s`` over ``axes``."""
    return _transform("irfft", a, s, axes, norm, out)


@composite
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """The 2-d transform of real input over the last two axes."""
    return _transform("rfft", a, s, axes, norm, out)


@composite
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """The inverse of ``rfft2``."""
    return _transform("irfft", a, s, axes, norm, out)


def _shift(x, axes, sign):
    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim))
        shift = [sign * (n // 2) for n in x.shape]
    elif isinstance(axes, (int, _np.integer)):
        shift = sign * (x.shape[axes] // 2)
    else:
        shift = [sign * (x.shape[ax] // 2) for ax in axes]
    return roll(x, shift, axes)


@composite
def fftshift(x, axes=None):
    """The zero-frequency term moved to the centre of ``axes`` (all by default)."""
    return _shift(x, axes, 1)


@composite
def ifftshift(x, axes=None):
    """The inverse of ``fftshift`` (they differ for odd lengths)."""
    return _shift(x, axes, -1)


def _check_n(n):
    if not isinstance(n, (int, _np.integer)):
        raise ValueError("n should be an integer")


@composite
def fftfreq(n, d=1.0, device=None, *, dtype=None):
    """The sample frequencies of an ``n``-point transform with sample spacing ``d``
    (``dtype=``: the Array API's keyword, a real floating dtype for the result)."""
    _check_n(n)
    device = _device_of(d) if device is None else device
    val = 1.0 / (n * d)
    half = (n - 1) // 2 + 1
    results = concatenate([arange(0, half, dtype=int, device=device),
                           arange(-(n // 2), 0, dtype=int, device=device)])
    return _as(results * val, dtype)


@composite
def rfftfreq(n, d=1.0, device=None, *, dtype=None):
    """The sample frequencies of ``rfft``'s output: ``n // 2 + 1`` non-negative terms."""
    _check_n(n)
    device = _device_of(d) if device is None else device
    val = 1.0 / (n * d)
    return _as(arange(0, n // 2 + 1, dtype=int, device=device) * val, dtype)


def _as(x, dtype):
    """``x`` in ``dtype`` (a real floating dtype; None: as computed, NumPy's float64)."""
    if dtype is None:
        return x
    if _np.dtype(dtype).kind != "f":
        raise TypeError(f"fftfreq(): dtype must be a real floating-point dtype, got {_np.dtype(dtype)}")
    return x.astype(dtype)


def _device_of(d):
    """The device of a spacing given as an npflow array (None: the default device)."""
    return d.device if isinstance(d, ndarray) else None



import sys as _sys  # noqa: E402
from .._docstrings import adopt as _adopt  # noqa: E402
from .._numpy.interop import publish as _publish  # noqa: E402

_adopt(_sys.modules[__name__])  # (loaded on first use: after npflow's own adopt)
_publish(_sys.modules[__name__])
