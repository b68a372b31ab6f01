"""Primitives the array object itself needs: indexing, casting, copying, transfers."""
from .._core.registry import kernel_op


@kernel_op("getitem")
def getitem(xp, x, *, key):
    return x[key]


@kernel_op("setitem", wraps=False, inplace="write")
def setitem(xp, x, value, *, key):
    x[key] = value


@kernel_op("astype")
def astype(xp, x, *, dtype, order="K", casting="unsafe", copy=True):
    if x.dtype.kind == "c" and getattr(dtype, "kind", _numpy.dtype(dtype).kind) != "c":
        return _astype_discarding(x, dtype, order, casting, copy)  # (NumPy's ComplexWarning)
    return x.astype(dtype, order=order, casting=casting, copy=copy)


def _astype_discarding(x, dtype, order, casting, copy):
    from .._core.dispatch import reissuing_warnings  # its ComplexWarning at the user's line
    return reissuing_warnings(x.astype)(dtype, order=order, casting=casting, copy=copy)


@kernel_op("copy")
def copy(xp, x, *, order="K"):
    return xp.array(x, order=order, copy=True)


@kernel_op("to_device")
def to_device(xp, x, *, dst):
    """Copy ``x`` to device ``dst``: through the host unless both sides are the host."""
    be = dst.backend
    if xp is be.xp and dst.kind != "cuda":
        return x.copy()
    if dst.kind == "dask":  # chunks of the source's kind: CuPy arrays stay on the GPU
        return be.asarray(x)
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


# Bit-level members (ndarray.byteswap, getfield, setfield): no derivative, so a traced array raises
@kernel_op("byteswap", differentiable=None)
def byteswap(xp, x):
    return x.byteswap()


@kernel_op("byteswap.inplace", wraps=False, inplace="write", differentiable=None)
def byteswap_inplace(xp, x):
    x.byteswap(inplace=True)


@kernel_op("getfield", differentiable=None)
def getfield(xp, x, *, dtype, offset=0):
    return x.getfield(dtype, offset)


@kernel_op("setfield", wraps=False, inplace="write", differentiable=None)
def setfield(xp, x, value, *, dtype, offset=0):
    x.setfield(value, dtype, offset)


# A view as another dtype reinterprets the bits: a derivative exists only in special cases
# (complex as pairs of floats), so there is deliberately no rule and a traced array raises.
@kernel_op("view.dtype", differentiable=None)
def view_dtype(xp, x, *, dtype):
    return x.view(dtype)


# asarray/array only ever receive foreign data (lists, buffers, NumPy arrays): an npflow
# array given to npflow.asarray/array goes through astype/copy/getitem instead, which have
# rules. Their outputs are therefore constants.
@kernel_op("asarray", raw_args=True, differentiable=False)
def asarray(xp, obj, *, dtype=None, order=None, copy=None):
    if copy:
        return xp.array(obj, dtype=dtype, order=order, copy=True)
    return xp.asarray(obj, dtype=dtype, order=order, copy=copy)


@kernel_op("array", raw_args=True, differentiable=False)
def array(xp, obj, *, dtype=None, copy=True, order="K", ndmin=0, **newer):
    # ``newer``: keywords only recent NumPy has (ndmax, 2.4); passed only when given
    return xp.array(obj, dtype=dtype, copy=copy, order=order, ndmin=ndmin, **newer)


# from_dlpack takes any DLPack producer, npflow arrays included: the same data, so the
# identity (moved back to the producer's device) for the derivative.
@kernel_op("from_dlpack", raw_args=True)
def from_dlpack(xp, x, *, copy=None):
    return xp.from_dlpack(x) if copy is None else xp.from_dlpack(x, copy=copy)


# -- derivative rules -----------------------------------------------------------------------
# Writes (setitem, fill) are recorded as functional updates of operand 0: the
# cotangent of the old value is zero where the write landed.
from .._core.public import npflow as np  # noqa: E402  (the rules run once npflow is imported)

import numpy as _numpy  # noqa: E402  (dtypes only)

from ..autodiff.core import AutodiffError  # noqa: E402
from ..autodiff.rules import defvjp, defjvp, defjvp_all, deflinear  # noqa: E402


def scatter_sum(g, shape, key):
    """Zeros of ``shape`` with ``g`` added in at ``key`` (repeated indices accumulate):
    the vjp of any gather ``x[key]``."""
    out = np.zeros(shape, dtype=g.dtype, device=g.device)
    np.add.at(out, key, g)
    return out


