"""Smoke tests of the examples that train and simulate (digits network, projectile, ODE
sensitivities) and of the demo, at small sizes, against known answers."""
import math
import sys

import pytest

import npflow as np
from support import load_example as load
from npflow import demo


@pytest.fixture(scope="module")
def projectile():
    return load("projectile")


@pytest.fixture(scope="module")
def ode():
    return load("ode_sensitivity")


# -- digits network and demo -----------------------------------------------------------------

def test_digits_learns_in_a_few_epochs():
    seen = []
    accuracy, losses = load("digits_mlp").main(epochs=3, hidden=16, progress=lambda *a: seen.append(a))
    assert accuracy > 0.8
    assert len(losses) == 3 and losses[0] > losses[1] > losses[2]
    assert [s[:2] for s in seen] == [(1, 3), (2, 3), (3, 3)] and seen[-1][2] == losses[-1]


def test_digits_full_run_reaches_95_percent():  # the acceptance (about a second on the CPU)
    accuracy, losses = load("digits_mlp").main()
    assert accuracy >= 0.95 and losses[-1] < 0.05


def test_digits_data_split():
    X_train, y_train, X_test, y_test = demo.load_digits(seed=0)
    assert X_train.shape == (1438, 64) and X_test.shape == (359, 64) and y_test.shape == (359,)
    assert float(np.max(np.abs(np.mean(X_train, axis=0)))) < 1e-12  # standardised on the train set
    assert set(np.unique(y_train).tolist()) == set(range(10))


@pytest.mark.parametrize("matplotlib", [True, False], ids=["plot", "no-matplotlib"])
def test_demo(tmp_path, monkeypatch, capsys, matplotlib):
    if matplotlib:
        pytest.importorskip("matplotlib.figure")
    else:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.chdir(tmp_path)
    assert demo.main(epochs=2, hidden=16) == 0
    out = capsys.readouterr().out
    png = tmp_path / "npflow_demo_loss.png"
    assert "device: cpu" in out and "epoch 2/2" in out and "[" + "#" * 30 + "]" in out
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert 80.0 < accuracy <= 100.0
    if matplotlib:
        assert f"loss curve saved to {png}" in out and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "plot skipped: matplotlib is not installed" in out and not png.exists()


def test_demo_without_scikit_learn(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    monkeypatch.chdir(tmp_path)
    assert demo.main(epochs=1, hidden=4) == 1
    err = capsys.readouterr().err
    assert "scikit-learn" in err and 'pip install -e ".[demo]"' in err
    assert not list(tmp_path.iterdir())


# -- projectile: Newton's method through a fori_loop simulation --------------------------------

SMALL = dict(duration=8.0, steps=160)


def test_projectile_hits_target(projectile):
    angle, miss = projectile.main(target=100.0, **SMALL)
    assert miss < 1e-9
    # the converged answer (4000 steps: 19.2958 degrees); drag needs a steeper launch than vacuum
    assert math.degrees(angle) == pytest.approx(19.2958, abs=0.01)
    assert angle > 0.5 * math.asin(projectile.G * 100.0 / 50.0 ** 2)


@pytest.mark.parametrize("target,speed", [(150.0, 50.0), (40.0, 30.0)])
def test_projectile_without_drag_is_analytic(projectile, target, speed):
    angle, miss = projectile.main(target=target, speed=speed, drag=0.0, duration=6.0, steps=50)
    assert miss < 1e-9
    assert angle == pytest.approx(0.5 * math.asin(projectile.G * target / speed ** 2), abs=1e-10)


@pytest.mark.parametrize("angle", [0.2, 0.45, 0.7])
def test_projectile_gradient_matches_finite_differences(projectile, angle):
    grad = float(np.grad(projectile.flight_range)(np.asarray(angle), **SMALL))
    h = 1e-6
    up, down = (float(projectile.flight_range(angle + d, **SMALL)) for d in (h, -h))
    fd = (up - down) / (2 * h)
    assert grad == pytest.approx(fd, rel=1e-6)


def test_projectile_still_flying_is_an_error(projectile):
    with pytest.raises(ValueError, match="still in the air"):
        projectile.flight_range(0.8, duration=1.0, steps=10)


# -- ODE sensitivities through an RK4 loop --------------------------------------------------

def test_ode_sensitivities_match_closed_form(ode):
    sens, error = ode.main(steps=40)
    assert error < 1e-5
    exact = ode.closed_form_sensitivities(np.asarray([1.0, 10.0, 0.5]), 8.0).tolist()
    assert [sens[k] for k in ("r", "K", "y0")] == pytest.approx(exact, rel=1e-4)


def test_ode_sensitivity_error_is_fourth_order(ode):  # halving the step divides the error by 16
    coarse = ode.main(r=0.8, K=5.0, y0=1.0, T=5.0, steps=10)[1]
    fine = ode.main(r=0.8, K=5.0, y0=1.0, T=5.0, steps=20)[1]
    assert 10.0 < coarse / fine < 24.0


def test_examples_run_on_the_default_device(projectile, ode):  # "sim": a second device, simulated
    with np.default_device("sim"):
        X, y, _, _ = demo.load_digits()
        params, losses = demo.train(X[:200], y[:200], epochs=1, hidden=8)
        assert X.device == params["W1"].device == np.Device("sim") and losses[0] > 0
        angle = np.asarray(0.3)
        assert np.grad(projectile.flight_range)(angle, **SMALL).device == angle.device
        jac = np.jacrev(ode.final_state)(np.asarray([1.0, 10.0, 0.5]), 8.0, 10)
        assert jac.device == np.Device("sim")
