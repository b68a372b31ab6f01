"""Graph mode on CUDA (CuPy): fused elementwise kernels and CUDA-graph replay.

**Fused kernels.** A chain of elementwise ufunc nodes on a ``cuda`` device whose intermediate
values nothing else reads (``fusion.chains``) becomes one ``cupy.ElementwiseKernel``: one
launch and one pass over memory instead of one per op. Its CUDA C source is generated from
the chain with every type resolved at trace time: each operand is cast to the loop type
NumPy's ``ufunc.resolve_dtypes`` gives for the node (Python scalars weak, NEP 50), and a node
fuses only where that loop computes in its output's dtype (float32 or float64) and that dtype
is the one eager CuPy gave; so every intermediate has eager's dtype, and the result's dtype is
eager's exactly. The kernels are compiled with ``--fmad=false`` (NVRTC would otherwise contract
``a * b + c`` into one fused multiply-add, one rounding instead of eager's two), so each value is
computed as eager CuPy's kernels compute it, with the same CUDA math functions: values agree
with eager's within a few ulps (the documented tolerance of a fused kernel: the math functions
are compiled into another kernel, with other flags). A ``sum`` (over any axes, in the
operand's float dtype) of such a chain's value becomes one ``cupy.ReductionKernel`` whose map
expression is the chain: the chain's values never reach memory (the sum's order is CuPy's
reduction's, as eager ``cupy.sum``'s is).

**CUDA graphs.** A graph whose ops all run on one CUDA device on small values, and none of
which needs the host (see :func:`capture_blocker`), runs from its second call as a captured
CUDA graph: the plain replay runs once into static input buffers while the stream is captured
(``Stream.begin_capture``/``end_capture``, allocations from a private memory pool kept with the
graph, so no buffer the graph writes is ever handed to other arrays), and each call copies its
arguments into the static inputs, launches the graph and returns copies of the captured
outputs (so results of different calls never alias). The first call runs the plain replay
(it compiles CuPy's kernels, which must not happen inside a capture); a capture CuPy rejects
(a host synchronisation the static checks did not foresee) leaves the plain replay in force.

``import npflow`` never imports CuPy; this module touches it only for graphs on ``cuda``.
"""
import threading

import numpy

from . import fusion
from .graph import Graph, Node, Var, Const, VALUE_SHAPED

FUSE = True  # fused elementwise kernels (tests and benchmarks switch these off)
CUDA_GRAPHS = True  # CUDA-graph replay of small-op graphs
SMALL = 1 << 16  # elements: a graph is captured only when every value it makes is at most this

OPTIONS = ("--fmad=false",)  # NVRTC: no contraction into FMAs (eager's roundings, one per op)
C_TYPES = {numpy.dtype(numpy.float32): "float", numpy.dtype(numpy.float64): "double"}
# npflow op -> CUDA C expression of operands already in the loop's type (C++ overloads: exp of a
# float is expf, as in CuPy's own ufuncs)
EXPRESSIONS = {
    "add": "{0} + {1}", "subtract": "{0} - {1}", "multiply": "{0} * {1}", "divide": "{0} / {1}",
    "negative": "-{0}", "positive": "{0}", "square": "{0} * {0}",
    "exp": "exp({0})", "exp2": "exp2({0})", "expm1": "expm1({0})", "log": "log({0})",
    "log2": "log2({0})", "log10": "log10({0})", "log1p": "log1p({0})", "sqrt": "sqrt({0})",
    "cbrt": "cbrt({0})", "sin": "sin({0})", "cos": "cos({0})", "tan": "tan({0})",
    "arcsin": "asin({0})", "arccos": "acos({0})", "arctan": "atan({0})", "sinh": "sinh({0})",
    "cosh": "cosh({0})", "tanh": "tanh({0})", "arcsinh": "asinh({0})", "arccosh": "acosh({0})",
    "arctanh": "atanh({0})", "absolute": "fabs({0})", "fabs": "fabs({0})",
}


def on_cuda(graph):
    """Whether every op of ``graph`` runs on one CuPy device (and there is at least one; a
    control-flow node runs where its sub-graphs' ops do)."""
    devs = {node.kdev for node in graph.nodes if node.kdev is not None}
    return len(devs) == 1 and getattr(next(iter(devs)).backend, "name", None) == "cupy"


def prepare(graph, compile_graph):
    """(the graph the replay runs, its runner) for a graph on CUDA: fused chains, then a
    CUDA-graph runner where the graph qualifies (``runner.blocker`` says why not)."""
    fast = fuse(graph) if FUSE else graph
    run = compile_graph(fast)
    return fast, GraphRunner(fast, run)


