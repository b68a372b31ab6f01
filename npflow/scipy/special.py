"""``npflow.scipy.special``: SciPy's special functions, differentiable in both modes.

Every function ``jax.scipy.special`` has (and the Bessel, binomial and Hurwitz-zeta kernels
their derivatives need). Each elementwise function is a registered primitive whose kernel is
SciPy's own ufunc (``cupyx.scipy.special``'s on a CUDA device), so values and dtypes are
SciPy's (float32 in, float32 out where SciPy has a float32 loop); its derivative rules, in
the table below, are written in npflow ops, so they differentiate again (hessians) and run on
every device. ``logsumexp``, ``softmax``, ``log_softmax``, ``multigammaln``, ``comb`` and
``bessel_jn`` are composites of npflow ops.

Where SciPy's function has no derivative in an argument that npflow can compute (the order
of a Bessel function, the integer ``n`` of ``polygamma``/``expn``, the parameters ``a``, ``b``
of ``betainc``/``gammainc``/``hyp1f1``/``hyp2f1``, Riemann's ``zeta(x)`` in ``x``),
differentiating with respect to it raises ``AutodiffError`` naming the function and the
operand; it never gives a silent zero.

SciPy is imported when the first kernel runs: ``import npflow.scipy.special`` does not
import it (``pip install npflow[scipy]``).
"""
import inspect as _inspect
import math as _math

import npflow as np
from .._core.dispatch import apply, composite
from .._core.registry import Op, register
from ..autodiff.rules import defelementwise, defvjp, defjvp
from ._kernels import scipy_kernel

_SQRTPI = _math.sqrt(_math.pi)
_SQRT2PI = _math.sqrt(2 * _math.pi)

# (name, operand names, whether it has a derivative): elementwise primitives on SciPy's ufuncs.
# Their partial derivatives (None: not differentiable in that operand) are in _PARTIALS below.
_UFUNCS = [
    ("expit", "x"), ("logit", "x"), ("erf", "z"), ("erfc", "x"), ("erfinv", "y"), ("erfcx", "x"),
    ("gammaln", "x"), ("gamma", "z"), ("loggamma", "z"), ("digamma", "z"), ("i0", "x"),
    ("i0e", "x"), ("i1", "x"), ("i1e", "x"), ("ndtr", "x"), ("ndtri", "y"), ("log_ndtr", "x"),
    ("exp1", "z"), ("expi", "x"), ("spence", "z"), ("dawsn", "x"), ("entr", "x"), ("wofz", "z"),
    ("xlogy", "x y"), ("xlog1py", "x y"), ("kl_div", "x y"), ("rel_entr", "x y"),
    ("betaln", "a b"), ("beta", "a b"), ("poch", "z m"), ("gammainc", "a x"),
    ("gammaincc", "a x"), ("binom", "x y"), ("expn", "n x"), ("jv", "v z"), ("iv", "v z"),
    ("ive", "v z"), ("owens_t", "h a"), ("boxcox", "x lmbda"), ("boxcox1p", "x lmbda"),
    ("betainc", "a b x"), ("hyp1f1", "a b x"), ("hyp2f1", "a b c z"),
    ("polygamma", "n x"),  # (SciPy's is a Python function over psi and zeta: its dtypes)
]
_NO_DERIVATIVE = {"gammasgn": "x"}  # piecewise constant
_NO_RULE = {"riemann_zeta": "x"}     # differentiable in principle; no closed form npflow has
_MULTI = {"fresnel": "z", "sici": "x"}  # two results each

_OPS = {}


def _register(name, kernel_name=None, **kw):
    op = register(Op(f"scipy.special.{name}", scipy_kernel("special", name, kernel_name), **kw))
    _OPS[name] = op
    return op


def _public(name, params, op, doc=None):
    """The public function ``name(*params)``: ``apply(op, ...)``, SciPy's positional signature."""
    n = len(params)

    def fn(*args):
        if len(args) != n:
            raise TypeError(f"{name}() takes {n} positional argument{'s' * (n > 1)} "
                            f"({', '.join(params)}), got {len(args)}")
        return apply(op, *args)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__signature__ = _inspect.Signature(
        [_inspect.Parameter(p, _inspect.Parameter.POSITIONAL_ONLY) for p in params])
    fn.__doc__ = doc or f"SciPy's ``scipy.special.{name}`` (its kernel), differentiable in npflow."
    return fn


