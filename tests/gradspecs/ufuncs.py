"""Gradient specs for the elementwise ops (ufuncs) and their differentiable methods."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

A = rand(3, 2, seed=1)                      # broadcasts against B
B = rand(2, seed=2)
POS = rand(3, 2, low=0.5, high=2.0, seed=3)
UNIT = rand(3, 2, low=-0.8, high=0.8, seed=4)
BIG = rand(3, 2, low=1.2, high=3.0, seed=5)
Z = rand(3, 2, seed=6, complex=True)
ZB = rand(2, seed=7, complex=True)

# op, the inputs (real first; complex where the op is holomorphic or has a complex rule)
UNARY = {
    "negative": [A, Z], "positive": [A, Z], "absolute": [A, Z], "fabs": [A], "reciprocal": [POS, Z],
    "square": [A, Z], "sqrt": [POS, Z], "cbrt": [POS], "exp": [A, Z], "exp2": [A, Z],
    "expm1": [A, Z], "log": [POS, Z], "log2": [POS, Z], "log10": [POS, Z], "log1p": [POS, Z],
    "sin": [A, Z], "cos": [A, Z], "tan": [UNIT, Z], "arcsin": [UNIT, UNIT * 0.5 + 0.2j],
    "arccos": [UNIT], "arctan": [A, Z * 0.5], "sinh": [A, Z], "cosh": [A, Z], "tanh": [A, Z],
    "arcsinh": [A, Z], "arccosh": [BIG, BIG + 0.5j], "arctanh": [UNIT, UNIT * 0.5 + 0.2j],
    "deg2rad": [A], "rad2deg": [A], "degrees": [A], "radians": [A], "conjugate": [A, Z],
    "modf": [A], "frexp": [POS],
}
BINARY = {
    "add": [(A, B), (Z, ZB)], "subtract": [(A, B), (Z, ZB)], "multiply": [(A, B), (Z, ZB)],
    "divide": [(A, POS[0]), (Z, ZB)], "power": [(POS, B), (Z, ZB)], "float_power": [(POS, B)],
    "remainder": [(A, POS[0] + 1)], "fmod": [(A, POS[0] + 1)], "divmod": [(A, POS[0] + 1)],
    "arctan2": [(A, B + 3)], "hypot": [(A, B)], "logaddexp": [(A, B)], "logaddexp2": [(A, B)],
    "maximum": [(A, B)], "minimum": [(A, B)], "fmax": [(A, B)], "fmin": [(A, B)],
    "copysign": [(A, B)],
}


def _sum_outputs(f):
    """A function of the op whose every floating output reaches the result."""
    def g(*xs):
        r = f(*xs)
        return tuple(o for o in r if o.dtype.kind in "fc") if isinstance(r, tuple) else r
    return g


SPECS = []
for name, inputs in UNARY.items():
    uf = getattr(np, name)
    SPECS += [Case(name, _sum_outputs(uf), (x,), "complex" if x.dtype.kind == "c" else "")
              for x in inputs]
for name, pairs in BINARY.items():
    uf = getattr(np, name)
    SPECS += [Case(name, _sum_outputs(uf), xy, "complex" if xy[0].dtype.kind == "c" else "")
              for xy in pairs]

_i = onp.array([2, 0, 2])
SPECS += [
    Case("ldexp", lambda x: np.ldexp(x, np.asarray([1, -2])), (A,)),
    Case("matmul", np.matmul, (rand(2, 3, seed=8), rand(3, 4, seed=9)), "2d"),
    Case("matmul", np.matmul, (rand(2, 2, 3, seed=8), rand(3, seed=9)), "batched-vector"),
    Case("matmul", np.matmul, (rand(3, seed=8), rand(2, 3, 4, seed=9)), "vector-batched"),
    Case("matmul", np.matmul, (rand(3, seed=8), rand(3, seed=9)), "vector-vector"),
    Case("matmul", np.matmul, (rand(2, 3, seed=8, complex=True), rand(3, 2, seed=9, complex=True)), "complex"),
    Case("vecdot", np.vecdot, (rand(2, 3, seed=10), rand(3, seed=11))),
    Case("vecdot", np.vecdot, (rand(2, 3, seed=10, complex=True), rand(3, seed=11, complex=True)), "complex"),
    Case("add.at", lambda a, b: _at(np.add, a, b), (A[:, 0].copy(), rand(3, seed=12))),
    Case("subtract.at", lambda a, b: _at(np.subtract, a, b), (A[:, 0].copy(), rand(3, seed=12))),
]
if hasattr(np, "matvec"):
    SPECS += [Case("matvec", np.matvec, (rand(2, 3, seed=13), rand(3, seed=14))),
              Case("vecmat", np.vecmat, (rand(3, seed=13), rand(3, 2, seed=14))),
              Case("vecmat", np.vecmat, (rand(3, seed=13, complex=True), rand(3, 2, seed=14, complex=True)),
                   "complex")]


def _at(uf, a, b):
    a = a * 1.0  # a fresh array to update in place
    uf.at(a, _i, b)
    return a
