"""npflow.scipy has every public name of jax.scipy (enumerated from JAX where it is installed:
the ``bench`` extra), or lists it below with the reason it is not there yet; and every listed
name is really missing (a name that lands must leave the list)."""
import importlib
import types

import pytest

import npflow.scipy
from gradspecs import all_cases

# jax.scipy names npflow does not have, each with its reason
NOT_YET = {
    "optimize.OptimizeResults": "JAX's own result class: npflow.scipy.optimize returns SciPy's OptimizeResult",
}


def _jax_names():
    """'module.name' (and 'stats.<distribution>.<method>', 'sparse.linalg.<name>') of jax.scipy."""
    jsp = pytest.importorskip("jax.scipy")
    names = []

    def walk(mod, prefix, depth):
        for n in dir(mod):
            if n.startswith("_"):
                continue
            obj = getattr(mod, n)
            if isinstance(obj, types.ModuleType):
                if depth < 2 and obj.__name__.startswith("jax.scipy"):
                    walk(obj, f"{prefix}{n}.", depth + 1)
            elif callable(obj):
                names.append(prefix + n)
    for sub in ("cluster", "fft", "integrate", "interpolate", "linalg", "ndimage", "optimize", "signal", "sparse",
                "spatial", "special", "stats"):
        walk(importlib.import_module(f"jax.scipy.{sub}"), f"{sub}.", 0)
    for sub in ("cluster.vq", "sparse.linalg"):
        walk(importlib.import_module(f"jax.scipy.{sub}"), f"{sub}.", 2)
    return sorted(set(names))


def _npflow_has(name):
    obj = npflow.scipy
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ModuleNotFoundError):
            return False
    return callable(obj)


def test_every_jax_scipy_name_is_in_npflow_or_listed():
    names = _jax_names()
    assert len(names) > 150, f"enumerated only {len(names)} names of jax.scipy"
    missing = [n for n in names if not _npflow_has(n) and n not in NOT_YET]
    assert not missing, f"jax.scipy names npflow.scipy lacks (add them, or list them with a reason): {missing}"
    landed = [n for n in NOT_YET if _npflow_has(n)]
    assert not landed, f"listed as not done but npflow.scipy has them (remove from NOT_YET): {landed}"
    unknown = [n for n in NOT_YET if n not in names]
    assert not unknown, f"NOT_YET lists names jax.scipy does not have: {unknown}"


# npflow.scipy's public functions with no derivative, each with its reason (the others need a
# gradient spec in tests/gradspecs: their op's name, or np.scipy.<module>.<name> for a composite)
NONDIFFERENTIABLE = {
    "special.gammasgn": "piecewise constant", "special.bernoulli": "numbers, no argument to differentiate",
    "special.psi": "digamma under its other name (checked as digamma)",
    "linalg.schur": "no derivative rule (SciPy's kernel): differentiating raises",
    "linalg.hessenberg": "no derivative rule (SciPy's kernel): differentiating raises",
    **{f"linalg.{n}": "a constant matrix of a size: no array argument" for n in (
        "hilbert", "invhilbert", "pascal", "invpascal", "hadamard", "helmert", "dft")},
    "integrate.odeint": "custom_vjp (adjoint): reverse mode only, checked in tests/test_scipy_integrate.py",
    "integrate.solve_ivp": "custom_vjp (adjoint): reverse mode only, checked in tests/test_scipy_integrate.py",
    "spatial.transform.Rotation.identity": "a constant rotation: no array argument",
    "spatial.transform.Rotation.random": "SciPy's random draws: no array argument",
}


def _functions(mod):
    """``mod``'s public functions, and its classes' public methods (and calls) as ``Class.method``."""
    for n in mod.__all__:
        obj = getattr(mod, n)
        if isinstance(obj, type):
            yield from (f"{n}.{m}" for m in vars(obj) if (not m.startswith("_") or m in ("__call__", "__mul__"))
                        and callable(getattr(obj, m)))
        elif callable(obj):
            yield n


@pytest.mark.parametrize("module", ["special", "linalg", "signal", "integrate", "fft", "ndimage", "interpolate",
                                    "spatial.transform", "optimize", "sparse.linalg", "cluster.vq"])
def test_every_function_is_gradient_checked_or_declared(module):
    """As tests/test_gradient_coverage.py for NumPy's namespace. (stats: tests/test_scipy_stats.py.)"""
    specs = {c.op for c in all_cases()}
    mod = importlib.import_module(f"npflow.scipy.{module}")
    missing = [n for n in _functions(mod) if f"np.scipy.{module}.{n}" not in specs
               and f"scipy.{module}.{n}" not in specs and f"{module}.{n}" not in NONDIFFERENTIABLE]
    assert not missing, f"npflow.scipy.{module} functions neither gradient-checked nor declared: {missing}"
    stale = [n for n in NONDIFFERENTIABLE if n.startswith(module + ".") and not _npflow_has(n)]
    assert not stale, f"NONDIFFERENTIABLE lists names npflow.scipy lacks: {stale}"
