"""Reductions against NumPy: every function over dtypes, shapes and axes, keywords, out=, errors, devices."""
import inspect

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._numpy import reductions as R
from support import ALL_DTYPES, SHAPES, DEVICES, assert_same, same_outcome, make, hyp_arrays, ids

NAMES = R.__all__
AXES = [None, 0, -1, (0, -1), ()]
NAN_KINDS = "fc"


def data(name, shape, dtype, seed=0):
    """Test data; floating inputs of the nan-variants get NaNs."""
    x = make(shape, dtype, seed)
    if name.startswith("nan") and x.dtype.kind in NAN_KINDS and x.size:
        x.flat[::3] = onp.nan
    return x


def to_nf(v, device="cpu"):
    return nf.asarray(v.copy(), device=device) if isinstance(v, onp.ndarray) else v


def check(name, x, rtol=0.0, **kw):
    """``name(x, **kw)`` in npflow (NumPy arrays in kw converted) equals NumPy's, or both raise alike."""
    kw_nf = {k: to_nf(v) for k, v in kw.items()}
    return same_outcome(lambda a: getattr(nf, name)(a, **kw_nf),
                        lambda a: getattr(onp, name)(a, **kw), x, rtol=rtol)


def test_signatures_match_numpy():
    assert "cumulative_sum" in NAMES or not hasattr(onp, "cumulative_sum")
    for name in NAMES:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


@pytest.mark.parametrize("dtype", ALL_DTYPES + [onp.float16], ids=ids(ALL_DTYPES + [onp.float16]))
@pytest.mark.parametrize("name", NAMES)
def test_dtypes_shapes_axes(name, dtype):
    """Every function, every dtype, every shape (0-d, empty), axis None/int/negative/tuple, keepdims."""
    for shape in SHAPES:
        x = data(name, shape, dtype)
        for axis in AXES:
            check(name, x, axis=axis)
            check(name, x, axis=axis, keepdims=True)


