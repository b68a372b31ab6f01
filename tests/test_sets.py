"""Set operations against NumPy: values, dtypes, index results, devices, gradients of values."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import sets as S
from support import ALL_DTYPES, assert_same, make, hyp_arrays, ids, outcomes

NAMES = S.__all__


def test_signatures_match_numpy():
    for name in NAMES:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


# (label, f(xp, a, b))
CALLS = [
    ("intersect1d", lambda xp, a, b: xp.intersect1d(a, b)),
    ("intersect1d indices", lambda xp, a, b: xp.intersect1d(a, b, return_indices=True)),
    ("intersect1d unique", lambda xp, a, b: xp.intersect1d(xp.unique(a), xp.unique(b), True)),
    ("intersect1d unique indices", lambda xp, a, b: xp.intersect1d(xp.unique(a), xp.unique(b), True, True)),
    ("setdiff1d", lambda xp, a, b: xp.setdiff1d(a, b)),
    ("setdiff1d unique", lambda xp, a, b: xp.setdiff1d(xp.unique(a), b, assume_unique=True)),
    ("setxor1d", lambda xp, a, b: xp.setxor1d(a, b)),
    ("setxor1d unique", lambda xp, a, b: xp.setxor1d(xp.unique(a), xp.unique(b), assume_unique=True)),
    ("union1d", lambda xp, a, b: xp.union1d(a, b)),
]
SHAPES = [((6,), (4,)), ((2, 3), (5,)), ((0,), (3,)), ((), (2, 2)), ((0,), (0,))]


def _run(f, x, y, device="cpu"):
    res = outcomes(lambda m: f(m, *((x, y) if m is onp else
                                    (nf.asarray(x, device=device), nf.asarray(y, device=device)))))
    if res is None:
        return None
    got, expected = res
    assert_same(got, expected)
    return got


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("label, f", CALLS, ids=[c[0] for c in CALLS])
def test_matches_numpy(label, f, dtype):
    for i, (s, t) in enumerate(SHAPES):
        # small ranges, so that the two arrays share values and repeat them
        _run(f, make(s, dtype, seed=i, low=0, high=4), make(t, dtype, seed=i + 7, low=0, high=4))


@pytest.mark.parametrize("label, f", CALLS, ids=[c[0] for c in CALLS])
def test_mixed_inputs_and_devices(label, f):
    _run(f, make((5,), onp.int8, low=0, high=4), make((4,), onp.float32, low=0, high=4))  # promotion
    assert_same(f(nf, [3, 1, 1, 2], [2, 5]), f(onp, [3, 1, 1, 2], [2, 5]))  # lists
    got = _run(f, make((5,), onp.float64, low=0, high=3), make((4,), onp.float64, low=0, high=3), "sim")
    for r in got if isinstance(got, tuple) else (got,):
        assert r.device == nf.Device("sim")
    with pytest.raises(nf.DeviceMismatchError):
        f(nf, nf.ones(3, device="sim"), nf.ones(3))


def test_nan_and_result_is_a_copy():
    x, y = onp.array([onp.nan, 1.0, onp.nan]), onp.array([2.0, onp.nan])
    for name in NAMES:
        assert_same(getattr(nf, name)(x, y), getattr(onp, name)(x, y))
    a = nf.asarray(onp.array([1.0, 2.0, 3.0]))
    r = nf.setdiff1d(a, [5.0], assume_unique=True)
    assert not onp.shares_memory(onp.asarray(a), onp.asarray(r))


def test_gradients_flow_to_values():
    x = nf.asarray(onp.array([3.0, 1.0, 2.0, 5.0]))
    g = nf.grad(lambda v: nf.sum(nf.union1d(v, v[:2]) * nf.arange(4.0)))(x)
    onp.testing.assert_allclose(onp.asarray(g), [2.0, 0.0, 1.0, 3.0])  # sorted: 1, 2, 3, 5
    g = nf.grad(lambda v: nf.sum(nf.setdiff1d(v, v[1:3]) ** 2))(x)
    onp.testing.assert_allclose(onp.asarray(g), [6.0, 0.0, 0.0, 10.0])


@given(st.sampled_from(ALL_DTYPES).flatmap(lambda dt: st.tuples(
    hyp_arrays(dt, max_dims=2, elements=st.integers(0, 5) if dt != onp.bool_ else None),
    hyp_arrays(dt, max_dims=2, elements=st.integers(0, 5) if dt != onp.bool_ else None))))
def test_hyp_sets(pair):
    x, y = pair
    for _, f in CALLS:
        _run(f, x, y)
