"""Graph passes: they rewrite a traced graph in place, keeping its meaning (eager npflow's).

Effects (in-place writes, ``out=``, random draws) keep their places and everything they read.
"""
from .graph import Var


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


def optimize(graph):
    for node in graph.nodes:
        for g in (node.sub or {}).values():
            optimize(g)
    dce(graph)
