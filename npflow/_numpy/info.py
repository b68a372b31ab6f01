"""``__array_namespace_info__()``: the Array API's inspection object for npflow.

Its answers are NumPy 2's (capabilities, default dtypes, dtypes by kind), for
every device npflow places arrays on: the CPU, each CUDA GPU (``npflow.devices()``)
and the simulated second device ``"sim"``, as a tuple (standard 2025.12; NumPy
2.4, written for 2024.12, still gives a list). Every device has NumPy's dtypes
and defaults (CuPy's are the same); tests/test_info.py checks each answer by
doing it on each device.
"""
import functools as _functools
import types as _types

import numpy as _np

from .._core.devices import Device, as_device, devices as _devices
from .._core.dispatch import ndarray_type

__all__ = ["__array_namespace_info__"]

_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64", "complex64", "complex128")


class Info:
    """What npflow supports, as the Array API's inspection functions report it."""

    __module__ = "npflow"

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return as_device(None)

    def devices(self):
        return (*_devices(), Device("sim"))

    def default_dtypes(self, *, device=None):
        as_device(device)  # an unknown device raises
        return {"real floating": _np.dtype(_np.float64), "complex floating": _np.dtype(_np.complex128),
                "integral": _np.dtype(_np.intp), "indexing": _np.dtype(_np.intp)}

    def dtypes(self, *, device=None, kind=None):
        as_device(device)
        found = {name: _np.dtype(name) for name in _NAMES}
        if kind is None:
            return found
        return {name: dt for name, dt in found.items() if _np.isdtype(dt, kind)}


def __array_namespace_info__():
    return Info()


# -- the namespace of arrays on another device -------------------------------------------------
_CREATION = ("arange", "array", "asanyarray", "asarray", "ascontiguousarray", "empty", "eye", "full",
             "geomspace", "identity", "linspace", "logspace", "ones", "tri", "zeros")
_BOUND = {}


class DeviceNamespace(_types.ModuleType):
    """npflow as ``x.__array_namespace__()`` gives it for an array off the CPU: the same functions
    and objects, except that creation functions called without ``device=`` (and not on an npflow
    array) create on that device. A consumer's ``xp.asarray(result)`` after a round trip through
    NumPy (SciPy's fallbacks: ``xp.asarray(f(numpy.asarray(x)))``) then lands where ``x`` was,
    as uncommitted values do (DESIGN invariant 10). One object per device."""

    def __init__(self, device):
        import npflow
        super().__init__("npflow", npflow.__doc__)
        self.__dict__["_npflow"] = npflow
        self.__dict__["_bound_device"] = device

    def __getattr__(self, name):
        value = getattr(self._npflow, name)
        if name in _CREATION:
            value = _on_device(value, self._bound_device)
        self.__dict__[name] = value
        return value

    def __dir__(self):
        return dir(self._npflow)

    def __repr__(self):
        return f"<module 'npflow' (creating on {self._bound_device.name} by default)>"


def _on_device(fn, device):
    nd = ndarray_type()

    @_functools.wraps(fn)
    def create(*args, **kwargs):
        if kwargs.get("device") is None and not (args and isinstance(args[0], nd)):
            kwargs["device"] = device
        return fn(*args, **kwargs)
    return create


def namespace_for(device):
    """The namespace of arrays on ``device``: npflow itself on the CPU."""
    if device.kind == "cpu":
        import npflow
        return npflow
    ns = _BOUND.get(device)
    if ns is None:
        ns = _BOUND.setdefault(device, DeviceNamespace(device))
    return ns
