"""The Dask device's benchmark (issue 16, item 7): the gradient of a logistic loss on in-memory
data, on the CPU device and on the Dask device: in this process (one thread: Dask's overhead
alone; then Dask's threads), and on LocalClusters of 1 and 2 worker processes (the scaling),
over chunk sizes. Each time is the median of ``--rounds`` calls after one warm-up call; the data
is persisted (in this process, or in the workers' memory) before timing, so each call builds the
gradient's graph, runs it and brings the gradient back.

    python benchmarks/dask_bench.py [--rows 400000] [--features 32] [--rounds 5]
    python benchmarks/run.py --dask        # the same, written into benchmarks/RESULTS.md

:func:`section` gives the Markdown section that ``benchmarks/run.py`` writes into RESULTS.md.
"""
import argparse
import os
import statistics
import sys
import time
import warnings

import numpy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import npflow as np  # noqa: E402

HEADING = "## The Dask device (issue 16): the logistic gradient"


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


def measure(rows=400_000, features=32, rounds=5, workers=(1, 2)):
    """[(where, rows per chunk, tasks in the gradient's graph, median seconds)], the CPU device's
    first; every Dask gradient is checked against the CPU device's (1e-12) before timing.
    ``workers``: the LocalClusters' sizes."""
    import dask
    from distributed import Client, LocalCluster
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((rows, features))
    Y = (X @ rng.standard_normal(features) > 0).astype(float)
    W = rng.standard_normal(features) * 0.01
    grad = np.grad(loss)
    want = numpy.asarray(grad(np.asarray(W), X, Y))
    out = [("CPU device (NumPy arrays in memory)", "-", "-",
            median_time(lambda: numpy.asarray(grad(np.asarray(W), X, Y)), rounds))]

    def on_dask(chunk_rows):
        x = np.asarray(X, device="dask", chunks=(chunk_rows, -1)).persist()
        y = np.asarray(Y, device="dask", chunks=chunk_rows).persist()
        w = np.asarray(W, device="dask")
        g = np.to_dask(grad(w, x, y))
        numpy.testing.assert_allclose(np.compute(grad(w, x, y))[0], want, rtol=1e-12, atol=1e-15)
        return len(g.__dask_optimize__(g.__dask_graph__(), g.__dask_keys__())), \
            lambda: np.compute(grad(w, x, y))

    def by_hand(chunk_rows):  # the same gradient in dask.array, written by hand: Dask's own cost
        x = dask.array.from_array(X, chunks=(chunk_rows, -1)).persist()
        y = dask.array.from_array(Y, chunks=chunk_rows).persist()

        def g():
            return ((1 / (1 + dask.array.exp(-(x @ W))) - y) @ x) / rows
        numpy.testing.assert_allclose(g().compute(), want, rtol=1e-12, atol=1e-15)
        d = g()
        return len(d.__dask_optimize__(d.__dask_graph__(), d.__dask_keys__())), lambda: g().compute()

    def run(where, chunk_sizes):
        for c in chunk_sizes:
            tasks, fn = on_dask(c)
            out.append((where, c, tasks, median_time(fn, rounds)))
        tasks, fn = by_hand(chunk_sizes[0])
        out.append((where.replace("Dask device", "dask.array by hand"), chunk_sizes[0], tasks, median_time(fn, rounds)))

    import dask.array  # noqa: F401
    sizes = [rows, rows // 4, rows // 16, rows // 64]
    for scheduler, where in (("synchronous", "Dask device, this process, 1 thread"),
                             ("threads", f"Dask device, this process, {os.cpu_count()} threads")):
        with dask.config.set(scheduler=scheduler):
            run(where, sizes)
    with warnings.catch_warnings():  # (persisting sends the data to the workers once, in the graph)
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        for n in workers:
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None, worker_dashboard_address=None) as cluster, Client(cluster):
                run(f"Dask device, LocalCluster of {n} worker process{'es' if n > 1 else ''}"
                    f" (1 thread each)", sizes[1:])
    return out


def table(results):
    base = results[0][3]
    times = {(where, c): t for where, c, _, t in results}
    lines = ["| where | rows per chunk | tasks (after Dask's optimization) | median time | vs CPU device "
             "| 1 worker / 2 workers |", "|---|---|---|---|---|---|"]
    for where, c, tasks, t in results:
        one = times.get((where.replace("2 worker processes", "1 worker process"), c))
        scaling = f"{one / t:.2f}x" if "2 worker processes" in where and one else ""
        lines.append(f"| {where} | {c} | {tasks} | {t * 1e3:.1f} ms | {t / base:.2f}x | {scaling} |")
    return "\n".join(lines)


def section(rows=400_000, features=32, rounds=5):
    """The Markdown section for benchmarks/RESULTS.md (measures first)."""
    load = os.getloadavg()[0]
    results = measure(rows, features, rounds)
    return "\n".join([
        HEADING, "",
        f"Written by `python benchmarks/run.py --dask` (benchmarks/dask_bench.py): the gradient of the "
        f"mean logistic loss in w, {rows} x {features} float64 rows held in memory, median of {rounds} "
        f"calls after a warm-up call, each building the gradient's graph, running it and bringing the "
        f"gradient back (`npflow.compute`); the data persisted first. The rows \"dask.array by hand\" (not npflow): the "
        f"same gradient written by hand in dask.array (X.T @ (sigmoid(X @ w) - y) / n), Dask's own cost "
        f"for this computation. {os.cpu_count()} CPU cores, shared "
        f"with other jobs (load average {load:.1f} at the start): the 2 worker processes share "
        f"{os.cpu_count()} cores with the scheduler, this process and the other jobs, so the scaling "
        f"column measures little more than Dask's overhead per task on this machine. Every Dask "
        f"gradient was checked against the CPU device's (1e-12) first.", "",
        table(results), ""])


def replace_section(text, new):
    """``text`` (RESULTS.md) with its Dask section replaced by ``new`` (added at the end if it has
    none; the section runs to the next heading of its level or above)."""
    if HEADING not in text:
        return text.rstrip("\n") + "\n\n" + new
    start = text.index(HEADING)
    rest = text[start + len(HEADING):]
    ends = [i + 1 for i in (rest.find("\n## "), rest.find("\n# ")) if i >= 0]
    end = start + len(HEADING) + min(ends) if ends else len(text)
    return text[:start] + new.rstrip("\n") + "\n" + ("\n" + text[end:] if end < len(text) else "")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    print(section(args.rows, args.features, args.rounds))


if __name__ == "__main__":
    main()
