"""Primitives the array object itself needs: indexing, casting, copying, transfers."""
from .._core.registry import Op, register, kernel_op, xp_op


@kernel_op("getitem")
def getitem(xp, x, *, key):
    return x[key]


@kernel_op("setitem", wraps=False)
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


@kernel_op("flat.setitem", wraps=False)
def flat_setitem(xp, x, value, *, key):
    x.flat[key] = value


@kernel_op("fill", wraps=False)
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
