"""The CuPy backend: CUDA device memory.

CuPy is imported on first use only, so ``import npflow`` never imports it.

Kernels call ``xp.<name>``; for CUDA, ``xp`` is :func:`namespace` (CuPy's module
with a few functions replaced where CuPy's API departs from NumPy's in a way
that would give an error or a different answer). Each replacement says which
CuPy behaviour it corrects; the tests check them against a CuPy-like fake
(tests/test_gpu.py), and against CuPy itself where a GPU is available.
"""
import functools
import math
import types

import numpy  # metadata only here: dtypes, result_type, axis normalisation
from numpy.lib.array_utils import normalize_axis_tuple

_cupy = None


class BackendUnavailableError(RuntimeError):
    """CUDA was asked for, but CuPy or a GPU is missing."""


def load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise BackendUnavailableError(
                "device 'cuda' needs CuPy, which is not installed "
                "(install it with: pip install 'npflow[cuda]')") from e
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CUDA driver missing or broken
            raise BackendUnavailableError(
                f"device 'cuda': CuPy {cupy.__version__} is installed but no CUDA GPU "
                f"can be used ({e})") from e
        if count == 0:
            raise BackendUnavailableError(
                f"device 'cuda': CuPy {cupy.__version__} is installed but no CUDA GPU was found")
        _cupy = cupy
    return _cupy


def gpu_count():
    return load_cupy().cuda.runtime.getDeviceCount()


# -- CuPy's departures from NumPy, corrected ----------------------------------------------------
_PY_SCALARS = (bool, int, float, complex)
_NONE = object()  # "not given"


def _as_arrays(cp, args, weak=False, like=()):
    """Python scalars among ``args`` as 0-d arrays: CuPy's non-ufunc functions (dot, inner,
    outer, kron, where's condition, clip's array...) call array methods on their operands and
    fail on Python scalars. NumPy's dot-like functions convert them as ``asarray`` does
    (float64 beside float32 gives float64); ``weak=True`` gives NEP 50's dtype instead, as
    NumPy's ufunc-based functions (clip) do (a Python float beside float32 is float32)."""
    dts = [a.dtype for a in (*args, *like) if hasattr(a, "dtype")] if weak else []
    return [cp.asarray(a, dtype=numpy.result_type(a, *dts) if dts else None)
            if type(a) in _PY_SCALARS else a for a in args]


def _scalars_ok(cp, name, first_only=False):
    f = getattr(cp, name)

    @functools.wraps(f)
    def g(*args, **kw):
        n = 1 if first_only else len(args)
        return f(*_as_arrays(cp, args[:n]), *args[n:], **kw)
    return g


def _sorting(cp, name):
    """CuPy sorts stably and takes only kind=None or 'stable' (ValueError for NumPy's other
    kinds), no stable= and no order=; partition and argpartition take no kind= at all.
    A stable result is a correct result for every kind NumPy accepts."""
    f = getattr(cp, name)

    def sort(a, *args, kind=None, order=None, stable=None, **kw):
        if kind is not None and stable is not None:
            raise ValueError("`kind` and keyword parameters can't be provided at the same time. "
                             "Use only one of them.")
        if order is not None:
            raise ValueError(f"{name}(): order= needs a structured array; CuPy has none")
        if kind is not None and not (kind[:1].lower() in ("q", "h", "m", "s") if "sort" in name
                                     else kind == "introselect"):  # NumPy reads sort kinds by
            raise ValueError(f"{name}(): unknown kind {kind!r}")     # their first letter
        return f(a, *args, **kw)
    return sort


