"""``npflow.scipy.sparse.linalg``: SciPy's Krylov solvers ``cg``, ``gmres`` and ``bicgstab`` in
npflow ops (SciPy's iterations, tolerances and ``info``; on the operands' device), differentiable.

``A`` (and the preconditioner ``M``) is a 2-d array, a function ``A(x)``, an object with
``matvec`` (a ``scipy.sparse.linalg.LinearOperator``, run on the host) or a SciPy sparse matrix.
The solution ``x`` of ``A x = b`` is differentiable by the implicit function theorem, never
through the iterations: ``dx = A^{-1} (db - dA x)`` (forward mode, a linear solve of the same
kind) and ``b_bar = A^{-T} x_bar``, ``A_bar = -b_bar x^T`` (reverse mode; ``A^T`` applied by
transposing the operator: ``A.T``, ``rmatvec``, or the vjp of ``A(x)``), to any order. The
derivative is in ``b``, and in ``A`` where ``A`` is an array; an operator whose values depend on
differentiated arrays (a closure) raises, as its derivative would otherwise be lost.
"""
import math as _math

import numpy as _onp

import npflow as np
from ...autodiff import core as _core
from ...autodiff.transforms import _innermost_tracking

__all__ = ["cg", "gmres", "bicgstab"]


# -- operators ---------------------------------------------------------------------------------

class _Op:
    """A linear operator on vectors like ``b``: ``matrix`` (an npflow array, differentiable) or
    ``matvec`` (a function), with its transpose."""

    def __init__(self, A, b, fname, what="A"):
        n = b.shape[0]
        self.matrix = self.fun = self.host = None
        if isinstance(A, (np.ndarray, _onp.ndarray, list, tuple)):
            A = A if isinstance(A, np.ndarray) else np.asarray(A, device=b.device)
            if A.shape != (n, n):
                raise ValueError(f"{fname}(): {what} must be a square matrix matching b, got {what} "
                                 f"{A.dtype}{list(A.shape)} and b {b.dtype}{list(b.shape)}")
            self.matrix = A
        elif callable(A) and not hasattr(A, "matvec"):
            self.fun = A
        elif hasattr(A, "shape") and (hasattr(A, "matvec") or hasattr(A, "tocsr")):
            if tuple(A.shape) != (n, n):
                raise ValueError(f"{fname}(): {what} must be a square operator matching b, got {what} of "
                                 f"shape {tuple(A.shape)} and b {b.dtype}{list(b.shape)}")
            from scipy.sparse.linalg import aslinearoperator
            self.host = aslinearoperator(A)
        else:
            raise TypeError(f"{fname}(): {what} must be an array, a function or a linear operator, "
                            f"got {type(A).__name__}")
        self.like = b

    def __call__(self, v):
        if self.matrix is not None:
            return self.matrix @ v
        if self.fun is not None:
            out = self.fun(v)
            return out if isinstance(out, np.ndarray) else np.asarray(out, device=v.device)
        return np.asarray(self.host.matvec(_onp.asarray(v)), dtype=v.dtype, device=v.device)

    def transpose(self, at):
        """The transposed operator (``at``: a vector to linearize a function at)."""
        t = _Op.__new__(_Op)
        t.like, t.matrix, t.fun, t.host = self.like, None, None, None
        if self.matrix is not None:
            t.matrix = self.matrix.T
        elif self.host is not None:
            t.host = self.host.T
        else:
            fun = self.fun
            t.fun = lambda g: np.vjp(fun, at)[1](g)[0]
        return t


def _identity(v):
    return v


def _dot(a, b):
    return complex(np.vdot(a, b)) if a.dtype.kind == "c" else float(np.dot(a, b))


def _nrm(v):
    return float(np.linalg.norm(v))


