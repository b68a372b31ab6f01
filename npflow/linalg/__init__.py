"""numpy.linalg: linear algebra, differentiable, on every device.

One primitive per LAPACK call (inv, det, slogdet, solve, cholesky, qr, svd, svdvals, eigh,
eigvalsh, eig, eigvals, lstsq: npflow/_ops/linalg.py, with their derivative rules); the rest are
composites built as NumPy builds them (norms, cond, pinv, matrix_power, multi_dot, tensorinv,
tensorsolve, matrix_rank, svd(hermitian=True)), so their values and dtypes are NumPy's. These
functions are also the Array API ``linalg`` extension. Derivatives of eigen- and singular vectors
exist only for distinct eigen/singular values, and fix the vectors' free phase (sign): use them
in functions that do not depend on it (see npflow/_ops/linalg.py).
"""
import operator

import numpy as _onp
from numpy.linalg import LinAlgError
from numpy.linalg._linalg import EigResult, EighResult, QRResult, SlogdetResult, SVDResult
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from .._core.public import npflow as _np  # (called at run time, once npflow is imported)
from .._core.dispatch import apply, composite, warn_at_caller
from .._numpy.sorting import argsort_like_numpy as _argsort_like_numpy
from .._ops.linalg import OPS

__all__ = ["LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "matrix_transpose", "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd",
           "svdvals", "tensordot", "tensorinv", "tensorsolve", "trace", "vecdot", "vector_norm"]

_NoValue = _onp._NoValue


# -- primitives -------------------------------------------------------------------------------

def inv(a):
    return apply(OPS["inv"], a)


def det(a):
    return apply(OPS["det"], a)


def slogdet(a):
    return SlogdetResult(*apply(OPS["slogdet"], a))


def solve(a, b):
    return apply(OPS["solve"], a, b)


def cholesky(a, /, *, upper=False):
    """Differentiated as a function of the triangle LAPACK reads (the lower one, or the upper)."""
    return apply(OPS["cholesky"], a, upper=bool(upper))


def eigvals(a):
    return apply(OPS["eigvals"], a)


def eig(a):
    """Eigenvector derivatives need distinct eigenvalues and fix each vector's phase (v^H dv real)."""
    return EigResult(*apply(OPS["eig"], a))


def eigh(a, UPLO="L"):
    """Differentiated as a function of the UPLO triangle; eigenvector derivatives need distinct
    eigenvalues and fix each vector's phase (v^H dv real)."""
    return EighResult(*apply(OPS["eigh"], a, UPLO=UPLO.upper()))


def eigvalsh(a, UPLO="L"):
    return apply(OPS["eigvalsh"], a, UPLO=UPLO.upper())


