"""Gradient specs for the creation ops that take arrays: triangles, diagonals, meshgrid."""
import npflow as np
from gradspecs import Case, rand

V = rand(4, seed=30)
M = rand(4, 4, seed=31)
R = rand(3, 5, seed=32)
Z = rand(3, 4, seed=33, complex=True)

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
]
