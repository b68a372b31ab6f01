"""The functional transforms (grad, vjp, jvp, jacobians, hessian, custom rules, checkpoint)
against analytic derivatives; nesting, pytrees, errors, memory and threads."""
import functools
import gc
import resource
import sys
import threading
import tracemalloc

import numpy as onp
import pytest

import npflow as np
from support import run_in_threads
from npflow._core import dispatch
from npflow._core.registry import REGISTRY
from npflow.autodiff import AutodiffError
from npflow.testing import check_grads


def close(got, want, rtol=1e-10, atol=1e-12):
    assert isinstance(got, np.ndarray), f"expected an npflow array, got {type(got).__name__}"
    onp.testing.assert_allclose(onp.asarray(got), onp.asarray(want), rtol=rtol, atol=atol)


def tree_close(got, want):
    """Same nested structure (types, dict keys), leaves close."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert got.keys() == want.keys()
        for k in want:
            tree_close(got[k], want[k])
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            tree_close(g, w)
    else:
        close(got, want)


# -- Rosenbrock: gradient and hessian against the analytic formulas ---------------------------

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = onp.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosen_hess(x):
    n = len(x)
    h = onp.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i, i + 1] = h[i + 1, i] = -400.0 * x[i]
        h[i + 1, i + 1] += 200.0
    return h


X0 = onp.array([1.3, 0.7, 0.8, 1.9, 1.2, -0.5])

ROSEN_GRADIENTS = {
    "grad": lambda x: np.grad(rosen)(x),
    "value_and_grad": lambda x: np.value_and_grad(rosen)(x)[1],
    "jacrev": lambda x: np.jacrev(rosen)(x),
    "jacfwd": lambda x: np.jacfwd(rosen)(x),
    "vjp": lambda x: np.vjp(rosen, x)[1](np.asarray(1.0))[0],
    "elementwise_grad": lambda x: np.elementwise_grad(rosen)(x),
}
ROSEN_HESSIANS = {
    "hessian": lambda x: np.hessian(rosen)(x),
    "jacfwd(jacrev)": lambda x: np.jacfwd(np.jacrev(rosen))(x),
    "jacrev(jacrev)": lambda x: np.jacrev(np.jacrev(rosen))(x),
    "jacfwd(grad)": lambda x: np.jacfwd(np.grad(rosen))(x),
    "jacrev(grad)": lambda x: np.jacrev(np.grad(rosen))(x),
}


@pytest.mark.parametrize("how", list(ROSEN_GRADIENTS))
def test_rosenbrock_gradient(how):
    close(ROSEN_GRADIENTS[how](np.asarray(X0)), rosen_grad(X0))


@pytest.mark.parametrize("how", list(ROSEN_HESSIANS))
def test_rosenbrock_hessian(how):
    close(ROSEN_HESSIANS[how](np.asarray(X0)), rosen_hess(X0))


def test_rosenbrock_hessian_vector_products():
    """jvp of grad (forward over reverse) and vjp of grad (reverse over reverse) are H @ v."""
    x, v = np.asarray(X0), onp.linspace(-1.0, 1.0, X0.size)
    want = rosen_hess(X0) @ v
    close(np.jvp(np.grad(rosen), (x,), (np.asarray(v),))[1], want)
    close(np.vjp(np.grad(rosen), x)[1](np.asarray(v))[0], want)
    close(np.linearize(np.grad(rosen), x)[1](np.asarray(v)), want)
    close(np.hessian(rosen)(x) @ np.asarray(v), want)


# -- perturbation confusion --------------------------------------------------------------------
# d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (a confused implementation gives 2)

def _inner_grad(x):
    return x * np.grad(lambda y: x + y)(np.asarray(2.0))


def _inner_jvp(x):
    return x * np.jvp(lambda y: x + y, (np.asarray(2.0),), (np.asarray(1.0),))[1]


def _inner_tape(x):
    y = np.asarray(2.0)
    with np.GradientTape() as tape:
        tape.watch(y)
        z = x + y
    return x * tape.gradient(z, y)


def _outer_grad(f, x):
    return np.grad(f)(x)


def _outer_jvp(f, x):
    return np.jvp(f, (x,), (np.ones_like(x),))[1]


def _outer_tape(f, x):
    with np.GradientTape() as tape:
        tape.watch(x)
        out = f(x)
    return tape.gradient(out, x)


INNER = {"grad": _inner_grad, "jvp": _inner_jvp, "tape": _inner_tape}
OUTER = {"grad": _outer_grad, "jvp": _outer_jvp, "tape": _outer_tape}


@pytest.mark.parametrize("inner", list(INNER))
@pytest.mark.parametrize("outer", list(OUTER))
def test_no_perturbation_confusion(outer, inner):
    close(OUTER[outer](INNER[inner], np.asarray(1.0)), 1.0)


@pytest.mark.parametrize("outer", list(OUTER))
def test_nested_derivative_depending_on_the_outer_variable(outer):
    """d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x: the inner derivative is a function of x."""
    f = lambda x: x * np.grad(lambda y: x * y)(np.asarray(2.0))
    close(OUTER[outer](f, np.asarray(3.0)), 6.0)


# -- has_aux -----------------------------------------------------------------------------------

X3 = onp.array([1.0, -2.0, 0.5])


def _with_aux(x):
    return np.sum(x ** 3), {"twice": 2 * x, "label": "cubes"}


def test_has_aux_grad_and_value_and_grad():
    x = np.asarray(X3)
    g, aux = np.grad(_with_aux, has_aux=True)(x)
    close(g, 3 * X3 ** 2)
    close(aux["twice"], 2 * X3)
    assert aux["label"] == "cubes"
    (value, aux2), g2 = np.value_and_grad(_with_aux, has_aux=True)(x)
    close(value, onp.sum(X3 ** 3))
    close(g2, 3 * X3 ** 2)
    close(aux2["twice"], 2 * X3)


def test_has_aux_vjp_and_jvp():
    x = np.asarray(X3)
    out, f, aux = np.vjp(lambda x: (np.sin(x), [x + 1]), x, has_aux=True)
    close(out, onp.sin(X3))
    close(f(np.asarray([1.0, 2.0, 3.0]))[0], onp.cos(X3) * [1.0, 2.0, 3.0])
    close(aux[0], X3 + 1)
    out, t, aux = np.jvp(lambda x: (np.exp(x), x * 3), (x,), (np.asarray([1.0, 0.0, 2.0]),), has_aux=True)
    close(out, onp.exp(X3))
    close(t, onp.exp(X3) * [1.0, 0.0, 2.0])
    close(aux, 3 * X3)


def test_aux_is_not_differentiated_further():
    """aux is returned as a value: a gradient of it inside an outer grad is still right."""
    def outer(x):
        g, aux = np.grad(lambda y: (np.sum(y * x), y * x), has_aux=True)(np.asarray([1.0, 1.0]))
        return np.sum(g) + np.sum(aux)
    close(np.grad(outer)(np.asarray([2.0, 3.0])), [2.0, 2.0])


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match="has_aux"):
        np.grad(lambda x: np.sum(x), has_aux=True)(np.asarray([1.0, 2.0]))


# -- pytrees in and out -------------------------------------------------------------------------

def _tree_fn(p):
    a, (b, c) = p["ab"][0], p["ab"][1]
    return np.sum(a * b) + np.sum(c["w"] ** 2) + p["s"] * 3.0


def test_grad_of_a_nested_argument_has_its_structure():
    a, b, w = onp.array([1.0, 2.0]), onp.array([3.0, -1.0]), onp.array([0.5, -2.0])
    p = {"ab": (np.asarray(a), [np.asarray(b), {"w": np.asarray(w)}]), "s": 2.0}
    g = np.grad(_tree_fn)(p)
    tree_close(g, {"ab": (np.asarray(b), [np.asarray(a), {"w": np.asarray(2 * w)}]), "s": np.asarray(3.0)})


def test_vjp_with_nested_arguments_results_and_cotangents():
    x = onp.array([1.0, 2.0, 3.0])

    def f(a, bs):
        return {"p": a * bs[0], "q": [a, (bs[1] ** 2,)]}
    out, f_vjp = np.vjp(f, np.asarray(x), (np.asarray(x[::-1].copy()), 2.0))
    tree_close(out, {"p": np.asarray(x * x[::-1]), "q": [np.asarray(x), (np.asarray(4.0),)]})
    u, v = onp.array([1.0, -1.0, 2.0]), onp.array([0.5, 0.5, 0.5])
    ct = f_vjp({"p": np.asarray(u), "q": [np.asarray(v), (np.asarray(3.0),)]})
    tree_close(ct, (np.asarray(u * x[::-1] + v), (np.asarray(u * x), np.asarray(12.0))))
    with pytest.raises(ValueError):
        f_vjp({"p": np.asarray(u), "q": [np.asarray(v)]})  # a leaf missing


def test_jvp_with_nested_primals_tangents_and_results():
    x = onp.array([1.0, 2.0, 3.0])
    out, t = np.jvp(lambda d: {"y": d["a"] * d["b"], "z": (np.sin(d["a"]),)},
                    ({"a": np.asarray(x), "b": 2.0},), ({"a": np.asarray([1.0, 0.0, -1.0]), "b": 0.5},))
    tree_close(out, {"y": np.asarray(2 * x), "z": (np.asarray(onp.sin(x)),)})
    tree_close(t, {"y": np.asarray(2 * onp.array([1.0, 0.0, -1.0]) + 0.5 * x),
                   "z": (np.asarray(onp.cos(x) * [1.0, 0.0, -1.0]),)})
    with pytest.raises(ValueError):
        np.jvp(lambda d: d["a"], ({"a": np.asarray(x)},), ({"a": np.asarray([1.0, 2.0])},))


@pytest.mark.parametrize("jac", [np.jacrev, np.jacfwd])
def test_jacobians_of_pytrees(jac):
    x = onp.array([1.0, 2.0, 3.0])
    got = jac(lambda d: {"y": d["a"] * d["b"], "z": np.sum(d["a"])})({"a": np.asarray(x), "b": 2.0})
    tree_close(got, {"y": {"a": np.asarray(2 * onp.eye(3)), "b": np.asarray(x)},
                     "z": {"a": np.asarray(onp.ones(3)), "b": np.asarray(0.0)}})


def test_hessian_of_a_pytree_argument():
    h = np.hessian(lambda p: p[0] ** 2 * p[1])((np.asarray(3.0), np.asarray(5.0)))
    tree_close(h, ((np.asarray(10.0), np.asarray(6.0)), (np.asarray(6.0), np.asarray(0.0))))


# -- argnums -----------------------------------------------------------------------------------

def _abc(a, b, c):
    return np.sum(a * b ** 2 * np.sin(c))


A, B, C = onp.array([1.0, 2.0]), onp.array([0.5, -1.5]), onp.array([0.3, 1.2])


@pytest.mark.parametrize("argnums, want", [
    (0, B ** 2 * onp.sin(C)),
    (1, 2 * A * B * onp.sin(C)),
    (-1, A * B ** 2 * onp.cos(C)),
    ((0, 2), (B ** 2 * onp.sin(C), A * B ** 2 * onp.cos(C))),
    ((1,), (2 * A * B * onp.sin(C),)),
])
def test_argnums(argnums, want):
    args = (np.asarray(A), np.asarray(B), np.asarray(C))
    for g in (np.grad(_abc, argnums=argnums)(*args), np.value_and_grad(_abc, argnums=argnums)(*args)[1],
              np.jacrev(_abc, argnums=argnums)(*args), np.jacfwd(_abc, argnums=argnums)(*args)):
        if isinstance(want, tuple):
            assert isinstance(g, tuple) and len(g) == len(want)
            for gi, wi in zip(g, want):
                close(gi, wi)
        else:
            close(g, want)


# -- argument checks: a wrong type is a TypeError, a wrong value a ValueError, naming the function --

_V2 = np.asarray([1.0, 2.0])
_BAD_ARGUMENTS = [  # (id, call, exception, message)
    ("grad_argnums_str", lambda: np.grad(np.sum, argnums="a")(_V2), TypeError, r"grad\(\): argnums must be an int"),
    ("grad_argnums_float", lambda: np.grad(np.sum, argnums=0.0)(_V2), TypeError, r"grad\(\): argnums"),
    ("grad_argnums_bool", lambda: np.grad(np.sum, argnums=True)(_V2), TypeError, r"grad\(\): argnums"),
    ("grad_argnums_tuple_of_str", lambda: np.grad(np.sum, argnums=(0, "b"))(_V2), TypeError, "argnums"),
    ("grad_argnums_out_of_range", lambda: np.grad(np.sum, argnums=1)(_V2), ValueError, "out of range"),
    ("grad_not_callable", lambda: np.grad(3), TypeError, r"grad\(\): expected a function"),
    ("grad_has_aux_str", lambda: np.grad(np.sum, has_aux="yes"), TypeError, r"grad\(\): has_aux must be"),
    ("grad_holomorphic_none", lambda: np.grad(np.sum, holomorphic=None), TypeError, "holomorphic must be"),
    ("value_and_grad_argnums", lambda: np.value_and_grad(np.sum, argnums=[None]), TypeError,
     r"value_and_grad\(\): argnums"),
    ("jacrev_argnums", lambda: np.jacrev(np.sin, argnums="0"), TypeError, r"jacrev\(\): argnums"),
    ("jacfwd_has_aux", lambda: np.jacfwd(np.sin, has_aux=1), TypeError, r"jacfwd\(\): has_aux"),
    ("hessian_holomorphic", lambda: np.hessian(np.sum, holomorphic="no"), TypeError, r"hessian\(\): holomorphic"),
    ("elementwise_grad_argnum", lambda: np.elementwise_grad(np.sin, argnum="x"), TypeError,
     r"elementwise_grad\(\): argnum must be"),
    ("vjp_not_callable", lambda: np.vjp("sin", _V2), TypeError, r"vjp\(\): expected a function"),
    ("vjp_has_aux_not_a_pair", lambda: np.vjp(np.sin, _V2, has_aux=True), TypeError, r"vjp\(has_aux=True\)"),
    ("vjp_cotangent_int", lambda: np.vjp(np.sin, _V2)[1](np.asarray([1, 1])), TypeError,
     r"vjp_fn\(\): cotangent dtype int64 does not match the output's float64"),
    ("vjp_cotangent_shape", lambda: np.vjp(np.sin, _V2)[1](np.ones(3)), ValueError, "cotangent shape"),
    ("vjp_cotangent_structure", lambda: np.vjp(np.sin, _V2)[1]((np.ones(2),)), ValueError, "structure"),
    ("vjp_cotangent_str", lambda: np.vjp(np.sin, _V2)[1]("ab"), TypeError, "must be an array or a number"),
    ("jvp_tangent_int", lambda: np.jvp(np.sin, (_V2,), (np.asarray([1, 1]),)), TypeError,
     r"jvp\(\): tangent dtype int64 does not match the primal's float64"),
    ("jvp_tangent_float32", lambda: np.jvp(np.sin, (_V2,), (np.ones(2, dtype=np.float32),)), TypeError,
     "tangent dtype float32"),
    ("jvp_tangent_python_int", lambda: np.jvp(np.sin, (np.asarray(1.0),), (1,)), TypeError, "tangent dtype int64"),
    ("jvp_tangent_complex_for_real", lambda: np.jvp(np.sin, (np.asarray(1.0),), (1j,)), TypeError, "complex128"),
    ("jvp_tangent_shape", lambda: np.jvp(np.sin, (_V2,), (np.ones(3),)), ValueError, "tangent shape"),
    ("jvp_tangent_structure", lambda: np.jvp(np.sin, (_V2,), ({"a": _V2},)), ValueError,
     "does not have the structure"),
    ("jvp_tangent_none", lambda: np.jvp(np.sin, (_V2,), (None,)), TypeError, "must be an array or a number"),
    ("jvp_primals_not_a_tuple", lambda: np.jvp(np.sin, _V2, _V2), TypeError, "tuples or lists"),
    ("jvp_count", lambda: np.jvp(np.sin, (_V2,), (_V2, _V2)), ValueError, "1 primals but 2 tangents"),
    ("jvp_has_aux", lambda: np.jvp(np.sin, (_V2,), (_V2,), has_aux="x"), TypeError, r"jvp\(\): has_aux"),
    ("linearize_tangent_int", lambda: np.linearize(np.sin, _V2)[1](np.asarray([1, 0])), TypeError,
     "tangent dtype int64"),
    ("linearize_not_callable", lambda: np.linearize(None, _V2), TypeError, r"linearize\(\): expected a function"),
    ("checkpoint_not_callable", lambda: np.checkpoint(1.5), TypeError, r"checkpoint\(\): expected a function"),
    ("custom_vjp_nondiff_argnums", lambda: np.custom_vjp(np.sin, nondiff_argnums="x"), TypeError,
     r"custom_vjp\(\): nondiff_argnums"),
    ("custom_jvp_not_callable", lambda: np.custom_jvp([]), TypeError, r"custom_jvp\(\): expected a function"),
]


@pytest.mark.parametrize("call, exc, message", [c[1:] for c in _BAD_ARGUMENTS], ids=[c[0] for c in _BAD_ARGUMENTS])
def test_bad_arguments_to_the_transforms_raise_naming_them(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_weak_python_scalars_are_tangents_and_cotangents_of_any_float():
    x32 = np.asarray([1.0, 2.0], dtype=np.float32)
    close(np.jvp(lambda a: np.sum(a), (x32,), (np.ones(2, dtype=np.float32),))[1], 2.0)
    close(np.jvp(lambda a: a * 2.0, (np.asarray(1.0, dtype=np.float32),), (1.0,))[1], 2.0)
    close(np.vjp(np.sum, x32)[1](1.0)[0], [1.0, 1.0])
    close(np.jvp(lambda z: z * 2.0, (np.asarray(1j),), (1.0,))[1], 2.0)


def test_hessian_with_argnums():
    h = np.hessian(_abc, argnums=1)(np.asarray(A), np.asarray(B), np.asarray(C))
    close(h, onp.diag(2 * A * onp.sin(C)))


def test_keyword_arguments_are_not_differentiated():
    close(np.grad(lambda x, k=1.0: np.sum(x * k))(np.asarray(A), k=3.0), [3.0, 3.0])


# -- custom_vjp / custom_jvp: a numerically stable log1pexp ---------------------------------------

@np.custom_vjp
def log1pexp_vjp(x):
    return np.logaddexp(0.0, x)


def _fwd(x):
    return log1pexp_vjp(x), x


def _bwd(x, g):
    return (g / (1 + np.exp(-x)),)  # sigmoid: 1.0 at x=1000, where the naive rule gives inf/inf


log1pexp_vjp.defvjp(_fwd, _bwd)


@np.custom_jvp
def log1pexp_jvp(x):
    return np.log1p(np.exp(x))


@log1pexp_jvp.defjvp
def _log1pexp_jvp_rule(primals, tangents):
    x, = primals
    t, = tangents
    return log1pexp_jvp(x), t / (1 + np.exp(-x))


def test_naive_log1pexp_gradient_is_nan_at_1000():
    """The reason for the custom rules below."""
    assert onp.isnan(float(np.grad(lambda x: np.log1p(np.exp(x)))(np.asarray(1000.0))))


@pytest.mark.parametrize("f", [log1pexp_vjp, log1pexp_jvp], ids=["custom_vjp", "custom_jvp"])
def test_custom_rule_gives_a_stable_gradient(f):
    close(np.grad(f)(np.asarray(1000.0)), 1.0)
    close(np.grad(f)(np.asarray(0.0)), 0.5)
    close(np.grad(lambda x: np.sum(f(x)))(np.asarray([-3.0, 0.0, 1000.0])),
          [1 / (1 + onp.exp(3.0)), 0.5, 1.0])
    close(f(np.asarray(1.0)), onp.log1p(onp.e))  # the value itself is the function's


@pytest.mark.parametrize("f", [log1pexp_vjp, log1pexp_jvp], ids=["custom_vjp", "custom_jvp"])
def test_custom_rules_are_differentiable_again(f):
    """The rules are written in npflow ops: their own derivative is the sigmoid's."""
    close(np.grad(np.grad(f))(np.asarray(0.0)), 0.25)
    close(np.grad(np.grad(f))(np.asarray(2.0)), onp.exp(-2.0) / (1 + onp.exp(-2.0)) ** 2)


