"""Gradient specs for sorting and indexed selection: sort, partition, take, take_along_axis,
choose, extract, compress, put, put_along_axis (distinct values where order matters)."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

A = rand(3, 4, seed=21)           # distinct values (sort, partition)
V = rand(5, seed=22)
B = rand(2, 3, 4, seed=23)
Z = rand(3, 4, seed=24, complex=True)
_I = onp.array([2, 0, 2, 1])      # a repeated index: its cotangents accumulate
_ALONG = onp.argsort(rand(3, 4, seed=25), axis=1)[:, :3]
_COND = onp.array([[True, False, True, True], [False, True, False, False], [True, True, False, True]])


def _put(ind, mode="raise"):
    def f(a, v):
        a = a * 1.0  # a fresh array to write into
        np.put(a, ind, v, mode=mode)
        return a
    return f


def _put_along(indices, axis):
    def f(a, v):
        a = a * 1.0
        np.put_along_axis(a, indices, v, axis)
        return a
    return f


TABLE = {
    "sort": [
        ("1d", np.sort, (V,)),
        ("axis=0", lambda a: np.sort(a, axis=0), (A,)),
        ("axis=-1", np.sort, (A,)),
        ("axis=None", lambda a: np.sort(a, axis=None), (A,)),
        ("3d-axis=1", lambda a: np.sort(a, axis=1, kind="stable"), (B,)),
    ],
    "partition": [
        ("1d", lambda a: np.partition(a, 2), (V,)),
        ("axis=0", lambda a: np.partition(a, 1, axis=0), (A,)),
        ("kth-sequence", lambda a: np.partition(a, (0, 2)), (A,)),
        ("axis=None", lambda a: np.partition(a, 5, axis=None), (A,)),
    ],
    "take": [
        ("flat", lambda a: np.take(a, _I), (A,)),
        ("axis=0-repeated", lambda a: np.take(a, _I[:3], axis=0), (A,)),
        ("axis=1-negative-2d", lambda a: np.take(a, [[-1, 0], [1, -1]], axis=1), (B,)),
        ("scalar-index", lambda a: np.take(a, 1, axis=-1), (A,)),
        ("wrap", lambda a: np.take(a, [5, -7, 1], axis=1, mode="wrap"), (A,)),
        ("clip", lambda a: np.take(a, [9, -3, 1], mode="clip"), (A,)),
        ("complex", lambda a: np.take(a, _I, axis=1), (Z,)),
    ],
    "take_along_axis": [
        ("axis=1", lambda a: np.take_along_axis(a, _ALONG, axis=1), (A,)),
        ("axis=0-repeated", lambda a: np.take_along_axis(a, onp.array([[0, 2, 2, 1], [0, 0, 0, 0]]), axis=0),
         (A,)),
        ("broadcast-indices", lambda a: np.take_along_axis(a, onp.array([[[1], [0], [3]]]), axis=2), (B,)),
        ("axis=None", lambda a: np.take_along_axis(a, onp.array([3, 3, 11, 0]), axis=None), (A,)),
        ("complex", lambda a: np.take_along_axis(a, _ALONG, axis=1), (Z,)),
    ],
    "choose": [
        ("list-broadcast", lambda x, y, z: np.choose(onp.array([[0, 2, 1, 0], [2, 2, 0, 1]]), [x, y, z]),
         (rand(2, 4, seed=26), rand(4, seed=27), rand(1, 4, seed=28))),
        ("stacked", lambda c: np.choose(onp.array([0, 2, 1, 2]), c), (rand(3, 4, seed=26),)),
        ("stacked-broadcast", lambda c: np.choose(onp.array([[0, 2], [1, 1]]), c), (rand(3, 2, seed=26),)),
        ("wrap", lambda x, y: np.choose(onp.array([0, 3, -1]), [x, y], mode="wrap"),
         (rand(3, seed=26), rand(3, seed=27))),
        ("clip", lambda x, y: np.choose(onp.array([5, -2, 1]), (x, y), mode="clip"),
         (rand(3, seed=26), rand(3, seed=27))),
        ("complex", lambda x, y: np.choose(onp.array([1, 0, 1]), [x, y]),
         (rand(3, seed=26, complex=True), rand(3, seed=27, complex=True))),
    ],
    "extract": [
        ("2d", lambda a: np.extract(_COND, a), (A,)),
        ("shorter-condition", lambda a: np.extract(onp.array([0, 1, 1, 0, 1]), a), (A,)),
        ("complex", lambda a: np.extract(_COND, a), (Z,)),
    ],
    "compress": [
        ("axis=0", lambda a: np.compress([True, False, True], a, axis=0), (A,)),
        ("axis=1-shorter", lambda a: np.compress([False, True, True], a, axis=1), (B,)),
        ("axis=None", lambda a: np.compress([1, 0, 0, 1, 1, 0, 1], a), (A,)),
        ("complex", lambda a: np.compress([True, False, True, True], a, axis=-1), (Z,)),
    ],
    "put": [
        ("unique", _put([5, 0, 11]), (A, rand(3, seed=29))),
        ("repeated-last-wins", _put([5, 0, 5, 7]), (A, rand(4, seed=29))),
        ("values-repeated", _put([1, 2, 3, 4, 9]), (A, rand(2, seed=29))),
        ("2d-values-wrap", _put(onp.array([[13, -1], [2, 3]]), mode="wrap"), (A, rand(2, 2, seed=29))),
        ("clip", _put([20, -4], mode="clip"), (A, rand(2, seed=29))),
        ("complex", _put([3, 1]), (Z, rand(2, seed=29, complex=True))),
    ],
    "put_along_axis": [
        ("axis=1", _put_along(_ALONG, 1), (A, rand(3, 3, seed=30))),
        ("axis=0-broadcast-values", _put_along(onp.array([[2, 0, 1, 1]]), 0), (A, rand(1, 1, seed=30))),
        ("repeated-last-wins", _put_along(onp.array([[1, 1], [0, 3], [2, 2]]), 1), (A, rand(3, 2, seed=30))),
        ("axis=None", _put_along(onp.array([7, 1, 7]), None), (A, rand(3, seed=30))),
        ("complex", _put_along(_ALONG, -1), (Z, rand(3, 3, seed=30, complex=True))),
    ],
}
SPECS = [Case(op, fn, args, label) for op, rows in TABLE.items() for label, fn, args in rows]
