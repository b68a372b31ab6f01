"""Index helpers and index objects against NumPy: values, dtypes, shapes, views, errors, devices."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import indexing as I
from support import ALL_DTYPES, assert_same, make, hyp_arrays, ids, outcomes, raises_like_numpy


def test_signatures_and_objects_match_numpy():
    for name in I.__all__:
        ours, theirs = getattr(nf, name), getattr(onp, name)
        if callable(theirs) and not isinstance(theirs, type):
            assert inspect.signature(ours) == inspect.signature(theirs), name
    assert len(nf.r_) == len(nf.c_) == 0
    assert nf.s_[1:2, ::-1] == onp.s_[1:2, ::-1] and nf.index_exp[3] == (3,)


A23 = onp.arange(6).reshape(2, 3)
# f(xp): the same call with xp = numpy and xp = npflow
CASES = [
    lambda xp: xp.r_[1:4, 7, [8, 9]],
    lambda xp: xp.r_[A23, A23],
    lambda xp: xp.r_["-1", A23, A23],
    lambda xp: xp.r_["0,2", [1, 2, 3], [4, 5, 6]],
    lambda xp: xp.r_["0,2,0", [1, 2, 3], [4, 5, 6]],
    lambda xp: xp.r_["1,2,0", [1, 2, 3], [4, 5, 6]],
    lambda xp: xp.r_["0,3,1", A23, [1, 2, 3]],
    lambda xp: xp.r_[-1:1:6j, [0] * 3, 5, 6],
    lambda xp: xp.r_[onp.int8(3), onp.array([1], onp.int8), 2],
    lambda xp: xp.r_[onp.array([1], onp.int8), 300],
    lambda xp: xp.r_[onp.array([1], onp.uint8), 2.5],
    lambda xp: xp.r_[3],
    lambda xp: xp.r_[()],
    lambda xp: xp.r_["x", 1],
    lambda xp: xp.r_[1, "0"],
    lambda xp: xp.c_[onp.array([1, 2, 3]), onp.array([4, 5, 6])],
    lambda xp: xp.c_[onp.array([[1, 2, 3]]), 0, 0, onp.array([[4, 5, 6]])],
    lambda xp: xp.c_[1:3, onp.array([0.5, 1.5])],
    lambda xp: xp.c_[A23, A23],
    lambda xp: xp.mgrid[0:5, 0:3],
    lambda xp: xp.mgrid[-1:1:5j],
    lambda xp: xp.mgrid[0:4:2.5],
    lambda xp: xp.mgrid[3:0:-1],
    lambda xp: xp.mgrid[0:1:3j, 0:4],
    lambda xp: xp.mgrid[0:0, 0:2],
    lambda xp: xp.mgrid[0:2:1j],
    lambda xp: xp.ogrid[0:5, 0:3],
    lambda xp: xp.ogrid[-1:1:5j, 0:2:0.5],
    lambda xp: xp.ogrid[0:3],
    lambda xp: xp.ogrid[0:0, 1:3],
    lambda xp: xp.ix_([0, 1], [2, 4]),
    lambda xp: xp.ix_(onp.array([True, False, True]), []),
    lambda xp: xp.ix_(onp.arange(3, dtype=onp.int8)),
    lambda xp: xp.ix_(),
    lambda xp: xp.ix_(A23),
    lambda xp: xp.indices((2, 3)),
    lambda xp: xp.indices((2, 3), sparse=True),
    lambda xp: xp.indices(()),
    lambda xp: xp.indices((), sparse=True),
    lambda xp: xp.indices((2, 0), dtype=onp.int8),
    lambda xp: xp.indices([3], float),
    lambda xp: xp.diag_indices(3),
    lambda xp: xp.diag_indices(2, 3),
    lambda xp: xp.diag_indices(0),
    lambda xp: xp.diag_indices_from(onp.ones((3, 3, 3))),
    lambda xp: xp.diag_indices_from(onp.ones((3, 2))),
    lambda xp: xp.diag_indices_from(onp.ones(3)),
    lambda xp: xp.tril_indices(3),
    lambda xp: xp.tril_indices(3, 1, 5),
    lambda xp: xp.tril_indices(0),
    lambda xp: xp.triu_indices(4, -1),
    lambda xp: xp.triu_indices(2, 0, 4),
    lambda xp: xp.tril_indices_from(A23),
    lambda xp: xp.tril_indices_from(A23, -1),
    lambda xp: xp.triu_indices_from(A23, 1),
    lambda xp: xp.triu_indices_from(onp.ones(3)),
    lambda xp: xp.tril_indices_from(onp.ones((2, 2, 2))),
    lambda xp: xp.mask_indices(3, xp.triu),
    lambda xp: xp.mask_indices(3, xp.tril, 1),
    lambda xp: xp.ravel_multi_index(([0, 1], [2, 1]), (2, 3)),
    lambda xp: xp.ravel_multi_index((1, 2), (2, 3)),
    lambda xp: xp.ravel_multi_index((3, 1), (2, 3)),
    lambda xp: xp.ravel_multi_index((3, -1), (2, 3), mode="wrap"),
    lambda xp: xp.ravel_multi_index((3, 1), (2, 3), mode=("clip", "raise")),
    lambda xp: xp.ravel_multi_index(onp.array([[0, 1], [2, 1]]), (2, 3), order="F"),
    lambda xp: xp.ravel_multi_index(([0.5], [1]), (2, 3)),
    lambda xp: xp.unravel_index(5, (2, 3)),
    lambda xp: xp.unravel_index([5, 0, 4], (2, 3), order="F"),
    lambda xp: xp.unravel_index(onp.array([[1, 2]], onp.uint8), (4, 4)),
    lambda xp: xp.unravel_index(7, (2, 3)),
    lambda xp: xp.unravel_index(1.0, (2, 3)),
]


def _same(got, expected):
    if isinstance(expected, tuple):
        assert type(got) is tuple and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
    else:
        assert_same(got, expected)


@pytest.mark.parametrize("f", CASES, ids=[str(i) for i in range(len(CASES))])
def test_matches_numpy(f):
    res = outcomes(f)
    if res is not None:
        _same(*res)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_array_arguments_over_dtypes(dtype):
    x = make((3, 3), dtype)
    a = nf.asarray(x)
    for f in (lambda m, v: m.ix_(v[0], v[1]), lambda m, v: m.r_[v, v[:1]], lambda m, v: m.c_[v, v],
              lambda m, v: m.r_["0,3", v, 1], lambda m, v: m.diag_indices_from(v),
              lambda m, v: m.tril_indices_from(v, 1), lambda m, v: m.triu_indices_from(v)):
        res = outcomes(lambda m: f(m, x if m is onp else a))
        if res is not None:
            _same(*res)
    assert [(i, v.item()) for i, v in nf.ndenumerate(a)] == list(onp.ndenumerate(x))


def test_views_and_iterators():
    a = nf.asarray(onp.arange(5))
    r = nf.ix_(a)[0]
    assert onp.shares_memory(onp.asarray(a), onp.asarray(r))  # NumPy's ix_ reshapes: a view
    i0, i1 = nf.diag_indices(4)
    assert i0 is i1  # NumPy hands back one array ndim times
    x = make((2, 3), onp.float32)
    items = list(nf.ndenumerate(nf.asarray(x)))
    assert [i for i, _ in items] == [i for i, _ in onp.ndenumerate(x)]
    assert all(isinstance(v, nf.ndarray) and v.shape == () and v.dtype == onp.float32 for _, v in items)
    assert list(nf.ndenumerate(nf.asarray(3.5)))[0][0] == ()
    assert list(nf.ndenumerate([[1, 2]]))[1][0] == (0, 1)
    it = nf.ndenumerate(nf.zeros(0))
    assert iter(it) is it and list(it) == []
    assert list(nf.ndindex(2, 2)) == list(onp.ndindex(2, 2)) and list(nf.ndindex((1, 2))) == [(0, 0), (0, 1)]


def test_results_stay_on_device():
    a = nf.asarray(onp.ones((3, 3)), device="sim")
    results = [*nf.ix_(a[0], [1, 2]), nf.r_[a[0], 5, 1:3], nf.c_[a[0], a[1]], *nf.diag_indices_from(a),
               *nf.tril_indices_from(a), *nf.triu_indices_from(a, 1), *nf.unravel_index(a[0].astype(int), (2, 2)),
               nf.ravel_multi_index((a[0].astype(int), a[1].astype(int)), (2, 2)),
               *[v for _, v in nf.ndenumerate(a)]]
    assert all(r.device == nf.Device("sim") for r in results)
    with pytest.raises(nf.DeviceMismatchError):
        nf.r_[a[0], nf.ones(2)]


def test_matrix_directives_are_refused_clearly():
    for key in ("1 2; 3 4", ("r", [1, 2]), ("c", [1, 2])):
        with pytest.raises(NotImplementedError, match="matrix"):
            nf.r_[key]


ERRORS = [
    ("ix_", lambda xp: xp.ix_(A23)),
    ("diag_indices_from", lambda xp: xp.diag_indices_from(onp.ones(3))),
    ("diag_indices_from", lambda xp: xp.diag_indices_from(onp.ones((2, 3)))),
    ("tril_indices_from", lambda xp: xp.tril_indices_from(onp.ones(3))),
    ("triu_indices_from", lambda xp: xp.triu_indices_from(onp.ones((2, 2, 2)))),
    ("ravel_multi_index", lambda xp: xp.ravel_multi_index((3, 1), (2, 3))),
    ("ravel_multi_index", lambda xp: xp.ravel_multi_index(([0.5], [1]), (2, 3))),
    ("unravel_index", lambda xp: xp.unravel_index(7, (2, 3))),
    ("unravel_index", lambda xp: xp.unravel_index(1.0, (2, 3))),
]


@pytest.mark.parametrize("name, f", ERRORS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(ERRORS)])
def test_errors(name, f):
    raises_like_numpy(name, f)


@given(st.lists(st.integers(0, 4), max_size=3), st.booleans(), st.data())
def test_hyp_index_conversions(dims, sparse, data):
    _same(nf.indices(dims, sparse=sparse), onp.indices(dims, sparse=sparse))
    size = int(onp.prod(dims))
    flat = data.draw(hyp_arrays(onp.int64, elements=st.integers(-1, size), max_dims=2))
    order = data.draw(st.sampled_from("CF"))
    for f in (lambda m: m.unravel_index(flat, dims, order=order),
              lambda m: m.ravel_multi_index(m.unravel_index(flat, dims, order=order), dims, order=order)):
        res = outcomes(f)
        if res is not None:
            _same(*res)


@given(st.integers(0, 5), st.integers(-3, 3), st.none() | st.integers(0, 5))
def test_hyp_triangles(n, k, m):
    _same(nf.tril_indices(n, k, m), onp.tril_indices(n, k, m))
    _same(nf.triu_indices(n, k, m), onp.triu_indices(n, k, m))