@pytest.mark.parametrize("f", [log1pexp_vjp, log1pexp_jvp], ids=["custom_vjp", "custom_jvp"])
def test_custom_rule_is_used_by_every_level_of_nesting(f):
    """The value from an inner value_and_grad is differentiated by the outer grad with the rule
    too (the naive rule would give nan at 1000)."""
    both = lambda x: (lambda vg: vg[0] + vg[1])(np.value_and_grad(f)(x))
    close(np.grad(both)(np.asarray(1000.0)), 1.0)
    with np.GradientTape() as tape:
        x = np.asarray(1000.0)
        tape.watch(x)
        y = f(x)
    close(tape.gradient(y, x), 1.0)


def test_custom_rules_with_pytree_arguments():
    @np.custom_vjp
    def wsum(p):
        return np.sum(p["w"] * p["x"][0])
    wsum.defvjp(lambda p: (wsum(p), p), lambda p, g: ({"w": g * p["x"][0] * 2.0, "x": (g * p["w"],)},))
    p = {"w": np.asarray([1.0, 2.0]), "x": (np.asarray([3.0, 4.0]),)}
    g = np.grad(wsum)(p)
    close(g["w"], [6.0, 8.0])  # the rule's (deliberately doubled) cotangent
    close(g["x"][0], [1.0, 2.0])

    @np.custom_jvp
    def prod(a, bs):
        return a * bs[0]

    @prod.defjvp
    def _(primals, tangents):
        a, bs = primals
        ta, tbs = tangents
        return prod(a, bs), 3.0 * (ta * bs[0] + a * tbs[0])  # x3: the rule runs
    a, bs = np.asarray(2.0), [np.asarray(5.0)]
    close(np.jvp(prod, (a, bs), (np.asarray(1.0), [np.asarray(0.0)]))[1], 15.0)
    ga, gbs = np.grad(prod, argnums=(0, 1))(a, bs)
    close(ga, 15.0)
    close(gbs[0], 6.0)