def _check_indices(cp, indices, n, axis, mode, what, outer=1):
    """NumPy's index checks before a CuPy call that would wrap out-of-range indices silently
    (``outer``: how many times the indices are used; NumPy checks nothing it does not use).
    mode='raise' costs one device synchronisation (the bounds test is read on the host)."""
    idx = cp.asarray(indices)
    if idx.dtype.kind not in "biu":
        if idx.size or isinstance(indices, cp.ndarray):
            raise TypeError(f"{what}: Cannot cast array data from {idx.dtype!r} to "
                            f"dtype('int64') according to the rule 'safe'")
        idx = idx.astype(numpy.intp)  # an empty list of indices
    if mode == "clip":
        return cp.clip(idx, 0, max(n - 1, 0))
    if mode == "raise":
        if idx.size and outer and bool(((idx < -n) | (idx >= n)).any()):
            raise IndexError(f"{what}: index out of bounds for axis {axis} with size {n}")
    elif mode != "wrap":
        raise ValueError(f"{what}: clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return idx


def _take(cp, a, indices, axis=None, out=None, mode="raise"):
    """CuPy's take has no mode= and always wraps (NumPy's mode='wrap'); NumPy's default is 'raise'."""
    a = cp.asarray(a)
    if axis is None:
        n, outer = a.size, 1
    else:
        axis = normalize_axis_tuple(axis, a.ndim)[0]
        n, outer = a.shape[axis], math.prod(a.shape[:axis])  # NumPy loops over these dims only
    return cp.take(a, _check_indices(cp, indices, n, axis, mode, "take", outer), axis=axis, out=out)


def _take_along_axis(cp, a, indices, axis):
    """CuPy's take_along_axis indexes with integer arrays, which wrap out-of-range indices."""
    n = a.size if axis is None else a.shape[axis]
    return cp.take_along_axis(a, _check_indices(cp, indices, n, axis, "raise", "take_along_axis"),
                              axis)


def _put_along_axis(cp, arr, indices, values, axis):
    """CuPy's put_along_axis assigns through integer-array indexing, which wraps out-of-range
    indices."""
    n = arr.size if axis is None else arr.shape[axis]
    cp.put_along_axis(arr, _check_indices(cp, indices, n, axis, "raise", "put_along_axis"),
                      values, axis)


def _count_nonzero(cp, a, axis=None, *, keepdims=False):
    """CuPy's count_nonzero has no keepdims= (NumPy's since 1.19)."""
    r = cp.count_nonzero(a, axis=axis)
    if keepdims:
        r = cp.asarray(r).reshape(tuple(1 if i in _axes(axis, a.ndim) else s
                                        for i, s in enumerate(a.shape)))
    return r


def _put(cp, a, ind, v, mode="raise"):
    """CuPy's put defaults to mode='wrap' (NumPy: 'raise'), and in 'raise' mode writes every
    valid entry before raising; NumPy writes the entries before the first invalid one."""
    if mode == "raise":
        idx = cp.asarray(ind).ravel()
        bad = (idx < -a.size) | (idx >= a.size)
        if idx.size and bool(bad.any()):  # one device synchronisation, as CuPy's own check
            first = int(bad.argmax())
            if first:
                cp.put(a, idx[:first], v, mode="wrap")
            raise IndexError(f"put: index {int(idx[first])} is out of bounds for axis 0 with "
                             f"size {a.size}")
        mode = "wrap"  # all in range: wrapping only resolves negative indices
    cp.put(a, ind, v, mode=mode)


def _lexsort(cp, keys, axis=-1):
    """CuPy's lexsort takes one (k, N) array only: no axis=, no sequence of keys, no rank above
    2. NumPy's definition instead: stable argsorts, one per key, the last key primary."""
    if isinstance(keys, (tuple, list)):
        keys = [cp.asarray(k) for k in keys]
    else:
        keys = cp.asarray(keys)
        if keys.ndim == 0:
            raise TypeError("need sequence of keys with len > 0 in lexsort")
        keys = list(keys)
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if any(k.shape != keys[0].shape for k in keys):
        raise ValueError("all keys need to be the same shape")
    if keys[0].ndim == 0:
        return cp.asarray(0, dtype=numpy.intp)  # NumPy's answer for a 1-d array of keys
    idx = cp.argsort(keys[0], axis=axis, kind="stable")
    for k in keys[1:]:
        order = cp.argsort(cp.take_along_axis(k, idx, axis), axis=axis, kind="stable")
        idx = cp.take_along_axis(idx, order, axis)
    return idx


def _axes(axis, ndim):
    return tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)


