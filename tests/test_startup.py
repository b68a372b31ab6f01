"""Start-up: ``import npflow`` loads only what a script needs first (issue 20: at most 1.5x
``import numpy``'s wall time; benchmarks/run.py measures it). linalg, fft and random load on
first use, optional libraries never at import."""
import dis
import subprocess
import sys

import pytest

import npflow
from npflow.autodiff import rules
from npflow._core.registry import REGISTRY

NEVER = ("scipy", "cupy", "dask", "numba", "torch", "jax", "sklearn", "matplotlib")
LAZY = ("npflow.linalg", "npflow.fft", "npflow.random", "numpy.random", "secrets")


def _loaded_after(code):
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return set(out)


def test_import_loads_no_optional_library_nor_the_lazy_namespaces():
    loaded = _loaded_after("import npflow")
    assert not {m for m in loaded if m.split(".")[0] in NEVER}
    assert not loaded & set(LAZY)


@pytest.mark.parametrize("code", ["npflow.linalg.norm([3.0, 4.0])", "from npflow import fft",
                                  "npflow.random.default_rng(0)", "import npflow.random",
                                  "__import__('numpy').linalg.norm(npflow.ones(2, device='sim'))"])
def test_lazy_namespaces_load_on_first_use(code):
    name = "fft" if "fft" in code else "random" if "random" in code else "linalg"
    assert f"npflow.{name}" in _loaded_after(f"import npflow\n{code}")


def test_dir_and_missing_names():
    assert {"linalg", "fft", "random"} <= set(dir(npflow))
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        npflow.nonexistent


def _dis_names_read(fn):
    used = set(fn.__code__.co_cellvars)
    for ins in dis.get_instructions(fn.__code__):
        if ins.opname in rules._LOADS:
            used.update(ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
    return used


def test_rule_reads_from_bytecode_are_dis_s():
    """The rules' read names come from a direct bytecode scan (dis.get_instructions cost most of
    the import): the same names as dis gives, for every rule registered."""
    fns = []
    for op in REGISTRY.values():
        for rs in (op.vjp_plain, op.jvp):
            for r in (rs if isinstance(rs, tuple) else (rs,)) if rs is not None else ():
                r = getattr(r, "__wrapped__", r)
                fns += [f for f in (r, getattr(r, "d", None)) if hasattr(f, "__code__")]
    assert len(fns) > 300
    assert [f for f in fns if rules._names_read(f) != _dis_names_read(f)] == []
