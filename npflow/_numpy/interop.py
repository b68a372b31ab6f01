"""Exchange with other array libraries."""
from .._core.dispatch import apply
from .._core.registry import REGISTRY
from .._core.devices import Device

__all__ = ["from_dlpack"]

_DL_CPU, _DL_CUDA = 1, 2


def from_dlpack(x, /, *, device=None, copy=None):
    """An npflow array sharing memory with ``x`` (any DLPack producer), without a copy."""
    kind, index = x.__dlpack_device__()
    if kind == _DL_CPU:
        src = Device("cpu")
    elif kind == _DL_CUDA:
        src = Device(f"cuda:{index}")
    else:
        raise BufferError(f"from_dlpack(): DLPack device type {kind} is not supported "
                          f"(npflow takes CPU and CUDA memory)")
    r = apply(REGISTRY["from_dlpack"], x, copy=copy, device=src)
    return r if device is None else r.to_device(device)


# -- public functions as NumPy's callables ---------------------------------------------------
# NumPy's functions are not descriptors (``class T: array = np.array`` then ``T().array([1])``
# calls numpy.array) and pickle by name. Each public Python function of a namespace is published
# as a ``Function``: it forwards its calls (by vectorcall in C: no measurable cost), has no
# ``__get__``, keeps the function's name, doc and attributes, and unwraps to it (``__wrapped__``,
# which inspect.signature follows).
class _PyFunction:
    """The pure-Python build's ``Function`` (the C accelerator's is the same without the frame)."""

    __slots__ = ("__wrapped__", "__dict__")

    def __init__(self, func):
        if not callable(func):
            raise TypeError("Function(f): f must be callable")
        self.__wrapped__ = func

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)

    def __repr__(self):
        return repr(self.__wrapped__)

    def __reduce__(self):
        return self.__qualname__


def _function_type():
    from .._core.dispatch import _fastpath
    return _PyFunction if _fastpath is None else _fastpath.Function


Function = _function_type()
_published = {}  # id(python function) -> its Function (one object per function, for aliases)


def publish(module):
    """Replace the module's public Python functions by ``Function`` objects (called once, at the
    end of each public namespace's import)."""
    import types
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        f = getattr(module, name, None)
        if type(f) is not types.FunctionType or not f.__module__.startswith("npflow"):
            continue  # (NumPy's own functions, re-exported, stay NumPy's objects)
        w = _published.get(id(f))
        if w is None:
            w = _published[id(f)] = Function(f)
            w.__dict__.update(f.__dict__)
            w.__name__ = f.__name__
            # found by pickle under this name in this module (or under its own name, for aliases)
            own = getattr(module, f.__name__, None) is f
            w.__qualname__ = f.__name__ if own else name
            w.__module__ = module.__name__
            w.__doc__ = f.__doc__
            w.__annotations__ = f.__annotations__
            w._function = f  # keeps id(f) unique while published
        setattr(module, name, w)
