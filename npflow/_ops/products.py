"""Products: each NumPy function here is one backend call (dot, einsum, trace, ...).

``einsum`` takes its subscripts as a static parameter, always in string form
(the public function turns the sublist form into it), so a gradient rule sees
one spelling.
"""
from .._core.registry import kernel_op, xp_op

OPS = {name: xp_op(name) for name in
       ("dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "trace", "diagonal")}


@kernel_op("einsum")
def einsum(xp, *operands, subscripts, **params):
    return xp.einsum(subscripts, *operands, **params)


OPS["einsum"] = einsum


# -- derivative rules (written in npflow ops: DESIGN.md invariant 3) -------------------------
import operator  # noqa: E402
import string  # noqa: E402

from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

from ..autodiff.rules import defvjp, defjvp, deflinear, unbroadcast  # noqa: E402


def _pairs(axes):
    """tensordot's ``axes`` as two lists of axes (an int N: the last N of a, the first N of b)."""
    try:
        ax_a, ax_b = axes
    except TypeError:
        return list(range(-axes, 0)), list(range(axes))
    return _as_list(ax_a), _as_list(ax_b)


def _as_list(axes):
    try:
        return [operator.index(axes)]
    except TypeError:
        return list(axes)


def _factor_ct(g, other, ax_self, ax_other, self_first):
    """The cotangent of one factor of ``tensordot`` (of self and ``other``, in that order if
    ``self_first``), contracting ``ax_self`` with ``ax_other``: ``g`` contracted with ``other``."""
    ax_other = [i % other.ndim for i in ax_other]
    free_o = [i for i in range(other.ndim) if i not in ax_other]
    nd = g.ndim - len(free_o) + len(ax_self)
    ax_self = [i % nd for i in ax_self]
    g_axes = list(range(g.ndim - len(free_o), g.ndim)) if self_first else list(range(len(free_o)))
    r = np.tensordot(g, other, axes=(g_axes, free_o))
    src = [i for i in range(nd) if i not in ax_self] + [ax_self[ax_other.index(j)] for j in sorted(ax_other)]
    perm = [src.index(k) for k in range(nd)]
    return r if perm == sorted(perm) else np.transpose(r, perm)


def _dot_axes(a, b):
    """The axes ``dot`` contracts (none for a 0-d operand: then it multiplies)."""
    return ([], []) if a.ndim == 0 or b.ndim == 0 else ([-1], [-2 if b.ndim > 1 else -1])


def _inner_axes(a, b):
    return ([], []) if a.ndim == 0 or b.ndim == 0 else ([-1], [-1])


for _name, _axes in (("dot", _dot_axes), ("inner", _inner_axes)):
    defvjp(_name, lambda g, ans, a, b, _axes=_axes: _factor_ct(g, b, *_axes(a, b), True),
           lambda g, ans, a, b, _axes=_axes: _factor_ct(g, a, *_axes(a, b)[::-1], False),
           shape_only={0: (0,), 1: (1,)})  # each rule reads its own operand's shape only
defjvp("dot", lambda t, ans, a, b: np.dot(t, b), lambda t, ans, a, b: np.dot(a, t))
defjvp("inner", lambda t, ans, a, b: np.inner(t, b), lambda t, ans, a, b: np.inner(a, t))
defvjp("tensordot", lambda g, ans, a, b, axes=2: _factor_ct(g, b, *_pairs(axes), True),
       lambda g, ans, a, b, axes=2: _factor_ct(g, a, *_pairs(axes)[::-1], False))
defjvp("tensordot", lambda t, ans, a, b, axes=2: np.tensordot(t, b, axes=axes),
       lambda t, ans, a, b, axes=2: np.tensordot(a, t, axes=axes))
# vdot conjugates its first argument (it is antiholomorphic there: the vjp conjugates, as conj's)
defvjp("vdot", lambda g, ans, a, b: np.reshape(np.conj(g * b), a.shape),
       lambda g, ans, a, b: np.reshape(g * np.conj(a), b.shape), shape_only={0: (0,), 1: (1,)})
defjvp("vdot", lambda t, ans, a, b: np.vdot(t, b), lambda t, ans, a, b: np.vdot(a, t))
defvjp("outer", lambda g, ans, a, b: np.reshape(np.dot(g, np.ravel(b)), a.shape),
       lambda g, ans, a, b: np.reshape(np.dot(np.ravel(a), g), b.shape), shape_only={0: (0,), 1: (1,)})
defjvp("outer", lambda t, ans, a, b: np.outer(t, b), lambda t, ans, a, b: np.outer(a, t))


def _kron_ct(g, x, other, x_first):
    """kron's output viewed as (a0, b0, a1, b1, ...) and contracted with the other factor."""
    nd = max(x.ndim, other.ndim)
    sx, so = ((1,) * (nd - x.ndim) + x.shape), ((1,) * (nd - other.ndim) + other.shape)
    pairs = zip(sx, so) if x_first else zip(so, sx)
    g = np.reshape(g, tuple(s for p in pairs for s in p))
    own = range(1 - x_first, 2 * nd, 2)
    other_axes = [i for i in range(2 * nd) if i not in own]
    return np.reshape(np.tensordot(g, np.reshape(other, so), axes=(other_axes, list(range(nd)))), x.shape)


defvjp("kron", lambda g, ans, a, b: _kron_ct(g, a, b, True), lambda g, ans, a, b: _kron_ct(g, b, a, False))
defjvp("kron", lambda t, ans, a, b: np.kron(t, b), lambda t, ans, a, b: np.kron(a, t))


def _cross_ct(g, x, other, axx, axo, axisc, axis, x_first):
    """cross's cotangent for ``x`` (g . (a x b) = a . (b x g) = b . (g x a)), 2-vectors as z = 0."""
    if axis is not None:
        axx = axo = axisc = axis
    xv, ov = np.moveaxis(x, axx, -1), np.moveaxis(other, axo, -1)
    if xv.shape[-1] == 2 and ov.shape[-1] == 2:  # the output is the z component alone
        g3 = g[..., None] * np.asarray([0, 0, 1], dtype=g.dtype, device=g.device)
    else:
        g3 = np.moveaxis(g, axisc, -1)
    o3 = ov if ov.shape[-1] == 3 else np.concatenate([ov, np.zeros_like(ov[..., :1])], axis=-1)
    ct = np.cross(o3, g3) if x_first else np.cross(g3, o3)
    return np.moveaxis(unbroadcast(ct[..., :xv.shape[-1]], xv.shape), -1, axx)


defvjp("cross", lambda g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
       _cross_ct(g, a, b, axisa, axisb, axisc, axis, True),
       lambda g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
       _cross_ct(g, b, a, axisb, axisa, axisc, axis, False))
defjvp("cross", lambda t, ans, a, b, **kw: np.cross(t, b, **kw), lambda t, ans, a, b, **kw: np.cross(a, t, **kw))


def _embed_diagonal(m, shape, offset, axis1, axis2):
    """``m[..., n1, n2]`` (zero off the ``offset`` diagonal) moved to ``axis1, axis2`` of ``shape``."""
    return np.moveaxis(m * np.eye(shape[axis1], shape[axis2], k=offset, dtype=m.dtype, device=m.device),
                       (-2, -1), (axis1, axis2))


def _diagonal_vjp(g, ans, a, offset=0, axis1=0, axis2=1):
    n1, n2 = a.shape[axis1], a.shape[axis2]
    eye = np.eye(g.shape[-1], n1 if offset >= 0 else n2, dtype=g.dtype, device=g.device)
    line = np.matmul(g, eye)  # the diagonal padded to a full row (column) index
    return _embed_diagonal(line[..., :, None] if offset >= 0 else line[..., None, :], a.shape, offset,
                           axis1, axis2)


defvjp("trace", lambda g, ans, a, offset=0, axis1=0, axis2=1:
       _embed_diagonal(g[..., None, None], a.shape, offset, axis1, axis2), shape_only=(0,))
deflinear("trace", lambda t, offset=0, axis1=0, axis2=1, dtype=None:
          np.trace(t, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype))
defvjp("diagonal", _diagonal_vjp, shape_only=(0,))
deflinear("diagonal", lambda t, offset=0, axis1=0, axis2=1: np.diagonal(t, offset, axis1, axis2))


def _einsum_labels(subscripts, shapes):
    """(each operand's labels, the output's labels, unused letters): ellipses spelled out."""
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    ins = ins.split(",")
    free = [c for c in string.ascii_letters if c not in spec]
    nell = max((len(s) - len(t) + 3 for t, s in zip(ins, shapes) if "..." in t), default=0)
    ell = "".join(free[:nell])
    labels = [t.replace("...", ell[nell - (len(s) - len(t) + 3):]) if "..." in t else t
              for t, s in zip(ins, shapes)]
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit output: the broadcast dimensions, then the labels used once, sorted
        once = "".join(ins).replace(".", "")
        out = ell + "".join(sorted(c for c in set(once) if once.count(c) == 1))
    return labels, out, free[nell:]


def _einsum_ct(k, g, operands, subscripts, optimize):
    """Operand ``k``'s cotangent: ``g`` contracted with the other operands onto k's labels; a
    repeated label (a diagonal) gets a fresh letter tied by an identity factor, a label found
    nowhere else (or only broadcast, with size 1) a factor of ones."""
    labels, out, spare = _einsum_labels(subscripts, [x.shape for x in operands])
    terms = [(out, g)] + [(s, x) for i, (s, x) in enumerate(zip(labels, operands)) if i != k]
    target, spare = "", iter(spare)
    for c, n in zip(labels[k], operands[k].shape):
        if c in target:
            d = next(spare)
            terms.append((c + d, np.eye(n, dtype=g.dtype, device=g.device)))
            c = d
        target += c
    sizes = {}
    for s, x in terms:
        for c, n in zip(s, x.shape):
            sizes[c] = max(n, sizes.get(c, 0))
    terms += [(c, np.ones(n, dtype=g.dtype, device=g.device))
              for c, n in zip(target, operands[k].shape) if sizes.get(c, 0) < n]
    return np.einsum(",".join(s for s, _ in terms) + "->" + target, *(x for _, x in terms),
                     optimize=bool(optimize))


def _einsum_rules(k):
    def vjp(g, ans, *operands, subscripts, optimize=False, **_):
        return _einsum_ct(k, g, operands, subscripts, optimize)

    def jvp(t, ans, *operands, subscripts, optimize=False, **_):
        return np.einsum(subscripts, *operands[:k], t, *operands[k + 1:], optimize=bool(optimize))
    return vjp, jvp


_EINSUM = [_einsum_rules(k) for k in range(64)]  # one per operand (NumPy's limit is 64)
defvjp("einsum", *(v for v, _ in _EINSUM))
defjvp("einsum", *(j for _, j in _EINSUM))
