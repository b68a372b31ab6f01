"""Devices: interning and parsing, the default device, transfers, mixed-device
errors, and CuPy staying optional (``"sim"`` stands in for a second device)."""
import operator
import os
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

import npflow as nf
from support import DEVICES, HAVE_GPU, assert_same, make

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, env=None, path=()):
    """Run ``code`` in a fresh interpreter with npflow importable; returns (rc, stdout+stderr)."""
    e = dict(os.environ)
    e.pop("NPFLOW_DEVICE", None)
    e.update(env or {})
    e["PYTHONPATH"] = os.pathsep.join([*path, ROOT, e.get("PYTHONPATH", "")])
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=e, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


# -- Device objects ------------------------------------------------------------------

@pytest.mark.parametrize("spec,name", [("cpu", "cpu"), ("CPU", "cpu"), (" cpu ", "cpu"), ("sim", "sim")])
def test_device_parsing_and_interning(spec, name):
    d = nf.Device(spec)
    assert d is nf.Device(name) and nf.Device(d) is d
    assert d.name == name and str(d) == name and repr(d) == f"Device({name!r})"
    assert d == name and d == nf.Device(name) and hash(d) == hash(name)
    assert {d: 1}[nf.Device(name)] == 1


def test_devices_are_distinct():
    cpu, sim = nf.Device("cpu"), nf.Device("sim")
    assert cpu is not sim and cpu != sim and cpu != "sim" and sim != "cpu"
    assert cpu.kind == "cpu" and sim.kind == "sim"
    assert cpu != "tpu" and cpu != 3 and cpu is nf.Device()


@pytest.mark.parametrize("spec,exc", [("tpu", ValueError), ("cuda:x", ValueError), ("cuda:-1", ValueError),
                                      ("gpu:", ValueError), ("", ValueError), ("cpu:0", ValueError),
                                      (3, TypeError), (["cpu"], TypeError)], ids=repr)
def test_device_parse_errors(spec, exc):
    with pytest.raises(exc, match="device"):
        nf.Device(spec)
    with pytest.raises(exc, match="device"):
        nf.asarray([1, 2], device=spec)
    with pytest.raises(exc, match="device"):
        nf.asarray([1, 2]).to_device(spec)


def test_devices_lists_cpu_first_and_not_sim():
    ds = nf.devices()
    assert ds[0] is nf.Device("cpu")
    assert all(isinstance(d, nf.Device) for d in ds)
    assert nf.Device("sim") not in ds
    assert all(d.kind == "cuda" for d in ds[1:])


# -- CuPy is optional --------------------------------------------------------------------

@pytest.mark.skipif(HAVE_GPU, reason="a GPU is present here: the no-CuPy errors cannot happen")
@pytest.mark.parametrize("spec", ["cuda", "gpu", "cuda:0", "cuda:1", "GPU:0"])
def test_cuda_without_cupy_is_a_clear_error(spec):
    for ask in (lambda: nf.Device(spec), lambda: nf.asarray([1.0], device=spec),
                lambda: nf.asarray([1.0]).to_device(spec)):
        with pytest.raises(nf.BackendUnavailableError, match="CuPy") as info:
            ask()
        assert isinstance(info.value, RuntimeError)
    assert nf.Device("cpu") != spec  # comparing with an unavailable device is just False


def test_import_does_not_import_cupy(tmp_path):
    """A CuPy that is installed must not be imported by ``import npflow`` (nor by CPU work)."""
    fake = tmp_path / "cupy"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise SystemExit('cupy was imported')\n")
    rc, out = run_python("""
        import sys
        import npflow as np
        x = np.asarray([1.0, 2.0])
        y = (x * 2).to_device("sim") + 1
        print(repr(y), np.get_default_device())
        assert "cupy" not in sys.modules, "cupy imported"
        """, path=[str(tmp_path)])
    assert rc == 0, out
    assert "device='sim'" in out


def test_cupy_without_gpu_is_a_clear_error(tmp_path):
    fake = tmp_path / "cupy"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent("""
        __version__ = "99.0"
        class runtime:
            @staticmethod
            def getDeviceCount():
                return 0
        class cuda:
            runtime = runtime
        """))
    rc, out = run_python("""
        import npflow as np
        assert np.devices() == [np.Device("cpu")]
        try:
            np.Device("cuda")
        except np.BackendUnavailableError as e:
            print("ERR", e)
        """, path=[str(tmp_path)])
    assert rc == 0, out
    assert "ERR" in out and "no CUDA GPU" in out and "99.0" in out


