"""Running a graph.

``compile_graph`` turns a graph into one Python function whose body is the kernel calls
themselves, in program order (the NumPy replay: no dispatch, no wrapping between ops, each
intermediate dropped after its last use). ``interpret`` runs a graph op by op through
``dispatch.apply``: what a cached call does when autodiff traces are active around it, so the
tapes record every op as in eager mode.
"""
import itertools
import math
import os

import numpy

from .._core import dispatch
from .graph import Var, Const

_NUMPY_BACKEND = dispatch._NUMPY_BACKEND


def _kernel(node):
    if node.kernel is not None:
        return node.kernel
    backend = node.kdev.backend
    k = node.op.np_kernel if backend is _NUMPY_BACKEND else node.op.kernel(backend)
    if backend is _NUMPY_BACKEND:
        return k
    dev = node.kdev

    def in_context(*a, **kw):
        with backend.context(dev):
            return k(*a, **kw)
    return in_context


def _replay_kernel(node):
    """The kernel the replay calls for ``node``: its own, or a faster one of the same formula
    (``FAST``) where the node qualifies."""
    fast = FAST.get(node.name) if node.kernel is None and not isinstance(node.op, str) else None
    if fast is not None and fast[1](node) and os.environ.get("NPFLOW_JIT_EXACT", "") in ("", "0"):
        return fast[0]
    return _kernel(node)


def _logaddexp(x, y, out=None, _max=numpy.maximum, _min=numpy.minimum, _sub=numpy.subtract,
               _exp=numpy.exp, _log1p=numpy.log1p, _add=numpy.add, _ignore=numpy.errstate,
               _eager=numpy.logaddexp):
    """NumPy's logaddexp formula, ``max + log1p(exp(min - max))`` (``min - max`` is NumPy's
    ``-|x - y|`` exactly), on NumPy's SIMD exp and log1p (its logaddexp loop calls libm's, 4x
    slower). Where a difference is not finite (a NaN or an infinite argument, or ``x - y``
    overflowing) NumPy's own logaddexp runs instead: its values, warnings and errors exactly.
    An underflow in exp is reported (or raised) as exp's. (``out``: a dead buffer the replay
    offers; a fresh array is returned instead, so that the arguments stay intact for the
    second computation.)"""
    m = _max(x, y)
    t = _min(x, y)
    with _ignore(over="ignore", invalid="ignore"):
        _sub(t, m, out=t)
    if not t.min() > -math.inf:
        return _eager(x, y)
    _exp(t, out=t)
    _log1p(t, out=t)
    return _add(m, t, out=t)


def _logaddexp_ok(node):
    """A logaddexp of float32/float64 arrays (or Python scalars) of 64 elements or more, no
    parameters, on NumPy's backend."""
    out = node.outs[0] if len(node.outs) == 1 else None
    if node.params or out is None or out.dtype not in _FLOATS or out.shape is None or \
            len(out.shape) == 0 or numpy.prod(out.shape) < 64 or node.kdev is None or \
            node.kdev.backend is not _NUMPY_BACKEND:
        return False
    return all(v.dtype == out.dtype if type(v) is Var else type(v.value) in (int, float) for v in node.ins)


_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
# op name -> (faster kernel, whether a node qualifies). Values differ from NumPy's kernel's by the
# rounding of the other routines: the replay's documented tolerance (docs/guides/jit.md).
FAST = {"logaddexp": (_logaddexp, _logaddexp_ok)}
LOGADDEXP_ULPS = 2  # _logaddexp: within this many units in the last place of max(1, |result|)

_FIXERS = {}


def _fixer(dev):
    f = _FIXERS.get(dev)
    if f is None:
        f = _FIXERS[dev] = _make_fixer(dev)
    return f


def _make_fixer(dev):
    wrap = dispatch.wrap

    def fix(r):
        if type(r) is tuple or type(r) is list:
            return tuple(fix(e) for e in r)
        if r is None:
            return None
        return wrap(r, dev)._data
    return fix


def last_uses(graph):
    """Var -> index of the last node reading it."""
    last = {}
    for i, node in enumerate(graph.nodes):
        for v in node.vars_in():
            last[v] = i
    return last


# Above this many nodes, Python's compiler would take longer than many calls of the graph
# (straight-line source costs tens of µs a line to compile): a loop over the nodes instead.
SOURCE_LIMIT = 3000