def test_custom_jvp_in_forward_mode():
    out, t = np.jvp(log1pexp_jvp, (np.asarray(1000.0),), (np.asarray(2.0),))
    close(t, 2.0)
    out, t = np.jvp(log1pexp_jvp, (np.asarray(0.0),), (np.asarray(3.0),))
    close(out, onp.log(2.0))
    close(t, 1.5)
    close(np.jacfwd(log1pexp_jvp)(np.asarray([0.0, 1000.0])), onp.diag([0.5, 1.0]))


def test_custom_rule_is_used_not_the_function():
    """A deliberately different rule shows it is the rule that runs."""
    f = np.custom_vjp(lambda x: x * 1.0)
    f.defvjp(lambda x: (x * 1.0, None), lambda res, g: (g * 7.0,))
    close(np.grad(lambda x: np.sum(f(x)))(np.asarray([1.0, 2.0])), [7.0, 7.0])
    h = np.custom_jvp(lambda x: x * 1.0)
    h.defjvp(lambda p, t: (h(p[0]), 5.0 * t[0]))
    close(np.jvp(h, (np.asarray(1.0),), (np.asarray(1.0),))[1], 5.0)
    close(np.grad(h)(np.asarray(1.0)), 5.0)  # reverse mode transposes the jvp rule


def test_custom_jvp_tangent_structure_must_match_its_output():
    """A rule whose tangent output has fewer or more leaves than its primal output is an error in
    both modes (zipped, the extra output would silently get no gradient)."""
    two = np.custom_jvp(lambda x: [x * 2.0, x * 3.0])
    two.defjvp(lambda p, t: ([p[0] * 2.0, p[0] * 3.0], [t[0] * 2.0]))
    x = np.asarray([1.0, 2.0])
    for transform in (lambda: np.jvp(two, (x,), (np.ones(2),)),
                      lambda: np.grad(lambda x: np.sum(two(x)[1]))(x),
                      lambda: np.vjp(two, x)[1]([np.ones(2), np.ones(2)])):
        with pytest.raises(TypeError, match="custom_jvp .*2 leaves|custom_jvp .*1 leaves"):
            transform()


