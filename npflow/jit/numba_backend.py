"""The numba backend (the optional extra ``npflow[jit]``): chains of elementwise ops fused into
one compiled kernel.

A chain of float64 elementwise ufunc nodes (``exp(-x*x)*y + sin(x)``) whose intermediate
values nothing else reads becomes one ``numba.vectorize`` ufunc: one pass over memory instead
of one per op, multithreaded for large arrays (``target="parallel"``). Its scalar body calls
NumPy's functions as numba compiles them (NumPy's error semantics: ``inf``/``nan`` and
warnings, not exceptions); values agree with NumPy's kernels within a few ulps (numba's and
NumPy's math routines differ: SIMD variants), which is the documented tolerance of a fused
kernel. Every other op runs as the NumPy kernel it is, between the fused segments. The replay
of a graph without numba (``backend="replay"``, or numba not installed) is the same graph
unfused.
"""
import importlib.util

import numpy

from .graph import Graph, Node, Var, Const, JitError

_F64 = numpy.dtype(numpy.float64)
# ufunc -> the scalar expression numba compiles (NumPy's functions on scalars)
EXPRESSIONS = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "negative": "(-{0})", "positive": "(+{0})", "square": "({0} * {0})",
    "exp": "np.exp({0})", "expm1": "np.expm1({0})", "log": "np.log({0})", "log1p": "np.log1p({0})",
    "sin": "np.sin({0})", "cos": "np.cos({0})", "tan": "np.tan({0})", "tanh": "np.tanh({0})",
    "sinh": "np.sinh({0})", "cosh": "np.cosh({0})", "sqrt": "np.sqrt({0})",
    "absolute": "np.abs({0})", "maximum": "np.maximum({0}, {1})", "minimum": "np.minimum({0}, {1})",
    "logaddexp": "np.logaddexp({0}, {1})", "arctan": "np.arctan({0})",
}
PARALLEL_SIZE = 100_000  # outputs at least this large run on numba's threads
MIN_SIZE = 1_000  # smaller outputs: NumPy's kernels (a fused call's fixed cost is larger)


def available():
    return importlib.util.find_spec("numba") is not None


def _fusible(node):
    if isinstance(node.op, str) or node.sub is not None or node.effect or node.params or \
            node.name not in EXPRESSIONS or len(node.outs) != 1 or node.outs[0] is None:
        return False
    if node.kdev is None or node.kdev.backend.xp is not numpy:
        return False
    out = node.outs[0]
    if out.dtype != _F64 or out.shape is None or out.shape == ():
        return False
    for v in node.ins:
        if type(v) is Var:
            if v.dtype != _F64 or v.shape is None:
                return False
        elif type(v) is Const:
            if type(v.value) not in (int, float) or isinstance(v.value, bool):
                return False
        else:
            return False
    return True


def fuse(graph, force=False):
    """A graph for the fast replay with the fusible chains as single nodes (the same graph
    where nothing fuses). ``force``: raise where numba is not installed."""
    if not available():
        if force:
            raise JitError(f"jit({graph.name}, backend='numba'): numba is not installed "
                           f"(pip install 'npflow[jit]')")
        return graph
    nodes = graph.nodes
    uses = {}
    for node in nodes:
        for v in node.vars_in():
            uses[v] = uses.get(v, 0) + 1
    outs = {v for v in graph.outs if type(v) is Var}
    written = set()
    for node in nodes:
        if node.effect:
            for t in ([node.ins[0]] if node.outs == [None] and node.ins else node.outs):
                if type(t) is Var:
                    written.add(t.root if t.root is not None else t)
    # clusters, found from each chain's last node backwards
    cluster_of = {}
    members = {}
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        if not _fusible(node):
            continue
        out = node.outs[0]
        root = None
        if out not in outs and uses.get(out) == 1 and out.root is out and out not in written:
            for j in range(i + 1, len(nodes)):  # its one reader, if fused, takes it in
                if out in nodes[j].ins:
                    root = cluster_of.get(j)
                    break
                if nodes[j].effect:
                    break
        if root is None:
            root = i
            members[root] = []
        cluster_of[i] = root
        members[root].append(i)
    new = []
    fused = {}
    for root, idxs in members.items():
        if len(idxs) >= 2 and nodes[root].outs[0].shape and _size(nodes[root].outs[0].shape) >= MIN_SIZE:
            fused[root] = sorted(idxs)
    skip = {i for idxs in fused.values() for i in idxs}
    for i, node in enumerate(nodes):
        if i in fused:
            new.append(_fused_node([nodes[j] for j in fused[i]]))
        elif i not in skip:
            new.append(node)
    if len(new) == len(nodes):
        return graph
    return Graph(graph.name, graph.inputs, new, graph.out_tree, graph.outs, graph.captures)


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


_CACHE = {}  # scalar source -> compiled ufunc (serial, parallel)


def _fused_node(chain):
    """One node computing the chain's last output from its outside inputs."""
    inside = {node.outs[0] for node in chain}
    args, names, lines = [], {}, []
    for node in chain:
        for v in node.ins:
            if type(v) is Var and v not in inside and v not in names:
                names[v] = f"a{len(args)}"
                args.append(v)
    for k, node in enumerate(chain):
        ops = [names[v] if type(v) is Var else repr(float(v.value)) for v in node.ins]
        expr = EXPRESSIONS[node.name].format(*ops)
        names[node.outs[0]] = f"t{k}"
        lines.append(f"    t{k} = {expr}")
    out = chain[-1].outs[0]
    src = f"def f({', '.join(names[v] for v in args)}):\n" + "\n".join(lines) + f"\n    return t{len(chain) - 1}\n"
    parallel = _size(out.shape) >= PARALLEL_SIZE
    kernel = _compile(src, len(args), parallel)
    label = "fused[" + ", ".join(n.name for n in chain) + "]"
    return Node(label, list(args), {}, [out], chain[-1].kdev, chain[-1].dev, kernel=kernel)


def _compile(src, nargs, parallel):
    key = (src, parallel)
    k = _CACHE.get(key)
    if k is None:
        import numba
        g = {"np": numpy}
        exec(compile(src, "<npflow.jit fused>", "exec"), g)
        sig = f"float64({', '.join(['float64'] * nargs)})"
        k = _CACHE[key] = numba.vectorize([sig], target="parallel" if parallel else "cpu")(g["f"])
    return k