_IDENTITY = {"sum": 0, "nansum": 0, "prod": 1, "nanprod": 1, "all": True, "any": False}
_COMBINE = {"sum": "add", "nansum": "add", "prod": "multiply", "nanprod": "multiply",
            "max": "maximum", "min": "minimum", "nanmax": "fmax", "nanmin": "fmin"}


def _reduction(cp, name):
    """CuPy's reductions take no where= and no initial=: masked elements become the identity
    (or ``initial``), and ``initial`` joins the result, NumPy's definition of both."""
    f = getattr(cp, name)

    def reduction(a, *args, where=True, initial=_NONE, **kw):
        if where is True and initial is _NONE:
            return f(a, *args, **kw)
        a = cp.asarray(a)
        out = kw.pop("out", None)
        fill = _IDENTITY.get(name, None if initial is _NONE else initial)
        if where is not True:
            if fill is None:
                raise ValueError(f"reduction operation '{name}' does not have an identity, so to "
                                 f"use a where mask one has to specify 'initial'")
            a = cp.where(where, a, cp.asarray(fill, dtype=a.dtype))
        if initial is not _NONE:
            axis = kw.get("axis", args[0] if args else None)
            if a.size == 0:  # reduce one element, initial, per output position instead
                shape = tuple(1 if i in _axes(axis, a.ndim) else s for i, s in enumerate(a.shape))
                a = cp.full(shape, initial, dtype=a.dtype)
                r = f(a, *args, **kw)
            else:
                r = f(a, *args, **kw)
                r = getattr(cp, _COMBINE[name])(r, initial).astype(r.dtype, copy=False)
        else:
            r = f(a, *args, **kw)
        return _put_out(r, out)
    return reduction


def _moment(cp, name):
    """CuPy's mean/var/std (and nan-versions) take no where=, and var/std no mean= or
    correction= (NumPy 2): those cases are computed from sums with the mask applied."""
    f = getattr(cp, name)
    base = name[3:] if name.startswith("nan") else name

    def moment(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True, ddof=0,
               correction=_NONE, mean=_NONE):
        if correction is not _NONE:
            if ddof != 0:
                raise ValueError("ddof and correction can't be provided simultaneously.")
            ddof = correction
        kw = {} if base == "mean" else {"ddof": ddof}
        if where is True and mean is _NONE:
            return f(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)
        a = cp.asarray(a)
        w = cp.broadcast_to(cp.asarray(where), a.shape)
        if base != name:
            w = w & ~cp.isnan(a)
        rt = numpy.dtype(dtype or (numpy.float64 if a.dtype.kind in "biu" else a.dtype))
        n = cp.sum(w, axis=axis, keepdims=True)
        m = mean if mean is not _NONE else cp.sum(cp.where(w, a, 0), axis=axis, dtype=rt,
                                                  keepdims=True) / n
        if base == "mean":
            r = m
        else:
            d = cp.where(w, a - m, 0)
            r = cp.sum((d * d.conj()).real, axis=axis, keepdims=True) / cp.maximum(n - ddof, 0)
            r = cp.sqrt(r) if base == "std" else r
            rt = numpy.empty(0, rt).real.dtype
        r = r.astype(rt, copy=False)
        if not keepdims:
            r = r.reshape([s for i, s in enumerate(r.shape) if i not in _axes(axis, a.ndim)])
        return _put_out(r, out)
    return moment


def _clip(cp, ns, a, a_min, a_max, out=None, **kw):
    """CuPy's clip calls a.clip (a Python scalar has none) and takes none of NumPy's ufunc
    keywords (dtype=, casting=): with those, it is the maximum and minimum it is made of.
    Python-int bounds beyond an integer dtype's range are no bounds (NumPy's rule, NEP 50)."""
    a = _as_arrays(cp, [a], weak=True, like=(a_min, a_max))[0]
    if a.dtype.kind in "iu":
        info = numpy.iinfo(a.dtype)
        a_min = None if type(a_min) is int and a_min <= info.min else a_min
        a_max = None if type(a_max) is int and a_max >= info.max else a_max
    if a_min is None and a_max is None:
        return ns.positive(a, out=out, **kw)  # NumPy's identity (a TypeError for bool)
    if not kw:
        return cp.clip(a, a_min, a_max, out=out)
    lo = a if a_min is None else ns.maximum(a, a_min, **kw, **({"out": out} if a_max is None else {}))
    return lo if a_max is None else ns.minimum(lo, a_max, out=out, **kw)


