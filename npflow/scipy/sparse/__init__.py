"""``npflow.scipy.sparse``: ``linalg`` (SciPy's Krylov solvers cg, gmres, bicgstab), loaded on first access."""
import importlib as _importlib

__all__ = ["linalg"]


def __getattr__(name):
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'npflow.scipy.sparse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
