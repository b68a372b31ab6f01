"""Derivatives at edge points (ties, zeros, domain ends, infinities, NaNs), against JAX.

Finite differences say nothing there, so JAX (float64) is the reference convention: npflow's
reverse (grad) and forward (jvp) derivatives, first and second order, must equal JAX's, and the
two modes must agree with each other. Conventions are listed in docs/guides/gradients.md.
"""
import numpy as onp
import pytest

import npflow as np

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

inf, nan = onp.inf, onp.nan

# (function name, arguments; the first is differentiated, the rest are held fixed)
CASES = [
    ("abs", 0.0), ("abs", -0.0), ("sign", 0.0), ("sqrt", 0.0), ("cbrt", 0.0), ("log", 0.0),
    ("log", inf), ("log1p", -1.0), ("log1p", inf), ("expm1", -inf), ("expm1", inf),
    ("arctanh", 1.0), ("arctanh", -1.0), ("arcsin", 1.0), ("arccos", -1.0), ("arccosh", 1.0),
    ("sinc", 0.0), ("exp", -inf), ("tanh", inf), ("nan_to_num", nan), ("nan_to_num", inf),
    ("maximum", 1.0, 1.0), ("minimum", 1.0, 1.0), ("fmax", 1.0, 1.0), ("fmin", 1.0, 1.0),
    ("clip", 1.0, 1.0, 2.0), ("clip", 2.0, 1.0, 2.0),
    ("power", 0.0, 0.0), ("power", 0.0, 2.0), ("power", 0.0, 0.5), ("power", -2.0, 2.0),
    ("divide", 0.0, 0.0), ("divide", 1.0, 0.0), ("hypot", 0.0, 0.0), ("arctan2", 0.0, 0.0),
    ("logaddexp", -inf, -inf), ("logaddexp", -inf, 0.0), ("logaddexp2", -inf, -inf),
    ("max", [1.0, 1.0, 0.0]), ("min", [1.0, 1.0, 2.0]), ("amax", [2.0, 2.0]),
    ("sort", [1.0, 1.0, 0.0]), ("prod", [0.0, 2.0, 3.0]), ("prod", [0.0, 0.0, 3.0]),
    ("cumprod", [2.0, 0.0, 3.0]), ("std", [1.0, 1.0, 1.0]), ("var", [1.0, 1.0, 1.0]),
    ("nansum", [1.0, nan, 2.0]), ("nanmean", [1.0, nan, 2.0]), ("nanmax", [1.0, nan, 2.0]),
    ("nanprod", [1.0, nan, 2.0]), ("linalg.norm", [0.0, 0.0]), ("linalg.norm", [[0.0, 0.0]]),
    ("median", [1.0, 1.0, 2.0]),
]

# Where npflow's convention differs from JAX's (docs/guides/gradients.md says why): npflow's
# [grad, jvp, grad of grad, jvp of grad] there.
NPFLOW_CONVENTION = {
    "abs(0.0,)": [0.0, 0.0, 0.0, 0.0], "abs(-0.0,)": [0.0, 0.0, 0.0, 0.0],
    "cbrt(0.0,)": [inf, inf, nan, nan], "hypot(0.0, 0.0)": [nan, nan, nan, nan],
    "arctanh(1.0,)": [inf, inf, inf, inf], "arctanh(-1.0,)": [inf, inf, -inf, -inf],
    "fmax(1.0, 1.0)": [0.5, 0.5, 0.0, 0.0], "fmin(1.0, 1.0)": [0.5, 0.5, 0.0, 0.0],
    "clip(1.0, 1.0, 2.0)": [1.0, 1.0, 0.0, 0.0], "clip(2.0, 1.0, 2.0)": [1.0, 1.0, 0.0, 0.0],
}
# Known bugs not fixed yet: strict xfail, so a fix shows up.
KNOWN_BUGS = {}
IDS = [f"{c[0]}{c[1:]}" for c in CASES]


def _fn(lib, name):
    for part in name.split("."):
        lib = getattr(lib, part)
    return lib


def _derivatives(lib, grad, jvp, name, x, rest):
    f = _fn(lib, name)
    def s(v):
        return lib.sum(f(v, *rest))
    def g(v):
        return lib.sum(grad(s)(v))
    t = lib.ones_like(x)
    return [grad(s)(x), jvp(s, (x,), (t,))[1], grad(g)(x), jvp(g, (x,), (t,))[1]]


@pytest.mark.parametrize("case", [
    pytest.param(c, id=i, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[i])]
                 if i in KNOWN_BUGS else []) for c, i in zip(CASES, IDS)])
def test_edge_derivative_matches_jax(case, request):
    name, x, *rest = case
    x = onp.asarray(x, dtype=onp.float64)
    mine = _derivatives(np, np.grad, np.jvp, name, np.asarray(x), [np.asarray(r) for r in rest])
    ref = _derivatives(jnp, jax.grad, jax.jvp, name, jnp.asarray(x), [jnp.asarray(r) for r in rest])
    cid = request.node.callspec.id
    if cid in NPFLOW_CONVENTION:
        ref = NPFLOW_CONVENTION[cid]
    what = ["grad", "jvp", "grad of grad", "jvp of grad"]
    for w, m, r in zip(what, mine, ref):
        onp.testing.assert_array_equal(onp.asarray(m), onp.asarray(r), err_msg=f"{name}: {w}")
    # forward and reverse agree with each other (x's tangent is all ones)
    onp.testing.assert_array_equal(onp.asarray(np.sum(mine[0])), onp.asarray(mine[1]))
    onp.testing.assert_array_equal(onp.asarray(np.sum(mine[2])), onp.asarray(mine[3]))