_CUPY_UFUNC_KW = frozenset(("out", "dtype", "casting"))
GUFUNCS = frozenset(("matmul", "vecdot", "matvec", "vecmat"))  # NumPy: no methods for these


def _gufunc_method(name, method):
    """NumPy's error for a method of a ufunc with a core signature (matmul.reduce, vecdot.at)."""
    def method_(*args, **kw):
        if method == "at":
            raise TypeError(f"{name}.at does not support ufunc with non-trivial signature")
        raise RuntimeError(f"{name}.{method}: Reduction not defined on ufunc with signature")
    return method_


class _Ufunc:
    """A CuPy ufunc with NumPy's keywords CuPy's ufuncs reject (where=, order=, subok=,
    signature=) and NumPy's methods where CuPy's are missing: CuPy's reduce/accumulate exist
    for add and multiply only, reduceat for add only. The missing ones are left folds along the
    axis, one kernel launch per element (NumPy's definition; correct, not fast)."""

    _REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
               "fmax": "nanmax", "fmin": "nanmin", "logical_and": "all", "logical_or": "any"}

    def __init__(self, cp, uf, ns, name):
        self._cp, self._uf, self._ns, self.__name__ = cp, uf, ns, name
        self._np = getattr(numpy, name, None)  # NumPy's ufunc: its identity (metadata)
        if name in GUFUNCS:
            for m in ("reduce", "accumulate", "reduceat", "at"):
                setattr(self, m, _gufunc_method(name, m))

    def __call__(self, *args, **kw):
        if not kw or kw.keys() <= _CUPY_UFUNC_KW:
            return self._uf(*args, **kw)
        kw.pop("order", None)  # memory layout only: CuPy's results are C-ordered
        kw.pop("subok", None)  # CuPy has no ndarray subclasses to keep
        sig = kw.pop("signature", None)
        if sig is not None:  # the output's type fixes the loop: NumPy's dtype= for one output
            out_t = sig.split("->")[-1] if isinstance(sig, str) else sig[-1]
            if out_t is not None:
                kw["dtype"] = out_t
        axes = kw.pop("axes", None)
        if axes is not None:
            return self._with_axes(args, axes, kw)
        where = kw.pop("where", True)
        if where is True:
            return self._uf(*args, **kw)
        out = kw.pop("out", None)
        r = self._uf(*args, **kw)  # computed everywhere, then written where the mask holds
        if out is None:
            return r
        outs = out if type(out) is tuple else (out,)
        for o, ri in zip(outs, r if type(r) is tuple else (r,)):
            if o is not None:
                self._cp.copyto(o, ri, casting=kw.get("casting", "same_kind"), where=where)
        return outs if type(r) is tuple else outs[0]

    def _with_axes(self, args, axes, kw):
        """A gufunc's ``axes=`` (CuPy's take none): each operand's core axes moved last, the
        gufunc, the result's core axes moved where ``axes`` puts them (``a @= b`` is
        ``matmul(a, b, out=a, axes=...)``)."""
        cp = self._cp
        out = kw.pop("out", None)
        out = out[0] if type(out) is tuple else out
        moved = [cp.moveaxis(cp.asarray(a), ax, tuple(range(-len(ax), 0)))
                 for a, ax in zip(args, axes)]
        r = self._uf(*moved, **kw)
        ax = axes[len(args)]
        r = cp.moveaxis(r, tuple(range(-len(ax), 0)), ax)
        if out is None:
            return r
        if r.shape != out.shape:
            raise ValueError(f"{self.__name__}: output operand has shape {out.shape}, the result "
                             f"{r.shape}")
        cp.copyto(out, r, casting=kw.get("casting", "same_kind"))
        return out

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, **kw):
        out = out[0] if type(out) is tuple else out  # NumPy's ufunc methods take out=(array,)
        cp = self._cp
        a = cp.asarray(array)
        strict = dtype is not None
        if dtype is None and out is not None:  # NumPy computes in out's dtype where it can
            dtype = numpy.promote_types(a.dtype, out.dtype)
        if a.ndim == 0 and axis in (0, -1, None):
            axis = ()  # NumPy reduces a 0-d array over axis 0 (or None): over nothing
        name = self._REDUCE.get(self.__name__)
        if name is None:
            return _put_out(self._fold(a, axis, dtype, keepdims, strict, **kw), out)
        if dtype is not None and name not in ("sum", "prod"):
            a, dtype = a.astype(self._loop_dtype(a.dtype, dtype, strict)), None
        extra = {} if dtype is None else {"dtype": dtype}
        return getattr(self._ns, name)(a, axis=axis, out=out, keepdims=keepdims, **extra, **kw)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        out = out[0] if type(out) is tuple else out
        cp = self._cp
        a = cp.asarray(array)
        strict = dtype is not None
        if dtype is None and out is not None:
            dtype = numpy.promote_types(a.dtype, out.dtype)
        if self.__name__ in ("add", "multiply"):
            return self._uf.accumulate(a, axis=axis, dtype=dtype, out=out)
        axes = _axes(axis, a.ndim)
        if len(axes) != 1:
            raise ValueError("accumulate does not allow multiple axes")
        a = a.astype(self._loop_dtype(a.dtype, dtype, strict), copy=False)
        x = cp.moveaxis(a, axes[0], 0)
        steps = [x[0]] if len(x) else []
        for i in range(1, len(x)):
            steps.append(self._uf(steps[-1], x[i]))
        if not steps:
            return _put_out(a.copy(), out)
        dt = steps[-1].dtype
        return _put_out(cp.moveaxis(cp.stack([s.astype(dt, copy=False) for s in steps]), 0, axes[0]),
                        out)

    def _loop_dtype(self, in_dt, dtype=None, strict=True):
        """The dtype NumPy's loop for a reduction of ``in_dt`` works in (TypeError where there is
        none, or where it is not the ``dtype`` asked for: ``strict``, dtype= given)."""
        if self._np is None:
            return dtype or in_dt
        want = None if dtype is None else numpy.dtype(dtype)
        loop = self._np.resolve_dtypes((want, want or numpy.dtype(in_dt), None), reduction=True)[0]
        if strict and want is not None and loop != want:
            raise TypeError(f"No loop matching the specified signature and casting was found for "
                            f"ufunc {self.__name__}")
        return loop

    def _fold(self, a, axis, dtype, keepdims, strict, initial=_NONE, where=True):
        cp, name = self._cp, self.__name__
        axes = _axes(axis, a.ndim)
        a = a.astype(self._loop_dtype(a.dtype, dtype, strict), copy=False)
        identity = None if self._np is None else self._np.identity
        if len(axes) > 1 and identity is None:
            raise ValueError(f"reduction operation '{name}' is not reorderable, so at most one "
                             f"axis may be specified")
        rest = tuple(i for i in range(a.ndim) if i not in axes)
        order = axes + rest
        x = cp.transpose(a, order).reshape((math.prod(a.shape[i] for i in axes),)
                                           + tuple(a.shape[i] for i in rest))
        w = None if where is True else cp.transpose(
            cp.broadcast_to(cp.asarray(where), a.shape), order).reshape(x.shape)
        if initial is _NONE and identity is not None:  # NumPy starts from the identity where
            initial = numpy.asarray(identity).astype(a.dtype)  # there is one (-1: all bits set)
        if initial is _NONE and (w is not None or x.shape[0] == 0):
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             f"identity" if x.shape[0] == 0 else
                             f"reduction operation '{name}' does not have an identity, so to "
                             f"use a where mask one has to specify 'initial'")
        if initial is _NONE:
            r, start = x[0], 1
        else:
            r, start = cp.full(x.shape[1:], initial, dtype=a.dtype), 0
        for i in range(start, x.shape[0]):
            step = self._uf(r, x[i])
            r = step if w is None else cp.where(w[i], step, r)
        if keepdims:
            r = r.reshape(tuple(1 if i in axes else s for i, s in enumerate(a.shape)))
        return r

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        """Segments other than add's are reduced one at a time (indices read on the host)."""
        out = out[0] if type(out) is tuple else out
        if self.__name__ == "add":
            return self._uf.reduceat(array, indices, axis=axis, dtype=dtype, out=out)
        cp = self._cp
        a = cp.moveaxis(cp.asarray(array), axis, 0)
        idx = [int(i) for i in (indices.tolist() if hasattr(indices, "tolist") else indices)]
        n = a.shape[0]
        for i in idx:
            if not 0 <= i < n:
                raise IndexError(f"index {i} out-of-bounds in {self.__name__}.reduceat [0, {n})")
        ends = idx[1:] + [n]
        r = cp.stack([self.reduce(a[i:j] if i < j else a[i:i + 1], axis=0, dtype=dtype)
                      for i, j in zip(idx, ends)])
        return _put_out(cp.moveaxis(r, 0, axis), out)

    def __getattr__(self, attr):  # nin, nout, types, identity, at: CuPy's own
        return getattr(self._uf, attr)


