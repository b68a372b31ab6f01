"""L2-regularised logistic regression on scikit-learn's breast-cancer data, fitted by SciPy's
L-BFGS-B with npflow's exact gradient, and checked against scikit-learn's LogisticRegression.

    python examples/logistic_regression.py                      # the full data set
    NPFLOW_DEVICE=cuda python examples/logistic_regression.py   # on the GPU
"""
import time

import numpy as onp
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import npflow as np
from npflow.optimize import minimize


def loss(params, X, y, C):
    """Mean log-loss plus ||w||^2 / (2 C n): scikit-learn's objective divided by C n (the same
    minimiser); labels are 0/1, the intercept ``params[-1]`` is not penalised."""
    w, b = params[:-1], params[-1]
    margins = (2.0 * y - 1.0) * (X @ w + b)
    return np.mean(np.logaddexp(0.0, -margins)) + np.sum(w ** 2) / (2.0 * C * X.shape[0])


def main(n_samples=None, C=1.0, test_fraction=0.25, seed=0):
    """Fit on a standardised train split (of ``n_samples`` shuffled samples, all by default);
    returns test accuracy, final loss and the largest difference from scikit-learn's weights."""
    data = load_breast_cancer()
    order = onp.random.default_rng(seed).permutation(len(data.target))[:n_samples]
    X, y = np.asarray(data.data[order]), np.asarray(data.target[order], dtype=np.float64)
    n_test = int(round(test_fraction * len(order)))
    X_train, y_train, X_test, y_test = X[n_test:], y[n_test:], X[:n_test], y[:n_test]
    mean, std = np.mean(X_train, axis=0), np.std(X_train, axis=0)
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

    start = time.perf_counter()
    res = minimize(loss, np.zeros(X.shape[1] + 1), args=(X_train, y_train, C), method="L-BFGS-B",
                   options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10_000})
    seconds = time.perf_counter() - start
    w, b = res.x[:-1], res.x[-1]
    accuracy = float(np.mean((X_test @ w + b > 0) == (y_test > 0.5)))

    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(onp.asarray(X_train), onp.asarray(y_train))
    ref_params = onp.append(ref.coef_[0], ref.intercept_)
    coef_diff = float(onp.max(onp.abs(onp.asarray(res.x) - ref_params)) / onp.max(onp.abs(ref_params)))
    result = {"test_accuracy": accuracy, "loss": float(res.fun), "iterations": int(res.nit),
              "sklearn_test_accuracy": float(ref.score(onp.asarray(X_test), onp.asarray(y_test))),
              "coef_rel_diff": coef_diff, "seconds": seconds, "device": str(X.device),
              "n_train": int(X_train.shape[0]), "n_test": int(X_test.shape[0])}
    print(f"logistic regression on breast cancer ({result['n_train']} train, {result['n_test']} test, "
          f"C={C}) on {result['device']}: L-BFGS-B took {result['iterations']} iterations, "
          f"{seconds:.2f} s; final loss {result['loss']:.6f}; test accuracy {accuracy:.4f} "
          f"(scikit-learn: {result['sklearn_test_accuracy']:.4f}); largest weight difference from "
          f"scikit-learn's {coef_diff:.1e} (relative)")
    return result


if __name__ == "__main__":
    main()
