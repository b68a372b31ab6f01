"""Elementwise primitives: every NumPy ufunc, as a table and one loop.

Each row: name, nin, nout, and whether the outputs have a derivative
(``False`` for boolean and integer-valued results: comparisons, logic,
bitwise ops, classification). Aliases (``abs``, ``acos``, ``pow``, ...) are
the same op under another public name, as in NumPy.
"""
from .._core.registry import Op, register, REGISTRY

D, N = True, False  # differentiable / not
UFUNCS = [
    # arithmetic
    ("add", 2, 1, D), ("subtract", 2, 1, D), ("multiply", 2, 1, D), ("divide", 2, 1, D),
    ("floor_divide", 2, 1, N), ("remainder", 2, 1, D), ("fmod", 2, 1, D), ("divmod", 2, 2, D),
    ("power", 2, 1, D), ("float_power", 2, 1, D), ("negative", 1, 1, D), ("positive", 1, 1, D),
    ("absolute", 1, 1, D), ("fabs", 1, 1, D), ("reciprocal", 1, 1, D), ("square", 1, 1, D),
    ("sqrt", 1, 1, D), ("cbrt", 1, 1, D), ("sign", 1, 1, D), ("heaviside", 2, 1, D),
    ("conjugate", 1, 1, D), ("gcd", 2, 1, N), ("lcm", 2, 1, N),
    ("matmul", 2, 1, D), ("vecdot", 2, 1, D), ("matvec", 2, 1, D), ("vecmat", 2, 1, D),
    # exponents and logarithms
    ("exp", 1, 1, D), ("exp2", 1, 1, D), ("expm1", 1, 1, D), ("log", 1, 1, D),
    ("log2", 1, 1, D), ("log10", 1, 1, D), ("log1p", 1, 1, D),
    ("logaddexp", 2, 1, D), ("logaddexp2", 2, 1, D),
    # trigonometric and hyperbolic
    ("sin", 1, 1, D), ("cos", 1, 1, D), ("tan", 1, 1, D), ("arcsin", 1, 1, D),
    ("arccos", 1, 1, D), ("arctan", 1, 1, D), ("arctan2", 2, 1, D), ("hypot", 2, 1, D),
    ("sinh", 1, 1, D), ("cosh", 1, 1, D), ("tanh", 1, 1, D), ("arcsinh", 1, 1, D),
    ("arccosh", 1, 1, D), ("arctanh", 1, 1, D), ("deg2rad", 1, 1, D), ("rad2deg", 1, 1, D),
    ("degrees", 1, 1, D), ("radians", 1, 1, D),
    # rounding and floating-point functions (piecewise constant ones have zero derivative)
    ("floor", 1, 1, D), ("ceil", 1, 1, D), ("trunc", 1, 1, D), ("rint", 1, 1, D),
    ("modf", 1, 2, D), ("frexp", 1, 2, D), ("ldexp", 2, 1, D), ("copysign", 2, 1, D),
    ("nextafter", 2, 1, D), ("spacing", 1, 1, D),
    ("maximum", 2, 1, D), ("minimum", 2, 1, D), ("fmax", 2, 1, D), ("fmin", 2, 1, D),
    # comparison, logic, classification: no derivative
    ("equal", 2, 1, N), ("not_equal", 2, 1, N), ("less", 2, 1, N), ("less_equal", 2, 1, N),
    ("greater", 2, 1, N), ("greater_equal", 2, 1, N),
    ("logical_and", 2, 1, N), ("logical_or", 2, 1, N), ("logical_xor", 2, 1, N),
    ("logical_not", 1, 1, N), ("isfinite", 1, 1, N), ("isinf", 1, 1, N), ("isnan", 1, 1, N),
    ("isnat", 1, 1, N), ("signbit", 1, 1, N),
    # bitwise
    ("bitwise_and", 2, 1, N), ("bitwise_or", 2, 1, N), ("bitwise_xor", 2, 1, N),
    ("invert", 1, 1, N), ("left_shift", 2, 1, N), ("right_shift", 2, 1, N),
    ("bitwise_count", 1, 1, N),
]

ALIASES = {
    "abs": "absolute", "acos": "arccos", "acosh": "arccosh", "asin": "arcsin",
    "asinh": "arcsinh", "atan": "arctan", "atan2": "arctan2", "atanh": "arctanh",
    "conj": "conjugate", "true_divide": "divide", "bitwise_invert": "invert",
    "bitwise_not": "invert", "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift", "pow": "power", "mod": "remainder",
}

# The ufunc methods, each its own primitive (``add.reduce`` is not ``sum``:
# it has ufunc semantics, e.g. axis=0 by default).
METHODS = ("reduce", "accumulate", "reduceat", "outer", "at")


def _method_impl(name, method):
    def impl(xp):
        bound = getattr(getattr(xp, name), method)
        if method == "at":
            def at(a, *b, indices):
                bound(a, indices, *b)
            return at
        if method == "reduceat":
            return lambda a, indices, **kw: bound(a, indices, **kw)
        return bound
    return impl


import numpy as _numpy

# Newer ufuncs (matvec, vecmat: NumPy 2.2) exist only where NumPy has them.
UFUNCS = [row for row in UFUNCS if hasattr(_numpy, row[0])]

for _name, _nin, _nout, _diff in UFUNCS:
    register(Op(_name, (lambda n: lambda xp: getattr(xp, n))(_name), nout=_nout, differentiable=_diff))
    # NumPy's rules: outer for every binary ufunc; reduce, accumulate and
    # reduceat for binary ufuncs with one output; at for all.
    _methods = METHODS if (_nin, _nout) == (2, 1) else ("outer", "at") if _nin == 2 else ("at",)
    for _m in _methods:
        register(Op(f"{_name}.{_m}", _method_impl(_name, _m), nout=_nout if _m == "outer" else 1,
                    differentiable=_diff))

ELEMENTWISE = {name: REGISTRY[name] for name, *_ in UFUNCS}
