"""The Dask device's benchmark (issue 16): the gradient of a logistic loss on in-memory data,
on the CPU device and on the Dask device (this process's threads, and LocalClusters of 1 and
2 worker processes), over chunk sizes. Prints a Markdown table (median of ``--rounds``).

    python benchmarks/dask_bench.py [--rows 400000] [--features 32] [--rounds 5]
"""
import argparse
import os
import statistics
import sys
import time

import numpy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import npflow as np  # noqa: E402


def loss(w, x, y):
    z = x @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def median_time(fn, rounds):
    fn()  # warm
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    import dask
    from distributed import Client, LocalCluster
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.features))
    Y = (X @ rng.standard_normal(args.features) > 0).astype(float)
    W = numpy.zeros(args.features)
    grad = np.grad(loss)
    rows = []
    base = median_time(lambda: numpy.asarray(grad(np.asarray(W), X, Y)), args.rounds)
    rows.append(("CPU device (in memory)", "-", base))

    def on_dask(chunk_rows):
        x = np.asarray(X, device="dask", chunks=(chunk_rows, -1)).persist()
        y = np.asarray(Y, device="dask", chunks=chunk_rows).persist()
        w = np.asarray(W, device="dask")
        return lambda: np.compute(grad(w, x, y))
    sizes = [args.rows, args.rows // 4, args.rows // 16, args.rows // 64]
    with dask.config.set(scheduler="threads"):
        for c in sizes:
            rows.append(("Dask device, threads of this process", c, median_time(on_dask(c), args.rounds)))
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster):
            for c in sizes[1:3]:
                rows.append((f"Dask device, LocalCluster of {workers} worker(s)", c,
                             median_time(on_dask(c), args.rounds)))
    print(f"logistic-loss gradient, {args.rows} x {args.features} float64, median of "
          f"{args.rounds}; {os.cpu_count()} CPU core(s)\n")
    print("| where | rows per chunk | time | vs CPU device |\n|---|---|---|---|")
    for where, c, t in rows:
        print(f"| {where} | {c} | {t * 1e3:.1f} ms | {t / base:.2f}x |")


if __name__ == "__main__":
    main()
