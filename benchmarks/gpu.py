"""npflow's GPU benchmarks (issue 6): each timed against CuPy alone or PyTorch on the same GPU.

    python benchmarks/gpu.py            # measure, print, append a dated section to benchmarks/RESULTS.md
    python benchmarks/gpu.py --quick    # 5 rounds, print only

- matmul: 4096x4096 float32, ``a @ b``; TFLOP/s (2 n^3 per product), against ``cupy.matmul``.
- elementwise chain: ``tanh(x*y + x) - y`` on 2**26 float32 elements, against the same CuPy
  code; GB/s counts the traffic of the four unfused kernels (11 arrays read or written).
- MLP gradient step: the loss and gradient of benchmarks/workloads.py's 784-256-256-10 tanh
  MLP at batch 4096, float32, against PyTorch autograd on the same GPU.
- graph mode (``npflow.jit``, issue 15 on the GPU): the chain ``exp(-x*x)*y + sin(x)`` on 2**22
  float32 elements as one fused kernel, and a 20-step 64x64 float32 recurrence
  ``h = tanh(W @ h) * 0.9 + 0.1 * h`` (20 matmuls and 20 fused kernels) replayed as a captured
  CUDA graph (and, for comparison, as the plain replay), each against the same code in CuPy
  eager and in JAX's ``jit`` on the same GPU (JAX is imported last, without preallocating GPU
  memory). ``--only jit-chain,jit-graph`` runs just these.

Timing is CUDA-synchronised (the device is synchronised before and after each sample),
npflow and the reference run interleaved round after round (their order alternating), and
each ratio is the median over rounds of npflow time / reference time. Results are compared
before timing. Where there is no CUDA GPU (or no CuPy) the script says so and exits with
status 0 without measuring or writing anything: no GPU is not an error of the benchmark
(``--require-gpu`` makes it status 1, for a job that must measure).
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import npflow  # noqa: E402

TARGETS = {"matmul": 1.05, "elementwise": 1.10, "mlp": 1.3}  # issue 6: npflow / reference time


def _gpu():
    """(cupy, description) or (None, why not)."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # no driver
        return None, f"CuPy {cupy.__version__} finds no usable CUDA driver ({e})"
    if not n:
        return None, f"CuPy {cupy.__version__} finds no CUDA GPU"
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    return cupy, name.decode() if isinstance(name, bytes) else name


def _timer(sync):
    def time_once(fn, number):
        sync()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        return (time.perf_counter() - t0) / number
    return time_once


def measure(ours, theirs, sync, rounds):
    """(median npflow s, median reference s, median ratio) over interleaved rounds."""
    time_once = _timer(sync)
    for _ in range(3):  # warm up: kernel compilation, library handles, memory pools
        ours(), theirs()
    number = max(1, int(0.05 / max(time_once(theirs, 1), 1e-7)))  # about 50 ms a sample
    t_ours, t_theirs = [], []
    for r in range(rounds):
        pair = [(ours, t_ours), (theirs, t_theirs)]
        for fn, acc in (pair if r % 2 == 0 else pair[::-1]):
            acc.append(time_once(fn, number))
    ratios = [a / b for a, b in zip(t_ours, t_theirs)]
    return statistics.median(t_ours), statistics.median(t_theirs), statistics.median(ratios)


def _close(got, want, rtol, what):
    numpy.testing.assert_allclose(numpy.asarray(got, dtype=numpy.float64),
                                  numpy.asarray(want, dtype=numpy.float64),
                                  rtol=rtol, atol=rtol * 1e-2, err_msg=what)


def bench_matmul(cp, sync, rounds, n=4096):
    rng = cp.random.default_rng(0)
    a_cp = rng.standard_normal((n, n), dtype=cp.float32)
    b_cp = rng.standard_normal((n, n), dtype=cp.float32)
    a, b = npflow.asarray(a_cp, device="cuda"), npflow.asarray(b_cp, device="cuda")
    _close(numpy.asarray((a @ b)[:64, :64]), cp.asnumpy(cp.matmul(a_cp, b_cp)[:64, :64]), 1e-4,
           "matmul")
    t_nf, t_cp, ratio = measure(lambda: a @ b, lambda: cp.matmul(a_cp, b_cp), sync, rounds)
    flops = 2 * n ** 3
    return dict(name=f"matmul {n}x{n} float32", reference="CuPy", ours=t_nf, theirs=t_cp,
                ratio=ratio, rate=f"{flops / t_nf / 1e12:.1f} vs {flops / t_cp / 1e12:.1f} TFLOP/s",
                target=TARGETS["matmul"])


