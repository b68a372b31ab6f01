"""npflow.scipy.ndimage.map_coordinates against scipy.ndimage: every boundary mode at orders 0 and
1 over 1-d (sizes 1, 2, 5) and 2-d inputs, coordinates far outside the input and on the half-integers
where rounding and folding decide; dtypes (integer rounding, float32, complex, output=); the spline
orders (SciPy's kernel, no derivative); errors."""
import itertools

import numpy as onp
import pytest

import npflow as nf
import npflow.scipy.ndimage as nn
from npflow.autodiff.core import AutodiffError
from support import same_outcome

snd = pytest.importorskip("scipy.ndimage")
RNG = onp.random.default_rng(0)
MODES = ["constant", "grid-constant", "nearest", "mirror", "grid-mirror", "reflect", "wrap", "grid-wrap"]


def _coords(ndim, n=300):
    c = RNG.uniform(-12, 12, size=(ndim, n))
    c[:, :40] = onp.round(c[:, :40] * 2) / 2          # half-integers: rounding and folding edges
    return c


INPUTS = {"1-d": RNG.normal(size=5), "size-1": RNG.normal(size=1), "size-2": RNG.normal(size=2),
          "2-d": RNG.normal(size=(4, 3))}


@pytest.mark.parametrize("name", list(INPUTS))
def test_modes_and_orders(name):
    x = INPUTS[name]
    c = _coords(x.ndim)
    for mode, order in itertools.product(MODES, (0, 1)):
        same_outcome(nn.map_coordinates, snd.map_coordinates, x, c, order=order, mode=mode, cval=-3.5,
                     rtol=1e-12, atol=1e-12)


CASES = [
    (onp.arange(12).reshape(3, 4), RNG.uniform(-1, 4, (2, 7, 3)), {"order": 1}),           # ints: rounded
    (onp.arange(12, dtype=onp.uint8).reshape(3, 4), RNG.uniform(0, 3, (2, 9)), {"order": 1, "mode": "nearest"}),
    (RNG.normal(size=(3, 4)).astype(onp.float32), RNG.uniform(-1, 4, (2, 9)), {"order": 1, "mode": "reflect"}),
    (RNG.normal(size=(3, 4)) + 1j, RNG.uniform(-1, 4, (2, 9)), {"order": 1, "cval": 2 - 1j}),
    (RNG.normal(size=(3, 4)), onp.array([[0, 1, 2], [3, 2, 1]]), {"order": 0}),             # integer coordinates
    (onp.arange(12).reshape(3, 4), RNG.uniform(-1, 4, (2, 9)), {"order": 1, "output": onp.float64}),
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (2, 9)), {}),                              # order 3 (SciPy's kernel)
    (RNG.normal(size=(6,)), RNG.uniform(-1, 7, (1, 9)), {"order": 2, "mode": "mirror", "prefilter": False}),
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (3, 9)), {"order": 1}),                   # errors: shapes,
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (2,)), {"order": 1}),
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (2, 9)), {"order": 6}),                   # order,
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (2, 9)) + 1j, {"order": 1}),             # complex coordinates,
    (RNG.normal(size=(3, 4)), RNG.uniform(-1, 4, (2, 9)), {"order": 1, "mode": "bad"}),    # mode
]


@pytest.mark.parametrize("x,c,kw", CASES, ids=[str(i) for i in range(len(CASES))])
def test_dtypes_orders_and_errors(x, c, kw):
    tol = 1e-6 if x.dtype == onp.float32 else 1e-12
    same_outcome(nn.map_coordinates, snd.map_coordinates, x, c, rtol=tol, atol=tol, **kw)


def test_spline_orders_have_no_derivative():
    with pytest.raises(AutodiffError):
        nf.grad(lambda x: nf.sum(nn.map_coordinates(x, onp.array([[0.5, 1.5]]), order=3)))(nf.asarray(onp.arange(4.0)))
