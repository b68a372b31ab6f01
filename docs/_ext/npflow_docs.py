"""The documentation's generated pages, written at build time into docs/generated/ (not kept in
git): the API reference, the coverage tables and the examples' pages.

- Reference: one page per public namespace, enumerated by npflow/_docstrings.py
  (``namespaces``, ``public_names``: the definition the docstring tests use too), so a namespace
  added later (``npflow.scipy``) gets its page with no list to edit here. Names are grouped by
  the module that defines them. A docstring adopted from NumPy is shown up to its marker line,
  then links to NumPy's page: NumPy's text is NumPy's to render, and its examples are not npflow's.
- Coverage: NumPy's names and which are differentiable (tests/test_gradient_coverage.py's
  ``classify``, the same decision the test suite enforces), the names left out
  (npflow/_numpy/excluded.py) and the Array API results (compliance/RESULTS.md, included).
- Examples: each script in examples/ and ``npflow.demo`` run once, their output (and the demo's
  plot) saved; reruns come from a cache keyed by the script's and npflow's sources.
"""
import hashlib
import importlib
import inspect
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy

import npflow
from npflow import _docstrings as D

DOCS = pathlib.Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
OUT = DOCS / "generated"
NUMPY_URL = "https://numpy.org/doc/stable/reference/{}generated/numpy.{}.html"  # (random/: its own)
# a module that defines public names -> its section title in the reference (others: the module's
# own first docstring line)
SECTIONS = {
    "autodiff": "Transforms, tapes and custom rules", "control_flow": "Control flow",
    "variables": "Variables", "optimizers": "Optimizers", "devices": "Devices",
    "dtypes": "Data types", "ndarray": "The array", "dispatch": "Devices",
    "_backends": "Devices",
}


def _write(path, text):
    """Write only when changed, so Sphinx rebuilds only what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# -- the API reference ----------------------------------------------------------------------------
def _section(obj):
    mod = getattr(obj, "__module__", None) or ""
    if not mod.startswith("npflow"):
        return None
    parts = [p for p in mod.split(".")[1:] if p not in ("_numpy", "_core", "_ops")]
    key = parts[0] if parts else "npflow"
    if key in SECTIONS:
        return SECTIONS[key]
    doc = (sys.modules[mod].__doc__ or key).strip().splitlines()[0]
    return doc.partition(":")[0].rstrip(".")  # "Array creation: ``array``, ..." -> its topic


def _directive(obj):
    return "autoclass" if isinstance(obj, type) else "autofunction"


def _reference_page(modname, module):
    reference = D.numpy_counterpart(module)
    groups, numpys, constants, top = {}, [], [], []
    for name in D.public_names(module):
        obj = getattr(module, name)
        if module is not npflow and getattr(npflow, name, None) is obj and callable(obj):
            top.append(name)  # documented once, on npflow's page
        elif D.is_numpys(obj, name, reference) or (callable(obj) and _section(obj) is None):
            numpys.append(name)
        elif not callable(obj):
            constants.append(name)
        else:
            groups.setdefault(_section(obj), []).append(name)
    head = (module.__doc__ or modname).strip().splitlines()[0]
    out = [f".. _api-{modname}:", "", modname, "=" * len(modname), "", head, ""]
    if reference is not None:
        out += [f"Every name mirrors ``{reference.__name__}``'s: where npflow's docstring is "
                f"NumPy's, the entry links to NumPy's page, after what npflow does differently.", ""]
    for title in sorted(groups, key=lambda t: (t != SECTIONS["ndarray"], t)):
        out += [title, "-" * len(title), ""]
        for name in groups[title]:
            obj = getattr(module, name)
            out.append(f".. {_directive(obj)}:: {modname}.{name}")
            if isinstance(obj, type) and not D.slotted_doc(obj):
                out.append("   :members:")
            out.append("")
    if top:
        title = "Also in npflow's namespace"
        out += [title, "-" * len(title), "", "Documented on npflow's page: " +
                ", ".join(f":py:obj:`npflow.{n}`" for n in top) + ".", ""]
    if numpys:
        title = "NumPy's own objects, re-exported"
        out += [title, "-" * len(title), "",
                "These are NumPy's objects themselves (``npflow.float32 is numpy.float32``):",
                "", ", ".join(f"``{n}``" for n in numpys), ""]
    if constants:
        out += ["Constants", "---------", "", ".. list-table::", "   :header-rows: 1", "",
                "   * - name", "     - value"]
        for name in constants:
            out += [f"   * - ``{name}``", f"     - ``{getattr(module, name)!r}``"]
        out.append("")
    return "\n".join(out)


def generate_reference():
    pages = []
    for modname, module in D.namespaces(discover=True).items():
        _write(OUT / "api" / f"{modname}.rst", _reference_page(modname, module))
        pages.append(modname)
    index = ["API reference", "=============", "",
             "One page per public namespace, each name with its docstring: what it does and what "
             "differs from NumPy.", "", ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {p}" for p in pages]
    _write(OUT / "api" / "index.rst", "\n".join(index) + "\n")


def process_docstring(app, what, name, obj, options, lines):
    """An adopted docstring: npflow's head and differences, then a link to NumPy's page."""
    prefix, suffix = D.MARKER.split("{name}")
    for i, line in enumerate(lines):
        if line.startswith(prefix) and line.endswith(suffix):
            target = line[len(prefix):-len(suffix)]
            url = NUMPY_URL.format("random/" if target.startswith("random.") else "", target)
            lines[i:] = [f"NumPy's documentation: `numpy.{target} <{url}>`__."]
            return


# -- coverage -----------------------------------------------------------------------------------
def generate_coverage():
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        coverage = importlib.import_module("test_gradient_coverage")
        from gradspecs.nondifferentiable import NONDIFFERENTIABLE
        checked, declared, missing = coverage.classify()
    finally:
        sys.path.remove(str(ROOT / "tests"))
    from npflow._numpy.excluded import EXCLUDED
    rows = [(n[3:], "yes (checked against finite differences)") for n in checked]
    for n in declared:
        op = coverage.op_of(n)
        reason = NONDIFFERENTIABLE.get(n[3:]) or ("no: its op has no derivative (integer, boolean "
                                                  "or piecewise-constant result)" if op else "no")
        rows.append((n[3:], reason if reason.startswith("no") else f"no: {reason}"))
    rows += [(n[3:], "**not decided**") for n in missing]
    out = ["# Coverage", "",
           "Generated at build time from the code and the test suite's own decisions "
           "(tests/test_gradient_coverage.py, tests/test_namespace.py, npflow/_numpy/excluded.py).",
           "", "## NumPy's names and their derivatives", "",
           f"Every public callable of `numpy`, `numpy.linalg`, `numpy.fft` and `numpy.random` that "
           f"npflow has ({len(rows)} names): {len(checked)} are differentiable, each checked "
           f"against finite differences at first and second order, {len(declared)} have no "
           f"derivative, each for the reason given.", "",
           "| name | differentiable |", "|---|---|"]
    out += [f"| `{n}` | {r} |" for n, r in sorted(rows)]
    out += ["", "## Left out of npflow", "",
            "NumPy's names npflow deliberately does not provide (npflow/_numpy/excluded.py).", "",
            "| name | why |", "|---|---|"]
    out += [f"| `{n}` | {r} |" for n, r in sorted(EXCLUDED.items())]
    out += ["", "## Array API", "", "The standard's own test suite run against npflow "
            "(`python compliance/run.py`, compliance/RESULTS.md):", "",
            "```{include} ../../compliance/RESULTS.md", ":start-line: 2", "```", ""]
    _write(OUT / "coverage.md", "\n".join(out))


# -- examples -----------------------------------------------------------------------------------
def _sources_hash(*paths):
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _run(argv, cwd, key):
    """A script's output, from the cache or run now."""
    cache = DOCS / "_build" / "examples-cache" / key
    if not (cache / "output.txt").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   MPLBACKEND="Agg")
        env.pop("NPFLOW_DEVICE", None)
        p = subprocess.run(argv, cwd=cache, env=env, capture_output=True, text=True, timeout=600)
        if p.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{p.stdout}\n{p.stderr}")
        lines = [line.rpartition("\r")[2] for line in p.stdout.splitlines()]  # progress bars
        text = "\n".join(lines).replace(f"{cache}{os.sep}", "")  # (files it wrote: by name)
        (cache / "output.txt").write_text(text + "\n")
    return cache


