"""The C accelerator: built, equivalent to the pure-Python path, and safe when it elides temporaries."""
import os
import subprocess
import sys

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st

import npflow as nf
from npflow._core import dispatch
from npflow._core import ndarray as nd_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = 100_000  # 800 kB of float64: above the 256 kB elision threshold


def test_accelerator_is_built():
    if os.environ.get("NPFLOW_PURE_PYTHON"):
        pytest.skip("pure-Python mode was asked for")
    assert nd_module._fastpath is not None, (
        "npflow's C accelerator (npflow/_core/_fastpath.c) is not built: run `pip install -e .` "
        "with a C compiler; npflow works without it but dispatch is about 2x slower")
    assert type(nf.asarray([1.0])).__mro__[1] is nd_module._fastpath.ArrayBase


def _big(seed):
    return onp.random.default_rng(seed).random(BIG)


# Expressions whose temporaries may or may not be elided; each must equal NumPy's result
# and leave every named array unchanged.
ELISION_CASES = [
    ("x * y + x", lambda x, y: x * y + x),
    ("x + x * y (temporary on the right)", lambda x, y: x + x * y),
    ("x - x * y (not commutative: right temporary not reused)", lambda x, y: x - x * y),
    ("(x * y) / y", lambda x, y: (x * y) / y),
    ("tanh(x * y + x) - y", lambda x, y: onp.tanh(x * y + x) - y if isinstance(x, onp.ndarray)
     else nf.tanh(x * y + x) - y),
    ("(x > 0.5) + y  (bool temporary, float result: no reuse)", lambda x, y: (x > 0.5) + y),
    ("(x * 2).astype(float32) + y (float32 temporary, float64 result: no reuse)",
     lambda x, y: (x * 2).astype(onp.float32) + y),
    ("x[:, None][:10] * y[:10] + 1 (views)", lambda x, y: x[:, None][:10] * y[:10] + 1),
]


@pytest.mark.parametrize("name,expr", ELISION_CASES, ids=[c[0] for c in ELISION_CASES])
def test_elision_matches_numpy_and_keeps_inputs(name, expr):
    a, b = _big(1), _big(2)
    x, y = nf.asarray(a.copy()), nf.asarray(b.copy())
    got = expr(x, y)
    onp.testing.assert_array_equal(onp.asarray(got), expr(a, b))
    assert onp.asarray(got).dtype == expr(a, b).dtype
    onp.testing.assert_array_equal(onp.asarray(x), a)
    onp.testing.assert_array_equal(onp.asarray(y), b)


def test_named_temporaries_and_views_are_never_overwritten():
    a, b = _big(3), _big(4)
    x, y = nf.asarray(a), nf.asarray(b)
    t = x * y          # named: its buffer must survive t + x
    view = (x * 1.0)[::2]
    r = t + x
    onp.testing.assert_array_equal(onp.asarray(t), a * b)
    onp.testing.assert_array_equal(onp.asarray(r), a * b + a)
    r2 = view + 1.0
    onp.testing.assert_array_equal(onp.asarray(r2), a[::2] + 1.0)

    host = onp.asarray(x * y)      # NumPy holds the data of the temporary: no reuse
    keep = host.copy()
    total = sum([x, y, x])         # operators reached from C code (builtin sum): no reuse
    onp.testing.assert_array_equal(onp.asarray(total), a + b + a)
    onp.testing.assert_array_equal(host, keep)


def test_recording_turns_the_fast_path_off():
    seen = []
    x = nf.asarray([1.0, 2.0])
    dispatch.recorders.append(lambda op, operands, params, result: seen.append(op.name))
    try:
        y = x * 2.0 + x
        z = nf.tanh(y)
        w = -z
    finally:
        dispatch.recorders.pop()
    assert seen == ["multiply", "add", "tanh", "negative"]
    onp.testing.assert_allclose(onp.asarray(w), -onp.tanh(onp.array([1.0, 2.0]) * 3))


# Operators and ufunc calls, the same on the C path and in pure Python (checked in a subprocess).
SCRIPT = r"""
import json, numpy as onp, npflow as nf
x = nf.asarray(onp.arange(-3, 3, dtype=onp.int16)); f = nf.asarray(onp.linspace(-1, 1, 6))
out = {}
cases = {"x+1": lambda: x + 1, "2-x": lambda: 2 - x, "x*f": lambda: x * f, "x/0": lambda: x / 0,
         "x//2": lambda: x // 2, "x%3": lambda: x % 3, "x**2": lambda: x ** 2, "-x": lambda: -x,
         "abs(x)": lambda: abs(x), "~x": lambda: ~x, "x<f": lambda: x < f, "x==1": lambda: x == 1,
         "x&3": lambda: x & 3, "x<<1": lambda: x << 1, "tanh(f)": lambda: nf.tanh(f),
         "add(x,f)": lambda: nf.add(x, f), "x+[1]*6": lambda: x + [1] * 6,
         "x+300000": lambda: x + 300000, "x+f[:2]": lambda: x + f[:2], "1j*f": lambda: 1j * f,
         "f@f": lambda: f @ f, "x+True": lambda: x + True}
with onp.errstate(all="ignore"):
    for k, fn in cases.items():
        try:
            r = fn(); out[k] = [str(r.dtype), onp.asarray(r).tolist().__repr__(), type(r).__name__]
        except Exception as e:
            out[k] = [type(e).__name__]
print(json.dumps(out))
"""


def _run(env_extra):
    env = dict(os.environ, **env_extra)
    r = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                       cwd=ROOT, check=True)
    return r.stdout


def test_c_and_pure_python_agree():
    assert _run({}) == _run({"NPFLOW_PURE_PYTHON": "1"})


def test_core_suites_pass_in_pure_python():
    """The array, ufunc, dispatch and autodiff suites also pass without the accelerator."""
    if os.environ.get("NPFLOW_PURE_PYTHON"):
        pytest.skip("already in pure-Python mode")
    suites = [s for s in ("tests/test_ndarray.py", "tests/test_ufuncs.py", "tests/test_dispatch.py",
                          "tests/test_fastpath.py", "tests/test_autodiff.py", "tests/test_tape.py",
                          "tests/test_threads.py") if os.path.exists(os.path.join(ROOT, s))]
    env = dict(os.environ, NPFLOW_PURE_PYTHON="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *suites],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


ADDRESSES = [16 * int(a) for a in onp.random.default_rng(7).integers(2**30, 2**43, 200)]


@pytest.mark.skipif(dispatch._fastpath is None, reason="the C accelerator is not built")
@settings(max_examples=100, deadline=None)
@given(st.permutations(ADDRESSES), st.data())
def test_version_table_is_a_mapping(keys, data):
    """dispatch.versions (a hash table on addresses, with backward-shift deletion) behaves as a
    dict from id() to counter, through collisions, growth, and deletions inside runs."""
    table, model = dispatch._fastpath.VersionTable(), {}
    n = data.draw(st.integers(1, len(keys)))
    for key in keys[:n]:
        table[key] = model[key] = dispatch.RootVersion(key)
    for step, key in enumerate(data.draw(st.lists(st.sampled_from(keys), max_size=2 * n))):
        if step % 3 == 2:   # (every third step puts back)
            table[key] = model[key] = dispatch.RootVersion(key)
        elif key in model:
            del table[key], model[key]
        else:
            with pytest.raises(KeyError):
                del table[key]
        assert len(table) == len(model)
        assert all(table.get(k) is model.get(k) and (k in table) == (k in model) for k in keys)
    assert all(table[k] is v and v.key == k for k, v in model.items())