def test_custom_vjp_in_forward_mode_raises():
    with pytest.raises(TypeError, match="custom_vjp"):
        np.jvp(log1pexp_vjp, (np.asarray(1.0),), (np.asarray(1.0),))


def test_custom_vjp_with_nondiff_argnums():
    @functools.partial(np.custom_vjp, nondiff_argnums=(0,))
    def scale(k, x):
        return k * x
    scale.defvjp(lambda k, x: (scale(k, x), None), lambda k, res, g: (k * g * 2.0,))  # x2: the rule runs
    close(np.grad(lambda x: np.sum(scale(3.0, x)))(np.asarray([1.0, 2.0])), [6.0, 6.0])


def test_custom_jvp_with_nondiff_argnums_both_modes():
    @functools.partial(np.custom_jvp, nondiff_argnums=(0,))
    def power(n, x):
        return x ** n

    @power.defjvp
    def _(n, primals, tangents):
        x, = primals
        return power(n, x), n * x ** (n - 1) * tangents[0]
    x = np.asarray([1.0, 2.0])
    close(np.jvp(lambda x: power(3, x), (x,), (np.asarray([1.0, 1.0]),))[1], [3.0, 12.0])
    close(np.grad(lambda x: np.sum(power(3, x)))(x), [3.0, 12.0])
    close(np.grad(np.grad(lambda x: power(3, x)))(np.asarray(2.0)), 12.0)


# -- checkpoint, stop_gradient ---------------------------------------------------------------------

def test_checkpoint_gives_the_same_gradient_and_recomputes():
    calls = []

    def block(x):
        calls.append(1)
        return np.sin(x) * np.cos(2.0 * x)
    x = np.asarray([0.3, -1.1, 2.0])
    plain = np.grad(lambda x: np.sum(block(x) ** 2))(x)
    assert len(calls) == 1
    del calls[:]
    remat = np.grad(lambda x: np.sum(np.checkpoint(block)(x) ** 2))(x)
    assert len(calls) == 2  # once forward, once again in the backward pass
    close(remat, plain)
    del calls[:]
    close(np.checkpoint(block)(x), onp.sin(onp.asarray(x)) * onp.cos(2.0 * onp.asarray(x)))
    assert len(calls) == 1  # no trace: no recomputation


def test_checkpoint_higher_order_and_several_arguments():
    f = lambda x, y: np.sum(np.exp(x) * y ** 2)
    g = lambda x: np.checkpoint(f)(x, np.asarray([2.0, 3.0]))
    x = np.asarray([0.1, 0.2])
    close(np.grad(g)(x), onp.exp([0.1, 0.2]) * [4.0, 9.0])
    close(np.hessian(g)(x), onp.diag(onp.exp([0.1, 0.2]) * [4.0, 9.0]))
    close(np.grad(lambda y: np.checkpoint(f)(x, y))(np.asarray([2.0, 3.0])),
          2 * onp.exp([0.1, 0.2]) * [2.0, 3.0])


def test_stop_gradient():
    x = np.asarray([1.0, 2.0, 3.0])
    close(np.grad(lambda x: np.sum(x * np.stop_gradient(x)))(x), [1.0, 2.0, 3.0])
    close(np.jvp(lambda x: x * np.stop_gradient(x), (x,), (np.ones(3),))[1], [1.0, 2.0, 3.0])
    close(np.grad(lambda x: np.sum(np.stop_gradient(x ** 2)))(x), [0.0, 0.0, 0.0])
    tree = np.stop_gradient({"a": x, "b": [x, 2.0]})
    assert tree["b"][1] == 2.0 and isinstance(tree["a"], np.ndarray)
    close(np.grad(lambda x: np.sum(np.stop_gradient({"a": x})["a"] * x))(x), [1.0, 2.0, 3.0])
    with np.GradientTape() as tape:
        tape.watch(x)
        y = np.sum(np.stop_gradient(x) * x)
    close(tape.gradient(y, x), [1.0, 2.0, 3.0])


# -- integer and boolean arguments -----------------------------------------------------------------

INT_ARGS = [np.asarray(3), np.asarray([1, 2], dtype=np.int32), np.asarray(True),
            np.asarray([True, False]), 3, (np.asarray(1.0), np.asarray(2))]


@pytest.mark.parametrize("arg", INT_ARGS, ids=["int0d", "int32", "bool0d", "bool", "pyint", "tree"])
def test_grad_of_an_integer_or_boolean_argument_raises_type_error(arg):
    f = lambda x: np.sum(np.asarray(x[0] if isinstance(x, tuple) else x) * 1.0)
    for transform in (lambda: np.grad(f)(arg), lambda: np.value_and_grad(f)(arg),
                      lambda: np.vjp(f, arg), lambda: np.jacrev(f)(arg),
                      lambda: np.jvp(f, (arg,), (arg,))):
        with pytest.raises(TypeError, match="integer and boolean"):
            transform()


def test_integer_argument_not_differentiated_is_fine():
    close(np.grad(lambda x, n: np.sum(x ** n))(np.asarray([1.0, 2.0]), 3), [3.0, 12.0])


def test_integer_intermediate_has_zero_derivative():
    """An integer path is a constant: rounding/casting to int cuts the gradient."""
    close(np.grad(lambda x: np.sum(x * x.astype(np.int64)))(np.asarray([1.5, 2.5])), [1.0, 2.0])
    close(np.grad(lambda x: np.sum(x * (x > 2.0)))(np.asarray([1.5, 2.5])), [0.0, 1.0])


# -- ops without rules ---------------------------------------------------------------------------

def test_an_op_without_a_rule_raises_naming_it():
    assert REGISTRY["subtract.reduce"].differentiable is None  # a derivative, deliberately no rule
    x = np.asarray([5.0, 1.0, 2.0])
    for run in (lambda: np.grad(lambda x: np.subtract.reduce(x))(x),
                lambda: np.vjp(np.subtract.reduce, x),
                lambda: np.jvp(np.subtract.reduce, (x,), (x,))):
        with pytest.raises(AutodiffError, match=r"subtract\.reduce"):
            run()
    assert isinstance(AutodiffError("x"), RuntimeError)
    close(np.subtract.reduce(x), 2.0)  # without a trace it simply runs
    close(np.grad(lambda x: np.sum(x) + np.subtract.reduce(np.asarray([5.0, 1.0])))(x), [1.0, 1.0, 1.0])


# -- in-place writes as functional updates ------------------------------------------------------------

def _zero_first(x):
    y = x * 1
    y[0] = 0
    return np.sum(y * np.asarray([1.0, 2.0, 3.0, 4.0]))


def _add_shifted(x):
    y = x * 1
    y[1:3] += x[:2]
    return np.sum(y * np.asarray([1.0, 2.0, 3.0, 4.0]))


def _scale_view(x):
    y = x * 1
    v = y[1:]
    v *= 2.0  # through a view, written back into y
    return np.sum(y ** 2)


def _view_of_view(x):
    y = x * 1
    v = y[1:]
    w = v[1:]
    w[0] = 7.0 * x[0]  # y = [x0, x1, 7 x0, x3], v = y[1:]
    w *= 2.0  # y = [x0, x1, 14 x0, 2 x3]
    return np.sum(y * np.asarray([1.0, 2.0, 3.0, 4.0])) + np.sum(v * v)


@pytest.mark.parametrize("f, want", [
    (_view_of_view, [1 + 42 + 392.0, 2 + 4.0, 0.0, 8 + 32.0]),
    (_zero_first, [0.0, 2.0, 3.0, 4.0]),
    (_add_shifted, [3.0, 5.0, 3.0, 4.0]),  # y = [x0, x1 + x0, x2 + x1, x3]
    (_scale_view, [2.0, 16.0, 24.0, 32.0]),  # y = [x0, 2 x1, 2 x2, 2 x3]
])
def test_in_place_writes_give_the_right_gradient(f, want):
    x = np.asarray([1.0, 2.0, 3.0, 4.0])
    close(np.grad(f)(x), want)
    close(np.jvp(f, (x,), (np.ones(4),))[1], onp.sum(want))
    check_grads(f, (x,), order=2)


