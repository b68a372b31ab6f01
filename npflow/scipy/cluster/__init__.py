"""``npflow.scipy.cluster``: ``vq`` (vector quantisation), loaded on first access."""
import importlib as _importlib

__all__ = ["vq"]


def __getattr__(name):
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'npflow.scipy.cluster' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