M = onp.array([[True, False, True, True], [False, False, True, False], [True, True, True, False]])
X = make((3, 4), onp.float64, seed=1)
XN = X.copy()
XN[0, 1] = XN[2, 3] = onp.nan
XI = make((3, 4), onp.int32, seed=2)
CASES = [
    # name, input, keywords
    ("sum", X, dict(axis=1, where=M)), ("sum", XI, dict(where=M, initial=3)),
    ("sum", XI, dict(dtype=onp.int8)), ("sum", X, dict(axis=(1, 0), dtype=onp.float32)),
    ("sum", XI, dict(axis=-2, keepdims=True, initial=-1)), ("sum", [[1, 2], [3, 4]], {}),
    ("sum", 7, {}), ("sum", True, dict(axis=None)),
    ("prod", XI, dict(axis=0, where=M, initial=2)), ("prod", X, dict(dtype=onp.complex64)),
    ("mean", XI, {}), ("mean", XI, dict(axis=1, dtype=onp.float32, where=M)),
    ("mean", make((6,), onp.float16), {}), ("mean", X, dict(axis=0, where=M, keepdims=True)),
    ("var", X, dict(axis=1, ddof=1)), ("var", X, dict(correction=2, axis=0)),
    ("var", X, dict(ddof=1, correction=1)), ("var", XI, dict(axis=1, where=M)),
    ("var", X, dict(axis=1, keepdims=True, mean=X.mean(axis=1, keepdims=True))),
    ("std", XI, dict(dtype=onp.float32, ddof=2)), ("std", X, dict(axis=(0, 1), where=M)),
    ("std", X, dict(axis=0, keepdims=True, mean=X.mean(axis=0, keepdims=True))),
    ("min", X, dict(axis=1, where=M, initial=10.0)), ("max", XI, dict(where=M, initial=-100)),
    ("max", X, dict(axis=0, where=M)), ("min", XN, dict(axis=1)),
    ("amin", XI, dict(axis=(0, 1), keepdims=True)), ("amax", X, dict(initial=5.0)),
    ("argmin", XN, dict(axis=1, keepdims=True)), ("argmax", XI, dict(axis=-1)),
    ("all", XI, dict(axis=0, where=M)), ("any", X > 1, dict(axis=1, where=M, keepdims=True)),
    ("cumsum", XI, dict(axis=1, dtype=onp.int8)), ("cumprod", X, dict(axis=0, dtype=onp.float32)),
    ("cumulative_sum", XI, dict(axis=1, include_initial=True)),
    ("cumulative_prod", X, dict(axis=0, dtype=onp.complex128, include_initial=True)),
    ("cumulative_sum", onp.arange(4), dict(include_initial=True)),
    ("ptp", XI, dict(axis=1, keepdims=True)), ("ptp", XN, {}),
    ("median", X, dict(axis=(0, 1), keepdims=True)), ("median", XN, dict(axis=0)),
    ("median", XI, dict(axis=1, overwrite_input=True)),
    ("nanmedian", XN, dict(axis=1, keepdims=True)), ("nanmedian", XN, dict(overwrite_input=True)),
    ("average", X, dict(axis=1, weights=make((4,), onp.float32, seed=3))),
    ("average", XI, dict(weights=make((3, 4), onp.int16, seed=4, low=1))),
    ("average", make((2, 3, 4), onp.float32), dict(axis=(2, 0), weights=make((4, 2), onp.float64, low=0.5))),
    ("average", X, dict(axis=1, weights=[1, 2, 3, 4], keepdims=True)),
    ("average", XI, dict(axis=0, keepdims=True)),
    ("average", X, dict(weights=onp.zeros(4), axis=1)),
    ("average", X, dict(weights=onp.ones(4))), ("average", X, dict(weights=onp.ones(3), axis=1)),
    ("count_nonzero", XI % 3, dict(axis=(0, 1), keepdims=True)), ("count_nonzero", XN, dict(axis=1)),
    ("nansum", XN, dict(axis=1, where=M, initial=1.0)), ("nanprod", XN, dict(dtype=onp.float32)),
    ("nanmean", XN, dict(axis=0, where=M)), ("nanvar", XN, dict(axis=1, ddof=1, keepdims=True)),
    ("nanstd", XN, dict(correction=1)), ("nanvar", XN, dict(axis=0, mean=onp.nanmean(XN, 0, keepdims=True), keepdims=True)),
    ("nanmin", XN, dict(axis=1, where=M, initial=0.5)), ("nanmax", onp.full(3, onp.nan), {}),
    ("nanargmin", XN, dict(axis=0, keepdims=True)), ("nanargmax", onp.full(3, onp.nan), {}),
    ("nancumsum", XN, dict(axis=1, dtype=onp.float32)), ("nancumprod", XN, {}),
]
CASES = [c for c in CASES if c[0] in NAMES]  # cumulative_*: NumPy 2.1+


@pytest.mark.parametrize("name, x, kw", CASES, ids=[c[0] for c in CASES])
def test_keywords(name, x, kw):
    """where=, initial=, dtype=, ddof/correction/mean, include_initial, weights, list and scalar inputs."""
    x = x.copy() if isinstance(x, onp.ndarray) else x
    check(name, x, **kw)


def test_average_returned():
    w = make((4,), onp.float64, seed=5, low=0.1)
    for kw in (dict(axis=1, weights=w), dict(axis=1, weights=w, keepdims=True), {},
               dict(axis=0, keepdims=True), dict(weights=onp.ones((3, 4)))):
        check("average", X, returned=True, **kw)


def test_median_overwrite_input_writes_in_place():
    x = make((9,), onp.float64, seed=6)
    a = nf.asarray(x.copy())
    assert_same(nf.median(a, overwrite_input=True), onp.median(x, overwrite_input=True))
    assert_same(a, x)