def test_writes_over_a_saved_value_raise():
    x = np.asarray([1.0, 2.0, 3.0])

    def f(x):
        y = x * 1
        z = np.sin(y)  # saves y
        y[0] = 5.0
        return np.sum(z)
    with pytest.raises(AutodiffError, match="overwritten in place"):
        np.grad(f)(x)


# -- functions that write into their own argument -----------------------------------------------------
# Every transform differentiates with respect to the value passed in (issue 13, finding 4): the
# writes are recorded as functional updates, or the transform raises AutodiffError. ``fresh()``
# each time: the function writes into the caller's array, as a plain call does.

_W = np.asarray([1.0, 2.0, 3.0, 4.0])
_MASK = onp.array([True, False, True, False])


def _loss(a):
    return np.sum(a * a * _W)


def _do(*effects):
    """(A lambda's statements as expressions: their values are dropped.)"""


def _then_loss(write):
    """A function writing into its argument with ``write(a)``, then reading it."""
    def f(a):
        extra = write(a)
        return _loss(a) + (0.0 if extra is None else extra)
    f.__name__ = write.__name__
    return f


_WRITES_COMPUTED = [  # (name, the write); the result may add a term computed before the write
    ("imul", lambda a: _do(a.__imul__(3.0))),
    ("iadd_itself", lambda a: _do(a.__iadd__(a))),
    ("setitem_constant", lambda a: a.__setitem__(0, 5.0)),
    ("setitem_tracked", lambda a: a.__setitem__(1, a[0] * 2.0)),
    ("ellipsis_reversed", lambda a: a.__setitem__(Ellipsis, a[::-1])),
    ("flat", lambda a: a.flat.__setitem__(1, 3.0)),
    ("out_negative", lambda a: _do(np.negative(a, out=a))),
    ("out_constant", lambda a: _do(np.multiply(np.ones(4), 3.0, out=a))),
    ("add_at", lambda a: np.add.at(a, [0, 0, 2], 1.0)),
    ("view", lambda a: _do(a[1:].__imul__(2.0))),
    ("view_after_a_read", lambda a: (np.sum(a * 2.0), a[1:].__imul__(2.0))[0]),
    ("copyto", lambda a: np.copyto(a, a[::-1] * 2.0)),
    ("put", lambda a: np.put(a, [0, 2], [7.0, a[1]])),
    ("put_along_axis", lambda a: np.put_along_axis(a, np.asarray([1, 3]), a[:2] * 2.0, axis=0)),
    ("fill", lambda a: (np.sum(a), a.fill(2.0))[0]),
    ("putmask", lambda a: np.putmask(a, _MASK, 0.5)),
    ("place", lambda a: np.place(a, _MASK, [9.0, 8.0])),
    ("boolean_setitem", lambda a: a.__setitem__(_MASK, a[:2] * 3.0)),
    ("fancy_iadd_repeated_index", lambda a: a.__setitem__([0, 0, 2], a[[0, 0, 2]] + 1.5)),
    ("copyto_where", lambda a: np.copyto(a, a * 5.0, where=_MASK)),
    ("isub_strided_views", lambda a: _do(a[::2].__isub__(a[1::2]))),
    ("shuffle", lambda a: np.random.default_rng(0).shuffle(a)),
    ("reshaped_view", lambda a: _do(a.reshape(2, 2)[0].__imul__(2.0))),
    ("transposed_view", lambda a: _do(a.T[1:].__imul__(2.0))),
    ("raveled_view_setitem", lambda a: a.reshape(2, 2).ravel().__setitem__(3, a[0] * 2.0)),
    # out= over an operand its own derivative reads: the op reads a recorded copy of it
    ("out_over_a_needed_operand", lambda a: _do(np.multiply(a, a, out=a))),
    ("out_sin", lambda a: _do(np.sin(a, out=a))),
    ("out_clip", lambda a: _do(np.clip(a, -1.0, 1.0, out=a))),
    ("ipow", lambda a: _do(a.__ipow__(2.0))),
    ("imatmul", lambda a: _do(a.__imatmul__(np.eye(4) * 2.0))),
    ("sort_method", lambda a: a.sort()),  # (the methods sorting in place: as these)
    ("partition_method", lambda a: a.partition(2)),
]
_WRITES_UNTRACKING = {"out_constant"}  # (a write no tracked value reaches: a constant from then on)
_WRITES_REFUSED = [  # (name, the write, what the message says, whether forward mode computes)
    ("multiply_at", lambda a: np.multiply.at(a, [1, 1], 2.0), "no .*rule is registered", False),
    ("out_where", lambda a: _do(np.divide(a, 2.0, out=a, where=_MASK)), "where= is not differentiable", False),
    ("over_a_saved_value", lambda a: (np.sum(np.sin(a)), a.__iadd__(1.0))[0], "overwritten in place", True),
]

_X4 = onp.array([0.3, -1.2, 0.7, 2.1])
_T4 = onp.array([1.0, -2.0, 0.5, 3.0])


def _fresh():
    return np.array(_X4)


def _as_custom_vjp(f):
    """``f`` as a custom_vjp whose rule is f's own vjp (its fwd writes into the argument)."""
    cf = np.custom_vjp(lambda a: f(a))
    cf.defvjp(lambda a: np.vjp(f, a), lambda vjp_fn, g: vjp_fn(g))
    return cf


def _tape_gradient(f, x):
    with np.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def _linearize_twice(f):
    f_jvp = np.linearize(f, _fresh())[1]
    f_jvp(np.asarray(_T4))  # a second call must not see the first one's writes
    return f_jvp(np.asarray(_T4))


_REVERSE = {  # transform -> (its gradient of f at _X4)
    "grad": lambda f: np.grad(f)(_fresh()),
    "value_and_grad": lambda f: np.value_and_grad(f)(_fresh())[1],
    "vjp": lambda f: np.vjp(f, _fresh())[1](np.asarray(1.0))[0],
    "jacrev": lambda f: np.jacrev(f)(_fresh()),
    "custom_vjp": lambda f: np.grad(_as_custom_vjp(f))(_fresh()),
}
_REFUSING = {**_REVERSE, "tape": lambda f: _tape_gradient(f, _fresh())}  # (raise where reverse mode does)
_FORWARD = {  # transform -> (its derivative of f at _X4 along _T4, or its gradient for jacfwd)
    "jvp": lambda f: np.jvp(f, (_fresh(),), (np.asarray(_T4),))[1],
    "linearize": _linearize_twice,
    "jacfwd": lambda f: np.jacfwd(f)(_fresh()),
}


def _numerical_gradient(f, x, eps=1e-6):
    """Central differences of ``f`` (it writes into its argument: a new array each call)."""
    def at(v):
        return onp.asarray(f(np.asarray(v)))
    return onp.array([(at(x + eps * e) - at(x - eps * e)) / (2 * eps) for e in onp.eye(len(x))])


@pytest.mark.parametrize("name, write", _WRITES_COMPUTED, ids=[c[0] for c in _WRITES_COMPUTED])
def test_a_function_writing_into_its_argument_is_differentiated_at_the_value_passed_in(name, write):
    f = _then_loss(write)
    want = _numerical_gradient(f, _X4)
    for how, transform in {**_REVERSE, **_FORWARD}.items():
        got = transform(f)
        expect = want @ _T4 if how in ("jvp", "linearize") else want
        onp.testing.assert_allclose(onp.asarray(got), expect, rtol=1e-6, atol=1e-6, err_msg=how)
    hess = onp.array([_numerical_gradient(lambda a: onp.asarray(np.grad(f)(a))[k], _X4)
                      for k in range(4)])
    onp.testing.assert_allclose(onp.asarray(np.hessian(f)(_fresh())), hess, rtol=1e-5, atol=1e-5)
    with pytest.raises(AutodiffError, match=r"checkpoint\(.*wrote into its argument"):
        np.grad(np.checkpoint(f))(_fresh())
    # a tape differentiates at what the watched array holds when gradient() is called: the
    # loss's gradient at the written value (None where a write by constants untracked it)
    x = _fresh()
    g = _tape_gradient(f, x)
    if name in _WRITES_UNTRACKING:
        assert g is None
    else:
        close(g, 2.0 * onp.asarray(x) * onp.asarray(_W))


