"""Gradient specs for the chunked-array ops (npflow/_ops/chunks.py): the identity on values, on
every device (on the Dask device they reshape the graph: tests/test_dask_gradients.py)."""
import npflow as np
from gradspecs import Case, rand

M = rand(4, 3, seed=40)

SPECS = [
    Case("rechunk", lambda x: np.sin(np.rechunk(x, 2)), (M,)),
    Case("persist", lambda x: np.persist(x * x), (M,)),
    Case("compute", lambda x, y: np.compute(np.sin(x), x * y), (M, rand(3, seed=41))),
    Case("compute", lambda x: np.compute(x, np.sum(x * x))[1], (M,), "shared"),
]
