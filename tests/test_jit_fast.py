"""npflow.jit's NumPy replay: large elementwise chains run blocked and threaded
(npflow/jit/blocked.py), bit-identical to eager npflow, with NumPy's error-state behaviour."""
import warnings

import numpy
import pytest

import npflow as np
from npflow._core import dispatch
from npflow.jit import blocked, replay
from support import DEVICES, SPECIAL_INPUTS


@pytest.fixture
def small(monkeypatch):
    """Small thresholds (so the tests run small arrays through every path) and 2 threads."""
    monkeypatch.setattr(blocked, "MIN_SIZE", 256)
    monkeypatch.setattr(blocked, "PARALLEL_SIZE", 1024)
    monkeypatch.setattr(blocked, "BLOCK_BYTES", 64 * 8)
    blocked.set_threads(2)
    yield
    blocked.set_threads(None)


def _chains(f):
    """The blocked chains a jitted function's cached graph runs (a replay function's globals;
    the CUDA executor's runner has none)."""
    return [k for entries in f.cache.values() for e in entries
            for k in getattr(e.run, "__globals__", {}).values() if isinstance(k, blocked.BlockedChain)]


def _same(got, want):
    got, want = numpy.asarray(got), numpy.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    numpy.testing.assert_array_equal(got, want, strict=True)


CHAINS = {
    "exp-sin": lambda x, y: np.exp(-x * x) * y + np.sin(x),
    "tanh": lambda x, y: np.tanh(x * y + x) - y,
    "scalars": lambda x, y: (x * 2 + 1) * (y - 3) + x,
    "square-sqrt": lambda x, y: np.sqrt(np.square(x) + np.square(y)) * 0.5,
    "compare": lambda x, y: np.logical_and(x > y, y >= 0) | (x == y),
}
DTYPES = ["float64", "float32", "complex128", "int64", "int32"]


