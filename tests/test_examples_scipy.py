"""Smoke tests of the SciPy-bridge examples (logistic regression, Gaussian process) at small sizes."""
import math

import numpy as onp
import pytest

import npflow as np
from support import load_example as load


@pytest.fixture(scope="module")
def gp():
    return load("gaussian_process")


def test_logistic_regression_matches_sklearn():
    r = load("logistic_regression").main(n_samples=200)
    assert r["n_train"] == 150 and r["n_test"] == 50
    assert r["coef_rel_diff"] < 1e-4  # the same weights as scikit-learn's LogisticRegression
    assert r["test_accuracy"] >= 0.9 and r["test_accuracy"] == r["sklearn_test_accuracy"]
    assert 0.0 < r["loss"] < 0.2


def test_gaussian_process_fit(gp):
    r = gp.main(n=40, seed=0)
    ref = r["sklearn"]  # the same maximum-likelihood problem, solved by scikit-learn
    for key in ("length_scale", "signal_variance", "noise_variance"):
        assert r[key] == pytest.approx(ref[key], rel=1e-3), key
    assert r["neg_log_marginal_likelihood"] <= ref["neg_log_marginal_likelihood"] + 1e-6
    assert r["noise_std"] == pytest.approx(gp.NOISE_STD, rel=0.25)  # the data's known noise
    assert 0.5 < r["length_scale"] < 1.0
    assert r["rmse"] < 0.3


def test_gaussian_process_gradient_by_finite_differences(gp):
    x, y = gp.data(20, seed=3)
    theta = onp.array([0.3, -0.2, math.log(0.05)])
    nll = gp.neg_log_marginal_likelihood
    g = np.grad(nll)(np.asarray(theta), x, y)
    h = 1e-5
    fd = [(float(nll(np.asarray(theta + h * e), x, y)) - float(nll(np.asarray(theta - h * e), x, y))) / (2 * h)
          for e in onp.eye(3)]
    onp.testing.assert_allclose(onp.asarray(g), fd, rtol=1e-6, atol=1e-8)


def test_gaussian_process_linear_algebra(gp):
    rng = onp.random.default_rng(0)
    M = rng.normal(size=(7, 7))
    A, B = M @ M.T + 7 * onp.eye(7), rng.normal(size=(7, 3))
    L = gp.cholesky(np.asarray(A))
    onp.testing.assert_allclose(onp.asarray(L), onp.linalg.cholesky(A), rtol=1e-12, atol=1e-14)
    onp.testing.assert_allclose(onp.asarray(gp.solve_lower(L, np.asarray(B))),
                                onp.linalg.solve(onp.linalg.cholesky(A), B), rtol=1e-10, atol=1e-12)
