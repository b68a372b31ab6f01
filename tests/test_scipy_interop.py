"""SciPy itself on npflow arrays and callables (issue 14, part 3): scipy.optimize with npflow's
derivatives for every method, least_squares, root, solve_ivp and quad with npflow callables, and
SciPy's ufuncs on npflow arrays. Each is compared with the same SciPy call on NumPy callables.
The rule that makes them work (NumPy's functions on plain CPU npflow arrays give NumPy's results;
ufuncs give npflow arrays) is the README's, tested in tests/test_interop.py."""
import warnings

import numpy as onp
import pytest

import npflow as nf

scipy = pytest.importorskip("scipy")  # (SciPy is optional: the scipy extra)
from scipy import integrate, optimize, special  # noqa: E402


def rosen(x):
    return nf.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


X0 = [-1.2, 1.0, 0.8]
# method -> the derivatives SciPy takes for it (SciPy's list: optimize._minimize.MINIMIZE_METHODS)
MINIMIZE = {"Nelder-Mead": (), "Powell": (), "CG": ("jac",), "BFGS": ("jac",),
            "Newton-CG": ("jac", "hess"), "L-BFGS-B": ("jac",), "TNC": ("jac",), "COBYLA": (),
            "COBYQA": (), "SLSQP": ("jac",), "trust-constr": ("jac", "hess"),
            "dogleg": ("jac", "hess"), "trust-ncg": ("jac", "hess"), "trust-exact": ("jac", "hess"),
            "trust-krylov": ("jac", "hess")}
DERIVATIVES = {"jac": (nf.grad(rosen), optimize.rosen_der), "hess": (nf.hessian(rosen), optimize.rosen_hess)}


def _quiet(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (SciPy's own, on both runs alike)
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        return run()


def test_every_minimize_method_is_in_the_table():
    methods = getattr(getattr(optimize, "_minimize", None), "MINIMIZE_METHODS", None)
    if methods is None:
        pytest.skip("this SciPy does not list its methods")
    assert set(methods) <= {m.lower() for m in MINIMIZE}


@pytest.mark.parametrize("method", MINIMIZE)
def test_minimize_with_npflow_function_and_derivatives(method):
    """scipy.optimize.minimize(f, x0, jac=npflow.grad(f), hess=npflow.hessian(f)): SciPy's answer
    with SciPy's own Rosenbrock and its analytic derivatives, and NumPy arrays back."""
    opts = {"maxfun": 3000} if method == "TNC" else {"maxiter": 600 if method == "COBYLA" else 3000}
    take = MINIMIZE[method]
    got = _quiet(lambda: optimize.minimize(rosen, nf.asarray(X0), method=method, options=opts,
                                           **{k: DERIVATIVES[k][0] for k in take}))
    ref = _quiet(lambda: optimize.minimize(optimize.rosen, onp.asarray(X0), method=method, options=opts,
                                           **{k: DERIVATIVES[k][1] for k in take}))
    assert type(got.x) is onp.ndarray and got.success == ref.success
    tol = 3e-3 if method == "TNC" else 1e-5  # (TNC stops early: the gradients' last bits move it)
    onp.testing.assert_allclose(got.x, ref.x, rtol=tol, atol=tol / 10)
    onp.testing.assert_allclose(float(got.fun), float(ref.fun), rtol=tol, atol=tol * 1e-3)


CONSTRAINED = ["SLSQP", "trust-constr", "COBYLA", "COBYQA"]


@pytest.mark.parametrize("method", CONSTRAINED)
def test_minimize_with_npflow_constraints(method):
    """An npflow inequality constraint (and its npflow.grad Jacobian): the ball of radius 0.8."""
    def ball(m):
        return lambda x: 0.64 - m.sum(x * x)
    take = MINIMIZE[method]
    runs = []
    for m, f, x0, jac in ((nf, rosen, nf.asarray(X0), nf.grad(ball(nf))),
                          (onp, optimize.rosen, onp.asarray(X0), lambda x: -2 * x)):
        kw = {k: DERIVATIVES[k][m is onp] for k in take}
        runs.append(_quiet(lambda: optimize.minimize(
            f, x0, method=method, constraints=[{"type": "ineq", "fun": ball(m), "jac": jac}],
            options={"maxiter": 3000}, **kw)))
    got, ref = runs
    assert got.success == ref.success
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-4, atol=1e-5)
    assert float(onp.sum(got.x ** 2)) <= 0.64 + 1e-6


def _residuals(m):
    t = onp.linspace(0.0, 1.0, 8)
    y = 2.0 * onp.exp(-1.5 * t) + 0.1

    def r(p):
        return p[0] * m.exp(-p[1] * t) + p[2] - y
    return r


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_least_squares_with_npflow_residuals_and_jacobian(method):
    r_nf, r_np = _residuals(nf), _residuals(onp)
    got = optimize.least_squares(r_nf, nf.asarray([1.0, 1.0, 0.0]), jac=nf.jacobian(r_nf), method=method)
    ref = optimize.least_squares(r_np, onp.asarray([1.0, 1.0, 0.0]), method=method)
    assert got.success and type(got.x) is onp.ndarray
    onp.testing.assert_allclose(got.x, ref.x, rtol=1e-6, atol=1e-8)
    onp.testing.assert_allclose(got.x, [2.0, 1.5, 0.1], rtol=1e-6)


def _system(m):
    def f(x):
        return m.stack([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]]) \
            if m is nf else onp.array([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]])
    return f


