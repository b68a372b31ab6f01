"""Gradient specs for the shape-manipulation primitives and the composites built on them."""
import warnings

import numpy as onp

import npflow as np
from gradspecs import Case, rand

V = rand(5, seed=20)
M = rand(3, 4, seed=21)
T3 = rand(2, 3, 4, seed=22)
Z = rand(3, 4, seed=23, complex=True)

SPECS = [
    Case("reshape", lambda x: np.reshape(x, (2, 6)), (M,)),
    Case("reshape", lambda x: np.reshape(x, (6, -1), order="F"), (M,), "order-F"),
    Case("reshape", lambda x: x.reshape(4, 3), (Z,), "complex"),
    Case("reshape", lambda x: np.expand_dims(x, (0, 2)), (M,), "expand_dims"),
    Case("reshape", lambda x: np.squeeze(x[None, :, None]), (V,), "squeeze"),
    Case("reshape", lambda x: np.atleast_3d(x) * 2, (V,), "atleast_3d"),
    Case("ravel", np.ravel, (M,)),
    Case("ravel", lambda x: np.ravel(x, order="F"), (T3,), "order-F"),
    Case("ravel", lambda x: np.ravel(x, order="A"), (V,), "1d-order-A"),
    Case("ravel", lambda x: x.flatten(), (Z,), "complex"),
    Case("transpose", np.transpose, (M,)),
    Case("transpose", lambda x: np.transpose(x, (2, 0, 1)), (T3,), "axes"),
    Case("transpose", lambda x: np.moveaxis(x, 0, -1), (T3,), "moveaxis"),
    Case("transpose", lambda x: np.swapaxes(x, 0, 2), (T3,), "swapaxes"),
    Case("transpose", lambda x: x.mT, (Z,), "complex-mT"),
    Case("transpose", lambda x: np.rot90(x), (M,), "rot90"),
    Case("broadcast_to", lambda x: np.broadcast_to(x, (3, 5)), (V,)),
    Case("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), (M[:, :1],), "middle"),
    Case("broadcast_arrays", lambda x, y: np.broadcast_arrays(x, y), (V, rand(3, 1, seed=24))),
    Case("broadcast_arrays", lambda x, y, z: np.broadcast_arrays(x, y, z), (M[:1], M, Z[:, :1]),
         "full-shape-complex"),
    Case("broadcast_to", lambda x: np.tile(x, (2, 1, 3)), (M,), "tile"),
    Case("concatenate", lambda x, y: np.concatenate([x, y]), (M, rand(2, 4, seed=25))),
    Case("concatenate", lambda x, y: np.concatenate((x, y), axis=-1), (M, rand(3, 2, seed=25)),
         "axis-1"),
    Case("concatenate", lambda x, y: np.concatenate([x, y], axis=None), (M, V), "axis-None"),
    Case("concatenate", lambda x: np.concatenate([x, onp.ones((1, 4)), x]), (M,), "foreign"),
    Case("concatenate", lambda x, y: np.concatenate([x, y], axis=1), (Z, Z[:, :2] * 1j), "complex"),
    Case("concatenate", lambda x, y: np.stack([x, y], axis=1), (M, rand(3, 4, seed=26)), "stack"),
    Case("concatenate", lambda x, y: np.vstack([x, y]), (V, V[::-1]), "vstack"),
    Case("concatenate", lambda x, y: np.hstack([x, y]), (V, M[0]), "hstack"),
    Case("concatenate", lambda x, y: np.dstack([x, y]), (M, M.T.copy().T), "dstack"),
    Case("concatenate", lambda x, y: np.column_stack([x, y]), (V, rand(5, 2, seed=27)),
         "column_stack"),
    Case("getitem", lambda x: np.split(x, [1, 3], axis=1), (M,), "split"),
    Case("getitem", lambda x: np.array_split(x, 3), (V,), "array_split"),
    Case("getitem", lambda x: np.hsplit(x, 2), (M,), "hsplit"),
    Case("getitem", lambda x: np.flip(x, (0, 2)), (T3,), "flip"),
    Case("getitem", lambda x: np.fliplr(x) + np.flipud(x), (M,), "fliplr-flipud"),
    Case("getitem", lambda x: np.unstack(x, axis=1), (M,), "unstack"),
    Case("repeat", lambda x: np.repeat(x, 3), (M,)),
    Case("repeat", lambda x: np.repeat(x, 2, axis=1), (T3,), "axis"),
    Case("repeat", lambda x: np.repeat(x, [2, 0, 1], axis=0), (M,), "counts"),
    Case("repeat", lambda x: x.repeat(onp.array([1, 3, 0, 2, 1])), (V,), "counts-flat"),
    Case("repeat", lambda x: np.repeat(x, 2, axis=-1), (Z,), "complex"),
    Case("roll", lambda x: np.roll(x, 2), (M,)),
    Case("roll", lambda x: np.roll(x, (1, -2), axis=(0, 2)), (T3,), "axes"),
    Case("roll", lambda x: np.roll(x, -1, axis=1), (Z,), "complex"),
    Case("pad", lambda x: np.pad(x, 2), (V,)),
    Case("pad", lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=5.0), (M,), "constant"),
    Case("pad", lambda x: np.pad(x, ((2, 1), (3, 2)), mode="edge"), (M,), "edge"),
    Case("pad", lambda x: np.pad(x, ((2, 7), (3, 1)), mode="reflect"), (M,), "reflect"),
    Case("pad", lambda x: np.pad(x, (4, 6), mode="symmetric"), (M,), "symmetric"),
    Case("pad", lambda x: np.pad(x, ((0, 1), (5, 2), (1, 9)), mode="wrap"), (T3,), "wrap"),
    Case("pad", lambda x: np.pad(x, ((2, 6), (3, 1)), mode="reflect", reflect_type="odd"), (M,),
         "reflect-odd"),
    Case("pad", lambda x: np.pad(x, 3, mode="symmetric", reflect_type="odd"), (V,), "symmetric-odd"),
    Case("pad", lambda x: np.pad(x, ((1, 2), (2, 1)), mode="mean"), (M,), "mean"),
    Case("pad", lambda x: np.pad(x, 2, mode="mean", stat_length=((1, 2), (3, 2))), (M,),
         "mean-stat_length"),
    Case("pad", lambda x: np.pad(x, ((3, 1), (2, 2)), mode="linear_ramp", end_values=(1.0, -2.0)),
         (M,), "linear_ramp"),
    Case("pad", lambda x: np.pad(x, {-1: (2, 1)}, mode="symmetric"), (M,), "dict-widths"),
    Case("pad", lambda x: np.pad(x, 1, mode="reflect"), (Z,), "complex"),
    # 'empty' pads with uninitialised values (constants): the checked part is what x fills
    Case("pad", lambda x: np.pad(x, ((1, 2), (2, 1)), mode="empty")[1:4, 2:6], (M,), "empty"),
    # statistic modes: each axis in turn, padded with a statistic of the original part of each fibre
    Case("pad_statistic", lambda x: np.pad(x, 2, mode="maximum"), (M,), "maximum"),
    Case("pad_statistic", lambda x: np.pad(x, ((1, 2), (0, 3)), mode="minimum"), (M,), "minimum"),
    Case("pad_statistic", lambda x: np.pad(x, ((2, 1), (1, 3)), mode="maximum", stat_length=2), (M,),
         "maximum-stat_length"),
    Case("pad_statistic", lambda x: np.pad(x, ((1, 2), (2, 1)), mode="median"), (M,), "median"),
    Case("pad_statistic", lambda x: np.pad(x, ((1, 2), (2, 1)), mode="median",
                                           stat_length=((2, 3), (1, 2))), (M,), "median-stat_length"),
    Case("pad_statistic", lambda x: np.pad(x, ((0, 1), (1, 0), (2, 2)), mode="minimum",
                                           stat_length=((1, 2), (2, 1), (3, 3))), (T3,), "3d"),
    Case("pad_statistic", lambda x: np.pad(x, {-1: (2, 1)}, mode="median"), (T3,), "dict-widths"),
    Case("pad_statistic", lambda x: np.pad(x, 2, mode="maximum"), (Z,), "complex"),
]


