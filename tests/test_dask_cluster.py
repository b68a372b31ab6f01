"""The Dask device on a real cluster (issue 16): a dask.distributed LocalCluster of two worker
processes on loopback. npflow arrays pickle to the workers, which import npflow; a gradient
and an optimizer loop computed there equal the CPU device's; npflow arrays serve as chunks."""
import numpy as onp
import pytest

import npflow as nf

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

rng = onp.random.default_rng(3)
X = rng.standard_normal((400, 6))
Y = (X @ rng.standard_normal(6) + 0.3 * rng.standard_normal(400) > 0).astype(float)


def loss(w, x, y):
    z = x @ w
    return nf.mean(nf.logaddexp(0, z) - y * z) + 0.01 * nf.sum(w * w)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       worker_dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _worker_pids(client):
    return set(client.run(lambda: __import__("os").getpid()).values())


def test_arrays_pickle_to_workers_which_import_npflow(client):
    """An npflow array (CPU) sent to a worker comes back equal; a task on the workers runs
    npflow there."""
    x = nf.asarray(X[:5])
    back = client.submit(lambda a: (type(a).__module__, a * 2), x).result()
    assert back[0].startswith("npflow") and isinstance(back[1], nf.ndarray)
    onp.testing.assert_array_equal(onp.asarray(back[1]), 2 * X[:5])
    assert len(_worker_pids(client)) == 2


def test_gradient_on_the_cluster_equals_the_cpu_device(client):
    x = nf.asarray(X, device="dask", chunks=(100, 6)).persist()  # the data lives on the workers
    y = nf.asarray(Y, device="dask", chunks=100).persist()
    w = nf.asarray(onp.full(6, 0.1), device="dask")
    value, g = nf.compute(*nf.value_and_grad(loss)(w, x, y))
    v_cpu, g_cpu = nf.value_and_grad(loss)(nf.asarray(onp.full(6, 0.1)), X, Y)
    onp.testing.assert_allclose(float(value), float(v_cpu), rtol=1e-12)
    onp.testing.assert_allclose(onp.asarray(g), onp.asarray(g_cpu), rtol=1e-12, atol=1e-14)


def test_optimizer_loop_on_the_cluster(client):
    x = nf.asarray(X, device="dask", chunks=(100, 6)).persist()
    y = nf.asarray(Y, device="dask", chunks=100).persist()
    res = nf.optimize.minimize(loss, nf.zeros(6, device="dask"), args=(x, y), method="L-BFGS-B")
    ref = nf.optimize.minimize(loss, nf.zeros(6), args=(X, Y), method="L-BFGS-B")
    assert res.success and res.x.device == "dask"
    onp.testing.assert_allclose(onp.asarray(res.x), onp.asarray(ref.x), rtol=1e-8, atol=1e-10)
    w = nf.Variable(nf.zeros(6, device="dask"))
    w_cpu = nf.Variable(nf.zeros(6))
    opt, opt_cpu = nf.optimizers.Adam(0.05), nf.optimizers.Adam(0.05)
    for _ in range(3):
        opt.apply_gradients([(nf.grad(loss)(w, x, y), w)])
        opt_cpu.apply_gradients([(nf.grad(loss)(w_cpu, X, Y), w_cpu)])
    onp.testing.assert_allclose(onp.asarray(w), onp.asarray(w_cpu), rtol=1e-10, atol=1e-12)


def test_map_blocks_of_npflow_functions_on_the_cluster(client):
    d = da.from_array(X, chunks=(100, 6))
    r = d.map_blocks(lambda b: onp.asarray(nf.tanh(nf.asarray(b))), dtype=float).compute()
    onp.testing.assert_allclose(r, onp.tanh(X), rtol=1e-15)


def test_out_of_core_example_smoke():
    """examples/dask_logistic.py at a small size: its own cluster, data on disk, L-BFGS, and the
    in-memory check (--check asserts the coefficients agree)."""
    import os
    import runpy
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                        "dask_logistic.py")
    res = runpy.run_path(path, run_name="example")["main"](["--rows", "4000", "--features", "4",
                                                             "--check"])
    assert res.success and res.x.device == "dask"
