"""Gradient specs for composite public functions outside the op families and the
manipulation family: reductions written in ops (amax, ptp, average), elementwise
composites (angle, sinc, nan_to_num), conversions (asanyarray, require) and np.emath."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

A = rand(3, 4, seed=60)
V = rand(5, seed=61)
W = rand(3, 4, low=0.5, high=2.0, seed=62)
Z = rand(3, 4, seed=63, complex=True)
ZR = rand(3, 4, low=0.5, high=2.0, seed=64) + 1j * rand(3, 4, seed=65)  # right half-plane
POS = rand(3, 4, low=0.5, high=2.0, seed=66)
NEG = -POS
INSIDE = rand(4, low=-0.8, high=0.8, seed=70)
WIDE = rand(6, low=1.2, high=3.0, seed=67) * onp.array([1, -1, 1, -1, 1, -1])

SPECS = [
    Case("np.amax", np.amax, (A,)),
    Case("np.amax", lambda x: np.amax(x, axis=0), (A,), "axis0"),
    Case("np.amax", lambda x: np.amax(x, axis=(0, 1), keepdims=True), (A,), "tuple-keepdims"),
    Case("np.amin", np.amin, (A,)),
    Case("np.amin", lambda x: np.amin(x, axis=-1), (A,), "axis-1"),
    Case("np.ptp", np.ptp, (A,)),
    Case("np.ptp", lambda x: np.ptp(x, axis=1, keepdims=True), (A,), "axis1-keepdims"),
    Case("np.average", np.average, (A,)),
    Case("np.average", lambda x, w: np.average(x, axis=1, weights=w), (A, W[0]), "weights1d"),
    Case("np.average", lambda x, w: np.average(x, weights=w), (A, W), "weights-full"),
    Case("np.average", lambda x, w: np.average(x, axis=0, weights=w, returned=True), (A, W),
         "returned"),
    Case("np.average", lambda x: np.average(x, axis=0, keepdims=True), (Z,), "complex"),
    Case("np.diff", np.diff, (V,)),
    Case("np.diff", lambda x: np.diff(x, n=2, axis=0), (A,), "n2-axis0"),
    Case("np.diff", lambda x, p: np.diff(x, prepend=p, append=0.5), (A, W[:, :1]), "prepend"),
    Case("np.diff", np.diff, (Z,), "complex"),
    Case("np.angle", np.angle, (ZR,), "complex"),
    Case("np.angle", lambda z: np.angle(z, deg=True), (ZR,), "deg"),
    Case("np.sinc", np.sinc, (A,)),
    Case("np.sinc", np.sinc, (Z,), "complex"),
    Case("np.nan_to_num", np.nan_to_num, (A,)),
    Case("np.nan_to_num", lambda z: np.nan_to_num(z, nan=1.0), (Z,), "complex"),
    Case("np.real_if_close", lambda x: np.real_if_close(np.exp(x) + 0j), (A,)),
    Case("np.real_if_close", lambda z: np.real_if_close(z), (Z,), "complex"),
    Case("np.asanyarray", lambda x: np.asanyarray(x) * x, (A,)),
    Case("np.asanyarray", lambda x: np.asanyarray(x, dtype=np.complex128), (A,), "dtype"),
    Case("np.ascontiguousarray", lambda x: np.ascontiguousarray(x.T), (A,)),
    Case("np.ascontiguousarray", lambda z: np.ascontiguousarray(z[:, ::2]), (Z,), "complex"),
    Case("np.asfortranarray", np.asfortranarray, (A,)),
    Case("np.asfortranarray", np.asfortranarray, (Z,), "complex"),
    Case("np.require", lambda x: np.require(x.T, requirements="C"), (A,)),
    Case("np.require", lambda x: np.require(x, np.complex128, ["F", "W"]), (A,), "dtype-flags"),
    Case("np.asarray_chkfinite", lambda x: np.asarray_chkfinite(x) ** 2, (A,)),
    Case("np.fromfunction", lambda x: np.fromfunction(lambda i, j: x * i + x ** 2 * j, (3, 4)),
         (rand(3, 1, seed=68),)),
    Case("np.logspace", lambda b: np.logspace(0.0, 2.0, num=5, base=b), (onp.asarray(2.5),),
         "traced-base"),
    Case("np.logspace", lambda b: np.logspace([0.0, 1.0], 2.0, num=4, base=b, axis=1),
         (rand(2, low=1.5, high=3.0, seed=69),), "array-base-axis1"),
    # np.emath: complex results for real input outside the real domain
    Case("np.emath.sqrt", np.emath.sqrt, (POS,)),
    Case("np.emath.sqrt", np.emath.sqrt, (NEG,), "negative"),
    Case("np.emath.log", np.emath.log, (NEG,), "negative"),
    Case("np.emath.log2", np.emath.log2, (NEG,), "negative"),
    Case("np.emath.log10", np.emath.log10, (POS,)),
    Case("np.emath.logn", np.emath.logn, (POS[0] + 1.0, NEG), "negative"),
    Case("np.emath.power", np.emath.power, (NEG, W), "negative-base"),
    # (arccos, arcsin beyond one: real input lies on their branch cuts, where the derivative
    # depends on the sign of a zero imaginary part: checked inside the domain only)
    Case("np.emath.arccos", np.emath.arccos, (INSIDE,), "inside"),
    Case("np.emath.arcsin", np.emath.arcsin, (INSIDE,), "inside"),
    Case("np.emath.arctanh", np.emath.arctanh, (WIDE,), "beyond-one"),
    Case("np.emath.arctanh", np.emath.arctanh, (INSIDE,), "inside"),
]
