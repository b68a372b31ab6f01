"""Nested tuples, lists and dicts of leaves (arrays, scalars, None)."""
_CONTAINERS = (tuple, list, dict)


def flatten(tree):
    """(leaves, treedef): ``unflatten(treedef, leaves)`` rebuilds ``tree``."""
    if type(tree) not in _CONTAINERS and not isinstance(tree, tuple):
        return [tree], None  # a leaf (the common case: one array)
    leaves = []

    def walk(t):
        if type(t) in (tuple, list):
            return (type(t), tuple(walk(c) for c in t))
        if type(t) is dict:
            keys = sorted(t, key=repr)
            return (dict, tuple(keys), tuple(walk(t[k]) for k in keys))
        if isinstance(t, tuple) and hasattr(t, "_fields"):  # namedtuple
            return (type(t), tuple(walk(c) for c in t))
        leaves.append(t)
        return None
    return leaves, walk(tree)


def unflatten(treedef, leaves):
    if treedef is None and type(leaves) is list:
        return leaves[0]  # a leaf
    it = iter(leaves)

    def build(d):
        if d is None:
            return next(it)
        kind = d[0]
        if kind is dict:
            return {k: build(c) for k, c in zip(d[1], d[2])}
        children = [build(c) for c in d[1]]
        if kind in (tuple, list):
            return kind(children)
        return kind(*children)  # namedtuple
    return build(treedef)
