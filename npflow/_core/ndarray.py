"""``npflow.ndarray``: a thin object holding a backend array and its device.

Everything that computes goes through ``dispatch.apply``; conversions out of
npflow (``float(x)``, ``x.item()``, ``numpy.asarray(x)``, DLPack) read the
backend array directly, since they compute nothing.

The operators come from one table (``BINARY``, ``UNARY``, ``COMPARISONS``).
When the optional C accelerator (``npflow._core._fastpath``) is built, it
supplies the same operators as C slots whose fast path is the one in
``dispatch.apply2`` and which call the same Python functions otherwise.
"""
import builtins
import operator
import pickle
import types

import numpy as _np

from . import dispatch as _dispatch
from . import devices as _devices
from .dispatch import apply, apply1, apply2, unwrap_index, recorders, is_operand
from .dispatch import is_scalar as _is_scalar
from . import registry as _registry
from .registry import REGISTRY
from .._ops import ufuncs as _ufunc_ops, array_ops as _array_ops  # noqa: F401  (register the ops used here)

_NoValue = _np._NoValue
_NP = _np.ndarray
_GENERIC = _np.generic
_new = object.__new__
_ns = None  # the npflow module, bound once it is imported (methods call its functions)

_fastpath = _dispatch._fastpath  # the optional C accelerator (None: pure Python)
_BASIC_KEYS = frozenset((int, slice, type(None), type(Ellipsis)))  # views: no index arrays


def _bind_namespace(module):
    global _ns
    _ns = module


# dunder name -> op name; the reflected and in-place forms come from the same rows
BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift",
}
UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
               "gt": "greater", "ge": "greater_equal"}


@_registry.kernel_op("compare.unlike", differentiable=False)
def _compare_unlike(xp, x, y, *, value):
    """``==``/``!=`` of operands whose dtypes have no comparison: all ``value``, broadcast."""
    return xp.full(xp.broadcast_shapes(xp.shape(x), xp.shape(y)), value)


_UNLIKE = {REGISTRY["equal"]: False, REGISTRY["not_equal"]: True}
_NoLoop = _np._core._exceptions._UFuncNoLoopError


def _operator2(op, a, b):
    """The binary operators and comparisons (the C slots' general case too): ``op`` through
    ``apply2``; as NumPy's ``==`` and ``!=``, dtypes with no comparison loop (``floats ==
    'cat'``) compare unequal elementwise instead of raising."""
    if b is None and op in _UNLIKE and isinstance(a, ndarray) and _is_scalar(a._data):
        return NotImplemented  # as NumPy's scalars: ``s == None`` is Python's identity test
    if op is _MATMUL and not _array_like(a) and not _array_like(b):
        return NotImplemented  # NumPy's scalars have no ``@``: Python's TypeError
    try:
        return apply2(op, a, b)
    except _NoLoop:
        value = _UNLIKE.get(op)
        if value is None:
            raise
    kinds = [getattr(getattr(x, "dtype", None), "kind", None) == "V" for x in (a, b)]
    if kinds[0] != kinds[1]:  # as NumPy: structured arrays compare only with their kind
        raise TypeError("Cannot compare structured or void to non-void arrays.")
    if kinds[0]:  # NumPy compares their bytes or fields: not done here, never guessed
        raise TypeError(f"{op.name}(): comparing void or structured arrays is not supported; "
                        f"compare numpy.asarray(x) == numpy.asarray(y)")
    return apply(_COMPARE_UNLIKE, a, b, value=value)


_COMPARE_UNLIKE = REGISTRY["compare.unlike"]
_MATMUL = REGISTRY["matmul"]


def _array_like(x):
    """An array (not a scalar result): the one operand with which a NumPy scalar has an ``@``."""
    return isinstance(x, _NP) or isinstance(x, ndarray) and not _is_scalar(x._data)


def _binary(op):
    def forward(self, other):
        return _operator2(op, self, other)

    def reflected(self, other):
        return _operator2(op, other, self)
    return forward, reflected


def _inplace(op, **params):
    def inplace(self, other):
        d = self._data
        if not d.ndim and _is_scalar(d):  # a scalar is immutable: ``t += 5`` rebinds t (t = t + 5)
            return _operator2(op, self, other)
        if not is_operand(other):
            if getattr(type(other), "__array_ufunc__", 0) is None:  # as NumPy (NEP 13): no fallback
                raise TypeError(f"operand {type(other).__name__!r} does not support ufuncs "
                                f"(__array_ufunc__=None)")
            return NotImplemented
        apply(op, self, other, out=(self,), **params)
        return self
    return inplace


def _unary(op):
    def unary(self):
        return apply1(op, self)
    return unary


# ``a @= b``, as NumPy: the product may not broadcast into ``a`` (``a @= vector`` is an error)
_IMATMUL = {True: _inplace(REGISTRY["matmul"], axes=[(-1,), (-2, -1), (-1,)]),
            False: _inplace(REGISTRY["matmul"], axes=[(-2, -1), (-2, -1), (-2, -1)])}
