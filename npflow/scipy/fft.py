"""``npflow.scipy.fft``: SciPy's discrete cosine transforms of types 2 and 3 (``dct``, ``idct``,
``dctn``, ``idctn``; JAX's names) with ``n=``, ``axis=`` and SciPy's ``norm`` ('backward',
'ortho', 'forward'), as composites: the transform matrix (built from the size alone) applied along
the axis, so they are differentiable and run on every device. (The matrix costs O(n^2) per
axis: for moderate lengths.)"""
import math as _math

import npflow as np
from .._core.dispatch import composite

__all__ = ["dct", "idct", "dctn", "idctn"]
_NORMS = (None, "backward", "ortho", "forward")


def _matrix(n, type, norm, dtype, device):
    """The (n, n) matrix of SciPy's DCT of ``type`` (2 or 3) with ``norm``."""
    k = np.arange(n, dtype=dtype, device=device)
    c2 = 2 * np.cos(_math.pi * k[:, None] * (2 * k[None, :] + 1) / (2 * n))   # DCT-II, unnormalized
    if norm == "ortho":
        scale = np.where(k == 0, _math.sqrt(1 / (4 * n)), _math.sqrt(1 / (2 * n)))
        o2 = c2 * scale[:, None]
        return o2 if type == 2 else o2.T
    m = c2 if type == 2 else c2.T * np.where(k == 0, 0.5, 1.0)[None, :]
    return m / (2 * n) if norm == "forward" else m


def _along(x, m, axis):
    x = np.moveaxis(x, axis, -1)
    return np.moveaxis(x @ m.T.astype(x.dtype), -1, axis)


def _prepare(x, n, axis, fname):
    x = np.asarray(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    axis = axis % x.ndim if x.ndim else 0
    if n is not None:
        if n < 1:
            raise ValueError(f"{fname}(): invalid number of data points ({n}) specified")
        size = x.shape[axis]
        if n < size:
            x = np.take(x, np.arange(n, device=x.device), axis=axis)
        elif n > size:
            pad = [(0, 0)] * x.ndim
            pad[axis] = (0, n - size)
            x = np.pad(x, pad)
    return x, axis


def _check(type, norm, fname):
    if type not in (2, 3):
        raise NotImplementedError(f"{fname}(): only DCT types 2 and 3 are implemented, got type={type}")
    if norm not in _NORMS:
        raise ValueError(f"{fname}(): invalid norm value {norm!r}; should be 'backward', 'ortho' or 'forward'")


def _inverse_norm(norm):
    return {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


@composite
def dct(x, type=2, n=None, axis=-1, norm=None):
    """The discrete cosine transform of ``type`` 2 or 3 along ``axis``."""
    _check(type, norm, "dct")
    x, axis = _prepare(x, n, axis, "dct")
    real = x.real if x.dtype.kind == "c" else x
    m = _matrix(x.shape[axis], type, norm, real.dtype, x.device)
    return _along(x, m, axis)


@composite
def idct(x, type=2, n=None, axis=-1, norm=None):
    """The inverse of ``dct(type=type, norm=norm)`` (the DCT of the other type, scaled)."""
    _check(type, norm, "idct")
    return dct(x, 5 - type, n, axis, _inverse_norm(norm))


def _axes(x, s, axes):
    x = np.asarray(x)
    if axes is None:
        axes = list(range(x.ndim)) if s is None else list(range(x.ndim - len(s), x.ndim))
    axes = [axes] if isinstance(axes, int) else list(axes)
    s = [None] * len(axes) if s is None else ([s] if isinstance(s, int) else list(s))
    if len(s) != len(axes):
        raise ValueError("dctn(): when given, axes and shape arguments have to be of the same length")
    return x, s, axes


@composite
def dctn(x, type=2, s=None, axes=None, norm=None):
    """The N-d DCT: ``dct`` along each of ``axes`` (``s``: the lengths)."""
    x, s, axes = _axes(x, s, axes)
    for n, a in zip(s, axes):
        x = dct(x, type, n, a, norm)
    return x


@composite
def idctn(x, type=2, s=None, axes=None, norm=None):
    """The inverse of ``dctn``."""
    x, s, axes = _axes(x, s, axes)
    for n, a in zip(s, axes):
        x = idct(x, type, n, a, norm)
    return x
