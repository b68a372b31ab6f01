"""``npflow.scipy.integrate``: ``trapezoid``, ``odeint`` (JAX's signature) and ``solve_ivp``
(SciPy's), differentiable.

``odeint(func, y0, t, *args)`` integrates ``dy/dt = func(y, t, *args)`` with the adaptive
Dormand-Prince 5(4) method (JAX's ``odeint``: the same steps, error control and dense output),
in npflow ops. Its reverse-mode derivative (in ``y0``, ``t`` and ``args``, any pytrees of
arrays) comes from the adjoint method: the augmented system is integrated backwards, so the
memory does not grow with the number of steps. Forward mode (jvp) through ``odeint`` raises.

``solve_ivp(fun, t_span, y0, method=..., t_eval=..., args=...)`` is SciPy's: RK23, RK45 and
DOP853 take SciPy's very steps in npflow ops; Radau, BDF and LSODA are SciPy's stiff solvers,
stepping on the host with npflow's exact Jacobian. Its reverse-mode derivative (in ``y0`` and
``args``) is an adjoint too (see ``solve_ivp``).
"""
import bisect as _bisect
import math as _math

import npflow as np
from .._core.dispatch import composite
from ..autodiff.pytree import flatten, unflatten
from ..flatten_util import ravel_pytree
from ..autodiff.transforms import _innermost_tracking

__all__ = ["trapezoid", "odeint"]


