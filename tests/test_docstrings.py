"""Every public name has a docstring that says what differs from NumPy where something does
(npflow/_docstrings.py: NumPy's text adopted by reference, npflow's differences from one table),
and no NumPy example is shown as npflow's."""
import inspect

import pytest

import npflow
from npflow import _docstrings as D


def _public():
    """(qualified name, object) of every public callable npflow documents itself."""
    out = []
    for modname, module in D.namespaces(discover=True).items():
        reference = D.numpy_counterpart(module)
        for name in D.public_names(module):
            obj = getattr(module, name)
            if callable(obj) and not D.is_numpys(obj, name, reference) and not D.slotted_doc(obj):
                out.append((f"{modname}.{name}", obj))
    classes = {obj for _, obj in out if isinstance(obj, type) and obj.__module__.startswith("npflow")}
    for cls in sorted(classes, key=lambda c: c.__qualname__):  # their members too
        out += [(f"{cls.__qualname__}.{n}", D.inspect_static(cls, n)) for n in D.public_members(cls)]
    return out


PUBLIC = _public()


def test_the_namespaces_are_enumerated():
    names = {n for n, _ in PUBLIC}
    assert {"npflow.sin", "npflow.grad", "npflow.linalg.inv", "npflow.fft.fft", "npflow.random.normal",
            "npflow.optimizers.Adam", "npflow.testing.check_grads", "npflow.Variable",
            "ndarray.sum", "ndarray.T", "Generator.normal", "Device.kind"} <= names
    assert "npflow.fft.arange" not in names  # a helper fft.py imports, not NumPy's fft's


def test_every_public_name_has_a_docstring():
    bare = [n for n, obj in PUBLIC if not (inspect.getdoc(obj) or "").strip()]
    assert not bare, f"public names without a docstring: {bare}"


@pytest.mark.parametrize("qualified", sorted(D.NOTES))
def test_each_difference_is_in_its_docstring(qualified):
    sub, _, name = qualified.rpartition(".")
    obj = getattr(getattr(npflow, sub) if sub else npflow, name)
    assert D.NOTES[qualified] in inspect.getdoc(obj)


def test_numpy_examples_are_never_shown_as_npflows():
    adopted = [(n, obj.__doc__) for n, obj in PUBLIC if "NumPy's documentation of" in (obj.__doc__ or "")]
    assert len(adopted) > 250  # (the ufuncs, the creation and manipulation functions, ...)
    shown = [n for n, doc in adopted if ">>>" in doc]
    assert not shown, f"NumPy's examples in: {shown}"
    assert "npflow's ``inv`` is NumPy's ``numpy.linalg.inv``" in npflow.linalg.inv.__doc__


_A, _V = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.0, 1.0, 2.0]
ZERO_D_CALLS = {"dot": (_V, _V), "vdot": (_V, _V), "linalg.det": ([[2.0, 0.0], [0.0, 2.0]],)}


@pytest.mark.parametrize("qualified", sorted(q for q, note in D.NOTES.items() if note is D._ZERO_D))
def test_the_zero_d_note_is_true(qualified):
    """Where NumPy gives a scalar, the functions the note names give a 0-d npflow array."""
    import numpy as onp
    sub, _, name = qualified.rpartition(".")
    args = ZERO_D_CALLS.get(qualified, (_A,))
    theirs = getattr(getattr(onp, sub) if sub else onp, name)(*map(onp.asarray, args))
    mine = getattr(getattr(npflow, sub) if sub else npflow, name)(*map(npflow.asarray, args))
    assert not isinstance(theirs, onp.ndarray)
    assert isinstance(mine, npflow.ndarray) and mine.ndim == 0 and float(mine) == float(theirs)
