"""Finding the fusible elementwise chains of a graph, for every backend that fuses them.

A backend says which nodes it can fuse (``fusible(node)``) and how to build one node from a
chain (``make(chain)``); ``fuse_graph`` finds the chains and rebuilds the graph. A chain is a
run of fusible nodes where each inner value is read exactly once, by a later node of the same
chain, is not a graph output, is not a view of something else and is never written in place:
so the fused node computes the chain's last value alone and nothing observes the values
inside it.
"""
from .graph import Graph, Var


def size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _written(nodes):
    written = set()
    for node in nodes:
        if node.effect:
            for t in ([node.ins[0]] if node.outs == [None] and node.ins else node.outs):
                if type(t) is Var:
                    written.add(t.root if t.root is not None else t)
    return written


def use_counts(graph):
    """{value: how many times the graph's nodes read it}"""
    uses = {}
    for node in graph.nodes:
        for v in node.vars_in():
            uses[v] = uses.get(v, 0) + 1
    return uses


def chains(graph, fusible):
    """{index of a chain's last node: sorted indices of the chain's nodes} for every chain of at
    least one fusible node."""
    nodes = graph.nodes
    uses = use_counts(graph)
    outs = {v for v in graph.outs if type(v) is Var}
    written = _written(nodes)
    cluster_of, members = {}, {}
    for i in range(len(nodes) - 1, -1, -1):  # from each chain's last node backwards
        node = nodes[i]
        if not fusible(node):
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
    return {root: sorted(idxs) for root, idxs in members.items()}


def fuse_graph(graph, fusible, make, min_nodes=2, min_size=0):
    """``graph`` with each chain of at least ``min_nodes`` nodes whose output has at least
    ``min_size`` elements replaced by ``make(chain_nodes)`` (the same graph where none is)."""
    nodes = graph.nodes
    fused = {root: idxs for root, idxs in chains(graph, fusible).items()
             if len(idxs) >= min_nodes and nodes[root].outs[0].shape is not None
             and size(nodes[root].outs[0].shape) >= min_size}
    if not fused:
        return graph
    skip = {i for idxs in fused.values() for i in idxs}
    new = []
    for i, node in enumerate(nodes):
        if i in fused:
            new.append(make([nodes[j] for j in fused[i]]))
        elif i not in skip:
            new.append(node)
    return Graph(graph.name, graph.inputs, new, graph.out_tree, graph.outs, graph.captures)
