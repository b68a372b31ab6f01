"""The classic polynomial API: ``poly1d`` and ``polyadd``, ``polysub``, ``polymul``, ``polydiv``,
``polyder``, ``polyint``, ``polyval``.

Composites of npflow ops following NumPy's own steps (coefficients highest power first),
so they are differentiable in the coefficients and in ``x``. ``poly1d.roots`` and
``poly1d(..., r=True)`` use ``npflow.roots`` and ``npflow.poly`` (looked up when called).
"""
import re
import warnings

import numpy as _np

from .._core.dispatch import composite, ndarray_type
from .._core.dispatch import warn_at_caller as _warn_at_caller
from .creation import arange, array, asarray, ones, zeros, zeros_like
from .manipulation import atleast_1d, concatenate, stack
from .math import as_arrays, imag, iscomplex, real
from .signal import convolve
from .ufuncs import absolute, logical_or

__all__ = ["poly1d", "polyadd", "polysub", "polymul", "polydiv", "polyder", "polyint", "polyval"]


def _coefs(*ps):
    """Coefficients as 1-d npflow arrays on one device (a poly1d gives its own)."""
    return tuple(atleast_1d(c) for c in as_arrays(*(p.coeffs if isinstance(p, poly1d) else p for p in ps)))


def _wrap(val, *inputs):
    """A poly1d when any input was one (NumPy's ``truepoly``)."""
    return poly1d(val) if any(isinstance(a, poly1d) for a in inputs) else val


def _padded(a1, a2):
    """Both coefficient arrays, the shorter one padded with leading zeros of its own dtype."""
    a1, a2 = _coefs(a1, a2)
    d = len(a2) - len(a1)
    if d > 0:
        a1 = concatenate((zeros(d, a1.dtype, device=a1.device), a1))
    elif d < 0:
        a2 = concatenate((zeros(-d, a2.dtype, device=a2.device), a2))
    return a1, a2


@composite
def polyadd(a1, a2):
    """The sum of two polynomials."""
    x, y = _padded(a1, a2)
    return _wrap(x + y, a1, a2)


@composite
def polysub(a1, a2):
    """The difference of two polynomials."""
    x, y = _padded(a1, a2)
    return _wrap(x - y, a1, a2)


@composite
def polymul(a1, a2):
    """The product of two polynomials (a convolution of their coefficients)."""
    x, y = _coefs(a1, a2)
    return _wrap(convolve(poly1d(x).coeffs, poly1d(y).coeffs), a1, a2)


@composite
def polydiv(u, v):
    """Quotient and remainder of polynomial division (NumPy's long division)."""
    uu, vv = (c + 0.0 for c in _coefs(u, v))
    dt = (uu[0] + vv[0]).dtype
    m, n = len(uu) - 1, len(vv) - 1
    scale = 1. / vv[0]
    r = uu.astype(dt)
    q = []
    for k in range(m - n + 1):
        d = scale * r[k]
        q.append(d.astype(dt))
        r = concatenate((r[:k], (r[k:k + n + 1] - d * vv).astype(dt), r[k + n + 1:]))
    q = stack(q) if q else zeros((1,), dt, device=uu.device)
    while bool(absolute(r[0]) <= 1e-08) and r.shape[-1] > 1:  # NumPy's allclose(r[0], 0, rtol=1e-14)
        r = r[1:]
    if isinstance(u, poly1d) or isinstance(v, poly1d):
        return poly1d(q), poly1d(r)
    return q, r