def _written(write):
    """A functional form of an in-place function: ``write`` applied to a copy, which is returned."""
    def f(x, *rest):
        y = x.copy()
        write(y, *rest)
        return y
    return f


def _quietly(fn, *args):
    """``fn(*args)`` with its DeprecationWarning silenced (row_stack is deprecated, still checked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args)


MASK = M > 0
SPECS += [
    # the public composites, each by its own name
    Case("np.array_split", lambda x: np.array_split(x, 3, axis=1), (M,)),
    Case("np.atleast_1d", lambda x, y: np.atleast_1d(x, y), (rand(), V)),
    Case("np.atleast_2d", lambda x: np.atleast_2d(x), (V,)),
    Case("np.atleast_3d", lambda x: np.atleast_3d(x), (M,)),
    Case("np.broadcast_arrays", lambda x, y: np.broadcast_arrays(x, y), (V, rand(3, 1, seed=24))),
    Case("np.column_stack", lambda x, y: np.column_stack([x, y]), (V, rand(5, 2, seed=27))),
    Case("np.dsplit", lambda x: np.dsplit(x, [1, 3]), (T3,)),
    Case("np.dstack", lambda x, y: np.dstack([x, y]), (V, V[::-1].copy())),
    Case("np.expand_dims", lambda x: np.expand_dims(x, (0, -1)), (M,)),
    Case("np.flip", lambda x: np.flip(x), (T3,)),
    Case("np.fliplr", np.fliplr, (Z,), "complex"),
    Case("np.flipud", np.flipud, (M,)),
    Case("np.hsplit", lambda x: np.hsplit(x, [1]), (M,)),
    Case("np.hstack", lambda x, y: np.hstack([x, y]), (M, rand(3, 2, seed=28))),
    Case("np.moveaxis", lambda x: np.moveaxis(x, (0, 1), (2, 0)), (T3,)),
    Case("np.matrix_transpose", np.matrix_transpose, (T3,)),
    Case("np.rot90", lambda x: np.rot90(x, 3, axes=(2, 0)), (T3,)),
    Case("np.row_stack", lambda x, y: _quietly(np.row_stack, [x, y]), (V, V * 2)),
    Case("np.split", lambda x: np.split(x, 2, axis=-1), (M,)),
    Case("np.squeeze", lambda x: np.squeeze(x, 1), (M[:, None],)),
    Case("np.stack", lambda x, y: np.stack([x, y], axis=-1), (M, rand(3, 4, seed=29))),
    Case("np.swapaxes", lambda x: np.swapaxes(x, -1, 0), (T3,)),
    Case("np.tile", lambda x: np.tile(x, 2), (M,)),
    Case("np.unstack", lambda x: np.unstack(x, axis=-1), (T3,)),
    Case("np.vsplit", lambda x: np.vsplit(x, [2]), (M,)),
    Case("np.vstack", lambda x, y: np.vstack([x, y]), (M, V[:4])),
    Case("np.diff", lambda x: np.diff(x, 2, axis=0, prepend=1.0), (M,)),
    Case("np.diff", lambda x: np.diff(x), (Z,), "complex"),
    # the functions added in issue 4
    Case("np.append", lambda x, y: np.append(x, y), (M, V)),
    Case("np.append", lambda x, y: np.append(x, y, axis=0), (M, rand(1, 4, seed=30)), "axis"),
    Case("np.block", lambda x, y, z: np.block([[x, y], [z]]), (M, rand(3, 2, seed=31), rand(2, 6, seed=32))),
    Case("np.block", lambda x: np.block([x, 2.0]), (V,), "scalar"),
    Case("np.delete", lambda x: np.delete(x, [0, 2], axis=1), (M,)),
    Case("np.delete", lambda x: np.delete(x, slice(1, None, 3)), (M,), "flat"),
    Case("np.insert", lambda x, y: np.insert(x, [1, 1, 3], y, axis=1), (M, rand(3, 1, seed=33))),
    Case("np.insert", lambda x, y: np.insert(x, 2, y), (V, rand(3, seed=34)), "scalar-index"),
    Case("np.insert", lambda x, y: np.insert(x, 1, y, axis=1), (Z, Z[:, 0] * 1j), "complex"),
    Case("np.resize", lambda x: np.resize(x, (3, 7)), (V,)),
    Case("np.rollaxis", lambda x: np.rollaxis(x, 2, 1), (T3,)),
    Case("np.trim_zeros", lambda x: np.trim_zeros(x * (np.abs(x) > 0.4)), (rand(8, seed=35),)),
    Case("np.select", lambda x, y: np.select([MASK, ~MASK & (M < -1)], [x, y ** 2], 0.5), (M, M[::-1])),
    Case("np.piecewise", lambda x: np.piecewise(x, [x < 0, x > 1], [np.sin, lambda v: v ** 2, 3.0]),
         (M,)),
    Case("np.apply_along_axis", lambda x: np.apply_along_axis(lambda v: np.cumsum(v) * v[0], 1, x), (M,)),
    Case("np.apply_over_axes", lambda x: np.apply_over_axes(np.sum, x ** 2, [0, 2]), (T3,)),
    Case("copyto", _written(lambda y, v: np.copyto(y, v)), (M, V[:4])),
    Case("copyto", _written(lambda y, v: np.copyto(y, v, where=MASK)), (M, rand(3, 1, seed=36)), "where"),
    Case("copyto", _written(lambda y, v: np.copyto(y, v, where=MASK)), (Z, Z[0] * 1j), "complex"),
    Case("np.place", _written(lambda y, v: np.place(y, MASK, v)), (M, rand(3, seed=37))),
    Case("np.putmask", _written(lambda y, v: np.putmask(y, MASK, v)), (M, rand(5, seed=38))),
    Case("np.fill_diagonal", _written(lambda y, v: np.fill_diagonal(y, v)), (M, rand(seed=39))),
    Case("np.fill_diagonal", _written(lambda y, v: np.fill_diagonal(y, v, wrap=True)),
         (rand(7, 3, seed=40), rand(2, seed=41)), "wrap"),
]

# sets (npflow/_numpy/sets.py): distinct values; a value shared by both operands comes from one
# variable, so a perturbation keeps it shared (the set structure stays the same)
S = rand(7, seed=42)
SPECS += [
    Case("np.intersect1d", lambda x: np.intersect1d(x, x[1:4]), (S,)),
    Case("np.intersect1d", lambda x: np.intersect1d(x[::-1], x[2:], return_indices=True)[0], (S,),
         "return_indices"),
    Case("np.intersect1d", lambda x: np.intersect1d(x[:5], x[3:], assume_unique=True), (S,), "assume_unique"),
    Case("np.setdiff1d", lambda x: np.setdiff1d(x, x[:2]), (S,)),
    Case("np.setdiff1d", lambda x, y: np.setdiff1d(x, y, assume_unique=True), (S, rand(3, seed=43)),
         "assume_unique"),
    Case("np.setxor1d", lambda x, y: np.setxor1d(np.concatenate([x, y[:2]]), y), (S, rand(4, seed=44))),
    Case("np.union1d", lambda x, y: np.union1d(x, y), (M, S)),
    Case("np.ix_", lambda x, y: np.ix_(x, y), (V, S)),
]
