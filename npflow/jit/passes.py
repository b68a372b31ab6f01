"""Graph passes: they rewrite a traced graph in place, keeping its meaning (eager npflow's).

Effects (in-place writes, ``out=``, guards) keep their places and everything they read; a
value some effect writes (or a view of its memory) is never merged, folded or replaced by
another; the graph's outputs stay distinct arrays, as eager code returns them.
"""
import numpy

from .graph import Var, Const

_IDENTITY = {  # op -> (operand position of the identity element, its value): x*1, x+0, ...
    "multiply": ((0, 1), (1, 1)), "add": ((0, 0), (1, 0)), "subtract": ((1, 0),),
    "divide": ((1, 1),), "power": ((1, 1),)}


def _written(graph):
    """The memory roots some effect of the graph writes."""
    roots = set()
    for node in graph.nodes:
        if node.effect:
            targets = [node.ins[0]] if node.outs == [None] and node.ins else list(node.outs)
            for t in targets:
                if type(t) is Var:
                    roots.add(t.root if t.root is not None else t)
    return roots


def _is_written(v, written):
    return type(v) is Var and (v in written or v.root in written or v.root is None)


def _substitute(graph, mapping):
    if not mapping:
        return

    def sub(v):
        t = type(v)
        if t is Var:
            while v in mapping:
                v = mapping[v]
            return v
        if t is tuple or t is list:
            return t(sub(e) for e in v)
        return v
    for node in graph.nodes:
        node.ins = [sub(v) for v in node.ins]
        if node.dyn_params:
            node.params = {k: sub(v) for k, v in node.params.items()}
    graph.outs = [sub(v) for v in graph.outs]


def _pure(node):
    return not node.effect and node.sub is None and not isinstance(node.op, str) and node.op.wraps


def _const_key(c):
    v = c.value
    if type(v) in (int, float, complex, bool, str, type(None)):
        return (type(v), v)
    return ("id", id(v))


def cse(graph):
    """Common-subexpression elimination: a pure node computing what an earlier one computed
    (same op, operands, parameters) reuses its result. Every effect starts afresh."""
    written, outs = _written(graph), {v for v in graph.outs if type(v) is Var}
    seen, mapping, kept = {}, {}, []
    for node in graph.nodes:
        if node.effect or node.sub is not None:
            seen.clear()
            kept.append(node)
            continue
        if not _pure(node) or node.dyn_params or any(o is None or _is_written(o, written) or o in outs
                                                     for o in node.outs):
            kept.append(node)
            continue
        ins = [mapping.get(v, v) if type(v) is Var else v for v in node.ins]
        try:
            key = (node.op, tuple(v if type(v) is Var else _const_key(v) for v in ins),
                   tuple(sorted(node.params.items())), node.dev)
            hash(key)
        except TypeError:
            kept.append(node)
            continue
        prev = seen.get(key)
        if prev is not None and len(prev.outs) == len(node.outs):
            for a, b in zip(node.outs, prev.outs):
                mapping[a] = b
            continue
        seen[key] = node
        kept.append(node)
    graph.nodes[:] = kept
    _substitute(graph, mapping)
    return len(mapping)


def simplify(graph):
    """Algebraic simplification: ``x * 1``, ``x + 0``, ``x - 0``, ``x / 1``, ``x ** 1`` (Python
    scalars) are ``x`` where that changes nothing eager code could see (same dtype and shape,
    neither written later, not an output: the result would be ``x`` itself, not a copy);
    ops that returned their operand's own array (``alias``, ``stop_gradient`` when nothing
    differentiates) are dropped."""
    written, outs = _written(graph), {v for v in graph.outs if type(v) is Var}
    mapping, kept = {}, []
    for node in graph.nodes:
        rule = _IDENTITY.get(node.name) if _pure(node) and len(node.ins) == 2 and not node.params else None
        out = node.outs[0] if len(node.outs) == 1 else None
        target = None
        if rule and out is not None and out not in outs and not _is_written(out, written):
            for pos, ident in rule:
                c, x = node.ins[pos], node.ins[1 - pos]
                if type(c) is Const and type(c.value) in (int, float) and c.value == ident and \
                        type(x) is Var and x.shape == out.shape and x.dtype == out.dtype and \
                        not _is_written(x, written):
                    target = x
                    break
        if target is not None:
            mapping[out] = target
            continue
        kept.append(node)
    graph.nodes[:] = kept
    _substitute(graph, mapping)
    return len(mapping)


