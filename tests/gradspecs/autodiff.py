"""Gradient specs for the autodiff layer's own op: ``alias`` (the fresh array each transform
differentiates), reached through the primal outputs of vjp and jvp under an outer trace."""
import npflow as np
from gradspecs import Case, rand


def _primals(x):
    return np.vjp(np.sin, x)[0] * np.jvp(np.exp, (x,), (np.ones_like(x),))[0]


SPECS = [Case("alias", _primals, (rand(3, 2, seed=11),)),
         Case("alias", _primals, (rand(3, 2, seed=12, complex=True),), "complex")]
