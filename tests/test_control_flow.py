"""Control flow (cond, switch, while_loop, fori_loop, scan, map): values against plain
Python loops on NumPy, gradients against finite differences, type errors, devices."""
import types

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow.autodiff.pytree import flatten
from npflow.testing import check_grads
from support import FLOATS, assert_same, hyp_arrays, make


def _ref_scan(f, init, xs=None, length=None, reverse=False):
    n = len(flatten(xs)[0][0]) if length is None else length
    c, ys = init, []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        c, y = f(c, _slice(xs, i))
        ys.append(y)
    return c, _stack(ys[::-1] if reverse else ys)


def _slice(t, i):
    if isinstance(t, dict):
        return {k: _slice(v, i) for k, v in t.items()}
    if isinstance(t, (tuple, list)):
        return type(t)(_slice(v, i) for v in t)
    return None if t is None else t[i]


def _stack(ys):
    y = ys[0]
    if isinstance(y, dict):
        return {k: _stack([v[k] for v in ys]) for k in y}
    if isinstance(y, (tuple, list)):
        return type(y)(_stack([v[j] for v in ys]) for j in range(len(y)))
    return onp.stack(ys)


def _ref_while(c, b, v):
    while c(v):
        v = b(v)
    return v


def _ref_fori(lo, hi, b, v):
    for i in range(lo, hi):
        v = b(i, v)
    return v


# the same programs run on npflow through npflow's forms and on NumPy through plain loops
REF = types.SimpleNamespace(
    cond=lambda p, t, f, *o: t(*o) if p else f(*o),
    switch=lambda i, bs, *o: bs[min(max(int(i), 0), len(bs) - 1)](*o),
    while_loop=_ref_while, fori_loop=_ref_fori, scan=_ref_scan,
    map=lambda f, xs: _ref_scan(lambda c, x: (c, f(x)), (), xs)[1])


def _euler(L, xp, x):
    return L.fori_loop(0, 20, lambda i, v: v + 0.05 * xp.sin(v), x)


def _cumulative(L, xp, x, reverse):
    return L.scan(lambda c, t: (c + t, {"prod": c * t, "sq": (t * t,)}), xp.zeros(x.shape[1:], x.dtype), x,
                  reverse=reverse)


PROGRAMS = {
    "cond_tree": lambda L, xp, x: L.cond(xp.sum(x) > 0, lambda t: {"s": t[0] + t[1], "p": (t[0] * t[1],)},
                                         lambda t: {"s": t[0] - t[1], "p": (-t[1],)}, (x, 2 * x)),
    "cond_int_pred": lambda L, xp, x: L.cond(x.size, lambda: x * 3, lambda: x),
    "switch": lambda L, xp, x: tuple(L.switch(i, [lambda a: a + 1, lambda a: a * a, lambda a: -a], x)
                                     for i in (-2, 0, 1, 2, 5)),
    "while_tree": lambda L, xp, x: L.while_loop(
        lambda c: c[0] < 7, lambda c: (c[0] + 1, {"acc": c[1]["acc"] + c[0] * c[1]["x"], "x": c[1]["x"] * 2}),
        (0, {"acc": xp.zeros_like(x), "x": x})),
    "while_data": lambda L, xp, x: L.while_loop(lambda c: xp.max(xp.abs(c[1])) < 100,
                                                lambda c: [c[0] + 1, c[1] * 3 - 1], [0, x]),
    "fori_euler": lambda L, xp, x: _euler(L, xp, x),
    "fori_tree": lambda L, xp, x: L.fori_loop(2, 6, lambda i, c: (c[0] * i, [c[1][0] + c[0]]), (x, [x])),
    "fori_empty": lambda L, xp, x: L.fori_loop(5, 2, lambda i, c: c * 0, x),
    "scan": lambda L, xp, x: _cumulative(L, xp, x, False),
    "scan_reverse": lambda L, xp, x: _cumulative(L, xp, x, True),
    "scan_tree_xs": lambda L, xp, x: L.scan(lambda c, t: ((c[0] + t["a"][0], c[1] * 2), t["b"] - c[0]),
                                            (x[0] * 0, 1), {"a": (x,), "b": x[::-1]}),
    "scan_length": lambda L, xp, x: L.scan(lambda c, t: (c * 2, (c, c + 1)), x, None, length=4),
    "map": lambda L, xp, x: L.map(lambda r: (xp.sum(r), {"r": r * r}), x),
    "map_tree": lambda L, xp, x: L.map(lambda t: t[0] * t[1], (x, x + 1)),
}
CASES = [(name, shape, dtype) for name in PROGRAMS
         for shape, dtype in [((3, 2), onp.float64), ((4,), onp.float32), ((2, 3), onp.int64)]
         if not (name == "fori_euler" and dtype == onp.int64)]


