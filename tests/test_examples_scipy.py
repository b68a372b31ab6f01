"""Smoke tests of the SciPy-bridge examples (logistic regression) at small sizes (the Gaussian
process: tests/test_scipy_examples.py)."""
from support import load_example as load


def test_logistic_regression_matches_sklearn():
    r = load("logistic_regression").main(n_samples=200)
    assert r["n_train"] == 150 and r["n_test"] == 50
    assert r["coef_rel_diff"] < 1e-4  # the same weights as scikit-learn's LogisticRegression
    assert r["test_accuracy"] >= 0.9 and r["test_accuracy"] == r["sklearn_test_accuracy"]
    assert 0.0 < r["loss"] < 0.2

