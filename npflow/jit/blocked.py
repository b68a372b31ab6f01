"""The NumPy replay's fused chains: elementwise ufunc chains run blocked and threaded.

A chain of elementwise ufunc nodes (``exp(-x*x)*y + sin(x)``) found by
:func:`npflow.jit.fusion.fuse_graph` whose output is large becomes one node that runs the whole
chain on cache-sized blocks of the output (``BLOCK_BYTES`` per intermediate, one scratch buffer
per intermediate and thread, reused as NumPy reuses temporaries), the blocks split over a pool
of threads above ``PARALLEL_SIZE`` elements (NumPy releases the GIL in its ufunc loops). Every
op is still NumPy's own ufunc, called on slices of the same operands: values, dtypes and
shapes are eager npflow's, bit for bit.

Blocks run along the flattened output where every full-size operand is C-contiguous (and
the others hold one element); otherwise along the output's first axis (slices of the operands
that span it, the broadcast ones whole). A chain whose intermediates do not all have the
output's shape runs unblocked (the plain ufunc calls, in order).

Floating-point errors: the blocks run with ``numpy.errstate`` raising for every kind of error
the caller's error state does not ignore (``numpy.errstate`` is a context variable: each thread
sets its own). Where a block raises, the chain runs again unblocked in the caller's thread and
error state, which warns, raises or calls exactly as eager code does (once per op).

Threads: ``NPFLOW_NUM_THREADS`` if set, else ``OMP_NUM_THREADS`` if set, else the CPUs this
process may run on; 1 runs every chain in the calling thread.
"""
import os
import threading

import numpy

from .._core import dispatch
from . import fusion
from .graph import Node, Var, Const

_NUMPY_BACKEND = dispatch._NUMPY_BACKEND
_KINDS = frozenset("biufc")
BLOCK_BYTES = 32768 * 8  # per intermediate of a block (measured on 2 MiB L2: 32768 float64 elements
# ran the 4M-element chain 7% faster than 16384, and as fast as 65536)
MIN_SIZE = 65_536  # chains with smaller outputs stay as NumPy calls (blocking gains nothing)
PARALLEL_SIZE = 262_144  # outputs at least this large run on the thread pool
_SCALARS = (int, float, complex, bool)


