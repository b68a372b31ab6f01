"""Elementwise primitives: every NumPy ufunc, as a table and one loop.

Each row: name, nin, nout, and whether the outputs have a derivative
(``False`` for boolean and integer-valued results: comparisons, logic,
bitwise ops, classification). Aliases (``abs``, ``acos``, ``pow``, ...) are
the same op under another public name, as in NumPy.
"""
from .._core.registry import Op, register, REGISTRY

D, N = True, False  # differentiable / outputs are constants (no derivative)
UFUNCS = [
    # arithmetic
    ("add", 2, 1, D), ("subtract", 2, 1, D), ("multiply", 2, 1, D), ("divide", 2, 1, D),
    ("floor_divide", 2, 1, N), ("remainder", 2, 1, D), ("fmod", 2, 1, D), ("divmod", 2, 2, D),
    ("power", 2, 1, D), ("float_power", 2, 1, D), ("negative", 1, 1, D), ("positive", 1, 1, D),
    ("absolute", 1, 1, D), ("fabs", 1, 1, D), ("reciprocal", 1, 1, D), ("square", 1, 1, D),
    ("sqrt", 1, 1, D), ("cbrt", 1, 1, D), ("sign", 1, 1, N), ("heaviside", 2, 1, N),
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
    ("floor", 1, 1, N), ("ceil", 1, 1, N), ("trunc", 1, 1, N), ("rint", 1, 1, N),
    ("modf", 1, 2, D), ("frexp", 1, 2, D), ("ldexp", 2, 1, D), ("copysign", 2, 1, D),
    ("nextafter", 2, 1, N), ("spacing", 1, 1, N),
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

# The ufunc methods, each its own primitive (``add.reduce`` is not ``sum``: it has
# ufunc semantics, e.g. axis=0 by default). ``outer`` is a composite (broadcasting
# the ufunc itself), so it needs no primitive.
METHODS = ("reduce", "accumulate", "reduceat", "at")
# Methods with derivative rules; the others have a derivative in principle but no
# rule, so reaching one with an array being differentiated raises (differentiable=None).
DIFFERENTIABLE_METHODS = {
    "add.reduce", "add.accumulate", "add.reduceat", "add.at", "subtract.at",
    "multiply.reduce", "multiply.accumulate",
    "maximum.reduce", "minimum.reduce", "fmax.reduce", "fmin.reduce",
}


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


def _expm1(xp):
    """``xp.expm1``, but ``exp(x) - 1`` (what NumPy documents expm1 to be) for complex infinities,
    NaNs and zeros, where NumPy's complex loop loses C99's values (inf+0j gives inf+nanj) and
    the Array API standard asks for them."""
    f = xp.expm1

    def expm1(x, /, *args, **kw):
        xa = xp.asarray(x)
        fix = (~xp.isfinite(xa) | (xa == 0)) if xa.dtype.kind == "c" else None
        if fix is None or not fix.any():
            return f(x, *args, **kw)
        value = xp.exp(xa) - 1  # before the call: out= may be x itself
        r = xp.asarray(f(x, *args, **kw))  # a NumPy scalar (0-d input) becomes writable
        return _patched(xp, r, fix, value, kw)
    return expm1


def _patched(xp, r, fix, value, kw):
    """NumPy's result ``r`` with ``value`` where ``fix`` holds (and ``where=`` lets the call
    write): the standard's special cases laid over NumPy's kernel."""
    if "where" in kw:
        fix = fix & xp.asarray(kw["where"])
    fix = xp.broadcast_to(fix, r.shape)
    r[fix] = xp.broadcast_to(value, r.shape)[fix]
    return r


def _float_inf(xp, x):
    """Where the real floating operand ``x`` is infinite (False for other operands)."""
    if type(x) is xp.ndarray:
        return xp.isinf(x) if x.dtype.kind == "f" else False
    if type(x) is float:
        return x in (_numpy.inf, -_numpy.inf)
    if type(x) in (int, bool):
        return False
    a = xp.asarray(x)
    return xp.isinf(a) if a.dtype.kind == "f" else False


def _floor_divide(xp):
    """``xp.floor_divide`` with the Array API's special cases (DESIGN: decisions): where exactly
    one operand is infinite the result is ``x1 / x2`` (``inf // 2`` is inf, ``1 // -inf`` is -0),
    where NumPy gives Python's ``//`` (nan, -1.0; numpy#23860)."""
    f = xp.floor_divide
    count = xp.count_nonzero  # (cheaper than .any() on small arrays)

    def floor_divide(x1, x2, /, *args, **kw):
        a, b = _float_inf(xp, x1), _float_inf(xp, x2)
        if not (a if type(a) is bool else count(a)) and not (b if type(b) is bool else count(b)):
            return f(x1, x2, *args, **kw)  # no infinite operand: NumPy's values
        fix = a ^ b
        with _numpy.errstate(invalid="ignore"):  # NumPy's nan for inf // 2, replaced below
            value = xp.true_divide(x1, x2)  # before the call: out= may be x1 itself
            r = xp.asarray(f(x1, x2, *args, **kw))
        return _patched(xp, r, fix, value, kw)
    return floor_divide


def _tanh(xp):
    """``xp.tanh`` with the Array API's special cases for complex infinities: tanh(+-inf + bj),
    b finite, is +-1 + 0j with the sign of b (C99's ctanh, as NumPy, gives 0 * sin(2b) there)."""
    f = xp.tanh
    array = xp.ndarray

    def tanh(x, /, *args, **kw):
        if type(x) is array and x.dtype.kind != "c":  # the common case first (the fast path)
            return f(x, *args, **kw)
        xa = xp.asarray(x)
        if xa.dtype.kind != "c":
            return f(x, *args, **kw)
        fix = xp.isinf(xa.real) & xp.isfinite(xa.imag)
        if not fix.any():
            return f(x, *args, **kw)
        value = xp.asarray(xp.copysign(1.0, xa.real), dtype=xa.dtype)  # before the call: out= may be x
        value.imag = xp.copysign(0.0, xa.imag)
        r = xp.asarray(f(x, *args, **kw))
        return _patched(xp, r, fix, value, kw)
    return tanh


# Kernels that differ from ``xp.<name>``: NumPy's values except where NumPy departs from its
# own documentation and the Array API standard (the standard's special cases then), or where
# the standard is the reference by decision (floor_divide, tanh: README's deviations).
KERNELS = {"expm1": _expm1, "floor_divide": _floor_divide, "tanh": _tanh}


def _split(name, kinds):
    """The kernel that differs from NumPy's for some dtypes only: NumPy's ufunc itself (no Python
    frame: the dispatch fast path's speed) for operands of ``kinds``, in the C accelerator."""
    fix = KERNELS[name]

    def impl(xp):
        general = fix(xp)
        if _fastpath is None or xp is not _numpy:
            return general
        return _fastpath.KindSplit(getattr(xp, name), general, kinds)
    KERNELS[name] = impl


from .._core.dispatch import _fastpath  # noqa: E402
_split("tanh", "biuf")          # complex operands: the special cases
_split("floor_divide", "biu")   # floating operands: the special cases

for _name, _nin, _nout, _diff in UFUNCS:
    register(Op(_name, KERNELS.get(_name, (lambda n: lambda xp: getattr(xp, n))(_name)), nout=_nout,
                differentiable=_diff))
    # NumPy's rules: reduce, accumulate and reduceat for binary ufuncs with one output;
    # at for all.
    for _m in METHODS if (_nin, _nout) == (2, 1) else ("at",):
        _mname = f"{_name}.{_m}"
        register(Op(_mname, _method_impl(_name, _m),
                    differentiable=False if not _diff else True if _mname in DIFFERENTIABLE_METHODS else None,
                    inplace="write" if _m == "at" else False))

ELEMENTWISE = {name: REGISTRY[name] for name, *_ in UFUNCS}


# -- derivative rules -------------------------------------------------------------------------
# Elementwise ops: the partial derivative of the output with respect to each operand,
# ``d(ans, *operands)``; vjp and jvp both multiply by it (JAX's convention for complex
# numbers: the vjp is the transpose of the jvp, so holomorphic f gives grad f = f').
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff import core as _core  # noqa: E402
from ..autodiff.rules import defelementwise, defvjp, defjvp, defjvp_all, ONE, MINUS_ONE  # noqa: E402

_LN2, _LN10 = _numpy.log(2.0), _numpy.log(10.0)


def _safe_abs_d(ans, x):
    """d|x|/dx as JAX: sign(x) for reals, conj(x)/|x| for complex, 0 at 0."""
    if x.dtype.kind != "c":
        return np.sign(x)
    return np.where(ans == 0, 0, np.conj(x) / np.where(ans == 0, 1, ans))


def _on(ans, v):
    """Operand ``v`` as an array on ``ans``'s device: a Python scalar operand becomes one of ans's
    dtype (a rule that computes with it alone would build its arrays on the CPU, and in float64)."""
    return v if isinstance(v, np.ndarray) else np.asarray(v, dtype=ans.dtype, device=ans.device)


def _pow_dy(ans, x, y):
    x = _on(ans, x)
    safe = np.where(x == 0, 1, x)
    return np.where(x == 0, 0, ans * np.log(safe))


def _max_d(x, y):
    return (x > y) + 0.5 * (x == y)


PARTIALS = {
    "add": (ONE, ONE),
    "subtract": (ONE, MINUS_ONE),
    "multiply": (lambda ans, x, y: y, lambda ans, x, y: x),
    "divide": (lambda ans, x, y: 1.0 / y, lambda ans, x, y: -ans / y),
    "power": (lambda ans, x, y: y * np.power(x, y - 1), _pow_dy),
    "float_power": (lambda ans, x, y: y * np.float_power(x, y - 1), _pow_dy),
    "remainder": (ONE, lambda ans, x, y: -np.floor_divide(x, y)),
    "fmod": (ONE, lambda ans, x, y: -np.trunc(x / y)),
    "negative": (MINUS_ONE,),
    "positive": (ONE,),
    "absolute": (_safe_abs_d,),
    "fabs": (lambda ans, x: np.sign(x),),
    "reciprocal": (lambda ans, x: -(ans * ans),),
    "square": (lambda ans, x: 2 * x,),
    "sqrt": (lambda ans, x: 0.5 / ans,),
    "cbrt": (lambda ans, x: 1.0 / (3 * ans * ans),),
    "exp": (lambda ans, x: ans,),
    "exp2": (lambda ans, x: ans * _LN2,),
    "expm1": (lambda ans, x: ans + 1,),
    "log": (lambda ans, x: 1.0 / x,),
    "log2": (lambda ans, x: 1.0 / (x * _LN2),),
    "log10": (lambda ans, x: 1.0 / (x * _LN10),),
    "log1p": (lambda ans, x: 1.0 / (1 + x),),
    "logaddexp": (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans)),
    "logaddexp2": (lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans)),
    "sin": (lambda ans, x: np.cos(x),),
    "cos": (lambda ans, x: -np.sin(x),),
    "tan": (lambda ans, x: 1 + ans * ans,),
    "arcsin": (lambda ans, x: 1.0 / np.sqrt(1 - x * x),),
    "arccos": (lambda ans, x: -1.0 / np.sqrt(1 - x * x),),
    "arctan": (lambda ans, x: 1.0 / (1 + x * x),),
    "arctan2": (lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: -y / (x * x + y * y)),
    "hypot": (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans),
    "sinh": (lambda ans, x: np.cosh(x),),
    "cosh": (lambda ans, x: np.sinh(x),),
    "tanh": (lambda ans, x: 1 - ans * ans,),
    "arcsinh": (lambda ans, x: 1.0 / np.sqrt(x * x + 1),),
    # (two reciprocals, not one of a product: at x = 1 the product's rule would meet
    # inf * 0 in the second derivative, NaN where the limit is -inf)
    "arccosh": (lambda ans, x: (1.0 / np.sqrt(x - 1)) * (1.0 / np.sqrt(x + 1)),),
    "arctanh": (lambda ans, x: 1.0 / (1 - x * x),),
    "deg2rad": (lambda ans, x: _numpy.pi / 180,),
    "radians": (lambda ans, x: _numpy.pi / 180,),
    "rad2deg": (lambda ans, x: 180 / _numpy.pi,),
    "degrees": (lambda ans, x: 180 / _numpy.pi,),
    "maximum": (lambda ans, x, y: _max_d(x, y), lambda ans, x, y: _max_d(y, x)),
    "minimum": (lambda ans, x, y: _max_d(y, x), lambda ans, x, y: _max_d(x, y)),
    "fmax": (lambda ans, x, y: _max_d(x, y) + np.isnan(_on(ans, y)) * ~np.isnan(_on(ans, x)),
             lambda ans, x, y: _max_d(y, x) + np.isnan(_on(ans, x)) * ~np.isnan(_on(ans, y))),
    "fmin": (lambda ans, x, y: _max_d(y, x) + np.isnan(_on(ans, y)) * ~np.isnan(_on(ans, x)),
             lambda ans, x, y: _max_d(x, y) + np.isnan(_on(ans, x)) * ~np.isnan(_on(ans, y))),
    "copysign": (lambda ans, x, y: np.copysign(1.0, x) * np.copysign(1.0, _on(ans, y)),
                 lambda ans, x, y: 0.0),
    "ldexp": (lambda ans, x, i: np.exp2(_on(ans, i)), None),
}
for _name, _partials in PARTIALS.items():
    defelementwise(_name, *_partials)

