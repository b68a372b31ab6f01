import os
import sys
import warnings

import numpy as onp
import pytest
from hypothesis import settings, HealthCheck

import npflow.linalg, npflow.fft, npflow.random  # noqa: E401,F401  (loaded lazily by npflow; the
# tests that walk the op registry need their ops registered)

# "ci" (the default): the examples are a function of the test alone (derandomize), so a run's
# outcome depends only on the code and a green main stays green. "explore": fresh random
# examples on every run, ten times as many, the way to hunt for new failures
# (``HYPOTHESIS_PROFILE=explore python -m pytest tests/test_fuzz_programs.py``); a failure it finds
# names its seed or example, which then goes into a test.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _quiet_numpy():
    """NumPy's floating-point warnings are expected in differential tests (NaN, inf)."""
    with onp.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _coverage():
    """The coverage this process's tests recorded (what the terminal summary reports)."""
    from gradspecs import CHECKED
    from test_gradient_coverage import PUBLIC_SUMMARY
    from test_namespace import COVERAGE
    return CHECKED, PUBLIC_SUMMARY, COVERAGE


def _hand_coverage_to_controller(session):
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # a pytest-xdist worker: hand its coverage to the controller
        checked, public, coverage = _coverage()
        output["npflow_coverage"] = (sorted(checked), list(public), dict(coverage))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist's controller: merge a worker's coverage into its own, for the summary."""
    received = getattr(node, "workeroutput", {}).get("npflow_coverage")
    if received:
        checked, public, coverage = _coverage()
        checked.update(received[0])
        if received[1]:
            public[:] = received[1]
        coverage.update({ns: tuple(v) for ns, v in received[2].items()})


def pytest_terminal_summary(terminalreporter):
    CHECKED, PUBLIC_SUMMARY, COVERAGE = _coverage()
    ops = [n for n in CHECKED if not n.startswith("np.")]
    if CHECKED:
        terminalreporter.write_line(
            f"autodiff: {len(ops)} differentiable ops and {len(CHECKED) - len(ops)} composite public "
            f"functions checked against finite differences (first and second order, forward and "
            f"reverse mode)")
    if PUBLIC_SUMMARY:
        terminalreporter.write_line(
            f"autodiff: {PUBLIC_SUMMARY[0]} public functions gradient-checked, "
            f"{PUBLIC_SUMMARY[1]} declared non-differentiable")
    for ns, (present, total, excluded) in COVERAGE.items():
        terminalreporter.write_line(
            f"namespace {ns}: {present}/{total} of NumPy's public callables present"
            + (f", {excluded} deliberately excluded" if excluded else ""))


# -- the gpu marker, and recording a GPU run in tests/GPU_RESULTS.md (issue 6) -------------------
# NPFLOW_FAKE_CUPY=1: "cuda" is tests/fake_cupy.py (NumPy with CuPy's API departures), so the
# GPU tests' device paths can be rehearsed without a GPU. Their results say nothing about CuPy.
if os.environ.get("NPFLOW_FAKE_CUPY"):
    import fake_cupy
    sys.modules["cupy"] = fake_cupy


def pytest_addoption(parser):
    parser.addoption("--gpu-results", metavar="PATH", default=None,
                     help="append this run's outcome (date, GPU, CuPy version, counts) to PATH "
                          "(tests/GPU_RESULTS.md); only on a machine with a CUDA GPU")


def pytest_collection_modifyitems(config, items):
    try:
        from support import HAVE_GPU
    except Exception:  # npflow failed to import: the test modules' collection errors say why
        return
    if not HAVE_GPU:
        skip = pytest.mark.skip(reason="needs a CUDA GPU and CuPy (none available here)")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    _hand_coverage_to_controller(session)
    path = session.config.getoption("--gpu-results")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if path and reporter is not None:
        from test_gpu import record_gpu_run
        reporter.ensure_newline()
        reporter.write_line(record_gpu_run(path, reporter.stats, session.config.invocation_params.args))
