"""Bad input, each case in a child process (issue 13's harness): object, str, bytes and datetime
arrays, ragged lists, huge and negative shapes, read-only arrays, foreign array-likes, mixed
devices, wrong arguments to the transforms.

A case fails on a crash (the child dies), a hang (no answer within HANG_S), or a silent
difference from NumPy: a different value, or no error where NumPy raises (npflow's error must be
an instance of NumPy's exception class). Cases NumPy has no counterpart for (devices, transforms)
name the exception class npflow must raise.

The cases run in one child process that reports each case as it goes; when the child dies or
hangs, the case it was running is the culprit, and a new child takes the remaining cases.
"""
import array
import datetime
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from fractions import Fraction

import numpy as onp

HANG_S = 60.0


class ArrayLike:
    """A foreign array-like: NumPy's ``__array__`` protocol only."""

    def __init__(self, data):
        self.data = onp.asarray(data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)


class Interface:
    """A foreign array-like through ``__array_interface__``."""

    def __init__(self, data):
        self._keep = onp.ascontiguousarray(data)
        self.__array_interface__ = self._keep.__array_interface__


class BadArray:
    """``__array__`` that raises."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no array here")


class Sequence:
    """A sequence that is not a list (``__len__`` and ``__getitem__``)."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i >= 3:
            raise IndexError(i)
        return float(i)


def _readonly(m, shape=(3,)):
    x = onp.arange(float(onp.prod(shape))).reshape(shape)
    x.flags.writeable = False
    return m.asarray(x)


def _setitem(x, key, value):
    x[key] = value
    return x


def _iadd(x, value):
    x += value
    return x


def _days(m):
    return m.asarray(onp.array(["2020-01-01", "2021-06-30"], dtype="M8[D]"))