OVERWRITE = [(nf.median, {}), (nf.nanmedian, {}), (nf.percentile, dict(q=30.0)),
             (nf.quantile, dict(q=[0.25, 0.5])), (nf.nanquantile, dict(q=0.7))]


@pytest.mark.parametrize("f, kw", OVERWRITE, ids=[f.__name__ for f, _ in OVERWRITE])
def test_overwrite_input_under_differentiation(f, kw):
    """NumPy may overwrite the input; an input a gradient depends on is kept, and the gradient is
    overwrite_input=False's, in both modes (and for a tape that finished recording)."""
    x = make((3, 5), onp.float64, seed=7)
    fn = lambda over: lambda a: nf.sum(f(a, axis=1, overwrite_input=over, **kw) ** 2)  # noqa: E731
    a = nf.asarray(x.copy())
    t = nf.ones_like(a)
    assert_same(nf.grad(fn(True))(a), onp.asarray(nf.grad(fn(False))(a)))
    assert_same(nf.jvp(fn(True), (a,), (t,))[1], onp.asarray(nf.jvp(fn(False), (a,), (t,))[1]))
    assert_same(a, x)
    with nf.GradientTape() as tape:
        tape.watch(a)
        y = nf.sum(nf.sin(a))
    f(a, axis=1, overwrite_input=True, **kw)  # after recording, before the backward pass
    f(onp.asarray(a)[1:], axis=1, overwrite_input=True, **kw)  # a NumPy view of its memory
    assert_same(a, x)
    assert_same(tape.gradient(y, a), onp.cos(x))


def _cumprod_hessian(x, w):
    """d2/dx_i dx_j of sum(w * cumprod(x)): sum over k >= i, j of w_k prod_{l <= k, l != i, j} x_l."""
    n = len(x)
    h = onp.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                h[i, j] = sum(w[k] * onp.prod([x[m] for m in range(k + 1) if m not in (i, j)])
                              for k in range(max(i, j), n))
    return h


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 0.0, 5.0, 0.0, 1.5], [0.0, 0.0, 2.0, 0.5], [1.5, 2.0, 0.5]])
def test_cumprod_hessian_with_zeros(x):
    """Any number of zeros: the mixed second derivatives across two zeros are not lost."""
    x, w = onp.array(x), onp.arange(1.0, len(x) + 1)
    for f in (lambda a: nf.sum(nf.cumprod(a) * w), lambda a: nf.sum(nf.multiply.accumulate(a) * w)):
        onp.testing.assert_allclose(onp.asarray(nf.hessian(f)(nf.asarray(x))), _cumprod_hessian(x, w),
                                    atol=1e-12)


OUT_CALLS = [(n, dict(axis=0)) for n in NAMES if "out" in inspect.signature(getattr(onp, n)).parameters]
OUT_CALLS += [(n, kw) for n, kw in [("cumulative_sum", dict(axis=1, include_initial=True)),
                                     ("sum", dict(axis=None)), ("mean", dict(axis=1, where=M))]
              if n in NAMES]


@pytest.mark.parametrize("name, kw", OUT_CALLS, ids=[c[0] for c in OUT_CALLS])
def test_out(name, kw):
    """out= is written in place and is the object returned, as in NumPy."""
    x = data(name, (3, 4), onp.float64)
    expected = getattr(onp, name)(x, **kw)
    o_np = onp.full_like(expected, -7)
    o = nf.asarray(o_np.copy())
    r = getattr(nf, name)(nf.asarray(x), out=o, **{k: to_nf(v) for k, v in kw.items()})
    assert r is o
    assert_same(o, getattr(onp, name)(x, out=o_np, **kw))


def test_methods():
    """The ndarray methods (which pass keepdims=False, where=True) reach the same results."""
    x = data("sum", (3, 4), onp.float32)
    a = nf.asarray(x)
    for m in ("sum", "prod", "mean", "std", "var", "min", "max", "argmin", "argmax", "all", "any",
              "cumsum", "cumprod"):
        assert_same(getattr(a, m)(), getattr(x, m)())
        assert_same(getattr(a, m)(axis=1), getattr(x, m)(axis=1))


