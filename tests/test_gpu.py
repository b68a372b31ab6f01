"""The CUDA backend (issue 6) without a GPU, and with one.

Without a GPU: the CuPy backend's corrections of CuPy's API (npflow._backends.cupy_backend)
are checked against NumPy on ``fake_cupy`` (NumPy with CuPy's signatures and departures),
and npflow runs end to end on "cuda:0" in a subprocess where ``import cupy`` finds the
fake. With a GPU (``-m gpu``): the same corrections on CuPy itself, and placement,
transfers and gradients on the real device.

``record_gpu_run`` writes tests/GPU_RESULTS.md (``pytest --gpu-results=tests/GPU_RESULTS.md``).
"""
import datetime
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

import fake_cupy
from npflow._backends import cupy_backend
from support import HAVE_GPU, outcomes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))


# -- the corrections, on the fake and on CuPy --------------------------------------------
@pytest.fixture(params=["fake", pytest.param("cuda", marks=pytest.mark.gpu)], scope="module")
def backend(request):
    """(namespace, numpy -> backend array, backend result -> numpy)."""
    if request.param == "fake":
        return cupy_backend.namespace(fake_cupy), lambda a: a.copy(), lambda r: r
    cp = cupy_backend.load_cupy()
    return cupy_backend.backend().xp, cp.asarray, cp.asnumpy


A = onp.array([3.0, -1.0, 2.0, 2.0, 0.5, -4.0])
M = onp.arange(12.0).reshape(3, 4) - 5
W = onp.array([[True, False, True, True]] * 3)
I = onp.array([0, 5, -1, 2])
K3 = onp.array([[[1, 0], [1, 1]], [[2, 1], [0, 1]]])


def _put(xp, a, ind, v, **kw):
    xp.put(a, ind, v, **kw)
    return a


