"""npflow.fft against numpy.fft: values, dtypes, shapes, n=/s=/axes=, norms, out=, errors, devices."""

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from support import assert_same, make, ids, outcomes, DEVICES

DTYPES = [onp.bool_, onp.int8, onp.uint64, onp.float16, onp.float32, onp.float64,
          onp.complex64, onp.complex128]
ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]
SHIFT_DTYPES = [onp.bool_, onp.int32, onp.float32, onp.complex128]
NORMS = [None, "backward", "ortho", "forward"]

# (function, shape, keywords): every transform over odd and even lengths, padding (n=/s= above the
# length) and cropping, each axis and norm, repeated axes, and the inputs NumPy rejects.
ERRORS = [((0,), {}), ((3,), {"norm": "bad"}), ((3,), {"norm": "Ortho"}), ((1,), {}), ((0, 3), {}),
          ((2, 0), {}), ((), {})]
CASES = (
    [(f, shape, kw) for f in ONE_D for shape in [(5,), (6,), (2, 3, 4)]
     for kw in [{}, {"n": 1}, {"n": 4}, {"n": 9}, {"axis": 0}, {"n": 3, "axis": -2}]]
    + [(f, (2, 6), {"norm": norm, "n": n}) for f in ONE_D for norm in NORMS for n in (None, 7)]
    + [(f, (3, 4, 5), kw) for f in N_D for kw in [
        {}, {"axes": (0,)}, {"axes": (2, 0)}, {"s": (3, 4), "axes": (-1, 0)},
        {"s": (2, 6, 1), "axes": (0, 1, 2)}, {"s": (-1, 3), "axes": (1, 2)},
        {"axes": (1, 1)}, {"s": (3, 7, 4), "axes": (2, 0, 2)}, {"norm": "ortho"},
        {"norm": "forward", "s": (4, 6), "axes": (1, 0)}, {"norm": "backward", "axes": (-2,)}]]
    # errors: NumPy's exception types
    + [(f, shape, kw) for f in ONE_D + N_D for shape, kw in ERRORS]
    + [(f, shape, kw) for f in ONE_D for shape, kw in [
        ((3,), {"n": 0}), ((3,), {"n": -2}), ((3,), {"axis": 1}), ((3,), {"n": 2.0}),
        ((2, 0), {"axis": 0}), ((2, 0), {"n": 0, "axis": 0})]]
    + [(f, shape, kw) for f in N_D for shape, kw in [
        ((3,), {"s": (0,), "axes": (0,)}), ((3,), {"axes": (1,)}), ((3, 4), {"axes": (0, 5)}),
        ((2, 3), {"s": (2, 3), "axes": (0,)}), ((2, 3), {"axes": ()}), ((2, 0), {"axes": (0,)}),
        ((2, 3), {"s": (2.0, 3), "axes": (0, 1)})]])


def _tol(*dtypes):
    single = any(onp.dtype(d) in (onp.float16, onp.float32, onp.complex64) for d in dtypes)
    return (2e-6, 2e-5) if single else (1e-13, 1e-12)


def _compare(name, x, kw):
    try:
        expected = getattr(onp.fft, name)(x, **kw)
    except Exception as e:
        with pytest.raises(type(e)) as info:
            getattr(nf.fft, name)(nf.asarray(x.copy()), **kw)
        assert f"{name}()" in str(info.value)
        return
    got = getattr(nf.fft, name)(nf.asarray(x.copy()), **kw)
    rtol, atol = _tol(x.dtype, expected.dtype)
    assert_same(got, expected, rtol=rtol, atol=atol * max(1.0, float(onp.abs(expected).max(initial=0))))


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("name,shape,kw", CASES, ids=[f"{f}-{s}-{k}" for f, s, k in CASES])
def test_transforms(name, shape, kw, dtype):
    _compare(name, make(shape, dtype, seed=len(shape)), kw)


@given(st.sampled_from(ONE_D + N_D), st.lists(st.integers(1, 6), min_size=1, max_size=3),
       st.lists(st.integers(1, 7), min_size=1, max_size=3), st.sampled_from(NORMS),
       st.sampled_from([onp.float32, onp.float64, onp.complex128]), st.data())
def test_transforms_random(name, shape, s, norm, dtype, data):
    """Random shapes, lengths and axes (repeats included) against NumPy."""
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=len(s),
                              max_size=len(s)) | st.none())
    kw = {"norm": norm}
    if name in ONE_D:
        kw.update(n=s[0], axis=axes[0] if axes else -1)
    elif axes is not None:
        kw.update(s=tuple(s), axes=tuple(axes))
    _compare(name, make(tuple(shape), dtype, seed=sum(shape)), kw)


