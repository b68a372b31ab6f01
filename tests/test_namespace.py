"""npflow's namespace is NumPy's: every public callable of ``numpy``, ``numpy.linalg``,
``numpy.fft`` and ``numpy.random`` (functions and classes, enumerated at run time) is in
npflow or in npflow/_numpy/excluded.py with a reason, with NumPy's parameters."""
import inspect
import types

import numpy as onp
import pytest

import npflow as nf
from npflow._numpy.excluded import EXCLUDED

NAMESPACES = ("", "linalg", "fft", "random")
# npflow's functions may take these keyword-only parameters NumPy's lack (NumPy 2 itself gives
# device= to its creation functions; npflow gives it to every function that creates arrays;
# descending= is the Array API's keyword for sort and argsort, dtype= its keyword for fftfreq;
# chunks= is asarray's chunk layout on the Dask device; size= and fill_value= are JAX's keywords
# making nonzero, argwhere, flatnonzero, unique and where(condition) static-shaped, for jit)
EXTRA_KEYWORDS = {"device", "like", "descending", "dtype", "chunks", "size", "fill_value"}
# (namespace, name) -> why npflow's parameters differ from NumPy's
ALLOWED = {
    ("", "flatiter"): "NumPy's cannot be constructed from Python; npflow's x.flat builds it from x",
    ("", "ufunc"): "NumPy's cannot be constructed from Python; npflow's ufuncs are built by name",
    ("", "clip"): "the Array API names the positional bounds min and max (the suite checks it); "
                  "NumPy's a_min=/a_max= are keywords, and every NumPy call works",
    ("", "ndarray"): "NumPy's text signature says dtype=None, its constructor makes float64 either way; "
                     "npflow's says dtype=float, the same behaviour",
}
COVERAGE = {}  # namespace -> (present, total, excluded), reported in the terminal summary


def module(sub, lib):
    return lib if not sub else getattr(lib, sub, None)


def public_callables(sub):
    mod = module(sub, onp)
    return sorted(n for n in dir(mod) if not n.startswith("_") and callable(getattr(mod, n))
                  and not isinstance(getattr(mod, n), types.ModuleType))


def qualified(sub, name):
    return f"{sub}.{name}" if sub else name


def provided(sub, name):
    return getattr(module(sub, nf), name, None)


def parameters(fn):
    """[(name, kind, default)] of ``fn``'s signature, or None where it has none."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a text signature
        return None
    return [(p.name, p.kind, repr(p.default)) for p in sig.parameters.values()]


@pytest.mark.parametrize("sub", NAMESPACES, ids=[s or "numpy" for s in NAMESPACES])
def test_every_numpy_callable_is_provided_or_excluded(sub):
    names = public_callables(sub)
    present = [n for n in names if provided(sub, n) is not None]
    excluded = [n for n in names if qualified(sub, n) in EXCLUDED]
    COVERAGE[sub or "numpy"] = (len(present), len(names), len(excluded))
    missing = sorted(set(names) - set(present) - set(excluded))
    assert not missing, f"numpy{'.' + sub if sub else ''} callables missing from npflow: {missing}"


def test_excluded_names_are_few_real_absent_and_explained():
    assert len(EXCLUDED) <= 25, f"{len(EXCLUDED)} exclusions: at most 25"
    real = {qualified(sub, n) for sub in NAMESPACES for n in public_callables(sub)}
    for name, reason in EXCLUDED.items():
        sub, _, base = name.rpartition(".")
        assert name in real, f"excluded {name!r} is not a public callable of numpy"
        assert isinstance(reason, str) and len(reason.split()) >= 3, f"{name}: no reason given"
        assert provided(sub, base) is None, f"{name} is excluded but npflow has it"


def _pairs():
    """(namespace, name) where both sides have a signature and npflow's object is its own."""
    pairs = []
    for sub in NAMESPACES:
        for name in public_callables(sub):
            theirs, mine = getattr(module(sub, onp), name), provided(sub, name)
            if mine is not None and mine is not theirs and parameters(theirs) is not None \
                    and parameters(mine) is not None:
                pairs.append((sub, name))
    return pairs


PAIRS = _pairs()


def _differ(sub, name):
    theirs = parameters(getattr(module(sub, onp), name))
    names = {n for n, _, _ in theirs}
    mine = [(n, k, d) for n, k, d in parameters(provided(sub, name))
            if not (k is inspect.Parameter.KEYWORD_ONLY and n in EXTRA_KEYWORDS and n not in names)]
    return (theirs, mine) if theirs != mine else None


