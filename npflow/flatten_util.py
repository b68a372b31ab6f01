"""Flattening nested arguments into one vector and back: JAX's ``ravel_pytree`` and autograd's
``flatten`` (for optimizers and solvers that take a flat parameter vector).

Both are composites of npflow ops (``ravel``, ``concatenate``, slicing, ``reshape``, ``astype``),
so the vector and the rebuilt tree are differentiable and stay on the leaves' device. Trees are
nested tuples, lists, dicts and namedtuples (dicts in sorted key order); ``None`` is an empty
subtree (no entries in the vector), and Python numbers become 0-d arrays.
"""
import npflow as np
from .autodiff.pytree import flatten as _tree_flatten, unflatten as _tree_unflatten

__all__ = ["ravel_pytree", "flatten"]


def ravel_pytree(pytree):
    """``(flat, unravel)``: the leaves of ``pytree`` ravelled and concatenated into one 1-d array
    (of their common dtype), and the function rebuilding a tree of the same structure, shapes and
    dtypes from such a vector."""
    leaves, treedef = _tree_flatten(pytree)
    arrays = [None if v is None else np.asarray(v) for v in leaves]
    present = [a for a in arrays if a is not None]
    if present:
        dtype = np.result_type(*[a.dtype for a in present])
        flat = np.concatenate([np.ravel(a).astype(dtype, copy=False) for a in present])
    else:
        dtype = np.float64
        flat = np.zeros(0)
    specs = [None if a is None else (a.shape, a.dtype, a.size) for a in arrays]
    size = sum(s[2] for s in specs if s is not None)

    def unravel(vector):
        v = np.asarray(vector)
        if v.shape != (size,):
            raise ValueError(f"unravel_pytree(): expected a flat vector of shape ({size},) (the "
                             f"tree's {len(present)} leaves), got {v.dtype} {v.shape}")
        out, k = [], 0
        for s in specs:
            if s is None:
                out.append(None)
                continue
            shape, dt, n = s
            out.append(np.reshape(v[k:k + n], shape).astype(dt, copy=False))
            k += n
        return _tree_unflatten(treedef, out)
    unravel.__name__ = unravel.__qualname__ = "unravel_pytree"
    return flat, unravel


def flatten(value):
    """autograd's ``flatten``: ``(flat, unflatten)``, as :func:`ravel_pytree`."""
    return ravel_pytree(value)
