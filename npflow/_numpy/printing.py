"""Text: array printing and number formatting, and NumPy's floating-point error state.

Printing reads an array's values on the host, so these are NumPy's formatters given the
array moved to the host (as ``repr`` does); the print options are NumPy's, which
``repr``/``str`` of npflow arrays follow. The error state (``errstate``, ``seterr``, ...)
is NumPy's own: npflow's CPU kernels are NumPy's ufuncs, so NumPy's state is the one that
governs them (CuPy kernels report no floating-point errors).
"""
import functools

import numpy as _np
from numpy import (  # noqa: F401  (re-exported: NumPy's global state, see above)
    printoptions, set_printoptions, get_printoptions, errstate, seterr, geterr, seterrcall,
    geterrcall, getbufsize, setbufsize)

from .io import to_host

__all__ = ["array2string", "array_repr", "array_str", "format_float_positional",
           "format_float_scientific", "base_repr", "binary_repr", "printoptions",
           "set_printoptions", "get_printoptions", "errstate", "seterr", "geterr", "seterrcall",
           "geterrcall", "getbufsize", "setbufsize"]


def _on_host(fn, scalar=False):
    """NumPy's ``fn`` with its first argument (an npflow array) moved to the host, as a NumPy
    scalar if it is 0-d and ``fn`` formats numbers (npflow's 0-d arrays stand for scalars)."""
    @functools.wraps(fn)
    def host(a, *args, **kwargs):
        a = to_host(a)
        return fn(a[()] if scalar and getattr(a, "ndim", None) == 0 else a, *args, **kwargs)
    host.__module__ = __name__
    return host


array2string, array_str = map(_on_host, (_np.array2string, _np.array_str))
format_float_positional, format_float_scientific, base_repr, binary_repr = (
    _on_host(f, scalar=True) for f in (_np.format_float_positional, _np.format_float_scientific,
                                       _np.base_repr, _np.binary_repr))


@functools.wraps(_np.array_repr)
def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    text = _np.array_repr(to_host(arr), max_line_width, precision, suppress_small)
    dev = getattr(arr, "device", None)
    if dev is not None and getattr(dev, "kind", "cpu") != "cpu":  # as repr(): the device named
        text = f"{text[:-1]}, device='{dev.name}')"
    return text


array_repr.__module__ = __name__
