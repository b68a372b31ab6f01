"""Shape manipulation against NumPy: values, dtypes, shapes, views-vs-copies, errors, devices."""
import inspect
import warnings

import numpy as onp
import pytest
from hypothesis import given, strategies as st
from numpy.exceptions import AxisError

import npflow as nf
from npflow._numpy import manipulation as M
from support import (ALL_DTYPES, SHAPES, BROADCAST, assert_same, same_outcome, make, hyp_arrays, ids,
                     raises_like_numpy, outcomes)


def test_signatures_match_numpy():
    for name in M.__all__:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name
    assert ("row_stack" in M.__all__) == hasattr(onp, "row_stack")
    assert ("unstack" in M.__all__) == hasattr(onp, "unstack")


def _each(shapes, f):
    return [((s,), f) for s in shapes]


T = lambda xp, a: xp.transpose(a)  # noqa: E731  (a non-contiguous view of a)
NONEMPTY = [s for s in SHAPES if s != ()]
# (input shapes, f(xp, *arrays)): f is run with xp = numpy and xp = npflow on the same data
CASES = [
    *_each(SHAPES, lambda xp, a: xp.reshape(a, -1)),
    (((2, 3),), lambda xp, a: xp.reshape(a, (3, 2))),
    (((2, 3),), lambda xp, a: xp.reshape(a, shape=(3, -1), order="F")),
    (((2, 3),), lambda xp, a: xp.reshape(a, (1, 6), order="A")),
    (((2, 3),), lambda xp, a: xp.reshape(T(xp, a), 6)),
    (((2, 3),), lambda xp, a: xp.reshape(T(xp, a), 6, order="F")),
    (((2, 3),), lambda xp, a: xp.reshape(a, (3, 2), copy=True)),
    (((2, 3),), lambda xp, a: xp.reshape(a, (6,), copy=False)),
    (((2, 3),), lambda xp, a: a.reshape(3, 2)),
    (((),), lambda xp, a: xp.reshape(a, (1, 1))),
    (((0, 3),), lambda xp, a: xp.reshape(a, (3, 0))),
    *_each(SHAPES, lambda xp, a: xp.ravel(a)),
    *[(((2, 3),), lambda xp, a, o=o: xp.ravel(a, order=o)) for o in "CFAK"],
    *[(((2, 3),), lambda xp, a, o=o: xp.ravel(T(xp, a), order=o)) for o in "CFAK"],
    (((2, 6),), lambda xp, a: xp.ravel(a[:, ::2])),
    *_each(SHAPES, lambda xp, a: xp.transpose(a)),
    (((3, 1, 2),), lambda xp, a: xp.transpose(a, (1, 2, 0))),
    (((3, 1, 2),), lambda xp, a: xp.transpose(a, axes=[-1, 0, 1])),
    (((3, 1, 2),), lambda xp, a: xp.permute_dims(a, (2, 0, 1))),
    (((3, 1, 2),), lambda xp, a: a.T),
    *_each([(2, 3), (3, 1, 2), (0, 3)], lambda xp, a: xp.matrix_transpose(a)),
    (((3, 1, 2),), lambda xp, a: xp.moveaxis(a, 0, -1)),
    (((3, 1, 2),), lambda xp, a: xp.moveaxis(a, (0, 1), (2, 0))),
    (((3, 1, 2),), lambda xp, a: xp.moveaxis(a, [], [])),
    (((3, 1, 2),), lambda xp, a: xp.swapaxes(a, 0, 2)),
    (((3, 1, 2),), lambda xp, a: xp.swapaxes(a, -1, 1)),
    (((5,),), lambda xp, a: xp.swapaxes(a, 0, -1)),
    *_each(SHAPES, lambda xp, a: xp.expand_dims(a, 0)),
    *_each(SHAPES, lambda xp, a: xp.expand_dims(a, -1)),
    (((2, 3),), lambda xp, a: xp.expand_dims(a, (0, -1, 2))),
    (((2, 3),), lambda xp, a: xp.expand_dims(T(xp, a), 1)),
    *_each(SHAPES + [(1, 1)], lambda xp, a: xp.squeeze(a)),
    (((3, 1, 2),), lambda xp, a: xp.squeeze(a, 1)),
    (((3, 1, 2),), lambda xp, a: xp.squeeze(a, axis=(-2,))),
    (((1, 3, 1),), lambda xp, a: xp.squeeze(T(xp, a), (0, 2))),
    (((1,),), lambda xp, a: xp.squeeze(a, 0)),
    (((),), lambda xp, a: xp.broadcast_to(a, (2, 3))),
    (((3, 1, 2),), lambda xp, a: xp.broadcast_to(a, (4, 3, 5, 2))),
    (((0,),), lambda xp, a: xp.broadcast_to(a, (2, 0))),
    (((1,),), lambda xp, a: xp.broadcast_to(a, 5)),
    *[((s, t), lambda xp, a, b: xp.broadcast_arrays(a, b)) for s, t in BROADCAST],
    (((2, 3), (3,), ()), lambda xp, a, b, c: xp.broadcast_arrays(a, b, c)),
    (((2, 3), (4, 3)), lambda xp, a, b: xp.concatenate((a, b))),
    (((2, 3), (2, 1), (2, 0)), lambda xp, a, b, c: xp.concatenate([a, b, c], axis=-1)),
    (((2, 3), (3,)), lambda xp, a, b: xp.concatenate([a, b], axis=None)),
    (((0, 3), (2, 3)), lambda xp, a, b: xp.concat([a, b])),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.concatenate([a, b], 1, dtype=onp.complex128)),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.concatenate([a, b], dtype=onp.int8, casting="unsafe")),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.concatenate([a, b], dtype=onp.float32)),
    (((2, 3),), lambda xp, a: xp.concatenate(a)),
    (((2, 3),), lambda xp, a: xp.concatenate([a, [[1, 2, 3]]])),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.stack([a, b])),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.stack((a, b), axis=-1)),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.stack([a, b], 1, dtype=onp.float64)),
    (((), ()), lambda xp, a, b: xp.stack([a, b])),
    (((0,), (0,)), lambda xp, a, b: xp.stack([a, b], axis=1)),
    *[(ss, lambda xp, *a: xp.vstack(a)) for ss in [((3,), (3,)), ((2, 3), (3,)), ((), ())]],
    *[(ss, lambda xp, *a: xp.hstack(a)) for ss in [((3,), (2,)), ((2, 3), (2, 1)), ((), ())]],
    *[(ss, lambda xp, *a: xp.dstack(a)) for ss in [((3,), (3,)), ((2, 3), (2, 3)), ((), ())]],
    *[(ss, lambda xp, *a: xp.column_stack(a)) for ss in [((3,), (3,)), ((3,), (3, 2)), ((), ())]],
    (((2, 3), (3,)), lambda xp, a, b: xp.vstack([a, b], dtype=onp.complex64)),
    (((6,),), lambda xp, a: xp.split(a, 3)),
    (((6,),), lambda xp, a: xp.split(a, [1, 4])),
    (((6,),), lambda xp, a: xp.split(a, [4, 1, -1, 9])),
    (((6,),), lambda xp, a: xp.split(a, onp.array([2, 3]))),
    (((2, 6),), lambda xp, a: xp.split(a, 2, axis=1)),
    (((2, 6),), lambda xp, a: xp.split(a, [1], axis=-1)),
    (((0, 3),), lambda xp, a: xp.split(a, 2)),
    (((7,),), lambda xp, a: xp.array_split(a, 3)),
    (((2, 5),), lambda xp, a: xp.array_split(a, 4, axis=1)),
    (((2, 5),), lambda xp, a: xp.array_split(a, 7, axis=-1)),
    (((2, 6),), lambda xp, a: xp.hsplit(a, 3)),
    (((6,),), lambda xp, a: xp.hsplit(a, [2])),
    (((4, 2),), lambda xp, a: xp.vsplit(a, 2)),
    (((2, 2, 4),), lambda xp, a: xp.dsplit(a, [1, 3])),
    *_each(SHAPES, lambda xp, a: xp.tile(a, 2)),
    *_each(SHAPES, lambda xp, a: xp.tile(a, (2, 1, 3))),
    (((2, 3),), lambda xp, a: xp.tile(a, (0, 2))),
    (((2, 3),), lambda xp, a: xp.tile(a, (1, 1))),
    (((3, 1, 2),), lambda xp, a: xp.tile(T(xp, a), [2, 1])),
    (((),), lambda xp, a: xp.tile(a, ())),
    *[((s,), lambda xp, a, r=r: xp.tile(a, r)) for s, r in [  # negative reps: fine on empty axes only
        ((0,), -1), ((0, 3), (-1, 1)), ((2, 0), (1, -1)), ((0,), (2, -1)), ((2, 0, 3), (2, -1, 1)),
        ((0, 3), (1, -2)), ((2, 0), (-1, 1)), ((3,), (0, -1)), ((), -1), ((2, 3), (-1, 0))]],
    *_each(SHAPES, lambda xp, a: xp.repeat(a, 2)),
    (((2, 3),), lambda xp, a: xp.repeat(a, [1, 2], axis=0)),
    (((2, 3),), lambda xp, a: xp.repeat(a, 3, axis=-1)),
    (((2, 3),), lambda xp, a: a.repeat(0)),
    *_each(SHAPES, lambda xp, a: xp.flip(a)),
    (((3, 1, 2),), lambda xp, a: xp.flip(a, 0)),
    (((3, 1, 2),), lambda xp, a: xp.flip(a, (0, -1))),
    (((2, 3),), lambda xp, a: xp.fliplr(a)),
    *_each([(5,), (2, 3), (0, 3)], lambda xp, a: xp.flipud(a)),
    *_each(SHAPES, lambda xp, a: xp.roll(a, 1)),
    (((2, 3),), lambda xp, a: xp.roll(a, -4)),
    (((2, 3),), lambda xp, a: xp.roll(a, 1, axis=1)),
    (((2, 3),), lambda xp, a: xp.roll(a, (1, 2), axis=(0, 1))),
    (((2, 3),), lambda xp, a: xp.roll(a, (1, 1), axis=(1, 1))),
    (((2, 3),), lambda xp, a: xp.roll(a, 7, axis=-2)),
    *[(((2, 3),), lambda xp, a, k=k: xp.rot90(a, k)) for k in (-1, 0, 1, 2, 3, 4)],
    (((3, 1, 2),), lambda xp, a: xp.rot90(a, 1, (2, 0))),
    (((3, 1, 2),), lambda xp, a: xp.rot90(a, axes=(-1, 1))),
    *_each(SHAPES, lambda xp, a: xp.atleast_1d(a)),
    *_each(SHAPES, lambda xp, a: xp.atleast_2d(a)),
    *_each(SHAPES, lambda xp, a: xp.atleast_3d(a)),
    (((), (3,), (2, 3)), lambda xp, *a: xp.atleast_3d(*a)),
    (((), (3,)), lambda xp, *a: xp.atleast_2d(*a)),
    *_each(NONEMPTY, lambda xp, a: xp.unstack(a)),
    (((3, 1, 2),), lambda xp, a: xp.unstack(a, axis=-1)),
    # issue 4: append ... apply_over_axes
    *_each(SHAPES, lambda xp, a: xp.append(a, a)),
    (((2, 3), (1, 3)), lambda xp, a, b: xp.append(a, b, axis=0)),
    (((2, 3), (2, 1)), lambda xp, a, b: xp.append(a, b, axis=-1)),
    (((2, 3),), lambda xp, a: xp.append(a, [1, 2])),
    (((2, 3), (3,)), lambda xp, a, b: xp.append(a, b, axis=0)),
    (((2, 3), (2, 1)), lambda xp, a, b: xp.block([a, b])),
    (((2, 3), (2, 1), (1, 4)), lambda xp, a, b, c: xp.block([[a, b], [c]])),
    (((3,), ()), lambda xp, a, b: xp.block([[a], [b, b, b]])),
    (((2, 3),), lambda xp, a: xp.block(a)),
    (((2, 3),), lambda xp, a: xp.block([[[a]]])),
    (((2, 3), (3,)), lambda xp, a, b: xp.block([[a], [b]])),
    *_each(SHAPES, lambda xp, a: xp.delete(a, 0)),
    (((2, 3),), lambda xp, a: xp.delete(a, [0, -1], axis=1)),
    (((2, 3),), lambda xp, a: xp.delete(a, slice(None, None, 2))),
    (((2, 3),), lambda xp, a: xp.delete(a, onp.array([True, False]), axis=0)),
    (((2, 3),), lambda xp, a: xp.delete(a, [], axis=1)),
    (((2, 3),), lambda xp, a: xp.delete(a, 3, axis=1)),
    *_each(SHAPES, lambda xp, a: xp.insert(a, 0, 1)),
    (((2, 3),), lambda xp, a: xp.insert(a, 1, [5, 6], axis=0)),
    (((2, 3),), lambda xp, a: xp.insert(a, [1], [[5], [6]], axis=1)),
    (((2, 3),), lambda xp, a: xp.insert(a, 1, [5, 6], axis=1)),
    (((2, 3), (2, 3)), lambda xp, a, b: xp.insert(a, [0, 3, 3], b[:, :1], axis=1)),
    (((5,),), lambda xp, a: xp.insert(a, slice(1, 4), [1, 0, 1])),
    (((5,),), lambda xp, a: xp.insert(a, onp.array([True, False, False, True, False]), 1)),
    (((5,),), lambda xp, a: xp.insert(a, [], [])),
    (((5,),), lambda xp, a: xp.insert(a, 6, 1)),
    *_each(SHAPES, lambda xp, a: xp.resize(a, (2, 4))),
    (((2, 3),), lambda xp, a: xp.resize(a, 0)),
    (((2, 3),), lambda xp, a: xp.resize(a, (3, -1))),
    (((3, 1, 2),), lambda xp, a: xp.rollaxis(a, 2)),
    (((3, 1, 2),), lambda xp, a: xp.rollaxis(a, 0, 3)),
    (((3, 1, 2),), lambda xp, a: xp.rollaxis(a, -1, 1)),
    (((3, 1, 2),), lambda xp, a: xp.rollaxis(a, 1, 1)),
    (((3, 1, 2),), lambda xp, a: xp.rollaxis(a, 1, 4)),
    *_each(SHAPES, lambda xp, a: xp.trim_zeros(a)),
    *[(((7,),), lambda xp, a, t=t: xp.trim_zeros(a * (a != a[3]), t)) for t in ("f", "b", "fb", "BF", "x")],
    (((4, 5),), lambda xp, a: xp.trim_zeros(xp.pad(a, 1))),
    (((4, 5),), lambda xp, a: xp.trim_zeros(xp.pad(a, 1), axis=-1)),
    (((5,),), lambda xp, a: xp.trim_zeros(xp.pad(xp.where(a < 0, None, a), 1))),  # object: None is kept
    *_each(SHAPES, lambda xp, a: xp.packbits(a)),
    (((3, 9),), lambda xp, a: xp.packbits(a, axis=1, bitorder="little")),
    *_each(SHAPES, lambda xp, a: xp.unpackbits(a)),
    (((2, 3),), lambda xp, a: xp.unpackbits(a, axis=0, count=-3, bitorder="little")),
    (((2, 3),), lambda xp, a: xp.unpackbits(a, count=30)),
    *_each(SHAPES, lambda xp, a: xp.select([a != 0], [a])),
    (((2, 3), (3,)), lambda xp, a, b: xp.select([a != 0, b != 0], [a, b], default=1)),
    (((2, 3), (3,)), lambda xp, a, b: xp.select([b != 0, a != 0], [1.5, b], default=a)),
    (((2, 3),), lambda xp, a: xp.select([a != 0], [a], default="x")),
    (((2, 3),), lambda xp, a: xp.select([a], [a])),
    *_each(SHAPES, lambda xp, a: xp.piecewise(a, [a != 0], [lambda v: v * 2, 1])),
    (((2, 3),), lambda xp, a: xp.piecewise(a, [a != 0, a == 1], [lambda v: -v, 2, 3])),
    (((),), lambda xp, a: xp.piecewise(a, [True, False], [lambda v: v + 1, 0])),
    (((),), lambda xp, a: xp.piecewise(a, a > 0, [lambda v: v * 2, 7])),  # a 0-d condition (NumPy: a scalar)
    (((),), lambda xp, a: xp.piecewise(a, [a > 0, a < 5], [1, 2])),
    (((),), lambda xp, a: xp.piecewise(a, True, [lambda v: v * 2])),
    (((2, 3),), lambda xp, a: xp.piecewise(a, a != 0, [0])),
    (((2, 3),), lambda xp, a: xp.apply_along_axis(lambda v: v[::-1], 1, a)),
    (((2, 3),), lambda xp, a: xp.apply_along_axis(xp.sum, 0, a)),
    (((3, 1, 2),), lambda xp, a: xp.apply_along_axis(lambda v: xp.stack([v, v]), -1, a)),
    (((3, 1, 2),), lambda xp, a: xp.apply_along_axis(lambda v: v[0], 0, a)),
    (((0, 3),), lambda xp, a: xp.apply_along_axis(xp.sum, 1, a)),
    (((3, 1, 2),), lambda xp, a: xp.apply_over_axes(xp.sum, a, [0, 2])),
    (((3, 1, 2),), lambda xp, a: xp.apply_over_axes(xp.cumsum, a, -1)),
]
CASE_IDS = [f"{i}-{f.__code__.co_names[0]}" for i, (_, f) in enumerate(CASES)]


