"""Discrete Fourier transforms: three primitives over given axes, on unpadded input.

``fft.c2c`` (complex to complex, forward or inverse), ``fft.r2c`` (real to the
half spectrum along the last of ``axes``) and ``fft.c2r`` (half spectrum to real,
``n`` points along the last axis). Every public function of ``npflow.fft`` is a
composite of these: it pads or crops the input first, so the kernels never do.
"""
from .._core.dispatch import apply
from .._core.registry import kernel_op


def _into(xp, r, out):
    """``r``, or ``r`` written into ``out`` (same shape, same_kind casting, as NumPy's ufuncs)."""
    if out is None:
        return r
    if out.shape != r.shape:
        raise ValueError("output array has wrong shape.")
    xp.copyto(out, r, casting="same_kind")
    return out


@kernel_op("fft.c2c")
def _c2c(xp, a, *, axes, inverse, norm, out=None):
    fn = xp.fft.ifftn if inverse else xp.fft.fftn
    return _into(xp, fn(a, axes=axes, norm=norm), out)


@kernel_op("fft.r2c")
def _r2c(xp, a, *, axes, norm, out=None):
    return _into(xp, xp.fft.rfftn(a, axes=axes, norm=norm), out)


@kernel_op("fft.c2r")
def _c2r(xp, a, *, axes, n, norm, out=None):
    s = [a.shape[ax] for ax in axes[:-1]] + [n]
    return _into(xp, xp.fft.irfftn(a, s=s, axes=axes, norm=norm), out)


def fft_c2c(a, axes, inverse, norm, out=None):
    return apply(_c2c, a, axes=axes, inverse=inverse, norm=norm, out=out)


def fft_r2c(a, axes, norm, out=None):
    return apply(_r2c, a, axes=axes, norm=norm, out=out)


def fft_c2r(a, axes, n, norm, out=None):
    return apply(_c2r, a, axes=axes, n=n, norm=norm, out=out)


# -- derivative rules -------------------------------------------------------------------------
# All three are linear, so each jvp is the op itself. The DFT matrix is symmetric, so c2c is
# its own transpose (JAX's convention: the transpose, not the adjoint). r2c keeps the bins
# 0..n//2 of the last axis; its transpose pads the cotangent back to n bins and takes the real
# part, which is c2r (the inverse on a Hermitian spectrum) of conj(g) with the bins that stand
# for two (all but DC and, n even, Nyquist) halved. c2r counts those bins twice and drops the
# imaginary parts of DC and Nyquist; its transpose is conj(r2c(g)) with them doubled. Both use
# the other direction's normalisation with the swapped norm, which has the same scale.
import numpy as _numpy  # noqa: E402  (dtypes only)

from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp  # noqa: E402

SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _weighted(x, n, axis, value):
    """``x`` times ``value`` at the bins of an n-point half spectrum that stand for two bins
    (all but DC and, n even, Nyquist) along ``axis``."""
    m = n // 2 + 1
    w = [1.0] + [value] * (m - 1 - (n % 2 == 0)) + [1.0] * (m > 1 and n % 2 == 0)
    w = np.asarray(w, dtype=_numpy.finfo(x.dtype).dtype, device=x.device)
    return x * np.reshape(w, (m,) + (1,) * (x.ndim - 1 - axis % x.ndim))


def _r2c_vjp(g, ans, x, axes, norm):
    n = x.shape[axes[-1]]
    return fft_c2r(_weighted(np.conj(g), n, axes[-1], 0.5), axes, n, SWAP[norm])


def _c2r_vjp(g, ans, h, axes, n, norm):
    return _weighted(np.conj(fft_r2c(g, axes, SWAP[norm])), n, axes[-1], 2.0)


defvjp("fft.c2c", lambda g, ans, a, axes, inverse, norm: fft_c2c(g, axes, inverse, norm))
defjvp("fft.c2c", lambda t, ans, a, axes, inverse, norm: fft_c2c(t, axes, inverse, norm))
defvjp("fft.r2c", _r2c_vjp, shape_only=(0,))
defjvp("fft.r2c", lambda t, ans, x, axes, norm: fft_r2c(t, axes, norm))
defvjp("fft.c2r", _c2r_vjp)
defjvp("fft.c2r", lambda t, ans, h, axes, n, norm: fft_c2r(t, axes, n, norm))