def qr(a, mode="reduced"):
    """Modes 'reduced', 'complete', 'r' (differentiable) and 'raw' (Householder form: no rule)."""
    if mode not in ("reduced", "complete", "r", "raw"):
        if mode in ("f", "full"):
            warn_at_caller("The 'full' option is deprecated in favor of 'reduced'.\nFor backward "
                           "compatibility let mode default.", DeprecationWarning)
            mode = "reduced"
        elif mode in ("e", "economic"):
            warn_at_caller("The 'economic' option is deprecated.", DeprecationWarning)
            return matrix_transpose(apply(OPS["qr_raw"], a)[0])
        else:
            raise ValueError(f"linalg.qr(): Unrecognized mode '{mode}'")
    if mode == "raw":
        return apply(OPS["qr_raw"], a)
    q, r = apply(OPS["qr"], a, mode="reduced" if mode == "r" else mode)
    return r if mode == "r" else QRResult(q, r)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular vector derivatives need distinct nonzero singular values and fix the phases; with
    full_matrices=True and M != N the completing columns have none (NaN tangents, vjp error)."""
    if hermitian:
        return _svd_hermitian(a, compute_uv)
    if compute_uv:
        return SVDResult(*apply(OPS["svd"], a, full_matrices=bool(full_matrices)))
    return apply(OPS["svdvals"], a)


def svdvals(x, /):
    return apply(OPS["svdvals"], x)


def lstsq(a, b, rcond=None):
    """(x, residuals, rank, s) as NumPy; x is differentiable where the rank is locally constant."""
    return apply(OPS["lstsq"], a, b, rcond=rcond)


# -- composites --------------------------------------------------------------------------------

@composite
def _svd_hermitian(a, compute_uv):
    if not compute_uv:
        return _np.flip(_np.sort(_np.abs(eigvalsh(a))), axis=-1)
    s, u = eigh(a)
    sgn = _np.copysign(1.0, s)
    s = _np.abs(s)
    sidx = _np.flip(_argsort_like_numpy(s), axis=-1)
    sgn = _np.take_along_axis(sgn, sidx, axis=-1)
    s = _np.take_along_axis(s, sidx, axis=-1)
    u = _np.take_along_axis(u, sidx[..., None, :], axis=-1)
    return SVDResult(u, s, _np.conj(matrix_transpose(u * sgn[..., None, :])))


def _square(a):
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least two-dimensional")
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


@composite
def matrix_power(a, n):
    a = _np.asarray(a)
    _square(a)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        return _np.zeros_like(a) + _np.eye(a.shape[-2], dtype=a.dtype, device=a.device)
    if n < 0:
        a = inv(a)
        n = abs(n)
    if n == 1:
        return a
    if n == 2:
        return _np.matmul(a, a)
    if n == 3:
        return _np.matmul(_np.matmul(a, a), a)
    z = result = None
    while n > 0:  # binary decomposition, from the least significant bit (as NumPy)
        z = a if z is None else _np.matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else _np.matmul(result, z)
    return result


@composite
def pinv(a, rcond=None, hermitian=False, *, rtol=_NoValue):
    a = _np.asarray(a)
    if rcond is None:
        if rtol is _NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(a.shape[-2:]) * _np.finfo(a.dtype).eps
        else:
            rcond = rtol
    elif rtol is not _NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    if a.size == 0 and _onp.prod(a.shape[-2:]) == 0:
        m, n = a.shape[-2:]
        return _np.empty(a.shape[:-2] + (n, m), dtype=a.dtype, device=a.device)
    u, s, vt = svd(_np.conj(a), full_matrices=False, hermitian=hermitian)
    rcond = _np.asarray(rcond, device=a.device)
    cutoff = rcond[..., None] * _np.max(s, axis=-1, keepdims=True)
    large = s > cutoff
    s = _np.where(large, 1 / _np.where(large, s, 1), 0).astype(s.dtype)
    return _np.matmul(matrix_transpose(vt), s[..., None] * matrix_transpose(u))


@composite
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    if rtol is not None and tol is not None:
        raise ValueError("`tol` and `rtol` can't be both set.")
    A = _np.asarray(A)
    if A.ndim < 2:
        return int(not bool(_np.all(A == 0)))
    S = svd(A, compute_uv=False, hermitian=hermitian)
    if tol is None:
        if rtol is None:
            rtol = max(A.shape[-2:]) * _np.finfo(S.dtype).eps
        else:
            rtol = _np.asarray(rtol, device=A.device)[..., None]
        tol = _np.max(S, axis=-1, keepdims=True, initial=0) * rtol
    else:
        tol = _np.asarray(tol, device=A.device)[..., None]
    return _np.count_nonzero(S > tol, axis=-1)


@composite
def cond(x, p=None):
    x = _np.asarray(x)
    if x.size == 0 and _onp.prod(x.shape[-2:]) == 0:
        raise LinAlgError("cond is not defined on empty arrays")
    if p is None or p in {2, -2}:
        s = svd(x, compute_uv=False)
        with _onp.errstate(all="ignore"):
            r = s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    else:
        _square(x)
        single = x.dtype in (_np.float32, _np.complex64)  # NumPy inverts in double precision
        invx = _inv_or_nan(x.astype(_np.complex128 if x.dtype.kind == "c" else _np.float64))
        with _onp.errstate(all="ignore"):
            r = norm(x, p, axis=(-2, -1)) * norm(invx, p, axis=(-2, -1))
        r = r.astype(_np.float32 if single else _np.float64, copy=False)
    # NaNs (from a singular matrix) become inf, unless the matrix itself had NaNs
    nan_mask = _np.isnan(r) & ~_np.any(_np.isnan(x), axis=(-2, -1))
    return _np.where(nan_mask, _onp.inf, r)


def _inv_or_nan(x):
    """inv(x), with NaN matrices where x is singular (as NumPy's cond computes it)."""
    try:
        return inv(x)
    except LinAlgError:
        if x.ndim == 2:
            return _np.full(x.shape, _onp.nan, dtype=x.dtype, device=x.device)
        flat = _np.reshape(x, (-1,) + x.shape[-2:])
        return _np.reshape(_np.stack([_inv_or_nan(m) for m in flat]), x.shape)


@composite
def norm(x, ord=None, axis=None, keepdims=False):
    x = _np.asarray(x)
    if x.dtype.kind not in "fcO":
        x = x.astype(float)
    if axis is None:
        ndim = x.ndim
        if ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1):
            x = _np.ravel(x, order=_layout(x))
            if x.dtype.kind == "c":
                sqnorm = _np.dot(_np.real(x), _np.real(x)) + _np.dot(_np.imag(x), _np.imag(x))
            else:
                sqnorm = _np.dot(x, x)
            ret = _np.sqrt(sqnorm)
            return _np.reshape(ret, ndim * [1]) if keepdims else ret
    nd = x.ndim
    if axis is None:
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = int(axis)
        except Exception as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
        axis = (axis,)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _layout(x):
    """The order ravel(order='K') takes for a contiguous array (K itself is not differentiable)."""
    return "F" if x.ndim > 1 and x.flags.f_contiguous and not x.flags.c_contiguous else "C"