# conj is not holomorphic: its jvp and vjp both conjugate
defvjp("conjugate", lambda g, ans, x: np.conj(g))
defjvp("conjugate", lambda t, ans, x: np.conj(t))


# Two outputs: the derivative flows through the non-integer one.
defvjp("modf", lambda g, ans, x: g[0])
defjvp("modf", lambda t, ans, x: (t, np.zeros_like(ans[1])))
defvjp("frexp", lambda g, ans, x: g[0] * np.exp2(-ans[1].astype(g[0].dtype)))
defjvp("frexp", lambda t, ans, x: (t * np.exp2(-ans[1].astype(t.dtype)), None))
defvjp("divmod", lambda g, ans, x, y: g[1], lambda g, ans, x, y: -g[1] * ans[0])
defjvp("divmod", lambda t, ans, x, y: (np.zeros_like(ans[0]), t),
       lambda t, ans, x, y: (np.zeros_like(ans[0]), -t * ans[0]))


# Products over the last axes (non-conjugating, except vecdot and vecmat, which
# conjugate their vector argument as NumPy does).
def _matmul_vjp_x(g, ans, x, y):
    if y.ndim == 1:
        return g[..., None] * y if x.ndim > 1 else g * y
    if x.ndim == 1:
        return np.matmul(y, g[..., None])[..., 0] if g.ndim else y @ g
    return np.matmul(g, np.swapaxes(y, -1, -2))


