"""Differential fuzzing of whole programs (issue 13's harness).

* Random programs of operators, ufuncs, reductions, views, indexing, in-place writes and
  aliases run with NumPy and with npflow: every value (dtype, shape, bits), every exception
  class and every memory-sharing relation between the program's arrays must be NumPy's.
* Random differentiable programs (including views and in-place writes into intermediates)
  against finite differences in forward and reverse mode (``npflow.testing.check_grads``),
  with ``grad``, ``vjp`` and a ``GradientTape`` giving one gradient.
* The same random programs in a child process with ``NPFLOW_PURE_PYTHON=1``: bit for bit the
  C build's results (DESIGN invariant 8).

A program is drawn from a seed (``random.Random``), so a child process rebuilds it exactly
and a failure names the seed; hypothesis draws the seeds.
"""
import json
import operator
import os
import random
import subprocess
import sys
import warnings

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st

import npflow as nf
from support import REFERENCE, assert_same

# -- the program generator -------------------------------------------------------------------------

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool", "complex128"]
SHAPES = [(), (1,), (4,), (2, 3), (3, 1), (2, 1, 3), (0,), (0, 2)]
BINARY = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "eq", "ne", "lt", "ge",
          "and_", "or_", "xor", "lshift", "matmul"]
INPLACE = ["iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ilshift",
           "imatmul"]
SCALARS = [2, -1, 0, 1.5, -0.0, True, 1j, float("nan")]
UNARY = ["negative", "absolute", "sin", "exp", "sqrt", "floor", "isnan", "logical_not", "square",
         "sign", "invert", "conjugate", "cumsum", "sort", "argsort", "transpose", "ravel"]
# README's deviations: npflow's argsort is stable by default (NumPy leaves the order of ties open)
UNARY_KW = {"argsort": {"kind": "stable"}}
REDUCE = ["sum", "prod", "mean", "max", "min", "argmax", "any", "all", "std"]
VIEWS = ["slice", "reverse", "T", "newaxis", "int0", "ellipsis", "reshape-1", "real", "imag",
         "diagonal", "squeeze", "broadcast"]
KEYS = ["int", "neg-int", "slice", "list", "mask", "tuple", "empty-list", "bool-scalar"]


def make_array(rng, dtype, shape):
    n = int(onp.prod(shape))
    if dtype == "bool":
        vals = [rng.random() < 0.5 for _ in range(n)]
    elif dtype.startswith(("int", "uint")):
        vals = [rng.randint(0, 5) if dtype.startswith("u") else rng.randint(-5, 5) for _ in range(n)]
    elif dtype.startswith("complex"):
        vals = [complex(rng.choice([-2.5, -1, 0, 0.5, 3]), rng.choice([-1, 0, 2])) for _ in range(n)]
    else:
        vals = [rng.choice([-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 7.25]) for _ in range(n)]
    return {"dtype": dtype, "shape": list(shape), "values": [[v.real, v.imag] if isinstance(v, complex)
                                                             else v for v in vals]}


def program(seed, steps=12):
    """A random program: its starting arrays and a list of steps (plain data, JSON-able)."""
    rng = random.Random(seed)
    arrays = [make_array(rng, rng.choice(DTYPES), rng.choice(SHAPES)) for _ in range(rng.randint(1, 3))]
    n = len(arrays)
    body = []
    for _ in range(steps):
        kind = rng.choice(["bin", "bin", "binscalar", "unary", "reduce", "view", "view", "getitem",
                           "inplace", "inplace", "setitem", "alias", "astype", "copy", "scalar-alias"])
        i, j = rng.randrange(n), rng.randrange(n)
        if kind == "bin":
            step = [kind, rng.choice(BINARY), i, j, rng.random() < 0.3]  # (reflected)
        elif kind == "binscalar":
            step = [kind, rng.choice(BINARY), i, rng.randrange(len(SCALARS)), rng.random() < 0.5]
        elif kind == "unary":
            step = [kind, rng.choice(UNARY), i]
        elif kind == "reduce":
            step = [kind, rng.choice(REDUCE), i, rng.choice([None, 0, -1, 1, 2]), rng.random() < 0.3]
        elif kind == "view":
            step = [kind, rng.choice(VIEWS), i]
        elif kind in ("getitem", "setitem"):
            step = [kind, i, rng.choice(KEYS), j, rng.randrange(len(SCALARS)), rng.random() < 0.5]
        elif kind == "inplace":
            step = [kind, rng.choice(INPLACE), i, j, rng.randrange(len(SCALARS)), rng.random() < 0.5]
        elif kind == "astype":
            step = [kind, i, rng.choice(DTYPES)]
        else:  # alias, copy, scalar-alias
            step = [kind, i]
        body.append(step)
        if kind not in ("inplace", "setitem"):
            n += 1  # the step's result is a new variable (None when it raised)
    return {"arrays": arrays, "steps": body}


