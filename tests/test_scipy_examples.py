"""The npflow.scipy examples at small sizes, each against its known answer."""
import pytest

from support import load_example as load

pytest.importorskip("scipy")


def test_variational_inference_finds_the_exact_mean_field_optimum():
    r = load("variational_inference").main(n=30, d=3, n_samples=16)
    assert r["mean_error"] < 1e-6 and r["std_rel_error"] < 1e-6


def test_ode_parameter_fit_recovers_the_parameters():
    r = load("ode_parameter_fit").main(n_times=8, tol=1e-8)
    assert abs(r["k"] - 2.0) < 1e-5 and abs(r["c"] - 0.3) < 1e-5
