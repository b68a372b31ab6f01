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


# -- solve_ivp ---------------------------------------------------------------------------------

def damped(t, y, k, c):
    return nf.stack([y[1], -k * y[0] - c * y[1] + nf.sin(t)])


def damped_np(t, y, k, c):
    return onp.array([y[1], -k * y[0] - c * y[1] + onp.sin(t)])


def stiff(t, y, k):  # a fast decay onto cos(t) and a slow mode
    return nf.stack([-k * (y[0] - nf.cos(t)), -0.5 * y[1] + y[0]])


def stiff_np(t, y, k):
    return onp.array([-k * (y[0] - onp.cos(t)), -0.5 * y[1] + y[0]])


IVP_METHODS = ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]
IVP_CASES = [(damped, damped_np, (0.0, 4.0), [1.0, -0.5], (2.0, 0.3)),
             (damped, damped_np, (3.0, -1.0), [0.2, 0.1], (1.0, 0.1)),  # backwards in time
             (stiff, stiff_np, (0.0, 2.0), [2.0, 0.0], (1000.0,))]


@pytest.mark.parametrize("method", IVP_METHODS)
@pytest.mark.parametrize("case", range(len(IVP_CASES)))
@pytest.mark.parametrize("dense", [False, True], ids=["steps", "t_eval"])
def test_solve_ivp_values_against_scipy(method, case, dense):
    fun, fun_np, span, y0, args = IVP_CASES[case]
    if case == 2 and method in ("RK23", "RK45", "DOP853"):
        span = (0.0, 0.05)  # (stiff: explicit methods take many steps)
    t_eval = onp.linspace(*span, 6) if dense else None
    got = ni.solve_ivp(fun, nf.asarray(span), nf.asarray(y0), method=method, t_eval=t_eval, args=args,
                       rtol=1e-6, atol=1e-8)
    # (the implicit methods get npflow's exact Jacobian, which npflow gives them by default)
    jac = {} if method not in ("Radau", "BDF", "LSODA") else {
        "jac": lambda t, y, *a: onp.asarray(nf.jacfwd(lambda v: fun(t, v, *a))(nf.asarray(y)))}
    want = si.solve_ivp(fun_np, span, onp.asarray(y0), method=method, t_eval=t_eval, args=args,
                        rtol=1e-6, atol=1e-8, **jac)
    assert got.success and got.status == want.status == 0 and got.message == want.message
    assert got.y.shape == want.y.shape and got.y.dtype == want.y.dtype and isinstance(got.y, nf.ndarray)
    onp.testing.assert_allclose(onp.asarray(got.t), want.t, rtol=1e-13)  # SciPy's very steps
    onp.testing.assert_allclose(onp.asarray(got.y), want.y, rtol=1e-12, atol=1e-13)
    assert (got.nfev, got.njev, got.nlu) == (want.nfev, want.njev, want.nlu)


def _ivp_loss(method, t_eval, fun=damped, span=(0.0, 1.5), tol=1e-10):
    def loss(y0, *args):
        return nf.sum(nf.sin(ni.solve_ivp(fun, span, y0, method=method, t_eval=t_eval, args=args,
                                          rtol=tol, atol=tol).y))
    return loss


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "BDF"])
def test_solve_ivp_adjoint_gradients_against_finite_differences(method):
    """In y0 and args, at the times of t_eval, and at the solver's own step times (constants of
    the result: the finite differences and the reference take those times as t_eval)."""
    y0, args = nf.asarray([1.0, -0.5]), (nf.asarray(2.0), nf.asarray(0.3))
    tol = 1e-10 if method in ("RK45", "DOP853") else 1e-8
    check_grads(_ivp_loss(method, [0.5, 1.0, 1.5], tol=tol), (y0, *args), order=1, modes=("rev",), atol=1e-5)
    steps = ni.solve_ivp(damped, (0.0, 1.5), y0, method=method, args=args, rtol=tol, atol=tol).t
    got = nf.grad(_ivp_loss(method, None, tol=tol), argnums=(0, 1, 2))(y0, *args)
    want = nf.grad(_ivp_loss(method, onp.asarray(steps), tol=tol), argnums=(0, 1, 2))(y0, *args)
    for a, b in zip(got, want):
        onp.testing.assert_allclose(onp.asarray(a), onp.asarray(b), rtol=1e-6, atol=1e-8)
    if method == "RK45":
        check_grads(_ivp_loss(method, onp.asarray(steps)), (y0, *args), order=1, modes=("rev",), atol=1e-5)


