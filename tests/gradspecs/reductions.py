"""Gradient specs for the reductions, scans and the ufunc-method reductions."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

X = rand(3, 4, seed=21)                              # distinct values: max, min, median
X3 = rand(2, 3, 4, seed=22)
POS = rand(3, 4, low=0.5, high=1.5, seed=23)         # products stay moderate
Z = rand(3, 4, seed=24, complex=True)
ZS = rand(3, 4, low=-1.0, high=1.0, seed=24, complex=True)
W = onp.array([[1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1]], bool)  # where=: two or more kept per line
NAN = X.copy()
NAN[[0, 1, 2], [1, 3, 0]] = onp.nan                  # nan-functions: NaNs get no derivative
ZERO = POS.copy()
ZERO[1, 2] = 0.0                                     # one zero: the product of the others
ZEROS = POS.copy()
ZEROS[1, [0, 2]] = 0.0
ZEROS[2, 3] = 0.0
ZEROS3 = onp.array([[2.0, 0.0, 3.0, 0.5, 5.0, 0.0, 0.5], [0.0, 0.0, 1.5, 0.7, 0.0, 1.2, 0.8]])  # 2, 3 zeros
F32 = dict(eps=1e-3, atol=1e-3)                      # a float32 result: coarser differences


def cases(op, fn, specs):
    """Cases for ``op``: ``specs`` are (label, args, keyword arguments of ``fn``)."""
    return [Case(op, (lambda kw: lambda *a: fn(*a, **kw))(kw), args, label,
                 F32 if kw.get("dtype") == onp.float32 else {}) for label, args, kw in specs]


AXES = [("all", (X,), {}), ("axis0", (X,), dict(axis=0)), ("axis-1", (X,), dict(axis=-1)),
        ("keepdims", (X,), dict(axis=1, keepdims=True)), ("3d-tuple", (X3,), dict(axis=(0, 2))),
        ("3d-neg-tuple-keepdims", (X3,), dict(axis=(-1, 1), keepdims=True))]
MASKED = [("where", (X,), dict(axis=1, where=W)), ("where-all", (X,), dict(where=W))]

SPECS = []
# linear reductions and their statistics, on every axis form; complex where NumPy supports it
for name in ("sum", "mean", "var", "std"):
    SPECS += cases(name, getattr(np, name), AXES + MASKED + [
        ("complex", (Z,), dict(axis=0)), ("complex-all", (Z,), {})])
SPECS += cases("sum", np.sum, [("dtype-initial", (X,), dict(axis=0, dtype=onp.float32, initial=2.0))])
SPECS += cases("mean", np.mean, [("float32-dtype", (X,), dict(dtype=onp.float32))])
for name in ("var", "std"):
    SPECS += cases(name, getattr(np, name), [
        ("ddof", (X,), dict(axis=1, ddof=1)), ("correction", (X3,), dict(axis=(0, 1), correction=1)),
        ("where-ddof", (X,), dict(axis=0, where=W, ddof=1)),
        ("keepdims-ddof", (X3,), dict(keepdims=True, ddof=2)),
        ("mean", (X,), dict(axis=1, mean=onp.mean(X, axis=1, keepdims=True) + 0.1))])
# products: zeros are safe, any number of them, at every order
P3 = rand(2, 3, 4, low=0.5, high=1.5, seed=26)
for name, fn in (("prod", np.prod), ("multiply.reduce", np.multiply.reduce)):
    SPECS += cases(name, fn, [("all", (POS,), {}), ("axis0", (POS,), dict(axis=0)),
                              ("axis-1-keepdims", (POS,), dict(axis=-1, keepdims=True)),
                              ("3d-tuple", (P3,), dict(axis=(0, 2))), ("zero", (ZERO,), dict(axis=1)),
                              ("zeros-all", (ZEROS,), {}), ("zeros-axis1", (ZEROS3,), dict(axis=1)),
                              ("complex", (ZS,), dict(axis=0)),
                              ("where-initial", (POS,), dict(axis=1, where=W, initial=1.5))])
# extrema and medians: distinct values (ties split equally, not checked here: not differentiable)
for name in ("min", "max", "median"):
    SPECS += cases(name, getattr(np, name), AXES)
for name in ("min", "max"):
    SPECS += cases(name, getattr(np, name), [("where-initial", (X,), dict(axis=1, where=W, initial=0.0))])
SPECS += cases("median", np.median, [("even", (X,), dict(axis=1)), ("odd", (X,), dict(axis=0)),
                                     ("even-3d-keepdims", (X3,), dict(axis=(0, 1), keepdims=True))])
for name in ("maximum", "minimum", "fmax", "fmin"):
    SPECS += cases(f"{name}.reduce", getattr(np, name).reduce, [
        ("default-axis", (X,), {}), ("axis1", (X,), dict(axis=1)), ("all", (X3,), dict(axis=None)),
        ("tuple-keepdims", (X3,), dict(axis=(0, 2), keepdims=True))])
SPECS += cases("add.reduce", np.add.reduce, [("default-axis", (X,), {}), ("tuple", (X3,), dict(axis=(0, 2))),
                                             ("where", (X,), dict(axis=1, where=W))])
# nan-functions
NAN3 = X3.copy()
NAN3[0, 1, [0, 2]] = onp.nan
NANPOS = onp.where(onp.isnan(NAN), onp.nan, POS)
for name in ("nansum", "nanmean", "nanvar", "nanstd", "nanmin", "nanmax", "nanmedian", "nanprod"):
    data = NANPOS if name == "nanprod" else NAN
    SPECS += cases(name, getattr(np, name), [
        ("all", (data,), {}), ("axis0", (data,), dict(axis=0)),
        ("axis-1-keepdims", (data,), dict(axis=-1, keepdims=True)),
        ("3d-tuple", (NAN3,), dict(axis=(0, 2)))])
for name in ("nansum", "nanmean", "nanvar", "nanstd"):
    SPECS += cases(name, getattr(np, name), [("where", (NAN,), dict(axis=1, where=W))])
SPECS += cases("nanvar", np.nanvar, [("ddof", (NAN,), dict(axis=1, ddof=1))])
SPECS += cases("nanstd", np.nanstd, [("ddof", (NAN,), dict(ddof=1))])
# scans
SCANS = [("flat", (X,), {}), ("axis0", (X,), dict(axis=0)), ("axis-1", (X3,), dict(axis=-1)),
         ("3d-axis1", (X3,), dict(axis=1))]
SPECS += cases("cumsum", np.cumsum, SCANS + [("complex", (Z,), dict(axis=1)),
                                             ("dtype", (X,), dict(axis=0, dtype=onp.float32))])
SPECS += cases("cumprod", np.cumprod, [
    ("flat", (POS,), {}), ("axis0", (POS,), dict(axis=0)), ("3d-axis-1", (P3,), dict(axis=-1)),
    ("zero", (ZERO,), dict(axis=1)), ("zeros", (ZEROS3,), dict(axis=1)), ("zeros-flat", (ZEROS3,), {}),
    ("zeros-axis0", (ZEROS3.T,), dict(axis=0)), ("complex", (ZS,), dict(axis=1)),
    ("complex-zeros", (ZEROS3 * (1 - 0.5j),), dict(axis=1))])
SPECS += cases("nancumsum", np.nancumsum, [("flat", (NAN,), {}), ("axis1", (NAN,), dict(axis=1)),
                                           ("3d-axis0", (NAN3,), dict(axis=0))])
NANZEROS = onp.where(onp.arange(7) == 3, onp.nan, ZEROS3)
SPECS += cases("nancumprod", np.nancumprod, [("flat", (NANPOS,), {}), ("axis1", (NANPOS,), dict(axis=1)),
                                             ("axis0", (NANPOS,), dict(axis=0)),
                                             ("zeros", (NANZEROS,), dict(axis=1))])
SPECS += cases("add.accumulate", np.add.accumulate, [("default-axis", (X,), {}),
                                                     ("3d-axis-1", (X3,), dict(axis=-1))])
SPECS += cases("multiply.accumulate", np.multiply.accumulate, [
    ("default-axis", (POS,), {}), ("axis1", (POS,), dict(axis=1)), ("zero", (ZERO,), dict(axis=1)),
    ("zeros", (ZEROS3,), dict(axis=1))])
if hasattr(np, "cumulative_sum"):
    for name, data, cdata in (("cumulative_sum", X, Z), ("cumulative_prod", POS, ZS)):
        SPECS += cases(name, getattr(np, name), [
            ("1d", (data[0],), {}), ("axis0", (data,), dict(axis=0)), ("axis-1", (data,), dict(axis=-1)),
            ("include-initial", (data,), dict(axis=1, include_initial=True)),
            ("1d-include-initial", (data[1],), dict(include_initial=True)),
            ("complex", (cdata,), dict(axis=0))])
    SPECS += cases("cumulative_prod", np.cumulative_prod, [
        ("zeros-include-initial", (ZEROS3,), dict(axis=1, include_initial=True))])
SPECS += cases("add.reduceat", lambda x, **kw: np.add.reduceat(x, **kw), [
    ("increasing", (X,), dict(indices=[0, 2, 3], axis=1)), ("default-axis", (X,), dict(indices=[0, 2])),
    ("unordered", (X3,), dict(indices=[0, 3, 1, 1], axis=-1))])