def _put(x, key, v):
    x[key] = v


def _flat_put(x, key, v):
    x.flat[key] = v


def _may_repeat(key):
    """Can ``key`` select one element twice (integer arrays or lists in it)?"""
    return any(isinstance(k, list) or getattr(k, "ndim", 0) and k.dtype.kind in "iu"
               for k in (key if type(key) is tuple else (key,)))


def _selected(g, key, put, get):
    """``g`` at the elements a write at ``key`` selects, zero where a later repeat of the same
    index overwrote the write (NumPy keeps the last)."""
    sel = get(g, key)
    if _may_repeat(key):
        ids = np.zeros(g.shape, dtype=_numpy.intp, device=g.device)
        order = np.reshape(np.arange(1, sel.size + 1, device=g.device), sel.shape)
        put(ids, key, order)
        sel = np.where(get(ids, key) == order, sel, 0)
    return sel


def _write_rules(name, put, get, value_ct=lambda sel, value: sel):
    """A write ``put(x, key, value)`` as a functional update of ``x``: the old value's cotangent
    is zero where the write landed; the value's is ``value_ct`` of the selected cotangent."""
    def zero_at(g, key):
        g = g.copy()
        put(g, key, 0)
        return g

    def jvp(tangents, ans, x, value, key):
        tx, tv = tangents
        out = np.zeros_like(x) if tx is None else tx.copy()
        put(out, key, 0 if tv is None else tv)
        return out
    defvjp(name, lambda g, ans, x, value, key: zero_at(g, key),
           lambda g, ans, x, value, key: value_ct(_selected(g, key, put, get), value), shape_only=(1,))
    defjvp_all(name, jvp)


def _cycled(sel, value):
    """``x.flat[key] = value`` repeats ``value`` cyclically over the selection (as NumPy)."""
    sel = np.ravel(sel)
    if sel.size != value.size:
        sel = scatter_sum(sel, (value.size,), np.arange(sel.size, device=sel.device) % value.size)
    return np.reshape(sel, value.shape)


for _name in ("setitem", "setitem.rebase"):
    _write_rules(_name, _put, lambda x, key: x[key])  # fit() sums a broadcast value
_write_rules("flat.setitem", _flat_put, lambda x, key: np.ravel(x)[key], _cycled)

# a write through a view made by another op (reshape, transpose, diagonal, ...): key = V, the view
defvjp("view.rebase", lambda g, ans, x, view, key: g - key.T(key(g), g),
       lambda g, ans, x, view, key: key(g), shape_only=(0, 1))
defjvp_all("view.rebase", lambda tangents, ans, x, view, key: (
    (0 if tangents[0] is None else tangents[0] - key.T(key(tangents[0]), ans))
    + (0 if tangents[1] is None else key.T(tangents[1], ans))))
defvjp("getitem", lambda g, ans, x, key: scatter_sum(g, x.shape, key), shape_only=(0,))
deflinear("getitem", lambda t, key: t[key])
defvjp("flat.getitem", lambda g, ans, x, key: np.reshape(scatter_sum(g, (x.size,), key), x.shape),
       shape_only=(0,))
deflinear("flat.getitem", lambda t, key: t.flat[key])

defvjp("fill", lambda g, ans, x, value: np.zeros_like(g))
defjvp("fill", lambda t, ans, x, value: np.zeros_like(t))
for _name in ("astype", "copy"):
    defvjp(_name, lambda g, ans, x, **_: g)  # fit() casts the cotangent back to x's dtype
    defjvp(_name, lambda t, ans, x, **_: t)
defvjp("to_device", lambda g, ans, x, dst: g.to_device(x.device), shape_only=(0,))
defjvp("to_device", lambda t, ans, x, dst: t.to_device(dst))
defvjp("from_dlpack", lambda g, ans, x: g.to_device(x.device), shape_only=(0,))
defjvp("from_dlpack", lambda t, ans, x: t.to_device(ans.device))


def _same_dtype(x, dtype):
    """Only a view with ``x``'s own dtype is the identity; a reinterpretation has no derivative."""
    if dtype is not None and _numpy.dtype(dtype) != x.dtype:
        raise AutodiffError(f"view(): reinterpreting {x.dtype} data as {_numpy.dtype(dtype)} has no "
                            f"derivative; use astype to convert values")


def _view_rule(d, ans, x, dtype=None):
    _same_dtype(x, dtype)
    return d


defvjp("view", _view_rule, shape_only=(0,))
defjvp("view", _view_rule)