def _setup(A, b, x0, M, fname):
    b = b if isinstance(b, np.ndarray) else np.asarray(b)
    if b.ndim == 2 and b.shape[1] == 1:
        b = np.reshape(b, (-1,))
    if b.ndim != 1:
        raise ValueError(f"{fname}(): b must be a vector (shape (n,) or (n, 1)), got {b.dtype}{list(b.shape)}")
    if b.dtype.kind not in "fc":
        b = b.astype(np.float64)
    op = _Op(A, b, fname)
    if op.matrix is not None and op.matrix.dtype != b.dtype:
        dtype = np.result_type(op.matrix.dtype, b.dtype, np.float32)
        b, op.matrix = b.astype(dtype), op.matrix.astype(dtype)
    pre = _identity if M is None else _Op(M, b, fname, "M")
    if x0 is not None:
        x0 = np.reshape(np.stop_gradient(np.asarray(x0, dtype=b.dtype, device=b.device)), (-1,))
        if x0.shape != b.shape:
            raise ValueError(f"{fname}(): x0 must be shaped like b {list(b.shape)}, got {list(x0.shape)}")
    return op, b, x0, pre


# -- SciPy's iterations (scipy/sparse/linalg/_isolve/iterative.py), on values --------------------

def _start(matvec, b, x0, atol, rtol, fname):
    if atol is None or atol < 0:
        raise ValueError(f"'scipy.sparse.linalg.{fname}' called with invalid `atol`={atol}; "
                         "if set, `atol` must be a real, non-negative number.")
    bnrm2 = _nrm(b)
    atol = max(float(atol), float(rtol) * bnrm2)
    x = np.zeros_like(b) if x0 is None else x0
    r = b - matvec(x) if x0 is not None and bool(np.any(x0 != 0)) else b
    return bnrm2, atol, x, r


def _cg(matvec, psolve, b, x0, rtol, atol, maxiter, callback):
    bnrm2, atol, x, r = _start(matvec, b, x0, atol, rtol, "cg")
    if bnrm2 == 0:
        return b, 0
    maxiter = b.shape[0] * 10 if maxiter is None else maxiter
    rho_prev = p = None
    for iteration in range(maxiter):
        if _nrm(r) < atol:
            return x, 0
        z = psolve(r)
        rho = _dot(r, z)
        p = z if iteration == 0 else p * (rho / rho_prev) + z
        q = matvec(p)
        alpha = rho / _dot(p, q)
        x = x + alpha * p
        r = r - alpha * q
        rho_prev = rho
        if callback:
            callback(x)
    return x, maxiter


def _bicgstab(matvec, psolve, b, x0, rtol, atol, maxiter, callback):
    bnrm2, atol, x, r = _start(matvec, b, x0, atol, rtol, "bicgstab")
    if bnrm2 == 0:
        return b, 0
    maxiter = b.shape[0] * 10 if maxiter is None else maxiter
    rhotol = float(np.finfo(b.dtype).eps) ** 2
    rho_prev = omega = alpha = p = v = None
    rtilde = r
    for iteration in range(maxiter):
        if _nrm(r) < atol:
            return x, 0
        rho = _dot(rtilde, r)
        if abs(rho) < rhotol:
            return x, -10
        if iteration > 0:
            if abs(omega) < rhotol:
                return x, -11
            p = (p - omega * v) * ((rho / rho_prev) * (alpha / omega)) + r
        else:
            p = r
        phat = psolve(p)
        v = matvec(phat)
        rv = _dot(rtilde, v)
        if rv == 0:
            return x, -11
        alpha = rho / rv
        r = r - alpha * v
        s = r
        if _nrm(s) < atol:
            return x + alpha * phat, 0
        shat = psolve(s)
        t = matvec(shat)
        omega = _dot(t, s) / _dot(t, t)
        x = x + alpha * phat + omega * shat
        r = r - omega * t
        rho_prev = rho
        if callback:
            callback(x)
    return x, maxiter


def _lartg(f, g):
    """LAPACK's plane rotation: (c, s, r) with [c s; -conj(s) c] [f; g] = [r; 0]."""
    if g == 0:
        return 1.0, 0.0 * g, f
    if f == 0:
        return 0.0, (g.conjugate() / abs(g)) if isinstance(g, complex) else _math.copysign(1.0, g), abs(g)
    d = _math.hypot(abs(f), abs(g))
    phase = f / abs(f)
    return abs(f) / d, phase * g.conjugate() / d, phase * d


