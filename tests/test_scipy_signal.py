"""npflow.scipy.signal against scipy.signal: every function, mode, method and 2-d boundary over
1-d and 2-d, real, integer, float32 and complex inputs, inputs in either order, and errors."""
import itertools

import numpy as onp
import pytest

import npflow.scipy.signal as ns
from support import same_outcome

ss = pytest.importorskip("scipy.signal")
RNG = onp.random.default_rng(0)
PAIRS = [
    (RNG.normal(size=7), RNG.normal(size=3)), (RNG.normal(size=3), RNG.normal(size=7)),
    (onp.arange(6), onp.array([1, 2, 3])), (RNG.normal(size=(5, 4)), RNG.normal(size=(2, 3))),
    (RNG.normal(size=(2, 3)), RNG.normal(size=(5, 4))), (RNG.normal(size=(4, 6)), RNG.normal(size=(4, 2))),
    (RNG.normal(size=6).astype(onp.float32), RNG.normal(size=4).astype(onp.float32)),
    (RNG.normal(size=5) + 1j * RNG.normal(size=5), RNG.normal(size=4) + 0.5j),
    (RNG.normal(size=(3, 5)), RNG.normal(size=(5, 3))),          # 'valid': neither is larger
    (RNG.normal(size=80), RNG.normal(size=70)),                  # 'auto' takes the FFT
    (onp.zeros(0), onp.ones(3)), (RNG.normal(size=3), RNG.normal(size=(2, 2))),
]
MODES = ["full", "same", "valid", "bad"]


def _tol(a):
    return 1e-5 if a.dtype == onp.float32 else 1e-9


@pytest.mark.parametrize("name", ["convolve", "correlate", "fftconvolve"])
def test_nd(name):
    for (a, b), mode in itertools.product(PAIRS, MODES):
        same_outcome(getattr(ns, name), getattr(ss, name), a, b, mode, rtol=_tol(a), atol=1e-9)
    if name != "fftconvolve":
        for method in ("direct", "fft"):
            same_outcome(getattr(ns, name), getattr(ss, name), *PAIRS[3], method=method, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_2d(name):
    for (a, b), mode, bd in itertools.product([p for p in PAIRS if p[0].ndim == 2 and p[1].ndim == 2],
                                              MODES[:3], ["fill", "wrap", "symm"]):
        for fill in ([0, 1.5] if bd == "fill" else [0]):
            same_outcome(getattr(ns, name), getattr(ss, name), a, b, mode, bd, fill, rtol=1e-9, atol=1e-9)
    same_outcome(getattr(ns, name), getattr(ss, name), PAIRS[0][0], PAIRS[0][1])          # 1-d: ValueError
    same_outcome(getattr(ns, name), getattr(ss, name), *PAIRS[3], boundary="bad")


def test_detrend():
    x = RNG.normal(size=(3, 10)) + onp.arange(10)
    for data, kw in itertools.product([x, x.astype(onp.float32), onp.arange(6), x + 1j * x[::-1]],
                                      [{}, {"type": "constant"}, {"axis": 0}, {"bp": [4]}, {"bp": [3, 7]},
                                       {"type": "c", "axis": 0}, {"type": "bad"}, {"bp": 20}]):
        if kw.get("axis") == 0 and data.ndim < 2:
            continue
        same_outcome(ns.detrend, ss.detrend, data, rtol=1e-5 if data.dtype == onp.float32 else 1e-10,
                     atol=1e-5 if data.dtype == onp.float32 else 1e-12, **kw)