def _flat(r):
    return [e for x in r for e in _flat(x)] if isinstance(r, (list, tuple)) else [r]


def check(shapes, f, dtype, device="cpu"):
    """``f`` on NumPy and npflow data: same result or exception, views exactly where NumPy's are."""
    xs = [onp.asarray(make(s, dtype, seed=i)) for i, s in enumerate(shapes)]
    ys = [nf.asarray(x.copy(), device=device) for x in xs]
    res = outcomes(lambda m: f(m, *(ys if m is nf else xs)))
    if res is None:
        return
    got, expected = res
    assert_same(got, expected)
    assert type(got) is type(expected) or isinstance(expected, (onp.ndarray, onp.generic))
    for g, e in zip(_flat(got), _flat(expected)):
        assert g.device == nf.Device(device)
        for x, y in zip(xs, ys):
            view = onp.shares_memory(y._data, g._data)  # the backend arrays ("sim" is NumPy-backed)
            assert view == onp.shares_memory(x, e), "a view where NumPy copies" if view else \
                "a copy where NumPy gives a view"


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shapes, f", CASES, ids=CASE_IDS)
def test_matches_numpy(shapes, f, dtype):
    check(shapes, f, dtype)


@pytest.mark.parametrize("shapes, f", CASES, ids=CASE_IDS)
def test_stays_on_device(shapes, f):
    check(shapes, f, onp.float32, device="sim")