def _put_out(r, out):
    if out is None:
        return r
    out[...] = r
    return out


class _Missing:
    """A NumPy function CuPy does not have: calling it says so (not an AttributeError later)."""

    def __init__(self, cp, name):
        self._cp, self.__name__ = cp, name

    def __call__(self, *args, **kw):
        raise NotImplementedError(f"CuPy {self._cp.__version__} has no {self.__name__}: move the "
                                  f"data to the CPU first (x.to_device('cpu'))")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Missing(self._cp, f"{self.__name__}.{attr}")


class _Composite(_Missing):
    """A NumPy ufunc CuPy lacks, written in CuPy's functions (its methods stay missing)."""

    def __init__(self, cp, name, fn):
        super().__init__(cp, name)
        self._fn = fn
        if name in GUFUNCS:
            for m in ("reduce", "accumulate", "reduceat", "at"):
                setattr(self, m, _gufunc_method(name, m))

    def __call__(self, *args, out=None, **kw):
        r = self._fn(self._cp, *_as_arrays(self._cp, args, weak=True), **kw)
        return _put_out(r, out[0] if type(out) is tuple else out)


def _core_dims(name, signature, *arrays):
    """NumPy's error for operands with fewer dimensions than the gufunc's core needs."""
    for i, (a, need) in enumerate(zip(arrays, signature)):
        if a.ndim < need:
            raise ValueError(f"{name}: Input operand {i} does not have enough dimensions (has "
                             f"{a.ndim}, gufunc core needs {need})")


