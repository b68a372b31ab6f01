"""npflow.scipy.fft's DCTs against scipy.fft: types, norms, lengths, axes, dtypes, errors."""
import itertools

import numpy as onp
import pytest

import npflow.scipy.fft as nfft
from support import make, same_outcome

sf = pytest.importorskip("scipy.fft")
X = make((3, 6), onp.float64, seed=1)
INPUTS = [X, X.astype(onp.float32), onp.arange(5), X + 1j * X[::-1], onp.array(2.5)]


@pytest.mark.parametrize("name", ["dct", "idct"])
def test_dct(name):
    for x, t, norm in itertools.product(INPUTS, (2, 3), (None, "backward", "ortho", "forward")):
        tol = 1e-5 if x.dtype in (onp.float32,) else 1e-12
        for kw in ({}, {"n": 4}, {"n": 8, "axis": 0}):
            if x.ndim == 0 or (kw.get("axis") == 0 and x.ndim < 2):
                continue
            same_outcome(getattr(nfft, name), getattr(sf, name), x, t, norm=norm, rtol=tol, atol=tol, **kw)
    for bad in ({"norm": "bad"}, {"n": 0}):
        same_outcome(getattr(nfft, name), getattr(sf, name), X, **bad)
    with pytest.raises(NotImplementedError, match="types 2 and 3"):
        getattr(nfft, name)(X, type=1)


@pytest.mark.parametrize("name", ["dctn", "idctn"])
def test_dctn(name):
    for norm, kw in itertools.product((None, "ortho", "forward"), ({}, {"axes": 0}, {"s": (4, 5)}, {"axes": (1,), "s": 3})):
        same_outcome(getattr(nfft, name), getattr(sf, name), X, 2, norm=norm, rtol=1e-12, atol=1e-12, **kw)
