"""Fitting an ODE's parameters to observations, with gradients from odeint's adjoint.

A forced, damped oscillator  x'' = -k x - c x' + sin(t)  is observed at 25 times; its stiffness k
and damping c are recovered from the observations by SciPy's L-BFGS on the squared error, whose
gradient comes from ``npflow.scipy.integrate.odeint``'s adjoint method (the augmented system
integrated backwards: memory independent of the number of steps). The observations are made with
known parameters, so the fit must return them.

    python examples/ode_parameter_fit.py
"""
import time

import npflow as np
from npflow.optimize import minimize
from npflow.scipy.integrate import odeint

TRUE = (2.0, 0.3)  # k, c
Y0 = np.asarray([1.0, 0.0])


def dynamics(y, t, k, c):
    return np.stack([y[1], -k * y[0] - c * y[1] + np.sin(t)])


def observations(t, tol):
    return odeint(dynamics, Y0, t, *TRUE, rtol=tol, atol=tol)[:, 0]


def loss(theta, t, obs, tol):
    xs = odeint(dynamics, Y0, t, theta[0], theta[1], rtol=tol, atol=tol)[:, 0]
    return np.sum((xs - obs) ** 2)


def main(start=(1.0, 0.1), n_times=25, tol=1e-10):
    t = np.linspace(0.0, 6.0, n_times)
    obs = observations(t, tol)
    t0 = time.perf_counter()
    res = minimize(loss, np.asarray(start), args=(t, obs, tol), method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-16})
    return {"k": float(res.x[0]), "c": float(res.x[1]), "loss": float(res.fun), "iterations": int(res.nit),
            "seconds": time.perf_counter() - t0}


if __name__ == "__main__":
    r = main()
    print(f"k = {r['k']:.8f} (true {TRUE[0]}), c = {r['c']:.8f} (true {TRUE[1]}), squared error "
          f"{r['loss']:.2e}, {r['iterations']} L-BFGS iterations, {r['seconds']:.1f} s")
