"""Testing helpers: the gradient checker.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` compares npflow's
derivatives of ``f`` at ``args`` with central finite differences:

- forward mode: ``jvp(f, args, v)`` against ``(f(x + e v) - f(x - e v)) / 2e``
  along a random direction ``v``;
- reverse mode: the inner-product identity ``<v, vjp(u)> == <jvp(v), u>`` for
  random ``u``, with the numerical jvp (the complex form of JAX's check);
- order 2 and up: the same checks on the derivative functions themselves
  (``x -> jvp(f, x, v)`` and ``x -> vjp(f, x)(u)``).

Only floating-point and complex arguments are perturbed; others are held fixed.
"""
import numpy as onp

from ._core.public import npflow as np  # (called at run time, once npflow is imported)
from .autodiff import transforms as _t
from .autodiff.pytree import flatten, unflatten

_DEFAULT_EPS = {onp.dtype(onp.float32): 1e-3, onp.dtype(onp.float64): 1e-6,
                onp.dtype(onp.complex64): 1e-3, onp.dtype(onp.complex128): 1e-6}
_DEFAULT_TOL = {onp.dtype(onp.float32): 3e-2, onp.dtype(onp.float64): 1e-5,
                onp.dtype(onp.complex64): 3e-2, onp.dtype(onp.complex128): 1e-5}


def _inexact(x):
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


def _rand_like(rng, x):
    v = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        v = v + 1j * rng.standard_normal(x.shape)
    return np.asarray(v.astype(x.dtype), device=x.device)


def _inner(xs, ys):
    """Re <x, y> summed over leaves (complex: Re sum conj(x) y)."""
    total = 0.0
    for x, y in zip(xs, ys):
        a = onp.asarray(np.asarray(x), dtype=complex).ravel()
        b = onp.asarray(np.asarray(y), dtype=complex).ravel()
        total += float(onp.real(onp.vdot(a, b)))
    return total


def _close(got, want, tol, what):
    scale = max(1.0, abs(want))
    if not abs(got - want) <= tol * scale:
        raise AssertionError(f"check_grads: {what}: {got!r} != {want!r} (tolerance {tol} x {scale:.3g})")


def _numerical_jvp(f, args, tangents, eps):
    plus = [a + eps * t if _inexact(a) else a for a, t in zip(args, tangents)]
    minus = [a - eps * t if _inexact(a) else a for a, t in zip(args, tangents)]
    fp, _ = flatten(f(*plus))
    fm, _ = flatten(f(*minus))
    return [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(fp, fm)]


def _leaves_of(out):
    return [np.asarray(o) for o in flatten(out)[0]]


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=None, atol=None, rtol=None, seed=0):
    """Raise AssertionError unless ``f``'s derivatives at ``args`` match finite differences.

    >>> import npflow as np
    >>> np.testing.check_grads(lambda x: np.sum(np.tanh(x) ** 2), (np.array([0.5, -1.0]),))
    """
    args = tuple(np.asarray(a) if isinstance(a, (float, complex, list, onp.ndarray)) else a for a in args)
    diff = [a for a in args if _inexact(a)]
    if not diff:
        raise ValueError("check_grads(): no floating-point or complex argument to differentiate")
    widest = max((a.dtype for a in diff), key=lambda d: d.itemsize)
    eps = eps or _DEFAULT_EPS.get(widest, 1e-6)
    tol = atol or rtol or _DEFAULT_TOL.get(widest, 1e-5)
    rng = onp.random.default_rng(seed)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"check_grads(): unknown mode {mode!r} (use 'fwd' and/or 'rev')")
    _check(f, args, order, modes, eps, tol, rng)


def _split(args):
    """f over the differentiable args only (others fixed), and those args."""
    idx = [i for i, a in enumerate(args) if _inexact(a)]

    def bind(g):
        def h(*d):
            full = list(args)
            for i, v in zip(idx, d):
                full[i] = v
            return g(*full)
        return h
    return bind, [args[i] for i in idx]


def _check(f, args, order, modes, eps, tol, rng):
    bind, dargs = _split(args)
    fd = bind(f)
    tangents = [_rand_like(rng, a) for a in dargs]
    numeric = _numerical_jvp(fd, dargs, tangents, eps)
    if "fwd" in modes:
        _, t_out = _t.jvp(fd, tuple(dargs), tuple(tangents))
        for got, want in zip(_leaves_of(t_out), numeric):
            scale = float(onp.max(onp.abs(onp.asarray(want)), initial=1.0))
            err = float(onp.max(onp.abs(onp.asarray(got) - onp.asarray(want)), initial=0.0))
            if not err <= tol * scale:
                raise AssertionError(f"check_grads: forward mode (jvp) differs from finite differences "
                                     f"by {err:.3g} (tolerance {tol} x {scale:.3g})")
    if "rev" in modes:
        out, vjp_fn = _t.vjp(fd, *dargs)
        outs, tree = flatten(out)
        cots = [_rand_like(rng, np.asarray(o)) for o in outs]
        # JAX's identity for its non-conjugating convention: <v, conj(vjp(conj(u)))> == <jvp(v), u>
        cts = vjp_fn(unflatten(tree, [np.conj(c) for c in cots]))
        got = _inner(tangents, [np.conj(c) for c in cts])
        want = _inner(numeric, cots)
        _close(got, want, tol, "reverse mode (vjp) disagrees with finite differences")
    if order > 1:
        if "fwd" in modes:
            t_fixed = tangents
            _check(lambda *d: _t.jvp(fd, d, tuple(t_fixed))[1], dargs, order - 1, modes, eps, tol, rng)
        if "rev" in modes:
            out = fd(*dargs)
            outs, tree = flatten(out)
            u = unflatten(tree, [_rand_like(rng, np.asarray(o)) for o in outs])
            _check(lambda *d: _t.vjp(fd, *d)[1](u), dargs, order - 1, modes, eps, tol, rng)