ERRORS = [
    # name, input, keywords: NumPy raises; npflow raises the same type, naming the function
    ("max", onp.zeros(0), {}), ("min", onp.zeros((2, 0)), dict(axis=1)),
    ("argmax", onp.zeros(0), {}), ("argmin", onp.zeros((0, 2)), dict(axis=0)),
    ("nanargmax", onp.full(2, onp.nan), {}), ("nanmin", onp.zeros(0), {}),
    ("sum", X, dict(axis=2)), ("mean", X, dict(axis=(0, 0))), ("cumsum", X, dict(axis=(0, 1))),
    ("cumulative_sum", X, {}), ("var", X, dict(ddof=1, correction=1)),
    ("ptp", onp.zeros(0), {}), ("ptp", M, {}), ("median", X, dict(axis=3)),
    ("average", X, dict(weights=onp.zeros(4), axis=1)), ("average", X, dict(weights=[1, 2])),
    ("average", X, dict(weights=onp.ones(3), axis=1)), ("average", X, dict(axis=2)),
    ("count_nonzero", X, dict(axis=5)), ("sum", X, dict(out=onp.zeros(2).view(onp.int64))),
]
ERRORS = [c for c in ERRORS if c[0] in NAMES]


@pytest.mark.parametrize("name, x, kw", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, x, kw):
    with pytest.raises(Exception) as np_err:
        getattr(onp, name)(x, **kw)
    with pytest.raises(type(np_err.value), match=rf"\b{name}\(\)"):
        getattr(nf, name)(nf.asarray(x), **{k: to_nf(v) for k, v in kw.items()})


@pytest.mark.parametrize("device", DEVICES)
def test_results_stay_on_device(device):
    x = make((3, 4), onp.float64, seed=7)
    a = nf.asarray(x, device=device)
    for name in NAMES:
        kw = dict(axis=1)
        if name == "average":
            kw["weights"] = nf.asarray(onp.arange(1.0, 5.0), device=device)
        r = getattr(nf, name)(a, **kw)
        assert r.device == nf.Device(device), name
        assert_same(r, getattr(onp, name)(x, axis=1, **({"weights": onp.arange(1.0, 5.0)}
                                                        if name == "average" else {})))
    avg, scl = nf.average(a, axis=1, returned=True)
    assert avg.device == scl.device == nf.Device(device)
    assert_same(scl, onp.average(x, axis=1, returned=True)[1])
    o = nf.asarray(onp.zeros(3), device=device)
    assert nf.sum(a, axis=1, out=o, where=nf.asarray(M, device=device)) is o
    assert o.device == nf.Device(device)
    assert_same(o, onp.sum(x, axis=1, where=M))


def test_mixed_devices_raise():
    a = nf.asarray(X, device="sim")
    with pytest.raises(nf.DeviceMismatchError, match="sum"):
        nf.sum(a, axis=1, out=nf.asarray(onp.zeros(3)))
    with pytest.raises(nf.DeviceMismatchError, match="average"):
        nf.average(a, axis=1, weights=nf.asarray(onp.ones(4)))


@st.composite
def reduction_cases(draw):
    name = draw(st.sampled_from(NAMES))
    dtype = draw(st.sampled_from([onp.float64, onp.float32, onp.int64, onp.uint8, onp.bool_,
                                  onp.complex128]))
    x = draw(hyp_arrays(dtype))
    axes = list(range(-x.ndim, x.ndim))
    axis = draw(st.none() | st.sampled_from(axes or [None])
                | st.lists(st.sampled_from(axes or [0]), max_size=3, unique=True).map(tuple))
    kw = {"axis": axis}
    if draw(st.booleans()):
        kw["keepdims"] = True
    return name, x, kw


@given(reduction_cases())
def test_hypothesis(case):
    name, x, kw = case
    check(name, x, **kw)