__all__ = []
for _name, _params in _UFUNCS:
    globals()[_name] = _public(_name, _params.split(), _register(_name))
    __all__.append(_name)
for _name, _params in _NO_DERIVATIVE.items():
    globals()[_name] = _public(_name, _params.split(), _register(_name, differentiable=False))
    __all__.append(_name)
for _name, _params in _MULTI.items():
    globals()[_name] = _public(_name, _params.split(), _register(_name, nout=2))
    __all__.append(_name)
_RIEMANN = _register("riemann_zeta", "zeta", differentiable=None)
psi = digamma  # SciPy's other name
__all__.append("psi")


# -- derivative rules, in npflow ops (so they differentiate again) -----------------------------
def _safe(cond, x, value):
    """``x`` with ``value`` where ``cond`` holds: a branch of ``where`` that stays finite there."""
    return np.where(cond, value, x)


def _on(ref, v):
    """``v`` (a parameter operand: Python scalar, NumPy or npflow array) as an npflow array on
    ``ref``'s device, so that a rule computing on it alone stays on the operands' device."""
    return v if isinstance(v, np.ndarray) else np.asarray(v, device=ref.device)


def _zeta_x(x, q):
    return zeta(x, q)


_PARTIALS = {
    "expit": (lambda ans, x: ans * (1 - ans),),
    "logit": (lambda ans, x: 1 / (x * (1 - x)),),
    "erf": (lambda ans, z: (2 / _SQRTPI) * np.exp(-z * z),),
    "erfc": (lambda ans, x: (-2 / _SQRTPI) * np.exp(-x * x),),
    "erfinv": (lambda ans, y: (_SQRTPI / 2) * np.exp(ans * ans),),
    "erfcx": (lambda ans, x: 2 * x * ans - 2 / _SQRTPI,),
    "gammaln": (lambda ans, x: digamma(x),),
    "gamma": (lambda ans, z: ans * digamma(z),),
    "loggamma": (lambda ans, z: digamma(z),),
    "digamma": (lambda ans, z: polygamma(1, z),),
    "i0": (lambda ans, x: i1(x),),
    "i0e": (lambda ans, x: i1e(x) - np.sign(x) * ans,),
    "i1": (lambda ans, x: (i0(x) + iv(2, x)) / 2,),
    "i1e": (lambda ans, x: (i0e(x) + ive(2, x)) / 2 - np.sign(x) * ans,),
    "ndtr": (lambda ans, x: np.exp(-x * x / 2) / _SQRT2PI,),
    "ndtri": (lambda ans, y: _SQRT2PI * np.exp(ans * ans / 2),),
    "log_ndtr": (lambda ans, x: np.exp(-x * x / 2 - ans) / _SQRT2PI,),
    "exp1": (lambda ans, z: -np.exp(-z) / z,),
    "expi": (lambda ans, x: np.exp(x) / x,),
    # spence(z) = integral from 1 to z of log(t) / (1 - t) dt
    "spence": (lambda ans, z: _log1p_ratio(z - 1),),
    "dawsn": (lambda ans, x: 1 - 2 * x * ans,),
    "entr": (lambda ans, x: -(np.log(x) + 1),),
    "wofz": (lambda ans, z: -2 * z * ans + 2j / _SQRTPI,),
    "xlogy": (lambda ans, x, y: np.log(y), lambda ans, x, y: x / y),
    "xlog1py": (lambda ans, x, y: np.log1p(y), lambda ans, x, y: x / (1 + y)),
    "kl_div": (lambda ans, x, y: np.log(x / y), lambda ans, x, y: 1 - x / y),
    "rel_entr": (lambda ans, x, y: np.log(x / y) + 1, lambda ans, x, y: -x / y),
    "betaln": (lambda ans, a, b: digamma(a) - digamma(a + b), lambda ans, a, b: digamma(b) - digamma(a + b)),
    "beta": (lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
             lambda ans, a, b: ans * (digamma(b) - digamma(a + b))),
    "poch": (lambda ans, z, m: ans * (digamma(z + m) - digamma(z)), lambda ans, z, m: ans * digamma(z + m)),
    "gammainc": (None, lambda ans, a, x: np.exp((a - 1) * np.log(x) - x - gammaln(_on(x, a)))),
    "gammaincc": (None, lambda ans, a, x: -np.exp((a - 1) * np.log(x) - x - gammaln(_on(x, a)))),
    "binom": (lambda ans, x, y: ans * (digamma(x + 1) - digamma(x - y + 1)),
              lambda ans, x, y: ans * (digamma(x - y + 1) - digamma(y + 1))),
    # E_n' = -E_{n-1}; E_0' = -exp(-x) (1 + x) / x**2
    "expn": (None, lambda ans, n, x: np.where(n >= 1, -expn(np.maximum(_on(x, n), 1) - 1, x),
                                               -np.exp(-x) * (1 + x) / (x * x))),
    "jv": (None, lambda ans, v, z: (jv(v - 1, z) - jv(v + 1, z)) / 2),
    "iv": (None, lambda ans, v, z: (iv(v - 1, z) + iv(v + 1, z)) / 2),
    "ive": (None, lambda ans, v, z: (ive(v - 1, z) + ive(v + 1, z)) / 2 - np.sign(z) * ans),
    "owens_t": (lambda ans, h, a: -np.exp(-h * h / 2) * erf(a * h / _math.sqrt(2)) / (2 * _SQRT2PI),
                lambda ans, h, a: np.exp(-h * h * (1 + a * a) / 2) / (2 * _math.pi * (1 + a * a))),
    # boxcox(x, l) = (x**l - 1) / l = log(x) E(l log x), E(u) = expm1(u) / u (log x at l = 0)
    "boxcox": (lambda ans, x, lmbda: x ** (lmbda - 1), lambda ans, x, lmbda: _boxcox_dl(np.log(x), lmbda)),
    "boxcox1p": (lambda ans, x, lmbda: (1 + x) ** (lmbda - 1),
                 lambda ans, x, lmbda: _boxcox_dl(np.log1p(x), lmbda)),
    "betainc": (None, None, lambda ans, a, b, x: np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
                                                         - betaln(_on(x, a), b))),
    "hyp1f1": (None, None, lambda ans, a, b, x: a / b * hyp1f1(a + 1, b + 1, x)),
    "hyp2f1": (None, None, None, lambda ans, a, b, c, z: a * b / c * hyp2f1(a + 1, b + 1, c + 1, z)),
    "polygamma": (None, lambda ans, n, x: polygamma(n + 1, x)),
    "zeta": (None, lambda ans, x, q: -x * _zeta_x(x + 1, q)),
}


