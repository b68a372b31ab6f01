"""npflow.scipy.signal against scipy.signal: every function, mode, method and 2-d boundary over
1-d and 2-d, real, integer, float32 and complex inputs, inputs in either order, and errors; the
spectral estimators over windows, segment lengths, overlaps, detrending, scalings and sides."""
import itertools
import warnings

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


X = RNG.normal(size=(2, 300))
Z = X + 1j * X[::-1]
# (function, data arguments, keyword arguments): welch and csd over windows (named, tuple, array),
# nperseg/noverlap/nfft, detrend (str, False, callable), scaling, sides, axis, average; stft over
# the boundary extensions and padding; istft of stft's output (round trips) and its axes
SPECTRAL = [
    ("welch", (X,), {"nperseg": 64}), ("welch", (X,), {"nperseg": 64, "noverlap": 10, "nfft": 100,
                                                        "scaling": "spectrum", "detrend": "linear"}),
    ("welch", (X,), {"nperseg": 63, "average": "median", "return_onesided": False}),
    ("welch", (X.T,), {"nperseg": 16, "window": "hamming", "axis": 0, "detrend": False}),
    ("welch", (X.astype(onp.float32),), {"nperseg": 32, "window": ("tukey", 0.3)}),
    ("welch", (X[0],), {"window": onp.hanning(40), "detrend": lambda d: d - d[..., :1]}),
    ("welch", (X[0, :100],), {}), ("welch", (onp.arange(50),), {"nperseg": 10}),  # nperseg > length; ints
    ("welch", (Z,), {"nperseg": 32}), ("welch", (onp.zeros((2, 0)),), {}),
    ("csd", (X, RNG.normal(size=(3, 1, 300))), {"nperseg": 64}),
    ("csd", (X[..., :200], X), {"nperseg": 50, "average": "median", "window": "boxcar"}),
    ("csd", (Z, X), {"nperseg": 64, "average": "median"}), ("csd", (X, X[:, :2]), {"nperseg": 2, "noverlap": 0}),
    ("stft", (X,), {"nperseg": 64}),
    ("stft", (X,), {"nperseg": 33, "noverlap": 10, "boundary": "even", "scaling": "psd", "detrend": "constant"}),
    ("stft", (X.T,), {"nperseg": 32, "boundary": None, "padded": False, "axis": 0, "return_onesided": False}),
    ("stft", (X.astype(onp.float32),), {"nperseg": 20, "boundary": "odd", "window": onp.hanning(20)}),
    ("stft", (Z[0],), {"nperseg": 16, "boundary": "constant", "nfft": 20}),
]
BAD = [("welch", {"nperseg": 0}), ("welch", {"noverlap": 64, "nperseg": 64}), ("welch", {"nfft": 10, "nperseg": 20}),
       ("welch", {"scaling": "bad"}), ("welch", {"average": "bad", "nperseg": 16}),
       ("welch", {"window": onp.ones(8), "nperseg": 9}), ("stft", {"scaling": "density"}),
       ("stft", {"boundary": "bad"}), ("stft", {"window": onp.ones((2, 2))}), ("stft", {"window": onp.ones(400)})]
for _args, _kw in ([{"nperseg": 64}, {}], [{"nperseg": 64, "scaling": "psd", "boundary": "zeros"}, {"boundary": False}],
                   [{"nperseg": 33, "noverlap": 20, "return_onesided": False}, {"input_onesided": False}],
                   [{"nperseg": 31, "window": "hamming"}, {"window": "hamming"}]):
    _f, _t, _z = ss.stft(X, **_args)
    _kw = {"nperseg": _args["nperseg"], "noverlap": _args.get("noverlap"), "scaling": _args.get("scaling", "spectrum"), **_kw}
    SPECTRAL += [("istft", (_z,), _kw), ("istft", (_z.astype(onp.complex64),), _kw),
                 ("istft", (onp.moveaxis(_z, -2, 0),), {**_kw, "freq_axis": 0, "time_axis": -1})]
BAD += [("istft", {"nperseg": 0}), ("istft", {"freq_axis": 1, "time_axis": 1}), ("istft", {"scaling": "bad"}),
        ("istft", {"window": onp.ones(5)}), ("istft", {"nperseg": 8, "nfft": 4})]


@pytest.mark.parametrize("name,args,kw", SPECTRAL, ids=[f"{c[0]}-{i}" for i, c in enumerate(SPECTRAL)])
def test_spectral(name, args, kw):
    tol = 1e-5 if any(a.dtype in (onp.float32, onp.complex64) for a in args) else 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # (nperseg > length; complex two-sided; NOLA)
        same_outcome(getattr(ns, name), getattr(ss, name), *args, rtol=tol, atol=tol, **kw)


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD)])
def test_spectral_errors(name, kw):
    data = ss.stft(X)[2] if name == "istft" else X
    with pytest.raises(ValueError) as want:
        getattr(ss, name)(data, **kw)
    with pytest.raises(type(want.value), match=name):
        getattr(ns, name)(data, **kw)
