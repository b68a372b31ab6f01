"""The npflow.scipy examples at small sizes, each against its known answer."""
import math

import numpy as onp
import pytest

import npflow as np
from support import load_example as load

stats = pytest.importorskip("scipy.stats")


def test_variational_inference_finds_the_exact_mean_field_optimum():
    r = load("variational_inference").main(n=30, d=3, n_samples=16)
    assert r["mean_error"] < 1e-6 and r["std_rel_error"] < 1e-6


def test_ode_parameter_fit_recovers_the_parameters():
    r = load("ode_parameter_fit").main(n_times=8, tol=1e-8)
    assert abs(r["k"] - 2.0) < 1e-5 and abs(r["c"] - 0.3) < 1e-5


def test_ode_parameter_fit_adjoint_gradient_is_finite_differences():
    ex = load("ode_parameter_fit")
    t = np.linspace(0.0, 6.0, 8)
    obs = ex.observations(t, 1e-10)
    theta, h = onp.array([1.0, 0.1]), 1e-5
    g = np.grad(ex.loss)(np.asarray(theta), t, obs, 1e-10)     # odeint's adjoint
    fd = [(float(ex.loss(np.asarray(theta + h * e), t, obs, 1e-10))
           - float(ex.loss(np.asarray(theta - h * e), t, obs, 1e-10))) / (2 * h) for e in onp.eye(2)]
    onp.testing.assert_allclose(onp.asarray(g), fd, rtol=1e-5)


@pytest.fixture(scope="module")
def gp():
    return load("gaussian_process")


def test_gaussian_process_fit_matches_scikit_learn(gp):
    r = gp.main(n=40, seed=0)
    ref = r["sklearn"]  # the same maximum-likelihood problem, solved by scikit-learn
    for key in ("length_scale", "signal_variance", "noise_variance"):
        assert r[key] == pytest.approx(ref[key], rel=1e-3), key
    assert r["neg_log_marginal_likelihood"] == pytest.approx(ref["neg_log_marginal_likelihood"], abs=1e-6)
    assert r["noise_std"] == pytest.approx(gp.NOISE_STD, rel=0.25)  # the data's known noise
    assert r["rmse"] < 0.3


def test_gaussian_process_likelihood_is_scipys_and_its_gradient_finite_differences(gp):
    x, y = gp.data(20, seed=3)
    theta = onp.array([0.3, -0.2, math.log(0.05)])
    nll = gp.neg_log_marginal_likelihood
    K = onp.asarray(gp.rbf(x, x, theta[0], theta[1])) + math.exp(theta[2]) * onp.eye(20)
    want = -stats.multivariate_normal.logpdf(onp.asarray(y), cov=K)
    assert float(nll(np.asarray(theta), x, y)) == pytest.approx(want, rel=1e-12)
    g = np.grad(nll)(np.asarray(theta), x, y)
    h = 1e-5
    fd = [(float(nll(np.asarray(theta + h * e), x, y)) - float(nll(np.asarray(theta - h * e), x, y))) / (2 * h)
          for e in onp.eye(3)]
    onp.testing.assert_allclose(onp.asarray(g), fd, rtol=1e-6, atol=1e-8)