def _vecdot(cp, x1, x2, /, *, axis=-1, dtype=None):
    x1, x2 = cp.asarray(x1), cp.asarray(x2)
    _core_dims("vecdot", (1, 1), x1, x2)
    x1, x2 = cp.moveaxis(x1, axis, -1), cp.moveaxis(x2, axis, -1)
    p = (cp.conj(x1) if x1.dtype.kind == "c" else x1) * x2
    return cp.sum(p, axis=-1, dtype=dtype or p.dtype)


def _matvec(cp, x1, x2, /, *, dtype=None):
    x1, x2 = cp.asarray(x1), cp.asarray(x2)
    _core_dims("matvec", (2, 1), x1, x2)
    return cp.matmul(x1, x2[..., None], dtype=dtype)[..., 0]


def _vecmat(cp, x1, x2, /, *, dtype=None):
    x1, x2 = cp.asarray(x1), cp.asarray(x2)
    _core_dims("vecmat", (1, 2), x1, x2)
    return cp.matmul((cp.conj(x1) if x1.dtype.kind == "c" else x1)[..., None, :], x2,
                     dtype=dtype)[..., 0, :]


def _spacing(cp, x, /, *, dtype=None):
    x = cp.asarray(x, dtype=dtype) if dtype is not None else cp.asarray(x)
    x = x if x.dtype.kind in "fc" else x.astype(numpy.promote_types(x.dtype, numpy.float16))
    return cp.nextafter(x, cp.copysign(cp.asarray(numpy.inf, dtype=x.dtype), x)) - x