def test_namespace():
    """The same names as numpy.fft (their signatures: tests/test_namespace.py)."""
    assert sorted(nf.fft.__all__) == sorted(onp.fft.__all__)


def test_deprecated_s_without_axes_and_none_in_s():
    x = make((3, 4, 5), onp.float64)
    for name, kw in [("fftn", {"s": (3, 6)}), ("irfftn", {"s": (2, 4)}),
                     ("fftn", {"s": (None, 6), "axes": (0, 2)}),
                     ("irfftn", {"s": (4, None), "axes": (0, 1)})]:
        with pytest.warns(DeprecationWarning):
            expected = getattr(onp.fft, name)(x, **kw)
        with pytest.warns(DeprecationWarning):
            got = getattr(nf.fft, name)(nf.asarray(x), **kw)
        assert_same(got, expected, rtol=1e-13, atol=1e-12)


def test_no_axes_gives_the_input():
    x = nf.asarray(make((2, 3), onp.int8))
    assert nf.fft.fftn(x, axes=()) is x and nf.fft.ifft2(x, axes=()) is x
    assert_same(nf.fft.fftn(nf.asarray(make((), onp.int16))), onp.fft.fftn(make((), onp.int16)))


@pytest.mark.parametrize("name,shape,kw", [
    ("fft", (3, 6), {}), ("ifft", (3, 6), {"n": 4}), ("rfft", (3, 6), {"norm": "ortho"}),
    ("irfft", (3, 6), {}), ("hfft", (3, 6), {"n": 5}), ("ihfft", (3, 5), {}),
    ("fftn", (3, 6), {}), ("ifftn", (3, 6), {"s": (2, 5), "axes": (0, 1)}), ("fft2", (3, 6), {}),
    ("ifft2", (3, 6), {}), ("rfftn", (3, 6), {}), ("irfftn", (3, 6), {"s": (3, 7), "axes": (0, 1)}),
    ("rfft2", (3, 6), {}), ("irfft2", (3, 6), {})])
def test_out(name, shape, kw):
    """out= is written and returned (as NumPy's documentation says; NumPy itself ignores it in
    hfft, ifft2 and irfft2); a wrong shape is a ValueError, an unsafe cast a TypeError."""
    x = make(shape, onp.complex128 if name in ("irfft", "hfft", "irfftn", "irfft2") else onp.float64)
    expected = getattr(onp.fft, name)(x, **kw)
    out = nf.zeros(expected.shape, dtype=expected.dtype)
    r = getattr(nf.fft, name)(nf.asarray(x), out=out, **kw)
    assert r is out
    assert_same(out, expected, rtol=1e-13, atol=1e-12)
    with pytest.raises(ValueError, match=name):
        getattr(nf.fft, name)(nf.asarray(x), out=nf.zeros(expected.shape + (1,), dtype=expected.dtype), **kw)
    with pytest.raises(TypeError):
        getattr(nf.fft, name)(nf.asarray(x), out=nf.zeros(expected.shape, dtype=onp.int64), **kw)
    single = nf.zeros(expected.shape, dtype=onp.complex64 if expected.dtype.kind == "c" else onp.float32)
    getattr(nf.fft, name)(nf.asarray(x), out=single, **kw)  # same_kind: a downcast is allowed
    assert_same(single, expected.astype(single.dtype), rtol=2e-6, atol=2e-5 * onp.abs(expected).max())
    host = onp.zeros(expected.shape, dtype=expected.dtype)  # a NumPy out= is written and returned too
    assert getattr(nf.fft, name)(nf.asarray(x), out=host, **kw) is host
    onp.testing.assert_allclose(host, expected, rtol=1e-13, atol=1e-12)
    for bad in (3, [0.0] * expected.size, "out"):  # not an array: NumPy's TypeError
        with pytest.raises(TypeError, match="ArrayType"):
            getattr(nf.fft, name)(nf.asarray(x), out=bad, **kw)


def test_irfft_of_an_empty_axis_is_zero():
    """Zero-padding an empty half spectrum gives zeros (NumPy 2.4 returns uninitialised memory)."""
    for x, kw in [(onp.zeros((3, 0)), {"n": 4}), (onp.zeros((0, 3), onp.complex64), {"n": 5, "axis": 0}),
                  (onp.zeros((2, 0)), {"s": (3, 4), "axes": (0, 1)})]:
        fn = "irfftn" if "s" in kw else "irfft"
        assert_same(getattr(nf.fft, fn)(nf.asarray(x), **kw), onp.zeros_like(getattr(onp.fft, fn)(x, **kw)))


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("shape,axes", [((5,), None), ((6,), None), ((0,), None), ((3, 4), None),
                                        ((3, 4), 0), ((3, 4), -1), ((3, 4, 5), (0, 2)),
                                        ((3, 4, 5), [-1]), ((3, 4), (0, 0)), ((), None), ((3,), 1)])
