"""The op registry: one entry per primitive.

An :class:`Op` holds its name, a kernel factory ``impl(xp) -> callable`` that
builds the kernel for a backend module, and the places for its derivative
rules (``vjp``, ``jvp``), which the autodiff layer fills in beside the op.

Positional arguments of a kernel are the op's array operands (the things a
gradient can flow to); keyword arguments are static parameters (axis, dtype,
an index, ``out=``).
"""
import functools

from .._backends.numpy_backend import BACKEND as _NUMPY_BACKEND

REGISTRY = {}


class Op:
    __slots__ = ("name", "impl", "nout", "differentiable", "wraps", "raw_args", "inplace",
                 "np_kernel", "_kernels", "vjp", "jvp", "vjp_uses", "jvp_uses", "vjp_plain",
                 "fast_info", "__weakref__")

    def __init__(self, name, impl, *, nout=1, differentiable=True, wraps=True, raw_args=False,
                 inplace=False):
        self.name = name
        self.impl = impl
        self.nout = nout
        # False: the op's outputs have no derivative (comparisons, argmax, ...).
        self.differentiable = differentiable
        # False: the kernel returns plain Python objects, not arrays.
        self.wraps = wraps
        # True: foreign positional arguments (lists, buffers) reach the kernel
        # unconverted (creation ops convert them themselves, with their dtype).
        self.raw_args = raw_args
        # "write": the kernel writes into operand 0 (setitem, fill, put, ufunc.at);
        # "graph": operand 0 is updated in the graph only (its memory was written already).
        self.inplace = inplace
        # Derivative rules, filled in beside the op by npflow.autodiff.rules.defvjp/defjvp:
        # a tuple with one rule per operand (None: no derivative for that operand), or
        # one callable for all operands. ``vjp_uses`` says which saved values they read.
        self.vjp = None
        self.vjp_plain = None  # the per-operand vjp rules themselves (vjp's take any params)
        self.jvp = None
        self.vjp_uses = None
        self.jvp_uses = None  # per jvp rule: the operand indices it reads (None: any)
        self.fast_info = None  # the C recorder's cache of what it needs of this op's rules
        self._kernels = {}
        self.np_kernel = self.kernel(_NUMPY_BACKEND)

    def kernel(self, backend):
        """This op's kernel for ``backend``: the backend's own for this op where it has one
        (``backend.kernels``: name -> factory(backend)), else the op's, on ``backend.xp``."""
        k = self._kernels.get(backend)
        if k is None:
            own = getattr(backend, "kernels", None)
            factory = own.get(self.name) if own else None
            k = self._kernels[backend] = factory(backend) if factory else self.impl(backend.xp)
        return k

    def __repr__(self):
        return f"<npflow op {self.name}>"


def register(op):
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} is registered twice")
    REGISTRY[op.name] = op
    return op


def xp_op(name, xp_name=None, **kw):
    """A primitive whose kernel is ``xp.<xp_name>`` itself (no wrapper frame)."""
    attr = xp_name or name
    return register(Op(name, lambda xp: _getattr_path(xp, attr), **kw))


def kernel_op(name, **kw):
    """Decorator: ``def kernel(xp, *operands, **params)`` becomes a registered op."""
    def deco(fn):
        return register(Op(name, lambda xp: functools.partial(fn, xp), **kw))
    return deco


def _getattr_path(obj, path):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


class _Path:
    """Stands in for ``xp`` to read which ``xp.<path>`` an op's kernel factory takes."""

    def __init__(self, path=""):
        self.path = path

    def __getattr__(self, name):
        return _Path(f"{self.path}.{name}" if self.path else name)


# ``xp.<path>`` functions that kernels call themselves (not ``xp_op``s), declared beside them
# (ops/linalg.py: eig and eigvals, whose results it makes complex)
KERNEL_CALLS = set()


def kernel_paths():
    """Every ``xp.<path>`` that a registered op's kernel is (``xp_op``s: sin, linalg.det, ...) or
    calls (``KERNEL_CALLS``): what a backend must have, or report as missing
    (cupy_backend.namespace)."""
    paths = set(KERNEL_CALLS)
    for op in REGISTRY.values():
        try:
            k = op.impl(_Path())
        except Exception:
            continue
        if isinstance(k, _Path):
            paths.add(k.path)
    return paths