def _matmul_vjp_y(g, ans, x, y):
    if x.ndim == 1:
        return x[:, None] * g[..., None, :] if y.ndim > 1 else g * x
    if y.ndim == 1:
        return g @ x if x.ndim == 2 else np.matmul(np.swapaxes(x, -1, -2), g[..., None])[..., 0]
    return np.matmul(np.swapaxes(x, -1, -2), g)


defvjp("matmul", _matmul_vjp_x, _matmul_vjp_y)
defjvp("matmul", lambda t, ans, x, y: np.matmul(t, y), lambda t, ans, x, y: np.matmul(x, t))
defvjp("vecdot", lambda g, ans, x, y, axis=-1: np.conj(np.expand_dims(g, axis) * y),
       lambda g, ans, x, y, axis=-1: np.expand_dims(g, axis) * np.conj(x))
defjvp("vecdot", lambda t, ans, x, y, axis=-1: np.vecdot(t, y, axis=axis),
       lambda t, ans, x, y, axis=-1: np.vecdot(x, t, axis=axis))
if "matvec" in REGISTRY:
    defvjp("matvec", lambda g, ans, a, v: g[..., :, None] * v[..., None, :],
           lambda g, ans, a, v: np.sum(a * g[..., :, None], axis=-2))
    defjvp("matvec", lambda t, ans, a, v: np.matvec(t, v), lambda t, ans, a, v: np.matvec(a, t))
    defvjp("vecmat", lambda g, ans, v, a: np.conj(np.sum(a * g[..., None, :], axis=-1)),
           lambda g, ans, v, a: np.conj(v)[..., :, None] * g[..., None, :])
    defjvp("vecmat", lambda t, ans, v, a: np.vecmat(t, a), lambda t, ans, v, a: np.vecmat(v, t))

# ufunc.at: a scatter into operand 0 (recorded as a functional update)
defvjp("add.at", lambda g, ans, a, b, indices: g, lambda g, ans, a, b, indices: g[indices])
defvjp("subtract.at", lambda g, ans, a, b, indices: g, lambda g, ans, a, b, indices: -g[indices])


def _at_jvp(sign):
    def rule(tangents, ans, a, b, indices):
        ta, tb = tangents
        out = np.zeros_like(a) if ta is None else ta.copy()
        if tb is not None:
            np.add.at(out, indices, tb if sign > 0 else -tb)
        return out
    return rule


defjvp_all("add.at", _at_jvp(1))
defjvp_all("subtract.at", _at_jvp(-1))

_core._ELEMENTWISE_NAMES = frozenset(name for name, *_ in UFUNCS)
