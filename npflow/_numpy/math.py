"""math."""
__all__ = []