# -- the default device ---------------------------------------------------------------

def test_default_device_context():
    assert nf.get_default_device() is nf.Device("cpu")
    with nf.default_device("sim") as d:
        assert d is nf.Device("sim") and nf.get_default_device() is d
        x = nf.asarray([1, 2])
        assert x.device == "sim"
        with nf.default_device(nf.Device("cpu")):
            assert nf.asarray([1]).device == "cpu"
        assert nf.asarray(onp.ones(2)).device == "sim"
        assert (x + 1).device == "sim"
        assert nf.asarray([1], device="cpu").device == "cpu"
    assert nf.get_default_device() is nf.Device("cpu")
    assert nf.asarray([1, 2]).device == "cpu"


def test_default_device_restored_after_error():
    with pytest.raises(KeyError):
        with nf.default_device("sim"):
            raise KeyError
    assert nf.get_default_device() is nf.Device("cpu")
    with pytest.raises(ValueError):
        with nf.default_device("tpu"):
            pass


def test_default_device_is_per_thread():
    import threading
    seen = []
    with nf.default_device("sim"):
        t = threading.Thread(target=lambda: seen.append(nf.asarray([1]).device))
        t.start()
        t.join()
    assert seen == [nf.Device("cpu")]


@pytest.mark.parametrize("value,expect", [("sim", "sim"), ("cpu", "cpu"), ("", "cpu"), ("tpu", "ValueError")])
def test_npflow_device_environment_variable(value, expect):
    rc, out = run_python("""
        import npflow as np
        try:
            x = np.asarray([1, 2, 3])
            print("DEVICE", x.device, np.get_default_device(), (x + 1).device)
        except ValueError as e:
            print("ValueError", e)
        """, env={"NPFLOW_DEVICE": value})
    assert rc == 0, out
    if expect == "ValueError":
        assert "ValueError NPFLOW_DEVICE='tpu'" in out
    else:
        assert f"DEVICE {expect} {expect} {expect}" in out


# -- transfers ------------------------------------------------------------------------

@pytest.mark.parametrize("src", DEVICES)
@pytest.mark.parametrize("dst", DEVICES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)], ids=str)
def test_to_device_round_trip(src, dst, shape):
    xn = onp.asarray(make(shape, onp.complex64))
    x = nf.asarray(xn, device=src)
    assert x.device == src
    y = x.to_device(dst)
    assert y.device == dst and y.dtype == x.dtype and y.shape == x.shape
    assert_same(y.to_device("cpu"), xn)
    if src == dst:
        assert y is x
    elif x.size:
        assert not onp.shares_memory(onp.asarray(x), onp.asarray(y))  # a real copy
        y[...] = 0
        assert_same(x.to_device("cpu"), xn)


def test_to_device_accepts_device_objects_and_aliases():
    x = nf.asarray([1.0, 2.0])
    assert x.to_device(nf.Device("sim")).device is nf.Device("sim")
    assert x.to_device("SIM").device is nf.Device("sim")
    assert x.astype(onp.float32, device="sim").device == "sim"
    assert nf.asarray(x, device="sim").device == "sim"
    with pytest.raises(ValueError):
        x.to_device("tpu")


def test_host_conversion_of_sim_arrays_copies():
    s = nf.asarray(onp.arange(3.0), device="sim")
    h = onp.asarray(s)
    h[0] = 99
    assert float(s[0]) == 0.0
    with pytest.raises(ValueError, match="copy"):
        onp.asarray(s, copy=False)


# -- results stay on their device ----------------------------------------------------------

