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
    ops = [n for n in CHECKED if not n.startswith("np.")]
    if CHECKED:
        terminalreporter.write_line(
            f"autodiff: {len(ops)} differentiable ops and {len(CHECKED) - len(ops)} composite public "
            f"functions checked against finite differences (first and second order, forward and "
            f"reverse mode)")
    from test_gradient_coverage import PUBLIC_SUMMARY
    if PUBLIC_SUMMARY:
        terminalreporter.write_line(
            f"autodiff: {PUBLIC_SUMMARY[0]} public functions gradient-checked, "
            f"{PUBLIC_SUMMARY[1]} declared non-differentiable")
    from test_namespace import COVERAGE
    for ns, (present, total, excluded) in COVERAGE.items():
        terminalreporter.write_line(
            f"namespace {ns}: {present}/{total} of NumPy's public callables present"
            + (f", {excluded} deliberately excluded" if excluded else ""))