@pytest.mark.parametrize("sub,name", PAIRS, ids=[f"{s}.{n}" if s else n for s, n in PAIRS])
def test_signature_is_numpys(sub, name):
    if (sub, name) in ALLOWED:
        assert _differ(sub, name), f"{name} matches NumPy now: remove it from ALLOWED"
        return
    differ = _differ(sub, name)
    assert not differ, f"{name}: NumPy's parameters {differ[0]}, npflow's {differ[1]}"


def test_allowances_are_explained():
    for key, reason in ALLOWED.items():
        assert len(reason.split()) >= 3 and key[1] in public_callables(key[0])


def test_submodules_a_script_uses():
    """np.emath, np.dtypes, np.exceptions are there (the last two are NumPy's own)."""
    assert nf.dtypes is onp.dtypes and nf.exceptions is onp.exceptions
    assert sorted(nf.emath.__all__) == sorted(n for n in dir(onp.emath) if not n.startswith("_")
                                               and callable(getattr(onp.emath, n)))


def _public_functions():
    """(namespace, name) of every public callable of npflow's namespaces that is not a class
    (a namespace's ``__all__`` where it has one)."""
    return [(sub, n) for sub in NAMESPACES
            for n in sorted(getattr(module(sub, nf), "__all__", None) or dir(module(sub, nf)))
            if not n.startswith("_") and callable(getattr(module(sub, nf), n))
            and not isinstance(getattr(module(sub, nf), n), (type, types.ModuleType))
            and getattr(module(sub, nf), n) is not getattr(module(sub, onp), n, None)]


FUNCTIONS = _public_functions()


@pytest.mark.parametrize("sub,name", FUNCTIONS, ids=[qualified(s, n) for s, n in FUNCTIONS])
def test_public_functions_are_numpy_like_callables(sub, name):
    """As NumPy's functions and ufuncs: not descriptors (a class attribute does not bind) and
    pickled by name (the same object comes back); bound methods of the global RandomState
    (np.random.normal, ...) pickle with a copy of their generator in NumPy too."""
    import pickle
    f = getattr(module(sub, nf), name)
    assert not hasattr(type(f), "__get__"), f"{qualified(sub, name)} binds as a method"
    T = type("T", (), {"f": f})
    assert T.f is f and T().f is f
    back = pickle.loads(pickle.dumps(f))
    if isinstance(f, types.MethodType):
        theirs = getattr(module(sub, onp), name)
        assert pickle.loads(pickle.dumps(theirs)) is not theirs
        assert back.__self__ is not f.__self__ and back.__func__ is f.__func__
    else:
        assert back is f


def test_function_stored_as_class_attribute_is_called_as_numpy():
    class T:
        array, mean, sin, norm = nf.array, nf.mean, nf.sin, nf.linalg.norm

    t = T()
    assert t.array([1, 2]).tolist() == [1, 2] and float(t.mean([1, 2])) == 1.5
    assert float(t.sin(0.0)) == 0.0 and float(t.norm([3.0, 4.0])) == 5.0
    assert inspect.signature(nf.mean) == inspect.signature(nf._numpy.reductions.mean)
    assert nf.mean.__name__ == "mean" and nf.mean.__module__ == "npflow" and nf.mean.__doc__


@pytest.mark.parametrize("build", ["python", "c"])
def test_function_wrapper_takes_any_object(build):
    """Both builds' Function: only callables, forwards positional and keyword arguments, keeps
    attributes, and fails cleanly (no crash) pickled before it is given a name."""
    import pickle
    from npflow._core.dispatch import _fastpath
    from npflow._numpy import interop
    if build == "c" and _fastpath is None:
        pytest.skip("the C accelerator is not built")
    F = interop._PyFunction if build == "python" else _fastpath.Function
    with pytest.raises(TypeError):
        F(1)
    with pytest.raises(TypeError):
        F()
    w = F(lambda *a, **k: (a, k))
    assert w(1, b=2) == ((1,), {"b": 2}) and w.__wrapped__(3) == ((3,), {})
    w.note = "kept"
    assert w.note == "kept" and not hasattr(type(w), "__get__")
    with pytest.raises((AttributeError, pickle.PicklingError)):
        pickle.dumps(w)
