"""Primitive ops by family; each op is registered in npflow._core.registry."""