# -- fused kernels ------------------------------------------------------------------------------
def _loop(node):
    """The dtypes NumPy's loop for ``node`` computes in (None where it has none)."""
    uf = getattr(numpy, node.name, None)
    if not isinstance(uf, numpy.ufunc) or uf.nout != 1 or len(node.ins) != uf.nin:
        return None
    types = []
    for v in node.ins:
        types.append(v.dtype if type(v) is Var else type(v.value))
    try:
        return uf.resolve_dtypes(tuple(types) + (None,))
    except (TypeError, ValueError):
        return None


def fusible(node):
    if isinstance(node.op, str) or node.sub is not None or node.effect or node.params or \
            node.kernel is not None or node.name not in EXPRESSIONS or len(node.outs) != 1:
        return False
    out = node.outs[0]
    if out is None or out.shape is None or out.dtype not in C_TYPES or \
            getattr(node.kdev.backend, "name", None) != "cupy":
        return False
    for v in node.ins:
        if type(v) is Var:
            if not v.array or v.shape is None or v.dtype is None or v.dtype.kind not in "biuf":
                return False
        elif type(v) is Const:
            x = v.value
            if type(x) not in (int, float) or (type(x) is float and not numpy.isfinite(x)) or \
                    (type(x) is int and abs(x) >= 2 ** 63):
                return False
        else:
            return False
    loop = _loop(node)  # every operand cast to the output's dtype, which is eager's
    return loop is not None and all(d == out.dtype for d in loop)


def fuse(graph):
    """``graph`` with its fusible chains (at least two nodes) as single ElementwiseKernel nodes,
    and a simple sum of such a chain's value as one ReductionKernel node with it."""
    return fuse_reductions(fusion.fuse_graph(graph, fusible, fused_node))


def source(chain, inline=False):
    """(input Vars, in_params, out_params, operation) of the ElementwiseKernel for ``chain``;
    ``inline``: the operation is the chain's value as one expression (a ReductionKernel's
    map_expr) instead of one statement per node."""
    inside = {node.outs[0] for node in chain}
    args, names = [], {}
    for node in chain:
        for v in node.ins:
            if type(v) is Var and v not in inside and v not in names:
                names[v] = f"a{len(args)}"
                args.append(v)
    lines = []
    for k, node in enumerate(chain):
        out = node.outs[0]
        t = C_TYPES[out.dtype]
        ops = []
        for v in node.ins:
            if type(v) is Const:
                ops.append(f"{t}({v.value!r})")
            elif v.dtype == out.dtype:
                ops.append(names[v])
            else:
                ops.append(f"{t}({names[v]})")
        expr = EXPRESSIONS[node.name].format(*ops)
        names[out] = f"({expr})" if inline else f"t{k}"
        lines.append(f"{t} t{k} = {expr};")
    lines.append(f"out0 = t{len(chain) - 1};")
    in_params = ", ".join(f"{v.dtype.name} {names[v]}" for v in args)
    out_params = f"{chain[-1].outs[0].dtype.name} out0"
    return args, in_params, out_params, names[chain[-1].outs[0]] if inline else " ".join(lines)


_KERNELS = {}  # (cupy module, source) -> ElementwiseKernel (CuPy caches its binaries per kernel)


def fused_node(chain):
    """One node computing the chain's last output from its outside inputs, as one kernel."""
    args, in_params, out_params, operation = source(chain)
    dev = chain[-1].kdev
    backend = dev.backend
    cp = backend.cupy
    key = (id(cp), in_params, out_params, operation)
    ek = _KERNELS.get(key)
    if ek is None:
        name = "npflow_fused_" + "_".join(n.name for n in chain)[:60]
        ek = _KERNELS[key] = cp.ElementwiseKernel(in_params, out_params, operation, name,
                                                  options=OPTIONS)

    def kernel(*arrays):
        with backend.context(dev):
            return ek(*arrays)
    kernel.source = (in_params, out_params, operation)
    kernel.chain = chain
    label = "cupy.fused[" + ", ".join(n.name for n in chain) + "]"
    return Node(label, list(args), {}, [chain[-1].outs[0]], dev, chain[-1].dev, kernel=kernel,
                fix=chain[-1].fix)