def test_views_where_numpy_has_views():
    """The brief's list of views, checked directly (not only relative to NumPy)."""
    a = nf.asarray(make((2, 3, 4), onp.float64))
    views = [nf.reshape(a, (6, 4)), nf.ravel(a), nf.transpose(a), nf.swapaxes(a, 0, 1),
             nf.moveaxis(a, 0, 2), nf.expand_dims(a, 1), nf.squeeze(a[:1]), nf.flip(a, 1),
             nf.broadcast_to(a, (5, 2, 3, 4)), *nf.split(a, 2, axis=2), nf.matrix_transpose(a)]
    copies = [nf.reshape(nf.transpose(a), 24), nf.tile(a, 1), nf.repeat(a, 1), nf.roll(a, 0),
              nf.concatenate([a]), nf.stack([a]), nf.pad(a, 0)]
    base = onp.asarray(a)
    assert all(onp.shares_memory(base, onp.asarray(v)) for v in views)
    assert not any(onp.shares_memory(base, onp.asarray(c)) for c in copies)


PAD = [("constant", {}), ("constant", dict(constant_values=(1, 2))), ("edge", {}),
       ("reflect", {}), ("reflect", dict(reflect_type="odd")), ("symmetric", {}), ("wrap", {}),
       ("linear_ramp", dict(end_values=(4, -1))), ("maximum", {}), ("minimum", dict(stat_length=1)),
       ("mean", {}), ("median", dict(stat_length=(1, 2))), ("empty", {})]


