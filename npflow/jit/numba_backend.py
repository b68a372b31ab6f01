"""The numba backend (the optional extra ``npflow[jit]``): chains of elementwise ops fused into
one compiled kernel.

A chain of float64 elementwise ufunc nodes (``exp(-x*x)*y + sin(x)``) whose intermediate
values nothing else reads becomes one ``numba.vectorize`` ufunc: one pass over memory instead
of one per op; large arrays (``PARALLEL_SIZE``) run as an ``njit(parallel=True)`` loop over the
flattened operands on numba's threads (``NUMBA_NUM_THREADS``). Its scalar body calls
NumPy's functions as numba compiles them (NumPy's error semantics: ``inf``/``nan``, and the
warnings or errors errstate asks for: a ufunc's by NumPy itself, the parallel loop's through the
exception flags, ``fpe.py``); values agree with NumPy's kernels within a few ulps (numba's and
NumPy's math routines differ: SIMD variants), which is the documented tolerance of a fused
kernel. Every other op runs as the NumPy kernel it is, between the fused segments. The replay
of a graph without numba (``backend="replay"``, or numba not installed) is the same graph
unfused.
"""
import importlib.util

import numpy

from . import fusion
from .graph import Node, Var, Const, JitError

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
    return fusion.fuse_graph(graph, _fusible, _fused_node, min_size=MIN_SIZE)


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
    parallel = fusion.size(out.shape) >= PARALLEL_SIZE
    if parallel and all(v.shape == out.shape for v in args):  # (an njit loop: NumPy's warnings
        # and errors through the exception flags, fpe.py)
        from . import fpe
        kernel = fpe.checked(_prange_kernel(src, len(args), out.shape), lambda: _replay(chain, args, out))
    else:
        kernel = _compile(src, len(args), parallel)
    label = "fused[" + ", ".join(n.name for n in chain) + "]"
    return Node(label, list(args), {}, [out], chain[-1].kdev, chain[-1].dev, kernel=kernel)


def _replay(chain, args, out):
    """The chain's nodes as the NumPy replay, called as its fused kernel is."""
    from .graph import Graph
    from .replay import compile_graph
    run = compile_graph(Graph("chain", list(args), list(chain), None, [out]))
    return lambda *raws: run(*raws)[0]


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


def _prange_kernel(src, nargs, shape):
    """The chain as an ``njit(parallel=True)`` loop (``prange``) over the flattened operands, all
    of the output's shape (measured 0.45x NumPy on the 4M-element chain, where the parallel
    ``vectorize`` took 1.31x); a non-contiguous operand is copied flat first."""
    key = (src, "prange")
    loop = _CACHE.get(key)
    if loop is None:
        import numba
        g = {"np": numpy}
        exec(compile(src, "<npflow.jit fused>", "exec"), g)
        scalar = numba.njit(inline="always")(g["f"])
        names = ", ".join(f"a{i}" for i in range(nargs))
        loop_src = (f"def loop(out, {names}):\n"
                    f"    for i in prange(out.shape[0]):\n"
                    f"        out[i] = scalar({', '.join(f'a{i}[i]' for i in range(nargs))})\n")
        lg = {"prange": numba.prange, "scalar": scalar}
        exec(compile(loop_src, "<npflow.jit fused loop>", "exec"), lg)
        loop = _CACHE[key] = numba.njit(parallel=True, fastmath=False)(lg["loop"])
    ravel = numpy.ravel

    def kernel(*args):
        out = numpy.empty(shape)
        loop(out.reshape(-1), *[ravel(a) for a in args])
        return out
    kernel.loop = loop
    return kernel
