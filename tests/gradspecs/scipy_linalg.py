"""Gradient specs for npflow.scipy.linalg, npflow.scipy.signal and npflow.scipy.integrate.trapezoid
(composites named np.scipy.<module>.<name>; the lu and sqrtm primitives by their op names)."""
import numpy as onp

import npflow as np
import npflow.scipy.integrate as si
import npflow.scipy.linalg as sl
import npflow.scipy.signal as ss
from gradspecs import Case, rand

A = rand(4, 4, seed=130)
B = rand(4, 2, seed=131)
F = rand(4, 4, seed=132)
V = rand(4, seed=133)
L = "np.scipy.linalg."
_SCHUR = tuple(onp.asarray(m) for m in sl.schur(A))
_SCHUR_MASK = (_SCHUR[0] != 0).astype(float)
G = "np.scipy.signal."


def spd(f):
    return f @ f.T + 4 * np.eye(4, device=f.device)


def sym(a):
    return a + a.T


SPECS = [
    Case(L + "cholesky", lambda f: sl.cholesky(spd(f)), (F,)),
    Case(L + "cholesky", lambda f: sl.cholesky(spd(f), lower=True), (F,), "lower"),
    Case(L + "cho_factor", lambda f: sl.cho_factor(spd(f), lower=True)[0], (F,)),
    Case(L + "cho_solve", lambda f, b: sl.cho_solve(sl.cho_factor(spd(f)), b), (F, B)),
    Case(L + "solve_triangular", lambda a, b: sl.solve_triangular(a + 4 * np.eye(4, device=a.device), b), (A, B)),
    Case(L + "solve_triangular", lambda a, b: sl.solve_triangular(a + 4 * np.eye(4, device=a.device), b,
                                                                  trans=1, lower=True), (A, B), "lower-T"),
    Case("scipy.linalg.lu", lambda a: sl.lu(a), (A,)),
    Case(L + "lu", lambda a: sl.lu(a, permute_l=True), (A,), "permute_l"),
    Case(L + "lu_factor", lambda a: sl.lu_factor(a)[0], (A,)),
    Case(L + "lu_solve", lambda a, b: sl.lu_solve(sl.lu_factor(a), b), (A, B)),
    Case(L + "lu_solve", lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1), (A, B), "trans"),
    Case(L + "qr", lambda a: sl.qr(a, mode="economic"), (A,)),
    Case(L + "qr", lambda a: sl.qr(a)[1], (A,), "full-r"),
    Case(L + "svd", lambda a: sl.svd(a, compute_uv=False), (A,)),
    Case(L + "eigh", lambda a: sl.eigh(sym(a), eigvals_only=True), (A,)),
    Case(L + "eigh", lambda a, f: sl.eigh(sym(a), spd(f))[0], (A, F), "generalized"),
    Case(L + "eigh_tridiagonal", lambda d, e: sl.eigh_tridiagonal(d, e, eigvals_only=True), (V, V[:3])),
    Case(L + "det", sl.det, (A,)),
    Case(L + "inv", sl.inv, (A,)),
    Case(L + "solve", sl.solve, (A, B)),
    Case(L + "solve", lambda f, b: sl.solve(spd(f), b[:, 0], assume_a="pos"), (F, B), "pos-vector"),
    Case(L + "expm", sl.expm, (A,)),
    Case(L + "expm", lambda a: sl.expm(6 * a), (A,), "squared"),
    Case(L + "expm_frechet", lambda a, e: sl.expm_frechet(a, e), (A, F)),
    Case(L + "solve_sylvester", sl.solve_sylvester, (A + 3 * onp.eye(4), F + 3 * onp.eye(4), B @ B.T)),
    Case("scipy.linalg.sqrtm", lambda f: sl.sqrtm(spd(f)), (F,)),
    Case(L + "polar", lambda a: sl.polar(a), (A,)),
    Case(L + "polar", lambda a: sl.polar(a, side="left")[1], (A,), "left"),
    Case(L + "block_diag", lambda a, v: sl.block_diag(a, v, a[:2, :1]), (A, V)),
    Case(L + "toeplitz", sl.toeplitz, (V, V[::-1] * 2)),
    Case(L + "hankel", sl.hankel, (V, V[::-1] * 2)),
    Case(L + "circulant", sl.circulant, (V,)),
    Case(L + "companion", sl.companion, (V,)),
    Case(L + "fiedler", sl.fiedler, (V,)),
    Case(L + "leslie", sl.leslie, (V, V[:3])),
    Case(L + "convolution_matrix", lambda v: sl.convolution_matrix(v, 3, "same"), (V,)),
    Case(L + "convolution_matrix", lambda b: sl.convolution_matrix(b, 5), (B.T,), "batched-full"),
    Case(L + "fiedler_companion", sl.fiedler_companion, (V + 3,)),
    Case(L + "qr_multiply", lambda a, c: sl.qr_multiply(a, c), (A, B.T)),
    Case(L + "qr_multiply", lambda a, c: sl.qr_multiply(a[:, :3], c[:3], mode="left")[0], (A, B), "left"),
    # the real Schur form's entries below its blocks stay zero (rsf2csf reads its structure from them)
    Case(L + "rsf2csf", lambda t, z: sl.rsf2csf(t * _SCHUR_MASK, z), _SCHUR),
    Case(L + "funm", lambda a: sl.funm(a, np.exp), (A,)),
    Case(L + "funm", lambda f: sl.funm(spd(f), np.sqrt), (F,), "sqrt-spd"),
    *[Case(G + n, lambda a, b, n=n, m=m: getattr(ss, n)(a, b, m), (rand(7, seed=134), rand(3, seed=135)), m)
      for n in ("convolve", "correlate", "fftconvolve") for m in ("full", "same", "valid")],
    Case(G + "convolve", lambda a, b: ss.convolve(a, b, method="fft"), (A, B), "fft-2d"),
    *[Case(G + n, lambda a, b, n=n, m=m, bd=bd: getattr(ss, n)(a, b, m, bd), (A, B[:3]), f"{m}-{bd}")
      for n in ("convolve2d", "correlate2d") for m, bd in (("full", "fill"), ("same", "wrap"), ("same", "symm"), ("valid", "fill"))],
    Case(G + "detrend", ss.detrend, (A,)),
    Case(G + "detrend", lambda a: ss.detrend(a, axis=0, bp=[2]), (A,), "breakpoint-axis0"),
    Case(G + "detrend", lambda a: ss.detrend(a, type="constant"), (A,), "constant"),
    Case(G + "welch", lambda x: ss.welch(x, nperseg=8)[1], (rand(2, 20, seed=136),)),
    Case(G + "welch", lambda x, w: ss.welch(x, window=w, detrend="linear", average="median", scaling="spectrum")[1],
         (rand(20, seed=137), rand(6, seed=138, low=0.5)), "window-median"),
    Case(G + "csd", lambda x, y: ss.csd(x, y, nperseg=8, noverlap=2)[1], (rand(20, seed=139), rand(20, seed=140))),
    Case(G + "stft", lambda x: ss.stft(x, nperseg=8)[2], (rand(20, seed=141),)),
    Case(G + "stft", lambda x: ss.stft(x, nperseg=7, boundary="odd", return_onesided=False, scaling="psd")[2],
         (rand(12, seed=142),), "odd-twosided"),
    Case(G + "istft", lambda z: ss.istft(z, nperseg=8)[1], (rand(5, 4, seed=143, complex=True),)),
    Case(G + "istft", lambda z, w: ss.istft(z, window=w, noverlap=3, input_onesided=False)[1],
         (rand(6, 4, seed=144, complex=True), rand(6, seed=145, low=0.5)), "window-twosided"),
    Case("np.scipy.integrate.trapezoid", si.trapezoid, (A,)),
    Case("np.scipy.integrate.trapezoid", lambda y, x: si.trapezoid(y, x, axis=0), (A, np.cumsum(onp.abs(V))), "x"),
]
