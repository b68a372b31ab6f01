"""npflow.scipy.optimize: minimize (SciPy's methods reach known minima with npflow's exact
gradients and hessian-vector products; what SciPy receives is checked against the analytic
derivatives), root, least_squares and fixed_point against SciPy; their solutions' implicit
derivatives are in the gradient walk (tests/gradspecs/scipy_optimize.py), their limits here."""
import subprocess
import sys

import numpy as onp
import pytest
import scipy.optimize as so

import npflow as np
import npflow.scipy.optimize as nso
from npflow.scipy.optimize import minimize


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


STARTS = [[-1.2, 1.0], [1.3, 0.7, 0.8, 1.9, 1.2]]
METHODS = ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "trust-ncg", "trust-krylov", "trust-constr",
           "SLSQP", None]


@pytest.mark.parametrize("start", STARTS, ids=["2d", "5d"])
@pytest.mark.parametrize("method", METHODS)
def test_rosenbrock_minimum(method, start):
    res = minimize(rosen, np.asarray(start), method=method, tol=1e-8, options={"maxiter": 5000})
    assert res.success, res.message
    assert isinstance(res.x, np.ndarray) and res.x.shape == (len(start),)
    onp.testing.assert_allclose(onp.asarray(res.x), onp.ones(len(start)), atol=1e-4)
    assert res.fun < 1e-8


@pytest.fixture
def scipy_call(monkeypatch):
    """What npflow hands scipy.optimize.minimize (the call still runs)."""
    seen = {}
    real = so.minimize

    def spy(fun, x0, **kw):
        seen.update(kw, fun=fun, x0=x0)
        return real(fun, x0, **kw)
    monkeypatch.setattr(so, "minimize", spy)
    return seen


@pytest.mark.parametrize("method", ["BFGS", "Newton-CG", "trust-krylov"])
def test_scipy_gets_exact_derivatives(scipy_call, method):
    minimize(rosen, [-1.2, 1.0, 0.3, 2.0], method=method, options={"maxiter": 2})
    assert scipy_call["jac"] is True
    x0 = scipy_call["x0"]
    assert type(x0) is onp.ndarray and x0.dtype == onp.float64 and x0.shape == (4,)
    rng = onp.random.default_rng(0)
    for _ in range(3):
        x, p = rng.normal(size=4), rng.normal(size=4)
        value, g = scipy_call["fun"](x)
        assert type(value) is float and type(g) is onp.ndarray and g.dtype == onp.float64
        onp.testing.assert_allclose(value, so.rosen(x), rtol=1e-13)
        onp.testing.assert_allclose(g, so.rosen_der(x), rtol=1e-12)
        assert so.check_grad(lambda v: scipy_call["fun"](v)[0], lambda v: scipy_call["fun"](v)[1], x) < 1e-4
        if method == "BFGS":
            assert scipy_call["hessp"] is None
        else:
            onp.testing.assert_allclose(scipy_call["hessp"](x, p), so.rosen_hess_prod(x, p), rtol=1e-12)


def test_one_evaluation_per_call():
    calls = []

    def f(x):
        calls.append(1)
        return rosen(x)
    res = minimize(f, [-1.2, 1.0], method="BFGS")
    assert res.success and len(calls) == res.nfev == res.njev


def test_args_passthrough():
    target, w = np.asarray([1.0, -2.0, 3.0]), np.asarray([1.0, 2.0, 3.0])
    res = minimize(lambda x, t, w, p: np.sum(w * (x - t) ** p), np.zeros(3), args=(target, w, 2))
    onp.testing.assert_allclose(onp.asarray(res.x), onp.asarray(target), atol=1e-6)
    res = minimize(lambda x, t: np.sum((x - t) ** 2), np.zeros(3), args=target, method="Newton-CG")
    onp.testing.assert_allclose(onp.asarray(res.x), onp.asarray(target), atol=1e-6)


def test_2d_x0_and_callbacks():
    target = onp.arange(6.0).reshape(2, 3)
    shapes, results = [], []

    def f(x):
        shapes.append(x.shape)
        return np.sum((x - target) ** 2) + np.sum(x[0] * x[1]) * 0.1
    res = minimize(f, np.zeros((2, 3)), method="BFGS", callback=lambda xk: shapes.append(xk.shape))
    assert set(shapes) == {(2, 3)} and res.x.shape == (2, 3) and res.jac.shape == (2, 3)
    a = onp.asarray(res.x)
    onp.testing.assert_allclose(2 * (a - target) + 0.1 * a[::-1], 0, atol=1e-5)  # stationary
    minimize(f, np.zeros((2, 3)), method="L-BFGS-B",
             callback=lambda intermediate_result: results.append(intermediate_result))
    assert results and all(isinstance(r.x, np.ndarray) and r.x.shape == (2, 3) for r in results)
    assert all(isinstance(r.fun, float) for r in results)


def test_callback_can_stop():
    seen = []

    def stop(intermediate_result):
        seen.append(1)
        if len(seen) == 3:
            raise StopIteration
    res = minimize(rosen, [-1.2, 1.0], method="BFGS", callback=stop)
    assert len(seen) == 3 and res.nit == 3 and not res.success


