"""npflow arrays as the chunks of a dask.array (issue 16, item 8; npflow/_numpy/dask_chunks.py):
each op on npflow chunks against the same dask.array over NumPy chunks, on every device; the
registration in either import order; map_blocks, unique and percentile on a two-process
LocalCluster."""
import subprocess
import sys

import numpy as onp
import pytest

import npflow as nf
from support import DEVICES, assert_same

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

A = onp.random.default_rng(0).standard_normal((7, 5))
CHUNKS = (4, 3)  # ragged along both axes

# name -> the computation, given dask.array and an array of it
OPS = {
    "mean": lambda da, d: d.mean(axis=0),
    "std": lambda da, d: d.std(),
    "var_ddof": lambda da, d: d.var(axis=1, ddof=1),
    "sum": lambda da, d: d.sum(axis=(0, 1)),
    "nanmean": lambda da, d: da.nanmean(da.where(d > 1, onp.nan, d), axis=0),
    "nanstd": lambda da, d: da.nanstd(da.where(d > 1, onp.nan, d)),
    "matmul": lambda da, d: d @ d.T,
    "tensordot": lambda da, d: da.tensordot(d, d, axes=([0], [0])),
    "einsum": lambda da, d: da.einsum("ij,ij->j", d, d),
    "concatenate": lambda da, d: da.concatenate([d, 2 * d], axis=1),
    "stack": lambda da, d: da.stack([d, d], axis=-1),
    "take": lambda da, d: d[[0, 5, 2, 6]],
    "map_blocks_tanh": lambda da, d: d.map_blocks(nf.tanh if isinstance(d._meta, nf.ndarray) else onp.tanh),
    # Dask merges the chunks' percentiles and unique values: on the chunks' device too
    "percentile": lambda da, d: da.percentile(d[:, 1], [0, 10, 50, 100]),
    "percentile_nearest": lambda da, d: da.percentile(d[:, 2], 30, method="nearest"),
    "unique": lambda da, d: da.unique(da.round(d)),
    "unique_counts": lambda da, d: da.unique(da.round(d), return_counts=True),
    "unique_index_inverse": lambda da, d: da.unique(da.round(d), return_index=True, return_inverse=True),
}


def _leaves(r):
    return list(r) if isinstance(r, tuple) else [r]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OPS)
def test_op_on_npflow_chunks_equals_numpy_chunks(name, device):
    f = OPS[name]
    x = nf.asarray(A, device=device)
    got = dask.compute(f(da, da.from_array(x, chunks=CHUNKS)), scheduler="sync")[0]
    want = dask.compute(f(da, da.from_array(A, chunks=CHUNKS)), scheduler="sync")[0]
    for g, w in zip(_leaves(got), _leaves(want), strict=True):
        if x.device.kind != "cpu":
            assert g.device == x.device
            assert_same(g, w, rtol=1e-12)
        else:  # README: NumPy's functions, which Dask calls, answer NumPy's way on plain CPU arrays
            onp.testing.assert_allclose(onp.asarray(g), w, rtol=1e-12)


@pytest.mark.parametrize("first", ["npflow", "dask"])
def test_registration_whichever_is_imported_first(first):
    """import npflow never imports Dask; Dask's tables get npflow's entries in either order."""
    imports = ("import npflow, sys; assert 'dask' not in sys.modules; import dask.array"
               if first == "npflow" else "import dask.array, npflow")
    code = (f"{imports}\nfrom dask.array.dispatch import percentile_lookup as p, einsum_lookup as e\n"
            "import numpy, sys\n"
            "assert p.dispatch(npflow.ndarray) is not p.dispatch(numpy.ndarray)\n"
            "assert e.dispatch(npflow.ndarray).__module__ == 'npflow._numpy.dask_chunks'\n"
            "from dask.array import routines\n"
            "assert routines._unique_internal is npflow._numpy.dask_chunks._unique_internal\n"
            "assert not any(type(f).__module__ == 'npflow._numpy.dask_chunks' for f in sys.meta_path)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_map_blocks_on_a_local_cluster():
    """npflow chunks pickle to two worker processes, which import npflow and send npflow back."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        d = da.from_array(nf.asarray(A, device="sim"), chunks=CHUNKS)
        y = d.map_blocks(nf.tanh)
        got, std, unique, pct = client.compute([y, y.std(axis=0), da.unique(da.round(d)),
                                                da.percentile(d[:, 0], [10, 90])], sync=True)
        kept = client.persist(y)
        distributed.wait(kept)
        assert len({w for ws in client.who_has(kept).values() for w in ws}) == 2  # both workers ran chunks
    assert_same(got, onp.tanh(A), rtol=1e-12)
    assert_same(std, onp.tanh(A).std(axis=0), rtol=1e-12)
    assert got.device == unique.device == pct.device == nf.Device("sim")
    assert_same(unique, onp.unique(onp.round(A)))
    assert_same(pct, da.percentile(da.from_array(A, chunks=CHUNKS)[:, 0], [10, 90]).compute(), rtol=1e-12)