# -- the interpreter -------------------------------------------------------------------------------

def _key(m, x, kind, mask_from):
    if kind == "int":
        return 1
    if kind == "neg-int":
        return -1
    if kind == "slice":
        return slice(None, None, 2)
    if kind == "list":
        return [0, -1, 0]
    if kind == "mask":
        return mask_from > 0
    if kind == "tuple":
        return (0, slice(1, None))
    if kind == "empty-list":
        return []
    return True


def _view(m, x, kind):
    if kind == "slice":
        return x[1:]
    if kind == "reverse":
        return x[::-1]
    if kind == "T":
        return x.T
    if kind == "newaxis":
        return x[None]
    if kind == "int0":
        return x[0]
    if kind == "ellipsis":
        return x[...]
    if kind == "reshape-1":
        return x.reshape(-1)
    if kind in ("real", "imag"):
        return getattr(x, kind)
    if kind == "diagonal":
        return m.diagonal(x)
    if kind == "squeeze":
        return m.squeeze(x)
    return m.broadcast_to(x, (2,) + m.shape(x))


def _operator(m, name):
    """``operator.<name>``; for NumPy, floor division with the standard's special cases, which
    npflow follows (README deviations): NumPy's result with REFERENCE's values laid over it."""
    op = getattr(operator, name)
    if m is not onp or name not in ("floordiv", "ifloordiv"):
        return op

    def floordiv(a, b):
        # the operands as they were (the in-place form writes into a, and b may share its
        # memory); NumPy's operator first, so that its exception is the one raised
        before = [x.copy() if isinstance(x, onp.ndarray) else x for x in (a, b)]
        r = op(a, b)
        fixed = REFERENCE["floor_divide"](*before)
        if type(r) is onp.ndarray:
            r[...] = fixed
            return r
        return type(r)(fixed)
    return floordiv


def run(m, prog):
    """Run ``prog`` with module ``m``: (the final variables, each step's exception class name)."""
    env = [m.asarray(onp.array([complex(*v) if isinstance(v, list) else v for v in a["values"]],
                               dtype=a["dtype"]).reshape(a["shape"])) for a in prog["arrays"]]
    errors = []
    for step in prog["steps"]:
        kind = step[0]
        produces = kind not in ("inplace", "setitem")
        if any(env[i] is None for i in _operands(step)):
            # A failed step's result (None) is not used: None operands make object arrays, whose
            # elements NumPy gives as Python objects (npflow: 0-d object arrays, DESIGN.md).
            errors.append(None)
            if produces:
                env.append(None)
            continue
        r = None
        try:
            if kind == "bin":
                _, name, i, j, reflected = step
                a, b = (env[j], env[i]) if reflected else (env[i], env[j])
                r = _operator(m, name)(a, b)
            elif kind == "binscalar":
                _, name, i, k, reflected = step
                x = env[i]
                if m is onp and reflected and type(SCALARS[k]) is complex and type(x) is onp.float64 \
                        and name in ("add", "sub", "mul", "truediv", "pow", "eq", "ne"):
                    # NumPy's float64 subclasses Python's float, which Python's complex operators
                    # take (``1j ** numpy.float64(0)`` raises ZeroDivisionError): npflow's 0-d
                    # arrays take NumPy's ufuncs, as NumPy's other scalars do
                    x = onp.asarray(x)
                a, b = (SCALARS[k], x) if reflected else (x, SCALARS[k])
                r = _operator(m, name)(a, b)
                if m is onp and type(r) is onp.ndarray and r.ndim == 0 and x is not env[i]:
                    r = r[()]
            elif kind == "unary":
                r = getattr(m, step[1])(env[step[2]], **UNARY_KW.get(step[1], {}))
            elif kind == "reduce":
                _, name, i, axis, keepdims = step
                r = getattr(m, name)(env[i], axis=axis, **({"keepdims": True} if keepdims else {}))
            elif kind == "view":
                r = _view(m, env[step[2]], step[1])
            elif kind == "getitem":
                _, i, key, j, _, _ = step
                r = env[i][_key(m, env[i], key, env[j])]
            elif kind == "setitem":
                _, i, key, j, k, use_scalar = step
                env[i][_key(m, env[i], key, env[j])] = SCALARS[k] if use_scalar else env[j]
            elif kind == "inplace":
                _, name, i, j, k, use_scalar = step
                # as Python does: the in-place operator's result is bound to the name
                env[i] = _operator(m, name)(env[i], SCALARS[k] if use_scalar else env[j])
            elif kind == "astype":
                r = env[step[1]].astype(step[2])
            elif kind == "copy":
                r = m.copy(env[step[1]])
            elif kind == "alias":
                r = env[step[1]]
            else:  # scalar-alias: NumPy gives a scalar; ``t = s; t += 1`` must leave s
                s = m.sum(env[step[1]])
                t = s
                t += 1
                r = s
            errors.append(None)
        except Exception as e:
            r = None
            errors.append(e)
            if not produces:
                # a write that failed may have written part of its target (NumPy's ufuncs stop
                # in the middle, leaving what their buffers held): the program ends there, and
                # the target's memory is not compared (check_program)
                env.append(("failed write", step[1] if kind == "setitem" else step[2]))
                break
        if kind == "inplace":
            r = env[step[2]]
        if m is onp and type(r) in (bool, int, float, complex):
            # Python's own operator answered (``1j ** numpy.float64(2)``: NumPy's float64 and
            # complex128 subclass Python's float and complex): NumPy's scalar of that value, as
            # npflow's 0-d arrays stand for NumPy's scalars
            r = onp.asarray(r)[()]
            if kind == "inplace":
                env[step[2]] = r
        if produces:
            env.append(r)
    return env, errors