SIM_OPS = [
    ("add", lambda x, y: x + y), ("radd-scalar", lambda x, y: 2 + x), ("neg", lambda x, y: -x),
    ("compare", lambda x, y: x < y), ("ufunc", lambda x, y: nf.sin(x)), ("ufunc2", lambda x, y: nf.maximum(x, y)),
    ("reduce", lambda x, y: nf.add.reduce(x)), ("getitem", lambda x, y: x[1:]), ("fancy", lambda x, y: x[[0, 2]]),
    ("mask", lambda x, y: x[x > 0]), ("0-d", lambda x, y: x[0]), ("astype", lambda x, y: x.astype(onp.int8)),
    ("copy", lambda x, y: x.copy()), ("T", lambda x, y: x.T), ("view", lambda x, y: x.view()),
    ("flat", lambda x, y: x.flat[1]), ("pow2", lambda x, y: x ** 2), ("divmod", lambda x, y: divmod(x, 2)[1]),
    ("sum", lambda x, y: nf.sum(x)), ("method", lambda x, y: x.reshape(3, 1)),
    ("asarray", lambda x, y: nf.asarray([1, 2], device=x.device)),
]


@pytest.mark.parametrize("label,f", SIM_OPS, ids=[c[0] for c in SIM_OPS])
def test_results_stay_on_sim(label, f):
    xn, yn = onp.array([1.5, -2.0, 3.0]), onp.array([0.5, 1.0, 4.0])
    x, y = nf.asarray(xn, device="sim"), nf.asarray(yn, device="sim")
    r = f(x, y)
    assert r.device == "sim", label
    expected = f(nf.asarray(xn), nf.asarray(yn))
    assert_same(r.to_device("cpu"), onp.asarray(expected))


def test_inplace_on_sim_stays_and_writes():
    x = nf.asarray(onp.arange(4.0), device="sim")
    x += 1
    x[0] = 10
    x[[1, 2]] *= 2
    assert x.device == "sim"
    assert onp.asarray(x).tolist() == [10.0, 4.0, 6.0, 4.0]


# -- mixed devices ---------------------------------------------------------------------------

def _cpu_sim():
    return nf.asarray(onp.arange(3.0)), nf.asarray(onp.ones(3), device="sim")


MIXED = [
    ("operator", lambda c, s: c + s), ("reflected", lambda c, s: s * c), ("compare", lambda c, s: c < s),
    ("matmul", lambda c, s: c @ s), ("inplace", lambda c, s: c.__iadd__(s)),
    ("ufunc", lambda c, s: nf.add(c, s)), ("ufunc-kw", lambda c, s: nf.add(c, s, dtype=onp.float64)),
    ("numpy-ufunc", lambda c, s: onp.add(c, s)), ("ufunc-out", lambda c, s: nf.sin(c, out=s)),
    ("ufunc-out-tuple", lambda c, s: nf.add(c, 2.0, out=(s,))), ("reduce-out", lambda c, s: nf.add.reduce(c, out=s[0])),
    ("setitem-value", lambda c, s: c.__setitem__(slice(None), s)),
    ("setitem-index", lambda c, s: c.__setitem__(s.astype(onp.intp), 1.0)),
    ("getitem-index", lambda c, s: c[s.astype(onp.intp)]), ("getitem-mask", lambda c, s: c[s > 0]),
    ("flat-index", lambda c, s: c.flat[s.astype(onp.intp)]),
    ("nested", lambda c, s: nf.asarray([c, s])), ("stack", lambda c, s: nf.stack([c, onp.ones(3), s])),
    ("numpy-function", lambda c, s: onp.average(c, weights=s)),
    ("where", lambda c, s: nf.add(c, c, where=s > 0)),
]


@pytest.mark.parametrize("label,f", MIXED, ids=[m[0] for m in MIXED])
def test_mixed_devices_raise(label, f):
    c, s = _cpu_sim()
    before = (onp.asarray(c).copy(), onp.asarray(s).copy())
    with pytest.raises(nf.DeviceMismatchError) as info:
        f(c, s)
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert "sim" in msg and ("cpu" in msg or "NumPy" in msg), msg
    assert_same(c, before[0])  # nothing was written
    assert_same(s.to_device("cpu"), before[1])


def test_mixed_device_message_names_op_and_operands():
    c, s = _cpu_sim()
    with pytest.raises(nf.DeviceMismatchError, match=r"add\(\).*float64\[3\] on cpu.*float64\[3\] on sim"):
        c + s
    with pytest.raises(nf.DeviceMismatchError, match=r"getitem\(\).*index is on sim.*array is on cpu"):
        c[s.astype(onp.intp)]
    # a composite names itself and its operands, not the internal op where they met
    for f, name in [(nf.percentile, "percentile"), (nf.quantile, "quantile")]:
        with pytest.raises(nf.DeviceMismatchError,
                           match=rf"^{name}\(\): operands are on different devices \(float64\[3\] on cpu, "
                                 rf"float64\[3\] on sim\)"):
            f(c, s / 10)
    assert nf.DeviceMismatchError is nf._core.dispatch.DeviceMismatchError