# Near a removable singularity a rule uses the Taylor polynomial (to u**3, below u = 1e-3: the
# neglected terms are under 1e-12 relative), so that it and its own derivatives stay right there.
_NEAR = 1e-3


def _log1p_ratio(w):
    """``-log1p(w) / w`` (-1 at w = 0): spence's derivative at z = 1 + w."""
    near = np.abs(w) < _NEAR
    ws = _safe(near, w, 1)
    return np.where(near, -(1 - w / 2 + w * w / 3 - w * w * w / 4), -np.log1p(ws) / ws)


def _boxcox_dl(logx, lmbda):
    """d boxcox / d lmbda = log(x)**2 E'(u), u = lmbda log(x), E'(u) = (u e^u - expm1(u)) / u**2."""
    u = lmbda * logx
    near = np.abs(u) < _NEAR
    us = _safe(near, u, 1)
    series = 0.5 + u / 3 + u * u / 8 + u * u * u / 30
    return logx * logx * np.where(near, series, (us * np.exp(us) - np.expm1(us)) / (us * us))


def _finite_or_nan(ans, d):
    """The partial derivative ``d``, but NaN where the value is NaN or infinite and ``d`` finite:
    there the function has no derivative (SciPy's NaN for logit(2) or exp1(-1), its constant inf
    for kl_div(-1, 1)), and the formula's finite number would be a silently wrong one."""
    return np.where(np.isfinite(ans) | ~np.isfinite(d), d, np.nan)


def _undefined_is_nan(d):
    """``d(ans, *operands)`` through ``_finite_or_nan``, with ``d``'s own parameter names
    (defelementwise reads them to know which operands the rule uses)."""
    if d is None:
        return None
    names = d.__code__.co_varnames[:d.__code__.co_argcount]
    scope = {"_finite_or_nan": _finite_or_nan, "d": d}
    exec(f"def rule({', '.join(names)}):\n    return _finite_or_nan({names[0]}, d({', '.join(names)}))", scope)
    return scope["rule"]


