"""Gradient specs for the products: dot, vdot, inner, outer, tensordot, kron, cross, trace,
diagonal, einsum."""
import warnings

import npflow as np
from gradspecs import Case, rand


def _r(*shape, seed, complex=False):
    return rand(*shape, seed=seed, complex=complex)


def _2d_vectors(f):
    """cross with 2-vectors (deprecated by NumPy 2, still computed): the warning silenced."""
    def g(*xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return f(*xs)
    return g


# op: [(label, fn, args)]
TABLE = {
    "dot": [
        ("1d-1d", np.dot, (_r(3, seed=1), _r(3, seed=2))),
        ("2d-2d", np.dot, (_r(2, 3, seed=1), _r(3, 4, seed=2))),
        ("2d-1d", np.dot, (_r(2, 3, seed=1), _r(3, seed=2))),
        ("1d-3d", np.dot, (_r(3, seed=1), _r(2, 3, 4, seed=2))),
        ("3d-3d", np.dot, (_r(2, 2, 3, seed=1), _r(2, 3, 2, seed=2))),
        ("0d-2d", np.dot, (_r(seed=1), _r(2, 3, seed=2))),
        ("2d-0d", np.dot, (_r(2, 3, seed=1), _r(seed=2))),
        ("complex", np.dot, (_r(2, 3, seed=1, complex=True), _r(3, 2, seed=2, complex=True))),
    ],
    "vdot": [
        ("1d", np.vdot, (_r(4, seed=3), _r(4, seed=4))),
        ("2d-1d", np.vdot, (_r(2, 3, seed=3), _r(6, seed=4))),
        ("complex", np.vdot, (_r(2, 3, seed=3, complex=True), _r(2, 3, seed=4, complex=True))),
    ],
    "inner": [
        ("1d-1d", np.inner, (_r(3, seed=5), _r(3, seed=6))),
        ("2d-3d", np.inner, (_r(2, 3, seed=5), _r(2, 4, 3, seed=6))),
        ("0d-2d", np.inner, (_r(seed=5), _r(2, 3, seed=6))),
        ("complex", np.inner, (_r(2, 3, seed=5, complex=True), _r(4, 3, seed=6, complex=True))),
    ],
    "outer": [
        ("1d-1d", np.outer, (_r(3, seed=7), _r(4, seed=8))),
        ("2d-1d", np.outer, (_r(2, 3, seed=7), _r(2, seed=8))),
        ("complex", np.outer, (_r(3, seed=7, complex=True), _r(2, seed=8, complex=True))),
    ],
    "tensordot": [
        ("axes=2", np.tensordot, (_r(2, 3, 4, seed=9), _r(3, 4, 2, seed=10))),
        ("axes=1", lambda a, b: np.tensordot(a, b, axes=1), (_r(2, 3, seed=9), _r(3, 4, seed=10))),
        ("axes=0", lambda a, b: np.tensordot(a, b, axes=0), (_r(2, 3, seed=9), _r(2, seed=10))),
        ("pairs-permuted", lambda a, b: np.tensordot(a, b, axes=([2, 0], [0, 1])),
         (_r(2, 3, 4, seed=9), _r(4, 2, 5, seed=10))),
        ("int-pair-negative", lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
         (_r(2, 3, seed=9), _r(3, 2, seed=10))),
        ("complex", lambda a, b: np.tensordot(a, b, axes=([1], [1])),
         (_r(2, 3, seed=9, complex=True), _r(4, 3, seed=10, complex=True))),
    ],
    "kron": [
        ("2d-2d", np.kron, (_r(2, 3, seed=11), _r(2, 2, seed=12))),
        ("1d-2d", np.kron, (_r(3, seed=11), _r(2, 2, seed=12))),
        ("3d-1d", np.kron, (_r(2, 1, 2, seed=11), _r(3, seed=12))),
        ("complex", np.kron, (_r(2, 2, seed=11, complex=True), _r(3, 2, seed=12, complex=True))),
    ],
    "cross": [
        ("3-vectors", np.cross, (_r(3, seed=13), _r(3, seed=14))),
        ("batched-broadcast", np.cross, (_r(4, 3, seed=13), _r(3, seed=14))),
        ("axisa-axisb-axisc", lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
         (_r(3, 2, seed=13), _r(2, 3, seed=14))),
        ("axis", lambda a, b: np.cross(a, b, axis=0), (_r(3, 2, seed=13), _r(3, 2, seed=14))),
        ("2-and-3-vectors", _2d_vectors(np.cross), (_r(4, 2, seed=13), _r(4, 3, seed=14))),
        ("2-vectors", _2d_vectors(np.cross), (_r(4, 2, seed=13), _r(2, seed=14))),
        ("complex", np.cross, (_r(2, 3, seed=13, complex=True), _r(2, 3, seed=14, complex=True))),
    ],
    "trace": [
        ("2d", np.trace, (_r(3, 3, seed=15),)),
        ("offset", lambda a: np.trace(a, offset=1), (_r(3, 4, seed=15),)),
        ("negative-offset", lambda a: np.trace(a, offset=-1), (_r(4, 3, seed=15),)),
        ("batched-axes", lambda a: np.trace(a, axis1=2, axis2=0), (_r(3, 2, 3, seed=15),)),
        ("dtype", lambda a: np.trace(a, dtype=np.complex128), (_r(3, 3, seed=15),)),
        ("complex", lambda a: np.trace(a, axis1=1, axis2=2), (_r(2, 3, 3, seed=15, complex=True),)),
    ],
    "diagonal": [
        ("2d", np.diagonal, (_r(3, 3, seed=16),)),
        ("offset", lambda a: np.diagonal(a, 1), (_r(3, 4, seed=16),)),
        ("negative-offset", lambda a: np.diagonal(a, -2), (_r(4, 3, seed=16),)),
        ("batched-axes", lambda a: np.diagonal(a, 0, 2, 0), (_r(3, 2, 3, seed=16),)),
        ("complex", lambda a: np.diagonal(a, 1, -1, -2), (_r(2, 3, 3, seed=16, complex=True),)),
    ],
}


def _einsum(spec):
    return lambda *xs: np.einsum(spec, *xs)


EINSUM = [
    ("ij,jk->ik", (_r(2, 3, seed=17), _r(3, 4, seed=18))),
    ("ij,jk", (_r(2, 3, seed=17), _r(3, 4, seed=18))),
    ("ji,jk", (_r(3, 2, seed=17), _r(3, 4, seed=18))),
    ("ii->i", (_r(3, 3, seed=17),)),
    ("ii", (_r(3, 3, seed=17),)),
    ("iij->ji", (_r(3, 3, 2, seed=17),)),
    ("ij->", (_r(2, 3, seed=17),)),
    ("ij->j", (_r(2, 3, seed=17),)),
    ("i,i", (_r(3, seed=17), _r(3, seed=18))),
    ("i,j->ij", (_r(3, seed=17), _r(2, seed=18))),
    ("ii,i->i", (_r(3, 3, seed=17), _r(3, seed=18))),
    ("bij,bjk->bik", (_r(2, 2, 3, seed=17), _r(2, 3, 2, seed=18))),
    ("...ij,...jk->...ik", (_r(2, 2, 3, seed=17), _r(3, 2, seed=18))),
    ("...ij,...jk", (_r(1, 2, 3, seed=17), _r(2, 3, 2, seed=18))),
    ("i...->...", (_r(3, 2, seed=17),)),
    ("ij,jk,kl->il", (_r(2, 3, seed=17), _r(3, 2, seed=18), _r(2, 2, seed=19))),
]
SPECS = [Case(op, fn, args, label) for op, rows in TABLE.items() for label, fn, args in rows]
SPECS += [Case("einsum", _einsum(spec), args, spec) for spec, args in EINSUM]
SPECS += [
    Case("einsum", _einsum("ij,jk->ik"), (_r(2, 3, seed=17, complex=True), _r(3, 2, seed=18, complex=True)),
         "complex"),
    Case("einsum", _einsum("ii->i"), (_r(3, 3, seed=17, complex=True),), "complex-diagonal"),
    Case("einsum", _einsum("i,i"), (_r(1, seed=17), _r(3, seed=18)), "size-1-broadcast"),
    Case("einsum", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), (_r(2, 3, seed=17), _r(3, 2, seed=18)),
         "sublists"),
    Case("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b, optimize=True),
         (_r(2, 3, seed=17), _r(3, 2, seed=18)), "optimize"),
]