def _threads_from_env():
    for name in ("NPFLOW_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(name, "").strip()
        if v:
            try:
                return max(1, int(v.split(",")[0]))
            except ValueError:
                pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_threads = None
_pool = None
_pool_lock = threading.Lock()


def threads():
    """The number of threads a large chain runs on."""
    global _threads
    if _threads is None:
        _threads = _threads_from_env()
    return _threads


def set_threads(n=None):
    """Set the number of threads (None: from the environment again, as at start-up)."""
    global _threads, _pool
    with _pool_lock:
        _threads = None if n is None else max(1, int(n))
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def _get_pool():
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor
                _pool = ThreadPoolExecutor(max_workers=threads() - 1, thread_name_prefix="npflow-jit")
    return _pool


def _after_fork():  # (a forked child has none of the parent's threads: a new pool when needed)
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


# -- which nodes fuse ---------------------------------------------------------------------------
def _ufunc(node):
    if isinstance(node.op, str) or node.sub is not None or node.effect or node.params or \
            node.kernel is not None or node.fix or node.tuple_out or node.dyn_params or \
            len(node.outs) != 1 or node.outs[0] is None:
        return None
    if node.kdev is None or node.kdev.backend is not _NUMPY_BACKEND:
        return None
    k = node.op.np_kernel
    return k if isinstance(k, numpy.ufunc) and k.signature is None and k.nout == 1 and \
        k.nin == len(node.ins) else None  # (elementwise: no gufunc such as matmul)


def _fusible(node):
    if _ufunc(node) is None:
        return False
    out = node.outs[0]
    if out.shape is None or out.shape == () or out.dtype is None or out.dtype.kind not in _KINDS or \
            out.root is not out:
        return False
    for v in node.ins:
        if type(v) is Var:
            if v.shape is None or not v.array or v.dtype is None or v.dtype.kind not in _KINDS:
                return False
        elif type(v) is Const:
            x = v.value
            if type(x) in _SCALARS:
                continue
            if not isinstance(x, (numpy.ndarray, numpy.generic)) or x.dtype.kind not in _KINDS:
                return False
        else:
            return False
    return True


def fuse(graph):
    """``graph`` with its large fusible chains as single blocked nodes (the same graph where
    none is)."""
    if not any(_ufunc(node) is not None for node in graph.nodes):
        return graph
    return fusion.fuse_graph(graph, _fusible, _make, min_nodes=1, min_size=MIN_SIZE)


def _make(chain):
    out = chain[-1].outs[0]
    if len(chain) == 1 and (fusion.size(out.shape) < PARALLEL_SIZE or threads() == 1):
        return chain[0]  # (one op: only threads could make it faster)
    inside = {node.outs[0] for node in chain}
    args = []
    for node in chain:
        for v in node.ins:
            if type(v) is Var and v not in inside and v not in args:
                args.append(v)
            elif type(v) is Const and not any(a is v for a in args):
                args.append(v)
    kernel = BlockedChain(chain, args, out)
    label = "blocked[" + ", ".join(n.name for n in chain) + "]"
    node = Node(label, list(args), {}, [out], chain[-1].kdev, chain[-1].dev, kernel=kernel)
    return node


# -- the fused node's kernel ----------------------------------------------------------------------
class BlockedChain:
    """``kernel(*operands) -> output``: the chain on blocks (``fused.source``: the block loop)."""

    def __init__(self, chain, args, out):
        self.shape, self.dtype = out.shape, out.dtype
        self.size = fusion.size(out.shape)
        self.ufuncs = [_ufunc(node) for node in chain]
        self.nargs = len(args)
        pos = {}
        for i, a in enumerate(args):
            pos[id(a)] = i
        # each op's operands: ("a", arg index) | ("t", chain index) ; Python scalars inline
        inner = {node.outs[0]: k for k, node in enumerate(chain)}
        self.ops = []
        for node in chain:
            ops = []
            for v in node.ins:
                if type(v) is Var and v in inner:
                    ops.append(("t", inner[v]))
                else:
                    ops.append(("a", pos[id(v)]))
            self.ops.append(ops)
        self.arg_shapes = [a.shape if type(a) is Var else numpy.shape(a.value) for a in args]
        self.blockable = all(node.outs[0].shape == out.shape for node in chain)
        last = {}
        for k, ops in enumerate(self.ops):
            for kind, j in ops:
                if kind == "t":
                    last[j] = k
        # scratch registers: an intermediate takes a register freed by one read for the last time
        # by the op that makes it (or earlier), of its dtype
        self.reg = {}
        free, nreg, self.reg_dtype = {}, 0, []
        n = len(chain)
        for k in range(n - 1):
            dt = chain[k].outs[0].dtype
            for kind, j in self.ops[k]:  # operands read for the last time here: their registers free
                if kind == "t" and last.get(j) == k:
                    free.setdefault(chain[j].outs[0].dtype, []).append(self.reg[j])
            pool = free.get(dt)
            if pool:
                self.reg[k] = pool.pop()
            else:
                self.reg[k] = nreg
                self.reg_dtype.append(dt)
                nreg += 1
        itemsize = max([self.dtype.itemsize] + [d.itemsize for d in self.reg_dtype])
        self.block = max(1024, BLOCK_BYTES // itemsize)
        self.loops = {}
        self.key = object()  # (this chain's scratch buffers in each thread)
        self.local = threading.local()

    def _compile(self, sliced):
        """``loop(args, out, scratch, start, stop, step)``: the block loop over the operands
        (those ``sliced`` cut along their first axis, the others whole)."""
        loop = self.loops.get(sliced)
        if loop is not None:
            return loop
        regs = sorted(set(self.reg.values()))
        head = ["def loop(args, out, scratch, start, stop, step):",
                "    " + "".join(f"a{i}, " for i in range(self.nargs)) + "= args"]
        if regs:
            head.append("    " + "".join(f"r{i}, " for i in regs) + "= scratch")

        def body(pad, whole):
            lines = []
            for i in range(self.nargs):
                lines.append(f"{pad}x{i} = a{i}[s:e]" if sliced[i] else f"{pad}x{i} = a{i}")
            for k, ops in enumerate(self.ops):
                operands = ", ".join(f"x{j}" if kind == "a" else f"t{j}" for kind, j in ops)
                if k == len(self.ops) - 1:
                    lines.append(f"{pad}k{k}({operands}, out[s:e])")
                else:
                    lines.append(f"{pad}t{k} = r{self.reg[k]}" + ("" if whole else "[:e - s]"))
                    lines.append(f"{pad}k{k}({operands}, t{k})")
            return lines
        lines = head + ["    last = stop - (stop - start) % step",
                        "    for s in range(start, last, step):",
                        "        e = s + step"] + body("        ", True) + [
                        "    if last < stop:",
                        "        s, e = last, stop"] + body("        ", False)
        g = {f"k{k}": uf for k, uf in enumerate(self.ufuncs)}
        self.source = "\n".join(lines)
        exec(compile(self.source, f"{dispatch._PACKAGE}jit/<blocked chain>", "exec"), g)
        loop = self.loops[sliced] = g["loop"]
        return loop

    def unblocked(self, *args):
        """The chain as eager code runs it: one ufunc call per op on the whole arrays."""
        t = []
        for uf, ops in zip(self.ufuncs, self.ops):
            t.append(uf(*[args[j] if kind == "a" else t[j] for kind, j in ops]))
        return t[-1]

    def _scratch(self, rows_shape):
        """This thread's scratch buffers for blocks of ``rows_shape``."""
        d = self.local.__dict__
        key = rows_shape
        bufs = d.get(key)
        if bufs is None:
            bufs = d[key] = [numpy.empty(rows_shape, dt) for dt in self.reg_dtype]
        return bufs

    def __call__(self, *args):
        shape = self.shape
        if not self.blockable:
            return self.unblocked(*args)
        # how to block: along the flattened output (every full operand C-contiguous, the
        # others one element) or along the output's first axis
        flat = True
        for a, s in zip(args, self.arg_shapes):
            if s == shape:
                if not a.flags.c_contiguous:
                    flat = False
                    break
            elif fusion.size(s) != 1:
                flat = False
                break
        out = numpy.empty(shape, self.dtype)
        if flat:
            ops, sliced = [], []
            for a, s in zip(args, self.arg_shapes):
                if s == shape:
                    ops.append(a.reshape(-1))
                    sliced.append(True)
                else:
                    ops.append(a.reshape(()) if type(a) is numpy.ndarray and a.ndim else a)
                    sliced.append(False)
            target = out.reshape(-1)
            total, step, rows = self.size, self.block, (self.block,)
        else:
            n0 = shape[0]
            ops, sliced = list(args), []
            for s in self.arg_shapes:
                sliced.append(len(s) == len(shape) and s[0] == n0 and n0 != 1)
            rowsize = self.size // n0 if n0 else 0
            step = max(1, self.block // rowsize) if rowsize else 1
            target, total, rows = out, n0, (step,) + shape[1:]
        loop = self._compile(tuple(sliced))
        nthreads = threads() if self.size >= PARALLEL_SIZE else 1
        modes = numpy.geterr()
        for k, v in modes.items():  # (every error the caller sees: raised in the blocks)
            if v != "ignore":
                modes[k] = "raise"
        if nthreads > 1 and total > step:
            nblocks = -(-total // step)
            per = -(-nblocks // nthreads) * step
            parts = [(i, min(i + per, total)) for i in range(0, total, per)]
        else:
            parts = [(0, total)]
        try:
            if len(parts) == 1:
                with numpy.errstate(**modes):
                    loop(ops, target, self._scratch(rows), 0, total, step)
            else:
                pool = _get_pool()
                futures = [pool.submit(self._part, loop, ops, target, rows, a, b, step, modes)
                           for a, b in parts[1:]]
                err = None
                try:
                    self._part(loop, ops, target, rows, parts[0][0], parts[0][1], step, modes)
                except FloatingPointError as e:
                    err = e
                for f in futures:
                    try:
                        f.result()
                    except FloatingPointError as e:
                        err = e
                if err is not None:
                    raise err
        except FloatingPointError:  # (eager code's warnings, errors or calls, once per op)
            return self.unblocked(*args)
        return out

    def _part(self, loop, ops, target, rows, start, stop, step, modes):
        with numpy.errstate(**modes):
            loop(ops, target, self._scratch(rows), start, stop, step)