@pytest.mark.parametrize("name, write, message, forward_computes", _WRITES_REFUSED,
                         ids=[c[0] for c in _WRITES_REFUSED])
def test_a_write_into_the_argument_that_cannot_be_recorded_raises(name, write, message, forward_computes):
    f = _then_loss(write)
    for how, transform in _REFUSING.items():
        with pytest.raises(AutodiffError, match=message):
            transform(f)
    want = _numerical_gradient(f, _X4)
    for how, transform in _FORWARD.items():
        if forward_computes:  # (forward mode saves nothing a later write could spoil)
            expect = want @ _T4 if how in ("jvp", "linearize") else want
            onp.testing.assert_allclose(onp.asarray(transform(f)), expect, rtol=1e-6, atol=1e-6)
        else:
            with pytest.raises(AutodiffError, match=message):
                transform(f)


def test_the_caller_sees_the_functions_writes_once():
    x = _fresh()
    np.grad(_then_loss(lambda a: _do(a.__imul__(3.0))))(x)
    close(x, 3.0 * _X4)  # as a plain call would: grad runs it once on the argument
    x = _fresh()
    np.jacfwd(_then_loss(lambda a: _do(a.__imul__(3.0))))(x)
    close(x, 3.0 * _X4)  # once, though jacfwd runs it once per element


def test_checkpoint_raises_when_its_argument_is_written_before_the_backward_pass():
    def f(x):
        y = x * 1.0
        z = np.checkpoint(np.sin)(y)
        y += 1.0  # the recomputation would read the new y
        return np.sum(z)
    with pytest.raises(AutodiffError, match="overwritten in place"):
        np.grad(f)(_fresh())


# -- arrays built from lists holding arrays being differentiated ---------------------------------

def _vector_field(x):  # the way ODE right-hand sides are written
    return np.array([[x[0] ** 2, x[1] * x[2]], [3.0, np.sin(x[2])]])


def test_array_from_a_list_of_tracked_arrays_is_differentiable():
    x0 = onp.array([1.0, 2.0, 3.0])
    want = onp.zeros((2, 2, 3))
    want[0, 0, 0] = 2 * x0[0]
    want[0, 1, 1], want[0, 1, 2] = x0[2], x0[1]
    want[1, 1, 2] = onp.cos(x0[2])
    x = np.asarray(x0)
    close(np.jacrev(_vector_field)(x), want)
    close(np.jacfwd(_vector_field)(x), want)
    check_grads(_vector_field, (x,), order=2)
    close(np.grad(lambda x: np.sum(np.asarray((x[:2], 2 * x[1:]))))(x), [1.0, 3.0, 2.0])
    close(np.grad(lambda x: np.sum(np.array([x[0], x[1]], ndmin=3)))(x), [1.0, 1.0, 0.0])


_LIST_OPERANDS = {  # an op given a list holding tracked arrays (NumPy's conversion dropped them)
    "add": lambda a: np.sum(a + [a[0], 1.0, 2.0]),
    "where": lambda a: np.sum(np.where(a > 0, [a[0], a[1], a[2]], 0.0)),
    "dot": lambda a: np.dot(a, [a[1], a[2], a[0]]),
    "put": lambda a: (lambda b: (np.put(b, [0], [a[1] * 2.0]), np.sum(b * b))[1])(a * 1.0),
    "clip": lambda a: np.sum(np.clip(a, [a[0] - 1.0, -5.0, -5.0], 0.5)),
}


@pytest.mark.parametrize("how", list(_LIST_OPERANDS))
def test_an_operand_list_holding_tracked_arrays_is_differentiable(how):
    f, x0 = _LIST_OPERANDS[how], onp.array([0.3, -0.7, 1.1])
    close(np.grad(f)(np.array(x0)), _numerical_gradient(f, x0), rtol=1e-6, atol=1e-6)
    check_grads(f, (np.array(x0),), order=1)


def test_array_of_tracked_arrays_with_an_integer_dtype_is_a_constant():
    x = np.asarray([1.0, 2.0, 3.0])
    close(np.grad(lambda x: np.sum(np.array([x[0], 2], dtype=np.int64) * 1.0))(x), [0.0, 0.0, 0.0])


# -- complex numbers (JAX's convention) --------------------------------------------------------------

Z = onp.array([1 + 2j, -0.5 + 0.3j])


def test_grad_of_a_holomorphic_function_is_its_derivative():
    for z in Z:
        close(np.grad(lambda z: z ** 3, holomorphic=True)(np.asarray(z)), 3 * z ** 2)
        close(np.grad(np.sin, holomorphic=True)(np.asarray(z)), onp.cos(z))
        close(np.vjp(np.exp, np.asarray(z))[1](np.asarray(1.0 + 0j))[0], onp.exp(z))
        close(np.jvp(np.exp, (np.asarray(z),), (np.asarray(1.0 + 0j),))[1], onp.exp(z))
    close(np.elementwise_grad(lambda z: z ** 2)(np.asarray(Z)), 2 * Z)
    close(np.jacfwd(lambda z: z ** 2, holomorphic=True)(np.asarray(Z)), onp.diag(2 * Z))
    close(np.jacrev(lambda z: z ** 2, holomorphic=True)(np.asarray(Z)), onp.diag(2 * Z))


def test_the_documented_complex_examples():
    assert complex(np.grad(lambda z: z ** 2, holomorphic=True)(np.asarray(1 + 2j))) == 2 + 4j
    assert complex(np.grad(lambda z: np.abs(z) ** 2)(np.asarray(1 + 2j))) == pytest.approx(2 - 4j)


def test_grad_of_a_real_function_of_complex_input_is_the_conjugate_ascent_direction():
    close(np.grad(lambda z: np.sum(np.abs(z) ** 2))(np.asarray(Z)), 2 * onp.conj(Z))
    close(np.grad(lambda z: np.sum(np.real(z * np.conj(z))))(np.asarray(Z)), 2 * onp.conj(Z))
    close(np.grad(lambda z: np.sum(np.real(z)))(np.asarray(Z)), onp.ones(2))
    close(np.grad(lambda z: np.sum(np.imag(z)))(np.asarray(Z)), -1j * onp.ones(2))


def test_complex_output_needs_holomorphic():
    with pytest.raises(TypeError, match="holomorphic"):
        np.grad(lambda z: z ** 2)(np.asarray(1 + 1j))
    with pytest.raises(TypeError, match="complex"):
        np.grad(lambda z: z ** 2, holomorphic=True)(np.asarray(1.0))


# -- transforms against analytic results ----------------------------------------------------------------

M = onp.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
V = onp.array([0.2, -0.7, 1.1])


def _mlp(x):  # R^3 -> R^2, Jacobian M diag(1 - tanh^2)
    return np.asarray(M) @ np.tanh(x)


def _mlp_jac(x):
    return M * (1 - onp.tanh(x) ** 2)


def test_jvp_vjp_linearize_and_jacobians_analytic():
    x, t, u = np.asarray(V), onp.array([1.0, -2.0, 0.5]), onp.array([3.0, -1.0])
    J = _mlp_jac(V)
    out, tout = np.jvp(_mlp, (x,), (np.asarray(t),))
    close(out, M @ onp.tanh(V))
    close(tout, J @ t)
    out, f = np.vjp(_mlp, x)
    close(f(np.asarray(u))[0], u @ J)
    close(f(np.asarray(2 * u))[0], 2 * u @ J)  # vjp_fn may be called again
    out, f_jvp = np.linearize(_mlp, x)
    close(out, M @ onp.tanh(V))
    close(f_jvp(np.asarray(t)), J @ t)
    close(np.jacfwd(_mlp)(x), J)
    close(np.jacrev(_mlp)(x), J)
    close(np.jacobian(_mlp)(x), J)


def test_hessian_and_elementwise_grad_analytic():
    c = onp.array([1.0, 2.0, 3.0])
    f = lambda x: np.sum(np.exp(x) * c) + np.sin(x[0] * x[1])
    x0 = V
    h = onp.diag(onp.exp(x0) * c)
    s, co = onp.sin(x0[0] * x0[1]), onp.cos(x0[0] * x0[1])
    h[0, 0] += -s * x0[1] ** 2
    h[1, 1] += -s * x0[0] ** 2
    h[0, 1] = h[1, 0] = co - s * x0[0] * x0[1]
    close(np.hessian(f)(np.asarray(x0)), h)
    close(np.elementwise_grad(np.tanh)(np.asarray(x0)), 1 - onp.tanh(x0) ** 2)
    close(np.elementwise_grad(lambda x, y: x * y, 1)(np.asarray(x0), np.asarray(c)), x0)