def generate_examples():
    npflow_sources = list((ROOT / "npflow").rglob("*.py"))
    scripts = sorted((ROOT / "examples").glob("*.py"))
    pages = []
    for script in scripts:
        cache = _run([sys.executable, str(script)], ROOT, f"{script.stem}-"
                     f"{_sources_hash(script, *npflow_sources)}")
        doc = (inspect.getdoc(_module_doc(script)) or script.stem)
        title = doc.splitlines()[0]
        page = [f"# {script.stem}", "", doc, "", "## Output", "",
                f"`python examples/{script.name}` printed (run when this page was built):", "",
                "```text", (cache / "output.txt").read_text().rstrip(), "```", "",
                "## The script", "", f"```{{literalinclude}} ../../../examples/{script.name}",
                ":language: python", "```", ""]
        _write(OUT / "examples" / f"{script.stem}.md", "\n".join(page))
        pages.append((script.stem, title))
    demo = ROOT / "npflow" / "demo.py"
    cache = _run([sys.executable, "-m", "npflow.demo"], ROOT, f"demo-{_sources_hash(*npflow_sources)}")
    shutil.copy(cache / "npflow_demo_loss.png", OUT / "examples" / "npflow_demo_loss.png")
    page = ["# npflow.demo", "", inspect.getdoc(_module_doc(demo)), "", "## Output", "",
            "`python -m npflow.demo` printed (run when this page was built):", "",
            "```text", (cache / "output.txt").read_text().rstrip(), "```", "",
            "![The training loss per epoch](npflow_demo_loss.png)", "", "## The code", "",
            "```{literalinclude} ../../../npflow/demo.py", ":language: python", "```", ""]
    _write(OUT / "examples" / "demo.md", "\n".join(page))
    index = ["# Examples", "", "Each example's page shows its output and its code; the output "
             "was produced by running it when this site was built.", "",
             "```{toctree}", ":maxdepth: 1", "", "demo", *[p for p, _ in pages], "```", ""]
    index += ["| example | what it does |", "|---|---|", "| [npflow.demo](demo) | "
              "the demo: a network learns the handwritten digits, with a plot of its loss |"]
    index += [f"| [{p}]({p}) | {t} |" for p, t in pages]
    _write(OUT / "examples" / "index.md", "\n".join(index) + "\n")


class _Doc:
    def __init__(self, doc):
        self.__doc__ = doc


def _module_doc(path):
    """A script's module docstring, read without running it."""
    import ast
    return _Doc(ast.get_docstring(ast.parse(path.read_text())) or "")


def generate(app):
    generate_reference()
    generate_coverage()
    generate_examples()


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", process_docstring, priority=400)  # before napoleon
    return {"parallel_read_safe": True, "version": npflow.__version__}
