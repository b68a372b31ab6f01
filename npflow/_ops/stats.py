"""Statistics primitives: ``bincount`` (a scatter-add: differentiable in its weights)."""
from .._core.registry import kernel_op


@kernel_op("bincount")
def bincount(xp, x, weights, *, minlength=0):
    return xp.bincount(x, weights, minlength=minlength)


# -- derivative rules: the weights' cotangent is gathered back; the tangent is scattered again --
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp  # noqa: E402

defvjp("bincount", None, lambda g, ans, x, weights: np.take(g, x), shape_only=(1,))
defjvp("bincount", None, lambda t, ans, x, weights, minlength=0: np.bincount(x, t, minlength=minlength))