def _simple_sum(node):
    """A ``sum`` a ReductionKernel computes as CuPy's does: of a float32/float64 operand in its
    own dtype, over ``axis`` (``keepdims``), no dtype=, out=, where= or initial=."""
    if node.name != "sum" or node.effect or node.dyn_params or node.kernel is not None or \
            len(node.ins) != 1 or type(node.ins[0]) is not Var or len(node.outs) != 1 or \
            node.outs[0] is None or not set(node.params) <= {"axis", "dtype", "out", "keepdims"} or \
            node.params.get("dtype") is not None or node.params.get("out") is not None:
        return False
    return node.outs[0].dtype == node.ins[0].dtype and node.outs[0].dtype in C_TYPES


def fuse_reductions(graph):
    """``graph`` with each simple ``sum`` of a fused chain's value (read by the sum alone, no
    effect between them) and that chain as one ReductionKernel node: the chain is its map
    expression, the sum its reduction (``a + b`` from 0)."""
    nodes = graph.nodes
    uses = fusion.use_counts(graph)
    outs = {v for v in graph.outs if type(v) is Var}
    made = {}
    for i, node in enumerate(nodes):
        if getattr(node.kernel, "chain", None) is not None:
            made[node.outs[0]] = i
    merged = {}
    for i, node in enumerate(nodes):
        if not _simple_sum(node):
            continue
        v = node.ins[0]
        j = made.get(v)
        if j is None or uses.get(v) != 1 or v in outs or v.root is not v or \
                any(nodes[k].effect for k in range(j + 1, i)):
            continue
        merged[j] = None
        merged[i] = _reduction_node(nodes[j].kernel.chain, node)
    if not merged:
        return graph
    new = [merged.get(i, node) if i in merged else node for i, node in enumerate(nodes)]
    return Graph(graph.name, graph.inputs, [n for n in new if n is not None], graph.out_tree,
                 graph.outs, graph.captures)


def _reduction_node(chain, sum_node):
    args, in_params, _, expr = source(chain, inline=True)
    out = sum_node.outs[0]
    t = C_TYPES[out.dtype]
    dev = sum_node.kdev
    backend = dev.backend
    cp = backend.cupy
    out_params = f"{out.dtype.name} out0"
    key = (id(cp), "sum", in_params, out_params, expr)
    rk = _KERNELS.get(key)
    if rk is None:
        name = "npflow_fused_sum_" + "_".join(n.name for n in chain)[:56]
        rk = _KERNELS[key] = cp.ReductionKernel(in_params, out_params, expr, "a + b", "out0 = a",
                                                "0", name, reduce_type=t, options=OPTIONS)
    axis, keepdims = sum_node.params.get("axis"), bool(sum_node.params.get("keepdims", False))

    def kernel(*arrays):
        with backend.context(dev):
            return rk(*arrays, axis=axis, keepdims=keepdims)
    kernel.source = (in_params, out_params, expr)
    label = "cupy.fused_sum[" + ", ".join(n.name for n in chain) + "]"
    return Node(label, list(args), {}, [out], dev, sum_node.dev, kernel=kernel, fix=sum_node.fix)


# -- CUDA graphs --------------------------------------------------------------------------------
_HOST_INDEXED = ("getitem", "setitem", "flat.getitem", "flat.setitem")
# CuPy kernels that read device values on the host (npflow's index checks, NumPy's errors)
_HOST_READS = frozenset(("take", "put", "take_along_axis", "put_along_axis", "choose", "compress",
                         "searchsorted", "bincount", "histogram", "item", "tolist",
                         "nonzero_sized", "flatnonzero_sized", "argwhere_sized", "unique_sized"))


def _int_array(k):
    if type(k) is Var:
        return k.dtype is not None and k.dtype.kind in "iu" and k.shape != ()
    if type(k) in (tuple, list):
        return any(_int_array(e) for e in k)
    return getattr(getattr(k, "dtype", None), "kind", None) in ("i", "u") and getattr(k, "ndim", 0) > 0