def _gmres(matvec, psolve, b, x0, rtol, atol, restart, maxiter, callback, callback_type):
    if callback is not None and callback_type is None:
        import warnings
        warnings.warn("scipy.sparse.linalg.gmres called without specifying `callback_type`. The default value "
                      "will be changed in a future release. For compatibility, specify a value for "
                      "`callback_type` explicitly, e.g., ``gmres(..., callback_type='pr_norm')``, or to retain "
                      "the old behavior ``gmres(..., callback_type='legacy')``", DeprecationWarning, stacklevel=4)
    callback_type = "legacy" if callback_type is None else callback_type
    if callback_type not in ("x", "pr_norm", "legacy"):
        raise ValueError(f"Unknown callback_type: {callback_type!r}")
    if callback is None:
        callback_type = None
    n = b.shape[0]
    bnrm2, atol, x, r = _start(matvec, b, x0, atol, rtol, "gmres")
    if bnrm2 == 0:
        return b, 0
    eps = float(np.finfo(b.dtype).eps)
    maxiter = n * 10 if maxiter is None else maxiter
    restart = min(20 if restart is None else restart, n)
    cplx = b.dtype.kind == "c"
    scalar = complex if cplx else float
    ptol_max_factor = 1.0
    ptol = _nrm(psolve(b)) * min(ptol_max_factor, atol / bnrm2)
    presid = 0.0
    inner_iter = 0
    rnorm = _nrm(r)
    for iteration in range(maxiter):
        if iteration == 0 and rnorm < atol:
            return x, 0
        v0 = psolve(r)
        tmp = _nrm(v0)
        v = [v0 * (1 / tmp)]
        h = [[scalar(0)] * (restart + 1) for _ in range(restart)]
        givens = [None] * restart
        S = [scalar(0)] * (restart + 1)
        S[0] = scalar(tmp)
        breakdown = False
        for col in range(restart):
            w = psolve(matvec(v[col]))
            h0 = _nrm(w)
            for k in range(col + 1):  # modified Gram-Schmidt
                tmp = _dot(v[k], w)
                h[col][k] = tmp
                w = w - tmp * v[k]
            h1 = _nrm(w)
            h[col][col + 1] = h1
            if h1 <= eps * h0:
                h[col][col + 1] = scalar(0)
                breakdown = True
                v.append(w)
            else:
                v.append(w * (1 / h1))
            for k in range(col):
                c, s = givens[k]
                n0, n1 = h[col][k], h[col][k + 1]
                h[col][k], h[col][k + 1] = c * n0 + s * n1, -s.conjugate() * n0 + c * n1
            c, s, mag = _lartg(h[col][col], h[col][col + 1])
            givens[col] = (c, s)
            h[col][col], h[col][col + 1] = mag, scalar(0)
            tmp = -s.conjugate() * S[col]
            S[col], S[col + 1] = c * S[col], tmp
            presid = abs(tmp)
            inner_iter += 1
            if callback_type in ("legacy", "pr_norm"):
                callback(presid / bnrm2)
            if callback_type == "legacy" and inner_iter == maxiter:
                break
            if presid <= ptol or breakdown:
                break
        if h[col][col] == 0:
            S[col] = scalar(0)
        y = list(S[:col + 1])
        for k in range(col, 0, -1):
            if y[k] != 0:
                y[k] /= h[k][k]
                for j in range(k):
                    y[j] -= y[k] * h[k][j]
        if y[0] != 0:
            y[0] /= h[0][0]
        x = x + sum(y[k] * v[k] for k in range(col + 1))
        r = b - matvec(x)
        rnorm = _nrm(r)
        if callback_type == "legacy" and inner_iter == maxiter:
            return x, 0 if rnorm <= atol else maxiter
        if callback_type == "x":
            callback(x)
        if rnorm <= atol or breakdown:
            break
        if presid <= ptol:
            ptol_max_factor = max(eps, 0.25 * ptol_max_factor)
        else:
            ptol_max_factor = min(1.0, 1.5 * ptol_max_factor)
        ptol = presid * min(ptol_max_factor, atol / rnorm)
    return x, 0 if rnorm <= atol else maxiter


# -- the implicit derivative ---------------------------------------------------------------------