def test_bounds_lbfgsb():
    res = minimize(rosen, [-1.2, 1.0], method="L-BFGS-B", bounds=[(-2, 0.5), (-2, 2)], tol=1e-12)
    onp.testing.assert_allclose(onp.asarray(res.x), [0.5, 0.25], atol=1e-6)
    lb = onp.full((2, 2), -1.0)
    res = minimize(lambda x: np.sum((x - 2.0) ** 2 * np.asarray([[1.0, 2.0], [3.0, 4.0]])),
                   np.zeros((2, 2)), method="L-BFGS-B", bounds=so.Bounds(lb, [[1.0, 3.0], [1.5, 0.0]]))
    onp.testing.assert_allclose(onp.asarray(res.x), [[1.0, 2.0], [1.5, 0.0]], atol=1e-7)


def test_constraints_get_exact_jacobians(scipy_call):
    con = {"type": "eq", "fun": lambda x: np.sum(x) - 1.0}
    res = minimize(lambda x: np.sum(x ** 2 * np.asarray([1.0, 3.0])), [2.0, -1.0], method="SLSQP",
                   constraints=[con, {"type": "ineq", "fun": lambda x: x[:1] - 0.8}])
    onp.testing.assert_allclose(onp.asarray(res.x), [0.8, 0.2], atol=1e-8)
    eq, ineq = scipy_call["constraints"]
    onp.testing.assert_array_equal(eq["jac"](onp.array([0.3, 4.0])), [[1.0, 1.0]])
    onp.testing.assert_array_equal(ineq["jac"](onp.array([0.3, 4.0])), [[1.0, 0.0]])


def test_user_jac_hessp_and_finite_differences():
    calls = {"jac": 0, "hessp": 0}

    def jac(x):
        calls["jac"] += 1
        return np.asarray(so.rosen_der(onp.asarray(x)))

    def hessp(x, p):
        calls["hessp"] += 1
        return np.asarray(so.rosen_hess_prod(onp.asarray(x), onp.asarray(p)))
    res = minimize(rosen, [-1.2, 1.0], method="Newton-CG", jac=jac, hessp=hessp, tol=1e-10)
    onp.testing.assert_allclose(onp.asarray(res.x), [1.0, 1.0], atol=1e-5)
    assert calls["jac"] > 0 and calls["hessp"] > 0
    res = minimize(rosen, [-1.2, 1.0], method="L-BFGS-B", jac="2-point")
    onp.testing.assert_allclose(onp.asarray(res.x), [1.0, 1.0], atol=1e-3)
    assert res.nfev > res.nit * 2  # finite differences: several evaluations per gradient


def test_devices_and_dtypes():
    seen = []

    def f(x):
        seen.append((x.device, x.dtype))
        return rosen(x)
    res = minimize(f, np.asarray([-1.2, 1.0], dtype=np.float32, device="sim"), method="L-BFGS-B")
    assert res.x.device == np.Device("sim") and res.x.dtype == np.float32
    assert set(seen) == {(np.Device("sim"), np.dtype("float32"))}
    onp.testing.assert_allclose(onp.asarray(res.x), [1.0, 1.0], atol=1e-2)
    res = minimize(lambda x: np.sum((x - 0.5) ** 2), [3, 4])  # integers become float64
    assert res.x.dtype == np.float64
    onp.testing.assert_allclose(onp.asarray(res.x), [0.5, 0.5], atol=1e-7)


def test_errors():
    with pytest.raises(TypeError, match="x0 must be real"):
        minimize(lambda x: np.sum(np.abs(x)), np.asarray([1j]))
    with pytest.raises(TypeError, match="real scalar"):
        minimize(lambda x: x ** 2, [1.0, 2.0])