# -- uncommitted values follow the device (DESIGN invariant 10) -------------------------------
# NumPy arrays, NumPy scalars, lists and other array-likes meeting npflow arrays on a device join
# that device, as on the CPU; NumPy's own functions on such mixes answer as on the CPU.
from npflow._ops.ufuncs import UFUNCS  # noqa: E402

OTHER = [d for d in DEVICES if d != "cpu"]
BINARY_UFUNCS = [name for name, nin, *_ in UFUNCS if nin == 2]
_F = (onp.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0], [2.0, 1.0, 0.25]]), onp.array([0.5, 4.0, 2.0]))
_I = (onp.array([[1, 6, 3], [5, 4, 2], [7, 1, 3]]), onp.array([2, 1, 3]))


def _operands(f):
    """Float operands (a 3x3 matrix and a 3-vector) where NumPy's ``f`` takes them, else integers;
    in the order NumPy's signature takes them (vecmat: the vector first)."""
    for a, b in (_F, _I, _F[::-1], _I[::-1]):
        try:
            with onp.errstate(all="ignore"):
                return a, b, f(onp, a, b)
        except TypeError:
            continue
        except ValueError:
            continue
    raise AssertionError("no operands for this op")


def _check_on(got, expected, dev):
    """``got`` is npflow's result on ``dev`` with NumPy's host values."""
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        return [_check_on(g, e, dev) for g, e in zip(got, expected)]
    assert isinstance(got, nf.ndarray) and got.device == dev, (type(got), getattr(got, "device", None))
    assert_same(got.to_device("cpu"), expected)


HOST_FORMS = {"numpy": lambda x: x, "list": lambda x: x.tolist(), "numpy-scalar": lambda x: x[0, 0] if x.ndim == 2 else x[0]}

# operators (the device array on either side, and in place) and every binary ufunc, as npflow's
# function and as NumPy's (reaching npflow through __array_ufunc__)
OPERATORS = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor", "lshift",
             "rshift", "eq", "ne", "lt", "le", "gt", "ge"]
BINARY_CALLS = ([(f"operator.{o}", (lambda o: lambda m, a, b: getattr(operator, o)(a, b))(o)) for o in OPERATORS]
                + [(f"{n}", (lambda n: lambda m, a, b: getattr(m, n)(a, b))(n)) for n in BINARY_UFUNCS])


@pytest.mark.parametrize("device", OTHER)
@pytest.mark.parametrize("form", list(HOST_FORMS))
@pytest.mark.parametrize("label, f", BINARY_CALLS, ids=[c[0] for c in BINARY_CALLS])
def test_binary_ops_take_host_operands_onto_the_device(label, f, form, device):
    a, b, _ = _operands(f)
    if form == "numpy-scalar" and label.endswith(("matmul", "vecdot", "matvec", "vecmat")):
        return  # no scalar operands there
    for i in (0, 1):  # which operand is on the device; the other is host data
        host = HOST_FORMS[form]((a, b)[1 - i])
        args = [nf.asarray(a, device=device), host] if i == 0 else [host, nf.asarray(b, device=device)]
        with onp.errstate(all="ignore"):
            ref = f(onp, *[onp.asarray(x) if k != i else (a, b)[i] for k, x in enumerate(args)])
            for m in (nf, onp) if not label.startswith("operator.") else (nf,):
                _check_on(f(m, *args), ref, device)
    name = label.split(".")[-1].rstrip("_")
    if label.startswith("operator.") and hasattr(operator, f"i{name}"):
        iop = getattr(operator, f"i{name}")
        with onp.errstate(all="ignore"):
            ref = iop(a.copy(), HOST_FORMS[form](a))
            x = nf.asarray(a, device=device)
            assert iop(x, HOST_FORMS[form](a)) is x
        _check_on(x, ref, device)


