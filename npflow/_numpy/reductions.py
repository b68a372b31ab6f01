"""reductions."""
__all__ = []
