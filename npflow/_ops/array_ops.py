"""Primitives the array object itself needs: indexing, casting, copying, transfers."""
from .._core.registry import Op, register, kernel_op, xp_op


@kernel_op("getitem")
def getitem(xp, x, *, key):
    return x[key]


@kernel_op("setitem", wraps=False, inplace="write")
def setitem(xp, x, value, *, key):
    x[key] = value


@kernel_op("astype")
def astype(xp, x, *, dtype, order="K", casting="unsafe", copy=True):
    return x.astype(dtype, order=order, casting=casting, copy=copy)


@kernel_op("copy")
def copy(xp, x, *, order="K"):
    return xp.array(x, order=order, copy=True)


@kernel_op("to_device")
def to_device(xp, x, *, dst):
    """Copy ``x`` to device ``dst``: through the host unless both sides are the host."""
    be = dst.backend
    if xp is be.xp and dst.kind != "cuda":
        return x.copy()
    host = xp.asnumpy(x) if hasattr(xp, "asnumpy") else x
    return be.from_host(host, dst)


@kernel_op("flat.getitem")
def flat_getitem(xp, x, *, key):
    return x.flat[key] if hasattr(x, "flat") else x.ravel()[key]


@kernel_op("flat.setitem", wraps=False, inplace="write")
def flat_setitem(xp, x, value, *, key):
    x.flat[key] = value


@kernel_op("fill", wraps=False, inplace="write")
def fill(xp, x, *, value):
    x.fill(value)


@kernel_op("view")
def view(xp, x, *, dtype=None):
    return x.view() if dtype is None else x.view(dtype)


@kernel_op("asarray", raw_args=True)
def asarray(xp, obj, *, dtype=None, order=None, copy=None):
    if copy:
        return xp.array(obj, dtype=dtype, order=order, copy=True)
    return xp.asarray(obj, dtype=dtype, order=order, copy=copy)


@kernel_op("array", raw_args=True)
def array(xp, obj, *, dtype=None, copy=True, order="K", ndmin=0, **newer):
    # ``newer``: keywords only recent NumPy has (ndmax, 2.4); passed only when given
    return xp.array(obj, dtype=dtype, copy=copy, order=order, ndmin=ndmin, **newer)


@kernel_op("from_dlpack", raw_args=True)
def from_dlpack(xp, x, *, copy=None):
    return xp.from_dlpack(x) if copy is None else xp.from_dlpack(x, copy=copy)


# -- derivative rules -----------------------------------------------------------------------
# Writes (setitem, fill) are recorded as functional updates of operand 0: the
# cotangent of the old value is zero where the write landed.
import npflow as np  # noqa: E402  (the rules run later, once npflow is imported)

from .._core.registry import REGISTRY  # noqa: E402
from ..autodiff.rules import defvjp, defjvp, defjvp_all, deflinear, unbroadcast  # noqa: E402


def _zero_at(g, key):
    g = g.copy()
    g[key] = 0
    return g


def _setitem_jvp(tangents, ans, x, value, key):
    tx, tv = tangents
    out = np.zeros_like(x) if tx is None else tx.copy()
    out[key] = 0 if tv is None else tv
    return out


for _name in ("setitem", "setitem.rebase"):
    defvjp(_name, lambda g, ans, x, value, key: _zero_at(g, key),
           lambda g, ans, x, value, key: g[key])
    defjvp_all(_name, _setitem_jvp)

defvjp("getitem", lambda g, ans, x, key: _scatter_into_zeros(g, x, key), shape_only=(0,))
deflinear("getitem", lambda t, key: t[key])


def _scatter_into_zeros(g, x, key):
    out = np.zeros(x.shape, dtype=g.dtype, device=g.device)
    np.add.at(out, key, g)  # repeated fancy indices accumulate
    return out


defvjp("fill", lambda g, ans, x, value: _zero_at(g, ...))
defjvp("fill", lambda t, ans, x, value: np.zeros_like(t))
for _name in ("astype", "copy"):
    defvjp(_name, lambda g, ans, x, **_: g)  # fit() casts the cotangent back to x's dtype
    defjvp(_name, lambda t, ans, x, **_: t)
defvjp("to_device", lambda g, ans, x, dst: g.to_device(x.device), shape_only=(0,))
defjvp("to_device", lambda t, ans, x, dst: t.to_device(dst))