def _chain(m):
    return lambda x, y: m.tanh(x * y + x) - y


def bench_elementwise(cp, sync, rounds, n=2 ** 26):
    rng = cp.random.default_rng(1)
    x_cp, y_cp = rng.random(n, dtype=cp.float32), rng.random(n, dtype=cp.float32)
    x, y = npflow.asarray(x_cp, device="cuda"), npflow.asarray(y_cp, device="cuda")
    f_nf, f_cp = _chain(npflow), _chain(cp)
    _close(numpy.asarray(f_nf(x, y)[:4096]), cp.asnumpy(f_cp(x_cp, y_cp)[:4096]), 1e-6,
           "elementwise chain")
    t_nf, t_cp, ratio = measure(lambda: f_nf(x, y), lambda: f_cp(x_cp, y_cp), sync, rounds)
    traffic = 11 * 4 * n  # bytes: (x*y) 3 arrays, (+x) 3, tanh 2, (-y) 3
    return dict(name=f"elementwise chain tanh(x*y + x) - y, 2**{n.bit_length() - 1} float32",
                reference="CuPy", ours=t_nf, theirs=t_cp, ratio=ratio,
                rate=f"{traffic / t_nf / 1e9:.0f} vs {traffic / t_cp / 1e9:.0f} GB/s",
                target=TARGETS["elementwise"])


