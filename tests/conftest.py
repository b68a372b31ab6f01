import warnings

import numpy as onp
import pytest
from hypothesis import settings, HealthCheck

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _quiet_numpy():
    """NumPy's floating-point warnings are expected in differential tests (NaN, inf)."""
    with onp.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def pytest_terminal_summary(terminalreporter):
    from gradspecs import CHECKED
    if CHECKED:
        terminalreporter.write_line(
            f"autodiff: {len(CHECKED)} differentiable ops checked against finite differences "
            f"(first and second order, forward and reverse mode)")
