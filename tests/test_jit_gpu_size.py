"""``size=`` and ``fill_value=`` (JAX's keywords) for the functions whose output shape depends on
their input's values: ``nonzero``, ``flatnonzero``, ``argwhere``, ``unique`` and
``where(condition)``. With a size they have a static shape, so ``jit`` holds them (on every
device, "cuda" included); without one, inside ``jit``, they raise ValueDependentShapeError.
JAX (``jax.numpy``, 64-bit mode) is the reference for the values, NumPy's unsized functions
for the dtypes."""
import functools

import numpy as onp
import pytest

import npflow as np
from npflow.jit import ValueDependentShapeError
from support import DEVICES, assert_same

M = onp.array([[0.0, 3.0, 0.0], [1.0, 0.0, 2.0]])
U = onp.array([3.0, 1.0, 3.0, 2.0, 1.0, 5.0])
UM = onp.array([[1, 2, 1], [3, 4, 3]])
ALL = dict(return_index=True, return_inverse=True, return_counts=True)

# (label, function name, argument, keywords): sizes above, at and below the true count, default
# and given fill values (one per dimension where the function takes that)
CASES = [
    ("nonzero pads with 0", "nonzero", M, dict(size=5)),
    ("nonzero truncates", "nonzero", M, dict(size=2, fill_value=-1)),
    ("nonzero exact", "nonzero", M, dict(size=3)),
    ("nonzero fill per dimension", "nonzero", M, dict(size=5, fill_value=(7, 8))),
    ("nonzero of nothing", "nonzero", onp.zeros(4), dict(size=2, fill_value=9)),
    ("flatnonzero", "flatnonzero", M, dict(size=5, fill_value=9)),
    ("flatnonzero truncates", "flatnonzero", M, dict(size=1)),
    ("argwhere", "argwhere", M, dict(size=5)),
    ("argwhere fill per column", "argwhere", M, dict(size=4, fill_value=(4, 5))),
    ("argwhere truncates", "argwhere", M, dict(size=2)),
    ("unique pads with the smallest", "unique", U, dict(size=6)),
    ("unique truncates", "unique", U, dict(size=2)),
    ("unique all, padded", "unique", U, dict(size=6, fill_value=-1, **ALL)),
    ("unique all, truncated", "unique", U, dict(size=2, **ALL)),
    ("unique along an axis", "unique", UM, dict(size=4, axis=1)),
    ("unique of nothing with a fill", "unique", onp.zeros(0), dict(size=2, fill_value=7.0)),
    ("where(condition)", "where", M, dict(size=4, fill_value=-1)),
]
IDS = [c[0] for c in CASES]


def _jax(name, a, kw):
    return _jax_cached(name, a.tobytes(), a.shape, a.dtype.str, tuple(sorted(kw.items())))


@functools.lru_cache(maxsize=None)
def _jax_cached(name, data, shape, dtype, kw):  # (JAX compiles each call: once per case)
    jax = pytest.importorskip("jax")  # (the reference where it is installed: the bench extra)
    jnp = jax.numpy
    a = onp.frombuffer(data, dtype).reshape(shape)
    with jax.enable_x64(True):
        r = getattr(jnp, name)(a, **dict(kw))
    return tuple(onp.asarray(x) for x in r) if isinstance(r, tuple) else onp.asarray(r)


def _numpy_dtypes(name, a, kw):
    """The dtypes NumPy's unsized function gives."""
    kw = {k: v for k, v in kw.items() if k not in ("size", "fill_value")}
    r = getattr(onp, name)(a, **kw)
    return [x.dtype for x in r] if isinstance(r, tuple) else [r.dtype]


def _check(got, name, a, kw):
    want = _jax(name, a, kw)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, w, dt in zip(got, want, _numpy_dtypes(name, a, kw)):
        assert_same(g, w.astype(dt))


@pytest.mark.parametrize("label, name, a, kw", CASES, ids=IDS)
def test_eager_values_are_jaxs(label, name, a, kw):
    _check(getattr(np, name)(np.asarray(a), **kw), name, a, kw)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("label, name, a, kw", CASES, ids=IDS)
def test_jit_holds_them_with_static_shapes(label, name, a, kw, device):
    """One trace serves arguments with other values (other counts), giving eager's results on
    the device: the graph holds the sized op, no guard on a shape."""
    fn = getattr(np, name)
    f = np.jit(lambda x: fn(x, **kw))
    for arg in (a, a[::-1].copy(), onp.zeros_like(a), a * (a > 1)):
        x = np.asarray(arg, device=device)
        got, want = f(x), fn(x, **kw)
        got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
        for g, w in zip(got, want):
            assert g.device == w.device == x.device
            assert_same(g, onp.asarray(w))
    assert f.trace_count == 1
    graph = f.trace(np.asarray(a, device=device))
    assert graph.count("guard") == 0 and graph.count(f"{'nonzero' if name == 'where' else name}_sized") == 1


@pytest.mark.parametrize("fn", [np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.where,
                                lambda x: x.nonzero()], ids=["nonzero", "flatnonzero", "argwhere",
                                                            "unique", "where", "ndarray.nonzero"])
def test_without_size_jit_raises(fn):
    with pytest.raises(ValueDependentShapeError, match="size="):
        np.jit(lambda x: fn(x > 1))(np.asarray(U))


BAD = [
    (dict(size=-1), ValueError, "size= must be >= 0"),
    (dict(size=2.5), TypeError, "size= must be an integer"),
    (dict(size=2, fill_value=np.asarray(1)), TypeError, "fill_value= must be a Python scalar"),
    (dict(size=2, fill_value=(1, 2, 3)), ValueError, "fill_value= has 3 values for 2 dimensions"),
]


@pytest.mark.parametrize("kw, error, words", BAD, ids=[w for _, _, w in BAD])
def test_bad_sizes_and_fills(kw, error, words):
    with pytest.raises(error, match=words):
        np.nonzero(np.asarray(M), **kw)


def test_errors_as_jax_gives_them():
    with pytest.raises(ValueError, match="fill_value= must be given"):
        np.unique(np.zeros(0), size=2)
    with pytest.raises(TypeError, match="where\\(condition\\) alone"):
        np.where(np.asarray(M) > 0, 1.0, 0.0, size=3)


def test_gradients_are_the_unsized_functions():
    """unique has no derivative in npflow (a set operation): sized or not, the gradient through
    it is the same (zero), first and second order; the indices of nonzero select as they do."""
    x = np.asarray(U)
    for f, g in [(lambda v: np.sum(np.unique(v) ** 2), lambda v: np.sum(np.unique(v, size=9) ** 2)),
                 (lambda v: np.sum(v[np.nonzero(v > 1.5)] ** 2),
                  lambda v: np.sum(v[np.nonzero(v > 1.5, size=5)] ** 2) - v[0] ** 2)]:
        assert_same(np.grad(g)(x), onp.asarray(np.grad(f)(x)))
        assert_same(np.jit(np.grad(g))(x), onp.asarray(np.grad(f)(x)))