ROOT = ["hybr", "lm", "broyden1", "broyden2", "anderson", "linearmixing", "diagbroyden",
        "excitingmixing", "krylov", "df-sane"]


def _system_jacobian(x):
    d2 = 1.5 * (x[0] - x[1]) ** 2
    return onp.array([[1.0 + d2, -d2], [-d2, 1.0 + d2]])


@pytest.mark.parametrize("method", ROOT)
def test_root_with_npflow_function(method):
    """Every root method; npflow.jacobian as the Jacobian where SciPy takes one."""
    takes = method in ("hybr", "lm")
    got = _quiet(lambda: optimize.root(_system(nf), nf.asarray([0.0, 0.0]), method=method,
                                       **({"jac": nf.jacobian(_system(nf))} if takes else {})))
    ref = _quiet(lambda: optimize.root(_system(onp), onp.asarray([0.0, 0.0]), method=method,
                                       **({"jac": _system_jacobian} if takes else {})))
    assert got.success == ref.success
    if ref.success:
        onp.testing.assert_allclose(got.x, ref.x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA"])
def test_solve_ivp_with_npflow_right_hand_side(method):
    """A damped oscillator; the implicit methods take npflow.jacobian of the right-hand side."""
    def rhs(m):
        return lambda t, y: m.stack([y[1], -y[0] - 0.3 * y[1]]) if m is nf else onp.array([y[1], -y[0] - 0.3 * y[1]])
    jac = {"jac": nf.jacobian(rhs(nf), argnums=1)} if method in ("Radau", "BDF", "LSODA") else {}
    t = onp.linspace(0.0, 3.0, 7)
    got = integrate.solve_ivp(rhs(nf), (0.0, 3.0), nf.asarray([1.0, 0.0]), method=method, t_eval=t,
                              rtol=1e-8, atol=1e-10, **jac)
    ref = integrate.solve_ivp(rhs(onp), (0.0, 3.0), onp.asarray([1.0, 0.0]), method=method, t_eval=t,
                              rtol=1e-8, atol=1e-10)
    assert got.success and type(got.y) is onp.ndarray
    onp.testing.assert_allclose(got.y, ref.y, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("label,f_nf,f_np", [
    ("sin2", lambda t: nf.sin(t) ** 2, lambda t: onp.sin(t) ** 2),
    ("gauss", lambda t: nf.exp(-t * t), lambda t: onp.exp(-t * t)),
    ("array-weight", lambda t: nf.sum(nf.asarray([1.0, 2.0]) * t), lambda t: 3.0 * t)],
    ids=["sin2", "gauss", "array-weight"])
def test_quad_with_npflow_integrand(label, f_nf, f_np):
    got, ref = integrate.quad(f_nf, 0.0, 2.0), integrate.quad(f_np, 0.0, 2.0)
    onp.testing.assert_allclose(got[0], ref[0], rtol=1e-12)


# -- SciPy's ufuncs on npflow arrays -----------------------------------------------------------
UFUNCS = [("erf", (0,)), ("gammaln", (0,)), ("expit", (0,)), ("ellipk", (0,)), ("jv", (1,)),
          ("xlogy", (0, 1)), ("ndtri", (0,)), ("sici", (0,))]  # (name, the operands given as npflow)


@pytest.mark.parametrize("device", ["cpu", "sim"])
@pytest.mark.parametrize("name,which", UFUNCS, ids=[u[0] for u in UFUNCS])
def test_scipy_ufuncs_give_npflow_arrays(name, which, device):
    """scipy.special's ufuncs on npflow arrays: SciPy's values and dtypes, as npflow arrays on the
    operands' device (a tuple for several outputs); an npflow out= is written."""
    uf = getattr(special, name)
    host = [onp.linspace(0.05, 0.9, 5), onp.linspace(1.0, 3.0, 5)][:uf.nin]
    args = [nf.asarray(h, device=device) if i in which else h for i, h in enumerate(host)]
    got, expected = uf(*args), uf(*host)
    for g, e in zip(*((got, expected) if uf.nout > 1 else ((got,), (expected,)))):
        assert isinstance(g, nf.ndarray) and g.device == nf.Device(device)
        assert g.dtype == e.dtype
        onp.testing.assert_array_equal(onp.asarray(g.to_device("cpu")), e)
    if uf.nout == 1:
        out = nf.zeros(5, device=device)
        assert uf(*args, out=out) is out
        onp.testing.assert_array_equal(onp.asarray(out.to_device("cpu")), expected)


@pytest.mark.parametrize("name,which", UFUNCS, ids=[u[0] for u in UFUNCS])
def test_scipy_ufuncs_under_a_trace_name_npflow_s_function(name, which):
    """Under a trace SciPy's ufunc would drop the derivative: a TypeError, naming
    npflow.scipy.special's function where npflow has one."""
    uf = getattr(special, name)
    import npflow.scipy.special as nss
    host = [onp.linspace(0.05, 0.9, 5), onp.linspace(1.0, 3.0, 5)][:uf.nin]

    def f(v):
        args = [v if i in which else h for i, h in enumerate(host)]
        r = uf(*args)
        return nf.sum(r[0] if isinstance(r, tuple) else r)
    match = f"npflow.scipy.special.{name}" if hasattr(nss, name) else "no derivative"
    with pytest.raises(TypeError, match=match):
        nf.grad(f)(nf.asarray(host[which[0]]))
