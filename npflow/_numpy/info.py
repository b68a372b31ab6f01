"""``__array_namespace_info__()``: the Array API's inspection object for npflow.

Its answers are NumPy 2's (capabilities, default dtypes, dtypes by kind), for
every device npflow places arrays on: the CPU, each CUDA GPU (``npflow.devices()``)
and the simulated second device ``"sim"``, as a tuple (standard 2025.12; NumPy
2.4, written for 2024.12, still gives a list). Every device has NumPy's dtypes
and defaults (CuPy's are the same); tests/test_info.py checks each answer by
doing it on each device.
"""
import numpy as _np

from .._core.devices import Device, as_device, devices as _devices

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