@pytest.mark.parametrize("dtype", SHIFT_DTYPES, ids=ids(SHIFT_DTYPES))
def test_shifts(name, shape, axes, dtype):
    x = make(shape, dtype)
    xf = nf.asarray(x)
    # axes= by position and by keyword, each on both outcomes (NumPy's result or its exception type)
    for call in (lambda m, a: getattr(m.fft, name)(a, axes), lambda m, a: getattr(m.fft, name)(a, axes=axes)):
        res = outcomes(lambda m: call(m, xf if m is nf else x))
        if res is None:
            continue
        got, expected = res
        assert_same(got, expected)
        assert not onp.shares_memory(onp.asarray(got), onp.asarray(xf))
        assert_same(getattr(nf.fft, name)(x.tolist(), axes), getattr(onp.fft, name)(x.tolist(), axes))


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("n,d", [(1, 1.0), (4, 1.0), (5, 0.1), (8, 3), (7, onp.float32(0.25)),
                                 (6, onp.float64(2.0)), (onp.int64(5), 1.0), (0, 1.0), (3.0, 1.0),
                                 ("4", 1.0)])
def test_frequencies(name, n, d):
    res = outcomes(lambda m: getattr(m.fft, name)(n, d))
    if res is None:
        return
    got, expected = res
    assert_same(got, expected, rtol=1e-15)
    assert_same(getattr(nf.fft, name)(n, d=d, device="cpu"), expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_frequencies_in_a_requested_dtype(name):
    """dtype= (the Array API's keyword): NumPy's values in that real floating dtype."""
    for dtype in (onp.float32, onp.float64):
        assert_same(getattr(nf.fft, name)(6, 0.5, dtype=dtype), getattr(onp.fft, name)(6, 0.5).astype(dtype))
    with pytest.raises(TypeError, match="real floating"):
        getattr(nf.fft, name)(6, dtype=onp.int64)


@pytest.mark.parametrize("device", DEVICES)
def test_results_stay_on_the_device(device):
    x = nf.asarray(make((4, 6), onp.float64), device=device)
    z = nf.asarray(make((4, 6), onp.complex128), device=device)
    for name in ONE_D + N_D + ["fftshift", "ifftshift"]:
        a = z if name in ("irfft", "hfft", "irfftn", "irfft2") else x
        r = getattr(nf.fft, name)(a)
        assert r.device == a.device, name
        expected = getattr(onp.fft, name)(onp.asarray(a.to_device("cpu")))
        assert_same(r.to_device("cpu"), expected, rtol=1e-13, atol=1e-12)
    for name in ("fftfreq", "rfftfreq"):
        r = getattr(nf.fft, name)(7, 0.5, device=device)
        assert r.device == nf.asarray(0, device=device).device
        assert_same(r.to_device("cpu"), getattr(onp.fft, name)(7, 0.5))
    out = nf.zeros((4, 6), dtype=complex, device=device)
    assert nf.fft.fft(x, out=out) is out


@pytest.mark.parametrize("dtype", [onp.float32, onp.float64], ids=ids([onp.float32, onp.float64]))
def test_gradients_keep_single_precision(dtype):
    """Gradients through fftn and rfft/irfft keep the input's precision (Parseval: d|F x|^2 = 2 N x)."""
    x = nf.asarray(make((3, 8), dtype))
    rtol = 1e-5 if dtype == onp.float32 else 1e-12
    g = nf.grad(lambda a: nf.sum(nf.abs(nf.fft.fftn(a)) ** 2))(x)
    assert g.dtype == dtype
    onp.testing.assert_allclose(onp.asarray(g), 2 * 24 * onp.asarray(x), rtol=rtol)
    roundtrip = lambda a: nf.fft.irfft(nf.fft.rfft(a, norm="ortho"), n=8, norm="ortho")  # noqa: E731
    h = nf.grad(lambda a: nf.sum(roundtrip(a) * a))(x)
    assert h.dtype == dtype
    onp.testing.assert_allclose(onp.asarray(h), 2 * onp.asarray(x), rtol=rtol)


def test_foreign_inputs():
    """Lists and NumPy arrays are taken as NumPy takes them; the results are npflow arrays."""
    x = make((3, 5), onp.float64)
    for name in ("fft", "rfft", "ihfft", "fftn", "rfft2", "fftshift"):
        assert_same(getattr(nf.fft, name)(x), getattr(onp.fft, name)(x), rtol=1e-13, atol=1e-12)
        assert_same(getattr(nf.fft, name)(x.tolist()), getattr(onp.fft, name)(x.tolist()),
                    rtol=1e-13, atol=1e-12)
