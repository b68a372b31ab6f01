"""manipulation."""
__all__ = []