# NumPy's functions on host data mixed with device arrays answer as they do with CPU arrays
# (npflow's function through __array_function__ / __array_ufunc__), the result on the device
_H, _D = onp.array([1.0, 2.0, 4.0]), onp.array([0.5, 2.0, 3.0])
NUMPY_FUNCTIONS = [
    ("average-weights", lambda h, d: onp.average(h, weights=d)), ("average", lambda h, d: onp.average(d, weights=h)),
    ("may_share_memory", lambda h, d: onp.may_share_memory(h, d)), ("shares_memory", lambda h, d: onp.shares_memory(d, h)),
    ("isclose", lambda h, d: onp.isclose(h, d)), ("allclose", lambda h, d: onp.allclose(d, h)),
    ("array_equal", lambda h, d: onp.array_equal(h, d)), ("where", lambda h, d: onp.where(h > 1, d, h)),
    ("concatenate", lambda h, d: onp.concatenate([h, d])), ("stack", lambda h, d: onp.stack([h, d])),
    ("hstack", lambda h, d: onp.hstack((d, h))), ("dot", lambda h, d: onp.dot(h, d)), ("outer", lambda h, d: onp.outer(h, d)),
    ("einsum", lambda h, d: onp.einsum("i,i->", h, d)), ("interp", lambda h, d: onp.interp(h, d, h)),
    ("searchsorted", lambda h, d: onp.searchsorted(h, d)), ("isin", lambda h, d: onp.isin(h, d)),
    ("clip", lambda h, d: onp.clip(d, h, 3.0)), ("polyval", lambda h, d: onp.polyval(h, d)),
    ("cov", lambda h, d: onp.cov(h, d)), ("maximum", lambda h, d: onp.maximum(h, d)),
    ("add-out", lambda h, d: onp.add(h, d, out=d * 0)), ("equal", lambda h, d: h == d),
    ("less", lambda h, d: h < d), ("greater-reflected", lambda h, d: d > h), ("matmul", lambda h, d: h @ d),
    ("setitem", lambda h, d: (d.__setitem__(slice(0, 2), h[1:]), d)[1]),
    ("index-with-host-mask", lambda h, d: d[h > 1]), ("full_like", lambda h, d: onp.full_like(d, h[0])),
    ("linalg.solve", lambda h, d: onp.linalg.solve(onp.diag(h), d)), ("meshgrid", lambda h, d: onp.meshgrid(h, d)),
]


@pytest.mark.parametrize("device", OTHER)
@pytest.mark.parametrize("label, f", NUMPY_FUNCTIONS, ids=[c[0] for c in NUMPY_FUNCTIONS])
def test_numpy_functions_on_host_and_device_arrays_answer_as_on_the_cpu(label, f, device):
    expected = f(_H.copy(), nf.asarray(_D))
    got = f(_H.copy(), nf.asarray(_D, device=device))
    if isinstance(expected, bool):
        assert type(got) is bool and got == expected
    else:
        _check_on(got, onp.asarray(expected) if not isinstance(expected, tuple) else
                  tuple(map(onp.asarray, expected)), device)


# creation from host data, sequences and nested device arrays: on the device given, else on the
# device of the npflow arrays inside, else on the default device
CREATION = [
    ("asarray-device", lambda dev: nf.asarray(_H, device=dev)), ("array-device", lambda dev: nf.array(_H.tolist(), device=dev)),
    ("asarray-nested", lambda dev: nf.asarray([nf.asarray(_D, device=dev), _H])),
    ("array-nested-scalars", lambda dev: nf.array([[nf.asarray(1.0, device=dev), 2.0], [3.0, 4.0]])),
    ("asarray-device-array", lambda dev: nf.asarray(nf.asarray(_D, device=dev))),
    ("stack", lambda dev: nf.stack([_H, nf.asarray(_D, device=dev), _H.tolist()])),
    ("concatenate", lambda dev: nf.concatenate([_H, nf.asarray(_D, device=dev)])),
    ("zeros_like", lambda dev: nf.zeros_like(_H, device=dev)), ("full_like", lambda dev: nf.full_like(nf.asarray(_D, device=dev), 2)),
    ("linspace", lambda dev: nf.linspace(nf.asarray(0.0, device=dev), _H[2], 4)),
]


@pytest.mark.parametrize("device", OTHER)
@pytest.mark.parametrize("label, f", CREATION, ids=[c[0] for c in CREATION])
def test_creation_from_host_and_device_inputs(label, f, device):
    expected = f("cpu")
    assert expected.device == "cpu"
    _check_on(f(device), onp.asarray(expected), device)
