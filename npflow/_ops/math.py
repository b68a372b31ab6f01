"""Elementwise primitives beyond the ufuncs: selection, clipping, rounding, complex parts."""
from .._core.registry import kernel_op, xp_op

# where(condition, x, y): all three are operands; the derivative flows to x and y only.
xp_op("where")
# clip(a, a_min, a_max, out=, where=, casting=, ...): the bounds are operands (arrays or None).
xp_op("clip")
# round(a, decimals=, out=)
xp_op("round")
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


# -- derivative rules (where here: every other family's rules use it) -------------------------
import npflow as np  # noqa: E402  (the rules run later, once npflow is imported)

from ..autodiff.rules import defvjp, defjvp  # noqa: E402

defvjp("where", None, lambda g, ans, c, x, y: np.where(c, g, 0), lambda g, ans, c, x, y: np.where(c, 0, g))
defjvp("where", None, lambda t, ans, c, x, y: np.where(c, t, 0), lambda t, ans, c, x, y: np.where(c, 0, t))
# real/imag: for complex z, JAX's convention: real's vjp is g, imag's is -1j*g
defvjp("real", lambda g, ans, x: g)
defjvp("real", lambda t, ans, x: np.real(t))
defvjp("imag", lambda g, ans, x: -1j * g)
defjvp("imag", lambda t, ans, x: np.imag(t))
