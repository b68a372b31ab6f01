"""logic."""
__all__ = []
