"""``numpy.lib``'s array-facing submodules, on npflow arrays: ``npflow.lib.stride_tricks``."""
from . import stride_tricks  # noqa: F401

__all__ = ["stride_tricks"]