@composite
def polyder(p, m=1):
    """The ``m``-th derivative of a polynomial."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    val, = as_arrays(p.coeffs if isinstance(p, poly1d) else p)
    for _ in range(m):
        val = val[:-1] * arange(len(val) - 1, 0, -1, device=val.device)
    # NumPy's recursion also forms (and drops) one more derivative: its shapes must broadcast
    _np.broadcast_shapes((max(len(val) - 1, 0),) + val.shape[1:], (max(len(val) - 1, 0),))
    return _wrap(val, p)


@composite
def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative of a polynomial, with integration constants ``k``."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    val, = as_arrays(p.coeffs if isinstance(p, poly1d) else p)
    if k is None:
        k = zeros(m, float, device=val.device)
    k = atleast_1d(k if isinstance(k, ndarray_type()) else asarray(k, device=val.device))
    if len(k) == 1 and m > 1:
        k = k[0] * ones(m, float, device=k.device)
    if len(k) < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    for i in range(m):
        val = concatenate((val / arange(len(val), 0, -1, device=val.device), k[i:i + 1]))
    return _wrap(val, p)


@composite
def polyval(p, x):
    """The polynomial with coefficients ``p`` at ``x`` (Horner's scheme, as NumPy)."""
    p = p.coeffs if isinstance(p, poly1d) else p
    if isinstance(x, poly1d):
        p, = as_arrays(p)
        y = 0
    else:
        p, x = as_arrays(p, x)
        y = zeros_like(x)
    for i in range(len(p)):
        y = y * x + p[i]
    return y


_POWER = re.compile(r"\*\*([0-9]*)")


def _raise_power(astr, wrap=70):
    """``x**2`` written with the power on the line above (NumPy's poly1d printing)."""
    n, line1, line2, output = 0, "", "", " "
    while True:
        mat = _POWER.search(astr, n)
        if mat is None:
            break
        span = mat.span()
        power = mat.groups()[0]
        partstr = astr[n:span[0]]
        n = span[1]
        toadd2 = partstr + " " * (len(power) - 1)
        toadd1 = " " * (len(partstr) - 1) + power
        if len(line2) + len(toadd2) > wrap or len(line1) + len(toadd1) > wrap:
            output += line1 + "\n" + line2 + "\n "
            line1, line2 = toadd1, toadd2
        else:
            line2 += partstr + " " * (len(power) - 1)
            line1 += " " * (len(partstr) - 1) + power
    return output + line1 + "\n" + line2 + astr[n:]


def _fmt_float(q):
    return f"{q:.4g}".removesuffix(".0000")


def _isscalar(x):
    return _np.isscalar(x)


class poly1d:
    """A one-dimensional polynomial (NumPy's class), its coefficients an npflow array."""
    __hash__ = None

    def __init__(self, c_or_r, r=False, variable=None):
        if isinstance(c_or_r, poly1d):
            self._variable = c_or_r._variable
            self._coeffs = c_or_r._coeffs
            if set(c_or_r.__dict__) - set(self.__dict__):
                _warn_at_caller("In the future extra properties will not be copied across when "
                              "constructing one poly1d from another", FutureWarning)
                self.__dict__.update(c_or_r.__dict__)
            if variable is not None:
                self._variable = variable
            return
        if r:
            import npflow
            c_or_r = npflow.poly(c_or_r)
        c_or_r = atleast_1d(c_or_r if isinstance(c_or_r, ndarray_type()) else asarray(c_or_r))
        if c_or_r.ndim > 1:
            raise ValueError("Polynomial must be 1d only.")
        nz = [i for i, v in enumerate(c_or_r != 0) if bool(v)]  # trim leading zeros
        c_or_r = c_or_r[nz[0]:] if nz else c_or_r[:0]
        if len(c_or_r) == 0:
            c_or_r = array([0], dtype=c_or_r.dtype, device=c_or_r.device)
        self._coeffs = c_or_r
        self._variable = "x" if variable is None else variable

    @property
    def coeffs(self):
        return self._coeffs

    @coeffs.setter
    def coeffs(self, value):
        if value is not self._coeffs:
            raise AttributeError("Cannot set attribute")

    @property
    def _coeffs(self):
        return self.__dict__["coeffs"]

    @_coeffs.setter
    def _coeffs(self, coeffs):
        self.__dict__["coeffs"] = coeffs

    @property
    def variable(self):
        return self._variable

    @property
    def order(self):
        return len(self._coeffs) - 1

    @property
    def roots(self):
        import npflow
        return npflow.roots(self._coeffs)

    r = roots
    c = coef = coefficients = coeffs
    o = order

    def __array__(self, t=None, copy=None):
        a = _np.asarray(self.coeffs)
        return _np.array(a, t, copy=copy) if t or copy else a

    def __repr__(self):
        return f"poly1d({repr(_np.asarray(self.coeffs))[6:-1]})"

    def __len__(self):
        return self.order

    def __str__(self):
        thestr = "0"
        var = self.variable
        coeffs = self.coeffs[logical_or.accumulate(self.coeffs != 0)]
        N = len(coeffs) - 1
        for k in range(len(coeffs)):
            coeff = coeffs[k]
            if not bool(iscomplex(coeff)):
                coefstr = _fmt_float(float(real(coeff)))
            elif float(real(coeff)) == 0:
                coefstr = f"{_fmt_float(float(imag(coeff)))}j"
            else:
                coefstr = f"({_fmt_float(float(real(coeff)))} + {_fmt_float(float(imag(coeff)))}j)"
            power = N - k
            if power == 0:
                newstr = coefstr if coefstr != "0" else "0" if k == 0 else ""
            elif coefstr == "0":
                newstr = ""
            elif power == 1:
                newstr = var if coefstr == "b" else f"{coefstr} {var}"
            else:
                newstr = "%s**%d" % (var, power) if coefstr == "b" else "%s %s**%d" % (coefstr, var, power)
            if k > 0:
                if newstr != "":
                    thestr = f"{thestr} - {newstr[1:]}" if newstr.startswith("-") else f"{thestr} + {newstr}"
            else:
                thestr = newstr
        return _raise_power(thestr)

    def _other(self, other):
        """Another operand as a poly1d, its coefficients made on this one's device."""
        if isinstance(other, (poly1d, ndarray_type())):
            return poly1d(other)
        return poly1d(asarray(other, device=self._coeffs.device))

    def __call__(self, val):
        return polyval(self.coeffs, val)

    def __neg__(self):
        return poly1d(-self.coeffs)

    def __pos__(self):
        return self

    def __mul__(self, other):
        if _isscalar(other):
            return poly1d(self.coeffs * other)
        return poly1d(polymul(self.coeffs, self._other(other).coeffs))

    def __rmul__(self, other):
        if _isscalar(other):
            return poly1d(other * self.coeffs)
        return poly1d(polymul(self.coeffs, self._other(other).coeffs))

    def __add__(self, other):
        return poly1d(polyadd(self.coeffs, self._other(other).coeffs))

    __radd__ = __add__

    def __pow__(self, val):
        if not _isscalar(val) or int(val) != val or val < 0:
            raise ValueError("Power to non-negative integers only.")
        res = [1]
        for _ in range(val):
            res = polymul(self.coeffs, res)
        return poly1d(res)

    def __sub__(self, other):
        return poly1d(polysub(self.coeffs, self._other(other).coeffs))

    def __rsub__(self, other):
        return poly1d(polysub(self._other(other).coeffs, self.coeffs))

    def __truediv__(self, other):
        if _isscalar(other):
            return poly1d(self.coeffs / other)
        return polydiv(self, self._other(other))

    def __rtruediv__(self, other):
        if _isscalar(other):
            return poly1d(other / self.coeffs)
        return polydiv(self._other(other), self)

    def __eq__(self, other):
        if not isinstance(other, poly1d):
            return NotImplemented
        if self.coeffs.shape != other.coeffs.shape:
            return False
        return bool((self.coeffs == other.coeffs).all())

    def __ne__(self, other):
        if not isinstance(other, poly1d):
            return NotImplemented
        return not self.__eq__(other)

    def __getitem__(self, val):
        if val > self.order or val < 0:
            return self.coeffs.dtype.type(0)
        return self.coeffs[self.order - val]

    def __setitem__(self, key, val):
        ind = self.order - key
        if key < 0:
            raise ValueError("Does not support negative powers.")
        if key > self.order:
            zr = zeros(key - self.order, self.coeffs.dtype, device=self.coeffs.device)
            self._coeffs = concatenate((zr, self.coeffs))
            ind = 0
        self._coeffs[ind] = val

    def __iter__(self):
        return iter(self.coeffs)

    def integ(self, m=1, k=0):
        """The ``m``-th antiderivative, with integration constants ``k``."""
        return poly1d(polyint(self.coeffs, m=m, k=k))

    def deriv(self, m=1):
        """The ``m``-th derivative."""
        return poly1d(polyder(self.coeffs, m=m))


poly1d.__module__ = "npflow"