# (label, fn(xp, to_backend)): xp is numpy (the reference) or the corrected namespace
CASES = [
    # CuPy: kind None or 'stable' only; no stable=, no order=; partition takes no kind=
    ("sort-kind", lambda xp, b: xp.sort(b(A), kind="quicksort")),
    ("sort-stable", lambda xp, b: xp.sort(b(M), axis=0, stable=True)),
    ("argsort-kind", lambda xp, b: xp.argsort(b(A), kind="mergesort")),
    ("sort-bad-kind", lambda xp, b: xp.sort(b(A), kind="bogo")),
    ("sort-kind-abbreviated", lambda xp, b: xp.argsort(b(M), axis=0, kind="H")),
    ("partition-sort-kind", lambda xp, b: xp.partition(b(A), 1, kind="quicksort")),
    ("partition-kind", lambda xp, b: xp.partition(b(A), 2, kind="introselect")[2]),
    ("argpartition-kind", lambda xp, b: xp.argpartition(b(A), kth=1, axis=-1, kind="introselect")[1]),
    # CuPy's take always wraps; NumPy raises by default and clips with mode='clip'
    ("take-raise", lambda xp, b: xp.take(b(A), b(onp.array([1, 6])))),
    ("take-negative", lambda xp, b: xp.take(b(A), b(onp.array([-1, -6])))),
    ("take-clip", lambda xp, b: xp.take(b(M), b(I * 3), axis=1, mode="clip")),
    ("take-wrap", lambda xp, b: xp.take(b(M), b(I * 3), axis=1, mode="wrap")),
    ("take-float-indices", lambda xp, b: xp.take(b(A), b(onp.array([1.0])))),
    ("take-empty-list", lambda xp, b: xp.take(b(M), [], axis=1)),
    ("take-unused-indices", lambda xp, b: xp.take(b(onp.zeros((0, 3))), [7], axis=1)),
    ("take-unused-indices-2", lambda xp, b: xp.take(b(onp.zeros((3, 0, 2))), [3], axis=0)),
    ("take-from-empty", lambda xp, b: xp.take(b(onp.zeros((2, 0))), [0], axis=1)),
    ("sort-kind-and-stable", lambda xp, b: xp.sort(b(A), kind="quicksort", stable=True)),
    ("take-bad-mode", lambda xp, b: xp.take(b(A), b(I), mode="nope")),
    ("take_along_axis-raise", lambda xp, b: xp.take_along_axis(b(M), b(onp.array([[4]] * 3)), 1)),
    ("put_along_axis-raise", lambda xp, b: _pa(xp, b, onp.array([[4]] * 3))),
    ("put_along_axis", lambda xp, b: _pa(xp, b, onp.array([[3, -1]] * 3))),
    ("take_along_axis", lambda xp, b: xp.take_along_axis(b(M), b(onp.array([[3, -1]] * 3)), 1)),
    # CuPy's put defaults to 'wrap' and writes the valid entries before raising
    ("put-default-raises", lambda xp, b: _put(xp, b(A), b(onp.array([0, 9])), 7.0)),
    ("put-raise-writes-nothing", lambda xp, b: _try_put(xp, b)),
    ("put-negative", lambda xp, b: _put(xp, b(A), b(onp.array([-1])), 7.0, mode="raise")),
    ("put-clip", lambda xp, b: _put(xp, b(A), b(onp.array([0, 9])), b(onp.array([5.0, 6.0])), mode="clip")),
    # CuPy's lexsort: one (k, N) array, no axis=, no rank above 2
    ("lexsort-tuple", lambda xp, b: xp.lexsort((b(onp.array([1, 1, 0])), b(onp.array([2, 2, 2]))))),
    ("lexsort-axis0", lambda xp, b: xp.lexsort(b(K3), axis=0)),
    ("lexsort-3d", lambda xp, b: xp.lexsort(b(K3))),
    ("lexsort-2d", lambda xp, b: xp.lexsort(b(onp.array([[3, 1, 2, 1], [0, 1, 0, 1]])))),
    ("lexsort-1d", lambda xp, b: xp.lexsort(b(A))),
    ("lexsort-0d", lambda xp, b: xp.lexsort(b(onp.array(1.0)))),
    ("lexsort-shapes", lambda xp, b: xp.lexsort((b(A), b(A[:2])))),
    # CuPy's reductions take no where= or initial=
    ("sum-where", lambda xp, b: xp.sum(b(M), axis=1, where=b(W))),
    ("sum-initial", lambda xp, b: xp.sum(b(M), axis=0, initial=10.0, keepdims=True)),
    ("prod-where-initial", lambda xp, b: xp.prod(b(M), where=b(W), initial=2.0)),
    ("max-where-initial", lambda xp, b: xp.max(b(M), axis=0, where=b(W), initial=-100.0)),
    ("max-where-no-initial", lambda xp, b: xp.max(b(M), where=b(W))),
    ("min-initial-empty", lambda xp, b: xp.min(b(onp.zeros((0, 3))), axis=0, initial=5.0)),
    ("nanmax-initial", lambda xp, b: xp.nanmax(b(M), axis=1, initial=3.0)),
    ("count_nonzero-keepdims", lambda xp, b: xp.count_nonzero(b(M), axis=1, keepdims=True)),
    ("count_nonzero", lambda xp, b: xp.count_nonzero(b(M), axis=(0, 1), keepdims=False)),
    ("all-where", lambda xp, b: xp.all(b(M > -4), axis=0, where=b(W))),
    ("sum-out-where", lambda xp, b: _out(xp, b, lambda o: xp.sum(b(M), axis=0, where=b(W), out=o), (4,))),
    # CuPy's mean/var/std take no where=, mean= or correction=
    ("mean-where", lambda xp, b: xp.mean(b(M), axis=1, where=b(W))),
    ("mean-where-f32", lambda xp, b: xp.mean(b(M.astype(onp.float32)), where=b(W))),
    ("mean-where-int", lambda xp, b: xp.mean(b(M.astype(onp.int32)), axis=0, where=b(W), keepdims=True)),
    ("var-where-ddof", lambda xp, b: xp.var(b(M), axis=1, where=b(W), ddof=1)),
    ("std-correction", lambda xp, b: xp.std(b(M), axis=0, correction=1)),
    ("var-complex-where", lambda xp, b: xp.var(b(M * (1 + 2j)), where=b(W))),
    ("nanmean-where", lambda xp, b: xp.nanmean(b(onp.where(W, M, onp.nan)), axis=1, where=b(M > -4))),
    ("var-mean", lambda xp, b: xp.var(b(M), axis=1, mean=xp.mean(b(M), axis=1, keepdims=True))),
    # CuPy's ufuncs take no where=; their reduce/accumulate exist for add and multiply only
    ("ufunc-where-out", lambda xp, b: _out(xp, b, lambda o: xp.sin(b(A), out=o, where=b(A > 0)), (6,))),
    ("ufunc2-where-out", lambda xp, b: _out(xp, b, lambda o: xp.add(b(M), 1.5, out=(o,), where=b(W))[0],
                                            (3, 4))),
    ("divmod-where-out", lambda xp, b: _out2(xp, b)),
    ("maximum.reduce", lambda xp, b: xp.maximum.reduce(b(M), axis=1)),
    ("minimum.reduce-where", lambda xp, b: xp.minimum.reduce(b(M), axis=None, where=b(W), initial=50.0)),
    ("logical_or.reduce", lambda xp, b: xp.logical_or.reduce(b(M > 5), axis=0, keepdims=True)),
    ("fmax.reduce-dtype", lambda xp, b: xp.fmax.reduce(b(M), dtype=onp.float32)),
    ("add.reduce-initial", lambda xp, b: xp.add.reduce(b(M), axis=0, initial=1.0)),
    ("add.accumulate", lambda xp, b: xp.add.accumulate(b(M), axis=1)),
    ("maximum.reduceat", lambda xp, b: xp.maximum.reduceat(b(M), [0, 2, 1, 3], axis=1)),
    ("add.reduceat", lambda xp, b: xp.add.reduceat(b(A), b(onp.array([0, 4, 1])))),
    ("minimum.reduceat-oob", lambda xp, b: xp.minimum.reduceat(b(A), [0, 6])),
    # CuPy's non-ufunc functions call array methods: Python scalars must be arrays (NEP 50 dtypes)
    ("dot-scalar", lambda xp, b: xp.dot(2.0, b(A.astype(onp.float32)))),
    ("outer-scalar", lambda xp, b: xp.outer(b(A), 3)),
    ("inner-scalar-int", lambda xp, b: xp.inner(2, b(I))),
    ("kron-scalar", lambda xp, b: xp.kron(b(M), 2.5)),
    ("where-scalar-condition", lambda xp, b: xp.where(True, b(A), 0.0)),
    ("where-weak", lambda xp, b: xp.where(b(A > 0), b(A.astype(onp.float32)), 1.0)),
    ("clip-scalar", lambda xp, b: xp.clip(5, 0, b(I))),
    ("clip-none", lambda xp, b: xp.clip(b(A), None, 1.0)),
    ("clip-int-beyond-range", lambda xp, b: xp.clip(b(I.astype(onp.uint8)), -1, 300)),
    ("clip-int-beyond-range-max", lambda xp, b: xp.clip(b(I.astype(onp.int8)), 0, 300)),
    ("clip-int-out-of-range", lambda xp, b: xp.clip(b(I.astype(onp.int8)), 200, 300)),
    ("std-ddof-and-correction", lambda xp, b: xp.std(b(M), ddof=1, correction=1)),
    ("clip-dtype", lambda xp, b: xp.clip(b(I), 0, 1, dtype=onp.float32)),
    ("clip-casting-out", lambda xp, b: _out(xp, b, lambda o: xp.clip(b(A), -1, 1, out=o, casting="unsafe"),
                                            (6,), onp.int32)),
    # NumPy ufuncs CuPy lacks, composed from CuPy's functions
    ("vecdot", lambda xp, b: xp.vecdot(b(M * 1j + 1), b(M[0] - 2j))),
    ("vecdot-axis0", lambda xp, b: xp.vecdot(b(M), b(M[:, :1]), axis=0)),
    ("vecdot-int8", lambda xp, b: xp.vecdot(b(I.astype(onp.int8)), b(I.astype(onp.int8)))),
    ("matvec", lambda xp, b: xp.matvec(b(M[None] * (1 + 1j)), b(M[0, :4]))),
    ("vecmat-out", lambda xp, b: _out(xp, b, lambda o: xp.vecmat(b(M[:, 0] * 1j), b(M), out=(o,)),
                                      (4,), onp.complex128)),
    ("spacing", lambda xp, b: xp.spacing(b(onp.array([1.0, -1.0, 0.0, 1e300, onp.inf, onp.nan])))),
    ("spacing-f32-int", lambda xp, b: (xp.spacing(b(A.astype(onp.float32))), xp.spacing(b(I)))),
    ("isnat", lambda xp, b: xp.isnat(b(A))),
    ("vecdot-0d", lambda xp, b: xp.vecdot(b(A), 2.0)),
    ("matvec-1d", lambda xp, b: xp.matvec(b(A), b(A))),
    ("vecmat-1d", lambda xp, b: xp.vecmat(b(A), b(A))),
    ("matmul.reduce", lambda xp, b: xp.matmul.reduce(b(M))),
    ("vecdot.at", lambda xp, b: xp.vecdot.at(b(M), [0], b(M[0]))),
    # reduce/accumulate CuPy lacks, and add.reduce keeping small integer dtypes
    ("subtract.reduce", lambda xp, b: xp.subtract.reduce(b(M), axis=1)),
    ("power.reduce-keepdims", lambda xp, b: xp.power.reduce(b(M[:2, :3] / 4), axis=0, keepdims=True)),
    ("divide.reduce-tuple-axis", lambda xp, b: xp.divide.reduce(b(M), axis=(0, 1))),
    ("bitwise_or.reduce-tuple", lambda xp, b: xp.bitwise_or.reduce(b(I), axis=(0,))),
    ("bitwise_xor.reduce-all", lambda xp, b: xp.bitwise_xor.reduce(b(K3), axis=None)),
    ("gcd.reduce-empty", lambda xp, b: xp.gcd.reduce(b(onp.zeros((0, 2), int)))),
    ("subtract.reduce-empty", lambda xp, b: xp.subtract.reduce(b(onp.zeros((0, 2))))),
    ("hypot.reduce-where", lambda xp, b: xp.hypot.reduce(b(M), axis=1, where=b(W))),
    ("subtract.reduce-where", lambda xp, b: xp.subtract.reduce(b(M), axis=1, where=b(W))),
    ("subtract.reduce-initial", lambda xp, b: xp.subtract.reduce(b(M), axis=0, initial=1.0)),
    ("add.reduce-int8", lambda xp, b: xp.add.reduce(b(I.astype(onp.int8) * 40))),
    ("multiply.reduce-uint8", lambda xp, b: xp.multiply.reduce(b(I.astype(onp.uint8)), axis=0)),
    ("add.accumulate-int16", lambda xp, b: xp.add.accumulate(b(I.astype(onp.int16)))),
    ("maximum.accumulate", lambda xp, b: xp.maximum.accumulate(b(M), axis=1)),
    ("subtract.accumulate-dtype", lambda xp, b: xp.subtract.accumulate(b(I), dtype=onp.float32)),
    ("floor_divide.reduce-out-dtype",
     lambda xp, b: _out(xp, b, lambda o: xp.floor_divide.reduce(b(I), out=o), ())),
    ("maximum.reduce-0d", lambda xp, b: xp.maximum.reduce(b(onp.array(2.5)))),
    ("remainder.reduce-0d", lambda xp, b: xp.remainder.reduce(b(onp.array(7)), axis=None)),
    ("hypot.reduce-identity", lambda xp, b: xp.hypot.reduce(b(onp.array([-3.0])))),
    ("bitwise_and.reduce-uint8",
     lambda xp, b: xp.bitwise_and.reduce(b(onp.array([[7, 12], [5, 6]], onp.uint8)))),
    ("gcd.reduce-no-axes", lambda xp, b: xp.gcd.reduce(b(onp.array([-4, 6])), axis=())),
    ("divide.reduce-axis-error", lambda xp, b: xp.floor_divide.reduce(b(M * 1j), axis=2)),
    ("ufunc-order-subok", lambda xp, b: xp.exp(b(M), order="F", subok=True)),
    ("ufunc-signature", lambda xp, b: xp.add(b(I), b(I), signature=(None, None, onp.float64))),
    # NumPy 2.3's unique(sorted=False): CuPy always sorts (a valid order)
    ("unique-unsorted", lambda xp, b: xp.unique(b(A), sorted=False)),
]


