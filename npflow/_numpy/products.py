"""products."""
__all__ = []
