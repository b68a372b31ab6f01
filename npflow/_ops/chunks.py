"""Primitives of chunked (Dask) arrays: rechunk, persist, compute.

On the Dask device the backend's own kernels run them (dask_backend.KERNELS). On every other
device an array is one concrete piece of memory already: ``rechunk`` and ``persist`` give it
back unchanged and ``compute`` moves it to the host, so code written for Dask runs anywhere.
"""
from .._core.registry import kernel_op


@kernel_op("rechunk")
def rechunk(xp, x, *, chunks):
    return x


@kernel_op("persist")
def persist(xp, x):
    return x


@kernel_op("compute", nout=2)  # one output per operand (the engine needs only "several")
def compute(xp, *xs, dst):
    """The operands' values on the host, computed together (Dask: in one pass, sharing work)."""
    return tuple(xp.asnumpy(x) if hasattr(xp, "asnumpy") else x for x in xs)


# -- derivative rules: all three are the identity on values ----------------------------------
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)
from ..autodiff.rules import defvjp, deflinear, defvjp_all, defjvp_all  # noqa: E402

defvjp("rechunk", lambda g, ans, x, chunks: g)
deflinear("rechunk", lambda t, chunks: np.rechunk(t, chunks))
defvjp("persist", lambda g, ans, x: g)
deflinear("persist", lambda t: t)
defvjp_all("compute", lambda g, ans, *xs, dst: [None if gi is None else gi.to_device(x.device)
                                                for gi, x in zip(g, xs)], shape_only=True)
defjvp_all("compute", lambda tangents, ans, *xs, dst: tuple(
    np.zeros_like(a) if t is None else t.to_device(dst) for t, a in zip(tangents, ans)))