def _pa(xp, b, idx):
    a = b(M)
    xp.put_along_axis(a, b(idx), 9.0, 1)
    return a


def _try_put(xp, b):
    a = b(A)
    try:
        xp.put(a, b(onp.array([0, 9])), 7.0, mode="raise")
    except IndexError:
        return a
    raise AssertionError("put did not raise")


def _out(xp, b, f, shape, dtype=onp.float64):
    o = b(onp.full(shape, -7, dtype))
    r = f(o)
    assert r is o
    return o


def _out2(xp, b):
    q, r = b(onp.full(6, -7.0)), b(onp.full(6, -7.0))
    got = xp.divmod(b(A), 2.0, out=(q, r), where=b(A > 0))
    assert got[0] is q and got[1] is r
    return q, r


def _host(r, to_host):
    return tuple(_host(e, to_host) for e in r) if isinstance(r, tuple) else onp.asarray(to_host(r))


@pytest.mark.parametrize("label,f", CASES, ids=[c[0] for c in CASES])
def test_cupy_corrections_match_numpy(backend, label, f):
    ns, to_backend, to_host = backend
    # the corrected namespace stands in for npflow: NumPy's result, or NumPy's exception type
    res = outcomes(lambda m: f(onp, lambda a: a.copy()) if m is onp else f(ns, to_backend))
    if res is None:
        return
    got, expected = _host(res[0], to_host), res[1]
    pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
    for g, e in pairs:
        e = onp.asarray(e)
        assert g.dtype == e.dtype and g.shape == e.shape, (label, g.dtype, e.dtype, g.shape, e.shape)
        onp.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12, err_msg=label)


