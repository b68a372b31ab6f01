"""Products (dot, einsum, tensordot, kron, cross, trace, diagonal, ...) against NumPy."""
import numpy as onp
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import npflow as nf
from support import ALL_DTYPES, FLOATS, ids, make, same_outcome, assert_same, hyp_arrays

E = Ellipsis
# (label, call(xp, *arrays), input shapes): each case runs for every dtype
CASES = [
    ("dot-1d", lambda xp, a, b: xp.dot(a, b), [(3,), (3,)]),
    ("dot-2d", lambda xp, a, b: xp.dot(a, b), [(2, 3), (3, 4)]),
    ("dot-0d", lambda xp, a, b: xp.dot(a, b), [(), (2, 3)]),
    ("dot-nd", lambda xp, a, b: xp.dot(a, b), [(2, 3, 4), (5, 4, 2)]),
    ("dot-empty", lambda xp, a, b: xp.dot(a, b), [(2, 0), (0, 3)]),
    ("vdot", lambda xp, a, b: xp.vdot(a, b), [(2, 3), (2, 3)]),
    ("inner", lambda xp, a, b: xp.inner(a, b), [(2, 3), (4, 3)]),
    ("inner-0d", lambda xp, a, b: xp.inner(a, b), [(), (3,)]),
    ("outer", lambda xp, a, b: xp.outer(a, b), [(3,), (2, 2)]),
    ("outer-empty", lambda xp, a, b: xp.outer(a, b), [(0,), (3,)]),
    ("tensordot-2", lambda xp, a, b: xp.tensordot(a, b), [(2, 3, 4), (3, 4, 2)]),
    ("tensordot-0", lambda xp, a, b: xp.tensordot(a, b, axes=0), [(2,), (3,)]),
    ("tensordot-pair", lambda xp, a, b: xp.tensordot(a, b, axes=([1, 0], [0, 1])), [(3, 4, 5), (4, 3, 2)]),
    ("einsum-matmul", lambda xp, a, b: xp.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    ("einsum-implicit", lambda xp, a, b: xp.einsum("ij,kj", a, b), [(2, 3), (4, 3)]),
    ("einsum-trace", lambda xp, a: xp.einsum("ii", a), [(3, 3)]),
    ("einsum-diag", lambda xp, a: xp.einsum("ii->i", a), [(3, 3)]),
    ("einsum-ellipsis", lambda xp, a, b: xp.einsum("...i,i->...", a, b), [(2, 3, 4), (4,)]),
    ("einsum-0d", lambda xp, a, b: xp.einsum(",i->i", a, b), [(), (3,)]),
    ("einsum-empty", lambda xp, a: xp.einsum("ij->j", a), [(0, 3)]),
    ("einsum-sublist", lambda xp, a, b: xp.einsum(a, [0, 1], b, [1, 27], [27, 0]), [(2, 3), (3, 4)]),
    ("einsum-sublist-implicit", lambda xp, a, b: xp.einsum(a, [30, 1], b, [1, 2]), [(2, 3), (3, 4)]),
    ("einsum-sublist-ellipsis", lambda xp, a: xp.einsum(a, [E, 0], [E]), [(2, 3)]),
    ("einsum-optimize", lambda xp, a, b, c: xp.einsum("ij,jk,kl->il", a, b, c, optimize=True),
     [(2, 3), (3, 4), (4, 2)]),
    ("einsum-greedy-sublist", lambda xp, a, b, c: xp.einsum(a, [0, 1], b, [1, 2], c, [2, 3], [0, 3],
                                                            optimize="greedy"), [(2, 3), (3, 4), (4, 2)]),
    ("einsum-dtype", lambda xp, a, b: xp.einsum("i,i", a, b, dtype=onp.complex128, casting="unsafe"),
     [(3,), (3,)]),
    ("kron", lambda xp, a, b: xp.kron(a, b), [(2, 2), (3,)]),
    ("kron-0d", lambda xp, a, b: xp.kron(a, b), [(), (2,)]),
    ("cross-3", lambda xp, a, b: xp.cross(a, b), [(3,), (3,)]),
    ("cross-broadcast", lambda xp, a, b: xp.cross(a, b), [(4, 3), (3,)]),
    ("cross-axes", lambda xp, a, b: xp.cross(a, b, axisa=0, axisb=1, axisc=0), [(3, 4), (4, 3)]),
    ("cross-axis", lambda xp, a, b: xp.cross(a, b, axis=0), [(3, 2), (3, 2)]),
    ("trace", lambda xp, a: xp.trace(a), [(3, 3)]),
    ("trace-offset", lambda xp, a: xp.trace(a, offset=1, axis1=1, axis2=2), [(2, 3, 4)]),
    ("trace-dtype", lambda xp, a: xp.trace(a, -1, dtype=onp.float32), [(3, 4)]),
    ("trace-empty", lambda xp, a: xp.trace(a), [(0, 3)]),
    ("diagonal", lambda xp, a: xp.diagonal(a), [(3, 4)]),
    ("diagonal-offset", lambda xp, a: xp.diagonal(a, offset=-1, axis1=2, axis2=0), [(4, 2, 3)]),
    ("diagonal-1d", lambda xp, a: xp.diagonal(a), [(3,)]),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("label,call,shapes", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy(label, call, shapes, dtype):
    arrays = [make(s, dtype, seed=i) for i, s in enumerate(shapes)]
    same_outcome(lambda *a: call(nf, *a), lambda *a: call(onp, *a), *arrays)


# keyword / in-place forms whose result is the out= array itself
OUT_CASES = [
    ("dot", lambda xp, a, b, out: xp.dot(a, b, out=out), (2, 4)),
    ("outer", lambda xp, a, b, out: xp.outer(a, b, out=out), (6, 12)),
    ("trace", lambda xp, a, b, out: xp.trace(a, out=out), ()),
    ("einsum", lambda xp, a, b, out: xp.einsum("ij,jk->ik", a, b, out=out), (2, 4)),
]


@pytest.mark.parametrize("label,call,out_shape", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_out_is_written_and_returned(label, call, out_shape):
    a, b = make((2, 3), onp.float64, 1), make((3, 4), onp.float64, 2)
    out = nf.asarray(onp.full(out_shape, -1.0))
    got = call(nf, nf.asarray(a), nf.asarray(b), out)
    assert got is out
    assert_same(out, call(onp, a, b, onp.empty(out_shape)))


@pytest.mark.parametrize("call", [
    lambda xp, a: xp.diagonal(a),
    lambda xp, a: xp.diagonal(a, 1, 1, 0),
    lambda xp, a: xp.einsum("ij->ji", a),
    lambda xp, a: xp.einsum("ii->i", a[:, :3]),
    lambda xp, a: xp.dot(a[:, :3], a),
    lambda xp, a: xp.trace(a),
], ids=["diagonal", "diagonal-axes", "einsum-transpose", "einsum-diag", "dot", "trace"])
def test_views_and_copies_as_numpy(call):
    a = make((3, 4), onp.float64)
    x = nf.asarray(a.copy())
    got, expected = call(nf, x), call(onp, a)
    assert_same(got, expected)
    g = onp.asarray(got)
    assert onp.shares_memory(g, onp.asarray(x)) == onp.shares_memory(expected, a)
    if isinstance(expected, onp.ndarray):  # (a NumPy scalar stands for a 0-d array)
        assert g.flags.writeable == expected.flags.writeable


def test_diagonal_is_read_only_like_numpy():
    x = nf.asarray(make((3, 3), onp.float64))
    with pytest.raises(ValueError, match="read-only"):
        nf.diagonal(x)[0] = 1.0
    with pytest.raises(ValueError):
        onp.diagonal(make((3, 3), onp.float64))[0] = 1.0


@pytest.mark.parametrize("call,exc,words", [
    (lambda xp: xp.dot(xp.asarray(onp.ones((2, 3))), xp.asarray(onp.ones((2, 3)))), ValueError,
     ["dot", "(2,3)", "float64[2, 3]"]),
    (lambda xp: xp.tensordot(xp.asarray(onp.ones((2, 3))), xp.asarray(onp.ones((2, 3))), axes=1),
     ValueError, ["tensordot"]),
    (lambda xp: xp.einsum("ij,jk", xp.asarray(onp.ones((2, 3))), xp.asarray(onp.ones((2, 3)))),
     ValueError, ["einsum"]),
    (lambda xp: xp.einsum(xp.asarray(onp.ones(2)), [60]), ValueError, ["einsum", "[0, 52)"]),
    (lambda xp: xp.einsum(xp.asarray(onp.ones(2)), ["a"]), TypeError, ["einsum", "integer"]),
    (lambda xp: xp.einsum(xp.asarray(onp.ones(2))), ValueError, ["einsum"]),
    (lambda xp: xp.einsum(), ValueError, ["einsum"]),
    (lambda xp: xp.einsum("i", xp.asarray(onp.ones(2)), bogus=1), TypeError, ["einsum"]),
    (lambda xp: xp.cross(xp.asarray(onp.ones(4)), xp.asarray(onp.ones(3))), ValueError, ["cross"]),
    (lambda xp: xp.trace(xp.asarray(onp.ones(3))), ValueError, ["trace"]),
    (lambda xp: xp.diagonal(xp.asarray(onp.ones((2, 2))), axis1=0, axis2=0), ValueError, ["diagonal"]),
    (lambda xp: xp.vdot(xp.asarray(onp.ones(2)), xp.asarray(onp.ones(3))), ValueError, ["vdot"]),
], ids=["dot", "tensordot", "einsum-shapes", "einsum-range", "einsum-label", "einsum-no-sublist",
        "einsum-nothing", "einsum-kwarg", "cross", "trace", "diagonal", "vdot"])
def test_errors_as_numpy_and_named(call, exc, words):
    with pytest.raises(exc):
        call(onp)
    with pytest.raises(exc) as info:
        call(nf)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize("call", [
    lambda xp, a, b: xp.dot(a, b), lambda xp, a, b: xp.einsum("ij,jk", a, b),
    lambda xp, a, b: xp.tensordot(a, b, 1), lambda xp, a, b: xp.kron(a, b),
    lambda xp, a, b: xp.outer(a, b), lambda xp, a, b: xp.trace(a),
    lambda xp, a, b: xp.diagonal(b), lambda xp, a, b: xp.inner(a, b[:, :3]),
], ids=["dot", "einsum", "tensordot", "kron", "outer", "trace", "diagonal", "inner"])
def test_results_stay_on_device(call):
    a, b = make((2, 3), onp.float64, 1), make((3, 4), onp.float64, 2)
    got = call(nf, nf.asarray(a, device="sim"), nf.asarray(b, device="sim"))
    assert got.device == "sim"
    assert_same(got, call(onp, a, b))


def test_mixed_devices_are_an_error():
    with pytest.raises(nf.DeviceMismatchError, match="dot"):
        nf.dot(nf.asarray(onp.ones(3)), nf.asarray(onp.ones(3), device="sim"))
    with pytest.raises(nf.DeviceMismatchError, match="dot"):
        nf.dot(nf.asarray(onp.ones(3)), nf.asarray(onp.ones(3)),
               out=nf.asarray(onp.zeros(()), device="sim"))


@given(st.sampled_from(FLOATS + [onp.int64, onp.complex128]), st.data())
def test_dot_and_einsum_random(dtype, data):
    m, k, n = (data.draw(st.integers(0, 4)) for _ in range(3))
    a = data.draw(hyp_arrays(dtype, (m, k)))
    b = data.draw(hyp_arrays(dtype, (k, n)))
    tol = dict(rtol=1e-5 if dtype == onp.float32 else 1e-12)
    for call in (lambda xp, a, b: xp.dot(a, b), lambda xp, a, b: xp.einsum("ij,jk->ik", a, b),
                 lambda xp, a, b: xp.tensordot(a, b, 1), lambda xp, a, b: xp.einsum(a, [0, 1], b, [1, 2])):
        same_outcome(lambda *x: call(nf, *x), lambda *x: call(onp, *x), a, b, **tol)


@given(hnp.array_shapes(min_dims=2, max_dims=4, max_side=4), st.integers(-3, 3), st.data())
def test_diagonal_and_trace_random(shape, offset, data):
    a = make(shape, onp.float64)
    ax1, ax2 = data.draw(st.permutations(range(len(shape))))[:2]
    for call in (lambda xp, a: xp.diagonal(a, offset, ax1, ax2), lambda xp, a: xp.trace(a, offset, ax1, ax2)):
        same_outcome(lambda x: call(nf, x), lambda x: call(onp, x), a)