def test_solve_ivp_adjoint_memory_does_not_grow_with_the_steps():
    """RK45's adjoint keeps nothing per step: 4x the steps, about the same peak memory, where the
    tape of the steps grows with them (the gradients agree, with an atol per component)."""
    import tracemalloc
    from npflow.scipy.integrate import _ExplicitRK, _drive
    y0, k, c = nf.asarray([1.0, -0.5]), nf.asarray(2.0), nf.asarray(0.3)

    def adjoint(T):
        return nf.grad(lambda y0: nf.sum(ni.solve_ivp(damped, (0.0, T), y0, args=(k, c), t_eval=[T], rtol=1e-6,
                                                      atol=[1e-6, 1e-7]).y ** 2))

    def through(T):
        return nf.grad(lambda y0: nf.sum(_drive(_ExplicitRK(si.RK45, lambda t, y: damped(t, y, k, c), 0.0, y0, T,
                                                            1e-6, nf.asarray([1e-6, 1e-7])), [T])[1][-1] ** 2))

    def peak(fn):
        tracemalloc.start()
        try:
            fn(y0)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    onp.testing.assert_allclose(onp.asarray(adjoint(1.0)(y0)), onp.asarray(through(1.0)(y0)), rtol=1e-4)
    short, long = peak(adjoint(4.0)), peak(adjoint(16.0))  # (garbage waiting for the cyclic GC,
    assert long < 1.3 * short, (short, long)                  # bounded, is part of both peaks)
    assert peak(through(4.0)) > 2.5 * peak(through(1.0))


def test_solve_ivp_stiff_adjoint_gradient():
    loss = _ivp_loss("Radau", [0.5, 2.0], stiff, (0.0, 2.0), tol=1e-8)
    check_grads(loss, (nf.asarray([2.0, 0.0]), nf.asarray(1000.0)), order=1, modes=("rev",), atol=1e-5)


@pytest.mark.parametrize("method", ["RK45", "DOP853"])
def test_solve_ivp_adjoint_matches_differentiating_through_the_steps(method):
    from npflow.scipy.integrate import _ExplicitRK, _drive
    t_eval = [0.5, 1.0, 1.5]
    args = (nf.asarray([1.0, -0.5]), nf.asarray(2.0), nf.asarray(0.3))

    def through_steps(y0, k, c):
        solver = _ExplicitRK(getattr(si, method), lambda t, y: damped(t, y, k, c), 0.0, y0, 1.5, 1e-10, 1e-10)
        return nf.sum(nf.sin(nf.stack(_drive(solver, t_eval)[1], axis=1)))
    adjoint = nf.grad(_ivp_loss(method, t_eval), argnums=(0, 1, 2))(*args)
    direct = nf.grad(through_steps, argnums=(0, 1, 2))(*args)
    for a, d in zip(adjoint, direct):
        onp.testing.assert_allclose(onp.asarray(a), onp.asarray(d), rtol=1e-7, atol=1e-9)


def test_solve_ivp_errors():
    y0 = nf.asarray([1.0, -0.5])
    for kw, exc, match in [({"method": "Euler"}, ValueError, "method"), ({"t_eval": [5.0]}, ValueError, "within"),
                           ({"t_eval": [2.0, 1.0]}, ValueError, "sorted"), ({"events": lambda t, y: y[0]},
                                                                             NotImplementedError, "events"),
                           ({"args": 2.0}, TypeError, "args")]:
        with pytest.raises(exc, match=match):
            ni.solve_ivp(damped, (0.0, 3.0), y0, **{"args": (2.0, 0.3), **kw})
    with pytest.raises(ValueError, match="1-dimensional"):
        ni.solve_ivp(damped, (0.0, 3.0), nf.ones((2, 1)), args=(2.0, 0.3))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ni.solve_ivp(lambda t, y: nf.ones(3), (0.0, 1.0), y0)
    with pytest.raises(nf.AutodiffError, match="t_span"):
        nf.grad(lambda t1: nf.sum(ni.solve_ivp(damped, nf.stack([0.0, t1]), y0, args=(2.0, 0.3)).y))(nf.asarray(1.0))
    blow_up = ni.solve_ivp(lambda t, y: y ** 2, (0.0, 2.0), [1.0])  # (y = 1 / (1 - t))
    want = si.solve_ivp(lambda t, y: y ** 2, (0.0, 2.0), [1.0])
    assert blow_up.status == want.status == -1 and blow_up.message == want.message and not blow_up.success
    with pytest.raises(nf.AutodiffError, match="solve_ivp.*failed"):
        nf.grad(lambda y0: nf.sum(ni.solve_ivp(lambda t, y: y ** 2, (0.0, 2.0), y0).y))(nf.asarray([1.0]))
    with pytest.raises(TypeError, match="forward-mode"):
        nf.jvp(lambda k: ni.solve_ivp(damped, (0.0, 1.0), y0, args=(k, 0.3)).y, (nf.asarray(2.0),), (nf.asarray(1.0),))
