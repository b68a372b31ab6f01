"""npflow.scipy.integrate: trapezoid against SciPy; odeint against scipy.integrate.odeint (and
JAX's odeint where installed), its adjoint gradients against finite differences and against
differentiating through the solver's steps, pytrees, and errors."""
import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.integrate as ni
from npflow.testing import check_grads
from support import make, same_outcome

si = pytest.importorskip("scipy.integrate")


def test_trapezoid():
    y = make((3, 5), onp.float64, seed=1)
    x = onp.cumsum(make((5,), onp.float64, seed=2, low=0.1, high=1))
    for args, kw in [((y,), {}), ((y, x), {}), ((y,), {"dx": 0.5, "axis": 0}), ((y.astype(onp.float32),), {})]:
        same_outcome(ni.trapezoid, si.trapezoid, *args, rtol=1e-6, atol=1e-12, **kw)


def oscillator(y, t, k, c):
    return nf.stack([y[1], -k * y[0] - c * y[1] + nf.sin(t)])


T = onp.linspace(0.0, 4.0, 9)
Y0 = onp.array([1.0, -0.5])


def test_odeint_values_against_scipy():
    ys = ni.odeint(oscillator, nf.asarray(Y0), nf.asarray(T), 2.0, 0.3)
    want = si.odeint(lambda y, t: [y[1], -2.0 * y[0] - 0.3 * y[1] + onp.sin(t)], Y0, T, rtol=1e-11, atol=1e-11)
    assert ys.shape == (9, 2) and ys.dtype == onp.float64
    onp.testing.assert_allclose(onp.asarray(ys), want, rtol=1e-6, atol=1e-7)


def test_odeint_matches_jax():
    ode = pytest.importorskip("jax.experimental.ode")
    import jax
    jax.config.update("jax_enable_x64", True)
    try:
        import jax.numpy as jnp
        want = ode.odeint(lambda y, t, k, c: jnp.stack([y[1], -k * y[0] - c * y[1] + jnp.sin(t)]),
                          jnp.asarray(Y0), jnp.asarray(T), 2.0, 0.3)
    finally:
        jax.config.update("jax_enable_x64", False)
    onp.testing.assert_allclose(onp.asarray(ni.odeint(oscillator, nf.asarray(Y0), nf.asarray(T), 2.0, 0.3)),
                                onp.asarray(want), rtol=1e-9, atol=1e-11)


def _loss(y0, t, k, c, solve=ni.odeint):
    return nf.sum(solve(oscillator, y0, t, k, c) ** 2)


def test_adjoint_gradients_against_finite_differences():
    args = (nf.asarray(Y0), nf.asarray(T), nf.asarray(2.0), nf.asarray(0.3))
    check_grads(lambda y0, t, k, c: _loss(y0, t, k, c), args, order=1, modes=("rev",), atol=1e-5)


def test_adjoint_gradients_match_differentiating_through_the_steps():
    from npflow.scipy.integrate import _solve
    args = (nf.asarray(Y0), nf.asarray(2.0), nf.asarray(0.3))
    t = nf.asarray(T)

    def through_steps(y0, k, c):
        ys = _solve(lambda y, tt: oscillator(y, tt, k, c), y0, [float(v) for v in T], 1.4e-8, 1.4e-8,
                    onp.inf, onp.inf)
        return nf.sum(ys ** 2)
    adjoint = nf.grad(lambda y0, k, c: _loss(y0, t, k, c), argnums=(0, 1, 2))(*args)
    direct = nf.grad(through_steps, argnums=(0, 1, 2))(*args)
    for a, d in zip(adjoint, direct):
        onp.testing.assert_allclose(onp.asarray(a), onp.asarray(d), rtol=1e-5, atol=1e-7)


def test_pytrees_and_forward_mode():
    def f(state, t, params):
        x, v = state["x"], state["v"]
        return {"x": v, "v": -params["k"] * x}
    state = {"x": nf.asarray([1.0, 0.5]), "v": nf.asarray([0.0, 0.1])}
    out = ni.odeint(f, state, nf.asarray([0.0, 0.5, 1.0]), {"k": nf.asarray(3.0)})
    assert set(out) == {"x", "v"} and out["x"].shape == (3, 2)
    w = onp.sqrt(3.0)
    onp.testing.assert_allclose(onp.asarray(out["x"][:, 0]), onp.cos(w * onp.array([0, 0.5, 1.0])), rtol=1e-6)
    g = nf.grad(lambda k: nf.sum(ni.odeint(f, state, nf.asarray([0.0, 1.0]), {"k": k})["x"][-1]))(nf.asarray(3.0))
    eps = 1e-6
    fd = (float(nf.sum(ni.odeint(f, state, nf.asarray([0.0, 1.0]), {"k": nf.asarray(3.0 + eps)})["x"][-1]))
          - float(nf.sum(ni.odeint(f, state, nf.asarray([0.0, 1.0]), {"k": nf.asarray(3.0 - eps)})["x"][-1]))) / (2 * eps)
    assert abs(float(g) - fd) < 1e-5
    with pytest.raises(TypeError, match="forward-mode"):
        nf.jvp(lambda k: ni.odeint(oscillator, nf.asarray(Y0), nf.asarray(T), k, 0.3), (nf.asarray(2.0),),
               (nf.asarray(1.0),))


def test_errors():
    with pytest.raises(ValueError, match="increasing"):
        ni.odeint(oscillator, nf.asarray(Y0), nf.asarray([0.0, 1.0, 0.5]), 2.0, 0.3)
    with pytest.raises(RuntimeError, match="mxstep"):
        ni.odeint(oscillator, nf.asarray(Y0), nf.asarray(T), 2.0, 0.3, mxstep=3)
    with pytest.raises(TypeError, match="callable"):
        ni.odeint(None, nf.asarray(Y0), nf.asarray(T))
