"""Gradient specs for numpy.linalg (the primitives in npflow/_ops/linalg.py and the composites),
and polyfit, roots and poly. Eigen- and singular vectors are checked through functions that do
not depend on their free phase (sign): |v|^2, v v^H, u s v^H (as JAX checks them)."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

L = np.linalg


def _r(*shape, seed, complex=False):
    return rand(*shape, seed=seed, complex=complex)


def _spd(*shape, seed, complex=False):
    """Positive definite (Hermitian) matrices."""
    x = _r(*shape, seed=seed, complex=complex)
    return x @ onp.conj(onp.swapaxes(x, -1, -2)) + shape[-1] * onp.eye(shape[-1])


A = _r(3, 3, seed=1)
A3 = _r(2, 3, 3, seed=2)
Z = _r(3, 3, seed=3, complex=True)
TALL, WIDE = _r(4, 3, seed=4), _r(2, 4, seed=5)
ZTALL, ZWIDE = _r(4, 3, seed=6, complex=True), _r(3, 4, seed=7, complex=True)
REAL_EIG = _spd(3, 3, seed=8) + 0.3 * _r(3, 3, seed=9)     # real, distinct eigenvalues
# a positive definite matrix plus noise in the triangle cholesky/eigh do not read
SPD_L = _spd(3, 3, seed=10) + onp.triu(_r(3, 3, seed=11), 1)
SPD_U = _spd(3, 3, seed=10) + onp.tril(_r(3, 3, seed=11), -1)


def _sq(v):
    return np.real(v * np.conj(v))


def _usv(u, s, vh):
    return np.matmul(u * s[..., None, :], vh)


def _svd_invariants(full=False):
    """u s vh, |u|^2, |vh|^2: what the singular vectors determine."""
    return lambda a: (lambda u, s, vh: (_usv(u, s, vh), _sq(u), s, _sq(vh)))(*L.svd(a, full_matrices=full))


def _eig_invariants(fn, *args):
    return lambda a: (lambda w, v: (w, _sq(v)))(*fn(a, *args))


def _first(fn, n):
    return lambda *xs: fn(*xs)[:n]


TABLE = {
    "linalg.inv": [
        ("2d", L.inv, (A,)), ("batched", L.inv, (A3,)), ("complex", L.inv, (Z,))],
    "linalg.det": [
        ("2d", L.det, (A,)), ("batched", L.det, (A3,)), ("complex", L.det, (Z,))],
    "linalg.slogdet": [
        ("2d", L.slogdet, (A,)), ("batched", L.slogdet, (A3,)), ("complex", L.slogdet, (Z,))],
    "linalg.solve": [
        ("matrix-b", L.solve, (A, TALL.T)), ("vector-b-batched-a", L.solve, (A3, _r(3, seed=12))),
        ("broadcast", L.solve, (A3, _r(3, 2, seed=13))), ("complex", L.solve, (Z, _r(3, seed=14, complex=True)))],
    "linalg.cholesky": [
        ("lower", L.cholesky, (SPD_L,)), ("upper", lambda a: L.cholesky(a, upper=True), (SPD_U,)),
        ("batched", L.cholesky, (_spd(2, 3, 3, seed=15),)),
        ("complex", L.cholesky, (_spd(3, 3, seed=16, complex=True) + onp.triu(Z, 1),)),
        ("complex-upper", lambda a: L.cholesky(a, upper=True), (_spd(3, 3, seed=16, complex=True),))],
    "linalg.qr": [
        ("tall", L.qr, (TALL,)), ("wide", L.qr, (WIDE,)), ("batched-square", L.qr, (A3,)),
        ("complex-tall", L.qr, (ZTALL,)), ("complex-wide", L.qr, (ZWIDE,)),
        ("complete-wide", lambda a: L.qr(a, mode="complete"), (WIDE,)),
        ("complete-tall-r", lambda a: L.qr(a, mode="complete")[1], (TALL,)),
        ("mode-r", lambda a: L.qr(a, mode="r"), (TALL,))],
    "linalg.svd": [
        ("tall", _svd_invariants(), (TALL,)), ("wide", _svd_invariants(), (WIDE,)),
        ("square-full", _svd_invariants(True), (A,)), ("batched", _svd_invariants(), (_r(2, 3, 2, seed=17),)),
        ("complex-tall", _svd_invariants(), (ZTALL,)), ("complex-wide", _svd_invariants(), (ZWIDE,)),
        ("full-tall-s", lambda a: L.svd(a)[1], (TALL,))],
    "linalg.svdvals": [
        ("batched", L.svdvals, (_r(2, 4, 3, seed=18),)), ("complex", L.svdvals, (ZWIDE,)),
        ("compute_uv=False", lambda a: L.svd(a, compute_uv=False), (WIDE,))],
    "linalg.eigh": [
        ("lower", _eig_invariants(L.eigh), (A,)), ("upper", _eig_invariants(L.eigh, "U"), (A,)),
        ("batched", _eig_invariants(L.eigh), (A3,)), ("complex", _eig_invariants(L.eigh), (Z,)),
        ("svd-hermitian", lambda a: (lambda u, s, vh: (s, _usv(u, s, vh), _sq(u)))(*L.svd(a, hermitian=True)),
         (A,))],
    "linalg.eigvalsh": [
        ("lower", L.eigvalsh, (A,)), ("complex-upper", lambda a: L.eigvalsh(a, "u"), (Z,)),
        ("svd-hermitian-s", lambda a: L.svd(a, compute_uv=False, hermitian=True), (A3,))],
    "linalg.eig": [
        ("real-eigenvalues", _eig_invariants(L.eig), (REAL_EIG,)),
        ("complex-eigenvalues", _eig_invariants(L.eig), (A,)), ("complex", _eig_invariants(L.eig), (Z,)),
        # always complex (README's deviations); NumPy code's fix where the eigenvalues are real
        ("real-part", lambda a: (lambda w, v: (w.real, _sq(v)))(*L.eig(a)), (REAL_EIG,))],
    "linalg.eigvals": [
        ("real", L.eigvals, (A,)), ("batched", L.eigvals, (A3,)), ("complex", L.eigvals, (Z,)),
        ("real-part", lambda a: L.eigvals(a).real, (REAL_EIG,))],
    "linalg.lstsq": [
        ("tall-1d", _first(L.lstsq, 4), (TALL, _r(4, seed=19))),
        ("tall-2d", _first(L.lstsq, 2), (TALL, _r(4, 2, seed=19))),
        ("wide", _first(L.lstsq, 1), (WIDE, _r(2, 2, seed=20))),
        ("complex", _first(L.lstsq, 2), (ZTALL, _r(4, seed=21, complex=True))),
        ("rcond", lambda a, b: L.lstsq(a, b, rcond=1e-3)[0], (TALL, _r(4, seed=19)))],
}
SPECS = [Case(op, fn, args, label) for op, rows in TABLE.items() for label, fn, args in rows]

# public functions: the primitives' own wrappers once each, then the composites
V3, W3 = _r(3, seed=22), _r(3, seed=23, complex=True)
PUBLIC = [
    ("inv", L.inv, (A,)), ("det", L.det, (A,)), ("slogdet", L.slogdet, (A,)), ("solve", L.solve, (A, V3)),
    ("cholesky", L.cholesky, (SPD_L,)), ("qr", L.qr, (TALL,)), ("svd", _svd_invariants(), (TALL,)),
    ("svdvals", L.svdvals, (TALL,)), ("eigh", _eig_invariants(L.eigh), (A,)), ("eigvalsh", L.eigvalsh, (A,)),
    ("eig", _eig_invariants(L.eig), (REAL_EIG,)), ("eigvals", L.eigvals, (A,)),
    ("lstsq", _first(L.lstsq, 2), (TALL, _r(4, seed=19))),
    ("pinv", L.pinv, (TALL,)), ("pinv", L.pinv, (ZWIDE,), "complex-wide"),
    ("pinv", lambda a: L.pinv(a, rtol=None), (A3,), "batched-rtol"),
    ("pinv", lambda a: L.pinv(a, hermitian=True), (A,), "hermitian"),
    ("norm", L.norm, (TALL,)), ("norm", L.norm, (ZTALL,), "complex"),
    ("norm", lambda x: L.norm(x, axis=1, keepdims=True), (TALL,), "axis-keepdims"),
    ("norm", lambda x: L.norm(x, 3, axis=0), (TALL,), "ord3"), ("norm", lambda x: L.norm(x, 1), (V3,), "ord1"),
    ("norm", lambda x: L.norm(x, onp.inf), (V3,), "ord-inf"),
    ("norm", lambda x: L.norm(x, -onp.inf), (V3,), "ord-minus-inf"),
    ("norm", lambda x: L.norm(x, 0.5, axis=-1), (W3,), "ord0.5-complex"),
    ("norm", lambda x: L.norm(x, "nuc"), (TALL,), "nuc"), ("norm", lambda x: L.norm(x, 2), (TALL,), "ord2-matrix"),
    ("norm", lambda x: L.norm(x, -2, axis=(2, 0)), (_r(3, 2, 4, seed=24),), "ord-2-axes"),
    ("norm", lambda x: L.norm(x, 1, axis=(1, 0)), (TALL,), "ord1-matrix"),
    ("norm", lambda x: L.norm(x, -onp.inf, keepdims=True, axis=(0, 1)), (TALL,), "ord-minus-inf-matrix"),
    ("matrix_norm", L.matrix_norm, (A3,)),
    ("matrix_norm", lambda x: L.matrix_norm(x, ord=onp.inf), (Z,), "inf-complex"),
    ("vector_norm", L.vector_norm, (A3,)),
    ("vector_norm", lambda x: L.vector_norm(x, axis=(0, 2), keepdims=True, ord=3), (A3,), "axes-keepdims"),
    ("cond", L.cond, (A3,)), ("cond", lambda x: L.cond(x, "fro"), (A,), "fro"),
    ("cond", lambda x: L.cond(x, -2), (Z,), "minus2-complex"),
    ("matrix_power", lambda a: L.matrix_power(a, 5), (A,)),
    ("matrix_power", lambda a: L.matrix_power(a, -2), (A3,), "negative"),
    ("matrix_power", lambda a: L.matrix_power(a, 3), (Z,), "complex"),
    ("multi_dot", lambda a, b, c: L.multi_dot([a, b, c]), (V3, A, TALL.T)),
    ("multi_dot", lambda a, b, c, d: L.multi_dot([a, b, c, d]), (TALL, A, TALL.T, _r(4, seed=25)), "chain-1d"),
    ("tensorinv", lambda a: L.tensorinv(a, ind=1), (_r(4, 2, 2, seed=26),)),
    ("tensorsolve", L.tensorsolve, (_r(2, 3, 6, seed=27), _r(2, 3, seed=28))),
    ("tensorsolve", lambda a, b: L.tensorsolve(a, b, axes=(0,)), (_r(3, 2, 3, 2, seed=29), _r(3, 2, seed=30)),
     "axes"),
    ("diagonal", lambda x: L.diagonal(x, offset=1), (A3,)), ("trace", L.trace, (A3,)),
    ("trace", lambda x: L.trace(x, offset=-1), (Z,), "complex"),
    ("outer", L.outer, (V3, _r(2, seed=31))), ("cross", L.cross, (A3, V3)),
    ("cross", lambda a, b: L.cross(a, b, axis=0), (A, W3[:, None]), "axis0"),
    ("matmul", L.matmul, (A3, TALL.T)), ("tensordot", lambda a, b: L.tensordot(a, b, axes=1), (TALL, A)),
    ("matrix_transpose", L.matrix_transpose, (A3,)), ("vecdot", L.vecdot, (Z, W3)),
    ("vecdot", lambda a, b: L.vecdot(a, b, axis=0), (A, TALL[:3]), "axis0"),
]
SPECS += [Case(f"np.linalg.{row[0]}", row[1], row[2], row[3] if len(row) > 3 else "") for row in PUBLIC]

X7 = onp.linspace(-1.0, 1.0, 7)
SPECS += [
    Case("np.polyfit", lambda x, y: np.polyfit(x, y, 2), (X7, _r(7, seed=32))),
    Case("np.polyfit", lambda x, y, w: np.polyfit(x, y, 3, w=w, cov=True), (X7, _r(7, 2, seed=33), 1 + X7 ** 2),
         "2d-weights-cov"),
    Case("np.polyfit", lambda y: np.polyfit(X7, y, 1, full=True)[:2], (_r(7, seed=34),), "full"),
    Case("np.roots", np.roots, (onp.array([1.0, -0.5, -2.5, 1.0]),), "real-roots"),
    Case("np.roots", np.roots, (onp.array([2.0, 1.0, 3.0]),), "complex-roots"),
    Case("np.poly", np.poly, (_r(4, seed=35),)), Case("np.poly", np.poly, (A,), "matrix"),
    Case("np.poly", np.poly, (W3,), "complex"),
]