@composite
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (sample points ``x`` or spacing ``dx``)."""
    return np.trapezoid(y, x=x, dx=dx, axis=axis)


# -- Dormand-Prince 5(4) (the tableau, error estimate and dense output JAX's odeint uses) --------
_ALPHA = (1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_BETA = ((1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
         (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
         (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
         (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_C_SOL = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_C_ERR = (35 / 384 - 1951 / 21600, 0.0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
          -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1.0 / 60.0)
_C_MID = (6025192743 / 30085553152 / 2, 0.0, 51252292925 / 65400821598 / 2,
          -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
          -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2)


def _combine(coeffs, ks):
    out = None
    for c, k in zip(coeffs, ks):
        if c != 0.0:
            out = c * k if out is None else out + c * k
    return out


def _rk_step(f, y0, f0, t0, dt):
    ks = [f0]
    for i in range(6):
        ks.append(f(y0 + dt * _combine(_BETA[i], ks), t0 + dt * _ALPHA[i]))
    y1 = y0 + dt * _combine(_C_SOL, ks)
    return y1, ks[-1], dt * _combine(_C_ERR, ks), ks


def _interp_fit(y0, y1, ks, dt):
    """The quartic through the step (coefficients highest degree first, in the step's fraction)."""
    y_mid = y0 + dt * _combine(_C_MID, ks)
    dy0, dy1 = ks[0], ks[-1]
    a = -2.0 * dt * dy0 + 2.0 * dt * dy1 - 8.0 * y0 - 8.0 * y1 + 16.0 * y_mid
    b = 5.0 * dt * dy0 - 3.0 * dt * dy1 + 18.0 * y0 + 14.0 * y1 - 32.0 * y_mid
    c = -4.0 * dt * dy0 + dt * dy1 - 11.0 * y0 - 5.0 * y1 + 16.0 * y_mid
    return (a, b, c, dt * dy0, y0)


def _polyval(coeffs, x):
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * x + c
    return out


def _norm(v):
    return float(np.sqrt(np.sum(np.stop_gradient(v) ** 2)))


def _initial_step(f, t0, y0, rtol, atol, f0, order=4):
    scale = atol + np.abs(np.stop_gradient(y0)) * rtol
    d0, d1 = _norm(y0 / scale), _norm(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    f1 = f(y0 + h0 * f0, t0 + h0)
    d2 = _norm((f1 - f0) / scale) / h0
    h1 = max(1e-6, h0 * 1e-3) if d1 <= 1e-15 and d2 <= 1e-15 else (0.01 / max(d1, d2)) ** (1.0 / (order + 1.0))
    return min(100.0 * h0, h1)


def _error_ratio(err, rtol, atol, y0, y1):
    tol = atol + rtol * np.maximum(np.abs(y0), np.abs(y1))
    return float(np.sqrt(np.mean((np.stop_gradient(err) / np.stop_gradient(tol)) ** 2)))


def _next_step(dt, ratio, safety=0.9, ifactor=10.0, dfactor=0.2, order=5.0):
    if ratio == 0:
        return dt * ifactor
    dfactor = 1.0 if ratio < 1 else dfactor
    return dt * min(ifactor, max(ratio ** (-1.0 / order) * safety, dfactor))


def _solve(f, y0, ts, rtol, atol, mxstep, hmax):
    """The states at times ``ts`` (increasing floats) of dy/dt = f(y, t) from y(ts[0]) = y0 (a
    1-d array): accepted steps, each output interpolated within its step. Differentiable in
    y0 and f's closure through the steps (the step sizes are chosen from values)."""
    f0 = f(y0, ts[0])
    dt = min(max(_initial_step(f, ts[0], y0, rtol, atol, f0), 0.0), hmax)
    y, fy, t, last_t = y0, f0, ts[0], ts[0]
    coeffs = (y0,) * 5
    out, steps = [y0], 0
    for target in ts[1:]:
        while t < target and steps < mxstep and dt > 0:
            y1, f1, err, ks = _rk_step(f, y, fy, t, dt)
            ratio = _error_ratio(err, rtol, atol, y, y1)
            steps += 1
            if ratio <= 1.0:
                coeffs = _interp_fit(y, y1, ks, dt)
                y, fy, last_t, t = y1, f1, t, t + dt
            dt = min(max(_next_step(dt, ratio), 0.0), hmax)
        if t < target:
            raise RuntimeError(f"odeint(): the integration stopped at t={t} before t={target} "
                               f"({steps} steps; mxstep={mxstep}, step size {dt})")
        out.append(_polyval(coeffs, (target - last_t) / (t - last_t)))
    return np.stack(out)


def _times(t):
    ts = [float(v) for v in np.stop_gradient(np.asarray(t, dtype=np.float64)).tolist()] \
        if np.ndim(t) else None
    if ts is None or len(ts) < 1:
        raise ValueError(f"odeint(): t must be a 1-d array of times, got {np.shape(t)}")
    if any(b <= a for a, b in zip(ts, ts[1:])):
        raise ValueError("odeint(): the times t must be strictly increasing")
    return ts


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=_math.inf, hmax=_math.inf):
    """The solution of ``dy/dt = func(y, t, *args)`` with ``y(t[0]) = y0`` at the times ``t``
    (JAX's signature; ``y0`` and ``args`` may be pytrees of arrays): an array (pytree) with a
    leading axis of ``len(t)``. Reverse-mode derivatives come from the adjoint method."""
    if not callable(func):
        raise TypeError(f"odeint(): func must be callable, got {type(func).__name__}")
    y_flat, unravel_y = ravel_pytree(y0)
    p_flat, unravel_p = ravel_pytree(args)
    t = np.asarray(t)
    if t.dtype.kind not in "fc":
        t = t.astype(y_flat.dtype if y_flat.dtype.kind == "f" else np.float64)

    def f(y, tt, p):
        return ravel_pytree(func(unravel_y(y), tt, *unravel_p(p)))[0]
    ys = _odeint_flat(f, rtol, atol, mxstep, hmax, y_flat, t, p_flat)
    return _unravel_rows(ys, unravel_y)


def _unravel_rows(ys, unravel):
    """The rows of ``ys`` (one flat state per time) as the state's pytree, stacked leaf by leaf."""
    rows = [unravel(ys[i]) for i in range(ys.shape[0])]
    tree = flatten(rows[0])[1]
    if tree is None:
        return np.stack(rows)
    return unflatten(tree, [np.stack(col) for col in zip(*[flatten(r)[0] for r in rows])])


def _odeint_flat(f, rtol, atol, mxstep, hmax, y0, t, p):
    ts = _times(t)

    @np.custom_vjp
    def solve(y0, t, p):
        return _solve(lambda y, tt: f(y, tt, p), y0, ts, rtol, atol, mxstep, hmax)

    def fwd(y0, t, p):
        ys = solve(y0, t, p)
        return ys, (ys, p)

    def bwd(res, g):
        ys, p = res
        return _adjoint(f, ys, ts, p, g, rtol, atol, mxstep, hmax, t)
    solve.defvjp(fwd, bwd)
    return solve(y0, t, p)


def _adjoint(f, ys, ts, p, g, rtol, atol, mxstep, hmax, t_arr):
    """The cotangents of (y0, t, p) from those of the outputs ``g``: the augmented system
    [y, y_bar, t_bar, p_bar] integrated backwards between consecutive output times."""
    n, m = ys.shape[1], p.shape[0]
    one = np.ones((), dtype=ys.dtype, device=ys.device)

    def aug(state, s):
        y, a = state[:n], state[n:2 * n]
        # reversed time: s = -t
        y_dot, vjp_fn = np.vjp(lambda y, tt, p: f(y, tt, p), y, -s * one, p)
        a_y, a_t, a_p = vjp_fn(a)
        return np.concatenate([-y_dot, a_y, np.reshape(a_t, (1,)), a_p])

    y_bar = g[-1]
    t0_bar = np.zeros((1,), dtype=ys.dtype, device=ys.device)
    p_bar = np.zeros_like(p)
    ts_bar = []
    for i in range(len(ts) - 1, 0, -1):
        t_bar = np.sum(f(ys[i], ts[i] * one, p) * g[i])
        ts_bar.append(t_bar)
        t0_bar = t0_bar - t_bar
        state = np.concatenate([ys[i], y_bar, t0_bar, p_bar])
        end = _solve(aug, state, [-ts[i], -ts[i - 1]], rtol, atol, mxstep, hmax)[-1]
        y_bar = end[n:2 * n] + g[i - 1]
        t0_bar = end[2 * n:2 * n + 1]
        p_bar = end[2 * n + 1:2 * n + 1 + m]
    t_cot = np.concatenate([t0_bar, np.stack(ts_bar[::-1]) if ts_bar else np.zeros((0,), dtype=ys.dtype)])
    return y_bar, t_cot.astype(t_arr.dtype), p_bar


# -- solve_ivp ---------------------------------------------------------------------------------
# SciPy's explicit Runge-Kutta methods (their tableaus, step-size control, initial step and dense
# output, as scipy.integrate.RK23/RK45/DOP853) in npflow ops; the implicit and switching methods
# (Radau, BDF, LSODA, or any scipy.integrate.OdeSolver subclass) are SciPy's own solvers, run on
# the host with npflow's exact Jacobian. Gradients (in y0 and args) come from the adjoint method.

__all__ += ["solve_ivp"]

_EXPLICIT = ("RK23", "RK45", "DOP853")
_HOST = ("Radau", "BDF", "LSODA")
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0


class OdeResult(dict):
    """``solve_ivp``'s result (SciPy's fields: t, y, sol, t_events, y_events, nfev, njev, nlu,
    status, message, success), readable as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __repr__(self):
        return "\n".join(f"{k:>9}: {v!r}" for k, v in self.items())


def _rms(v):
    return float(np.linalg.norm(np.stop_gradient(v))) / _math.sqrt(v.size)


class _ExplicitRK:
    """scipy.integrate's RungeKutta solver (``tab``: RK23, RK45 or DOP853, for its coefficients)
    stepping npflow arrays: the same steps as SciPy's, differentiable through them."""

    def __init__(self, tab, fun, t0, y0, t_bound, rtol, atol, max_step=_math.inf, first_step=None):
        self.fun, self.t, self.y, self.t_bound, self.t_old = fun, t0, y0, t_bound, None
        self.direction = 1.0 if t_bound >= t0 else -1.0  # (SciPy: +1 for an empty interval too)
        self.rtol, self.atol, self.max_step = rtol, atol, max_step
        self.tab, self.dop = tab, tab.__name__ == "DOP853"
        const = lambda a: np.asarray(a, dtype=y0.dtype if y0.dtype.kind == "c" else np.float64, device=y0.device)
        self.A, self.B = const(tab.A), const(tab.B)
        if not self.dop:
            self.E, self.P = const(tab.E), const(tab.P)
        else:
            self.E3, self.E5, self.D, self.A_EXTRA = (const(getattr(tab, k)) for k in ("E3", "E5", "D", "A_EXTRA"))
        self.nfev, self.status = 0, "running"
        self.f = self._f(t0, y0)
        if first_step is None:
            self.h_abs = self._initial_step()
        else:
            if first_step <= 0 or first_step > abs(t_bound - t0):
                raise ValueError("solve_ivp(): `first_step` must be positive and not exceed the interval")
            self.h_abs = first_step
        self.exponent = -1.0 / (tab.error_estimator_order + 1)

    def _f(self, t, y):
        self.nfev += 1
        return self.fun(t, y)

    def _initial_step(self):  # scipy.integrate._ivp.common.select_initial_step
        interval = abs(self.t_bound - self.t)
        if self.y.size == 0:
            return _math.inf
        if interval == 0.0:
            return 0.0
        scale = self.atol + np.abs(np.stop_gradient(self.y)) * self.rtol
        d0, d1 = _rms(self.y / scale), _rms(self.f / scale)
        h0 = min(1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1, interval)
        f1 = self._f(self.t + h0 * self.direction, self.y + h0 * self.direction * self.f)
        d2 = _rms((f1 - self.f) / scale) / h0
        h1 = max(1e-6, h0 * 1e-3) if d1 <= 1e-15 and d2 <= 1e-15 else \
            (0.01 / max(d1, d2)) ** (1.0 / (self.tab.error_estimator_order + 1))
        return min(100 * h0, h1, interval, self.max_step)

    def _stages(self, t, y, h):
        ks = [self.f]
        for s in range(1, self.tab.n_stages):
            ks.append(self._f(t + float(self.tab.C[s]) * h, y + h * (self.A[s, :s] @ np.stack(ks))))
        y_new = y + h * (self.B @ np.stack(ks))
        ks.append(self._f(t + h, y_new))
        return y_new, ks

    def _error_norm(self, K, h, scale):
        if not self.dop:
            return _rms(h * (self.E @ K) / scale)
        err5, err3 = (np.stop_gradient(e @ K) / scale for e in (self.E5, self.E3))
        e5, e3 = float(np.sum(np.abs(err5) ** 2)), float(np.sum(np.abs(err3) ** 2))
        if e5 == 0 and e3 == 0:
            return 0.0
        return abs(h) * e5 / _math.sqrt((e5 + 0.01 * e3) * scale.size)

    def step(self):
        """One accepted step (scipy's RungeKutta._step_impl); sets ``status``."""
        if self.t == self.t_bound or self.y.size == 0:
            self.t_old, self.t, self.status = self.t, self.t_bound, "finished"
            return
        t, y = self.t, self.y
        min_step = 10 * abs(_math.nextafter(t, self.direction * _math.inf) - t)
        h_abs = self.max_step if self.h_abs > self.max_step else (min_step if self.h_abs < min_step else self.h_abs)
        rejected = False
        while True:
            if h_abs < min_step:
                self.status, self.message = "failed", "Required step size is less than spacing between numbers."
                return
            t_new = t + h_abs * self.direction
            if self.direction * (t_new - self.t_bound) > 0:
                t_new = self.t_bound
            h = t_new - t
            h_abs = abs(h)
            y_new, ks = self._stages(t, y, h)
            yv, ynv = np.stop_gradient(y), np.stop_gradient(y_new)
            scale = self.atol + np.maximum(np.abs(yv), np.abs(ynv)) * self.rtol
            err = self._error_norm(np.stack(ks), h, scale)
            if err < 1:
                factor = _MAX_FACTOR if err == 0 else min(_MAX_FACTOR, _SAFETY * err ** self.exponent)
                h_abs *= min(1.0, factor) if rejected else factor
                break
            h_abs *= max(_MIN_FACTOR, _SAFETY * err ** self.exponent)
            rejected = True
        self.h_previous, self.y_old, self.K = h, y, ks
        self.t_old, self.t, self.y, self.h_abs, self.f = t, t_new, y_new, h_abs, ks[-1]
        if self.direction * (self.t - self.t_bound) >= 0:
            self.status = "finished"

    def dense_output(self):
        """The step's interpolant: a function of a float time (SciPy's RkDenseOutput/Dop853DenseOutput)."""
        t_old, h, y_old = self.t_old, self.h_previous, self.y_old
        if not self.dop:
            Q = np.stack(self.K).T @ self.P

            def sol(t):
                x = (t - t_old) / h
                return y_old + h * (Q @ np.asarray([x ** (k + 1) for k in range(Q.shape[1])], dtype=Q.dtype,
                                                   device=Q.device))
            return sol
        K = list(self.K)
        for a, c in zip(self.A_EXTRA, self.tab.C_EXTRA):
            s = len(K)
            K.append(self._f(t_old + float(c) * h, y_old + h * (a[:s] @ np.stack(K))))
        delta = self.y - y_old
        F = [delta, h * K[0] - delta, 2 * delta - h * (self.f + K[0])] + list(h * (self.D @ np.stack(K)))

        def sol(t):
            x = (t - t_old) / h
            y = 0.0
            for i, f in enumerate(reversed(F)):
                y = (y + f) * (x if i % 2 == 0 else 1 - x)
            return y + y_old
        return sol


class _HostSolver:
    """A SciPy OdeSolver (Radau, BDF, LSODA, ...) over an npflow right-hand side: SciPy steps
    on the host; ``y`` and the dense output are npflow arrays on the state's device."""

    def __init__(self, cls, fun, t0, y0, t_bound, options, jac=None):
        import numpy as onp
        self.like = y0

        def host_fun(t, y):
            return onp.asarray(fun(t, self._dev(y)))
        if jac is not None and "jac" not in options:
            options = dict(options, jac=lambda t, y: onp.asarray(jac(t, self._dev(y))))
        self.s = cls(host_fun, t0, onp.asarray(y0), t_bound, **options)

    def _dev(self, y):
        return np.asarray(y, dtype=self.like.dtype, device=self.like.device)

    def __getattr__(self, name):  # t, t_old, status, nfev, njev, nlu
        return getattr(self.s, name)

    @property
    def y(self):
        return self._dev(self.s.y)

    def step(self):
        self.message = self.s.step()

    def dense_output(self):
        d = self.s.dense_output()
        return lambda t: self._dev(d(t))


def _check_untracked(x, what):
    if _innermost_tracking(flatten(x)[0])[1] is not None:
        raise np.AutodiffError(f"solve_ivp(): {what} is being differentiated; solve_ivp's derivatives "
                               f"are in y0 and args only (t_span and t_eval are constants)")


def _solver_factory(method, options, tol):
    """``make(f, t0, y0, t1)`` building the stepper, and the Jacobian-capable flag."""
    if isinstance(method, str) and method in _EXPLICIT:
        import scipy.integrate as si
        tab = getattr(si, method)
        extra = set(options) - {"max_step", "first_step"}
        if extra:
            import warnings
            warnings.warn(f"The following arguments have no effect for a chosen solver: {', '.join(sorted(extra))}.")
        return lambda f, t0, y0, t1, jac=None, atol=None: _ExplicitRK(
            tab, f, t0, y0, t1, tol[0], tol[1] if atol is None else atol,
            **{k: v for k, v in options.items() if k in ("max_step", "first_step")})
    import scipy.integrate as si
    if isinstance(method, str):
        if method not in _HOST:
            raise ValueError(f"solve_ivp(): `method` must be one of {_EXPLICIT + _HOST} or an OdeSolver class, "
                             f"got {method!r}")
        method = getattr(si, method)
    elif not (isinstance(method, type) and issubclass(method, si.OdeSolver)):
        raise ValueError(f"solve_ivp(): `method` must be one of {_EXPLICIT + _HOST} or an OdeSolver class, "
                         f"got {method!r}")
    opts = dict(options, rtol=tol[0], atol=tol[1])

    def make(f, t0, y0, t1, jac=None, atol=None):
        return _HostSolver(method, f, t0, y0, t1, opts if atol is None else dict(opts, atol=atol), jac)
    make.host = True
    return make


def _drive(solver, t_eval, keep_interpolants=False, last_only=False):
    """SciPy's solve_ivp loop: (times, states, interpolants, status, message); ``last_only``: the
    final state alone (memory independent of the number of steps)."""
    (ts, ys), interps = ([solver.t], [solver.y]) if t_eval is None else ([], []), []
    i, status, message = 0, None, None
    while status is None:
        solver.step()
        if solver.status == "finished":
            status = 0
        elif solver.status == "failed":
            status, message = -1, getattr(solver, "message", None)
            break
        t = solver.t
        sol = solver.dense_output() if keep_interpolants else None
        if keep_interpolants:
            interps.append((solver.t_old, t, sol))
        if t_eval is None:
            if last_only:
                ts, ys = [], []
            ts.append(t)
            ys.append(solver.y)
        else:
            while i < len(t_eval) and solver.direction * (t - t_eval[i]) >= 0:
                sol = sol or solver.dense_output()
                ts.append(t_eval[i])
                ys.append(sol(t_eval[i]))
                i += 1
    return ts, ys, interps, status, message


def _interpolator(interps, sign):
    """The forward solution at any time of the steps ``interps`` ((t_old, t, sol) in order; ``sign``
    the direction of time): the step that holds it, found by bisection."""
    ends = [sign * b for _, b, _ in interps]

    def y(t):
        return interps[min(_bisect.bisect_left(ends, sign * t), len(ends) - 1)][2](t)
    return y


def solve_ivp(fun, t_span, y0, method="RK45", t_eval=None, dense_output=False, events=None,
              vectorized=False, args=None, **options):
    """``scipy.integrate.solve_ivp``: the solution of ``dy/dt = fun(t, y, *args)``, ``y(t0) = y0``,
    as SciPy's result (``y`` of shape ``(n, len(t))``, an npflow array). RK23, RK45 and DOP853 run
    in npflow ops (SciPy's steps, on the state's device); Radau, BDF and LSODA are SciPy's
    solvers stepping on the host, given npflow's exact Jacobian unless ``jac=`` is passed.

    ``result.y`` is differentiable in ``y0`` and ``args`` (pytrees of arrays) in reverse mode by
    the adjoint method, backwards between consecutive output times with the same method and
    tolerances (``_ivp_adjoint``): the explicit methods integrate the state with the adjoint, so
    the memory does not grow with the number of steps; the stiff ones solve each interval again
    forwards and integrate the adjoint back along its dense output. ``t_span``, ``t_eval`` and
    the output times are constants; forward mode raises."""
    if not callable(fun):
        raise TypeError(f"solve_ivp(): fun must be callable, got {type(fun).__name__}")
    if events is not None or dense_output:
        raise NotImplementedError("solve_ivp(): events and dense_output are not supported by npflow.scipy "
                                  "(the solution's values at t_eval are; use scipy.integrate.solve_ivp for those)")
    if vectorized:
        raise NotImplementedError("solve_ivp(): vectorized=True is not supported by npflow.scipy")
    _check_untracked((t_span, t_eval), "t_span or t_eval")
    t0, tf = (float(v) for v in np.stop_gradient(np.asarray(t_span, dtype=np.float64)).tolist())
    if args is not None and not isinstance(args, (tuple, list)):
        raise TypeError(f"Supplied 'args' cannot be unpacked. Please supply `args` as a tuple (e.g. `args=({args},)`)")
    args = tuple(args or ())
    y0 = y0 if isinstance(y0, np.ndarray) else np.asarray(y0)
    if y0.ndim != 1:
        raise ValueError(f"solve_ivp(): `y0` must be 1-dimensional, got shape {y0.shape}")
    y0 = y0.astype(np.complex128 if y0.dtype.kind == "c" else np.float64)
    if t_eval is not None:
        te = [float(v) for v in np.stop_gradient(np.asarray(t_eval, dtype=np.float64)).tolist()] \
            if np.ndim(t_eval) == 1 else None
        if te is None:
            raise ValueError("`t_eval` must be 1-dimensional.")
        if any(v < min(t0, tf) or v > max(t0, tf) for v in te):
            raise ValueError("Values in `t_eval` are not within `t_span`.")
        if any((b <= a) if tf > t0 else (b >= a) for a, b in zip(te, te[1:])):
            raise ValueError("Values in `t_eval` are not properly sorted.")
        t_eval = te
    rtol, atol = options.pop("rtol", 1e-3), options.pop("atol", 1e-6)
    if rtol < 100 * 2.220446049250313e-16:
        rtol = 100 * 2.220446049250313e-16
    if np.ndim(atol):
        atol = np.asarray(np.stop_gradient(np.asarray(atol)), dtype=np.float64, device=y0.device)
    make = _solver_factory(method, options, (rtol, atol))
    p_flat, unravel_p = ravel_pytree(args)
    n = y0.shape[0]

    def f(t, y, p):
        out = fun(t, y, *unravel_p(p))
        out = out if isinstance(out, np.ndarray) else np.asarray(out)
        if out.shape != (n,):
            raise ValueError(f"solve_ivp(): fun(t, y) must return shape ({n},) like y0, got {out.shape}")
        return out.astype(y0.dtype) if out.dtype != y0.dtype else out

    def jac_of(p):
        return lambda t, y: np.jacfwd(lambda yy: f(t, yy, p))(y)
    info = {}

    @np.custom_vjp
    def solve(y0, p):
        solver = make(lambda t, y: f(t, y, p), t0, y0, tf, jac_of(p))
        ts, ys, _, status, message = _drive(solver, t_eval)
        info.update(ts=ts, status=status, message=message, nfev=solver.nfev,
                    njev=getattr(solver, "njev", 0), nlu=getattr(solver, "nlu", 0))
        return np.stack(ys, axis=1) if ys else np.zeros((n, 0), dtype=y0.dtype, device=y0.device)

    def fwd(y0, p):
        ys = solve(y0, p)
        return ys, (y0, ys, p)

    def bwd(res, g):
        y0, ys, p = res
        return _ivp_adjoint(make, f, info["ts"], t0, y0, ys, p, g, atol)
    solve.defvjp(fwd, bwd)
    y = solve(y0, p_flat)
    status = info["status"]
    if status < 0 and _innermost_tracking([y0, p_flat])[1] is not None:
        raise np.AutodiffError(f"solve_ivp(): the integration failed ({info['message']}); its partial solution "
                               f"is not differentiated")
    messages = {0: "The solver successfully reached the end of the integration interval.",
                1: "A termination event occurred."}
    return OdeResult(t=np.asarray(info["ts"], dtype=np.float64), y=y, sol=None, t_events=None,
                     y_events=None, nfev=info["nfev"], njev=info["njev"], nlu=info["nlu"], status=status,
                     message=messages.get(status, info["message"]), success=status >= 0)


def _ivp_adjoint(make, f, ts, t0, y0, ys, p, g, atol):
    """(y0_bar, p_bar) from the outputs' cotangent ``g`` (n, len(ts)), backwards over each interval
    [t_prev, t_next] between output times, with the solve's method and tolerances (a scalar atol,
    the smallest given, for the augmented states):

    - the explicit methods integrate [y, a, p_bar] from t_next back to t_prev, starting from the
      output y(t_next): y' = f, a' = -a f_y, p_bar' = -a f_p. Nothing is kept per step, so the
      memory does not grow with the number of steps (as odeint's adjoint);
    - the stiff methods (SciPy's, on the host) cannot integrate a stiff y backwards: they solve the
      interval forwards again from y(t_prev), keeping its dense output (states, no tape), and
      integrate [a, p_bar] back along it."""
    n, m = y0.shape[0], p.shape[0]
    host = getattr(make, "host", False)
    if host and _innermost_tracking([y0, ys, p, g])[1] is not None:
        raise np.AutodiffError("solve_ivp(): derivatives of the adjoint (second order) are not supported "
                               "for the methods SciPy steps on the host (Radau, BDF, LSODA); use RK45 or DOP853")
    atol = float(np.min(atol)) if np.ndim(atol) else atol
    a = np.zeros((n,), dtype=ys.dtype, device=ys.device)
    p_bar = np.zeros_like(p)
    knots = [(t, ys[:, i], i) for i, t in enumerate(ts)]
    if not knots or knots[0][0] != t0:
        knots.insert(0, (t0, y0, None))
    for k in range(len(knots) - 1, 0, -1):
        a = a + g[:, knots[k][2]]
        (t_prev, y_prev, _), (t_next, y_next, _) = knots[k - 1], knots[k]
        if t_prev == t_next:
            continue
        if not host:
            def aug(t, s):
                y_dot, vjp_fn = np.vjp(lambda yy, pp: f(t, yy, pp), s[:n], p)
                a_y, a_p = vjp_fn(s[n:2 * n])
                return np.concatenate([y_dot, -a_y, -a_p])
            end = _drive(make(aug, t_next, np.concatenate([y_next, a, p_bar]), t_prev, atol=atol), None,
                         last_only=True)[1][-1]
            a, p_bar = end[n:2 * n], end[2 * n:]
            continue
        y_at = _interpolator(_drive(make(lambda t, y: f(t, y, p), t_prev, y_prev, t_next), None,
                                    keep_interpolants=True)[2], 1.0 if t_next > t_prev else -1.0)

        def aug(t, s):
            _, vjp_fn = np.vjp(lambda yy, pp: f(t, yy, pp), y_at(t), p)
            a_y, a_p = vjp_fn(s[:n])
            return -np.concatenate([a_y, a_p])

        def aug_jac(t, s):  # (exact: y(t) is given, the system is linear in [a, p_bar])
            J = np.jacfwd(lambda yy, pp: f(t, yy, pp), argnums=(0, 1))(y_at(t), p)
            blk = -np.concatenate([J[0].T, J[1].T])
            return np.concatenate([blk, np.zeros((n + m, m), dtype=blk.dtype, device=blk.device)], axis=1)
        end = _drive(make(aug, t_next, np.concatenate([a, p_bar]), t_prev, aug_jac, atol=atol), None,
                     last_only=True)[1][-1]
        a, p_bar = end[:n], end[n:]
    if knots[0][2] is not None:
        a = a + g[:, knots[0][2]]
    return a, p_bar