def test_jacobian_of_matrix_valued_function_has_the_shapes_joined():
    x = np.asarray(onp.arange(6.0).reshape(2, 3))
    for jac in (np.jacrev, np.jacfwd):
        j = jac(lambda x: x.T * 2.0)(x)
        assert j.shape == (3, 2, 2, 3)
        close(j, 2.0 * onp.einsum("ik,jl->ijlk", onp.eye(3), onp.eye(2)))


# -- higher order ------------------------------------------------------------------------------------------

def test_third_derivative_of_a_polynomial():
    p = lambda x: 2 * x ** 5 - 3 * x ** 4 + x ** 2 - 7 * x
    x = np.asarray(1.5)
    close(np.grad(p)(x), 10 * 1.5 ** 4 - 12 * 1.5 ** 3 + 2 * 1.5 - 7)
    close(np.grad(np.grad(p))(x), 40 * 1.5 ** 3 - 36 * 1.5 ** 2 + 2)
    close(np.grad(np.grad(np.grad(p)))(x), 120 * 1.5 ** 2 - 72 * 1.5)
    close(np.grad(np.grad(np.grad(np.grad(p))))(x), 240 * 1.5 - 72)
    jvp3 = lambda x: np.jvp(lambda x: np.jvp(lambda x: np.jvp(p, (x,), (np.asarray(1.0),))[1],
                                             (x,), (np.asarray(1.0),))[1], (x,), (np.asarray(1.0),))[1]
    close(jvp3(x), 120 * 1.5 ** 2 - 72 * 1.5)


def test_hessian_vector_product_is_hessian_times_v():
    f = lambda x: np.sum(np.sin(x) * x[::-1]) + np.sum(x ** 3)
    x, v = np.asarray(V), np.asarray([1.0, 0.5, -2.0])
    hv = np.jvp(np.grad(f), (x,), (v,))[1]
    close(hv, np.hessian(f)(x) @ v)
    close(np.grad(lambda x: np.sum(np.grad(f)(x) * v))(x), np.hessian(f)(x) @ v)


# -- the gradient checker itself can fail ------------------------------------------------------------------

def test_check_grads_accepts_right_and_rejects_wrong_derivatives():
    check_grads(lambda x: np.sin(x) * x, (np.asarray(V),), order=2)
    bad_vjp = np.custom_vjp(lambda x: np.sin(x))
    bad_vjp.defvjp(lambda x: (np.sin(x), x), lambda x, g: (g * np.cos(x) * 1.01,))
    with pytest.raises(AssertionError, match="reverse mode"):
        check_grads(bad_vjp, (np.asarray(V),), order=1, modes=("rev",))
    bad_jvp = np.custom_jvp(lambda x: np.sin(x))
    bad_jvp.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0]) * t[0] * 1.01))
    with pytest.raises(AssertionError, match="forward mode"):
        check_grads(bad_jvp, (np.asarray(V),), order=1, modes=("fwd",))
    wrong2 = np.custom_jvp(lambda x: x ** 3)  # right first derivative, wrong second
    wrong2.defjvp(lambda p, t: (p[0] ** 3, 3 * np.stop_gradient(p[0]) ** 2 * t[0]))
    check_grads(wrong2, (np.asarray(V),), order=1)
    for mode in ("fwd", "rev"):
        with pytest.raises(AssertionError):
            check_grads(wrong2, (np.asarray(V),), order=2, modes=(mode,))


# -- memory: a long loop of gradients leaves memory flat ---------------------------------------------------

def _hundred_ops(x):
    for _ in range(25):
        x = np.sin(x) * 1.01 + x * 0.5 - 0.1  # 4 ops
    return np.sum(x)


def test_memory_is_flat_over_10000_gradients():
    """10,000 gradients of a 100-op function: after a warm-up of 1,000, the process's peak
    memory does not grow, no Python object is left behind, and (traced for the last 200)
    what each gradient allocates is all freed."""
    g = np.grad(_hundred_ops)
    x = np.asarray([0.1, 0.2])
    want = g(x)
    for _ in range(1000):  # warm-up: caches, freelists, allocator arenas
        g(x)
    gc.collect()
    blocks = sys.getallocatedblocks()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for _ in range(8800):
        g(x)
    gc.collect()
    assert sys.getallocatedblocks() - blocks < 500  # a leak of one object per call: 8,800
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_rss < 1024  # < 1 MiB
    tracemalloc.start()  # (10x slower: only the last 200)
    try:
        for _ in range(200):
            r = g(x)
        del r
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current < 16 * 1024, f"{current} bytes still allocated after 200 gradients"
    assert peak < 1024 * 1024, f"peak {peak} bytes for one gradient"
    gc.collect()
    assert not dispatch.versions  # every trace released its version counters
    assert not dispatch.tracing
    close(g(x), want)


def test_failed_gradient_releases_what_it_recorded():
    def bad(x):
        y = np.sin(x) * 2
        raise KeyError("boom")
    for _ in range(3):
        with pytest.raises(KeyError):
            np.grad(bad)(np.asarray([1.0]))
    with pytest.raises(TypeError):
        np.grad(lambda x: x * 2)(np.asarray([1.0, 2.0]))  # not a scalar
    gc.collect()  # (earlier tests' vjp functions, in reference cycles)
    before = len(dispatch.versions)
    for _ in range(3):
        with pytest.raises(KeyError):
            np.grad(bad)(np.asarray([1.0]))
    assert len(dispatch.versions) == before


# -- threads ------------------------------------------------------------------------------------------

def test_threads_taking_different_gradients_at_once_get_their_own():
    x = np.asarray([0.3, 0.7, 1.1])
    fns = [(lambda x: np.sum(np.sin(x) * x), lambda x: onp.cos(x) * x + onp.sin(x)),
           (lambda x: np.sum(np.exp(x) * 2.0), lambda x: 2 * onp.exp(x)),
           (lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2)]
    barrier = threading.Barrier(len(fns))
    errors = []

    def work(f, want):
        want = want(onp.asarray(x))
        barrier.wait()
        try:
            for _ in range(400):
                got = np.grad(f)(x)
                h = np.jvp(np.grad(f), (x,), (np.ones(3),))[1]
                if not onp.allclose(onp.asarray(got), want) or not onp.all(onp.isfinite(onp.asarray(h))):
                    errors.append(got)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    run_in_threads(work, fns)
    assert not errors, errors[:3]
    gc.collect()
    assert not dispatch.versions and not dispatch.tracing


# -- devices -------------------------------------------------------------------------------------------

DEVICE_TRANSFORMS = {
    "grad": lambda x: np.grad(rosen)(x),
    "hessian": lambda x: np.hessian(rosen)(x),
    "jacfwd": lambda x: np.jacfwd(lambda x: np.array([x[0] * x[1], np.sin(x[2])]))(x),
    "vjp": lambda x: np.vjp(np.tanh, x)[1](np.ones_like(x))[0],
    "checkpoint": lambda x: np.grad(lambda x: np.sum(np.checkpoint(np.exp)(x)))(x),
}


@pytest.mark.parametrize("how", list(DEVICE_TRANSFORMS))
def test_derivatives_stay_on_the_arguments_device(how):
    x0 = X0[:4]
    got = DEVICE_TRANSFORMS[how](np.asarray(x0, device="sim"))
    assert got.device == np.asarray(0.0, device="sim").device
    onp.testing.assert_allclose(onp.asarray(got.to_device("cpu")),
                                onp.asarray(DEVICE_TRANSFORMS[how](np.asarray(x0))), rtol=1e-12)