def capture_blocker(graph):
    """Why ``graph`` (on CUDA) cannot run as a captured CUDA graph, or None where it can: every
    op a CuPy kernel on the graph's one device, no op that needs the host (control flow, guards,
    value-dependent shapes, npflow's host-side index checks, Python values), every value it makes
    at most ``SMALL`` elements, no write into an argument's or a captured array's memory, no
    output a view of one (a captured graph works on its own copies of the arguments) and no two
    outputs sharing memory (each is copied out), and more
    ops than the copies a launch adds (one per argument and per output)."""
    if not CUDA_GRAPHS:
        return "CUDA graphs are switched off (cupy_backend.CUDA_GRAPHS)"
    if not on_cuda(graph):
        return "its ops do not all run on one CUDA device"
    inputs = set(graph.inputs)
    for node in graph.nodes:
        name = node.name
        if node.sub is not None:
            return f"{name}: a control-flow node (the host decides its steps)"
        if name == "guard":
            return "a guard (a value read on the host)"
        if name in VALUE_SHAPED or name in _HOST_READS:
            return f"{name}: its kernel reads device values on the host"
        if name in _HOST_INDEXED and _int_array(node.params.get("key")):
            return f"{name}: integer-array indices are checked on the host"
        if node.dev is not node.kdev and node.dev is not None:
            return f"{name}: a transfer to {node.dev}"
        for o in node.outs:
            if o is None:
                continue
            if not o.array or o.shape is None:
                return f"{name}: returns a Python value"
            if fusion.size(o.shape) > SMALL:
                return f"{name}: a value of {fusion.size(o.shape)} elements (more than {SMALL})"
        if node.effect:
            targets = [node.ins[0]] if node.outs == [None] and node.ins else node.outs
            for t in targets:
                if type(t) is not Var or t.root is None or t.root in inputs:
                    return f"{name}: writes into an argument or a captured array"
    arrays_out, roots = 0, set()
    for v in graph.outs:
        if type(v) is Var and v not in inputs:
            if v.root is None or (v.root is not v and v.root in inputs):
                return "an output is a view of an argument or a captured array"
            if v.root in roots:
                return "two outputs share memory (each call's copies could not)"
            roots.add(v.root)
            arrays_out += 1
    if len(graph.nodes) <= len(graph.inputs) + arrays_out:
        return (f"{len(graph.nodes)} ops: no more than the copies a launch adds "
                f"({len(graph.inputs)} in, {arrays_out} out)")
    return None


class GraphRunner:
    """The runner of a graph on CUDA: the plain replay, or its captured CUDA graph.

    ``blocker``: why the graph is not captured (None: it is, or will be at the next call);
    ``launches``: how many calls ran the CUDA graph."""

    def __init__(self, graph, run):
        self.plain = run
        self.source = getattr(run, "source", None)
        self.blocker = capture_blocker(graph)
        self.calls = 0
        self.launches = 0
        self.cuda_graph = None
        self.lock = threading.Lock()
        self.last_stream = None
        if self.blocker is None:
            self.device = next(n.kdev for n in graph.nodes if n.kdev is not None)
            backend = self.device.backend
            self.cp = backend.cupy
            self.context = backend.context
            inputs = set(graph.inputs)
            self.copied = [type(v) is Var and v not in inputs for v in graph.outs]

    def __call__(self, *raws):
        if self.cuda_graph is not None:
            return self._launch(raws)
        if self.blocker is not None or self.calls == 0:
            self.calls += 1  # (the first call compiles CuPy's kernels: none may compile in a capture)
            return self.plain(*raws)
        with self.lock:
            if self.cuda_graph is None and self.blocker is None:
                self._capture(raws)
        if self.cuda_graph is None:
            return self.plain(*raws)
        return self._launch(raws)

    def _capture(self, raws):
        cp = self.cp
        if not all(isinstance(r, cp.ndarray) for r in raws):
            self.blocker = "an argument is not a CuPy array"
            return
        pool = cp.cuda.MemoryPool()  # the graph's own memory: freed blocks go back to it only
        try:
            with self.context(self.device), cp.cuda.using_allocator(pool.malloc):
                static = [cp.empty_like(r) for r in raws]
                stream = cp.cuda.Stream(non_blocking=True)
                with stream:
                    stream.begin_capture()
                    try:
                        outs = self.plain(*static)
                    finally:
                        graph = stream.end_capture()
        except Exception as e:  # (CuPy refused: the plain replay stays, and says why)
            self.blocker = f"the capture failed ({type(e).__name__}: {e})"
            return
        self.static_in, self.static_out, self.pool, self.stream = static, outs, pool, stream
        self.cuda_graph = graph

    def _launch(self, raws):
        """Arguments in, launch, copies of the outputs out: enqueued on the current stream, one
        thread at a time (the static buffers are shared); a call on another stream than the
        last one waits for that one first."""
        cp = self.cp
        with self.lock, self.context(self.device):
            stream = cp.cuda.get_current_stream()
            last = self.last_stream
            if last is not None and last.ptr != stream.ptr:
                last.synchronize()
            for b, r in zip(self.static_in, raws):
                cp.copyto(b, r)
            self.cuda_graph.launch(stream=stream)
            self.launches += 1
            out = tuple(o.copy() if c else o for o, c in zip(self.static_out, self.copied))
            self.last_stream = stream
            return out