_ZETA = _register("zeta")
for _name, _rules in _PARTIALS.items():
    defelementwise(_OPS[_name], *[_undefined_is_nan(r) for r in _rules])

# fresnel: S' = sin(pi z**2 / 2), C' = cos(pi z**2 / 2); sici: Si' = sin(x) / x, Ci' = cos(x) / x
_TWO_RESULT_PARTIALS = {
    "fresnel": lambda z: (np.sin(np.pi / 2 * z * z), np.cos(np.pi / 2 * z * z)),
    "sici": lambda x: (np.sinc(x / np.pi), np.cos(x) / x),
}


def _two_result_rules(partials):
    def vjp(g, ans, x):
        d0, d1 = partials(x)
        return g[0] * d0 + g[1] * d1

    def jvp(t, ans, x):
        d0, d1 = partials(x)
        return t * d0, t * d1
    return vjp, jvp


for _name, _partials in _TWO_RESULT_PARTIALS.items():
    _vjp, _jvp = _two_result_rules(_partials)
    defvjp(_OPS[_name], _vjp)
    defjvp(_OPS[_name], _jvp)


# -- functions with keyword arguments, or that choose between kernels ---------------------------
def zeta(x, q=None):
    """The Hurwitz zeta function ``zeta(x, q)``; Riemann's ``zeta(x)`` where ``q`` is None.
    Differentiable in ``q`` (``-x zeta(x + 1, q)``); in ``x`` it raises (no closed form)."""
    return apply(_RIEMANN, x) if q is None else apply(_ZETA, x, q)


__all__.append("zeta")


def _factorial_rule(g, ans, n, extend="zero"):  # (exact=True takes integers only: no tangent)
    d = ans * digamma(n + 1)
    return g * (d if extend == "complex" else np.where(n < 0, 0, d))


_FACTORIAL = _register("factorial")
defvjp(_FACTORIAL, _factorial_rule)
defjvp(_FACTORIAL, _factorial_rule)


def factorial(n, exact=False, extend="zero"):
    """``n!`` (``gamma(n + 1)``; 0 for ``n < 0`` unless ``extend='complex'``), SciPy's kernel;
    differentiable in ``n`` unless ``exact=True``."""
    return apply(_FACTORIAL, n, exact=exact, extend=extend)


_BERNOULLI = _register("bernoulli", differentiable=False)


def bernoulli(n):
    """The Bernoulli numbers B0 .. Bn (float64), as SciPy's ``bernoulli``."""
    return apply(_BERNOULLI, n=n)


_SPH_HARM_Y = _register("sph_harm_y")


def _sph_dtheta(ans, n, m, theta, phi):
    # dY/dtheta = m cot(theta) Y_n^m + sqrt((n - m)(n + m + 1)) e^{-i phi} Y_n^{m+1}
    return (m / np.tan(theta) * ans
            + np.sqrt(np.maximum(_on(theta, (n - m) * (n + m + 1)), 0)) * np.exp(-1j * phi) * sph_harm_y(n, m + 1, theta, phi))


defelementwise(_SPH_HARM_Y, None, None, _sph_dtheta, lambda ans, n, m, theta, phi: 1j * m * ans)


def sph_harm_y(n, m, theta, phi, *, diff_n=0):
    """The spherical harmonic Y_n^m(theta, phi) (SciPy's kernel and conventions), differentiable
    in ``theta`` and ``phi``; npflow's own transforms give its derivatives (``diff_n=0`` only)."""
    if diff_n != 0:
        raise ValueError(f"sph_harm_y(): diff_n={diff_n} is not supported; differentiate with "
                         f"npflow.grad/jacfwd (diff_n=0 only)")
    return apply(_SPH_HARM_Y, n, m, theta, phi)


_COMB_EXACT = _register("comb_exact", "comb", differentiable=False)


@composite
def comb(N, k, *, exact=False, repetition=False):
    """The number of combinations of ``N`` things taken ``k`` at a time (``binom`` where
    ``0 <= k <= N``, else 0); differentiable in ``N`` and ``k`` unless ``exact=True``."""
    if exact:
        return apply(_COMB_EXACT, N, k, exact=True, repetition=repetition)
    k, N = np.asarray(k), np.asarray(N)
    if repetition:  # C(N + k - 1, k), and 1 for k = 0, N >= 0
        return np.where((k == 0) & (N >= 0), 1.0, binom(N + k - 1, k))
    vals = binom(N, k)
    return np.where((k <= N) & (N >= 0) & (k >= 0), vals, 0)