def _isnat(cp, x, /, **kw):
    raise TypeError("ufunc 'isnat' is only defined for np.datetime64 and np.timedelta64.")


# NumPy ufuncs CuPy lacks (CuPy 13-15: no vecdot, matvec, vecmat, spacing), composed here;
# isnat: CuPy has no datetime64, so no array it holds is one (NumPy's error for the others)
COMPOSED = {"vecdot": _vecdot, "matvec": _matvec, "vecmat": _vecmat, "spacing": _spacing,
            "isnat": _isnat}
REDUCTIONS = ("sum", "prod", "max", "min", "all", "any", "nansum", "nanprod", "nanmax", "nanmin")
MOMENTS = ("mean", "var", "std", "nanmean", "nanvar", "nanstd")
SCALAR_OPERANDS = ("dot", "vdot", "inner", "outer", "kron", "tensordot", "cross", "searchsorted",
                   "isin", "bincount")


# NumPy's ufuncs (metadata): CuPy's of the same names are wrapped, the ones CuPy lacks composed
UFUNC_NAMES = tuple(sorted(n for n, v in vars(numpy).items() if isinstance(v, numpy.ufunc)))


def _fill_missing(cp, ns, kernel_paths):
    """``_Missing`` for each of ``kernel_paths`` that CuPy lacks (top level, or in linalg/fft,
    copied first so CuPy's own modules stay untouched): calling it says what is missing, inside
    ``apply``. ``kernel_paths`` are the ``xp.<path>`` names npflow's kernels are (sin, linalg.det,
    ...), given by the registry's caller (devices.py): a backend never imports the op layer."""
    for path in kernel_paths:
        *parents, leaf = path.split(".")
        owner = ns if not parents else getattr(ns, parents[0], None)
        if len(parents) > 1 or not isinstance(owner, types.ModuleType) or hasattr(owner, leaf):
            continue  # present, or a ufunc's method (add.reduce): the ufunc wrapper answers
        if parents and owner is getattr(cp, parents[0], None):
            owner = types.ModuleType(owner.__name__, owner.__doc__)
            owner.__dict__.update({k: v for k, v in vars(getattr(cp, parents[0])).items()
                                   if not k.startswith("__")})
            setattr(ns, parents[0], owner)
        setattr(owner, leaf, _Missing(cp, path))


def namespace(cp, kernel_paths=()):
    """CuPy's module as npflow's kernels see it: CuPy's functions, with the corrections above;
    of ``kernel_paths``, those CuPy lacks raise a clear error when called."""
    ns = types.ModuleType(cp.__name__, cp.__doc__)
    ns.__dict__.update({k: v for k, v in vars(cp).items() if not k.startswith("__")})
    ns.__version__ = cp.__version__
    for name in UFUNC_NAMES:
        uf = getattr(cp, name, None)
        setattr(ns, name, _Ufunc(cp, uf, ns, name) if uf is not None else
                _Composite(cp, name, COMPOSED[name]) if name in COMPOSED else _Missing(cp, name))
    fixes = {name: _sorting(cp, name) for name in ("sort", "argsort", "partition", "argpartition")}
    fixes.update({name: _reduction(cp, name) for name in REDUCTIONS})
    fixes.update({name: _moment(cp, name) for name in MOMENTS})
    fixes.update({name: _scalars_ok(cp, name) for name in SCALAR_OPERANDS})
    fixes.update(
        take=functools.partial(_take, cp), take_along_axis=functools.partial(_take_along_axis, cp),
        put=functools.partial(_put, cp), lexsort=functools.partial(_lexsort, cp),
        put_along_axis=functools.partial(_put_along_axis, cp),
        count_nonzero=functools.partial(_count_nonzero, cp),
        # where(condition, x, y): CuPy calls condition.astype (a Python bool has none)
        where=_scalars_ok(cp, "where", first_only=True),
        clip=functools.partial(_clip, cp, ns),
        # unique(sorted=False) (NumPy 2.3): CuPy always sorts, a valid order for sorted=False
        unique=lambda ar, *args, sorted=True, **kw: cp.unique(ar, *args, **kw),
    )
    for name, fix in fixes.items():
        setattr(ns, name, fix if hasattr(cp, name) else _Missing(cp, name))
    _fill_missing(cp, ns, kernel_paths)
    return ns


