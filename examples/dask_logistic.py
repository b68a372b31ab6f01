"""Logistic regression on a dataset on disk larger than a worker's memory, with npflow on Dask.

The features are written to disk as a stack of .npy chunks (Dask's npy stack), four times as
large as one worker's ``memory_limit``; a ``dask.distributed.LocalCluster`` fits the model with
SciPy's L-BFGS and npflow's exact gradient, which Dask computes chunk by chunk from disk (the
data never sits in one process). Progress: one line per iteration (and the dashboard's address).

    python examples/dask_logistic.py --rows 13107200        # 1.6 GB of features, 400 MB workers
    python examples/dask_logistic.py --rows 20000 --check   # small: compared with an in-memory fit
    python examples/dask_logistic.py                        # 200,000 rows (the docs site runs it)

(A worker process needs ~200 MB of its own, so the memory limit is never set below 400 MB: the
data is four times a worker's memory from 13,107,200 rows of 16 features up.)

``--check`` fits the same data in memory on the CPU device and asserts that the coefficients
agree (CI runs it at a small size: tests/test_dask_cluster.py).
"""
import argparse
import os
import tempfile
import time

import numpy

import npflow as np


def make_dataset(path, rows, features, chunk_rows, seed=0):
    """Features (rows x features, float64) and labels written chunk by chunk: no chunk is ever
    more than ``chunk_rows`` rows in memory."""
    import dask.array as da
    rng = da.random.default_rng(seed)
    x = rng.standard_normal((rows, features), chunks=(chunk_rows, features))
    true_w = numpy.linspace(-1.0, 1.0, features)
    logits = x @ true_w + 0.5 * rng.standard_normal(rows, chunks=chunk_rows)
    y = (logits > 0).astype(float)
    da.to_npy_stack(os.path.join(path, "x"), x)
    da.to_npy_stack(os.path.join(path, "y"), y)


def loss(w, x, y, l2=1e-3):
    z = x @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + l2 * np.sum(w * w)


def fit(x, y, features, progress=True):
    w0 = np.zeros(features, device=x.device)
    t0 = time.perf_counter()
    seen = []

    def report(intermediate_result):
        seen.append(intermediate_result.fun)
        if progress:
            print(f"  iteration {len(seen):3d}  loss {intermediate_result.fun:.10f}  "
                  f"({time.perf_counter() - t0:.1f} s)", flush=True)
    return np.optimize.minimize(loss, w0, args=(x, y), method="L-BFGS-B", callback=report,
                                options={"gtol": 1e-10, "ftol": 1e-14})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--check", action="store_true", help="compare with an in-memory CPU fit")
    args = p.parse_args(argv)
    from distributed import Client, LocalCluster
    import dask.array as da

    nbytes = args.rows * args.features * 8
    memory_limit = max(nbytes // 4, 400 * 2**20)  # the data is 4x one worker's memory
    chunk_rows = max(1000, args.rows // 64)
    with tempfile.TemporaryDirectory() as path:
        print(f"writing {nbytes / 2**20:.0f} MB of features to {path} "
              f"({chunk_rows} rows a chunk)", flush=True)
        make_dataset(path, args.rows, args.features, chunk_rows)
        with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                          memory_limit=memory_limit, host="127.0.0.1",
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            print(f"{args.workers} workers, memory_limit {memory_limit / 2**20:.0f} MB each "
                  f"(the data is {nbytes / memory_limit:.1f}x that); dashboard: "
                  f"{client.dashboard_link or 'off'}", flush=True)
            x = np.from_dask(da.from_npy_stack(os.path.join(path, "x")))
            y = np.from_dask(da.from_npy_stack(os.path.join(path, "y")))
            res = fit(x, y, args.features)
            w = res.x.to_device("cpu")
            print(f"L-BFGS: {res.nit} iterations, loss {res.fun:.10f}, success {res.success}")
            print("coefficients:", numpy.round(numpy.asarray(w), 4))
            if args.check:
                xm = numpy.concatenate([numpy.load(os.path.join(path, "x", f"{i}.npy"))
                                        for i in range(len(x.chunks[0]))])
                ym = numpy.concatenate([numpy.load(os.path.join(path, "y", f"{i}.npy"))
                                        for i in range(len(y.chunks[0]))])
                ref = fit(np.asarray(xm), np.asarray(ym), args.features, progress=False)
                err = float(numpy.max(numpy.abs(numpy.asarray(ref.x) - numpy.asarray(w))))
                print(f"in-memory fit on the CPU device: max |difference| {err:.2e}")
                assert err < 1e-6, err
    return res


if __name__ == "__main__":
    main()
