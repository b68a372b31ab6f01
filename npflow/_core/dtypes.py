"""dtypes: NumPy's own dtype objects and promotion rules (NEP 50).

``npflow.float32 is numpy.float32``. The functions accept npflow arrays
where NumPy's accept arrays, and otherwise are NumPy's.
"""
import numpy as _np

from numpy import (  # noqa: F401  (re-exported)
    dtype, finfo as _finfo, iinfo as _iinfo, promote_types, isdtype,
    bool, bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    intp, uintp, byte, ubyte, short, ushort, intc, uintc, int_, uint, long, ulong,
    longlong, ulonglong, float16, float32, float64, half, single, double, longdouble,
    complex64, complex128, csingle, cdouble, clongdouble, object_, str_, bytes_, void,
    datetime64, timedelta64,
    generic, number, integer, signedinteger, unsignedinteger, inexact, floating,
    complexfloating, flexible, character, record,
)

from . import dispatch as _dispatch

__all__ = [
    "dtype", "finfo", "iinfo", "result_type", "can_cast", "promote_types", "isdtype",
    "bool", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "intp", "uintp", "byte", "ubyte", "short", "ushort", "intc", "uintc", "int_", "uint",
    "long", "ulong", "longlong", "ulonglong", "float16", "float32", "float64", "half",
    "single", "double", "longdouble", "complex64", "complex128", "csingle", "cdouble",
    "clongdouble", "object_", "str_", "bytes_", "void", "datetime64", "timedelta64",
    "generic", "number", "integer", "signedinteger", "unsignedinteger", "inexact",
    "floating", "complexfloating", "flexible", "character", "record",
]
# extended precision, where the platform has it (float128 on x86-64 Linux, float96 on 32-bit)
for _name in ("float96", "float128", "complex192", "complex256"):
    if hasattr(_np, _name):
        globals()[_name] = getattr(_np, _name)
        __all__.append(_name)


def _as_dtype_or_scalar(x):
    # An npflow array takes part in promotion through its dtype (arrays are
    # never "weak" under NEP 50, so this is exact); Python scalars stay weak.
    return x._data.dtype if isinstance(x, _dispatch.ndarray) else x


def result_type(*arrays_and_dtypes):
    return _np.result_type(*map(_as_dtype_or_scalar, arrays_and_dtypes))


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(_as_dtype_or_scalar(from_), to, casting=casting)


_STANDARD_FINFO = ("eps", "max", "min", "smallest_normal")
_finfo_cache = {}


def finfo(dtype):
    """NumPy's finfo; for float32 the standard's fields are Python floats, as the Array API
    asks (NumPy gives float32 scalars, which are not ``float``; float64's already are)."""
    info = _finfo(_as_dtype_or_scalar(dtype))
    if info.dtype != _np.float32:
        return info
    found = _finfo_cache.get(info.dtype)
    if found is None:
        found = _finfo_cache[info.dtype] = object.__new__(_finfo)
        found.__dict__.update(vars(info), _fmt=str(info), _repr=repr(info),  # NumPy's text
                              **{k: float(getattr(info, k)) for k in _STANDARD_FINFO})
    return found


def iinfo(int_type):
    return _iinfo(_as_dtype_or_scalar(int_type))


result_type.__doc__ = _np.result_type.__doc__
can_cast.__doc__ = _np.can_cast.__doc__
finfo.__doc__ = _finfo.__doc__
iinfo.__doc__ = _iinfo.__doc__