# (name, case(m), expected): expected None compares with NumPy; an exception class is what
# npflow must raise where NumPy has no counterpart (m is then npflow only)
CASES = [
    # object arrays
    ("object + int", lambda m: m.asarray([1, None, 2.5], dtype=object) + 1, None),
    ("object Fractions sum", lambda m: m.sum(m.asarray([Fraction(1, 2), Fraction(1, 3)], dtype=object)), None),
    ("object sin of None", lambda m: m.sin(m.asarray([1.0, None], dtype=object)), None),
    ("object mean", lambda m: m.mean(m.asarray([1, 2.5, Fraction(1, 2)], dtype=object)), None),
    ("object sort mixed", lambda m: m.sort(m.asarray([1, "a", None], dtype=object)), None),
    ("object == None", lambda m: m.asarray([None, 1], dtype=object) == None, None),  # noqa: E711
    # str and bytes arrays
    ("str + int", lambda m: m.asarray(["a", "b"]) + 1, None),
    ("str + str", lambda m: m.asarray(["a", "bb"]) + "x", None),
    ("str sum", lambda m: m.sum(m.asarray(["a", "b"])), None),
    ("str exp", lambda m: m.exp(m.asarray(["1"])), None),
    ("str == str", lambda m: m.asarray(["cat", "dog"]) == "cat", None),
    ("str sort", lambda m: m.sort(m.asarray(["b", "a", "c"])), None),
    ("str astype float", lambda m: m.asarray(["1.5", "2"]).astype(float), None),
    ("str astype bad float", lambda m: m.asarray(["1.5", "x"]).astype(float), None),
    ("str mean", lambda m: m.mean(m.asarray(["1", "2"])), None),
    ("bytes + bytes", lambda m: m.asarray([b"a"]) + b"b", None),
    ("bytes + str", lambda m: m.asarray([b"a"]) + "b", None),
    ("bytes mean", lambda m: m.mean(m.asarray([b"1"])), None),
    # datetime arrays
    ("datetime + int", lambda m: _days(m) + 1, None),
    ("datetime - datetime", lambda m: _days(m) - _days(m)[0], None),
    ("datetime + datetime", lambda m: _days(m) + _days(m), None),
    ("datetime sum", lambda m: m.sum(_days(m)), None),
    ("datetime sin", lambda m: m.sin(_days(m)), None),
    ("datetime < date", lambda m: _days(m) < datetime.date(2021, 1, 1), None),
    ("timedelta mean", lambda m: m.mean(m.asarray(onp.array([1, 2], dtype="m8[s]"))), None),
    ("timedelta * float", lambda m: m.asarray(onp.array([1, 2], dtype="m8[s]")) * 1.5, None),
    ("datetime float()", lambda m: float(_days(m)[0]), None),
    # ragged lists
    ("ragged asarray", lambda m: m.asarray([[1, 2], [3]]), None),
    ("ragged object", lambda m: m.array([[1], [2, 3]], dtype=object), None),
    ("ragged add", lambda m: m.add([[1, 2], [3]], 1), None),
    ("ragged concatenate", lambda m: m.concatenate([[1, 2], [[3]]]), None),
    ("ragged setitem", lambda m: _setitem(m.zeros((2, 2)), 0, [[1, 2], [3]]), None),
    ("ragged operand", lambda m: m.ones(2) * [[1, 2], [3]], None),
    # huge and negative shapes
    ("zeros -1", lambda m: m.zeros(-1), None),
    ("empty (3, -2)", lambda m: m.empty((3, -2)), None),
    ("zeros too big", lambda m: m.zeros((2 ** 62, 2 ** 62)), None),
    ("ones 10**13", lambda m: m.ones(10 ** 13), None),
    ("full 2**31 squared", lambda m: m.full((2 ** 31, 2 ** 31), 0), None),
    ("arange 10**20", lambda m: m.arange(0, 10 ** 20), None),
    ("reshape -1 -1", lambda m: m.reshape(m.arange(6), (-1, -1)), None),
    ("reshape bad", lambda m: m.reshape(m.arange(6), (4, -1)), None),
    ("broadcast_to negative", lambda m: m.broadcast_to(m.ones(3), (-1,)), None),
    ("eye -1", lambda m: m.eye(-1), None),
    ("linspace -1", lambda m: m.linspace(0, 1, -1), None),
    ("tile huge", lambda m: m.tile(m.ones(2), 2 ** 62), None),
    ("shape float", lambda m: m.zeros(2.5), None),
    ("shape str", lambda m: m.zeros("3"), None),
    # read-only arrays
    ("broadcast += 1", lambda m: _iadd(m.broadcast_to(m.ones(3), (2, 3)), 1), None),
    ("broadcast setitem", lambda m: _setitem(m.broadcast_to(m.ones(3), (2, 3)), 0, 5.0), None),
    ("read-only setitem", lambda m: _setitem(_readonly(m), 0, 1.0), None),
    ("read-only +=", lambda m: _iadd(_readonly(m), 1.0), None),
    ("read-only out=", lambda m: m.add(1.0, 1.0, out=_readonly(m)), None),
    ("read-only sort", lambda m: _readonly(m).sort(), None),
    ("read-only fill", lambda m: _readonly(m).fill(0.0), None),
    ("read-only copyto", lambda m: m.copyto(_readonly(m), 1.0), None),
    ("read-only view setitem", lambda m: _setitem(_readonly(m, (2, 3))[1:], 0, 1.0), None),
    ("read-only sum", lambda m: m.sum(_readonly(m)), None),
    # foreign array-likes
    ("__array__ operand", lambda m: m.ones(3) + ArrayLike([1.0, 2.0, 3.0]), None),
    ("__array__ function", lambda m: m.sin(ArrayLike([1.0, 2.0])), None),
    ("__array__ raises", lambda m: m.ones(3) + BadArray(), None),
    ("__array__ raises asarray", lambda m: m.asarray(BadArray()), None),
    ("__array_interface__", lambda m: m.sum(m.asarray(Interface([[1, 2], [3, 4]]))), None),
    ("sequence", lambda m: m.asarray(Sequence()) * 2, None),
    ("memoryview", lambda m: m.asarray(memoryview(b"abc")) + 1, None),
    ("array.array", lambda m: m.sin(array.array("d", [1.0, 2.0])), None),
    ("range", lambda m: m.asarray(range(4)) ** 2, None),
    ("generator", lambda m: m.asarray(i for i in range(3)), None),
    ("set", lambda m: m.asarray({1, 2}), None),
    ("dict", lambda m: m.sum({1: 2}), None),
    # NumPy's subclasses are refused (NumPy keeps them; npflow's plain results would drop them: README)
    ("numpy matrix", lambda m: m.ones((2, 2)) @ onp.asmatrix(onp.eye(2)), TypeError),
    ("numpy masked array", lambda m: m.sum(onp.ma.masked_array([1.0, 2.0], mask=[0, 1])), TypeError),
]