class _Solve:
    """``x = A^{-1} b`` by one of the iterations (``raw(matvec, b) -> (x, info)`` on values), as a
    function of ``b`` and, for a matrix ``A``, of ``A``: a custom_jvp under a forward-mode trace,
    a custom_vjp under a reverse-mode one, each rule a solve of the same kind (so every order)."""

    def __init__(self, raw, op, b=None, x0=None):
        self.raw, self.op, self.info, self.b, self.x0 = raw, op, None, b, x0
        self.jvp = np.custom_jvp(self._value)
        self.jvp.defjvp(self._jvp_rule)
        self.vjp = np.custom_vjp(self._value)
        self.vjp.defvjp(self._fwd, self._bwd)

    def _matvec(self, A):
        return (lambda v: A @ v) if self.op.matrix is not None else self.op

    def _value(self, A, b):
        """The iteration on values: for the problem's own b from x0 with the user's callback; the
        derivatives' from zero, unseen."""
        primal = b is self.b
        x, info = self.raw(self._matvec(np.stop_gradient(A)) if self.op.matrix is not None else self._const_op(),
                           np.stop_gradient(b), self.x0 if primal else None, primal)
        self.info = info if self.info is None else self.info
        return np.stop_gradient(x)

    def _const_op(self):
        return lambda v: np.stop_gradient(self.op(v))

    def __call__(self, A, b):
        trace = _innermost_tracking([A, b])[1]
        if trace is None:
            return self._value(A, b)
        return (self.jvp if isinstance(trace, _core.Tangents) else self.vjp)(A, b)

    def _jvp_rule(self, primals, tangents):
        A, b = primals
        x = self(A, b)
        rhs = tangents[1] - self._matvec(tangents[0])(x) if self.op.matrix is not None else tangents[1]
        return x, self(A, rhs)

    def _fwd(self, A, b):
        x = self(A, b)
        return x, (A, x)

    def _bwd(self, res, g):
        A, x = res
        t = _Solve(self.raw, self.op.transpose(x))
        lam = t(A.T if self.op.matrix is not None else A, g)
        return (-np.outer(lam, x) if self.op.matrix is not None else None), lam


def _solve(fname, raw, A, b, x0, M):
    op, b, x0, pre = _setup(A, b, x0, M, fname)
    if op.matrix is None and _core.stack_for([b]):
        probe = op(np.zeros_like(b) + 1)  # an operator that closes over traced arrays would lose their derivative
        if _innermost_tracking([probe])[1] is not None:
            raise np.AutodiffError(f"{fname}(): the operator A depends on arrays being differentiated; the "
                                   f"derivative is taken in b, and in A only where A is a matrix (pass A "
                                   f"as an array)")
    s = _Solve(lambda matvec, rhs, start, primal: raw(matvec, pre, rhs, start, primal), op, b, x0)
    A_arg = op.matrix if op.matrix is not None else np.zeros((), dtype=b.dtype, device=b.device)
    x = s(A_arg, b)
    if s.info != 0 and _innermost_tracking([A_arg, b])[1] is not None:
        raise np.AutodiffError(f"{fname}(): the iteration did not converge (info={s.info}); its result is "
                               f"differentiable only where it solves A x = b")
    return x, s.info


def cg(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None):
    """``scipy.sparse.linalg.cg``: ``(x, info)`` for a symmetric positive definite ``A``;
    ``x`` differentiable (module docstring)."""
    return _solve("cg", lambda mv, pre, rhs, x0, primal: _cg(mv, pre, rhs, x0, rtol, atol, maxiter,
                                                             callback if primal else None), A, b, x0, M)


def bicgstab(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None):
    """``scipy.sparse.linalg.bicgstab``: ``(x, info)``; ``x`` differentiable (module docstring)."""
    return _solve("bicgstab", lambda mv, pre, rhs, x0, primal: _bicgstab(mv, pre, rhs, x0, rtol, atol, maxiter,
                                                                         callback if primal else None), A, b, x0, M)


def gmres(A, b, x0=None, *, rtol=1e-5, atol=0.0, restart=None, maxiter=None, M=None, callback=None,
          callback_type=None):
    """``scipy.sparse.linalg.gmres``: ``(x, info)`` (restarted GMRES, SciPy's tolerance control);
    ``x`` differentiable (module docstring)."""
    return _solve("gmres", lambda mv, pre, rhs, x0, primal: _gmres(
        mv, pre, rhs, x0, rtol, atol, restart, maxiter, callback if primal else None, callback_type), A, b, x0, M)