# -- ops whose kernel is not an xp function: integer-array indexing -----------------------------
def _consumed(k):
    """How many dimensions an index item consumes (None and Ellipsis: none here)."""
    if k is None or k is Ellipsis or type(k) is bool:
        return 0
    kind = getattr(getattr(k, "dtype", None), "kind", None)
    return k.ndim if kind == "b" else 1


def _check_key(shape, key):
    """NumPy's IndexError for out-of-range integer-array indices, which CuPy wraps around
    (documented in CuPy's "differences from NumPy"); one device sync per device index array."""
    items = key if type(key) is tuple else (key,)
    items = tuple(numpy.asarray(k) if type(k) is list else k for k in items)  # host index lists
    d = 0
    for k in items:
        if k is Ellipsis:
            d += len(shape) - sum(_consumed(i) for i in items)
            continue
        if getattr(getattr(k, "dtype", None), "kind", None) in ("i", "u") and d < len(shape):
            n = shape[d]
            bad = (k < -n) | (k >= n)
            if k.size and bool(bad.any()):
                raise IndexError(f"index {int(k[bad].ravel()[0])} is out of bounds for axis {d} "
                                 f"with size {n}")
        d += _consumed(k)


def _getitem(cp):
    def getitem(x, *, key):
        _check_key(x.shape, key)
        return x[key]
    return getitem


def _setitem(cp):
    def setitem(x, value, *, key):
        _check_key(x.shape, key)
        x[key] = value
    return setitem


def _flat_getitem(cp):
    def flat_getitem(x, *, key):
        _check_key((x.size,), key)
        return x.ravel()[key]
    return flat_getitem


def _flat_setitem(cp):
    def flat_setitem(x, value, *, key):
        _check_key((x.size,), key)
        x.flat[key] = value
    return flat_setitem


# op name -> kernel factory (of the cupy module), used for CUDA instead of the op's own
KERNELS = {"getitem": _getitem, "setitem": _setitem, "flat.getitem": _flat_getitem,
           "flat.setitem": _flat_setitem}


class CupyBackend:
    name = "cupy"

    def __init__(self, cp=None, kernel_paths=()):
        self.cupy = cp if cp is not None else load_cupy()
        self.xp = namespace(self.cupy, kernel_paths)
        self.array_type = self.cupy.ndarray
        # Op.kernel(backend) takes these instead of building the op's own kernel
        self.kernels = {name: (lambda f: lambda backend: f(backend.cupy))(f) for name, f in KERNELS.items()}

    def asarray(self, obj, dtype=None, copy=None, device=None):
        cp = self.cupy
        with self.context(device):
            if copy is False:
                on_device = isinstance(obj, cp.ndarray) and (
                    device is None or obj.device.id == device.index)
                if not on_device or (dtype is not None and obj.dtype != numpy.dtype(dtype)):
                    raise ValueError(f"asarray(copy=False): {type(obj).__name__} needs a copy to "
                                     f"be a {dtype or ''} array on {device or 'the GPU'}")
                return obj
            if copy:
                return cp.array(obj, dtype=dtype, copy=True)
            return cp.asarray(obj, dtype=dtype)

    def normalize(self, r):
        if isinstance(r, self.array_type):
            return r
        return self.cupy.asarray(r)

    def is_array(self, obj):
        return isinstance(obj, self.array_type)

    def to_host(self, arr, copy=None):
        return self.cupy.asnumpy(arr)

    def from_host(self, host, device, copy=None):
        with self.context(device):
            return self.cupy.asarray(host)

    def context(self, device):
        return self.cupy.cuda.Device(0 if device is None else device.index)


_BACKEND = None


def backend(kernel_paths=()):
    """The CUDA backend, made on first use (``kernel_paths``: see :func:`namespace`)."""
    global _BACKEND
    if _BACKEND is None:
        _BACKEND = CupyBackend(kernel_paths=kernel_paths)
    return _BACKEND