def _operands(step):
    """The variables a step reads."""
    kind = step[0]
    if kind in ("bin",):
        return step[2:4]
    if kind in ("getitem", "setitem"):
        return [step[1]] + ([step[3]] if step[2] == "mask" or kind == "setitem" and not step[5] else [])
    if kind == "inplace":
        return [step[2]] + ([] if step[5] else [step[3]])
    if kind in ("unary", "reduce", "view"):
        return [step[2]]
    return [step[1] if kind != "binscalar" else step[2]]


def check_program(prog):
    """Run ``prog`` with NumPy and npflow: the same values, exceptions and memory sharing."""
    with onp.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env_np, err_np = run(onp, prog)
        env_nf, err_nf = run(nf, prog)
    assert len(err_np) == len(err_nf)
    undefined = []  # variables whose memory a failed write may have changed
    if env_np and type(env_np[-1]) is tuple:
        target = env_np[-1][1]
        del env_np[-1], env_nf[-1]
        undefined = [k for k, v in enumerate(env_np) if isinstance(v, onp.ndarray)
                     and isinstance(env_np[target], onp.ndarray) and onp.shares_memory(v, env_np[target])]
        undefined.append(target)
    for step, e_np, e_nf in zip(prog["steps"], err_np, err_nf):
        if e_np is None:
            assert e_nf is None, f"npflow raised {e_nf!r} where NumPy computed: step {step}"
        else:
            assert isinstance(e_nf, type(e_np)), f"NumPy raised {e_np!r}, npflow {e_nf!r}: step {step}"
    for k, (got, expected) in enumerate(zip(env_nf, env_np)):
        if expected is None:
            assert got is None
        elif k in undefined:
            assert onp.shape(got) == onp.shape(expected) and got.dtype == expected.dtype
        else:  # (complex results: NumPy's own vary by an ulp with where its operands lie in memory)
            assert_same(got, expected, rtol=COMPLEX_RTOL if onp.iscomplexobj(expected) else 0.0)
    arrays = [k for k, e in enumerate(env_np) if isinstance(e, onp.ndarray)]
    for a in arrays:
        for b in arrays:
            if b < a:
                assert (onp.shares_memory(onp.asarray(env_nf[a]), onp.asarray(env_nf[b])) ==
                        onp.shares_memory(env_np[a], env_np[b])), f"memory sharing of variables {a}, {b}"


SEEDS = st.integers(0, 2 ** 32 - 1)
COMPLEX_RTOL = 1e-15


@settings(max_examples=max(60, settings.default.max_examples))
@given(seed=SEEDS)
def test_random_programs_against_numpy(seed):
    check_program(program(seed))


# -- differentiable programs against finite differences ---------------------------------------------