_POWER = REGISTRY["power"]
_IPOW = _inplace(_POWER)
# NumPy computes ``x ** 2``, ``x ** -1`` and ``x ** 0.5`` (exponent exactly a Python int or
# float) with square, reciprocal and sqrt, whose dtypes and values differ from power's
# (``bool ** 2`` is int8; complex results by an ulp). (type, exponent) -> (op, dtype kinds)
_FAST_POWER = {(int, 2): (REGISTRY["square"], "bfc"), (int, -1): (REGISTRY["reciprocal"], "fc"),
               (float, 0.5): (REGISTRY["sqrt"], "fc")}


def _power_op(x, e):
    t = type(e)
    d = x._data
    if (t is int or t is float) and (d.ndim or not _is_scalar(d)):  # (NumPy's scalars: plain power)
        hit = _FAST_POWER.get((t, e))
        if hit is not None and x._data.dtype.kind in hit[1]:
            return hit[0]
    return _POWER


def _py_operators():
    """The operators as Python methods (used when the C accelerator is absent)."""
    ns = {}
    for dunder, name in BINARY.items():
        ns[f"__{dunder}__"], ns[f"__r{dunder}__"] = _binary(REGISTRY[name])
    for dunder, name in COMPARISONS.items():
        ns[f"__{dunder}__"] = _binary(REGISTRY[name])[0]
    for dunder, name in UNARY.items():
        ns[f"__{dunder}__"] = _unary(REGISTRY[name])
    return ns


if _fastpath is not None:
    _Base = _fastpath.ArrayBase
else:
    _Base = type("ArrayBase", (), {"__slots__": ("_data", "_device", "_ad", "__weakref__"),
                                   **_py_operators()})