def _data(shape, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    a = rng.standard_normal(shape) * 3
    if numpy.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("name, dtype", [(n, d) for n in sorted(CHAINS) for d in DTYPES
                                         if n in ("scalars", "compare") or d[0] != "i"])
def test_chains_bit_identical(small, name, dtype):
    fun = CHAINS[name]
    f = np.jit(fun)
    for n in (255, 256, 1023, 1024, 3001):  # below / at the thresholds, and a partial last block
        x, y = np.asarray(_data(n, dtype)), np.asarray(_data(n, dtype, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = fun(x, y)
            f(x, y)
            got = f(x, y)
        _same(got, want)
    assert _chains(f)


@pytest.mark.parametrize("shapes", [((64, 50), (50,)), ((64, 50), (64, 1)), ((64, 50), ()),
                                    ((64, 50), (1, 1)), ((8, 16, 12), (16, 1)), ((1, 4000), (1, 4000))],
                         ids=str)
def test_broadcasting(small, shapes):
    fun = CHAINS["exp-sin"]
    f = np.jit(fun)
    x, y = np.asarray(_data(shapes[0], "float64")), np.asarray(_data(shapes[1], "float64", 1))
    f(x, y)
    _same(f(x, y), fun(x, y))
    assert _chains(f)


def test_generalized_ufuncs_are_not_blocked(small):
    fun = lambda x, w, b: np.tanh(x @ w + b) @ w  # noqa: E731 (matmul: a gufunc, not elementwise)
    f = np.jit(fun)
    x, w, b = (np.asarray(_data(s, "float64", i)) for i, s in enumerate(((300, 40), (40, 40), (40,))))
    f(x, w, b)
    _same(f(x, w, b), fun(x, w, b))
    assert _chains(f) and all(numpy.matmul not in k.ufuncs for k in _chains(f))


def test_non_contiguous_inputs(small):
    fun = CHAINS["exp-sin"]
    f = np.jit(fun)
    base = _data((80, 120), "float64")
    for x in (np.asarray(base)[:, ::2], np.asarray(base).T, np.asarray(base)[::3]):
        y = np.asarray(_data(x.shape, "float64", 2))
        f(x, y)
        _same(f(x, y), fun(x, y))


def test_in_place_writes(small):
    def fun(x, y):
        x = x * 1.5
        x += y  # an in-place write between two chains
        z = np.exp(-x * x) * y
        z[0] = 7.0  # the chain's output written afterwards
        return z + np.sin(x), x

    f = np.jit(fun)
    x, y = np.asarray(_data(3000, "float64")), np.asarray(_data(3000, "float64", 1))
    f(x, y)
    for g, w in zip(f(x, y), fun(x, y)):
        _same(g, w)


def test_sizes_at_the_real_thresholds():
    fun = CHAINS["exp-sin"]
    for n, fused in ((blocked.MIN_SIZE - 1, False), (blocked.MIN_SIZE, True),
                     (blocked.PARALLEL_SIZE + 17, True)):
        f = np.jit(fun)
        x, y = np.asarray(_data(n, "float64")), np.asarray(_data(n, "float64", 1))
        f(x, y)
        _same(f(x, y), fun(x, y))
        assert bool(_chains(f)) == fused


@pytest.mark.parametrize("mode", ["warn", "raise", "ignore", "call"])
def test_errstate(small, mode):
    """The caller's error state holds in the threads; each op warns (raises, calls) once, as in
    eager code."""
    fun = lambda x, y: np.exp(x) * y + np.log(y)  # noqa: E731 (overflow in exp, invalid in log)
    f = np.jit(fun)
    x = np.asarray(numpy.linspace(0, 1000, 3000))
    y = np.asarray(numpy.linspace(-1, 1, 3000))
    ok_x, ok_y = np.asarray(numpy.linspace(0, 1, 3000)), np.asarray(numpy.linspace(1, 2, 3000))
    f(ok_x, ok_y)  # traced without errors: the call below runs the blocked graph
    assert _chains(f)
    calls = []
    with numpy.errstate(all=mode, call=lambda kind, flag: calls.append(kind)):
        if mode == "raise":
            with pytest.raises(FloatingPointError, match="overflow encountered in exp"):
                fun(x, y)
            with pytest.raises(FloatingPointError, match="overflow encountered in exp"):
                f(x, y)
            return
        with warnings.catch_warnings(record=True) as eager:
            warnings.simplefilter("always")
            want = fun(x, y)
        eager_calls, calls[:] = list(calls), []
        with warnings.catch_warnings(record=True) as jitted:
            warnings.simplefilter("always")
            got = f(x, y)
    _same(got, want)
    assert [str(w.message) for w in jitted] == [str(w.message) for w in eager]
    assert calls == eager_calls
    if mode == "warn":
        assert len(jitted) == 2
    if mode == "call":
        assert calls == ["overflow", "invalid value"]


def test_thread_count_from_the_environment(monkeypatch):
    for env, want in (({"NPFLOW_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, 3), ({"OMP_NUM_THREADS": "1"}, 1)):
        monkeypatch.delenv("NPFLOW_NUM_THREADS", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        assert blocked._threads_from_env() == want


@pytest.mark.parametrize("device", DEVICES)
def test_devices(small, device):
    """NumPy's backend (cpu, and sim, which runs NumPy's kernels) runs blocked chains; other
    backends (CuPy, fake_cupy's under NPFLOW_FAKE_CUPY=1) keep their own kernels."""
    fun = CHAINS["exp-sin"]
    f = np.jit(fun)
    x = np.asarray(_data(3000, "float64"), device=device)
    f(x, x)
    got, want = f(x, x), fun(x, x)
    assert got.device == want.device
    _same(got.get() if hasattr(got, "get") else got, want.get() if hasattr(want, "get") else want)
    assert bool(_chains(f)) == (x._device.backend is dispatch._NUMPY_BACKEND)


@pytest.mark.parametrize("strided", [False, True])
def test_numba_prange_kernel(monkeypatch, strided):
    """backend="numba": a large chain runs as one njit(parallel=True) prange loop, within the
    documented tolerance of NumPy's kernels (a few ulps: other math routines)."""
    pytest.importorskip("numba")
    from npflow.jit import numba_backend
    monkeypatch.setattr(numba_backend, "PARALLEL_SIZE", 2000)
    fun = CHAINS["exp-sin"]
    f = np.jit(fun, backend="numba")
    base = _data(6000, "float64")
    x = np.asarray(base)[::2] if strided else np.asarray(base[:3000])
    y = np.asarray(_data(3000, "float64", 1))
    got, want = f(x, y), fun(x, y)
    assert got.dtype == want.dtype and got.shape == want.shape
    numpy.testing.assert_allclose(numpy.asarray(got), numpy.asarray(want), rtol=4e-16, atol=4e-16)
    kernels = [n.kernel for e in next(iter(f.cache.values())) for n in e.fast.nodes if n.kernel is not None]
    assert [hasattr(k, "loop") for k in kernels] == [True]


# -- the replay's faster kernels (replay.FAST): NumPy's formula on NumPy's SIMD routines ----------
SPECIALS = [numpy.nan, numpy.inf, -numpy.inf, 0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 710.0, -745.0]


def _logaddexps(x, y):
    return np.logaddexp(x, y), np.logaddexp(0.0, x), np.logaddexp(y, y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_replay_logaddexp_within_its_tolerance(dtype):
    """A jitted logaddexp of 64 elements or more runs ``max + log1p(exp(-|d|))`` on NumPy's SIMD
    kernels: within 2 units in the last place of max(1, |result|) of NumPy's logaddexp (the
    guide's tolerance); where the result is not finite, NumPy's own value and warnings."""
    f = np.jit(_logaddexps)
    specials = numpy.array(SPECIALS, dtype)
    pairs = numpy.array([(a, b) for a in specials for b in specials], dtype).T
    for scale in (1e-3, 1.0, 30.0, 1e4):
        x, y = (_data(4096, dtype, seed) * scale for seed in (1, 2))
        x, y = numpy.concatenate([x, pairs[0]]), numpy.concatenate([y, pairs[1]])
        with warnings.catch_warnings(record=True) as got_w, numpy.errstate(all="warn"):
            warnings.simplefilter("always")
            got = f(np.asarray(x), np.asarray(y))
        with warnings.catch_warnings(record=True) as want_w, numpy.errstate(all="warn"):
            warnings.simplefilter("always")
            want = _logaddexps(np.asarray(x), np.asarray(y))
        assert sorted({str(w.message) for w in got_w}) == sorted({str(w.message) for w in want_w})
        for g, w in zip(got, want):
            assert numpy.asarray(w).dtype == numpy.dtype(dtype)
            _close(g, w, _lse_tolerance)
    (entries,) = f.cache.values()
    nodes = [n for n in entries[0].fast.nodes if n.name == "logaddexp"]
    assert len(nodes) == 3 and all(replay._replay_kernel(n) is replay._logaddexp for n in nodes)


def _lowered(f):
    """Whether a jitted function's cached replay runs logaddexp on the lowered composite."""
    return any(k is replay._logaddexp for entries in f.cache.values() for e in entries
               for k in getattr(e.run, "__globals__", {}).values())


def _close(got, want, tol):
    """Same dtype and shape; NaN and infinities exactly where eager has them; finite values
    within ``tol`` (a function of eager's finite values) of eager's."""
    got, want = numpy.asarray(got), numpy.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    finite = numpy.isfinite(want)
    numpy.testing.assert_array_equal(got[~finite], want[~finite])
    got, want = got[finite], want[finite]
    assert (numpy.abs(got - want) <= tol(want)).all()


def _ulp(v):
    return numpy.spacing(numpy.abs(v))


def _lse_tolerance(want):
    """The documented tolerance: replay.LOGADDEXP_ULPS units in the last place of
    max(|logaddexp(x, y)|, 1)."""
    return replay.LOGADDEXP_ULPS * _ulp(numpy.maximum(numpy.abs(want), 1))


def _lse_data(kind, dtype):
    rng = numpy.random.default_rng(7)
    x, y = rng.standard_normal(500) * 3, rng.standard_normal(500) * 3
    if kind == "wide":  # exp(min - max) underflows, both ways
        x, y = x * 300, y * 300
    elif kind == "equal":
        y = x.copy()
        x[:4], y[:4] = (0.0, -0.0, 1e-310, 5.0), (-0.0, -0.0, 1e-310, 5.0)
    elif kind == "scalar":  # the logistic loss's logaddexp(0, z)
        x = 0.0
    elif kind == "broadcast":
        x = x.reshape(5, 100)[:, :1]
    elif kind in SPECIAL_INPUTS:  # (NaN, infinities: eager's own kernel, its exact values)
        x[:4] = SPECIAL_INPUTS[kind]
        y[2:6] = SPECIAL_INPUTS[kind]
    elif kind == "overflow":
        big = 0.9 * float(numpy.finfo(dtype).max)
        x[:2], y[:2] = (big, -big), (-big, big)
    cast = lambda a: a if type(a) is float else a.astype(dtype)  # noqa: E731
    return cast(x), cast(y)


@pytest.mark.parametrize("kind, dtype", [(k, d) for k in ("normal", "wide", "equal", "scalar", "broadcast",
                                                           "nan", "inf", "overflow")
                                         for d in ("float64", "float32")])
def test_logaddexp_lowered(kind, dtype):
    """The replay runs large float logaddexp as NumPy's formula on SIMD kernels: eager's values
    within replay.LOGADDEXP_ULPS (its gradient's too), eager's NaN and infinities and
    warnings exactly; NPFLOW_JIT_EXACT=1 runs eager's kernel (bit-identical)."""
    x, y = _lse_data(kind, dtype)
    b = np.asarray(y)
    a = x if type(x) is float else np.asarray(x)

    def fun(a, b):
        return np.logaddexp(a, b), np.grad(lambda b: np.sum(np.logaddexp(a, b)))(b)
    with warnings.catch_warnings(record=True) as eager:
        warnings.simplefilter("always")
        want = fun(a, b)
    for exact in ("0", "1"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("NPFLOW_JIT_EXACT", exact)
            f = np.jit(fun)
            f(a, b)
        with warnings.catch_warnings(record=True) as jitted:
            warnings.simplefilter("always")
            got = f(a, b)
        assert _lowered(f) == (exact == "0")
        assert [str(w.message) for w in jitted] == [str(w.message) for w in eager]
        if exact == "1" or kind in ("nan", "inf", "overflow"):
            for g, w in zip(got, want):
                _same(g, w)
        else:
            _close(got[0], want[0], _lse_tolerance)
            # (the gradient, exp(b - logaddexp(a, b)): a relative error of the value's absolute one)
            lse = numpy.abs(numpy.asarray(want[0]))
            rel = replay.LOGADDEXP_ULPS * _ulp(lse[numpy.isfinite(lse)].max(initial=1)) + 2 * _ulp(lse.dtype.type(1))
            _close(got[1], want[1], lambda w: rel * numpy.abs(w) + numpy.finfo(w.dtype).tiny)


def test_logaddexp_lowered_only_where_it_pays():
    """Small results, integer and float16 operands, out= keep eager's kernel."""
    for fun, args in ((np.logaddexp, (numpy.ones(10), numpy.ones(10))),
                      (np.logaddexp, (numpy.ones(500, "f2"), numpy.ones(500, "f2"))),
                      (np.logaddexp, (numpy.ones(500, "i8"), numpy.ones(500))),
                      (lambda x: np.logaddexp(x, x, out=np.empty_like(x)), (numpy.ones(500),))):
        f = np.jit(fun)
        args = [np.asarray(a) for a in args]
        f(*args)
        _same(f(*args), fun(*args))
        assert not _lowered(f)
