"""``npflow.scipy.integrate``: ``trapezoid`` and ``odeint`` (JAX's signature), differentiable.

``odeint(func, y0, t, *args)`` integrates ``dy/dt = func(y, t, *args)`` with the adaptive
Dormand-Prince 5(4) method (JAX's ``odeint``: the same steps, error control and dense output),
in npflow ops. Its reverse-mode derivative (in ``y0``, ``t`` and ``args``, any pytrees of
arrays) comes from the adjoint method: the augmented system is integrated backwards, so the
memory does not grow with the number of steps. Forward mode (jvp) through ``odeint`` raises.
"""
import math as _math

import npflow as np
from .._core.dispatch import composite
from ..autodiff.pytree import flatten, unflatten
from ..flatten_util import ravel_pytree

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
