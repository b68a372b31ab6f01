"""npflow.scipy.interpolate.RegularGridInterpolator against SciPy's: linear and nearest over 1-d to
3-d grids (uneven, descending), trailing value axes, integer/float32/complex values, sample points
as arrays, 1-d arrays and tuples, NaNs, the bounds (bounds_error, fill_value, None: extrapolation),
the method given at the call, and the errors of construction and call."""
import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.interpolate as ni
from support import same_outcome

si = pytest.importorskip("scipy.interpolate")
RNG = onp.random.default_rng(0)
X, Y, W = onp.array([0.0, 1, 2.5, 4]), onp.array([5.0, 3, 2]), onp.array([-1.0, 1.0])
V = RNG.normal(size=(4, 3, 2))
INSIDE = onp.column_stack([RNG.uniform(0, 4, 9), RNG.uniform(2, 5, 9)])
INSIDE[0] = [2.5, 3]                                     # on grid points
ANY = onp.column_stack([RNG.uniform(-1, 5, 9), RNG.uniform(1, 6, 9)])
ANY[1] = [onp.nan, 3]

# (points, values, constructor keywords, sample points, call keywords)
CASES = [
    ((X, Y), V, {}, INSIDE, {}), ((X, Y), V[..., 0], {}, INSIDE, {}), ((X, Y), V, {"method": "nearest"}, INSIDE, {}),
    ((X, Y), V[..., 0], {}, INSIDE, {"method": "nearest"}), ((X,), V[:, 0, 0], {}, INSIDE[:, 0], {}),
    ((X, Y, W), V, {}, onp.column_stack([INSIDE, RNG.uniform(-1, 1, 9)]), {}),
    ((X, Y), V[..., 0], {}, (INSIDE[:3, 0:1], INSIDE[:4, 1]), {}),                   # tuple: broadcast
    ((X,), V[:, 0, 0], {}, (INSIDE[:, 0],), {}),
    ((X, Y), onp.arange(12).reshape(4, 3), {}, INSIDE, {}), ((X, Y), V[..., 0].astype(onp.float32), {}, INSIDE, {}),
    ((X, Y), V[..., 0].astype(onp.float32), {"method": "nearest"}, INSIDE, {}),
    ((X, Y), V[..., 0] + 1j * V[..., 1], {}, INSIDE, {}),
    *[((X, Y), V[..., 0], {"method": m, "bounds_error": False, "fill_value": f}, ANY, {})
      for m in ("linear", "nearest") for f in (onp.nan, None, 1.5, 2)],
    ((X, Y), V[..., 0] + 0j, {"bounds_error": False, "fill_value": 1 - 1j}, ANY, {}),
    ((X, Y), V[..., 0], {}, ANY, {}),                                                   # out of bounds
    ((X, Y), V[..., 0], {}, INSIDE[:, :1], {}), ((X, Y), V[..., 0], {}, INSIDE, {"method": "bad"}),
    ((X, Y), V[..., 0], {}, INSIDE, {"nu": 1}), ((X, Y), V[..., 0], {"method": "bad"}, INSIDE, {}),
    ((X[::-1], Y), V[..., 0], {}, INSIDE, {}), ((X[[0, 2, 1, 3]], Y), V[..., 0], {}, INSIDE, {}),
    ((X, Y), V[:3, :, 0], {}, INSIDE, {}), ((X, Y, W, W), V, {}, INSIDE, {}), ((X[:, None], Y), V[..., 0], {}, INSIDE, {}),
    ((X, Y), V[..., 0], {"bounds_error": False, "fill_value": 1j}, INSIDE, {}),
]


@pytest.mark.parametrize("points,values,kw,xi,call", CASES, ids=[str(i) for i in range(len(CASES))])
def test_against_scipy(points, values, kw, xi, call):
    def run(m, mod):
        def go(*args):
            pts, vals, x = args[:len(points)], args[len(points)], args[len(points) + 1:]
            return mod.RegularGridInterpolator(pts, vals, **kw)(tuple(x) if isinstance(xi, tuple) else x[0], **call)
        return go
    xs = list(xi) if isinstance(xi, tuple) else [xi]
    tol = 1e-6 if values.dtype == onp.float32 else 1e-12
    same_outcome(run(nf, ni), run(onp, si), *points, values, *xs, rtol=tol, atol=tol)


def test_spline_methods_are_not_supported():
    with pytest.raises(NotImplementedError, match="cubic"):
        ni.RegularGridInterpolator((X,), V[:, 0, 0], method="cubic")