X34 = onp.arange(12.0).reshape(3, 4)
KEYS = [  # integer-array indices in and out of range, among every other kind of index item
    ([0, 2],), ([0, 3],), ([-3, 1],), ([-4],), (onp.array([[1], [5]]),), (slice(None), [3]),
    (slice(None), [4]), (Ellipsis, [4]), (Ellipsis, [-4]), ([2], Ellipsis, [3]), ([2], Ellipsis, [4]),
    (None, [1], None, [4]), (X34 > 5,), (X34[0] > 1, ), (slice(None), X34[0] > 1), (True, [3]),
    (True, [2], [4]), (1, [4]), (onp.array(3),), (onp.array(1), onp.array(-5)), ([],),
    ([True, False, True], [1, 4, 0]), (onp.array([], int),), (0, Ellipsis, [2, -5]),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_cupy_integer_array_indices_are_checked(key):
    """CuPy wraps out-of-range integer-array indices; the CUDA getitem/setitem check them first:
    IndexError exactly where NumPy raises one for an index out of bounds."""
    try:
        X34[key]
        expect = None
    except IndexError as e:
        expect = e
    if expect is not None and "out of bounds" not in str(expect):
        return  # another IndexError (shape mismatch): CuPy's own to raise
    checked = [cupy_backend._getitem(fake_cupy), cupy_backend._flat_getitem(fake_cupy)]
    if expect is None:
        cupy_backend._check_key(X34.shape, key)
        onp.testing.assert_array_equal(checked[0](X34, key=key), X34[key])
    else:
        with pytest.raises(IndexError, match="out of bounds for axis"):
            checked[0](X34, key=key)
        with pytest.raises(IndexError, match="out of bounds"):
            cupy_backend._setitem(fake_cupy)(X34.copy(), 0.0, key=key)
    flat = key[0] if len(key) == 1 else None
    if flat is not None and getattr(onp.asarray(flat), "dtype", None).kind in "iu":
        raises = onp.asarray(flat).size and not ((onp.asarray(flat) >= -12) & (onp.asarray(flat) < 12)).all()
        if raises:
            with pytest.raises(IndexError):
                checked[1](X34, key=flat)
        else:
            onp.testing.assert_array_equal(checked[1](X34, key=flat), X34.flat[flat])


@pytest.fixture
def fake_backend():
    """A CupyBackend on the fake (its kernels leave the ops' caches afterwards)."""
    from npflow._core.registry import REGISTRY, kernel_paths
    be = cupy_backend.CupyBackend(fake_cupy, kernel_paths())
    yield be
    for name in cupy_backend.KERNELS:
        REGISTRY[name]._kernels.pop(be, None)


def test_cuda_indexing_kernels_are_installed(fake_backend):
    from npflow._core.registry import REGISTRY
    for name in cupy_backend.KERNELS:
        k = REGISTRY[name].kernel(fake_backend)
        assert k.__qualname__.startswith("_" + name.replace(".", "_")), (name, k)
    assert REGISTRY["sin"].kernel(fake_backend) is fake_backend.xp.sin


def test_cupy_missing_function_is_a_clear_error():
    ns = cupy_backend.namespace(fake_cupy)
    ns.__dict__.pop("cbrt")
    missing = cupy_backend._Missing(fake_cupy, "cbrt")
    with pytest.raises(NotImplementedError, match=r"CuPy 0.0-fake has no cbrt.*to_device\('cpu'\)"):
        missing(M)
    with pytest.raises(NotImplementedError, match="has no cbrt.reduce"):
        missing.reduce(M)
    assert ns.add.nin == 2 and ns.__name__ == "fake_cupy" and ns.linalg is fake_cupy.linalg


def test_cupy_lacking_kernels_are_clear_errors_and_cupy_is_untouched():
    """A CuPy without some function a kernel is (here linalg.eigvals, cbrt): calling the op
    raises NotImplementedError naming it; CuPy's own modules are not modified."""
    import types
    older = types.ModuleType("fake_cupy")
    older.__dict__.update({k: v for k, v in vars(fake_cupy).items() if k != "cbrt"})
    older.linalg = types.ModuleType("fake_cupy.linalg")
    older.linalg.__dict__.update({k: v for k, v in vars(onp.linalg).items() if k != "eigvals"})
    from npflow._core.registry import kernel_paths
    ns = cupy_backend.namespace(older, kernel_paths())
    with pytest.raises(NotImplementedError, match="has no linalg.eigvals"):
        ns.linalg.eigvals(onp.eye(2))
    with pytest.raises(NotImplementedError, match="has no cbrt"):
        ns.cbrt(A)
    assert ns.linalg is not older.linalg and not hasattr(older.linalg, "eigvals")
    assert ns.linalg.det is onp.linalg.det and ns.fft is onp.fft  # complete modules are CuPy's own
    assert "eigvals" in dir(onp.linalg)


def test_cupy_backend_copy_false_from_host_raises(fake_backend):
    be = fake_backend
    assert be.xp.sort is not fake_cupy.sort and be.xp.sin.__name__ == "sin"
    with pytest.raises(ValueError, match="copy=False"):
        be.asarray([1.0, 2.0], copy=False)
    x = onp.arange(3.0)
    assert be.asarray(x, copy=False) is x  # the fake's arrays are "device" arrays already
    assert be.asarray(x, copy=True) is not x


# -- npflow on "cuda:0" end to end, with the fake as CuPy (a subprocess) ---------------------
def run_python(code, tmp_path, env=None, fake=True):
    if fake:
        shutil.copy(os.path.join(HERE, "fake_cupy.py"), tmp_path / "cupy.py")
    e = dict(os.environ)
    e.pop("NPFLOW_DEVICE", None)
    e.update(env or {})
    e["PYTHONPATH"] = os.pathsep.join([str(tmp_path), ROOT, e.get("PYTHONPATH", "")])
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=e, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def test_cuda_end_to_end_on_fake_cupy(tmp_path):
    rc, out = run_python("""
        import sys
        import numpy
        import npflow as np
        assert "cupy" not in sys.modules
        assert np.devices() == [np.Device("cpu"), np.Device("cuda:0")]
        assert "cupy" in sys.modules
        gpu = np.Device("gpu")
        assert gpu is np.Device("cuda") is np.Device("CUDA:0") and gpu.name == "cuda:0"
        x = np.asarray([3.0, -1.0, 2.0], device="cuda")
        w = np.ones((3, 2), device=gpu)
        for r in (x + 1, np.sin(x), x @ w, np.sort(x, kind="quicksort"), np.sum(x, where=x > 0),
                  np.maximum.reduce(x), np.take(x, [2, 0]), np.lexsort((x, x)), x[1:], x.T,
                  np.random.default_rng(0).normal(x, 1.0), np.random.default_rng(0).permutation(x),
                  np.linalg.norm(x), np.fft.fft(x), np.where(x > 0, x, 0.0), np.dot(2.0, x)):
            assert r.device == gpu, r
        assert float(np.sum(x)) == 4.0 and numpy.asarray(x).tolist() == [3.0, -1.0, 2.0]
        try:
            np.take(x, [5])
        except IndexError as e:
            assert "take" in str(e)
        else:
            raise AssertionError("take out of bounds did not raise")
        try:
            x + np.asarray([1.0, 2.0, 3.0])
        except np.DeviceMismatchError as e:
            assert "cuda:0" in str(e) and "cpu" in str(e), e
        else:
            raise AssertionError("mixed devices did not raise")
        f = lambda w: np.sum(np.tanh(x @ w) ** 2)
        g = np.grad(f)(w)
        assert g.device == gpu and g.shape == (3, 2)
        wc = w.to_device("cpu")
        gc = np.grad(lambda w: np.sum(np.tanh(x.to_device("cpu") @ w) ** 2))(wc)
        assert numpy.allclose(numpy.asarray(g), numpy.asarray(gc))
        with np.default_device("cuda"):
            assert np.zeros(2).device == gpu and np.arange(3).device == gpu
        y = x.to_device("sim").to_device("cuda")
        assert y.device == gpu and numpy.asarray(y).tolist() == [3.0, -1.0, 2.0]
        print("OK")
        """, tmp_path)
    assert rc == 0 and "OK" in out, out


def test_npflow_device_cuda_on_fake_cupy(tmp_path):
    rc, out = run_python("""
        import npflow as np
        x = np.asarray([1.0, 2.0])
        print("DEVICE", x.device, (x * 2).device, np.get_default_device())
        """, tmp_path, env={"NPFLOW_DEVICE": "cuda"})
    assert rc == 0 and "DEVICE cuda:0 cuda:0 cuda:0" in out, out


@pytest.mark.skipif(HAVE_GPU, reason="a GPU is present here: CUDA cannot be missing")
@pytest.mark.parametrize("gpus,missing", [(None, "CuPy, which is not installed"), ("0", "no CUDA GPU")])
def test_npflow_device_cuda_without_cuda_is_a_clear_error(tmp_path, gpus, missing):
    """NPFLOW_DEVICE=cuda where CUDA is missing: ``import npflow`` works; the first array
    raises BackendUnavailableError naming the variable and what is missing (never a silent CPU)."""
    rc, out = run_python("""
        import npflow as np
        print("IMPORTED")
        try:
            np.asarray([1.0])
        except np.BackendUnavailableError as e:
            print("ERR", e)
        """, tmp_path, env={"NPFLOW_DEVICE": "cuda", **({"FAKE_CUPY_GPUS": gpus} if gpus else {})},
        fake=gpus is not None)
    assert rc == 0, out
    assert "IMPORTED" in out and "ERR NPFLOW_DEVICE='cuda'" in out and missing in out, out


# -- benchmarks/gpu.py ---------------------------------------------------------------------------
def _bench(tmp_path, *args, fake=True):
    if fake:
        shutil.copy(os.path.join(HERE, "fake_cupy.py"), tmp_path / "cupy.py")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    p = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "gpu.py"), *args], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(HAVE_GPU, reason="a GPU is present here")
