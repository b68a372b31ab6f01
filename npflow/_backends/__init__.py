"""Array backends: thin adapters that all expose the same interface.

A backend owns an array module ``xp`` (``numpy`` or ``cupy``) and knows how to
move data between that module's arrays and the host. Op kernels take ``xp``
and call ``xp.sin`` and friends; nothing else in npflow touches a backend
module directly (invariant 4 in docs/architecture.md), and a backend imports nothing of npflow
above it (tests/test_layering.py).
"""
