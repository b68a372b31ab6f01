"""``npflow.emath``: NumPy's ``numpy.emath``, functions whose results turn complex where
real input leaves the real domain (``emath.sqrt(-1) == 1j``), written in npflow ops.

As NumPy's: real input is promoted to complex (complex64 from float32 and 8/16-bit
integers, complex128 otherwise) only when some real element is out of the domain.
"""
from ._numpy.math import as_arrays, isreal
from ._numpy.ufuncs import absolute, arccos as _arccos, arcsin as _arcsin, \
    arctanh as _arctanh, log as _log, log2 as _log2, log10 as _log10, logical_and, \
    logical_or, power as _power, sqrt as _sqrt

__all__ = ["sqrt", "log", "log2", "log10", "logn", "power", "arccos", "arcsin", "arctanh"]

_SINGLE = "bhBHfF"  # NumPy's single, byte, short, ubyte, ushort, csingle: complex64


def _tocomplex(x):
    return x.astype("F" if x.dtype.char in _SINGLE else "D")


def _float(x):
    return x * 1.0


def _fix(x, outside, convert):
    """``x`` as an array, converted if any real element is ``outside`` the domain."""
    x = as_arrays(x)[0]
    return convert(x) if logical_or.reduce(logical_and(isreal(x), outside(x)), axis=None) else x


def _negative(x):
    return x < 0


def _beyond_one(x):
    return absolute(x) > 1


def sqrt(x):
    """The square root; complex for negative reals."""
    return _sqrt(_fix(x, _negative, _tocomplex))


def log(x):
    """The natural logarithm; complex for negative reals."""
    return _log(_fix(x, _negative, _tocomplex))


def log2(x):
    """The base-2 logarithm; complex for negative reals."""
    return _log2(_fix(x, _negative, _tocomplex))


def log10(x):
    """The base-10 logarithm; complex for negative reals."""
    return _log10(_fix(x, _negative, _tocomplex))


def logn(n, x):
    """The base-``n`` logarithm of ``x``; complex for negative reals."""
    return _log(_fix(x, _negative, _tocomplex)) / _log(_fix(n, _negative, _tocomplex))


def power(x, p):
    """``x ** p``; complex for negative real ``x``, float for negative integer ``p``."""
    return _power(_fix(x, _negative, _tocomplex), _fix(p, _negative, _float))


def arccos(x):
    """The inverse cosine; complex where a real ``|x| > 1``."""
    return _arccos(_fix(x, _beyond_one, _tocomplex))


def arcsin(x):
    """The inverse sine; complex where a real ``|x| > 1``."""
    return _arcsin(_fix(x, _beyond_one, _tocomplex))


def arctanh(x):
    """The inverse hyperbolic tangent; complex where a real ``|x| > 1``."""
    return _arctanh(_fix(x, _beyond_one, _tocomplex))