def test_gpu_benchmarks_without_a_gpu_say_so(tmp_path):
    rc, out = _bench(tmp_path, fake=False)
    assert rc == 0 and "no CUDA GPU to measure on here (CuPy is not installed)" in out, out
    rc, out = _bench(tmp_path, "--require-gpu", fake=False)
    assert rc == 1 and "nothing measured" in out, out


def test_gpu_benchmarks_run_on_fake_cupy(tmp_path):
    """The benchmark code runs (tiny sizes, the fake as CuPy): not a measurement of anything."""
    rc, out = _bench(tmp_path, "--quick", "--small")
    assert rc == 0, out
    assert "fake GPU (NumPy)" in out and "| matmul 256x256 float32 | CuPy |" in out, out
    assert "| elementwise chain tanh(x*y + x) - y, 2**16 float32 | CuPy |" in out, out
    assert "MLP 784-256-256-10 tanh, batch 64" in out, out
    assert "| jit: exp(-x*x)*y + sin(x), 2**12 float32 (1 kernel: cupy.fused[" in out, out
    assert "| jit: 6-step 8x8 float32 recurrence, CUDA graph | CuPy eager |" in out, out
    assert "graph launches |" in out and "not a CUDA graph" not in out, out


def test_gpu_benchmarks_append_under_one_gpu_heading(tmp_path):
    sys.path.insert(0, ROOT)
    try:
        from benchmarks.gpu import GPU_HEADING, append_results
    finally:
        sys.path.remove(ROOT)
    path = tmp_path / "RESULTS.md"
    path.write_text("# npflow benchmarks\n\nCPU table\n")
    append_results("## first\n", str(path))
    append_results("## second\n", str(path))
    text = path.read_text()
    assert text.count(GPU_HEADING) == 1 and text.startswith("# npflow benchmarks\n\nCPU table\n")
    assert text.index(GPU_HEADING) < text.index("## first") < text.index("## second")


