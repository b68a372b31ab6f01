"""Sorting, searching and indexed selection (sort, unique, take, put, nonzero, ...) against NumPy."""
import types

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from support import ALL_DTYPES, FLOATS, ids, make, same_outcome, assert_same, hyp_arrays

def _np_argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's argsort, stable unless told otherwise: npflow takes the Array API's default (NumPy
    leaves the order of ties unspecified; it differs between machines)."""
    stable = True if kind is None and stable is None else stable
    if not descending or onp.ndim(a) == 0:
        return onp.argsort(a, axis, kind, order, stable=stable)
    a, axis = (onp.ravel(a), -1) if axis is None else (a, axis)
    return onp.shape(a)[axis] - 1 - onp.flip(onp.argsort(onp.flip(a, axis), axis, kind, order, stable=stable), axis)


def _np_sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    r = onp.sort(a, axis, kind, order, stable=stable)
    return onp.flip(r, -1 if axis is None else axis) if descending and r.ndim else r


# NumPy as the reference, with the Array API's sort/argsort keyword (descending) and default (stable)
# and sorted unique_values (NumPy >= 2.3: hash order, "may vary")
NP = types.SimpleNamespace(**{**vars(onp), "argsort": _np_argsort, "sort": _np_sort,
                              "unique_values": lambda x: onp.unique(x, equal_nan=False)})
IDX = onp.array([[2, 0, 1], [1, 1, 0]])          # take_along_axis indices for (2, 3)
COND = onp.array([[True, False, True], [False, True, True]])
WHICH = onp.array([[0, 1, 0], [1, 1, 0]])        # choose's index array

# (label, call(xp, *arrays), input shapes): each case runs for every dtype
CASES = [
    ("sort", lambda xp, a: xp.sort(a), [(3, 4)]),
    ("sort-axis0", lambda xp, a: xp.sort(a, axis=0), [(3, 4)]),
    ("sort-flat", lambda xp, a: xp.sort(a, axis=None), [(3, 4)]),
    ("sort-0d", lambda xp, a: xp.sort(a, axis=None), [()]),
    ("sort-0d-axis", lambda xp, a: xp.sort(a), [()]),
    ("sort-empty", lambda xp, a: xp.sort(a, axis=0), [(0, 3)]),
    ("sort-stable", lambda xp, a: xp.sort(a, stable=True), [(2, 7)]),
    ("sort-heapsort", lambda xp, a: xp.sort(a, kind="heapsort"), [(2, 7)]),
    ("sort-kind-and-stable", lambda xp, a: xp.sort(a, kind="quicksort", stable=True), [(3,)]),
    ("argsort", lambda xp, a: xp.argsort(a), [(3, 4)]),
    ("argsort-stable", lambda xp, a: xp.argsort(a, axis=0, kind="stable"), [(9, 2)]),
    ("argsort-flat", lambda xp, a: xp.argsort(a, axis=None, stable=True), [(3, 4)]),
    ("argsort-empty", lambda xp, a: xp.argsort(a), [(0,)]),
    ("sort-descending", lambda xp, a: xp.sort(a, axis=0, descending=True), [(4, 3)]),
    ("sort-descending-flat", lambda xp, a: xp.sort(a, axis=None, descending=True), [(4, 3)]),
    ("argsort-descending", lambda xp, a: xp.argsort(a, descending=True), [(3, 4)]),
    ("argsort-descending-flat", lambda xp, a: xp.argsort(a, axis=None, descending=True), [(3, 4)]),
    ("argsort-descending-0d", lambda xp, a: xp.argsort(a, descending=True, stable=True), [()]),
    ("lexsort", lambda xp, a, b: xp.lexsort((a, b)), [(6,), (6,)]),
    ("lexsort-stacked", lambda xp, a: xp.lexsort(a), [(2, 6)]),
    ("lexsort-axis", lambda xp, a, b: xp.lexsort([a, b], axis=0), [(4, 3), (4, 3)]),
    ("partition", lambda xp, a: xp.partition(a, 2), [(3, 5)]),
    ("partition-kths", lambda xp, a: xp.partition(a, [0, 2], axis=0), [(4, 3)]),
    ("partition-flat", lambda xp, a: xp.partition(a, -1, axis=None), [(3, 4)]),
    ("partition-bad-kth", lambda xp, a: xp.partition(a, 9), [(4,)]),
    ("argpartition", lambda xp, a: xp.argpartition(a, 1), [(3, 5)]),
    ("argpartition-kths", lambda xp, a: xp.argpartition(a, (1, 3), axis=None), [(2, 3)]),
    ("unique", lambda xp, a: xp.unique(a), [(4, 5)]),
    ("unique-all-outputs", lambda xp, a: xp.unique(a, True, True, True), [(4, 5)]),
    ("unique-inverse", lambda xp, a: xp.unique(a, return_inverse=True), [(3, 4)]),
    ("unique-axis0", lambda xp, a: xp.unique(a[:, :2] // 2 if a.dtype.kind in "iu" else a,
                                             return_counts=True, axis=0), [(6, 3)]),
    ("unique-axis1", lambda xp, a: xp.unique(a, True, True, True, axis=-1), [(2, 5)]),
    ("unique-unsorted", lambda xp, a: xp.unique(a, sorted=False), [(8,)]),
    ("unique-0d", lambda xp, a: xp.unique(a, return_inverse=True), [()]),
    ("unique-empty", lambda xp, a: xp.unique(a, True, True, True), [(0, 2)]),
    ("unique_values", lambda xp, a: xp.unique_values(a), [(4, 5)]),
    ("unique_counts", lambda xp, a: xp.unique_counts(a), [(4, 5)]),
    ("unique_inverse", lambda xp, a: xp.unique_inverse(a), [(4, 5)]),
    ("unique_all", lambda xp, a: xp.unique_all(a), [(4, 5)]),
    ("take", lambda xp, a: xp.take(a, [0, 5, -1]), [(2, 3)]),
    ("take-axis", lambda xp, a: xp.take(a, [[1, 0]], axis=1), [(2, 3)]),
    ("take-0d-index", lambda xp, a: xp.take(a, 1, axis=0), [(2, 3)]),
    ("take-empty", lambda xp, a: xp.take(a, [], axis=0), [(2, 3)]),
    ("take-clip", lambda xp, a: xp.take(a, [-4, 1, 9], mode="clip"), [(5,)]),
    ("take-wrap", lambda xp, a: xp.take(a, [-7, 1, 9], axis=0, mode="wrap"), [(5, 2)]),
    ("take_along_axis", lambda xp, a: xp.take_along_axis(a, IDX, axis=1), [(2, 3)]),
    ("take_along_axis-none", lambda xp, a: xp.take_along_axis(a, IDX.ravel(), axis=None), [(2, 3)]),
    ("nonzero", lambda xp, a: xp.nonzero(a), [(3, 4)]),
    ("nonzero-empty", lambda xp, a: xp.nonzero(a), [(0, 2)]),
    ("nonzero-0d", lambda xp, a: xp.nonzero(a), [()]),
    ("flatnonzero", lambda xp, a: xp.flatnonzero(a), [(3, 4)]),
    ("argwhere", lambda xp, a: xp.argwhere(a), [(3, 4)]),
    ("argwhere-0d", lambda xp, a: xp.argwhere(a), [()]),
    ("searchsorted", lambda xp, a, v: xp.searchsorted(xp.sort(a), v), [(6,), (2, 3)]),
    ("searchsorted-right", lambda xp, a, v: xp.searchsorted(xp.sort(a), v, side="right"), [(6,), (4,)]),
    ("searchsorted-sorter", lambda xp, a, v: xp.searchsorted(a, v, sorter=xp.argsort(a)), [(6,), ()]),
    ("searchsorted-empty", lambda xp, a, v: xp.searchsorted(a, v), [(0,), (3,)]),
    ("extract", lambda xp, a: xp.extract(COND, a), [(2, 3)]),
    ("compress", lambda xp, a: xp.compress([True, False, True], a, axis=1), [(2, 3)]),
    ("compress-flat", lambda xp, a: xp.compress([False, True, True], a), [(2, 3)]),
    ("compress-too-long", lambda xp, a: xp.compress([True] * 4, a, axis=0), [(2, 3)]),
    ("choose", lambda xp, a, b: xp.choose(WHICH, [a, b]), [(2, 3), (3,)]),
    ("choose-stacked", lambda xp, a: xp.choose([0, 1, 2], a), [(3, 3)]),
    ("choose-clip", lambda xp, a, b: xp.choose([-1, 5, 1], (a, b), mode="clip"), [(3,), (3,)]),
    ("choose-wrap", lambda xp, a, b: xp.choose([-1, 5, 1], (a, b), mode="wrap"), [(3,), (3,)]),
    ("choose-bad", lambda xp, a, b: xp.choose([0, 2, 1], (a, b)), [(3,), (3,)]),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("label,call,shapes", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(label, call, shapes, dtype):
    arrays = [make(s, dtype, seed=i, low=-4, high=4) for i, s in enumerate(shapes)]
    if dtype not in (onp.bool_,) and arrays[0].size > 2:
        arrays[0].flat[1] = arrays[0].flat[-1]  # a repeated value (unique, stable sorts)
    same_outcome(lambda *a: call(nf, *a), lambda *a: call(NP, *a), *arrays)


@pytest.mark.parametrize("fn,fields", [
    ("unique_all", ("values", "indices", "inverse_indices", "counts")),
    ("unique_counts", ("values", "counts")), ("unique_inverse", ("values", "inverse_indices")),
])
def test_unique_named_tuples(fn, fields):
    a = make((3, 4), onp.float64)
    a[0, 0] = a[2, 1] = onp.nan
    got, expected = getattr(nf, fn)(nf.asarray(a)), getattr(onp, fn)(a)
    assert type(got).__name__ == type(expected).__name__ and got._fields == expected._fields == fields
    for f in fields:
        assert_same(getattr(got, f), getattr(expected, f))


# --- random inputs: NaN/inf placement, ties, every dtype ----------------------
KINDS = [dict(), dict(kind="stable"), dict(kind="heapsort"), dict(kind="mergesort"), dict(stable=True),
         dict(descending=True), dict(descending=True, stable=True)]


@given(st.sampled_from(ALL_DTYPES), st.sampled_from(KINDS), st.data())
def test_sort_argsort_random(dtype, kind, data):
    a = data.draw(hyp_arrays(dtype, min_dims=1))
    axis = data.draw(st.sampled_from([None] + list(range(-a.ndim, a.ndim))))
    for f in ("sort", "argsort"):
        same_outcome(getattr(nf, f), getattr(NP, f), a, axis=axis, **kind)


@given(st.sampled_from(ALL_DTYPES), st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       st.data())
def test_unique_random(dtype, ri, rv, rc, equal_nan, data):
    elements = st.sampled_from([0.0, -0.0, 1.5, onp.nan, onp.inf, -onp.inf]) if dtype in FLOATS else None
    a = data.draw(hyp_arrays(dtype, max_side=5, elements=elements))
    axis = data.draw(st.sampled_from([None] + list(range(a.ndim))))
    same_outcome(nf.unique, onp.unique, a, ri, rv, rc, axis, equal_nan=equal_nan)
    for f in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
        same_outcome(getattr(nf, f), getattr(NP, f), a)


@given(st.sampled_from(ALL_DTYPES), st.sampled_from(["left", "right"]), st.data())
def test_searchsorted_random(dtype, side, data):
    a = onp.sort(data.draw(hyp_arrays(dtype, min_dims=1, max_dims=1, max_side=8)))
    v = data.draw(hyp_arrays(dtype, max_dims=2))
    same_outcome(nf.searchsorted, onp.searchsorted, a, v, side=side)


@given(st.sampled_from(["raise", "wrap", "clip"]), st.data())
def test_take_random(mode, data):
    a = make(data.draw(st.sampled_from([(5,), (2, 3), (0, 3), (3, 0, 2)])), onp.float64)
    axis = data.draw(st.sampled_from([None] + list(range(a.ndim))))
    idx = onp.array(data.draw(st.lists(st.integers(-8, 8), max_size=5)), dtype=onp.intp)
    same_outcome(nf.take, onp.take, a, idx, axis=axis, mode=mode)


# --- in-place writes go into the npflow array -----------------------------------
INPLACE_DTYPES = [onp.int16, onp.float32, onp.complex128]
INPLACE = [
    ("put", lambda xp, a: xp.put(a, [0, 7, -1], [10, 20, 30])),
    ("put-wrap", lambda xp, a: xp.put(a, [13, -20], [5, 6], mode="wrap")),
    ("put-clip-scalar", lambda xp, a: xp.put(a, 99, 7, mode="clip")),
    ("put-oob", lambda xp, a: xp.put(a, [12], [1])),
    ("put_along_axis", lambda xp, a: xp.put_along_axis(a, onp.array([[0], [2], [1]]), 9, axis=1)),
    ("put_along_axis-none", lambda xp, a: xp.put_along_axis(a, onp.array([1, 11]), [4, 5], axis=None)),
    ("put_along_axis-bad", lambda xp, a: xp.put_along_axis(a, onp.array([[5], [0], [0]]), 9, axis=1)),
]


@pytest.mark.parametrize("device", ["cpu", "sim"])
@pytest.mark.parametrize("dtype", INPLACE_DTYPES, ids=ids(INPLACE_DTYPES))
@pytest.mark.parametrize("label,call", INPLACE, ids=[c[0] for c in INPLACE])
def test_writes_in_place(label, call, dtype, device):
    a = make((3, 4), dtype)
    x = nf.asarray(a.copy(), device=device)
    try:
        expected = call(onp, a)
    except Exception as e:
        with pytest.raises(type(e), match=label.split("-")[0]):
            call(nf, x)
        return
    assert call(nf, x) is expected is None
    assert x.device == device
    assert_same(x, a)


@pytest.mark.parametrize("call,exc", [
    (lambda xp: xp.put([1, 2], [0], [5]), TypeError),
    (lambda xp: xp.put_along_axis([1, 2], onp.array([0]), 5, 0), AttributeError),
])
def test_in_place_needs_an_array(call, exc):
    with pytest.raises(exc):
        call(onp)
    with pytest.raises(exc):
        call(nf)


def test_put_into_read_only_view_is_an_error():
    with pytest.raises(ValueError):
        nf.put(nf.diagonal(nf.asarray(onp.ones((2, 2)))), [0], [5.0])


def test_ndarray_sort_method_sorts_in_place():
    a = make((3, 4), onp.float64)
    x = nf.asarray(a.copy())
    assert x.sort(axis=0) is None
    a.sort(axis=0)
    assert_same(x, a)


# --- errors: NumPy's exception type, and the function's name in the message --------
@pytest.mark.parametrize("call,exc,word", [
    (lambda xp, a: xp.take(a, 10), IndexError, "take"),
    (lambda xp, a: xp.take(a, [0, -7], axis=1), IndexError, "take"),
    (lambda xp, a: xp.sort(a, axis=2), onp.exceptions.AxisError, "sort"),
    (lambda xp, a: xp.argsort(a, kind="bogus"), ValueError, "argsort"),
    (lambda xp, a: xp.lexsort(()), TypeError, "lexsort"),
    (lambda xp, a: xp.unique(a, axis=3), onp.exceptions.AxisError, "unique"),
    (lambda xp, a: xp.searchsorted(a[0], 1.0, side="middle"), ValueError, "searchsorted"),
    (lambda xp, a: xp.nonzero(a[0, 0]), ValueError, "nonzero"),
    (lambda xp, a: xp.take_along_axis(a, onp.array([0]), axis=1), ValueError, "take_along_axis"),
    (lambda xp, a: xp.choose([0, 3], [a[0, :2], a[1, :2]]), ValueError, "choose"),
    (lambda xp, a: xp.partition(a, 3), ValueError, "partition"),
])
def test_errors_as_numpy_and_named(call, exc, word):
    a = make((2, 3), onp.float64)
    with pytest.raises(exc):
        call(onp, a)
    with pytest.raises(exc, match=word):
        call(nf, nf.asarray(a))


# --- devices --------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda xp, a, i: xp.sort(a), lambda xp, a, i: xp.argsort(a, axis=None),
    lambda xp, a, i: xp.unique(a, True, True, True), lambda xp, a, i: xp.unique_all(a),
    lambda xp, a, i: xp.nonzero(a), lambda xp, a, i: xp.take(a, i),
    lambda xp, a, i: xp.take_along_axis(a, i[None, :], 1), lambda xp, a, i: xp.searchsorted(a[0], a),
    lambda xp, a, i: xp.choose(i, a), lambda xp, a, i: xp.lexsort(a),
    lambda xp, a, i: xp.partition(a, 1), lambda xp, a, i: xp.compress(xp.greater(i, 0), a, axis=1),
    lambda xp, a, i: xp.extract(xp.greater(a, 0), a), lambda xp, a, i: xp.argwhere(a),
], ids=["sort", "argsort", "unique", "unique_all", "nonzero", "take", "take_along_axis",
        "searchsorted", "choose", "lexsort", "partition", "compress", "extract", "argwhere"])
def test_results_stay_on_device(call):
    a, i = make((2, 3), onp.float64), onp.array([1, 0, 1])
    got = call(nf, nf.asarray(a, device="sim"), nf.asarray(i, device="sim"))
    expected = call(NP, a, i)
    for g in (got if isinstance(got, tuple) else (got,)):
        assert g.device == "sim"
    assert_same(got, expected)


def test_mixed_devices_are_an_error():
    x, i = nf.asarray(onp.ones(3)), nf.asarray(onp.array([0]), device="sim")
    with pytest.raises(nf.DeviceMismatchError, match="take"):
        nf.take(x, i)
    with pytest.raises(nf.DeviceMismatchError, match="put"):
        nf.put(x, i, 1.0)


# -- isin ----------------------------------------------------------------------------------
ISIN_CASES = [("plain", {}), ("invert", dict(invert=True)), ("assume_unique", dict(assume_unique=True)),
              ("kind=sort", dict(kind="sort")), ("kind=table", dict(kind="table"))]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("label,kw", ISIN_CASES, ids=[c[0] for c in ISIN_CASES])
def test_isin(label, kw, dtype):
    element, tests = make((3, 4), dtype, seed=1), make((5,), dtype, seed=2)
    same_outcome(nf.isin, onp.isin, element, tests, **kw)
    same_outcome(nf.isin, onp.isin, element, element[0].tolist(), **kw)  # a list of tests


def test_isin_is_not_differentiable_and_stays_on_device():
    x = nf.asarray([1.0, 2.0, 3.0]).to_device("sim")
    r = nf.isin(x, nf.asarray([2.0]).to_device("sim"))
    assert r.device == nf.Device("sim") and r.dtype == onp.bool_
    g = nf.grad(lambda v: nf.sum(v * nf.isin(v, nf.asarray([2.0]))))(nf.asarray([1.0, 2.0, 3.0]))
    onp.testing.assert_array_equal(onp.asarray(g), [0.0, 1.0, 0.0])