@pytest.mark.parametrize("dtype", [onp.bool_, onp.int16, onp.uint8, onp.float64, onp.complex64],
                         ids=ids([onp.bool_, onp.int16, onp.uint8, onp.float64, onp.complex64]))
@pytest.mark.parametrize("mode, kw", PAD, ids=[f"{m}-{sorted(k)}" for m, k in PAD])
def test_pad(mode, kw, dtype):
    for shape, width in [((5,), 2), ((2, 3), ((1, 2), (0, 3))), ((2, 3), (1,)), ((), 0)]:
        x = make(shape, dtype)
        if mode == "empty":  # the padding is uninitialised: compare shape, dtype and the middle
            got, exp = nf.pad(nf.asarray(x), width, mode), onp.pad(x, width, mode)
            middle = onp.pad(onp.ones(x.shape, bool), width)
            assert_same(got[nf.asarray(middle)], exp[middle])
            continue
        same_outcome(lambda a: nf.pad(a, width, mode, **kw), lambda a: onp.pad(a, width, mode, **kw), x)


def test_pad_empty_mode_derivative():
    """'empty' pads with uninitialised values, constants: the derivative reaches the middle only."""
    x = nf.asarray(make((2, 3), onp.float64))
    f = lambda a: nf.pad(a, ((1, 0), (2, 1)), mode="empty")  # noqa: E731
    y, back = nf.vjp(f, x)
    g = make(y.shape, onp.float64, seed=3)
    assert_same(back(nf.asarray(g))[0], g[1:, 2:-1])
    t = nf.jvp(f, (x,), (nf.ones_like(x),))[1]
    assert_same(t, onp.pad(onp.ones((2, 3)), ((1, 0), (2, 1))))


def test_pad_statistic_modes_derivative():
    """maximum/minimum/median: the chosen elements (ties share, as max's rule); the corners are
    statistics of the padded rows, as NumPy pads axis after axis."""
    x = nf.asarray([1.0, 3.0, 3.0, 2.0])
    assert_same(nf.grad(lambda a: nf.sum(nf.pad(a, 2, mode="maximum")))(x), onp.array([1.0, 3, 3, 1]))
    assert_same(nf.grad(lambda a: nf.sum(nf.pad(a, (2, 0), mode="median", stat_length=3)))(
        nf.asarray([1.0, 4.0, 3.0, 2.0])), onp.array([1.0, 1, 3, 1]))  # the median of (1, 4, 3)
    m = nf.asarray([[1.0, 4.0], [3.0, 2.0]])
    assert_same(nf.grad(lambda a: nf.pad(a, 1, mode="minimum")[0, 0])(m), onp.array([[1.0, 0], [0, 0]]))


def test_pad_function_mode_refused_when_differentiated():
    """A Python function as mode has no derivative: refused when recorded, fine otherwise."""
    def ones(vector, width, axis, kwargs):
        vector[:width[0]] = 1
        vector[vector.size - width[1]:] = 1
    x = make((2, 3), onp.float64)
    assert_same(nf.pad(nf.asarray(x), 1, ones), onp.pad(x, 1, ones))
    recorded = []
    def f(a):
        recorded.append(True)
        return nf.sum(nf.pad(a, 1, ones))
    with pytest.raises(nf.autodiff.AutodiffError, match="pad"):
        nf.vjp(f, nf.asarray(x))
    assert recorded


def test_concatenate_out_and_casting():
    a, b = make((2, 3), onp.int32), make((1, 3), onp.int32, seed=1)
    out = nf.asarray(onp.zeros((3, 3), onp.float64))
    r = nf.concatenate([nf.asarray(a), nf.asarray(b)], out=out)
    assert r is out
    assert_same(out, onp.concatenate([a, b]).astype(onp.float64))
    out = nf.asarray(onp.zeros((2, 2, 3), onp.int64))
    assert nf.stack([nf.asarray(a), nf.asarray(a)], out=out) is out
    assert_same(out, onp.stack([a, a]).astype(onp.int64))
    # mixed dtypes promote as NumPy; casting rules as NumPy
    same_outcome(lambda x, y: nf.concatenate([x, y]), lambda x, y: onp.concatenate([x, y]),
                 a, make((1, 3), onp.float32))
    same_outcome(lambda x, y: nf.hstack([x, y]), lambda x, y: onp.hstack([x, y]),
                 make((3,), onp.uint8), make((2,), onp.int8))
    same_outcome(lambda x: nf.concatenate([x, x], dtype=onp.int8), lambda x: onp.concatenate(
        [x, x], dtype=onp.int8), make((2,), onp.float64))  # TypeError under same_kind