def compile_graph(graph):
    """``run(*inputs) -> tuple of outputs``, inputs and outputs as backend data (Python values
    for constants and non-array outputs). Large elementwise chains on NumPy's backend run
    blocked and threaded (``npflow/jit/blocked.py``)."""
    from . import blocked
    graph = blocked.fuse(graph)
    if len(graph.nodes) > SOURCE_LIMIT:
        return compile_loop(graph)
    return compile_source(graph)


def compile_loop(graph):
    """``compile_graph``'s runner for large graphs: one loop over prepared kernel calls, the
    values in a list (constants placed once), each dropped after its last use."""
    slot = {}
    template = []

    def place(v):
        if type(v) is Var:
            if v not in slot:
                slot[v] = len(template)
                template.append(None)
            return slot[v]
        template.append(v.value if type(v) is Const else v)
        return len(template) - 1

    ins = list(graph.inputs) + [inner for _, inner in graph.captures]
    in_slots = [place(v) for v in ins]
    keep = {v for v in graph.outs if type(v) is Var}
    last = last_uses(graph)
    plan = []
    for i, node in enumerate(graph.nodes):
        idx = tuple(place(v) for v in node.ins)
        if node.dyn_params:
            names = list(node.params)
            vals = [_slotted(v, place) for v in node.params.values()]
        else:
            names, vals = None, dict(node.params)
        outs = tuple(place(o) if o is not None else None for o in node.outs) if node.outs else ()
        dead = tuple(slot[v] for v in node.vars_in() if last.get(v) == i and v not in keep and v not in ins)
        fix = _fixer(node.dev) if node.fix else None
        plan.append((_replay_kernel(node), idx, names, vals, outs, node.tuple_out, fix, dead))
    out_refs = [place(v) for v in graph.outs]
    n_in = len(in_slots)

    def run(*inputs):
        env = template.copy()
        for k in range(n_in):
            env[in_slots[k]] = inputs[k]
        for kernel, idx, names, vals, outs, multi, fix, dead in plan:
            args = [env[j] for j in idx]
            if names is None:
                r = kernel(*args, **vals)
            else:
                r = kernel(*args, **{n: _fill(v, env) for n, v in zip(names, vals)})
            if outs:
                if multi:
                    for o, e in zip(outs, r):
                        if o is not None:
                            env[o] = fix(e) if fix is not None and e is not None else e
                elif outs[0] is not None:
                    env[outs[0]] = fix(r) if fix is not None else r
            for j in dead:
                env[j] = None
        return tuple(env[j] for j in out_refs)
    return run


class _Slot:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


def _slotted(v, place):
    t = type(v)
    if t is Var:
        return _Slot(place(v))
    if t is tuple or t is list:
        return t(_slotted(e, place) for e in v)
    return v


def _fill(v, env):
    t = type(v)
    if t is _Slot:
        return env[v.i]
    if t is tuple or t is list:
        return t(_fill(e, env) for e in v)
    return v


def compile_source(graph):
    """``compile_graph``'s runner: one generated Python function of the kernel calls."""
    g = {}
    counter = itertools.count()

    def const(value):
        name = f"c{next(counter)}"
        g[name] = value
        return name

    def expr(v):
        t = type(v)
        if t is Var:
            return f"v{v.n}"
        if t is Const:
            return const(v.value)
        if t is tuple or t is list:
            inner = "".join(f"{expr(e)}, " for e in v)
            return f"({inner})" if t is tuple else f"[{inner}]"
        return const(v)

    keep = {v for v in graph.outs if type(v) is Var}
    last = last_uses(graph)
    ins = list(graph.inputs) + [inner for _, inner in graph.captures]
    viewed, produced = set(), {}
    for j, node in enumerate(graph.nodes):
        for o in node.outs:
            if o is not None:
                produced.setdefault(o, node)
                if o.root is not o:
                    viewed.add(o.root)  # (memory a view shares: never reused)
    lines = [f"def run({', '.join(f'v{v.n}' for v in ins)}):"]
    dead_after = {}
    for v, i in last.items():
        if v not in keep:
            dead_after.setdefault(i, []).append(v)
    for i, node in enumerate(graph.nodes):
        k = const(_replay_kernel(node))
        args = [expr(v) for v in node.ins]
        for name, v in node.params.items():
            args.append(f"{name}={expr(v) if node.dyn_params else const(v)}")
        reuse = _reusable(node, i, last, keep, ins, viewed, produced)
        if reuse is not None:  # buffer reuse: the result written over a dead intermediate
            args.append(f"out=v{reuse.n}")
        call = f"{k}({', '.join(args)})"
        outs = node.outs
        if not outs or all(o is None for o in outs):
            lines.append(f"    {call}")
        elif node.tuple_out:
            lhs = ", ".join(f"v{o.n}" if o is not None else "_" for o in outs)
            lines.append(f"    {lhs}, = {call}" if len(outs) == 1 else f"    {lhs} = {call}")
        else:
            lines.append(f"    v{outs[0].n} = {call}")
        if node.fix:
            fx = const(_fixer(node.dev))
            for o in outs:
                if o is not None and o.array:
                    lines.append(f"    v{o.n} = {fx}(v{o.n})")
        dead = dead_after.get(i, ())
        if dead:
            lines.append(f"    del {', '.join(f'v{v.n}' for v in dead)}")
    lines.append(f"    return ({''.join(expr(v) + ', ' for v in graph.outs)})")
    src = "\n".join(lines)
    # (named inside the package: warnings are attributed to the caller, as in eager mode)
    code = compile(src, f"{dispatch._PACKAGE}jit/<jit {graph.name}>", "exec")
    exec(code, g)
    run = g["run"]
    run.source = src
    return run