@composite
def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension ``d`` (SciPy's sum of gammaln)."""
    d = np.asarray(d)[()].item() if isinstance(d, np.ndarray) else d
    if not isinstance(d, (int, float)) or isinstance(d, bool) or _math.floor(d) != d:
        raise ValueError("d should be a positive integer (dimension)")
    a = np.asarray(a)
    if bool(np.any(a <= 0.5 * (d - 1))):
        raise ValueError(f"condition a ({a}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    res = (d * (d - 1) * 0.25) * _math.log(_math.pi)
    return res + np.sum(np.stack([gammaln(a - (j - 1.0) / 2) for j in range(1, int(d) + 1)]), axis=0)


@composite
def bessel_jn(z, *, v, n_iter=50):
    """JAX's ``bessel_jn``: the Bessel functions of the first kind J_0 .. J_v at ``z``, stacked
    along a new first axis (SciPy's ``jv`` kernel; ``n_iter`` is JAX's series length, unused)."""
    if not isinstance(v, int) or v < 0:
        raise ValueError(f"bessel_jn(): v must be a non-negative Python int, got {v!r}")
    return np.stack([jv(k, z) for k in range(v + 1)])


# -- logsumexp, softmax, log_softmax: composites (their gradients follow) ----------------------
def _float(a):
    a = np.asarray(a)
    return a if a.dtype.kind in "fc" else a.astype(np.result_type(a.dtype, np.float64))


@composite
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` along ``axis``, stably (SciPy's values, dtypes and edge cases:
    weights ``b`` may be zero or negative; ``return_sign`` gives the sign of the sum, else a
    negative sum gives NaN)."""
    a = _float(a)
    if b is not None:
        b = np.asarray(b)
        a, b = np.broadcast_arrays(a, b)
        dtype = np.result_type(a.dtype, b.dtype)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        a = np.where(b == 0, -np.inf, a)  # a zero weight drops its term, even an inf or NaN
    a = np.atleast_1d(a)
    if b is not None:
        b = np.atleast_1d(b)
    axis = tuple(range(a.ndim)) if axis is None else axis
    if a.size == 0:
        out = np.sum(a, axis=axis, keepdims=True) - np.inf
        sgn = np.sign(out)
    else:
        re = np.real(a) if a.dtype.kind == "c" else a
        shift = np.stop_gradient(np.max(re, axis=axis, keepdims=True))
        shift = np.where(np.isfinite(shift), shift, 0)
        e = np.exp(a - shift)
        s = np.sum(e if b is None else b * e, axis=axis, keepdims=True)
        if a.dtype.kind == "c":
            out = np.log(s) + shift
            sgn = np.exp(1j * np.imag(out))
            out = np.real(out) if return_sign else np.real(out) + 1j * _wrap(np.imag(out))
        else:
            sgn = np.sign(s)
            out = np.log(np.abs(s)) + shift
            if not return_sign:
                out = np.where(sgn < 0, np.nan, out)
    if not keepdims:
        out = np.squeeze(out, axis=axis)
        sgn = np.squeeze(sgn, axis=axis)
    return (out, sgn) if return_sign else out


def _wrap(x):
    """Radians wrapped into (-pi, pi]."""
    return np.where(np.abs(x) < np.pi, x, -((-x + np.pi) % (2 * np.pi) - np.pi))


@composite
def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (SciPy's steps: shifted by the maximum)."""
    x = np.asarray(x)
    e = np.exp(x - np.stop_gradient(np.max(x, axis=axis, keepdims=True)))
    return e / np.sum(e, axis=axis, keepdims=True)


@composite
def log_softmax(x, axis=None):
    """``log(softmax(x))``, accurately (SciPy's steps: shifted by the finite maximum)."""
    x = np.asarray(x)
    x_max = np.stop_gradient(np.max(x, axis=axis, keepdims=True))
    tmp = x - np.where(np.isfinite(x_max), x_max, 0)
    with np.errstate(divide="ignore"):
        return tmp - np.log(np.sum(np.exp(tmp), axis=axis, keepdims=True))


__all__ += ["factorial", "bernoulli", "sph_harm_y", "comb", "multigammaln", "bessel_jn",
            "logsumexp", "softmax", "log_softmax"]
__all__.sort()
