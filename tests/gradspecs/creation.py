"""Gradient specs for the creation ops that take arrays: triangles, diagonals, meshgrid; and the
creation functions differentiable in their value arguments (full, full_like, linspace and its
family, ndarray.fill), computed in npflow calls when an active trace tracks the value."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

V = rand(4, seed=30)
M = rand(4, 4, seed=31)
R = rand(3, 5, seed=32)
Z = rand(3, 4, seed=33, complex=True)
S = onp.asarray(0.7)  # a 0-d value argument

SPECS = [
    Case("tril", np.tril, (M,)),
    Case("tril", lambda x: np.tril(x, -1), (R,), "k-1"),
    Case("tril", lambda x: np.tril(x, 1), (rand(2, 3, 4, seed=34),), "batched"),
    Case("tril", np.tril, (V,), "1d"),
    Case("tril", np.tril, (Z,), "complex"),
    Case("triu", np.triu, (M,)),
    Case("triu", lambda x: np.triu(x, 2), (R,), "k2"),
    Case("triu", lambda x: np.triu(x, -1), (Z,), "complex"),
    Case("diag", np.diag, (V,), "1d"),
    Case("diag", lambda v: np.diag(v, 2), (V,), "1d-k2"),
    Case("diag", lambda v: np.diag(v, -1), (V,), "1d-k-1"),
    Case("diag", np.diag, (M,), "2d"),
    Case("diag", lambda x: np.diag(x, 1), (R,), "2d-k1"),
    Case("diag", lambda x: np.diag(x, -2), (R,), "2d-k-2"),
    Case("diag", lambda x: np.diag(x, 1), (Z,), "complex"),
    Case("diagflat", np.diagflat, (R,)),
    Case("diagflat", lambda v: np.diagflat(v, -2), (V,), "k-2"),
    Case("diagflat", lambda v: np.diagflat(v, 1), (Z,), "complex"),
    Case("meshgrid", np.meshgrid, (V, rand(3, seed=35))),
    Case("meshgrid", lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"),
         (V, rand(3, seed=35), rand(2, seed=36)), "ij"),
    Case("meshgrid", lambda x, y, z: np.meshgrid(x, y, z, sparse=True),
         (V, rand(3, seed=35), rand(2, seed=36)), "sparse-xy"),
    Case("meshgrid", lambda x, y: np.meshgrid(x, y, [1.0, 2.0], copy=False),
         (rand(2, 2, seed=37), V), "2d-input-constant"),
    Case("meshgrid", lambda x: np.meshgrid(x), (V,), "single"),
    Case("meshgrid", np.meshgrid, (V * 1j, rand(3, seed=35, complex=True)), "complex"),
    # value arguments (the result's values are the value, or NumPy's linspace steps from it)
    Case("np.full", lambda v: np.full((2, 3), v), (S,)),
    Case("np.full", lambda v: np.full((3, 2), v, order="F"), (S,), "order-F"),
    Case("np.full", lambda v: np.full((2, 4), v), (V,), "row"),
    Case("np.full", lambda v: np.full(3, v), (S * 1j + 0.5,), "complex"),
    Case("np.full_like", lambda v: np.full_like(onp.zeros((2, 3)), v), (S,)),
    Case("np.full_like", lambda v: np.full_like(onp.zeros((6, 3))[::2, ::-1], v), (S,), "order-K-strided"),
    Case("np.full_like", lambda x, v: x * np.full_like(x, v), (R, S), "prototype-traced"),
    Case("np.linspace", lambda a, b: np.linspace(a, b, 5), (S, S + 2.0)),
    Case("np.linspace", lambda a, b: np.linspace(a, b, 4, endpoint=False), (S, S - 1.5), "open"),
    Case("np.linspace", lambda a: np.linspace(a, 3.0, 4, axis=1), (V,), "vector-axis1"),
    Case("np.linspace", lambda a, b: np.linspace(a, b, 3, retstep=True), (S, S + 1.0), "retstep"),
    Case("np.linspace", lambda a: np.linspace(a, a, 3), (S,), "zero-step"),
    Case("np.linspace", lambda a: np.linspace(a, 1.0, 1), (S,), "one-sample"),
    Case("np.logspace", lambda a, b: np.logspace(a, b, 4), (S, S + 0.5)),
    Case("np.logspace", lambda a: np.logspace(a, 1.0, 3, base=2.0), (V,), "vector-base2"),
    Case("np.geomspace", lambda a, b: np.geomspace(a, b, 4), (S + 3.0, S + 5.0)),
    Case("np.geomspace", lambda a: np.geomspace(a, -8.0, 3), (-(S + 3.0),), "negative"),
    Case("fill", lambda v: (lambda z: (z.fill(v), z)[1])(np.zeros((2, 2))), (S,), "traced-value"),
    Case("pad", lambda x, v: np.pad(x, ((1, 2), (0, 1)), constant_values=v), (R, S), "traced-constant"),
]