class ndarray(_Base):
    """An n-dimensional array on a device, with NumPy's interface."""

    __slots__ = ()
    __array_priority__ = 100.0  # NumPy defers to npflow in mixed operations

    def __new__(cls, shape, dtype=float, buffer=None, offset=0, strides=None, order=None):
        data = _np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset,
                           strides=strides, order=order)
        return _dispatch.wrap(data, _devices.CPU)

    # -- attributes -------------------------------------------------------
    if _fastpath is None:  # (else ArrayBase's, in C)
        shape = property(lambda self: self._data.shape)
        dtype = property(lambda self: self._data.dtype)
        ndim = property(lambda self: self._data.ndim)
        size = property(lambda self: self._data.size)
        device = property(lambda self: self._device, doc="The npflow.Device the array lives on.")
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)

    @property
    def base(self):
        """The array this one is a view of, or None (as NumPy's ``.base``, one level)."""
        b = self._data.base
        return None if b is None else _dispatch.wrap(b, self._device)

    @property
    def T(self):
        return _ns.transpose(self)

    @property
    def mT(self):
        if self.ndim < 2:
            raise ValueError(f"mT: matrix transpose needs at least 2 dimensions, got shape {self.shape}")
        return _ns.swapaxes(self, -1, -2)

    @property
    def real(self):
        return _ns.real(self)

    @real.setter
    def real(self, value):
        _ns.real(self)[...] = value

    @property
    def imag(self):
        r = _ns.imag(self)
        return _scalar_result(r) if _is_scalar(self._data) else r  # (NumPy's: a new read-only zero)

    @imag.setter
    def imag(self, value):
        if not _np.iscomplexobj(self._data):
            raise TypeError(f"array does not have imaginary part to set (dtype {self.dtype})")
        _ns.imag(self)[...] = value

    @property
    def flat(self):
        return flatiter(self)

    @flat.setter
    def flat(self, value):
        flatiter(self)[...] = value

    # -- in-place operators ------------------------------------------------
    for _d, _name in BINARY.items():
        locals()[f"__i{_d}__"] = _inplace(REGISTRY[_name])
    del _d, _name

    def __pow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented  # modular exponentiation, as NumPy: not implemented
        op = _power_op(self, other)
        return _operator2(op, self, other) if op is _POWER else apply1(op, self)

    def __ipow__(self, other, mod=None):
        if _is_scalar(self._data):
            return self.__pow__(other, mod)
        op = _power_op(self, other)
        if op is _POWER:
            return _IPOW(self, other)
        apply(op, self, out=(self,))
        return self

    def __imatmul__(self, other):
        if _is_scalar(self._data):
            return _operator2(_MATMUL, self, other)
        try:
            return _IMATMUL[self._data.ndim == 1](self, other)
        except _np.exceptions.AxisError as e:
            raise ValueError("matmul(): inplace matrix multiplication requires the first operand to "
                             "have at least one and the second at least two dimensions "
                             f"(operands: {_dispatch.describe(self)}, {_dispatch.describe(other)})") from e

    def __divmod__(self, other):
        return _ns.divmod(self, other) if is_operand(other) else NotImplemented

    def __rdivmod__(self, other):
        return _ns.divmod(other, self)  # reflected: NumPy's never defer (see dispatch._slow2)

    # -- Python protocols --------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of unsized object (a 0-d npflow array)")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return map(self.__getitem__, range(len(self._data)))

    def __contains__(self, value):
        return bool(_ns.any(self == value))

    def __bool__(self):
        if _dispatch.concrete_check is not None:  # (npflow.jit: a traced value has no truth value)
            _dispatch.concrete_check(self, "bool()")
        return bool(self._data)

    def _scalar(self, what):
        """What Python's conversions (``what``) read: a scalar result (``dispatch.is_scalar``) as the NumPy
        scalar it stands for (``float`` of a complex one warns and drops the imaginary part),
        other arrays as a host array (``float`` of a complex or a size-1 1-d one raises)."""
        if _dispatch.concrete_check is not None:
            _dispatch.concrete_check(self, what)
        d = self._data
        if type(d) is _NP and not d.ndim and (isinstance(d.base, _GENERIC) or _is_scalar(d)):
            return d[()]  # (the first test: the common case, without a call)
        return d if type(d) is _NP else self._host()

    def __int__(self):
        return int(self._scalar("int()"))

    def __float__(self):
        return float(self._scalar("float()"))

    def __complex__(self):
        return complex(self._scalar("complex()"))

    def __index__(self):
        return operator.index(self._scalar("an index (__index__)"))

    def __round__(self, ndigits=None):
        # As NumPy: scalars (our 0-d arrays) round, arrays of higher rank do not.
        if self._data.ndim:
            raise TypeError(f"type npflow.ndarray doesn't define __round__ method for arrays of "
                            f"shape {self.shape} (only for 0-d arrays); use npflow.round")
        if ndigits is None or self._data.dtype.kind in "bc":
            s = self._host()[()]  # (any 0-d array rounds, as the scalars it stands for)
            return round(s) if ndigits is None else round(s, ndigits)  # int, or NumPy's TypeError
        return _ns.round(self, ndigits)

    def __hash__(self):
        # 0-d arrays stand in for NumPy scalars, which are hashable (dict keys,
        # sets); arrays of higher rank are not, as in NumPy.
        if self._data.ndim == 0:
            return hash(self._data.item())
        raise TypeError(f"unhashable type: 'npflow.ndarray' (shape {self.shape})")

    def __getitem__(self, key):
        d = self._data
        if not d.ndim and _is_scalar(d):
            # NumPy indexes a scalar as a new 0-d array: ``s[...]`` is an array, ``s[()]`` a scalar
            r = apply(REGISTRY["getitem"], self, key=unwrap_index(key, self._device, "getitem"))
            b = r._data.base
            return apply(REGISTRY["copy"], r) if b is d or b is d.base else r  # (a view: copied)
        tk = type(key)
        if (tk is int or tk is slice or tk is tuple and all(type(k) in _BASIC_KEYS for k in key)) \
                and not recorders and self._device.kind == "cpu" \
                and not (_dispatch.tracing and (_dispatch.trace_state.stack or self._ad)):
            try:
                r = self._data[key]
            except IndexError:
                pass  # apply raises it again, naming the op and the array
            else:
                if type(r) is _NP:
                    o = _new(ndarray)
                    o._data = r
                    o._device = self._device
                    o._ad = None
                    return o
                return _dispatch.wrap(r, self._device)
        return apply(REGISTRY["getitem"], self, key=unwrap_index(key, self._device, "getitem"))

    def __setitem__(self, key, value):
        if _is_scalar(self._data):
            raise TypeError(f"'{self._data.dtype}' scalar (a 0-d npflow array standing for a NumPy "
                            f"scalar) does not support item assignment")
        tv = type(value)
        if tv is ndarray and not value._ad and value._device is self._device and _is_scalar(value._data) \
                and _dispatch.concrete_check is None:  # (npflow.jit traces: the array is its value)
            value = value._data[()]  # as NumPy's scalar (``ints[0] = nan_scalar`` raises)
        elif (tv is list or tv is tuple) and self._data.dtype.kind != "O":
            if _dispatch.tracing and _ns._numpy.creation._holds_npflow(value):
                value = _ns._numpy.creation.from_nested(value, self._device)  # keeps gradients
            else:
                # NumPy converts a sequence straight to the target dtype (int8[0] = [1000]
                # overflows); converting it to its own dtype first would wrap silently.
                value = apply(REGISTRY["asarray"], value, dtype=self._data.dtype, device=self._device)
        apply(REGISTRY["setitem"], self, value, key=unwrap_index(key, self._device, "setitem"))

    def __repr__(self):
        if self._device.kind == "dask" and not self._device.backend.printable(self._data):
            return self._device.backend.summary(self._data)
        text = repr(self._host())
        if self._device.kind != "cpu":
            text = f"{text[:-1]}, device='{self._device.name}')"
        return text

    def __str__(self):
        if self._device.kind == "dask" and not self._device.backend.printable(self._data):
            return self._device.backend.summary(self._data)
        return str(self._host())

    def __format__(self, spec):
        return format(self._host(), spec)  # NumPy's: a 0-d array formats as its scalar

    def __copy__(self):
        return apply(REGISTRY["copy"], self, order="K")  # NumPy keeps the memory layout here

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        if self._device.kind == "dask":  # its graph, not its values (Dask pickles graphs)
            return (_ns.from_dask, (_ns.to_dask(self),))
        return (_rebuild, (self._host(), self._device.name))

    # -- interoperability -------------------------------------------------
    def _host(self):
        """The data as a host NumPy array (no copy on the CPU)."""
        return self._device.backend.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        if _dispatch.concrete_check is not None:
            _dispatch.concrete_check(self, "numpy.asarray()")
        if self._device.kind == "cpu":
            data = self._data
            if dtype is not None and data.dtype != dtype:
                if copy is False:
                    raise ValueError(f"__array__: converting {data.dtype} to {dtype} needs a copy, "
                                     f"but copy=False was given")
                return data.astype(dtype)
            return data.copy() if copy else data
        # Another device: transfer to the host (documented; CuPy itself refuses).
        if copy is False:
            raise ValueError(f"__array__: an array on {self._device.name} cannot be seen as a "
                             f"host NumPy array without a copy, but copy=False was given")
        host = self._device.backend.to_host(self._data, copy=True)  # never aliases device memory
        return host if dtype is None else host.astype(dtype, copy=False)

    def __array_ufunc__(self, uf, method, *inputs, **kwargs):
        """NumPy's ufuncs run as npflow's (npflow arrays back, on the operands' device). A NumPy out=
        array (``p += x`` on a NumPy p) gets npflow's result and is returned, p staying NumPy's
        (with an operand being differentiated that raises AutodiffError). Another library's ufunc
        (SciPy's ``special.erf``) runs on the host data and gives npflow arrays on the operands'
        device; under a trace it raises, naming npflow.scipy's function where there is one."""
        mine = getattr(_ns, uf.__name__, None) if getattr(_np, uf.__name__, None) is uf else None
        if mine is None:
            return _foreign_ufunc(uf, method, inputs, kwargs)
        if method == "at" and not isinstance(inputs[0], ndarray):  # NumPy's own target array
            if any(isinstance(x, ndarray) and _dispatch.tracked_by_active(x) for x in inputs):
                raise TypeError(f"{uf.__name__}.at(): the target is a NumPy array, but a value is "
                                f"being differentiated; its derivative would be lost (use an npflow target)")
            return uf.at(*(_np.asarray(x) if isinstance(x, ndarray) else x for x in inputs), **kwargs)
        if method == "__call__":
            return mine(*inputs, **kwargs)
        return getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """NumPy's functions on npflow arrays (README, "NumPy's functions on npflow arrays"): NumPy's
        own result where every npflow argument is a plain CPU array that no active trace tracks and
        NumPy writes into none of them (NumPy code, and the compiled code SciPy hands the result
        to, get NumPy arrays); npflow's function otherwise (results stay on their device, gradients
        flow, writes are counted)."""
        if not all(issubclass(t, (ndarray, _NP)) for t in types):
            return NotImplemented  # another library's arrays are involved: let it answer
        if _numpy_s_own(func, args, kwargs):
            return func(*_on_host(args), **{k: _on_host(v) for k, v in kwargs.items()})
        module = func.__module__.split(".")
        target = _ns
        for sub in module[1:]:
            if sub.startswith("_"):
                continue
            target = getattr(target, sub, None)
            if target is None:
                return NotImplemented
        mine = getattr(target, func.__name__, None)
        if mine is None or mine is func:
            return NotImplemented
        return mine(*args, **kwargs)

    def __array_namespace__(self, *, api_version=None):
        if api_version is not None and api_version not in _ns.SUPPORTED_API_VERSIONS:
            raise ValueError(f"__array_namespace__: unsupported api_version {api_version!r}; "
                             f"npflow supports {', '.join(_ns.SUPPORTED_API_VERSIONS)}")
        if self._device.kind == "cpu":
            return _ns
        return _ns._numpy.info.namespace_for(self._device)  # creation defaults to the array's device

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        kw = {}
        if stream is not None:
            kw["stream"] = stream
        if max_version is not None:
            kw["max_version"] = max_version
        if dl_device is not None:
            kw["dl_device"] = dl_device
        if copy is not None:
            kw["copy"] = copy
        return self._data.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # -- methods (NumPy's signatures; each forwards to the namespace) -------
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True, *, device=None):
        r = self._astype(dtype, order, casting, copy, device)
        return _scalar_result(r) if _is_scalar(self._data) else r

    def _astype(self, dtype, order, casting, copy, device):
        x = self if device is None else self.to_device(device)
        if not copy and x is self and _np.dtype(dtype) == self._data.dtype and (
                order in ("K", "A") or (order == "C" and self._data.flags.c_contiguous)
                or (order == "F" and self._data.flags.f_contiguous)):
            return self  # nothing to change: the array itself, as NumPy
        return apply(REGISTRY["astype"], x, dtype=dtype, order=order, casting=casting, copy=copy)

    def copy(self, order="C"):
        r = apply(REGISTRY["copy"], self, order=order)
        return _scalar_result(r) if _is_scalar(self._data) else r

    def to_device(self, device, /, *, stream=None):
        target = _devices.as_device(device)
        if target is self._device:
            return self
        return apply(REGISTRY["to_device"], self, dst=target, device=target)

    def item(self, *args):
        if _dispatch.concrete_check is not None:
            _dispatch.concrete_check(self, ".item()")
        if self._device.kind == "dask":  # (computes the element asked for only)
            return self._device.backend.item(self._data, args)
        return self._data.item(*args)

    def tolist(self):
        if _dispatch.concrete_check is not None:
            _dispatch.concrete_check(self, ".tolist()")
        d = self._data
        return (d if type(d) is _NP else self._host()).tolist()

    def persist(self):
        """On the Dask device: this array computed and kept in (cluster) memory, so later
        results start from its chunks (``npflow.persist``). Elsewhere: the array itself."""
        return _ns.persist(self)

    def rechunk(self, chunks):
        """On the Dask device: this array with chunks ``chunks`` (``npflow.rechunk``)."""
        return _ns.rechunk(self, chunks)

    @property
    def chunks(self):
        """The Dask device's chunk sizes, one tuple per axis (Dask's ``chunks``); None on other
        devices, where an array is one piece of memory."""
        return self._data.chunks if self._device.kind == "dask" else None

    def fill(self, value):
        if type(value) is ndarray and not value._ad and value._device is self._device \
                and _is_scalar(value._data) and _dispatch.concrete_check is None:
            value = value._data[()]  # as NumPy's scalar (npflow.jit traces: the array is its value)
        elif isinstance(value, ndarray) and _dispatch.tracked_by_active(value):
            self[...] = value  # (a traced value: written as a differentiable functional update)
            return
        apply(REGISTRY["fill"], self, value=value)

    def reshape(self, *shape, order="C", copy=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _ns.reshape(self, shape, order=order, copy=copy)

    def ravel(self, order="C"):
        return _ns.ravel(self, order=order)

    def flatten(self, order="C"):
        return _ns.ravel(self, order=order).copy()

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]
        return _ns.transpose(self, axes if axes else None)

    def swapaxes(self, axis1, axis2, /):
        return _ns.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return _ns.squeeze(self, axis=axis)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=True):
        return _ns.sum(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       initial=initial, where=where)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=True):
        return _ns.prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                        initial=initial, where=where)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
        return _ns.mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
            mean=_NoValue, correction=_NoValue):
        return _ns.std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                       where=where, mean=mean, correction=correction)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
            mean=_NoValue, correction=_NoValue):
        return _ns.var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                       where=where, mean=mean, correction=correction)

    def min(self, axis=None, out=None, keepdims=False, initial=_NoValue, where=True):
        return _ns.min(self, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)

    def max(self, axis=None, out=None, keepdims=False, initial=_NoValue, where=True):
        return _ns.max(self, axis=axis, out=out, keepdims=keepdims, initial=initial, where=where)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return _ns.argmin(self, axis=axis, out=out, keepdims=keepdims)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return _ns.argmax(self, axis=axis, out=out, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _ns.cumsum(self, axis=axis, dtype=dtype, out=out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return _ns.cumprod(self, axis=axis, dtype=dtype, out=out)

    def all(self, axis=None, out=None, keepdims=False, *, where=True):
        return _ns.all(self, axis=axis, out=out, keepdims=keepdims, where=where)

    def any(self, axis=None, out=None, keepdims=False, *, where=True):
        return _ns.any(self, axis=axis, out=out, keepdims=keepdims, where=where)

    def clip(self, min=None, max=None, out=None, **kwargs):
        for k in ("a_min", "a_max"):  # (the function's old names: NumPy's method takes neither)
            if k in kwargs:
                raise TypeError(f"ndarray.clip() got an unexpected keyword argument {k!r} (the "
                                f"method's bounds are min and max, as NumPy's)")
        return _ns.clip(self, min, max, out=out, **kwargs)

    def round(self, decimals=0, out=None):
        return _ns.round(self, decimals, out=out)

    def dot(self, other, /, out=None):
        return _ns.dot(self, other, out=out)

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        # (a traced array: its rule reads the values from before the write, so it sorts a copy)
        self[...] = _ns.sort(self.copy() if self._ad else self, axis=axis, kind=kind, order=order,
                             stable=stable)

    def argsort(self, axis=-1, kind=None, order=None, *, stable=None):
        return _ns.argsort(self, axis=axis, kind=kind, order=order, stable=stable)

    def nonzero(self, *, size=None, fill_value=None):
        return _ns.nonzero(self, size=size, fill_value=fill_value)

    def conj(self):
        kind = self._data.dtype.kind
        if kind in "biuf":
            return self  # NumPy's method returns a real array itself (the ufunc would not)
        if kind not in "cO":
            raise TypeError(f"conj(): cannot conjugate non-numeric dtype {self.dtype}")
        return _ns.conjugate(self)

    conjugate = conj

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _ns.diagonal(self, offset=offset, axis1=axis1, axis2=axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return _ns.trace(self, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype, out=out)

    def repeat(self, repeats, /, axis=None):
        return _ns.repeat(self, repeats, axis=axis)

    def take(self, indices, /, axis=None, out=None, mode="raise"):
        return _ns.take(self, indices, axis=axis, out=out, mode=mode)

    def searchsorted(self, v, /, side="left", sorter=None):
        return _ns.searchsorted(self, v, side=side, sorter=sorter)

    def view(self, dtype=_NoValue, type=_NoValue):
        # As NumPy: a subclass of ndarray given as the first argument is the type
        if type is _NoValue and isinstance(dtype, builtins.type) and issubclass(dtype, (_NP, ndarray)):
            dtype, type = _NoValue, dtype
        if type is not _NoValue and type is not ndarray:
            return self._numpy_view(dtype, type)
        if dtype is _NoValue:
            return apply(REGISTRY["view"], self)
        # NumPy reads None as the default dtype, float64 (CuPy would keep the dtype)
        dtype = _np.float64 if dtype is None else dtype
        # reinterpreting the bits has no derivative: that op raises under a trace
        op = REGISTRY["view"] if _np.dtype(dtype) == self.dtype else REGISTRY["view.dtype"]
        return apply(op, self, dtype=dtype)

    def _numpy_view(self, dtype, type):
        """``x.view(numpy.ndarray)``, ``x.view(SubclassOfNumpyNdarray)``: a NumPy array (of that
        class, its ``__array_finalize__`` called) sharing x's memory, as NumPy code expects."""
        if not (isinstance(type, builtins.type) and issubclass(type, _NP)):
            raise ValueError(f"view(): Type must be a sub-type of ndarray type: numpy.ndarray, a "
                             f"subclass of it, or npflow.ndarray (got {type!r}; subclasses of "
                             f"npflow.ndarray are not view types)")
        data = self._host_memory(f"view({type.__name__})")
        if self._ad and _dispatch.tracing:
            raise TypeError(f"view({type.__name__}): the array is being differentiated "
                            f"({_dispatch.describe(self)}); a NumPy view would drop its derivative "
                            f"(use npflow.stop_gradient(x) first if that is meant)")
        if dtype is _NoValue:
            return data.view(type)
        return data.view(_np.float64 if dtype is None else dtype, type)

    # -- NumPy's other members --------------------------------------------------
    def _host_memory(self, what):
        """The NumPy array holding the data, for members that expose host memory (CPU only)."""
        if self._device.kind != "cpu":
            raise BufferError(f"{what}: the array is on {self._device.name}, not in host memory "
                              f"(numpy.asarray(x) copies it to the host)")
        return self._data

    @property
    def data(self):
        """NumPy's ``x.data``: a memoryview of the CPU memory (read-only while an autodiff trace
        is active: a write through it would bypass the tapes' record of in-place writes), as
        ``memoryview(x)`` is where the C accelerator exports x's buffer."""
        data = self._host_memory("ndarray.data")
        if _dispatch.tracing and data.flags.writeable:
            data = data.view()
            data.flags.writeable = False
        return data.data

    def _buffer_source(self, flags):
        """The NumPy array whose buffer ``memoryview(x)`` exports (the C accelerator's buffer
        protocol calls this): x's CPU memory, read-only while an autodiff trace is active (a write
        through a buffer would bypass the tapes' record of in-place writes: a writable request
        raises BufferError then). While npflow.jit traces, a buffer would hand the traced value's
        data to NumPy or C code behind the graph's back (a constant on later calls): refused, so
        NumPy takes __array__, which raises the trace's error."""
        if _dispatch.concrete_check is not None:
            _dispatch.concrete_check(self, "numpy.asarray() or memoryview()")
        data = self._host_memory("memoryview")
        dt = data.dtype
        if dt.fields is not None or dt.kind == "V" or dt.metadata is not None:
            # PEP 3118's format loses these (NumPy reads a V8 buffer back as an empty record, and
            # no padding at a record's end): refused, so numpy.asarray(x) takes x.__array__
            raise BufferError(f"memoryview: {dt} does not survive the buffer protocol's format "
                              f"(use x.data or numpy.asarray(x))")
        if _dispatch.tracing and data.flags.writeable:
            if flags & 1:  # PyBUF_WRITABLE
                raise BufferError(f"memoryview: a writable buffer of {_dispatch.describe(self)} was "
                                  f"asked for while an autodiff trace is active; a write through it "
                                  f"would bypass the tape's record of in-place writes (write with "
                                  f"npflow operations, or take the buffer outside the trace)")
            data = data.view()
            data.flags.writeable = False
        return data

    @property
    def ctypes(self):
        return self._host_memory("ndarray.ctypes").ctypes

    def __array_wrap__(self, array, context=None, return_scalar=True, /):
        """A NumPy result as an npflow array on this array's device (NumPy's protocol)."""
        return _ns.asarray(array, device=self._device)

    def __array_finalize__(self, obj):
        return None  # (NumPy's base-class hook; npflow arrays are not NumPy subclasses)

    __class_getitem__ = classmethod(types.GenericAlias)

    def __delitem__(self, key):
        raise ValueError("cannot delete array elements")

    def setflags(self, *, write=None, align=None, uic=None):
        if self._device.kind != "cpu":
            raise BufferError(f"setflags(): the array is on {self._device.name}; flags are host "
                              f"memory's")
        self._data.setflags(write=write, align=align, uic=uic)

    def tobytes(self, order="C"):
        return self._host().tobytes(order)

    def tofile(self, fid, /, sep="", format="%s"):
        self._host().tofile(fid, sep=sep, format=format)

    def dumps(self):
        return pickle.dumps(self, protocol=2)

    def dump(self, file):
        if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__"):
            with open(file, "wb") as f:
                pickle.dump(self, f, protocol=2)
        else:
            pickle.dump(self, file, protocol=2)

    def byteswap(self, inplace=False):
        if inplace:
            apply(REGISTRY["byteswap.inplace"], self)
            return self
        return apply(REGISTRY["byteswap"], self)

    def getfield(self, dtype, offset=0):
        return apply(REGISTRY["getfield"], self, dtype=dtype, offset=offset)

    def setfield(self, val, /, dtype, offset=0):
        apply(REGISTRY["setfield"], self, val, dtype=dtype, offset=offset)

    def choose(self, choices, out=None, mode="raise"):
        return _ns.choose(self, choices, out=out, mode=mode)

    def compress(self, condition, axis=None, out=None):
        return _ns.compress(condition, self, axis=axis, out=out)

    def put(self, indices, values, /, mode="raise"):
        _ns.put(self, indices, values, mode=mode)

    def partition(self, kth, /, axis=-1, kind="introselect", order=None):
        self[...] = _ns.partition(self.copy() if self._ad else self, kth, axis=axis, kind=kind,
                                  order=order)  # (a copy where traced: as sort)

    def argpartition(self, kth, /, axis=-1, kind="introselect", order=None):
        return _ns.argpartition(self, kth, axis=axis, kind=kind, order=order)


# NumPy functions that write into an argument other than out= (npflow's count the write)
_WRITERS = frozenset(("copyto", "place", "put", "putmask", "put_along_axis", "fill_diagonal"))
_OUT_AT = {}  # NumPy function -> the position of its ``out`` parameter (None: keyword-only or none)


def _out_position(func):
    try:
        return _OUT_AT[func]
    except KeyError:
        import inspect
        try:
            names = list(inspect.signature(func).parameters)
            pos = names.index("out") if "out" in names else None
            if pos is not None and inspect.signature(func).parameters["out"].kind not in (
                    inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                pos = None
        except (TypeError, ValueError):
            pos = None
        _OUT_AT[func] = pos
        return pos


def _npflow_arrays(x, depth=0):
    if isinstance(x, ndarray):
        yield x
    elif (type(x) is list or type(x) is tuple) and depth < 3:
        for e in x:
            yield from _npflow_arrays(e, depth + 1)


def _numpy_s_own(func, args, kwargs):
    """Whether NumPy's function runs itself on these arguments (``__array_function__``'s rule)."""
    if func.__name__ in _WRITERS:
        return False
    pos = _out_position(func)
    out = kwargs.get("out", args[pos] if pos is not None and len(args) > pos else None)
    if out is not None and any(True for _ in _npflow_arrays(out)):
        return False
    for group in (args, kwargs.values()):
        for v in group:
            for x in _npflow_arrays(v):
                if type(x) is not ndarray or x._device is not _devices.CPU or (
                        x._ad and _dispatch.tracked_by_active(x)):
                    return False
    return True


def _on_host(x, depth=0):
    """``x`` with its npflow arrays as their NumPy arrays (CPU memory, no copy)."""
    if isinstance(x, ndarray):
        return x._data
    if (type(x) is list or type(x) is tuple) and depth < 3 and any(True for _ in _npflow_arrays(x)):
        return type(x)(_on_host(e, depth + 1) for e in x)
    return x


def _scipy_name(uf):
    """The npflow.scipy.special function standing for another library's ufunc, if there is one."""
    try:
        from .. import scipy as nf_scipy  # (npflow.scipy imports SciPy lazily, on first use)
        special = nf_scipy.special
    except ImportError:
        return None
    return f"npflow.scipy.special.{uf.__name__}" if hasattr(special, uf.__name__) else None


def _foreign_ufunc(uf, method, inputs, kwargs):
    """Another library's ufunc on npflow operands: its kernel on the host data, npflow arrays back
    on the operands' device (out= npflow arrays written through npflow, so versions count them)."""
    arrays = [x for x in inputs if isinstance(x, ndarray)]
    out = kwargs.pop("out", None)
    outs = out if type(out) is tuple else (out,) if out is not None else ()
    if _dispatch.tracing and any(_dispatch.tracked_by_active(x) for x in arrays):
        name = _scipy_name(uf)
        raise TypeError(f"{uf.__name__}(): a ufunc not NumPy's (npflow has no derivative for it) "
                        f"on an array being differentiated ({', '.join(map(_dispatch.describe, arrays))})"
                        + (f"; use {name}, which differentiates" if name else
                           "; write it in npflow operations or wrap it with npflow.custom_vjp"))
    devices = {x._device for x in arrays + [o for o in outs if isinstance(o, ndarray)]}
    if len(devices) > 1:
        raise _dispatch.DeviceMismatchError(
            f"{uf.__name__}(): operands are on different devices "
            f"({', '.join(map(_dispatch.describe, arrays))}); move them to one device first")
    dev = devices.pop() if devices else _devices.CPU
    host = [x._host() if isinstance(x, ndarray) else x for x in inputs]
    host_out = tuple(o if o is None or not isinstance(o, ndarray) else None for o in outs)
    if any(o is not None for o in host_out):
        kwargs["out"] = host_out
    r = getattr(uf, method)(*host, **kwargs) if method != "__call__" else uf(*host, **kwargs)
    if method == "at":
        return None
    rs = r if type(r) is tuple else (r,)
    res = []
    for i, ri in enumerate(rs):
        o = outs[i] if i < len(outs) else None
        if isinstance(o, ndarray):
            o[...] = ri
            res.append(o)
        elif o is not None:
            res.append(o)  # (a NumPy out= array, written by the ufunc itself)
        else:
            res.append(_ns.asarray(ri, device=dev))
    return tuple(res) if type(r) is tuple else res[0]


def _scalar_result(r):
    """``r``, a new 0-d array computed from a scalar by one of its methods (``s.astype``,
    ``s.copy``), as the scalar NumPy's method gives: read-only, in place (``r`` may be tracked)."""
    d = r._data
    if type(d) is _NP and not d.ndim and d.base is None and not _is_scalar(d):
        r._data = _dispatch._scalar_array(d[()]) if d.dtype.kind != "O" else _dispatch._object_0d(d[()])
    return r


def _rebuild(host, device_name):
    return _ns.asarray(host, device=device_name)


class flatiter:
    """``x.flat``: a 1-d view onto ``x`` for indexing and assignment, and an iterator over its
    elements (``next``, ``index``, ``coords``: where the iteration is), as NumPy's."""

    __slots__ = {"base": "The array being iterated over.",  # (a dict: the slots have docstrings)
                 "index": "The flat index of the element ``next`` returns."}
    __hash__ = None

    def __init__(self, base):
        self.base = base
        self.index = 0

    def __len__(self):
        return self.base.size

    def __iter__(self):
        return self

    def __next__(self):
        i = self.index
        if i >= self.base.size:
            raise StopIteration
        self.index = i + 1
        return self[i]

    @property
    def coords(self):
        """The N-d index of the element ``next`` returns (NumPy's counter: past the end, the
        first axis has run over)."""
        shape, i = self.base.shape, self.index
        if i < self.base.size:
            return tuple(int(c) for c in _np.unravel_index(i, shape))
        return (shape[0],) + (0,) * (len(shape) - 1) if shape else ()

    def __getitem__(self, key):
        b = self.base
        return apply(REGISTRY["flat.getitem"], b, key=unwrap_index(key, b._device, "flat"))

    def __setitem__(self, key, value):
        b = self.base
        apply(REGISTRY["flat.setitem"], b, value, key=unwrap_index(key, b._device, "flat"))

    def __delitem__(self, key):
        raise TypeError("Cannot delete array elements.")

    def __array__(self, dtype=None, copy=None):
        return _np.asarray(self[:], dtype=dtype)

    def copy(self):
        return self[:]

    for _d in COMPARISONS:  # (NumPy compares the elements: x.flat == 3 is a 1-d bool array)
        locals()[f"__{_d}__"] = (lambda name: lambda self, other: getattr(self[:], name)(other))(
            f"__{_d}__")
    del _d


_dispatch.ndarray = ndarray
# CPython refuses object.__new__ for a class with a C base: allocate through the base.
_new = _dispatch._new = _Base.__new__
if _fastpath is not None:
    _fastpath.configure(ndarray, _devices.CPU, _dispatch.recorders, _dispatch.tracing,
                        _dispatch.trace_state, _NP, apply1, _operator2,
                        _dispatch.wrap, _dispatch.traced, {k: REGISTRY[v] for k, v in BINARY.items()},
                        {k: REGISTRY[v] for k, v in UNARY.items()},
                        {k: REGISTRY[v] for k, v in COMPARISONS.items()})
