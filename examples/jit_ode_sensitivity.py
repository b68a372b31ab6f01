"""The ODE sensitivities of ``ode_sensitivity.py`` (d y(T) / d(r, K, y0) through a hand-written
RK4 loop), with the whole derivative computation compiled by ``np.jit``: traced once into a
graph of NumPy kernels, then replayed without npflow's per-op dispatch and tape; with numba
installed (``npflow[jit]``), the unrolled RK4 steps are rolled back into loops and compiled.
Prints the speed-up of a jitted call over the eager one (the numbers are the same).

    python examples/jit_ode_sensitivity.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import npflow as np  # noqa: E402
from ode_sensitivity import final_state, closed_form_sensitivities  # noqa: E402


def sensitivities(params, T, steps):
    """y(T) and its jacobian in (r, K, y0), forward mode (jacfwd)."""
    return final_state(params, T, steps), np.jacfwd(final_state)(params, T, steps)


def _best(fn, *args, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(r=1.0, K=10.0, y0=0.5, T=8.0, steps=200):
    """Returns (the jitted sensitivities, their max difference from eager npflow's, the speed-up,
    max error vs the closed form)."""
    params = np.asarray([r, K, y0])
    fast = np.jit(sensitivities, static_argnums=(1, 2))
    t0 = time.perf_counter()
    fast(params, T, steps)  # the first call traces (an eager call) and compiles
    first = time.perf_counter() - t0
    eager_t, (y_e, jac_e) = _best(sensitivities, params, T, steps)
    jit_t, (y_j, jac_j) = _best(fast, params * 1.0, T, steps)  # (other arrays: the same graph)
    diff = float(np.max(np.abs(jac_j - jac_e)))
    error = float(np.max(np.abs(jac_j - closed_form_sensitivities(params, T))))
    print(f"logistic growth r={r}, K={K}, y0={y0} to T={T} ({steps} RK4 steps): y(T) = {float(y_j):.6f}, "
          f"d y(T)/d(r, K, y0) = {', '.join(f'{v:.6f}' for v in jac_j.tolist())}")
    print(f"  eager {eager_t * 1e3:.1f} ms, jitted {jit_t * 1e3:.1f} ms: {eager_t / jit_t:.1f}x faster "
          f"(first call, tracing and compiling: {first:.2f} s); jitted - eager: {diff:.1e}; "
          f"max error vs closed form {error:.2e}")
    return jac_j, diff, eager_t / jit_t, error


if __name__ == "__main__":
    main()
