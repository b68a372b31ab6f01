"""Gradient specs for npflow.scipy.sparse.linalg: the Krylov solvers' solutions, differentiable by
the implicit function theorem in b and (a matrix) A, and in b through an operator function."""
import numpy as onp

import npflow as np
import npflow.scipy.sparse.linalg as sl
from gradspecs import Case, rand

_B = rand(5, 5, seed=160)
SPD = _B @ _B.T + 5 * onp.eye(5)
GENERAL = _B + 4 * onp.eye(5)
RHS = rand(5, seed=161)
SPECS = [c for name, A in (("cg", SPD), ("gmres", GENERAL), ("bicgstab", GENERAL)) for c in (
    Case(f"np.scipy.sparse.linalg.{name}", lambda A, b, name=name: getattr(sl, name)(A, b, rtol=1e-14)[0], (A, RHS)),
    Case(f"np.scipy.sparse.linalg.{name}", lambda b, A=A, name=name: getattr(sl, name)(
        lambda v: np.asarray(A, device=v.device) @ v, b, rtol=1e-14)[0], (RHS,), "operator"))]
SPECS.append(Case("np.scipy.sparse.linalg.gmres", lambda A, b: sl.gmres(A, b, rtol=1e-14, restart=2)[0],
                  (GENERAL, RHS), "restarted"))