@pytest.mark.parametrize("name,shape,dtype", CASES)
def test_values_against_python_loops(name, shape, dtype):
    x = make(shape, dtype, seed=len(name))
    got = PROGRAMS[name](nf, nf, nf.asarray(x))
    want = PROGRAMS[name](REF, onp, x)
    g_leaves, g_tree = flatten(got)
    w_leaves, w_tree = flatten(want)
    assert g_tree == w_tree
    for g, w in zip(g_leaves, w_leaves):
        assert_same(g, w, rtol=1e-6 if onp.dtype(dtype) == onp.float32 else 1e-12)


@given(st.sampled_from(FLOATS).flatmap(lambda dt: hyp_arrays(dt, min_dims=1, elements=st.floats(-9, 9, width=32))),
       st.booleans())
def test_scan_is_cumsum(x, reverse):
    c, ys = nf.scan(lambda c, t: (c + t, c + t), nf.zeros(x.shape[1:], x.dtype), nf.asarray(x), reverse=reverse)
    want = onp.cumsum(x[::-1] if reverse else x, axis=0, dtype=x.dtype)
    assert_same(ys, want[::-1] if reverse else want, rtol=1e-5)
    assert_same(c, want[-1] if len(x) else onp.zeros(x.shape[1:], x.dtype), rtol=1e-5)


def test_empty_loops_return_init_and_scan_of_length_zero():
    x = nf.ones(3)
    assert nf.fori_loop(3, 3, lambda i, c: c + 1, x) is x
    assert nf.while_loop(lambda c: False, lambda c: c + 1, x) is x
    calls = []
    c, ys = nf.scan(lambda c, t: (calls.append(1) or c + t[0], {"y": t * c, "z": nf.sum(t) > 0}), x,
                    nf.ones((0, 3), dtype=nf.float32))
    assert c is x and len(calls) == 1  # f runs once on zeros to learn the ys' types, as JAX traces it
    assert_same(ys["y"], onp.ones((0, 3)))
    assert_same(ys["z"], onp.ones((0,), bool))
    assert_same(nf.map(lambda r: r[:2], nf.ones((0, 5), dtype=nf.int32)), onp.ones((0, 2), onp.int32))


def test_scalars_pred_index_and_weak_carries():
    assert nf.cond(nf.asarray(True), lambda: 1, lambda: 2) == 1
    assert nf.cond(nf.asarray(0, dtype=nf.uint8), lambda: 1, lambda: 2) == 2
    assert nf.switch(nf.asarray(1), [lambda: "a", lambda: "b"]) == "b"
    seen = []
    assert nf.fori_loop(nf.asarray(1), nf.asarray(4, dtype=nf.int32), lambda i, c: seen.append(i) or c + i, 0) == 6
    assert seen == [1, 2, 3] and all(type(i) is int for i in seen)  # i is a Python int (indexes anything)
    # a Python scalar carry is weakly typed (JAX): it takes the dtype of the array the body returns
    r = nf.fori_loop(0, 3, lambda i, c: c + nf.ones((), dtype=nf.float32), 0)
    assert r.dtype == nf.float32 and float(r) == 3.0
    assert nf.fori_loop(0, 3, lambda i, c: c + 0.5, 1) == 2.5
    # and a Python scalar returned for an array carry is cast to the carry's dtype
    r = nf.fori_loop(0, 2, lambda i, c: 2.0, nf.asarray(1.0, dtype=nf.float32))
    assert isinstance(r, nf.ndarray) and r.dtype == nf.float32 and float(r) == 2.0