def test_gradients_relax_the_cyclic_gc_only_while_they_run():
    """Active traces raise the GC's first threshold; it is restored when the last one ends."""
    import gc
    before = gc.get_threshold()
    seen = []

    def f(x):
        seen.append(gc.get_threshold()[0])
        return np.sum(np.grad(lambda y: np.sum(y * y))(x) * x)  # nested: restored once, at the end
    np.grad(f)(np.asarray([1.0, 2.0]))
    assert seen and all(t >= before[0] for t in seen)
    assert gc.get_threshold() == before


def test_nested_traces_handed_over_mid_stack(monkeypatch):
    """grad of jvp through choose (a vjp rule per operand, one jvp rule for all): the C
    accelerator records the op on the outer tape, then hands the inner forward trace to Python
    (core.trace_from). The hessian-vector product is still exact."""
    from npflow.autodiff import core
    starts = []
    process = core._process_traces
    monkeypatch.setattr(core, "_process_traces", lambda stack, start, *a: (starts.append(start),
                                                                            process(stack, start, *a)))
    idx = onp.array([0, 1, 1, 0])
    x, v = np.asarray([0.3, 0.5, 0.7, 0.9]), np.asarray([1.0, 2.0, 3.0, 4.0])

    def f(x):
        return np.sum(np.choose(idx, [np.sin(x), x * x]))
    hv = np.grad(lambda x: np.jvp(f, (x,), (v,))[1])(x)
    onp.testing.assert_allclose(onp.asarray(hv), onp.where(idx == 0, -onp.sin(onp.asarray(x)), 2.0)
                                * onp.asarray(v), rtol=1e-14)
    if core._fastpath is not None:
        assert any(s > 0 for s in starts), "the hand-over path did not run"


# -- custom rules whose output is (a view of, or a pytree holding) their input ----------------
# The rule's output must get its own entry: overwriting the input's would send every later use
# of the input through the rule (or drop it). L(x) = sum(W * h(x) * x) uses x after the call, so
# dL/dx = R(W * x) + W * x where R is the rule's cotangent map (h(x) equals x in value).

def _clip_vjp(make_out):
    f = np.custom_vjp(lambda x: make_out(x))
    f.defvjp(lambda x: (make_out(x), None), lambda r, g: (np.clip(g, -1.0, 1.0),))
    return f


def _pair_vjp():  # returns (x, x); bwd reads only the first output's cotangent
    f = np.custom_vjp(lambda x: (x, x))
    f.defvjp(lambda x: ((x, x), None), lambda r, g: (np.clip(g[0], -1.0, 1.0),))
    return lambda x: f(x)[0]


def _scaled_jvp(make_out):  # the rule says twice the true derivative (linear, not the truth)
    f = np.custom_jvp(lambda x: make_out(x))
    f.defjvp(lambda p, t: (make_out(p[0]), make_out(2.0 * t[0])))
    return f


_CLIP = lambda c: onp.clip(c, -1.0, 1.0)
_IDENTITY_RULES = [  # (name, h, R or None for the true derivative, forward mode too?)
    ("custom_vjp_identity", _clip_vjp(lambda x: x), _CLIP, False),
    ("custom_vjp_view", _clip_vjp(lambda x: x[...]), _CLIP, False),
    ("custom_vjp_reshape_view", _clip_vjp(lambda x: x.reshape(x.shape)), _CLIP, False),
    ("custom_vjp_pytree_twice", _pair_vjp(), _CLIP, False),
    ("custom_jvp_identity", _scaled_jvp(lambda x: x), lambda c: 2.0 * c, True),
    ("custom_jvp_view", _scaled_jvp(lambda x: x[...]), lambda c: 2.0 * c, True),
    ("custom_jvp_pytree", lambda x: _scaled_jvp(lambda x: [x, x])(x)[1], lambda c: 2.0 * c, True),
    ("checkpoint_identity", np.checkpoint(lambda x: x), None, True),
    ("checkpoint_pytree", lambda x: np.checkpoint(lambda x: {"a": x, "b": x})(x)["b"], None, True),
    ("stop_gradient", np.stop_gradient, lambda c: 0.0 * c, True),
    ("cond_identity", lambda x: np.cond(True, lambda x: x, lambda x: 2.0 * x, x), None, True),
    ("while_loop_no_iteration", lambda x: np.while_loop(lambda v: False, lambda v: 2.0 * v, x), None, True),
]


@pytest.mark.parametrize("shape", [(3,), ()], ids=["1d", "0d"])
@pytest.mark.parametrize("name, h, rule, fwd", _IDENTITY_RULES, ids=[c[0] for c in _IDENTITY_RULES])
def test_custom_rule_returning_its_input(name, h, rule, fwd, shape):
    xn = onp.linspace(-1.5, 2.0, 3).reshape(shape) if shape else onp.array(0.7)
    wn = onp.array([3.0, -0.2, 0.5]).reshape(shape) if shape else onp.array(3.0)
    x, w = np.array(xn), np.array(wn)
    L = lambda x: np.sum(w * h(x) * x)
    want = (rule or (lambda c: c))(wn * xn) + wn * xn
    if rule is None:  # the true derivative: against finite differences too
        check_grads(L, (x,), order=1, modes=("fwd", "rev"))
    close(np.grad(L)(x), want)
    close(np.vjp(lambda x: w * h(x) * x, x)[1](np.ones(shape))[0], want)
    with np.GradientTape() as tape:
        tape.watch(x)
        y = L(x)
    close(tape.gradient(y, x), want)
    if fwd:
        v = onp.array([0.3, 1.0, -2.0]).reshape(shape) if shape else onp.array(1.3)
        close(np.jvp(L, (x,), (np.array(v),))[1], onp.sum(want * v))
    assert onp.array_equal(onp.asarray(h(x)), xn)  # (and no trace changed the value)


# -- in-place writes through views made by other ops, as functional updates of the base -------

def _ns(a):
    return np if isinstance(a, np.ndarray) else onp


_VIEW_MAKERS = {
    "reshape": lambda a: a.reshape(3, 2), "ravel": lambda a: a.ravel(), "T": lambda a: a.T,
    "transpose": lambda a: a.transpose(1, 0), "swapaxes": lambda a: a.swapaxes(0, 1),
    "moveaxis": lambda a: _ns(a).moveaxis(a, 0, -1), "expand_dims": lambda a: _ns(a).expand_dims(a, 0),
    "squeeze": lambda a: a[None].squeeze(0), "T_of_slice": lambda a: a[:, 1:].T,
    "reshape_of_T": lambda a: a.T.reshape(1, 3, 2),
}
_VIEW_WRITES = {  # (c: a differentiable scalar from elsewhere)
    "setitem": lambda v, c: v.__setitem__(0, c), "iadd": lambda v, c: v.__iadd__(c),
    "imul": lambda v, c: v.__imul__(2.0), "out": lambda v, c: _ns(v).add(v, c, out=v),
}


def _view_write_program(x, make_view, write):
    """Writes through a view of a traced array; returns (loss, base, view, another view made
    before the write: its values only, as a use of it after the write is an AutodiffError)."""
    m = _ns(x)
    x = x * 1.0
    c = x[0, 0] * 1.5
    v = make_view(x)
    other = x.T
    write(v, c)
    return m.sum(x * x) + m.sum(v * 3.0) + m.sum(x.T * m.arange(6.0).reshape(3, 2)), x, v, other


@pytest.mark.parametrize("write", _VIEW_WRITES, ids=list(_VIEW_WRITES))
@pytest.mark.parametrize("view", _VIEW_MAKERS, ids=list(_VIEW_MAKERS))
def test_write_through_a_view_is_a_functional_update(view, write):
    xn = onp.array([[0.3, 2.0, -1.0], [1.5, 0.2, 0.7]])
    args = (_VIEW_MAKERS[view], _VIEW_WRITES[write])
    for got, want in zip(_view_write_program(np.array(xn), *args), _view_write_program(xn, *args)):
        close(got, want, rtol=0, atol=0)  # the base and every view see NumPy's values
    L = lambda x: _view_write_program(x, *args)[0]
    x = np.array(xn)
    check_grads(L, (x,), order=1, modes=("fwd", "rev"))  # (jvp and vjp against finite differences)
    g = np.grad(L)(x)
    with np.GradientTape() as tape:
        tape.watch(x)
        y = L(x)
    close(tape.gradient(y, x), g)
    close(np.vjp(L, x)[1](np.array(1.0))[0], g)