def _sim(np_):
    return np_.ones(3, device="sim")


def _transform_cases():
    import npflow as nf

    def f(x):
        return nf.sum(x * x)
    x = nf.ones(3)
    return [
        # mixed devices: DeviceMismatchError (a ValueError) naming both
        ("devices add", lambda: _sim(nf) + nf.ones(3), nf.DeviceMismatchError),
        ("devices concatenate", lambda: nf.concatenate([_sim(nf), nf.ones(3)]), nf.DeviceMismatchError),
        ("devices index", lambda: _sim(nf)[nf.asarray([0, 1])], nf.DeviceMismatchError),
        ("devices setitem", lambda: _setitem(nf.ones(3), 0, _sim(nf)[0]), nf.DeviceMismatchError),
        ("devices where", lambda: nf.where(nf.ones(3) > 0, _sim(nf), _sim(nf)), nf.DeviceMismatchError),
        ("devices out=", lambda: nf.add(_sim(nf), 1.0, out=nf.ones(3)), nf.DeviceMismatchError),
        ("devices matmul", lambda: _sim(nf) @ nf.ones(3), nf.DeviceMismatchError),
        ("devices grad", lambda: nf.grad(lambda a: nf.sum(a * nf.ones(3)))(_sim(nf)), nf.DeviceMismatchError),
        # (a NumPy operand is uncommitted and joins sim: DESIGN invariant 10, tests/test_devices.py)
        # wrong arguments to the transforms
        ("grad of a non-callable", lambda: nf.grad(42)(x), TypeError),
        ("grad of a str argument", lambda: nf.grad(f)("abc"), TypeError),
        ("grad of None", lambda: nf.grad(f)(None), TypeError),
        ("grad of an int array", lambda: nf.grad(f)(nf.arange(3)), TypeError),
        ("grad argnums out of range", lambda: nf.grad(f, argnums=3)(x), (TypeError, ValueError, IndexError)),
        ("grad of a vector result", lambda: nf.grad(lambda a: a * 2.0)(x), TypeError),
        ("vjp without primals", lambda: nf.vjp(f), TypeError),
        ("jvp tangent shape", lambda: nf.jvp(f, (x,), (nf.ones(4),)), ValueError),
        ("jvp primals not a tuple", lambda: nf.jvp(f, x, x), TypeError),
        ("vjp cotangent shape", lambda: nf.vjp(lambda a: a * 2.0, x)[1](nf.ones(4)), ValueError),
        ("tape watch a str", lambda: _watch("x"), (TypeError, ValueError)),
        # issue 13 finding 10 (autodiff's lane) has the others: grad(f, argnums='a'),
        # tape.gradient(y, "x") and jvp's int64 tangents for float primals
    ]


def _watch(v):
    import npflow as nf
    with nf.GradientTape() as tape:
        tape.watch(v)
    return tape


