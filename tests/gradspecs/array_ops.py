"""Gradient specs for indexing, writes, casts, copies, views and transfers."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

V = rand(6, seed=50)
M = rand(3, 4, seed=51)
Z = rand(3, 4, seed=52, complex=True)
MASK = rand(3, 4, seed=53) > 0


def _set(key, value=0.0):
    """``y = x * 1; y[key] = value`` (a fresh array written in place)."""
    def f(x, *v):
        y = x * 1
        y[key] = v[0] if v else value
        return y
    return f


def _iadd_slice(x, v):
    y = x * 1
    y[1:3] += v  # a write through a view of y: rebased onto y
    return y


def _write_through(make_view):
    """``y = x * 1; make_view(y) += v`` (a view made by an op other than indexing)."""
    def f(x, v):
        y = x * 1
        w = make_view(y)
        w += v
        return y * y
    return f


def _iadd_row(x, v):
    y = x * 1
    row = y[1]
    row -= v  # in place through an integer-indexed view
    return y * y


def _flat_set(key):
    def f(x, v):
        y = x * 1
        y.flat[key] = v
        return y
    return f


def _fill(x):
    y = x * 1
    y[1].fill(2.0)
    return y * x


SPECS = [
    Case("getitem", lambda x: x[1:, ::2], (M,), "basic"),
    Case("getitem", lambda x: x[1], (M,), "int"),
    Case("getitem", lambda x: x[..., None, -1], (M,), "ellipsis-newaxis"),
    Case("getitem", lambda x: x[[0, 2, 0, 0]], (M,), "repeated"),
    Case("getitem", lambda x: x[[0, 1, 1], [3, 3, 0]], (M,), "advanced-pairs"),
    Case("getitem", lambda x: x[:, onp.array([1, 1, 2])], (M,), "advanced-slice-mix"),
    Case("getitem", lambda x: x[MASK], (M,), "boolean"),
    Case("getitem", lambda x: x[x > 0], (V,), "boolean-of-x"),
    Case("getitem", lambda x: x[np.asarray([2, 2])], (Z,), "complex"),
    Case("setitem", _set(0), (M,), "zero-row"),
    Case("setitem", _set((slice(None), 1)), (M, rand(3, seed=54)), "value"),
    Case("setitem", _set(slice(1, 3)), (M, rand(4, seed=55)), "broadcast-value"),
    Case("setitem", _set(MASK), (M, rand(1, seed=56)), "boolean"),
    Case("setitem", _set(([0, 0, 2], [1, 1, 3])), (M, rand(3, seed=57)), "repeated-index"),
    Case("setitem", _set((0, slice(None))), (Z, rand(4, seed=58, complex=True)), "complex"),
    Case("setitem", _set(0), (Z, rand(4, seed=58)), "real-into-complex"),
    Case("setitem.rebase", _iadd_slice, (V, rand(2, seed=59))),
    Case("setitem.rebase", _iadd_row, (M, rand(4, seed=60)), "row-view"),
    Case("view.rebase", _write_through(lambda y: y.T), (M, rand(4, 3, seed=61)), "T"),
    Case("view.rebase", _write_through(lambda y: y.reshape(2, 6)), (M, rand(2, 6, seed=62)), "reshape"),
    Case("view.rebase", _write_through(lambda y: y[:, 1:].T[0]), (M, rand(3, seed=63)), "slice-T-row"),
    Case("flat.getitem", lambda x: x.flat[[0, 5, 5]], (M,)),
    Case("flat.getitem", lambda x: x.flat[2:9:3], (M,), "slice"),
    Case("flat.getitem", lambda x: x.flat[7], (Z,), "complex-int"),
    Case("flat.setitem", _flat_set([1, 4, 6]), (M, rand(3, seed=61))),
    Case("flat.setitem", _flat_set(slice(2, 10)), (M, rand(3, seed=62)), "cycled"),
    Case("flat.setitem", _flat_set([0, 0, 5]), (M, rand(3, seed=63)), "repeated-index"),
    Case("fill", _fill, (M,)),
    Case("astype", lambda x: x.astype(onp.complex128) * (1 + 2j), (M,), "to-complex"),
    Case("astype", lambda x: x.astype(onp.float64, copy=False) * x, (M,), "same"),
    Case("copy", lambda x: x.copy() * x, (M,)),
    Case("copy", lambda x: x[::2].copy(), (Z,), "complex"),
    Case("to_device", lambda x: (x.to_device("sim") * 2).to_device("cpu"), (M,)),
    Case("to_device", lambda x: np.asarray(x, device="sim") ** 2, (Z,), "complex"),
    Case("view", lambda x: x.view() * x, (M,)),
    Case("view", lambda x: x.view(onp.complex128), (Z,), "same-dtype"),
    Case("from_dlpack", lambda x: np.from_dlpack(x) * x, (M,)),
]