SMOOTH = [("sin", lambda m, x: m.sin(x)), ("tanh", lambda m, x: m.tanh(x)),
          ("exp", lambda m, x: m.exp(0.3 * x)), ("square", lambda m, x: x * x),
          ("softplus", lambda m, x: m.log1p(m.exp(x))), ("affine", lambda m, x: 1.5 - 2.0 * x),
          ("divide", lambda m, x: x / (x * x + 1.0)), ("pow", lambda m, x: (x * x + 1.0) ** 1.5),
          ("sqrt", lambda m, x: m.sqrt(x * x + 0.5)), ("reverse", lambda m, x: x[::-1] * x),
          ("transpose", lambda m, x: (x.T * 2.0).T), ("cumsum", lambda m, x: m.cumsum(x, axis=-1)),
          ("mean-bcast", lambda m, x: x - m.mean(x, axis=-1, keepdims=True)),
          ("gather", lambda m, x: x[..., [1, 0, 2, 2]][..., :3] + x),
          ("maximum", lambda m, x: m.maximum(x, 0.25 * x)), ("where", lambda m, x: m.where(x > 0, x, 0.5 * x)),
          ("matmul", lambda m, x: x @ m.ones((3, 3)) * 0.1 + x)]


def _inplace_update(m, x, rng_choice):
    """An intermediate written in place (a functional update the tape records)."""
    y = x * 1.0
    if rng_choice == 0:
        y[..., 0] = 2.0
    elif rng_choice == 1:
        y[..., 1:] += x[..., :-1]
    else:
        y *= 0.5
    return y


def diff_program(seed):
    rng = random.Random(seed)
    chain = [rng.randrange(len(SMOOTH)) for _ in range(rng.randint(1, 4))]
    updates = [rng.choice([None, None, 0, 1, 2]) for _ in chain]
    shape = rng.choice([(3,), (2, 3)])

    def f(x):
        for c, u in zip(chain, updates):
            x = SMOOTH[c][1](nf, x)
            if u is not None:
                x = _inplace_update(nf, x, u)
        return nf.sum(x * x)
    x0 = onp.random.default_rng(seed % 2 ** 32).uniform(-1.5, 1.5, shape)
    return f, x0, [SMOOTH[c][0] for c in chain], updates


@settings(max_examples=max(25, settings.default.max_examples // 4))
@given(seed=SEEDS)
def test_random_differentiable_programs(seed):
    f, x0, names, updates = diff_program(seed)
    x = nf.asarray(x0)
    nf.testing.check_grads(f, (x,), order=1, modes=("fwd", "rev"))  # jvp and vjp
    g = nf.grad(f)(x)
    value, vjp_fn = nf.vjp(f, x)
    with nf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    for other in (vjp_fn(nf.ones_like(value))[0], tape.gradient(y, x)):
        onp.testing.assert_allclose(onp.asarray(other), onp.asarray(g), rtol=1e-12, atol=1e-12,
                                    err_msg=f"{names} {updates}")
    assert float(y) == float(value) == float(f(x))


# -- both builds, one semantics ------------------------------------------------------------------

def fingerprint(seeds):
    """Each program's outcome, exactly: every variable's dtype, shape and bytes (or repr), and
    each step's exception class."""
    out = []
    for seed in seeds:
        with onp.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env, errors = run(nf, program(seed))
        vals = []
        target = onp.asarray(env[env[-1][1]]) if env and type(env[-1]) is tuple else None
        for v in env:
            if isinstance(v, nf.ndarray):
                a = onp.asarray(v)
                undefined = target is not None and onp.shares_memory(a, target)  # (a failed write's)
                vals.append([str(a.dtype), list(a.shape), "undefined" if undefined else
                             repr(a.tolist()) if a.dtype.kind == "O" else
                             # (complex: to 14 digits, NumPy's own vary by an ulp, see check_program)
                             [f"{v:.13e}" for v in a.real.ravel().tolist() + a.imag.ravel().tolist()]
                             if a.dtype.kind == "c" else a.tobytes().hex()])
            else:
                vals.append(repr(v))
        out.append([vals, [type(e).__name__ if e is not None else None for e in errors]])
    return out


def test_pure_python_build_agrees_bit_for_bit():
    seeds = list(range(60))
    if nf._core.dispatch._fastpath is None:
        pytest.skip("this process runs the pure-Python build already (no C build to compare)")
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(os.path.abspath(nf.__file__)))  # the npflow under test
    child = subprocess.run(
        [sys.executable, "-c", "import json, sys, test_fuzz_programs as t; "
                               f"json.dump(t.fingerprint({seeds}), sys.stdout)"],
        cwd=here, env={**os.environ, "NPFLOW_PURE_PYTHON": "1",
                       "PYTHONPATH": os.pathsep.join([root, here])},
        capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    pure = json.loads(child.stdout)
    for seed, c, p in zip(seeds, fingerprint(seeds), pure):
        assert json.loads(json.dumps(c)) == p, f"seed {seed}: the builds differ: {program(seed)}"
