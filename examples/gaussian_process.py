"""Gaussian-process regression: the RBF kernel's length-scale, signal variance and noise
variance fitted by maximising the log marginal likelihood, ``multivariate_normal.logpdf(y,
cov=K)`` of ``npflow.scipy.stats`` (SciPy's L-BFGS-B with npflow's exact gradient, through the
kernel matrix's factorisation), on noisy samples of a known function with known noise; the
posterior from ``npflow.scipy.linalg``'s Cholesky solves; checked against scikit-learn's fit.

    python examples/gaussian_process.py                      # n = 100 points
    NPFLOW_DEVICE=cuda python examples/gaussian_process.py   # on the GPU
"""
import math
import time

import numpy as onp

import npflow as np
from npflow.optimize import minimize
from npflow.scipy.linalg import cholesky, solve_triangular
from npflow.scipy.stats import multivariate_normal

NOISE_STD = 0.2  # the known noise level of the data


def truth(x):
    return np.sin(x) + 0.5 * np.sin(3.0 * x)


def rbf(a, b, log_length_scale, log_signal_variance):
    """The RBF (squared-exponential) kernel matrix between points ``a`` and ``b`` (1-d)."""
    sq = (a[:, None] - b[None, :]) ** 2
    return np.exp(log_signal_variance - 0.5 * sq * np.exp(-2.0 * log_length_scale))


def neg_log_marginal_likelihood(theta, x, y):
    """-log p(y | x, theta) for theta = (log length-scale, log signal variance, log noise variance)."""
    K = rbf(x, x, theta[0], theta[1]) + np.exp(theta[2]) * np.eye(x.shape[0], device=x.device)
    return -multivariate_normal.logpdf(y, cov=K)


def predict(theta, x, y, x_new):
    """The posterior mean and standard deviation at ``x_new``."""
    K = rbf(x, x, theta[0], theta[1]) + np.exp(theta[2]) * np.eye(x.shape[0], device=x.device)
    L = cholesky(K, lower=True)
    V = solve_triangular(L, rbf(x, x_new, theta[0], theta[1]), lower=True)
    mean = V.T @ solve_triangular(L, y, lower=True)
    return mean, np.sqrt(np.exp(theta[1]) - np.sum(V ** 2, axis=0))


def data(n, seed):
    rng = onp.random.default_rng(seed)
    x = onp.sort(rng.uniform(-5.0, 5.0, n))
    y = onp.asarray(truth(np.asarray(x))) + NOISE_STD * rng.normal(size=n)
    return np.asarray(x), np.asarray(y)


def main(n=100, seed=0, compare_sklearn=True):
    """Fit the hyperparameters to ``n`` noisy samples; returns them, the posterior mean's RMS
    error against the true function, and (optionally) scikit-learn's fit of the same model."""
    x, y = data(n, seed)
    theta0 = np.asarray([0.0, 0.0, math.log(0.1)])
    start = time.perf_counter()
    res = minimize(neg_log_marginal_likelihood, theta0, args=(x, y), method="L-BFGS-B")
    seconds = time.perf_counter() - start
    grid = np.linspace(-5.0, 5.0, 201, device=x.device)
    mean, std = predict(res.x, x, y, grid)
    ell, sf2, sn2 = (float(v) for v in np.exp(res.x))
    result = {"length_scale": ell, "signal_variance": sf2, "noise_variance": sn2,
              "noise_std": math.sqrt(sn2), "rmse": float(np.sqrt(np.mean((mean - truth(grid)) ** 2))),
              "coverage_2sd": float(np.mean(np.abs(mean - truth(grid)) < 2 * std)),
              "neg_log_marginal_likelihood": float(res.fun), "iterations": int(res.nit),
              "seconds": seconds, "device": str(x.device)}
    print(f"GP on {n} noisy samples of sin(x) + sin(3x)/2 (noise std {NOISE_STD}) on {result['device']}: "
          f"length-scale {ell:.4f}, signal variance {sf2:.4f}, noise std {result['noise_std']:.4f}; "
          f"-log ML {result['neg_log_marginal_likelihood']:.4f}; posterior-mean RMSE {result['rmse']:.4f} "
          f"({res.nit} L-BFGS-B iterations, {seconds:.2f} s)")
    if compare_sklearn:
        result["sklearn"] = sklearn_fit(x, y)
        print("scikit-learn's GaussianProcessRegressor: length-scale {length_scale:.4f}, signal variance "
              "{signal_variance:.4f}, noise std {noise_std:.4f}; -log ML "
              "{neg_log_marginal_likelihood:.4f}".format(**result["sklearn"]))
    return result


def sklearn_fit(x, y):
    """The same model fitted by scikit-learn, from the same starting point."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = ConstantKernel(1.0) * RBF(1.0) + WhiteKernel(0.1)
    gp = GaussianProcessRegressor(kernel, alpha=0.0).fit(onp.asarray(x)[:, None], onp.asarray(y))
    k = gp.kernel_
    return {"length_scale": float(k.k1.k2.length_scale), "signal_variance": float(k.k1.k1.constant_value),
            "noise_variance": float(k.k2.noise_level), "noise_std": math.sqrt(k.k2.noise_level),
            "neg_log_marginal_likelihood": -float(gp.log_marginal_likelihood_value_)}


if __name__ == "__main__":
    main()
