"""Gradient specs for where, clip, i0 and the complex parts (and a complex array made of them)."""
import warnings

import numpy as onp

import npflow as np
from npflow._core.dispatch import apply
from npflow._core.registry import REGISTRY
from gradspecs import Case, rand

A = rand(3, 4, seed=40)
B = rand(4, seed=41)
C = rand(3, 4, seed=42) > 0
Z = rand(3, 4, seed=43, complex=True)
LO = rand(3, 4, low=-1.5, high=-0.1, seed=44)
HI = rand(4, low=0.1, high=1.5, seed=45)


def _real_of(z):
    with warnings.catch_warnings():  # NumPy's ComplexWarning: discarding the imaginary part
        warnings.simplefilter("ignore")
        return z.astype(onp.float64)


SPECS = [
    Case("where", lambda x, y: np.where(C, x, y), (A, B)),
    Case("where", lambda x: np.where(x > 0, x, 0.0), (A,), "relu"),
    Case("where", lambda x, y: np.where(C, x, y), (Z, Z[0] * 2j), "complex"),
    Case("clip", lambda a: np.clip(a, -0.5, 0.7), (A,)),
    Case("clip", lambda a: np.clip(a, None, 0.3), (A,), "upper-only"),
    Case("clip", lambda a: a.clip(min=-0.3), (A,), "lower-only"),
    Case("clip", np.clip, (A, LO, HI), "array-bounds"),
    Case("clip", lambda a, lo, hi: np.clip(a, lo, hi), (A, HI, LO), "crossed-bounds"),
    Case("clip", lambda a, hi: np.clip(a, -1.0, hi), (A, B * 0.5), "traced-upper"),
    Case("i0", np.i0, (rand(3, 4, low=-12, high=12, seed=46),)),
    Case("i0", np.i0, (rand(5, low=-1, high=1, seed=47),), "small"),
    Case("real", np.real, (Z,), "complex"),
    Case("real", lambda z: z.real * z.imag, (Z,), "attribute"),
    Case("imag", np.imag, (Z,), "complex"),
    Case("imag", lambda x: np.imag(x) + x, (A,)),
    Case("astype", _real_of, (Z,), "complex-to-real"),
    Case("complex", lambda re, im: apply(REGISTRY["complex"], re, im), (A, A[::-1] * 2)),
    Case("complex", np.nan_to_num, (Z,), "nan_to_num"),
    *[Case("part.rebase", f, (Z,), label) for label, f in [
        ("real[...] =", lambda z: _written(z, lambda w: w.real.__setitem__((0, slice(1, 3)), 5.0))),
        ("imag *=", lambda z: _written(z, lambda w: w.imag.__imul__(3.0))),
        ("real = f(z)", lambda z: _written(z, lambda w: setattr(w, "real", np.sin(z.imag)))),
        ("imag[...] = f(z)", lambda z: _written(z, lambda w: w.imag.__setitem__(..., z.real * z.imag)))]],
    Case("part.rebase", lambda z: np.nan_to_num(z * 1, copy=False), (Z,), "nan_to_num(copy=False)"),
]


def _written(z, write):
    """``write(w)`` into w = z * 2 (through a .real/.imag view), then w."""
    w = z * 2
    write(w)
    return w
