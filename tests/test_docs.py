"""The documentation: every docstring's and guide's example runs (doctests), and the site builds
with no warning (Sphinx with -W). Part of the one test command, so `.ci/run` is the README's."""
import doctest
import importlib
import os
import pkgutil
import subprocess
import sys

import pytest

import npflow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules():
    return sorted(m.name for m in pkgutil.walk_packages(npflow.__path__, "npflow.")
                  if m.name != "npflow.demo")  # (the demo trains a network when run, not on import)


def _guides():
    return sorted(os.path.relpath(os.path.join(d, f), DOCS) for d, dirs, files in os.walk(DOCS)
                  if not os.path.relpath(d, DOCS).startswith(("_build", "generated", "_ext"))
                  for f in files if f.endswith(".md"))


def _run(tests):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in tests:
        runner.run(t)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("name", ["npflow"] + _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    failed, _ = _run(tests)
    assert failed == 0, f"{failed} docstring example(s) of {name} failed (output above)"


@pytest.mark.parametrize("page", _guides())
def test_guide_examples_run(page):
    path = os.path.join(DOCS, page)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    test = doctest.DocTestParser().get_doctest(text, {}, page, path, 0)
    failed, _ = _run([test])
    assert failed == 0, f"{failed} example(s) of docs/{page} failed (output above)"


def test_the_site_builds_without_warnings(tmp_path):
    """The README's docs command, warnings as errors, into a scratch folder."""
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", DOCS,
                        str(tmp_path / "html")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