def _describe(r):
    import npflow as nf
    if isinstance(r, nf.ndarray):
        if nf._core.dispatch.is_scalar(r._data):
            r = r._data[()]  # what NumPy gives as a scalar (npflow: a 0-d array, DESIGN.md)
        else:
            r = onp.asarray(r)
    if isinstance(r, (onp.ndarray, onp.generic)):
        a = onp.asarray(r)
        return [str(a.dtype), list(a.shape), _no_address(repr(a.tolist()))]
    return [type(r).__name__, _no_address(repr(r))]


def _no_address(text):
    """A repr without the memory addresses of objects in it (two runs' objects differ there)."""
    import re
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x...", text)


def verdict(i):
    """Case ``i`` with NumPy and npflow: None when npflow is right, else what is wrong."""
    import warnings
    import npflow as nf
    cases = CASES + _transform_cases()
    name, case, expected = cases[i]
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if expected is not None:
            try:
                r = case()
            except expected:
                return None
            except Exception as e:
                return f"raised {type(e).__name__}: {e} (expected {expected})"
            return f"no error (expected {expected}): {_describe(r)}"
        try:
            want = _describe(case(onp))
        except Exception as e:
            try:
                got = case(nf)
            except type(e):
                return None
            except Exception as e2:
                return f"NumPy raised {type(e).__name__}, npflow {type(e2).__name__}: {e2}"
            return f"NumPy raised {type(e).__name__}: {e}; npflow gave {_describe(got)}"
        try:
            got = _describe(case(nf))
        except Exception as e:
            return f"npflow raised {type(e).__name__} where NumPy computed {want}: {e}"
        if got != want and not (got[0] == "ndarray" and want[0] == "ndarray"):
            return f"npflow gave {got}, NumPy {want}"
        return None


def child(start, stop):
    """Run cases start..stop-1, one JSON line when each starts and when it ends."""
    import npflow  # noqa: F401  (imported before the first case's clock starts)
    for i in range(start, stop):
        print(json.dumps({"start": i}), flush=True)
        print(json.dumps({"done": i, "verdict": verdict(i)}), flush=True)


def _count():
    return len(CASES) + len(_transform_cases())


def test_bad_input_table():
    import npflow
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(os.path.abspath(npflow.__file__)))  # the npflow under test
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, here])}
    names = [c[0] for c in CASES] + [c[0] for c in _transform_cases()]
    failures, done, i = [], set(), 0
    while i < len(names):
        err = tempfile.TemporaryFile(mode="w+")  # (a pipe left unread could fill and block the child)
        proc = subprocess.Popen([sys.executable, "-c", f"import test_bad_input as t; t.child({i}, {len(names)})"],
                                cwd=here, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout] + [lines.put("")],
                         daemon=True).start()
        running = None
        while True:
            try:
                line = lines.get(timeout=HANG_S)
            except queue.Empty:
                proc.kill()
                if running is None:
                    failures.append(f"the child hangs outside a case (no answer in {HANG_S} s)")
                    i = len(names)
                else:
                    failures.append(f"{names[running]}: hangs (no answer in {HANG_S} s)")
                    done.add(running)
                break
            if not line:
                break  # the child ended
            msg = json.loads(line)
            if "start" in msg:
                running = msg["start"]
            else:
                running = None
                done.add(msg["done"])
                if msg["verdict"]:
                    failures.append(f"{names[msg['done']]}: {msg['verdict']}")
        proc.wait()
        err.seek(0)
        stderr = err.read()[-2000:]
        if i == len(names):
            break
        if running is not None and running not in done:
            failures.append(f"{names[running]}: crashes the process (exit {proc.returncode}): "
                            f"{stderr}")
            done.add(running)
        elif proc.returncode not in (0, -9) and len(done) < len(names):
            failures.append(f"the child failed outside a case: {stderr}")
            break
        i = max(done) + 1 if done else len(names)
    assert len(done) == len(names) or failures
    assert not failures, "\n".join(failures)