def test_reshape_copy_argument():
    a = nf.asarray(make((2, 3), onp.float64))
    r = nf.reshape(a, 6, copy=True)
    assert not onp.shares_memory(onp.asarray(a), onp.asarray(r))
    assert onp.shares_memory(onp.asarray(a), onp.asarray(nf.reshape(a, (3, 2), copy=False)))
    with pytest.raises(TypeError):
        nf.reshape(a, newshape=(6,))  # removed in NumPy 2.4, as there
    assert_same(nf.reshape(make((2, 3), onp.int8), (3, 2)), onp.reshape(make((2, 3), onp.int8), (3, 2)))


def test_numpy_and_list_inputs():
    x = make((2, 3), onp.float64)
    r = nf.transpose(x)
    assert isinstance(r, nf.ndarray) and onp.shares_memory(x, onp.asarray(r))
    assert_same(nf.stack([[1, 2], [3, 4]]), onp.stack([[1, 2], [3, 4]]))
    assert_same(nf.broadcast_to(5, (2,)), onp.broadcast_to(5, (2,)))
    assert_same(nf.hstack([1, 2.5]), onp.hstack([1, 2.5]))
    assert nf.broadcast_arrays() == onp.broadcast_arrays() == ()
    assert type(nf.split(x, 2)) is list