# -- gradients ---------------------------------------------------------------------------
def _steps_until(x):
    return nf.while_loop(lambda c: nf.sum(c[1] ** 2) < 50.0,
                         lambda c: (c[0] + 1, c[1] * 1.3 + nf.sin(c[1])), (0, x))


GRAD_CASES = {
    "cond_true": (lambda x: nf.cond(nf.sum(x) > 0, lambda a: nf.sin(a) * a, nf.cos, x), ([0.3, 1.2],)),
    "cond_false": (lambda x: nf.cond(nf.sum(x) > 0, lambda a: nf.sin(a) * a, nf.cos, x), ([-0.3, 0.1],)),
    "cond_tree": (lambda x, y: nf.cond(True, lambda t: {"a": t[0] * t[1], "b": (nf.exp(t[1]),)},
                                       lambda t: t, (x, y)), ([0.3, 1.2], 0.7)),
    "switch_data_index": (lambda x: nf.switch(int(nf.sum(x)), [nf.sin, nf.cos, lambda a: a ** 3], x),
                          ([0.3, 1.2],)),
    "while_data_trips": (lambda x: _steps_until(x)[1], ([0.3, 1.2],)),
    "while_data_trips_other": (lambda x: _steps_until(x)[1], ([2.1, -1.7],)),
    "fori_simulation": (lambda x: nf.fori_loop(0, 40, lambda i, v: v + 0.05 * nf.sin(v), x), ([0.3, 2.5],)),
    "fori_tree": (lambda x, w: nf.fori_loop(0, 5, lambda i, c: {"h": nf.tanh(c["h"] * w + i), "s": c["s"] + c["h"]},
                                            {"h": x, "s": x * 0}), ([0.3, -0.5], 0.8)),
    "scan": (lambda x, w: nf.scan(lambda c, t: (nf.tanh(c * w + t), c ** 2), nf.zeros(2), x),
             ([[0.3, 1.2], [0.1, -0.4], [1.0, 2.0]], 0.7)),
    "scan_reverse_tree": (lambda x, w: nf.scan(lambda c, t: ((c[0] * t["a"], c[1] + w), {"y": c[0] * w}),
                                               (w, 0.0), {"a": x}, reverse=True), ([0.3, 1.2, -0.8], 0.7)),
    "scan_length": (lambda w: nf.scan(lambda c, _: (nf.sin(c) * w, c), w, None, length=4), (0.9,)),
    "map": (lambda x: nf.map(lambda r: (nf.sin(r) * nf.sum(r), nf.prod(r)), x), ([[0.3, 1.2], [0.1, -0.4]],)),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradients_against_finite_differences(name):
    f, args = GRAD_CASES[name]
    check_grads(f, tuple(nf.asarray(a) for a in args), order=2, modes=("fwd", "rev"))


def test_while_loop_trip_count_depends_on_data():
    assert _steps_until(nf.asarray([0.3, 1.2]))[0] != _steps_until(nf.asarray([2.1, -1.7]))[0]


def test_fori_simulation_gradient_is_the_product_of_step_derivatives():
    dt, x0 = 0.05, onp.array([0.3, 2.5])
    g = nf.grad(lambda x: nf.sum(nf.fori_loop(0, 40, lambda i, v: v + dt * nf.sin(v), x)))(nf.asarray(x0))
    v, d = x0.copy(), onp.ones(2)
    for _ in range(40):
        d, v = d * (1 + dt * onp.cos(v)), v + dt * onp.sin(v)
    onp.testing.assert_allclose(onp.asarray(g), d, rtol=1e-12)


# -- errors ------------------------------------------------------------------------------
f64, f32 = nf.zeros(3), nf.zeros(3, dtype=nf.float32)
_pair = lambda c, x: (c, x)  # noqa: E731


def _once():
    """A cond_fun that is true once (the loop ends even if a check is missing)."""
    it = iter([True])
    return lambda c: next(it, False)


ERRORS = [
    # loops: carry structure, shape, dtype, and the leaf named
    (lambda: nf.while_loop(lambda c: c[0] < 3, lambda c: [c[0] + 1, c[1]], (0, f64)), TypeError,
     r"while_loop: body_fun has structure \[\*, \*\], expected \(\*, \*\)"),
    (lambda: nf.while_loop(_once(), lambda c: {"a": c["a"], "b": c["a"]}, {"a": f64}), TypeError,
     r"while_loop: body_fun has structure"),
    (lambda: nf.while_loop(_once(), lambda c: (c[0], c[1][:2]), (0, f64)), TypeError,
     r"while_loop: body_fun gave float64\[2\] for init_val\[1\], expected float64\[3\]"),
    (lambda: nf.while_loop(_once(), lambda c: {"w": c["w"].astype(nf.float32)}, {"w": f64}), TypeError,
     r"while_loop: body_fun gave float32\[3\] for init_val\['w'\], expected float64\[3\]"),
    (lambda: nf.while_loop(lambda c: c, lambda c: c, ("text",)), TypeError,
     r"while_loop: init_val\[0\] must be an array, a scalar or None, got str"),
    (lambda: nf.while_loop(lambda c: 1, lambda c: c, 0), TypeError, r"while_loop: cond_fun's output must be boolean"),
    (lambda: nf.while_loop(lambda c: c > 0, lambda c: c, f64), TypeError,
     r"while_loop: cond_fun's output must be a scalar, got an array of shape \(3,\)"),
    (lambda: nf.fori_loop(0, 2, lambda i, c: (c,), f64), TypeError, r"fori_loop: body_fun has structure \(\*,\)"),
    (lambda: nf.fori_loop(0, 2, lambda i, c: nf.stack([c, c]), f64), TypeError,
     r"fori_loop: body_fun gave float64\[2,3\] for init_val, expected float64\[3\]"),
    (lambda: nf.fori_loop(0, 2, lambda i, c: [c[0] * 1.0], [nf.arange(3)]), TypeError,
     r"fori_loop: body_fun gave float64\[3\] for init_val\[0\], expected int64\[3\]"),
    (lambda: nf.fori_loop(0, 2, lambda i, c: 0.5, nf.asarray(1)), TypeError,
     r"fori_loop: body_fun gave float64\[\] \(a Python float\) for init_val, expected int64\[\]"),
    (lambda: nf.fori_loop(0, 2, lambda i, c: i, 1.5), TypeError,
     r"fori_loop: body_fun gave int64\[\] \(a Python int\) for init_val, expected float64\[\] \(a Python float\)"),
    (lambda: nf.fori_loop(0.0, 2, lambda i, c: c, f64), TypeError, r"fori_loop: lower must be integer, got float"),
    (lambda: nf.fori_loop(0, nf.asarray([2]), lambda i, c: c, f64), TypeError,
     r"fori_loop: upper must be a scalar, got an array of shape \(1,\)"),
    (lambda: nf.scan(lambda c, x: ((c,), x), f64, nf.ones(2)), TypeError, r"scan: f's carry output has structure"),
    (lambda: nf.scan(lambda c, x: (c.astype(nf.float32), x), f64, nf.ones(2)), TypeError,
     r"scan: f's carry output gave float32\[3\] for init, expected float64\[3\]"),
    (lambda: nf.scan(lambda c, x: (c[1:], x), f64, nf.ones(2)), TypeError,
     r"scan: f's carry output gave float64\[2\] for init, expected float64\[3\]"),
    # scan: ys must keep the first y's type; f must return a pair; xs lengths
    (lambda: nf.scan(lambda c, x: (c, x if x < 1 else x.astype(nf.float32)), 0.0, nf.arange(3.0)), TypeError,
     r"scan: f's y output gave float32\[\] for y, expected float64\[\] \(each y has the first y's"),
    (lambda: nf.scan(lambda c, x: (c, f64[: int(x) + 1]), 0.0, nf.arange(3.0)), TypeError,
     r"scan: f's y output gave float64\[2\] for y, expected float64\[1\]"),
    (lambda: nf.scan(lambda c, x: (c, (x,) * (int(x) + 1)), 0.0, nf.arange(3.0)), TypeError,
     r"scan: f's y output has structure \(\*, \*\), expected \(\*,\)"),
    (lambda: nf.scan(lambda c, x: c, 0.0, nf.arange(3.0)), TypeError, r"scan: f must return a pair \(carry, y\)"),
    (lambda: nf.scan(_pair, 0.0, (nf.ones(3), {"b": nf.ones(4)})), ValueError,
     r"scan: xs have different leading axis sizes: 3 \(xs\[0\]\), 4 \(xs\[1\]\['b'\]\)"),
    (lambda: nf.scan(_pair, 0.0, nf.ones(3), length=4), ValueError, r"scan: length=4 disagrees"),
    (lambda: nf.scan(_pair, 0.0, None), ValueError, r"scan: no xs to scan over and length not given"),
    (lambda: nf.scan(_pair, 0.0, [nf.ones(2), nf.asarray(1.0)]), ValueError,
     r"scan: xs\[1\] has no leading axis to scan over"),
    (lambda: nf.map(lambda r: r[: int(r[0]) + 1], nf.asarray([[0, 1], [1, 1]])), TypeError,
     r"map: f's y output gave int64\[2\] for y, expected int64\[1\]"),
    # cond / switch: pred and index
    (lambda: nf.cond(nf.asarray([True]), lambda: 1, lambda: 2), TypeError,
     r"cond: pred must be a scalar, got an array of shape \(1,\)"),
    (lambda: nf.cond(nf.ones((2, 2)) > 0, lambda: 1, lambda: 2), TypeError, r"cond: pred must be a scalar"),
    (lambda: nf.cond(nf.asarray(1.0), lambda: 1, lambda: 2), TypeError,
     r"cond: pred must be boolean or integer, got float64"),
    (lambda: nf.cond(True, 1, lambda: 2), TypeError, r"cond: branches must be callable, got int"),
    (lambda: nf.switch(1.0, [lambda: 1]), TypeError, r"switch: index must be integer, got float"),
    (lambda: nf.switch(True, [lambda: 1]), TypeError, r"switch: index must be integer, got bool"),
    (lambda: nf.switch(nf.arange(2), [lambda: 1]), TypeError, r"switch: index must be a scalar"),
    (lambda: nf.switch(0, []), ValueError, r"switch: branches must be a non-empty sequence"),
]


@pytest.mark.parametrize("call,exc,match", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_name_the_function_and_the_mismatch(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- devices -----------------------------------------------------------------------------
def test_forms_keep_results_on_the_device():
    x = nf.asarray([0.3, 1.2, -0.5], device="sim")
    results = [
        nf.cond(nf.sum(x) > 0, nf.sin, nf.cos, x),
        nf.switch(nf.argmax(x), [nf.sin, nf.cos, nf.exp], x),
        nf.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2), (0, x))[1],
        nf.fori_loop(0, 3, lambda i, v: v + 0.1 * nf.sin(v), x),
        nf.fori_loop(0, 2, lambda i, v: 2.0, x[0]),  # a Python scalar cast onto the carry's device
        *nf.scan(lambda c, t: (c + t, c * t), x[0] * 0, x, reverse=True),
        nf.scan(lambda c, _: (c * 2, c), x, None, length=2)[1],
        nf.scan(lambda c, t: (c, t), 0.0, nf.ones((0, 2), device="sim"))[1],
        nf.map(lambda r: r * r, x),
        nf.grad(lambda v: nf.sum(nf.fori_loop(0, 3, lambda i, u: u * nf.sin(u), v)))(x),
        nf.grad(lambda v: nf.sum(nf.scan(lambda c, t: (c * t, c), 1.0, v)[1]))(x),
    ]
    assert all(r.device == x.device for r in results), [r.device for r in results]
