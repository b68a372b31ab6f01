"""``npflow.scipy``: SciPy's names on npflow ops, differentiable in both modes, on every device.

Submodules (loaded on first access, as SciPy's own): ``special``, ``stats``, ``linalg``,
``signal``, ``integrate``, ``fft``, ``ndimage``, ``interpolate``, ``spatial``, ``optimize``,
``sparse``, ``cluster``. Importing them does
not import SciPy: SciPy's compiled kernels (``scipy.special``'s ufuncs, ``cupyx.scipy.special``'s
on the GPU) are loaded the first time a function that needs one runs (``pip install npflow[scipy]``).
"""
import importlib as _importlib

__all__ = ["special", "stats", "linalg", "signal", "integrate", "fft", "ndimage", "interpolate", "spatial",
           "optimize", "sparse", "cluster"]


def __getattr__(name):
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'npflow.scipy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
