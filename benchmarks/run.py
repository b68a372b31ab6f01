"""npflow's benchmarks: each workload timed against NumPy in the same run.

    python benchmarks/run.py             # run all, print the table, write benchmarks/RESULTS.md
    python benchmarks/run.py --quick     # fewer repeats (a smoke run; does not write RESULTS.md)

For each workload NumPy and npflow run interleaved, round after round; the
ratio is the median over rounds of (npflow time / NumPy time), so that the
machine's drift hits both sides alike. Times are per call of the workload,
and per op where the workload says how many ops it has.

Every workload runs twice: with the C accelerator (the normal install) and
in pure Python (``NPFLOW_PURE_PYTHON=1``, in a subprocess), since npflow
must stay correct and usable where the accelerator cannot be built.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import npflow  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402


def _time_once(fn, args, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn(*args)
    return (time.perf_counter() - t0) / number


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [v for e in r for v in _flat(e)]
    return [numpy.asarray(r)]


def measure(w, rounds):
    """(median NumPy seconds, median npflow seconds, median ratio) over interleaved rounds."""
    data = w.data(numpy.random.default_rng(0))
    a_np = tuple(data)
    a_nf = tuple(npflow.asarray(a) for a in data)
    for got, want in zip(_flat(w.npflow(*a_nf)), _flat(w.numpy(*a_np))):
        numpy.testing.assert_allclose(got, want, rtol=w.rtol, atol=1e-12, err_msg=w.name)
    once = _time_once(w.numpy, a_np, 1)
    number = max(1, int(0.02 / max(once, 1e-9)))  # about 20 ms a sample
    t_np, t_nf = [], []
    for _ in range(rounds):
        t_np.append(_time_once(w.numpy, a_np, number))
        t_nf.append(_time_once(w.npflow, a_nf, number))
    ratios = [b / a for a, b in zip(t_np, t_nf)]
    return statistics.median(t_np), statistics.median(t_nf), statistics.median(ratios)


def run_all(rounds, only=None):
    rows = []
    for w in WORKLOADS:
        if only and only not in w.name:
            continue
        t_np, t_nf, ratio = measure(w, rounds)
        rows.append({"name": w.name, "ops": w.ops, "numpy_s": t_np, "npflow_s": t_nf,
                     "ratio": ratio, "target": w.target})
    return rows


def _fmt_time(s):
    return f"{s * 1e9:.0f} ns" if s < 1e-5 else f"{s * 1e6:.1f} µs" if s < 1e-2 else f"{s * 1e3:.2f} ms"


def table(rows):
    lines = ["| workload | NumPy per op | npflow per op | ratio (median) | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r["target"] is None else ("yes" if r["ratio"] <= r["target"] else "**no**")
        target = "" if r["target"] is None else f"≤ {r['target']}"
        lines.append(f"| {r['name']} | {_fmt_time(r['numpy_s'] / r['ops'])} | "
                     f"{_fmt_time(r['npflow_s'] / r['ops'])} | {r['ratio']:.3f} | {target} | {met} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 rounds, do not write RESULTS.md")
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--only", help="run the workloads whose name contains this text")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # subprocess mode
    args = ap.parse_args()
    rounds = 5 if args.quick else args.rounds
    if args.only:
        args.quick = True  # a partial run never overwrites RESULTS.md
    if args.json:
        print(json.dumps(run_all(rounds, args.only)))
        return
    accelerated = npflow._core.ndarray._fastpath is not None
    rows = run_all(rounds, args.only)
    env = dict(os.environ, NPFLOW_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, __file__, "--json", "--rounds", str(rounds)]
                         + (["--only", args.only] if args.only else []),
                         env=env, capture_output=True, text=True, check=True).stdout
    pure = json.loads(out)
    report = [
        "# npflow benchmarks",
        "",
        f"Written by `python benchmarks/run.py` on {datetime.date.today().isoformat()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {numpy.__version__}, npflow {npflow.__version__}.",
        f"Each ratio is the median over {rounds} interleaved rounds of npflow's time / NumPy's time "
        "in the same process (lower is better; 1.0 is NumPy's speed). float64, CPU.",
        "",
        f"## With the C accelerator{'' if accelerated else ' (NOT BUILT: these rows are pure Python)'}",
        "",
        table(rows),
        "",
        "## Pure Python (`NPFLOW_PURE_PYTHON=1`: where the accelerator cannot be built)",
        "",
        table(pure),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if not args.quick:
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
