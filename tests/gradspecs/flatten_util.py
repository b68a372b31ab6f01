"""Gradient specs for npflow.flatten_util: the flat vector of a tree, and the tree rebuilt from one."""
import npflow as np
import npflow.flatten_util as fu
from gradspecs import Case, rand

A = rand(2, 3, seed=120)
B = rand(4, seed=121)


def _round_trip(v):
    """A function of the tree unravelled from ``v``."""
    _, unravel = fu.ravel_pytree({"w": A, "b": [B, 1.5], "s": A[0]})
    t = unravel(v)
    return np.sum(np.sin(t["w"])) * t["b"][1] + np.sum(t["b"][0] ** 2) + np.sum(t["s"] ** 3)


SPECS = [
    Case("np.flatten_util.ravel_pytree", lambda a, b: fu.ravel_pytree({"a": a, "b": [b, a * 2]})[0], (A, B)),
    Case("np.flatten_util.ravel_pytree", _round_trip, (rand(14, seed=122),), "unravel"),
    Case("np.flatten_util.flatten", lambda a, b: fu.flatten((a, (b,)))[0] ** 2, (A, B)),
]