def fold(graph):
    """Constant folding: pure nodes whose operands are Python scalars or values this pass
    folded (creation ops: zeros, eye, arange, ... and what is computed from them alone) run
    once, when the graph is compiled. Captured arrays are not folded (eager code reads them at
    every call: their contents may change), nor values written later or returned (each call
    gives new arrays), nor anything random."""
    from .replay import _kernel, _fixer
    written, outs = _written(graph), {v for v in graph.outs if type(v) is Var}
    folded, mapping, kept = set(), {}, []
    for node in graph.nodes:
        node.ins = [mapping.get(v, v) if type(v) is Var else v for v in node.ins]
        ok = _pure(node) and not node.dyn_params and node.kdev is not None and all(
            type(v) is Const and (type(v.value) in (int, float, complex, bool, type(None)) or id(v.value) in folded)
            for v in node.ins) and not any(isinstance(p, numpy.ndarray) and id(p) not in folded
                                           for p in node.params.values()) and \
            all(o is not None and o not in outs and not _is_written(o, written) for o in node.outs)
        if ok:
            try:
                r = _kernel(node)(*[v.value for v in node.ins], **node.params)
            except Exception:  # (eager code raises at every call: leave it to the call)
                ok = False
        if not ok:
            kept.append(node)
            continue
        rs = r if node.tuple_out else (r,)
        if node.fix:
            rs = tuple(_fixer(node.dev)(e) for e in rs)
        for o, e in zip(node.outs, rs):
            c = Const(e)
            folded.add(id(e))
            mapping[o] = c
    graph.nodes[:] = kept
    _substitute_consts(graph, mapping)
    graph.folded = [c.value for c in mapping.values()]  # (kept alive: their ids are keys above)
    return len(mapping)


def _substitute_consts(graph, mapping):
    if not mapping:
        return

    def sub(v, raw=False):
        t = type(v)
        if t is Var:
            c = mapping.get(v)
            return v if c is None else c.value if raw else c
        if t is tuple or t is list:
            return t(sub(e, raw) for e in v)
        return v
    for node in graph.nodes:
        node.ins = [sub(v) for v in node.ins]
        if node.dyn_params:  # (a parameter holds backend data, not a Const)
            node.params = {k: sub(v, True) for k, v in node.params.items()}
            node.dyn_params = any(True for v in node.vars_in())
    graph.outs = [sub(v) for v in graph.outs]


def dce(graph):
    """Dead-code elimination: drop the nodes whose outputs nothing reads (effects stay)."""
    live = {v for v in graph.outs if type(v) is Var}
    kept = []
    for node in reversed(graph.nodes):
        if node.effect or any(o is not None and o in live for o in node.outs):
            kept.append(node)
            live.update(node.vars_in())
            for o in node.outs:  # a view's base must exist when the view does
                if o is not None and o.root is not None and o.root is not o:
                    live.add(o.root)
    kept.reverse()
    removed = len(graph.nodes) - len(kept)
    graph.nodes[:] = kept
    return removed


PASSES = (simplify, fold, cse, dce)


def optimize(graph):
    """Every pass, in order (sub-graphs first); returns {pass name: nodes changed}."""
    for node in graph.nodes:
        for g in (node.sub or {}).values():
            optimize(g)
    return {p.__name__: p(graph) for p in PASSES}
