"""``npflow.scipy.spatial``: ``transform`` (``Rotation``, ``Slerp``), loaded on first access."""
import importlib as _importlib

__all__ = ["transform"]


def __getattr__(name):
    if name in __all__:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'npflow.scipy.spatial' has no attribute {name!r}")
