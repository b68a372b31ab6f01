"""Public ufunc objects: ``npflow.sin``, ``npflow.add.reduce``, ...

A :class:`ufunc` has NumPy's call signature (``out=``, ``where=``, ``dtype=``,
``casting=``, ...) and methods, and goes through ``apply`` like everything
else. Calls with plain operands and no keywords take the fast path.
"""
import inspect as _inspect
import numpy as _np

from .._core.dispatch import apply, apply1, apply2, unwrap_index, ndarray_type, _annotated
from .._core.registry import REGISTRY
from .._core.ndarray import _fastpath
from .._ops.ufuncs import UFUNCS, ALIASES

_NoValue = _np._NoValue


def _by_name(name):
    """The public ufunc called ``name`` (unpickling)."""
    import npflow
    return getattr(npflow, name)


class _PyUfuncBase:
    """The call's fast path in Python (the C accelerator's UfuncBase does the same)."""

    __slots__ = ("_op", "_kernel", "nin")

    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == self.nin:
            if self.nin == 1:
                return apply1(self._op, args[0])
            r = apply2(self._op, args[0], args[1])
            if r is not NotImplemented:
                return r
        return self._call(*args, **kwargs)


_UfuncBase = _PyUfuncBase if _fastpath is None else _fastpath.UfuncBase


class ufunc(_UfuncBase):
    __slots__ = ("__name__", "__qualname__", "__doc__", "nout", "_np")

    def __init__(self, name):
        self.__name__ = self.__qualname__ = name
        self._np = getattr(_np, name)
        self.__doc__ = self._np.__doc__
        self.nin = self._np.nin
        self.nout = self._np.nout
        self._op = REGISTRY[name]
        self._kernel = self._op.np_kernel

    # NumPy's call signature (inspect.signature), whichever base class implements the call
    __signature__ = property(lambda self: _inspect.signature(self._np))
    nargs = property(lambda self: self._np.nargs)
    ntypes = property(lambda self: self._np.ntypes)
    types = property(lambda self: self._np.types)
    identity = property(lambda self: self._np.identity)
    signature = property(lambda self: self._np.signature)

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"

    def __reduce__(self):
        return _by_name, (self.__name__,)  # pickled by name, as NumPy's ufuncs

    def _call(self, *args, **kwargs):
        """The general call: keywords, outputs, foreign operands."""
        nin = self.nin
        n = len(args)
        if n > nin:  # outputs given positionally, as NumPy allows (missing ones are None)
            if n > nin + self.nout:
                raise TypeError(f"{self.__name__}() takes from {nin} to {nin + self.nout} positional "
                                f"arguments but {n} were given")
            if "out" in kwargs:
                raise TypeError(f"{self.__name__}() got out= both positionally and as a keyword")
            kwargs["out"] = args[nin:] + (None,) * (nin + self.nout - n)
            args = args[:nin]
        elif n < nin:
            raise TypeError(f"{self.__name__}() takes from {nin} to {nin + self.nout} positional "
                            f"arguments but {n} were given")
        out = kwargs.get("out")
        if out is not None:
            if type(out) is not tuple:
                if self.nout > 1:
                    raise TypeError(f"{self.__name__}(): 'out' must be a tuple of arrays "
                                    f"(one per output, {self.nout})")
                out = (out,)
            if len(out) != self.nout:
                raise ValueError(f"{self.__name__}(): the 'out' tuple must have exactly one entry "
                                 f"per ufunc output ({self.nout}), got {len(out)}")
            if all(o is None for o in out):
                del kwargs["out"]
                out = None
            else:
                kwargs["out"] = out
        r = apply(self._op, *args, **kwargs)
        if out is not None and self.nout == 1:
            return r[0]
        return r

    # -- methods ---------------------------------------------------------
    def _method(self, method, *operands, **params):
        if method != "at" and self.nin != 2:
            raise ValueError(f"{self.__name__}.{method}: only supported for binary functions "
                             f"({self.__name__} takes {self.nin} input(s))")
        if method in ("reduce", "accumulate", "reduceat") and self.nout != 1:
            raise ValueError(f"{self.__name__}.{method}: only supported for functions returning a "
                             f"single value ({self.__name__} gives {self.nout})")
        return apply(REGISTRY[f"{self.__name__}.{method}"], *operands, **params)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, initial=_NoValue, where=True):
        kw = dict(axis=axis, dtype=dtype, keepdims=keepdims)
        if initial is not _NoValue:
            kw["initial"] = initial
        if where is not True:
            kw["where"] = where
        return _with_out(self._method("reduce", array, **kw, **_out_kw(out)), out)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return _with_out(self._method("accumulate", array, axis=axis, dtype=dtype, **_out_kw(out)), out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return _with_out(self._method("reduceat", array, indices, axis=axis, dtype=dtype,
                                      **_out_kw(out)), out)

    def outer(self, A, B, /, **kwargs):
        """``f(A[..., None, ...], B)``: NumPy's outer, as broadcasting (so it differentiates)."""
        if self.nin != 2:
            raise ValueError(f"{self.__name__}.outer: only supported for binary functions "
                             f"({self.__name__} takes {self.nin} input(s))")
        if self._np.signature is not None:
            raise TypeError(f"{self.__name__}.outer: method outer is not allowed in ufunc with "
                            f"non-trivial signature ({self._np.signature})")
        import npflow as nf
        nd = ndarray_type()
        dev = next((x.device for x in (A, B) if isinstance(x, nd)), None)
        try:
            A, B = (x if isinstance(x, nd) else nf.asarray(x, device=dev) for x in (A, B))
            return self(nf.reshape(A, A.shape + (1,) * B.ndim), B, **kwargs)
        except (ValueError, TypeError, IndexError, ArithmeticError) as e:
            raise _annotated(f"{self.__name__}.outer", e, (A, B)) from e

    def at(self, a, indices, b=None, /):
        if not isinstance(a, ndarray_type()):
            raise TypeError(f"{self.__name__}.at(): the array to update in place must be an "
                            f"npflow.ndarray, got {type(a).__name__}")
        idx = unwrap_index(indices, a._device, f"{self.__name__}.at")
        operands = (a,) if b is None else (a, b)
        self._method("at", *operands, indices=idx)


def _out_kw(out):
    if out is None:
        return {}
    return {"out": out if type(out) is tuple else (out,)}


def _with_out(r, out):
    if out is None:
        return r
    return r[0] if type(r) is tuple else r


UFUNC_OBJECTS = {name: ufunc(name) for name, *_ in UFUNCS}
for _alias, _target in ALIASES.items():
    UFUNC_OBJECTS[_alias] = UFUNC_OBJECTS[_target]

__all__ = sorted(UFUNC_OBJECTS) + ["ufunc"]
globals().update(UFUNC_OBJECTS)
