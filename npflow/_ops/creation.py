"""Creation primitives: arrays built from a shape, a range or a diagonal.

Ops without array operands (zeros, arange, linspace, eye, ...) run on the
backend of the device given as ``device=`` (the default device otherwise);
their outputs depend on no operand, so they are not differentiable.
``tril``, ``triu``, ``diag``, ``diagflat`` and ``meshgrid`` take array
operands and run on their device.
"""
from .._core.registry import xp_op, kernel_op

for _name in ("zeros", "ones", "empty", "full", "eye", "tri"):
    xp_op(_name, differentiable=False)
for _name in ("tril", "triu", "diag", "diagflat"):
    xp_op(_name)


@kernel_op("like", differentiable=False)
def like(xp, x, *, fill, dtype, shape):
    """A new array laid out as the prototype ``x`` (order='K': its axes' stride order), filled
    with ``fill`` (None: uninitialised), as NumPy's *_like make it."""
    r = xp.empty_like(x, dtype=dtype, order="K", shape=shape)
    if fill is not None:
        xp.copyto(r, fill, casting="unsafe")
    return r


@kernel_op("arange", differentiable=False)
def arange(xp, *, start, stop, step, dtype):
    return xp.arange(start, stop, step, dtype=dtype)


@kernel_op("linspace", differentiable=False)
def linspace(xp, *, start, stop, num, endpoint, retstep, dtype, axis):
    y, step = xp.linspace(start, stop, num, endpoint=endpoint, retstep=True, dtype=dtype, axis=axis)
    return (y, xp.asarray(step)) if retstep else y


@kernel_op("meshgrid", nout=2)  # a tuple of outputs, one per input (the engine needs only "several")
def meshgrid(xp, *xi, copy, sparse, indexing):
    """NumPy's meshgrid in the common xp API (CuPy's takes 1-d inputs only)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    ones = (1,) * n
    out = [xp.asarray(x).reshape(ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = out[0].reshape((1, -1) + ones[2:])
        out[1] = out[1].reshape((-1, 1) + ones[2:])
    if not sparse:
        out = xp.broadcast_arrays(*out)
    return tuple(x.copy() for x in out) if copy else tuple(out)


# -- derivative rules (all linear: the jvp is the op itself) ---------------------------------
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, deflinear, defvjp_all, defjvp_all  # noqa: E402
from .array_ops import scatter_sum  # noqa: E402

# tril, triu: masks, their own transposes
defvjp("tril", lambda g, ans, m, k=0: np.tril(g, k))
deflinear("tril", lambda t, k=0: np.tril(t, k))
defvjp("triu", lambda g, ans, m, k=0: np.triu(g, k))
deflinear("triu", lambda t, k=0: np.triu(t, k))


def _diag_vjp(g, ans, v, k=0):
    if v.ndim == 1:  # v was put on a diagonal: read it back
        return np.diag(g, k)
    i = np.arange(g.shape[0], device=g.device)  # the diagonal was read: put it back in place
    return scatter_sum(g, v.shape, (i + max(-k, 0), i + max(k, 0)))


defvjp("diag", _diag_vjp, shape_only=(0,))
deflinear("diag", lambda t, k=0: np.diag(t, k))
defvjp("diagflat", lambda g, ans, v, k=0: np.reshape(np.diag(g, k), v.shape), shape_only=(0,))
deflinear("diagflat", lambda t, k=0: np.diagflat(t, k))


def _meshgrid_axis(i, n, indexing):
    return (1, 0)[i] if indexing == "xy" and n > 1 and i < 2 else i


def _meshgrid_vjp(g, ans, *xi, indexing="xy", **_):
    """Each output broadcasts one input along the other axes: sum over those."""
    n = len(xi)
    return [None if gi is None or x is None else np.reshape(np.sum(
        gi, axis=tuple(a for a in range(n) if a != _meshgrid_axis(i, n, indexing))), x.shape)
        for i, (gi, x) in enumerate(zip(g, xi))]


defvjp_all("meshgrid", _meshgrid_vjp, shape_only=True)
defjvp_all("meshgrid", lambda tangents, ans, *xi, copy=True, sparse=False, indexing="xy": np.meshgrid(
    *(np.zeros_like(x) if t is None else t for t, x in zip(tangents, xi)),
    copy=copy, sparse=sparse, indexing=indexing))