def test_broadcast_arrays_as_numpy():
    """NumPy 2: arrays of the common shape come back as they are; the others as views, writeable
    where the input is (a write warns, DeprecationWarning, and goes to every aliased element)."""
    for shapes in [((3,), (2, 3)), ((2, 1), (1, 3), ()), ((2, 3), (2, 3))]:
        for writeable in (True, False):
            xs = [make(s, onp.float64, seed=i) for i, s in enumerate(shapes)]
            for x in xs:
                x.flags.writeable = writeable
            ys = [nf.asarray(x) for x in xs]
            got, expected = nf.broadcast_arrays(*ys), onp.broadcast_arrays(*xs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # NumPy's, on reading the flag
                for x, y, g, e in zip(xs, ys, got, expected):
                    assert (g is y) == (e is x)
                    assert onp.asarray(g).flags.writeable == e.flags.writeable
    a, b = nf.broadcast_arrays(nf.zeros(3), nf.zeros((2, 3)))
    with pytest.warns(DeprecationWarning, match="broadcast_arrays"):
        a[0, 0] = 5.0
    assert_same(a, onp.array([[5.0, 0, 0], [5.0, 0, 0]]))


def test_broadcast_arrays_write_under_differentiation_raises():
    """A write into a broadcast view would change aliased elements a functional update misses."""
    def f(x):
        a, _ = nf.broadcast_arrays(x, nf.ones((2, 1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            a[0, 0] = 3.0
        return nf.sum(a)
    with pytest.raises(nf.autodiff.AutodiffError, match="view"):
        nf.grad(f)(nf.asarray([1.0, 2.0, 3.0]))


def test_broadcast_shapes():
    for shapes in [(), ((),), ((2, 3), (3,)), ((1, 0), (4, 1)), (5, (2, 1)), ((3, 1, 2), (4, 1), ())]:
        r = nf.broadcast_shapes(*shapes)
        assert r == onp.broadcast_shapes(*shapes) and all(type(d) is int for d in r)


@pytest.mark.skipif(not hasattr(onp, "row_stack"), reason="NumPy removed row_stack")
def test_row_stack_deprecated():
    with pytest.warns(DeprecationWarning, match="row_stack"):
        r = nf.row_stack([[1, 2], [3, 4]])
    assert_same(r, onp.vstack([[1, 2], [3, 4]]))


A23, A3 = onp.ones((2, 3)), onp.ones(3)
# (name expected in the message, f(xp)): NumPy raises; npflow raises the same type, naming the function
ERRORS = [
    ("reshape", lambda xp: xp.reshape(A23, (4,))),
    ("reshape", lambda xp: xp.reshape(xp.transpose(A23), 6, copy=False)),
    ("transpose", lambda xp: xp.transpose(A23, (0, 2))),
    ("transpose", lambda xp: xp.transpose(A23, (0, 0))),
    ("transpose", lambda xp: xp.transpose(A23, (0,))),
    ("swapaxes", lambda xp: xp.swapaxes(A23, 0, 2)),
    ("matrix_transpose", lambda xp: xp.matrix_transpose(A3)),
    ("moveaxis", lambda xp: xp.moveaxis(A23, 0, -3)),
    ("moveaxis", lambda xp: xp.moveaxis(A23, (0, 1), 0)),
    ("moveaxis", lambda xp: xp.moveaxis(A23, (0, 0), (0, 1))),
    ("expand_dims", lambda xp: xp.expand_dims(A23, 3)),
    ("expand_dims", lambda xp: xp.expand_dims(A23, (0, 0))),
    ("squeeze", lambda xp: xp.squeeze(A23, 0)),
    ("squeeze", lambda xp: xp.squeeze(A23, -3)),
    ("broadcast_to", lambda xp: xp.broadcast_to(A23, (3, 3))),
    ("broadcast_shapes", lambda xp: xp.broadcast_shapes((2,), (3,))),
    ("broadcast_shapes", lambda xp: xp.broadcast_shapes(-1)),
    ("broadcast_arrays", lambda xp: xp.broadcast_arrays(A23, onp.ones(2))),
    ("concatenate", lambda xp: xp.concatenate([A23, A3])),
    ("concatenate", lambda xp: xp.concatenate([A23, onp.ones((2, 2))])),
    ("concatenate", lambda xp: xp.concatenate([])),
    ("concatenate", lambda xp: xp.concatenate([A23, A23], axis=2)),
    ("concatenate", lambda xp: xp.concatenate([onp.ones(()), onp.ones(())])),
    ("concatenate", lambda xp: xp.concatenate(x for x in [A3])),
    ("concatenate", lambda xp: xp.concatenate([A23], out=xp.asarray(onp.ones((3, 3))))),
    ("stack", lambda xp: xp.stack([A23, A3])),
    ("stack", lambda xp: xp.stack([])),
    ("stack", lambda xp: xp.stack([A3, A3], axis=2)),
    ("stack", lambda xp: xp.stack(x for x in [A3])),
    ("vstack", lambda xp: xp.vstack(x for x in [A3])),
    ("split", lambda xp: xp.split(A3, 2)),
    ("split", lambda xp: xp.split(A3, 3, axis=1)),
    ("array_split", lambda xp: xp.array_split(A3, 0)),
    ("hsplit", lambda xp: xp.hsplit(onp.ones(()), 1)),
    ("vsplit", lambda xp: xp.vsplit(A3, 1)),
    ("dsplit", lambda xp: xp.dsplit(A23, 1)),
    ("tile", lambda xp: xp.tile(A3, -1)),
    ("repeat", lambda xp: xp.repeat(A3, -1)),
    ("repeat", lambda xp: xp.repeat(A3, [1, 2])),
    ("flip", lambda xp: xp.flip(A23, 2)),
    ("fliplr", lambda xp: xp.fliplr(A3)),
    ("flipud", lambda xp: xp.flipud(onp.ones(()))),
    ("roll", lambda xp: xp.roll(A23, 1, axis=2)),
    ("roll", lambda xp: xp.roll(A23, (1, 2, 3), axis=(0, 1))),
    ("rot90", lambda xp: xp.rot90(A23, axes=(0, 0))),
    ("rot90", lambda xp: xp.rot90(A23, axes=(0,))),
    ("rot90", lambda xp: xp.rot90(A23, axes=(0, 2))),
    ("pad", lambda xp: xp.pad(A3, 1, mode="nope")),
    ("pad", lambda xp: xp.pad(A3, -1)),
    ("unstack", lambda xp: xp.unstack(onp.ones(()))),
    ("unstack", lambda xp: xp.unstack(A23, axis=2)),
    ("append", lambda xp: xp.append(A23, A3, axis=0)),
    ("append", lambda xp: xp.append(A23, A23, axis=2)),
    ("block", lambda xp: xp.block([A3, [A3]])),
    ("block", lambda xp: xp.block((A3, A3))),
    ("block", lambda xp: xp.block([[A3], []])),
    ("block", lambda xp: xp.block([[A23, A3]])),
    ("delete", lambda xp: xp.delete(A23, 5, axis=1)),
    ("delete", lambda xp: xp.delete(A23, 0, axis=2)),
    ("delete", lambda xp: xp.delete(A3, 1.5)),
    ("insert", lambda xp: xp.insert(A3, 7, 1)),
    ("insert", lambda xp: xp.insert(A23, 1, [1, 2], axis=0)),
    ("insert", lambda xp: xp.insert(A23, 0, 1, axis=-3)),
    ("resize", lambda xp: xp.resize(A3, (2, -1))),
    ("rollaxis", lambda xp: xp.rollaxis(A23, 0, 4)),
    ("rollaxis", lambda xp: xp.rollaxis(A23, 2)),
    ("trim_zeros", lambda xp: xp.trim_zeros(A3, "x")),
    ("trim_zeros", lambda xp: xp.trim_zeros(A3, axis=1)),
    ("packbits", lambda xp: xp.packbits(A3)),
    ("unpackbits", lambda xp: xp.unpackbits(onp.ones(3, onp.int32))),
    ("copyto", lambda xp: xp.copyto(xp.asarray(onp.zeros(3, onp.int64)), 1.5)),
    ("copyto", lambda xp: xp.copyto(xp.asarray(onp.zeros(3)), A23)),
    ("copyto", lambda xp: xp.copyto([1, 2], A3)),
    ("place", lambda xp: xp.place(xp.asarray(onp.zeros(3)), [True, False, True], [])),
    ("place", lambda xp: xp.place(xp.asarray(onp.zeros(3)), [True], [1])),
    ("place", lambda xp: xp.place([1, 2], [True, False], [3])),
    ("putmask", lambda xp: xp.putmask(xp.asarray(onp.zeros(3)), [True], [1])),
    ("fill_diagonal", lambda xp: xp.fill_diagonal(xp.asarray(A3), 1)),
    ("fill_diagonal", lambda xp: xp.fill_diagonal(xp.asarray(onp.ones((2, 2, 3))), 1)),
    ("select", lambda xp: xp.select([A3 > 0], [A3, A3])),
    ("select", lambda xp: xp.select([], [])),
    ("select", lambda xp: xp.select([A3], [A3])),
    ("piecewise", lambda xp: xp.piecewise(A3, [A3 > 0], [1, 2, 3])),
    ("apply_along_axis", lambda xp: xp.apply_along_axis(xp.sum, 1, onp.ones((0, 2)))),
    ("apply_along_axis", lambda xp: xp.apply_along_axis(xp.sum, 2, A23)),
    ("apply_over_axes", lambda xp: xp.apply_over_axes(lambda a, ax: a[0, 0], A23, 0)),
]


@pytest.mark.parametrize("name, f", ERRORS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(ERRORS)])
def test_errors(name, f):
    raises_like_numpy(name, f)


def test_axis_errors_are_axis_errors():
    for f in (lambda: nf.swapaxes(A23, 0, 2), lambda: nf.squeeze(A23, 4), lambda: nf.flip(A3, 1),
              lambda: nf.moveaxis(A23, 2, 0), lambda: nf.expand_dims(A3, -3), lambda: nf.roll(A3, 1, 1),
              lambda: nf.stack([A3], 3), lambda: nf.concatenate([A3], 1), lambda: nf.split(A3, 1, 1)):
        with pytest.raises(AxisError):
            f()


JOINS = [nf.concatenate, nf.concat, nf.stack, nf.vstack, nf.hstack, nf.dstack, nf.column_stack,
         lambda arrays: nf.broadcast_arrays(*arrays)]


@pytest.mark.parametrize("join", JOINS, ids=ids(JOINS))
def test_mixed_devices_raise(join):
    cpu, sim = nf.asarray(make((3,), onp.float64)), nf.asarray(make((3,), onp.float64), device="sim")
    for arrays in ([cpu, sim], [sim, cpu]):
        with pytest.raises(nf.DeviceMismatchError, match="different devices") as e:
            join(arrays)
        assert isinstance(e.value, ValueError)
    for host in ([1.0, 2.0, 3.0], make((3,), onp.float64)):  # lists and NumPy arrays join the arrays' device
        r = join([host, sim])
        assert all(x.device == nf.Device("sim") for x in _flat(r))


# -- hypothesis --------------------------------------------------------------------
DTYPE = st.sampled_from(ALL_DTYPES)
ARRAY = DTYPE.flatmap(lambda dt: hyp_arrays(dt, max_dims=4))


@given(ARRAY, st.data())
def test_hyp_reshape(x, data):
    shape = list(data.draw(st.permutations(x.shape)))
    if shape and data.draw(st.booleans()):
        shape[data.draw(st.integers(0, len(shape) - 1))] = -1
    shape.insert(data.draw(st.integers(0, len(shape))), 1)
    order = data.draw(st.sampled_from("CFA"))
    same_outcome(lambda a: nf.reshape(a, shape, order=order),
                 lambda a: onp.reshape(a, shape, order=order), x)
    same_outcome(lambda a: nf.reshape(nf.transpose(a), shape), lambda a: onp.reshape(a.T, shape), x)


@given(ARRAY, st.data())
def test_hyp_transpose(x, data):
    perm = data.draw(st.permutations(range(x.ndim)))
    perm = [p - x.ndim if data.draw(st.booleans()) else p for p in perm]
    check([x.shape], lambda xp, a: xp.transpose(a, perm), x.dtype)
    assert_same(nf.transpose(nf.asarray(x), perm), onp.transpose(x, perm))


@given(DTYPE, st.data())
def test_hyp_concatenate(dtype, data):
    base = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    lengths = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    xs = [make(base[:axis % len(base)] + [n] + base[axis % len(base) + 1:], dtype, seed=i)
          for i, n in enumerate(lengths)]
    expected = onp.concatenate(xs, axis=axis)
    assert_same(nf.concatenate([nf.asarray(x) for x in xs], axis=axis), expected)
    assert_same(nf.concatenate(xs, axis=None), onp.concatenate(xs, axis=None))
    if len(set(x.shape for x in xs)) == 1:
        assert_same(nf.stack(xs, axis=axis), onp.stack(xs, axis=axis))


@given(ARRAY.filter(lambda x: x.ndim > 0), st.data())
def test_hyp_split(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    ios = data.draw(st.integers(1, 5) | st.lists(st.integers(-6, 6), max_size=4))
    for fn in ("split", "array_split"):
        check([x.shape], lambda xp, a: getattr(xp, fn)(a, ios, axis=axis), x.dtype)


@given(ARRAY, st.data())
def test_hyp_roll(x, data):
    n = data.draw(st.integers(1, 3))
    shift = data.draw(st.lists(st.integers(-7, 7), min_size=n, max_size=n))
    axis = data.draw(st.none() | st.lists(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1),
                                          min_size=n, max_size=n).map(tuple))
    shift = shift[0] if axis is None and data.draw(st.booleans()) else tuple(shift)
    same_outcome(lambda a: nf.roll(a, shift, axis), lambda a: onp.roll(a, shift, axis), x)


# -- shape metadata and errors raised inside composites --------------------------------------

METADATA_CASES = [
    ("shape", lambda m, a: m.shape(a)), ("ndim", lambda m, a: m.ndim(a)), ("size", lambda m, a: m.size(a)),
    ("size axis", lambda m, a: m.size(a, -1)), ("size axes", lambda m, a: m.size(a, (0, -1))),
]


@pytest.mark.parametrize("shape", [(), (0,), (2, 3), (2, 0, 4)], ids=str)
@pytest.mark.parametrize("name,fn", METADATA_CASES, ids=[c[0] for c in METADATA_CASES])
def test_shape_metadata(name, fn, shape):
    a = onp.zeros(shape)
    for arg in (a, a.tolist()):  # an array, and a list (the same for both)
        same_outcome(lambda v: fn(nf, v), lambda v: fn(onp, v), arg)
    assert onp.shape(nf.asarray(a)) == a.shape  # NumPy's own function, through __array_function__


COMPOSITE_ERRORS = [
    ("hstack", lambda: nf.hstack([nf.ones((2, 2)), nf.ones((3, 3))])),
    ("vstack", lambda: nf.vstack([nf.ones((2, 2)), nf.ones((3, 3))])),
    ("dstack", lambda: nf.dstack([nf.ones((2, 2)), nf.ones((3, 3))])),
    ("column_stack", lambda: nf.column_stack([nf.ones(2), nf.ones(3)])),
    ("stack", lambda: nf.stack([nf.ones(2), nf.ones(3)])),
]


@pytest.mark.parametrize("name,call", COMPOSITE_ERRORS, ids=[c[0] for c in COMPOSITE_ERRORS])
def test_composite_errors_name_the_composite(name, call):
    with pytest.raises(ValueError, match=rf"^{name}\(\)"):
        call()


# -- diff: NumPy's algorithm, over dtypes and arguments --------------------------------------
DIFF_CASES = [
    ("n=1", dict()), ("n=2 axis=0", dict(n=2, axis=0)), ("n=0", dict(n=0)), ("n=3", dict(n=3)),
    ("prepend scalar", dict(prepend=0)), ("append array", dict(append=onp.ones((3, 1), dtype=onp.int8))),
    ("both, axis=0", dict(axis=0, prepend=1, append=2)), ("negative n", dict(n=-1)), ("bad axis", dict(axis=2)),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("label,kw", DIFF_CASES, ids=[c[0] for c in DIFF_CASES])
def test_diff(label, kw, dtype):
    same_outcome(nf.diff, onp.diff, make((3, 4), dtype), **kw)


def test_diff_errors_and_gradient():
    for x in (onp.float64(1.0), onp.array(2.0)):
        with pytest.raises(ValueError, match="diff"):
            nf.diff(nf.asarray(x))
    x = onp.array([1.0, 4.0, 9.0, 16.0])
    onp.testing.assert_allclose(onp.asarray(nf.grad(lambda v: nf.sum(nf.diff(v) ** 2))(nf.asarray(x))),
                                [-6.0, -4.0, -4.0, 14.0])
    assert nf.diff(nf.asarray(x).to_device("sim")).device == nf.Device("sim")


# -- in-place writes: copyto, place, putmask, fill_diagonal -----------------------------------
INPLACE = [
    ((3, 4), lambda xp, a, b: xp.copyto(a, b[0])),
    ((3, 4), lambda xp, a, b: xp.copyto(a, b, where=b != 0)),
    ((3, 4), lambda xp, a, b: xp.copyto(a, b[:, :1], casting="unsafe")),
    ((3, 4), lambda xp, a, b: xp.copyto(a, 3)),
    ((3, 4), lambda xp, a, b: xp.copyto(a, 2.5, where=[True, False, True, False])),
    ((3, 4), lambda xp, a, b: xp.place(a, b != 0, b[0, :2])),
    ((3, 4), lambda xp, a, b: xp.place(a, onp.zeros(12, bool), [])),
    ((3, 4), lambda xp, a, b: xp.place(a.T, b.T != 0, [1, 0])),
    ((3, 4), lambda xp, a, b: xp.putmask(a, b != 0, b[::-1])),
    ((3, 4), lambda xp, a, b: xp.putmask(a, (b != 0).ravel(), [7, 1, 0])),
    ((3, 4), lambda xp, a, b: xp.putmask(a, b != 0, [])),
    ((3, 4), lambda xp, a, b: xp.fill_diagonal(a, 1)),
    ((3, 4), lambda xp, a, b: xp.fill_diagonal(a.T, b[0, :2], wrap=True)),
    ((7, 3), lambda xp, a, b: xp.fill_diagonal(a, [1, 0], wrap=True)),
    ((7, 3), lambda xp, a, b: xp.fill_diagonal(a, b[:, 0])),
    ((3, 3, 3), lambda xp, a, b: xp.fill_diagonal(a, b[0, 0])),
    ((0, 0), lambda xp, a, b: xp.fill_diagonal(a, 1)),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape, f", INPLACE, ids=[f"{i}-{f.__code__.co_names[0]}" for i, (_, f) in
                                                    enumerate(INPLACE)])
def test_inplace_writes(shape, f, dtype):
    """The write lands in the array itself (and its views), as NumPy's; same outcome otherwise."""
    x, y = make(shape, dtype), make(shape, dtype, seed=1)
    a, b = nf.asarray(x.copy()), nf.asarray(y.copy())
    res = outcomes(lambda m: f(m, a, b) if m is nf else f(m, x, y))
    if res is None:
        return
    got, expected = res
    assert got is None and expected is None
    assert_same(a, x)
    assert_same(b, y)


def test_inplace_writes_reach_numpy_arrays_and_stay_on_device():
    x = onp.zeros((3, 3))
    nf.fill_diagonal(x, 2.0)
    nf.place(x, x == 0, [1.0])
    nf.putmask(x, x == 1, onp.arange(9.0))
    assert_same(nf.asarray(x), onp.array([[2, 1, 2], [3, 2, 5], [6, 7, 2]], float))
    a = nf.zeros((3, 3), device="sim")
    nf.copyto(a, nf.ones(3, device="sim"), where=nf.eye(3, dtype=bool, device="sim"))
    nf.fill_diagonal(a[:2], 5)
    assert a.device == nf.Device("sim")
    assert_same(a, onp.diag([5.0, 5.0, 1.0]))
    with pytest.raises(nf.DeviceMismatchError):
        nf.copyto(a, nf.ones(3))


def test_inplace_writes_are_recorded_by_tapes():
    """copyto/place/putmask/fill_diagonal on a tracked copy: the gradient sees the writes."""
    x = nf.asarray(onp.arange(1.0, 10.0).reshape(3, 3))
    v = nf.asarray(onp.array([10.0, 20.0]))
    mask = onp.array([[1, 0, 0], [0, 1, 1], [0, 0, 0]], bool)

    def f(x, v):
        y = x * 1.0
        nf.copyto(y[0], v[0], where=[False, True, False])
        nf.place(y, mask, v)
        nf.putmask(y, mask.T, v * 3)
        nf.fill_diagonal(y[1:], v[1])
        return nf.sum(y * nf.asarray(onp.arange(9.0).reshape(3, 3)))
    gx, gv = nf.grad(f, argnums=(0, 1))(x, v)
    expect_x = onp.arange(9.0).reshape(3, 3)
    expect_x[mask | mask.T] = 0
    expect_x[0, 1] = expect_x[1, 0] = expect_x[2, 1] = 0
    onp.testing.assert_allclose(onp.asarray(gx), expect_x)
    # v0 lands at (0, 1) by copyto, (1, 2) by place, (0, 0) and (1, 1) tripled by putmask;
    # v1 at (2, 1) by putmask (overwritten: fill_diagonal's v1) and (1, 0) by fill_diagonal
    onp.testing.assert_allclose(onp.asarray(gv), [1 + 5 + 3 * (0 + 4), 7 + 3])


# -- hypothesis: insert / delete / append against NumPy ----------------------------------------
@given(ARRAY.filter(lambda x: x.ndim > 0), st.data())
def test_hyp_insert_delete(x, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    n = x.size if axis is None else x.shape[axis]
    where = data.draw(st.integers(-n - 1, n + 1) | st.lists(st.integers(-n - 1, n + 1), max_size=3))
    value = data.draw(st.integers(0, 1))
    same_outcome(lambda a: nf.insert(a, where, value, axis), lambda a: onp.insert(a, where, value, axis), x)
    same_outcome(lambda a: nf.delete(a, where, axis), lambda a: onp.delete(a, where, axis), x)
    same_outcome(lambda a: nf.append(a, a, axis), lambda a: onp.append(a, a, axis), x)


ZERO_D = [onp.float64, onp.complex64, onp.bool_, onp.int8]


@pytest.mark.parametrize("shape", [(2, 3), (), (0, 4), (5,), (-1,), (2, -3), [2, 3], 4], ids=str)
@pytest.mark.parametrize("dtype", ZERO_D, ids=ids(ZERO_D))
def test_broadcast_to_of_a_0d_array(shape, dtype):
    """A 0-d array (a reduction's cotangent) has its own kernel path: NumPy's values, shape and
    exception type, and, as NumPy's, a read-only view of the same memory."""
    a = make((), dtype)
    both = outcomes(lambda xp: xp.broadcast_to(xp.asarray(a), shape))
    if both is not None:
        got, expected = both
        assert_same(got, expected)
        assert not onp.asarray(got).flags.writeable
        x = nf.asarray(a)
        assert onp.shares_memory(onp.asarray(nf.broadcast_to(x, shape)), onp.asarray(x)) == \
            onp.shares_memory(onp.broadcast_to(a, shape), a)
