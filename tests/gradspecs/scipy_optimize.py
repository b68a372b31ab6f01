"""Gradient specs for npflow.scipy.optimize: solutions differentiable in ``args`` by the implicit
function theorem (composites over SciPy's solvers, both modes, second order)."""
import npflow as np
import npflow.scipy.optimize as so
from gradspecs import Case, rand


def _equations(x, a, b):
    return np.stack([x[0] + 0.5 * (x[0] - x[1]) ** 3 - a, 0.5 * (x[1] - x[0]) ** 3 + x[1] - b * np.sin(x[0])])


def _objective(x, a):
    return np.sum(np.cosh(x - a)) + 0.5 * np.sum(x ** 2 * a) + 0.1 * np.sum(x[1:] * x[:-1])


def _decay(x, t, y):
    return x[0] * np.exp(-x[1] * t) - y


T = rand(7, low=0.0, high=2.0, seed=150)
SPECS = [
    Case("np.scipy.optimize.root", lambda a, b: so.root(_equations, [0.5, 0.5], args=(a, b), tol=1e-13).x,
         (rand(seed=151, low=1.0, high=2.0), rand(seed=152, low=1.5, high=2.5))),
    Case("np.scipy.optimize.root", lambda a: so.root(lambda x, a: x ** 3 + x - a, [0.1, 0.2, 0.3], args=(a,),
                                                     method="lm", tol=1e-14).x, (rand(3, seed=153),), "lm"),
    Case("np.scipy.optimize.fixed_point",
         lambda c: so.fixed_point(lambda x, c: np.cos(c * x), [0.3, 0.5], args=(c,), xtol=1e-13), (rand(2, seed=154,
                                                                                                    low=0.5, high=1.2),)),
    Case("np.scipy.optimize.minimize", lambda a: so.minimize(_objective, [0.5, 0.5, 0.5], args=(a,), method="trust-ncg",
                                                             options={"gtol": 1e-13}).x,
         (rand(3, seed=155, low=0.5, high=3.0),), kw={"atol": 1e-4}),
    Case("np.scipy.optimize.least_squares",
         lambda y: so.least_squares(_decay, [1.0, 1.0], args=(np.asarray(T, device=y.device), y), xtol=1e-15, ftol=1e-15, gtol=1e-15).x,
         (2 * np.exp(-0.7 * T) + rand(7, low=-0.05, high=0.05, seed=156),), kw={"atol": 1e-4}),
]