def bench_mlp(cp, sync_cp, rounds, batch=4096):
    from benchmarks.workloads import SIZES, _mlp_loss  # the autodiff issue's MLP, as npflow code
    try:
        import torch
    except ImportError:
        return dict(name=f"MLP {'-'.join(map(str, SIZES))} tanh, batch {batch}, loss + gradient",
                    reference="PyTorch", skipped="PyTorch is not installed")
    if not torch.cuda.is_available():
        return dict(name=f"MLP {'-'.join(map(str, SIZES))} tanh, batch {batch}, loss + gradient",
                    reference="PyTorch", skipped="PyTorch has no CUDA here")
    rng = numpy.random.default_rng(2)
    x = rng.standard_normal((batch, SIZES[0])).astype(numpy.float32)
    onehot = numpy.eye(SIZES[-1], dtype=numpy.float32)[rng.integers(0, SIZES[-1], batch)]
    params = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        params += [(rng.standard_normal((a, b)) / numpy.sqrt(a)).astype(numpy.float32),
                   numpy.zeros(b, numpy.float32)]
    dev = npflow.Device("cuda")
    p_nf = tuple(npflow.asarray(p, device=dev) for p in params)
    x_nf, oh_nf = npflow.asarray(x, device=dev), npflow.asarray(onehot, device=dev)
    vg = npflow.value_and_grad(_mlp_loss)

    tdev = torch.device("cuda", 0)
    p_t = [torch.tensor(p, device=tdev, requires_grad=True) for p in params]
    x_t, oh_t = torch.tensor(x, device=tdev), torch.tensor(onehot, device=tdev)

    def torch_step():
        W1, b1, W2, b2, W3, b3 = p_t
        h1 = torch.tanh(x_t @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        z = h2 @ W3 + b3
        loss = -torch.mean(torch.sum(oh_t * torch.log_softmax(z, dim=1), dim=1))
        return loss, torch.autograd.grad(loss, p_t)

    loss_nf, g_nf = vg(p_nf, x_nf, oh_nf)
    loss_t, g_t = torch_step()
    _close(float(loss_nf), loss_t.item(), 1e-4, "MLP loss")
    for i, (a, b) in enumerate(zip(g_nf, g_t)):
        _close(numpy.asarray(a), b.cpu().numpy(), 2e-3, f"MLP gradient {i}")

    def sync():
        sync_cp()
        torch.cuda.synchronize()
    t_nf, t_t, ratio = measure(lambda: vg(p_nf, x_nf, oh_nf), torch_step, sync, rounds)
    return dict(name=f"MLP {'-'.join(map(str, SIZES))} tanh, batch {batch}, loss + gradient",
                reference=f"PyTorch {torch.__version__}", ours=t_nf, theirs=t_t, ratio=ratio,
                rate="", target=TARGETS["mlp"])


def _jit_chain(m):
    return lambda x, y: m.exp(-x * x) * y + m.sin(x)


def _recurrence(m, steps=20):
    def rec(w, h):
        for _ in range(steps):
            h = m.tanh(w @ h) * 0.9 + 0.1 * h
        return h
    return rec


def _jax_gpu():
    """(jax, its first GPU device) or (None, why not)."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # (CuPy and PyTorch share it)
    try:
        import jax
    except ImportError:
        return None, "JAX is not installed"
    try:
        return jax, jax.devices("gpu")[0]
    except RuntimeError:
        return None, "JAX has no GPU here"


def _jit_rows(name, ours, cp_fn, jax_fn, args_np, cp, sync, rounds, rtol, note=""):
    """Rows of one graph-mode workload: npflow's jit against CuPy eager and against JAX's jit."""
    args_cp = [cp.asarray(a) for a in args_np]
    args_nf = [npflow.asarray(a, device="cuda") for a in args_np]
    want = cp.asnumpy(cp_fn(*args_cp))
    _close(numpy.asarray(ours(*args_nf)), want, rtol, name)
    t_nf, t_cp, ratio = measure(lambda: ours(*args_nf), lambda: cp_fn(*args_cp), sync, rounds)
    rows = [dict(name=name, reference="CuPy eager", ours=t_nf, theirs=t_cp, ratio=ratio, rate=note,
                 target=None)]
    jax, dev = _jax_gpu()
    if jax is None:
        rows.append(dict(name=name, reference="JAX jit", skipped=dev))
        return rows
    f_jax = jax.jit(jax_fn(jax.numpy))
    args_jax = [jax.device_put(a, dev) for a in args_np]
    _close(numpy.asarray(f_jax(*args_jax)), want, rtol, name + " (JAX)")
    t_nf, t_jax, ratio = measure(lambda: ours(*args_nf), lambda: f_jax(*args_jax).block_until_ready(),
                                 sync, rounds)
    rows.append(dict(name=name, reference=f"JAX {jax.__version__} jit", ours=t_nf, theirs=t_jax,
                     ratio=ratio, rate=note, target=None))
    return rows


def _entry(f):
    (entries,) = f.cache.values()
    return entries[0]


def bench_jit_chain(cp, sync, rounds, n=2 ** 22):
    rng = numpy.random.default_rng(3)
    x, y = rng.random(n, dtype=numpy.float32), rng.random(n, dtype=numpy.float32)
    f = npflow.jit(_jit_chain(npflow))
    rows = _jit_rows(f"jit: exp(-x*x)*y + sin(x), 2**{n.bit_length() - 1} float32", f,
                     _jit_chain(cp), _jit_chain, (x, y), cp, sync, rounds, 1e-5)
    kernels = [node.name for node in _entry(f).fast.nodes]
    for r in rows:
        r["name"] += f" ({len(kernels)} kernel{'s' * (len(kernels) != 1)}: {', '.join(kernels)})"
    return rows


def bench_jit_graph(cp, sync, rounds, size=64, steps=20):
    from npflow.jit import cupy_backend
    rng = numpy.random.default_rng(4)
    w = (rng.standard_normal((size, size)) / numpy.sqrt(size)).astype(numpy.float32)
    h = rng.standard_normal(size).astype(numpy.float32)
    name = f"jit: {steps}-step {size}x{size} float32 recurrence"
    rows = []
    for graphs in (True, False):
        cupy_backend.CUDA_GRAPHS = graphs
        try:
            f = npflow.jit(_recurrence(npflow, steps))
            f(*(npflow.asarray(a, device="cuda") for a in (w, h)))  # (traced: the graph's runner made)
        finally:
            cupy_backend.CUDA_GRAPHS = True
        runner = _entry(f).run
        how = "CUDA graph" if graphs else "plain replay"
        new = _jit_rows(f"{name}, {how}", f, _recurrence(cp, steps), lambda m: _recurrence(m, steps),
                        (w, h), cp, sync, rounds, 1e-4)
        for r in new:
            r["rate"] = f"{len(_entry(f).fast.nodes)} kernels"
            if graphs:
                r["rate"] += f", {runner.launches} graph launches" if runner.blocker is None else \
                    f", **not a CUDA graph**: {runner.blocker}"
        rows += new
    return rows


def _ms(s):
    return f"{s * 1e3:.3f} ms"


def table(rows):
    lines = ["| workload | reference | reference time | npflow time | rate (npflow vs reference) "
             "| ratio (median) | target | met |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['name']} | {r['reference']} | not measured: {r['skipped']} "
                         f"| | | | | |")
            continue
        if r["target"] is None:  # (measured, no target)
            target, met = "", ""
        else:
            target, met = f"≤ {r['target']}", "yes" if r["ratio"] <= r["target"] else "**no**"
        lines.append(f"| {r['name']} | {r['reference']} | {_ms(r['theirs'])} | {_ms(r['ours'])} | "
                     f"{r['rate']} | {r['ratio']:.3f} | {target} | {met} |")
    return "\n".join(lines)


def report(rows, gpu_name, cp, rounds):
    try:
        import torch
        torch_v = f"PyTorch {torch.__version__}"
    except ImportError:
        torch_v = "PyTorch not installed"
    rt = cp.cuda.runtime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"## {now}: {gpu_name}",
        "",
        f"Written by `python benchmarks/gpu.py`: CuPy {cp.__version__}, {torch_v}, CUDA runtime "
        f"{rt.runtimeGetVersion()}, driver {rt.driverGetVersion()}, NumPy {numpy.__version__}, "
        f"npflow {npflow.__version__}, Python {platform.python_version()}. Each ratio is the median "
        f"over {rounds} interleaved, CUDA-synchronised rounds of npflow's time / the reference's "
        f"time (lower is better).",
        "",
        table(rows),
        "",
    ])


GPU_HEADING = "# GPU benchmarks"


def append_results(section, path=os.path.join(HERE, "RESULTS.md")):
    """Append ``section`` under the GPU heading of RESULTS.md (added at the end if missing)."""
    text = open(path).read() if os.path.exists(path) else ""
    if GPU_HEADING not in text:
        text = text.rstrip("\n") + ("\n\n" if text else "") + GPU_HEADING + "\n\n" + \
            "Sections written by `python benchmarks/gpu.py` on machines with a CUDA GPU.\n"
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n\n" + section)


# name -> (benchmark, its arguments with --small)
BENCHES = {"matmul": (bench_matmul, (256,)), "elementwise": (bench_elementwise, (2 ** 16,)),
           "mlp": (bench_mlp, (64,)), "jit-chain": (bench_jit_chain, (2 ** 12,)),
           "jit-graph": (bench_jit_graph, (8, 6))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 rounds, do not write RESULTS.md")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--require-gpu", action="store_true", help="exit with status 1 where no GPU is")
    ap.add_argument("--small", action="store_true", help=argparse.SUPPRESS)  # tests: tiny sizes
    ap.add_argument("--only", default=",".join(BENCHES),
                    help=f"comma-separated benchmarks to run (default all: {','.join(BENCHES)})")
    args = ap.parse_args()
    only = args.only.split(",")
    unknown = sorted(set(only) - set(BENCHES))
    if unknown:
        ap.error(f"--only: unknown benchmarks {unknown} (known: {', '.join(BENCHES)})")
    cp, what = _gpu()
    if cp is None:
        print(f"benchmarks/gpu.py: no CUDA GPU to measure on here ({what}); nothing measured, "
              f"benchmarks/RESULTS.md unchanged")
        sys.exit(1 if args.require_gpu else 0)
    rounds = 5 if args.quick else args.rounds
    sync = cp.cuda.Device().synchronize
    rows = []
    for key, (bench, small) in BENCHES.items():  # (in this order: JAX, imported by the jit rows,
        if key not in only:                       # comes last)
            continue
        try:
            r = bench(cp, sync, rounds, *(small if args.small else ()))
        except Exception as e:  # (graph mode's rows: one failing leaves the others measured)
            if not key.startswith("jit"):
                raise
            r = dict(name=key, reference="", skipped=f"failed: {type(e).__name__}: {e}")
        rows += r if isinstance(r, list) else [r]
    section = report(rows, what, cp, rounds)
    print(section)
    if not (args.quick or args.small or args.only != ap.get_default("only")):
        append_results(section)


if __name__ == "__main__":
    main()