# -- with a GPU ---------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(bool(os.environ.get("NPFLOW_FAKE_CUPY")), reason="needs CuPy itself (DLPack)")
def test_gpu_placement_transfers_and_gradients():
    import cupy
    import npflow as np
    gpu = np.Device("cuda")
    assert gpu in np.devices()
    c = cupy.arange(4.0)
    x = np.asarray(c, device="cuda")
    assert x.device == gpu and x._data is c  # zero-copy
    d = np.from_dlpack(c)
    assert d.device == gpu and cupy.shares_memory(d._data, c)
    assert cupy.from_dlpack(x).data.ptr == c.data.ptr
    assert float(np.sum(x)) == 6.0 and onp.asarray(x).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(np.DeviceMismatchError, match="cuda:0.*cpu|cpu.*cuda:0"):
        x + np.arange(4.0)
    w = np.ones((4, 3), device=gpu)
    g = np.grad(lambda w: np.sum(np.tanh(x @ w) ** 2))(w)
    assert g.device == gpu and isinstance(g._data, cupy.ndarray)
    h = np.hessian(lambda v: np.sum(np.sin(v) ** 3))(x)
    assert h.device == gpu and h.shape == (4, 4)


# -- tests/GPU_RESULTS.md ---------------------------------------------------------------------
def record_gpu_run(path, stats, args):
    """Append this run's outcome to ``path``: date, GPU, CuPy and NumPy versions, counts,
    failures. Returns a line for the terminal saying what was done."""
    if not HAVE_GPU or os.environ.get("NPFLOW_FAKE_CUPY"):
        return f"--gpu-results: no CUDA GPU here (or CuPy is the fake): nothing written to {path}"
    cp = cupy_backend.load_cupy()
    props = cp.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    counts = {k: len(stats.get(k, [])) for k in ("passed", "failed", "error", "skipped", "xfailed",
                                                  "xpassed")}
    failed = [r.nodeid for k in ("failed", "error") for r in stats.get(k, []) if hasattr(r, "nodeid")]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {now}: {name}", "",
             f"CuPy {cp.__version__}, CUDA runtime {cp.cuda.runtime.runtimeGetVersion()}, "
             f"NumPy {onp.__version__}, Python {platform.python_version()}.",
             f"Command: `python -m pytest {' '.join(args)}`", "",
             "| passed | failed | errors | skipped | xfailed | xpassed |", "|---|---|---|---|---|---|",
             "| " + " | ".join(str(counts[k]) for k in counts) + " |", ""]
    if failed:
        lines += ["Failed:", ""] + [f"- `{f}`" for f in failed[:200]]
        if len(failed) > 200:
            lines.append(f"- ... and {len(failed) - 200} more")
        lines.append("")
    with open(path, "a") as f:
        f.write("\n".join(lines))
    return f"--gpu-results: this run ({name}) appended to {path}"
