"""Elementwise primitives beyond the ufuncs: selection, clipping, rounding, complex parts."""
import numpy as _numpy

from .._core.registry import kernel_op, xp_op

# where(condition, x, y): all three are operands; the derivative flows to x and y only.
xp_op("where")
# clip(a, a_min, a_max, out=, where=, casting=, ...): the bounds are operands (arrays or None).
xp_op("clip")
# round(a, decimals=, out=): piecewise constant, as floor and rint
xp_op("round", differentiable=False)
# The modified Bessel function of the first kind, order 0.
xp_op("i0")


@kernel_op("real")
def real(xp, x):
    """The real part, a view of ``x`` (``x`` itself for real dtypes), as NumPy's ``x.real``."""
    return x.real


@kernel_op("imag")
def imag(xp, x):
    """The imaginary part, a view of ``x`` for complex dtypes (read-only zeros otherwise)."""
    return x.imag


@kernel_op("complex")
def complex_(xp, re, im):
    """The complex array with real part ``re`` and imaginary part ``im`` (real arrays of one
    dtype), each part's bits kept: ``re + im * 1j`` would turn a -0.0 part into 0.0."""
    out = xp.empty(_numpy.broadcast_shapes(re.shape, im.shape), xp.result_type(re, im, xp.complex64))
    out.real = re
    out.imag = im
    return out


# -- derivative rules (where here: every other family's rules use it) -------------------------
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.core import AutodiffError  # noqa: E402
from ..autodiff.rules import ONE, defvjp, defjvp, defelementwise  # noqa: E402

defvjp("where", None, lambda g, ans, c, x, y: np.where(c, g, 0), lambda g, ans, c, x, y: np.where(c, 0, g))
defjvp("where", None, lambda t, ans, c, x, y: np.where(c, t, 0), lambda t, ans, c, x, y: np.where(c, 0, t))
# real/imag: for complex z, JAX's convention: real's vjp is g, imag's is -1j*g
defvjp("real", lambda g, ans, x: g)
defjvp("real", lambda t, ans, x: np.real(t))
defvjp("imag", lambda g, ans, x: -1j * g)
defjvp("imag", lambda t, ans, x: np.imag(t))
# complex(re, im) = re + im * 1j: its partials are 1 and 1j (fit keeps a real part's real part)
defelementwise("complex", ONE, lambda ans, re, im: 1j)
# A write into z.real or z.imag under a trace: z's history goes on as the functional update
# "z with that part replaced by the view's values", complex(v, imag(z)) or complex(real(z), v)
# (core.REBASE_PART; the memory holds it already). The other part of z passes; the rules read
# no values, only the key.
defvjp("part.rebase", lambda g, ans, z, v, key: 1j * np.imag(g) if key == "real" else np.real(g),
       lambda g, ans, z, v, key: g if key == "real" else g * 1j, shape_only=(0,))
defjvp("part.rebase", lambda t, ans, z, v, key: 1j * np.imag(t) if key == "real" else np.real(t),
       lambda t, ans, z, v, key: t if key == "real" else t * 1j)


def _clip_masks(a, lo, hi, where=True):
    """Where minimum(maximum(a, a_min), a_max) is a, a_min, a_max (Python bools for absent bounds)."""
    if where is not True:
        raise AutodiffError("clip(): where= is not differentiable; use npflow.where")
    low = None if lo is None else a < lo
    above = None if hi is None else (a if lo is None else np.maximum(a, lo)) > hi
    if above is None:
        return (True, False, False) if low is None else (~low, low, False)
    if low is None:
        return ~above, False, above
    return ~(low | above), low & ~above, above


def _clip_rule(i):
    return lambda d, ans, a, lo, hi, where=True, **_: np.where(_clip_masks(a, lo, hi, where)[i], d, 0)


defvjp("clip", *map(_clip_rule, range(3)))
defjvp("clip", *map(_clip_rule, range(3)))

# i0' = i1, which NumPy lacks: Cephes' Chebyshev expansions of exp(-|x|) i1(x) (/ x on [0, 8]),
# in npflow ops, so that i0's second derivative comes from differentiating them.
_I1_A = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
         -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
         3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
         -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
         9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
         -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
         4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
         -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
         2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
         -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1_B = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
         -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
         -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
         4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
         -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
         3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
         -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
         -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
         7.78576235018280120474e-1)


def _chbevl(y, coeffs):
    """Cephes' Chebyshev series (highest degree first) at ``y`` in [-2, 2]."""
    b0, b1, b2 = coeffs[0], 0.0, 0.0
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = y * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _i1(x):
    """The modified Bessel function of the first kind, order 1 (odd in x)."""
    z = np.abs(x)
    small, big = np.minimum(z, 8.0), np.maximum(z, 8.0)  # each branch stays in its own range
    near = x * np.exp(small) * _chbevl(small / 2 - 2, _I1_A)
    far = np.sign(x) * np.exp(big) * _chbevl(32 / big - 2, _I1_B) / np.sqrt(big)
    return np.where(z <= 8, near, far)


defelementwise("i0", lambda ans, x: _i1(x))