def test_scipy_is_lazy_and_missing_scipy_is_explained():
    code = ("import sys, npflow; assert 'scipy' not in sys.modules\n"
            "sys.modules['scipy'] = None; sys.modules['scipy.optimize'] = None\n"
            "try:\n    npflow.optimize.minimize(lambda x: x @ x, [1.0])\n"  # (the old name: an alias)
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "SciPy" in out and "pip install scipy" in out and "npflow[test]" in out


def test_npflow_optimize_is_an_alias():
    import npflow.optimize
    assert npflow.optimize.minimize is nso.minimize and npflow.optimize.root is nso.root


def equations(x, a, b):
    return np.stack([x[0] + 0.5 * (x[0] - x[1]) ** 3 - a, 0.5 * (x[1] - x[0]) ** 3 + x[1] - b * np.sin(x[0])])


def equations_np(x, a, b):
    return onp.array([x[0] + 0.5 * (x[0] - x[1]) ** 3 - a, 0.5 * (x[1] - x[0]) ** 3 + x[1] - b * onp.sin(x[0])])


@pytest.mark.parametrize("method", ["hybr", "lm", "broyden1", "krylov", "df-sane"])
def test_root_against_scipy(method):
    got = nso.root(equations, np.asarray([0.5, 0.5]), args=(1.5, 2.0), method=method)
    jac = {"jac": lambda x, a, b: onp.asarray(np.jacfwd(lambda v: equations(v, a, b))(np.asarray(x)))} \
        if method in ("hybr", "lm") else {}
    want = so.root(equations_np, onp.array([0.5, 0.5]), args=(1.5, 2.0), method=method, **jac)
    assert got.success == want.success and isinstance(got.x, np.ndarray)
    # (the quasi-Newton methods' iterates follow the last bit of every value: an npflow 0-d
    # array's x ** 3 and a NumPy scalar's may differ by an ulp, so they agree to their tolerance)
    tol = 1e-12 if jac else 1e-5
    onp.testing.assert_allclose(onp.asarray(got.x), want.x, rtol=tol)
    onp.testing.assert_allclose(onp.asarray(got.fun), want.fun, atol=tol)


def decay(x, t, y):
    return x[0] * np.exp(-x[1] * t) - y


T = onp.linspace(0.0, 2.0, 9)
Y = 2.0 * onp.exp(-0.7 * T) + 0.05 * onp.sin(7 * T)


@pytest.mark.parametrize("kw", [{}, {"method": "lm"}, {"method": "dogbox"}, {"bounds": ([0.0, 0.9], [3.0, 2.0])},
                                {"loss": "soft_l1", "f_scale": 0.1}, {"jac": "3-point"}], ids=str)
def test_least_squares_against_scipy(kw):
    got = nso.least_squares(decay, [1.0, 1.0], args=(np.asarray(T), np.asarray(Y)), **kw)
    jac = {} if "jac" in kw else {"jac": lambda x, t, y: onp.stack([onp.exp(-x[1] * t), -x[0] * t * onp.exp(-x[1] * t)], 1)}
    want = so.least_squares(lambda x, t, y: x[0] * onp.exp(-x[1] * t) - y, [1.0, 1.0], args=(T, Y), **{**jac, **kw})
    assert got.status == want.status and isinstance(got.x, np.ndarray) and got.x.shape == (2,)
    onp.testing.assert_allclose(onp.asarray(got.x), want.x, rtol=1e-10)
    onp.testing.assert_allclose(float(got.cost), want.cost, rtol=1e-10)
    assert got.fun.shape == (9,) and got.jac.shape == (9, 2)


@pytest.mark.parametrize("method", ["del2", "iteration"])
def test_fixed_point_against_scipy(method):
    got = nso.fixed_point(lambda x, c: np.cos(c * x), np.asarray([[0.3, 0.5], [0.2, 0.9]]), args=(np.asarray(0.8),),
                          method=method)
    want = so.fixed_point(lambda x, c: onp.cos(c * x), onp.array([[0.3, 0.5], [0.2, 0.9]]), args=(0.8,), method=method)
    assert got.shape == (2, 2) and isinstance(got, np.ndarray)
    onp.testing.assert_allclose(onp.asarray(got), want, rtol=1e-12)


def test_implicit_derivatives_by_tape_and_their_limits():
    """The solution's derivative in args is the implicit one (no solver iteration recorded);
    where the implicit function theorem does not apply (bounds, constraints, a robust loss, a
    solve that did not converge) differentiating raises instead of giving a wrong answer."""
    a = np.asarray(1.5)
    with np.GradientTape() as tape:
        tape.watch(a)
        x0 = nso.root(equations, [0.5, 0.5], args=(a, 2.0), tol=1e-13).x[0]
    g = tape.gradient(x0, a)
    eps = 1e-6
    fd = (float(nso.root(equations, [0.5, 0.5], args=(1.5 + eps, 2.0), tol=1e-13).x[0])
          - float(nso.root(equations, [0.5, 0.5], args=(1.5 - eps, 2.0), tol=1e-13).x[0])) / (2 * eps)
    assert abs(float(g) - fd) < 1e-6
    y = np.asarray(Y)
    for call, match in [
            (lambda y: nso.least_squares(decay, [1.0, 1.0], args=(np.asarray(T), y), bounds=([0, 0], [3, 3])).x,
             "least_squares.*bounds"),
            (lambda y: nso.least_squares(decay, [1.0, 1.0], args=(np.asarray(T), y), loss="huber").x,
             "least_squares.*linear loss"),
            (lambda y: minimize(lambda x, y: np.sum((x - y[:2]) ** 2), [0.0, 0.0], args=(y,), bounds=[(0, 1)] * 2).x,
             "minimize.*bounds")]:
        with pytest.raises(np.AutodiffError, match=match):
            np.grad(lambda y: np.sum(call(y)))(y)
    for call in [lambda a: nso.root(equations, [0.5, 0.5], args=(a, 2.0), options={"maxfev": 2}).x,
                 lambda a: minimize(lambda x, a: np.sum((x - a) ** 4), [0.0, 0.0], args=(a,), method="BFGS",
                                    options={"maxiter": 2}).x]:
        with pytest.raises(np.AutodiffError, match="did not converge"):
            np.grad(lambda a: np.sum(call(a)))(a)
    with pytest.raises(ValueError, match="as many values"):
        nso.root(lambda x: np.sum(x), [1.0, 2.0])
    with pytest.raises(TypeError, match="x0 must be real"):
        nso.root(lambda x: x, [1j])