def _vector_norm(x, ord, axis, keepdims):
    if ord == _onp.inf:
        return _np.max(_np.abs(x), axis=axis, keepdims=keepdims, initial=0)
    if ord == -_onp.inf:
        return _np.min(_np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return _np.sum((x != 0).astype(_np.real(x).dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return _np.add.reduce(_np.abs(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return _np.sqrt(_np.add.reduce(_np.real(_np.conj(x) * x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    absx = _np.abs(x)
    absx = absx ** _np.asarray(ord, dtype=absx.dtype, device=x.device)
    ret = _np.add.reduce(absx, axis=axis, keepdims=keepdims)
    return ret ** _np.reciprocal(_np.asarray(ord, dtype=ret.dtype, device=x.device))


def _svd_norm(x, row_axis, col_axis, op, **initial):
    return op(svdvals(_np.moveaxis(x, (row_axis, col_axis), (-2, -1))), axis=-1, **initial)


def _matrix_norm(x, ord, axis, keepdims):
    nd = x.ndim
    row_axis, col_axis = (normalize_axis_index(i, nd) for i in axis)
    if row_axis == col_axis:
        raise ValueError("Duplicate axes given.")
    if ord == 2:
        ret = _svd_norm(x, row_axis, col_axis, _np.max, initial=0)
    elif ord == -2:
        ret = _svd_norm(x, row_axis, col_axis, _np.min)
    elif ord in (1, -1):
        ret = _np.add.reduce(_np.abs(x), axis=row_axis)
        col = col_axis - 1 if col_axis > row_axis else col_axis
        ret = _np.max(ret, axis=col, initial=0) if ord == 1 else _np.min(ret, axis=col)
    elif ord in (_onp.inf, -_onp.inf):
        ret = _np.add.reduce(_np.abs(x), axis=col_axis)
        row = row_axis - 1 if row_axis > col_axis else row_axis
        ret = _np.max(ret, axis=row, initial=0) if ord > 0 else _np.min(ret, axis=row)
    elif ord in (None, "fro", "f"):
        ret = _np.sqrt(_np.add.reduce(_np.real(_np.conj(x) * x), axis=axis))
    elif ord == "nuc":
        ret = _svd_norm(x, row_axis, col_axis, _np.sum, initial=0)
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        shape = list(x.shape)
        shape[axis[0]] = shape[axis[1]] = 1
        ret = _np.reshape(ret, shape)
    return ret


@composite
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return norm(x, axis=(-2, -1), keepdims=keepdims, ord=ord)


@composite
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    x = _np.asarray(x)
    shape = list(x.shape)
    if axis is None:
        x = _np.ravel(x)
        _axis = 0
    elif isinstance(axis, tuple):
        normalized = normalize_axis_tuple(axis, x.ndim)
        rest = tuple(i for i in range(x.ndim) if i not in normalized)
        x = _np.reshape(_np.transpose(x, axis + rest),
                        (int(_onp.prod([x.shape[i] for i in axis], dtype=int)), *[x.shape[i] for i in rest]))
        _axis = 0
    else:
        _axis = axis
    res = norm(x, axis=_axis, ord=ord)
    if keepdims:
        for i in normalize_axis_tuple(range(len(shape)) if axis is None else axis, len(shape)):
            shape[i] = 1
        res = _np.reshape(res, tuple(shape))
    return res


@composite
def multi_dot(arrays, *, out=None):
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return _np.dot(arrays[0], arrays[1], out=out)
    arrays = [_np.asarray(a) for a in arrays]
    ndim_first, ndim_last = arrays[0].ndim, arrays[-1].ndim
    if ndim_first == 1:
        arrays[0] = _np.atleast_2d(arrays[0])
    if ndim_last == 1:
        arrays[-1] = matrix_transpose(_np.atleast_2d(arrays[-1]))
    for a in arrays:
        if a.ndim != 2:
            raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be two-dimensional")
    if n == 3:
        result = _multi_dot_three(*arrays, out=out)
    else:
        result = _multi_dot(arrays, _chain_order(arrays), 0, n - 1, out=out)
    if ndim_first == 1 and ndim_last == 1:
        return result[0, 0]
    if ndim_first == 1 or ndim_last == 1:
        return _np.ravel(result)
    return result


def _multi_dot_three(A, B, C, out=None):
    (a0, a1b0), (b1c0, c1) = A.shape, C.shape
    if a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0):
        return _np.dot(_np.dot(A, B), C, out=out)
    return _np.dot(A, _np.dot(B, C), out=out)


def _chain_order(arrays):
    """NumPy's (Cormen's) optimal parenthesisation: s[i][j] is where A_i..A_j splits."""
    n = len(arrays)
    p = [a.shape[0] for a in arrays] + [arrays[-1].shape[1]]
    m = [[0.0] * n for _ in range(n)]
    s = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            m[i][j] = _onp.inf
            for k in range(i, j):
                q = m[i][k] + m[k + 1][j] + float(p[i] * p[k + 1] * p[j + 1])
                if q < m[i][j]:
                    m[i][j], s[i][j] = q, k
    return s


def _multi_dot(arrays, order, i, j, out=None):
    if i == j:
        return arrays[i]
    return _np.dot(_multi_dot(arrays, order, i, order[i][j]), _multi_dot(arrays, order, order[i][j] + 1, j),
                   out=out)


@composite
def tensorinv(a, ind=2):
    a = _np.asarray(a)
    oldshape = a.shape
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    invshape = oldshape[ind:] + oldshape[:ind]
    prod = 1
    for k in oldshape[ind:]:
        prod *= k
    return _np.reshape(inv(_np.reshape(a, (prod, -1))), invshape)


@composite
def tensorsolve(a, b, axes=None):
    a, b = _np.asarray(a), _np.asarray(b)
    an = a.ndim
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = _np.transpose(a, allaxes)
    oldshape = a.shape[-(an - b.ndim):]
    prod = 1
    for k in oldshape:
        prod *= k
    if a.size != prod ** 2:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    return _np.reshape(solve(_np.reshape(a, (prod, prod)), _np.ravel(b)), oldshape)


# -- NumPy's main-namespace functions under the standard's linalg signatures --------------------

@composite
def diagonal(x, /, *, offset=0):
    return _np.diagonal(x, offset, axis1=-2, axis2=-1)


@composite
def trace(x, /, *, offset=0, dtype=None):
    return _np.trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


@composite
def outer(x1, x2, /):
    x1, x2 = _np.asarray(x1), _np.asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are x1.ndim={x1.ndim} and "
                         f"x2.ndim={x2.ndim}.")
    return _np.outer(x1, x2)


@composite
def cross(x1, x2, /, *, axis=-1):
    x1, x2 = _np.asarray(x1), _np.asarray(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they are "
                         f"{x1.shape[axis]} and {x2.shape[axis]} dimensional instead.")
    return _np.cross(x1, x2, axis=axis)


@composite
def matmul(x1, x2, /):
    return _np.matmul(x1, x2)


@composite
def tensordot(x1, x2, /, *, axes=2):
    return _np.tensordot(x1, x2, axes=axes)


@composite
def matrix_transpose(x, /):
    return _np.matrix_transpose(x)


@composite
def vecdot(x1, x2, /, *, axis=-1):
    return _np.vecdot(x1, x2, axis=axis)


import sys as _sys  # noqa: E402
from .._docstrings import adopt as _adopt  # noqa: E402
from .._numpy.interop import publish as _publish  # noqa: E402

_adopt(_sys.modules[__name__])  # (loaded on first use: after npflow's own adopt)
_publish(_sys.modules[__name__])