def _reusable(node, i, last, keep, ins, viewed, produced):
    """An operand whose buffer a ufunc node may write its result into (``out=``, as NumPy's
    temporary elision): an intermediate of the result's shape and dtype, made by a plain op of
    this graph, read for the last time here, no view's memory, not an output; else None."""
    if node.params or node.kernel is not None or isinstance(node.op, str) or len(node.outs) != 1 \
            or not isinstance(node.op.np_kernel, numpy.ufunc) or node.kdev.backend is not _NUMPY_BACKEND:
        return None
    out = node.outs[0]
    if out is None or out.shape is None or out.root is not out:
        return None
    for v in node.ins:
        if type(v) is Var and v.shape == out.shape and v.dtype == out.dtype and v.root is v and \
                last.get(v) == i and v not in keep and v not in ins and v not in viewed and \
                sum(w is v for w in node.ins) == 1 and _plain_producer(produced.get(v)):
            return v
    return None


def _plain_producer(node):
    """A node whose output is surely a fresh array of its own: a ufunc called without
    parameters (other ops may return an operand's or a constant's own memory)."""
    return node is not None and not node.effect and node.kernel is None and not node.params and \
        not isinstance(node.op, str) and isinstance(node.op.np_kernel, numpy.ufunc) and \
        not node.fix and not node.tuple_out and node.outs[0] is not None and node.outs[0].shape != ()


def _sub_params(params, env, dyn):
    if not dyn:
        return dict(params)

    def sub(v, out):
        t = type(v)
        if t is Var:
            x = env[v]
            return x if out or not isinstance(x, dispatch.ndarray) else x._data
        if t is tuple or t is list:
            return t(sub(e, out) for e in v)
        return v
    return {k: sub(v, k == "out") for k, v in params.items()}


def interpret(graph, inputs):
    """Run ``graph`` op by op through ``dispatch.apply`` on npflow arrays ``inputs`` (and the
    captured values after them); returns the outputs (npflow arrays, constants, Python values)."""
    nd = dispatch.ndarray
    env = dict(zip(list(graph.inputs) + [inner for _, inner in graph.captures], inputs))
    for node in graph.nodes:
        ins = [env[v] if type(v) is Var else _const_obj(v) for v in node.ins]
        if node.sub is not None:
            res = node.kernel.interpret(*ins)
        elif node.op == "guard":
            node.kernel(ins[0]._data if isinstance(ins[0], nd) else ins[0])
            continue
        else:
            params = _sub_params(node.params, env, node.dyn_params)
            if not any(isinstance(x, nd) for x in ins) or (node.dev is not None and node.dev is not node.kdev):
                if node.dev is not None:
                    params["device"] = node.dev
            res = dispatch.apply(node.op, *ins, **params)
        if not isinstance(node.op, str) and node.op.inplace:
            continue
        if type(res) is tuple and not node.tuple_out:  # (out=(y,): apply gives the tuple)
            res = res[0]
        rs = res if node.tuple_out else (res,)
        for v, r in zip(node.outs, rs):
            if v is None:
                continue
            if v.array and not isinstance(r, nd) and r is not None:
                r = dispatch.wrap(r, v.device)
            env[v] = r
    return [env[v] if type(v) is Var else _const_obj(v) for v in graph.outs]


def _const_obj(c):
    return c.obj
