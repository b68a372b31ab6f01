"""sorting."""
__all__ = []
