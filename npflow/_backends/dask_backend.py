"""The Dask backend: chunked arrays, computed lazily, in this process or on a cluster.

Dask is imported on first use only, so ``import npflow`` never imports it.

Kernels call ``xp.<name>``; for the Dask device ``xp`` is :func:`namespace`: ``dask.array``
with NumPy's ufunc methods that Dask has under other names (``add.reduce`` is ``sum``), and the
few NumPy functions Dask lacks composed from the ones it has. Everything else it lacks raises
:class:`DaskUnsupportedError` naming the function and saying what to do.

Nothing silently pulls a whole array into one process: while a kernel runs, Dask's scheduler
is one that refuses to compute (a Dask function that would compute its operands to give its
answer raises instead), and a kernel that reaches for a NumPy-only member of an array
(``x.flat``, ``x.fill``) raises the same error. Computing is explicit: ``float(x)``,
``numpy.asarray(x)``, ``x.to_device("cpu")``, ``npflow.compute``.
"""
import functools
import re
import threading
import types
import weakref

import numpy  # metadata only here: dtypes and the host copies that computing gives

from . import cupy_backend
from .cupy_backend import BackendUnavailableError
from .numpy_backend import _NULL  # (the do-nothing error-state context)

_dask = None
_da = None
DaskData = None  # the array type npflow keeps (a dask.array.Array subclass), made on first use


class DaskUnsupportedError(NotImplementedError):
    """An operation the Dask device cannot run without pulling a whole array into one process."""


ADVICE = ("compute it in one process with x.to_device('cpu') if the data fits in memory, or "
          "rechunk (npflow.rechunk(x, chunks)) so that the axis it works along is one chunk")


def unsupported(why):
    """The error for what the Dask device cannot run (dispatch prefixes the op's name)."""
    return DaskUnsupportedError(f"{why}, so it cannot run on the Dask device: {ADVICE}")


def load_dask():
    global _dask, _da, DaskData
    if _da is None:
        try:
            import dask
            import dask.array as da
        except ImportError as e:
            raise BackendUnavailableError(
                "device 'dask' needs Dask, which is not installed "
                "(install it with: pip install 'npflow[dask]')") from e

        class DaskData(da.Array):
            """A dask.array.Array as npflow keeps it. Dask arrays share no memory, so each is
            its own root for autodiff's write counters: ``base`` is None."""
            base = None
            flags = property(lambda self: _Flags(self.ndim))

            def __reduce__(self):  # pickles as the plain dask array it is
                return (da.Array, (self.dask, self.name, self.chunks, self.dtype, self._meta))

        DaskData.__module__, DaskData.__qualname__ = __name__, "DaskData"
        globals()["DaskData"] = DaskData
        _dask = dask
        _da = da
    return _dask, _da


class _Flags:
    """A Dask array's ``flags`` as npflow's layout decisions read them: a Dask array is
    logically C-ordered (its chunks are Dask's business) and never shares memory."""
    __slots__ = ("c_contiguous", "f_contiguous")
    writeable, aligned, owndata, writebackifcopy = True, True, True, False

    def __init__(self, ndim):
        self.c_contiguous, self.f_contiguous = True, ndim <= 1

    def __getitem__(self, key):
        return {"C": self.c_contiguous, "C_CONTIGUOUS": self.c_contiguous, "F": self.f_contiguous,
                "F_CONTIGUOUS": self.f_contiguous}.get(key.upper(), True)


class ChunkLayoutError(ValueError):
    """A Dask algorithm needs another chunk layout (FFTs: one chunk along the axis; LU: square
    chunks; QR: tall-and-skinny blocks)."""


class UnknownShapeError(ValueError):
    """An op needs a shape Dask knows only after computing (NaN-sized chunks)."""


def _unknown(shape):
    return any(s != s for s in shape)


def plain(x):
    """The plain dask.array.Array of npflow's DaskData (the same graph)."""
    return _da.Array(x.dask, x.name, x.chunks, meta=x._meta)


def as_data(r):
    """A dask.array.Array as npflow's DaskData (the same graph; no copy)."""
    if type(r) is DaskData:
        return r
    return DaskData(r.dask, r.name, r.chunks, meta=r._meta)


# -- refusing to compute inside a kernel ---------------------------------------------------------
_state = threading.local()


class _Refuse:
    """Dask's scheduler while a kernel runs: in this thread it refuses (the kernel would compute
    its operands), in any other it hands the graph to the scheduler that was configured."""

    def __init__(self, outer):
        self.outer = outer

    def __call__(self, dsk, keys, **kw):
        op = getattr(_state, "op", None)
        if op is not None:
            raise unsupported(f"Dask would compute {op}'s operands in one process to answer it")
        return self.outer(dsk, keys, **kw)


def _outer_scheduler():
    s = _dask.base.get_scheduler()
    if isinstance(s, _Refuse):
        return s.outer
    return s if s is not None else _dask.threaded.get


# -- NumPy's ufunc methods, as Dask names them ---------------------------------------------------
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any", "fmax": "nanmax", "fmin": "nanmin"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}
_NOVALUE = numpy._NoValue


class _Ufunc:
    """A Dask ufunc with NumPy's ``reduce``/``accumulate`` where Dask has them as functions."""

    def __init__(self, da, uf, name):
        self._da, self._uf, self.__name__ = da, uf, name
        self._call = _lenient(uf, name) if isinstance(uf, types.FunctionType) else uf

    def __call__(self, *args, where=True, casting="same_kind", order="K", subok=True, **kw):
        if where is not True:
            raise unsupported(f"Dask's {self.__name__} has no where=")
        if casting != "same_kind" or subok is not True:
            raise unsupported(f"Dask's {self.__name__} has no casting= or subok=")
        return self._call(*args, **kw)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
               where=True):
        name = _REDUCE.get(self.__name__)
        if name is None or out is not None or initial is not _NOVALUE or where is not True:
            raise unsupported(f"Dask has no {self.__name__}.reduce" + (
                " with out=, initial= or where=" if name else ""))
        if array.ndim == 0 and axis == 0:
            axis = None  # (NumPy: axis 0 of a 0-d array is the whole array)
        kw = {} if name in ("max", "min", "all", "any", "nanmax", "nanmin") else {"dtype": dtype}
        return getattr(self._da, name)(array, axis=axis, keepdims=keepdims, **kw)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        name = _ACCUMULATE.get(self.__name__)
        if name is None or out is not None:
            raise unsupported(f"Dask has no {self.__name__}.accumulate" + (
                " with out=" if name else ""))
        return getattr(self._da, name)(array, axis=axis, dtype=dtype)

    def at(self, a, indices, b=None):
        """add.at and subtract.at, lazily: ``a`` (a Dask array object) takes the new graph.
        Basic indices select each element once (a sum on a slice); integer arrays may repeat
        one, so their values are summed per position by ``bincount`` (NumPy's accumulation)."""
        if self.__name__ not in ("add", "subtract") or b is None:
            raise unsupported(f"Dask has no {self.__name__}.at")
        da = self._da
        v = da.asarray(b) if self.__name__ == "add" else -da.asarray(b)
        items = indices if type(indices) is tuple else (indices,)
        if all(k is None or k is Ellipsis or isinstance(k, (int, numpy.integer, slice)) for k in items):
            key = tuple(k for k in items if k is not None)  # (None's axes have length 1)
            sel = a[key]
            a[key] = sel + da.broadcast_to(v, a[indices].shape).reshape(sel.shape)
            return
        pos = sum(da.arange(n, chunks=c).reshape((1,) * i + (n,) + (1,) * (a.ndim - i - 1)) * st
                  for i, (n, c, st) in enumerate(zip(a.shape, a.chunks, _c_strides(a.shape))))
        sel = _gather(da.broadcast_to(pos, a.shape, chunks=a.chunks), indices)
        w = da.broadcast_to(v, sel.shape).ravel()
        idx = sel.ravel().rechunk(w.chunks)

        def summed(weights):
            return da.bincount(idx, weights=weights, minlength=a.size).reshape(a.shape)
        total = summed(w.real) + 1j * summed(w.imag) if w.dtype.kind == "c" else summed(w)
        _rebind(a, (a + total).astype(a.dtype))

    def __getattr__(self, attr):  # nin, nout, types, identity; outer is Dask's own
        if attr in ("reduceat", "at"):
            raise unsupported(f"Dask has no {self.__name__}.{attr}")
        return getattr(self._uf, attr)


def _rebind(a, y):
    """The Dask array object ``a`` takes ``y``'s graph (what Dask's own ``__setitem__`` does)."""
    a._meta, a.dask, a._name, a._chunks = y._meta, y.dask, y.name, y.chunks


def _c_strides(shape):
    """Element strides of a C-ordered array of ``shape``."""
    out, n = [], 1
    for s in reversed(shape):
        out.append(n)
        n *= s
    return out[::-1]


class _Missing:
    """A NumPy function Dask does not have: calling it says so, and what to do."""

    def __init__(self, name):
        self.__name__ = name

    def __call__(self, *args, **kw):
        raise unsupported(f"dask.array has no {self.__name__}")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Missing(f"{self.__name__}.{attr}")


_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")
# NumPy parameters whose value here changes nothing on Dask (memory layout, NumPy's defaults)
_DEFAULTS = {"order": ("C", "K", "A"), "equal_nan": (True,), "where": (True,),
             "casting": ("same_kind",), "subok": (True,), "mode": ("reduced", "raise"),
             "overwrite_input": (False,), "keepdims": (False,), "writeable": (False,),
             "copy": (True, False)}  # (Dask never shares memory: copies or not, the values)
_DEFAULTS_OF = {"linspace": {"axis": (0,)}}


def _is_default(name, key, v):
    ds = _DEFAULTS_OF.get(name, {}).get(key, ()) + _DEFAULTS.get(key, ())
    return v is None or v is _NOVALUE or any(
        v is d or type(v) is type(d) and v == d for d in ds)


def _lenient(f, name):
    """``f`` (a Dask function) taking NumPy's parameters that Dask's lacks where their value is
    NumPy's default (``overwrite_input=False``, ``out=None``); any other value is an error."""
    @functools.wraps(f)
    def g(*args, **kw):
        while True:
            try:
                return f(*args, **kw)
            except TypeError as e:
                m = _UNEXPECTED.search(str(e))
                if m is None or m.group(1) not in kw:
                    raise
                if not _is_default(name, m.group(1), kw[m.group(1)]):
                    raise unsupported(f"Dask's {name} has no {m.group(1)}= parameter") from e
                kw = {key: val for key, val in kw.items() if key != m.group(1)}
    return g


def _no_copy_kw(f):
    """Dask functions without NumPy's ``copy=``/``order=`` (a Dask array is never shared memory:
    every result is new, so copy=True is what they do; order is a memory layout Dask has not)."""
    @functools.wraps(f)
    def g(*args, copy=None, order=None, **kw):
        if copy is False:
            raise ValueError(f"{f.__name__}(copy=False): a Dask array cannot be made without a "
                             f"copy from this input")
        return f(*args, **kw)
    return g


def _scalars_ok(da, f):
    @functools.wraps(f)
    def g(*args, **kw):
        return f(*(da.asarray(a) if type(a) in (bool, int, float, complex) else a for a in args),
                 **kw)
    return g


def _take_flat(da):
    """take(axis=None): Dask's take needs an axis (NumPy's None: the flattened array)."""
    def take(a, indices, axis=None, **kw):
        return da.take(a.ravel(), indices, axis=0, **kw) if axis is None else \
            da.take(a, indices, axis=axis, **kw)
    return take


def _lstsq(da, a, b, rcond=None):
    """Dask's lstsq gives the rank as int64; NumPy's is int32."""
    if rcond is not None:
        raise unsupported("Dask's linalg.lstsq has no rcond=")
    x, res, rank, s = da.linalg.lstsq(a, b)
    return x, res, rank.astype(numpy.int32), s


def _svd(da, a, full_matrices=True, compute_uv=True):
    """Dask's svd has no compute_uv= (and only the reduced SVD: full_matrices=False)."""
    if not compute_uv:
        return da.linalg.svd(a)[1]
    return da.linalg.svd(a, full_matrices=full_matrices)


def _reshape(da):
    """reshape with NumPy's int shape (Dask's takes a tuple only)."""
    def reshape(a, shape, **kw):
        return da.reshape(a, (shape,) if isinstance(shape, (int, numpy.integer)) else shape, **kw)
    return reshape


def _conjugate(da):
    return _Ufunc(da, da.conj, "conjugate")


def namespace(da, kernel_paths=()):
    """dask.array as npflow's kernels see it."""
    ns = types.ModuleType("dask.array", da.__doc__)
    ns.__dict__.update({k: v for k, v in vars(da).items() if not k.startswith("__")})
    for name, v in list(vars(ns).items()):
        if isinstance(v, types.FunctionType):
            setattr(ns, name, _lenient(v, name))
    for name in cupy_backend.UFUNC_NAMES:
        uf = getattr(da, name, None)
        if uf is not None:
            setattr(ns, name, _Ufunc(da, uf, name))
    ns.conjugate = _conjugate(da)
    for sub in ("linalg", "fft", "random"):  # (copies: npflow's additions stay out of Dask's)
        mod = getattr(da, sub)
        copy = types.ModuleType(f"dask.array.{sub}", mod.__doc__)
        copy.__dict__.update({k: _lenient(v, f"{sub}.{k}") if isinstance(v, types.FunctionType)
                              else v for k in dir(mod) if not k.startswith("__")
                              for v in (getattr(mod, k),)})
        setattr(ns, sub, copy)
    for name, fn in cupy_backend.COMPOSED.items():  # vecdot, matvec, vecmat: in Dask's functions
        if not hasattr(da, name) and name != "isnat":
            setattr(ns, name, functools.partial(fn, ns))
    ns.take = _lenient(_take_flat(da), "take")
    ns.reshape = _lenient(_reshape(da), "reshape")
    ns.ndarray = da.Array
    for name in cupy_backend.SCALAR_OPERANDS:  # Python scalars as 0-d arrays, as NumPy takes them
        if hasattr(da, name):
            setattr(ns, name, _scalars_ok(da, getattr(ns, name)))
    ns.linalg.cholesky = _lenient(lambda a: da.linalg.cholesky(a, lower=True), "linalg.cholesky")
    ns.linalg.svd = _lenient(functools.partial(_svd, da), "linalg.svd")
    ns.linalg.lstsq = _lenient(functools.partial(_lstsq, da), "linalg.lstsq")
    ns.asarray = _no_copy_kw(da.asarray)
    ns.array = _no_copy_kw(da.array)
    for path in kernel_paths:
        *parents, leaf = path.split(".")
        owner = ns if not parents else getattr(ns, parents[0], None)
        if len(parents) > 1 or not isinstance(owner, types.ModuleType) or hasattr(owner, leaf):
            continue
        setattr(owner, leaf, _Missing(path))
    return ns


# -- kernels ------------------------------------------------------------------------------------
def _like(backend):
    da = backend.da

    def like(x, *, fill, dtype, shape):
        shape = x.shape if shape is None else shape
        if fill is None:
            return da.empty(shape, dtype=dtype or x.dtype,
                            chunks=x.chunks if tuple(shape) == x.shape else "auto")
        return da.full_like(x, fill, dtype=dtype, shape=shape) if tuple(shape) != x.shape \
            else da.full(shape, fill, dtype=dtype or x.dtype, chunks=x.chunks)
    return like


def _to_device(backend):
    def to_device(x, *, dst):
        if dst.kind == "dask":
            return x
        return dst.backend.from_host(backend.to_host(x), dst)
    return to_device


def _copy(backend):
    def copy(x, *, order="K"):
        return _fresh(x)  # (Dask's copy is the array itself: a write would reach both)
    return copy


def _asarray(backend):
    def asarray(obj, *, dtype=None, order=None, copy=None, chunks="auto"):
        return backend.asarray(obj, dtype=dtype, copy=copy, chunks=chunks)
    return asarray


def _compute(backend):
    def compute(*xs, dst):
        return tuple(dst.backend.from_host(backend.to_host(r), dst)
                     for r in backend.dask.compute(*xs))
    return compute


def _floor_divide(backend):
    """NumPy's floor_divide with the Array API's special cases npflow follows (one infinite
    operand: ``x1 / x2``), as one lazy ``where`` (npflow's own kernel looks for infinities
    first, which would compute)."""
    da = backend.da

    def inf(x):
        return da.isinf(x) if getattr(x, "dtype", numpy.result_type(x)).kind == "f" else False

    def floor_divide(x1, x2, /, **kw):
        if kw:
            raise unsupported(f"Dask's floor_divide has no {', '.join(kw)}=")
        a, b = inf(x1), inf(x2)
        if a is False and b is False:
            return da.floor_divide(x1, x2)
        return da.where(a ^ b, da.true_divide(x1, x2), da.floor_divide(x1, x2))
    return floor_divide


def _rechunk(backend):
    def rechunk(x, *, chunks):
        return x.rechunk(chunks)
    return rechunk


def _persist(backend):
    def persist(x):
        r = x.persist()
        if _unknown(r.shape):  # (its chunks are in memory now: learning their sizes is cheap)
            r.compute_chunk_sizes()
        return as_data(r)
    return persist


def _nd_index(items):
    """The position of the one integer array of more than one dimension in an index that has no
    other array and no None, else None; Dask (2026.x) indexes with 1-d integer arrays only, and
    fails on others with an AssertionError or a TypeError saying nothing of the index."""
    arrays = [i for i, k in enumerate(items) if isinstance(k, (numpy.ndarray, _da.Array))]
    nd = [i for i in arrays if items[i].ndim > 1 and items[i].dtype.kind in "iu"]
    if not nd:
        return None
    if len(arrays) > 1 or any(k is None for k in items):
        raise unsupported(f"Dask indexes with one-dimensional integer arrays only (here one of "
                          f"{items[nd[0]].ndim} dimensions, with other arrays or None)")
    return nd[0]


def _gather(x, key):
    """``x[key]``; an integer array of more than one dimension (NumPy's gather into its shape),
    which Dask's indexing lacks, as a gather with its flattened values whose axis is then split
    into the index's shape."""
    items = tuple(numpy.asarray(k) if type(k) is list else k
                  for k in (key if type(key) is tuple else (key,)))
    i = _nd_index(items)
    if i is None:
        return x[key]
    k = items[i]
    r = x[items[:i] + (k.ravel(),) + items[i + 1:]]
    used = sum(1 for e in items if e is not Ellipsis)  # (no None here)
    p = sum(0 if isinstance(e, (int, numpy.integer)) else x.ndim - used if e is Ellipsis
            else 1 for e in items[:i])  # the gathered axis's place in r
    return r.reshape(r.shape[:p] + k.shape + r.shape[p + 1:])


def _getitem(backend):
    def getitem(x, *, key):
        return _gather(x, key)
    return getitem


def _setitem(backend):
    def setitem(x, value, *, key):
        if _nd_index(tuple(numpy.asarray(k) if type(k) is list else k
                           for k in (key if type(key) is tuple else (key,)))) is not None:
            raise unsupported("Dask writes through one-dimensional integer arrays only (here "
                              "one of more dimensions: write through its ravel())")
        x[key] = value
    return setitem


# op name -> kernel factory (of the backend), used for Dask instead of the op's own
KERNELS = {"like": _like, "to_device": _to_device, "copy": _copy, "asarray": _asarray,
           "rechunk": _rechunk, "persist": _persist, "compute": _compute,
           "floor_divide": _floor_divide, "getitem": _getitem, "setitem": _setitem}
TRANSFERS = ("to_device", "compute", "persist")  # kernels that compute on purpose: unguarded


class _Kernels:
    """``Op.kernel``'s lookup of a backend's own kernels: every op's kernel is guarded here
    (this backend's own, else the op's on ``xp``)."""

    def __init__(self, ops):
        self._ops = ops

    def __bool__(self):
        return True

    def get(self, name, default=None):
        op = self._ops.get(name)
        if op is None:
            return default

        def factory(backend):
            own = KERNELS.get(name)
            try:
                k = own(backend) if own else op.impl(backend.xp)
            except AttributeError:  # a kernel factory reading something Dask lacks
                k = _Missing(name)
            except DaskUnsupportedError as e:  # (raised when called, inside apply)
                k = _raiser(e)
            if name in TRANSFERS:
                return k
            return _guarded(name, k, op.wraps, op.inplace == "write", backend)
        return factory


def _fresh(r):
    if type(r) is tuple:
        return tuple(_fresh(x) for x in r)
    return DaskData(r.dask, r.name, r.chunks, meta=r._meta) if isinstance(r, _da.Array) else r


def _raiser(e):
    """A kernel raising (a new) ``e`` each call: raising one kept exception object again would
    add each call's frames to its traceback, which the backend's kernel cache keeps alive with
    everything their locals hold (a failed vjp's closures and traced arrays)."""
    cls, args = type(e), e.args

    def kernel(*a, **kw):
        raise cls(*args)
    return kernel


def _convert(r):
    """A kernel's result(s) as Dask arrays (NumPy results: a one-chunk Dask array)."""
    if type(r) is tuple or type(r) is list:
        return type(r)(_convert(e) for e in r)
    if r is None or type(r) is DaskData:
        return r
    if isinstance(r, _da.Array):
        return as_data(r)
    if isinstance(r, (numpy.ndarray, numpy.generic)):
        return as_data(_da.from_array(numpy.asarray(r), chunks=-1))
    return r


# Ops whose NumPy result is a view of operand 0 (getitem: with a basic index only)
# (not alias: a Variable's memory, which its optimizer writes, as NumPy's would be written)
VIEWS = frozenset({"getitem", "transpose", "reshape", "ravel", "real", "imag", "broadcast_to",
                   "diagonal", "view", "view.dtype", "as_strided", "sliding_window_view",
                   "broadcast_arrays", "diag"})
_BASIC = (int, numpy.integer, slice, type(None), type(Ellipsis))


def _is_view(name, args, kw):
    if name != "getitem":
        return name in VIEWS
    key = kw.get("key")
    return all(isinstance(k, _BASIC) for k in (key if type(key) is tuple else (key,)))


def _refuse_shared_writes(name, targets):
    """NumPy's views share memory, Dask's arrays share none: writing into an array that is a
    view of a live array, or has live views, would reach only the one written on Dask. Such a
    write is refused (each view holds a weak reference to its base, each base a weak set of
    its views: once they are gone, the array is written as NumPy's would be)."""
    for t in targets:
        base = getattr(t, "_npf_base", None)
        views = getattr(t, "_npf_views", {})
        if (base is not None and base() is not None) or any(v() is not None for v in views.values()):
            raise unsupported(
                f"it writes into an array that shares memory with another on NumPy (a view, or "
                f"an array a view was taken of), while Dask arrays share none (the write would "
                f"reach this array only); build the new values instead (npflow.where, "
                f"concatenate), or write into a copy (x.copy())")


def _mark_shared(r, args):
    if not (args and isinstance(args[0], _da.Array)):
        return
    base = args[0]
    views = base.__dict__.get("_npf_views")
    if views is None:
        views = base._npf_views = {}  # id -> weak reference (Dask arrays are not hashable)
    for x in (r if type(r) is tuple else (r,)):
        if isinstance(x, _da.Array) and x is not base:
            x._npf_base = weakref.ref(base)
            views[id(x)] = weakref.ref(x, lambda ref, k=id(x), vs=views: vs.pop(k, None))


def _guarded(name, k, wraps, writes, backend):
    def kernel(*args, **kw):
        out = kw.get("out")
        if writes or out is not None:
            _refuse_shared_writes(name, (args[0],) if writes else out if type(out) is tuple else (out,))
        outer = _outer_scheduler()
        _state.op = name
        try:
            with _dask.config.set(scheduler=_Refuse(outer)):
                r = k(*args, **kw)
        except AttributeError as e:
            raise unsupported(f"Dask arrays have no {e.name or 'such member'}") from e
        except AssertionError as e:  # (Dask's internal checks: an index it cannot take)
            raise unsupported(f"Dask fails on these operands (an internal check: "
                              f"AssertionError{': ' + str(e) if str(e) else ''})") from e
        except (ValueError, TypeError, NotImplementedError) as e:
            if isinstance(e, DaskUnsupportedError):
                raise
            unknown = [a for a in args if isinstance(a, _da.Array) and _unknown(a.shape)]
            if unknown:
                raise UnknownShapeError(
                    f"the shape of its operand is unknown to Dask ({unknown[0].shape}: it depends "
                    f"on values, as after boolean indexing or unique), and {name} needs it: "
                    f"x.persist() computes x and learns its shape, or x.to_device('cpu') "
                    f"computes it in this process ({type(e).__name__}: {e})") from e
            if name.startswith(("linalg.", "fft.")) and type(e) is ValueError:
                raise ChunkLayoutError(f"{e}\n(Dask's {name} needs the chunk layout above: rechunk "
                                       f"with x.rechunk(chunks), or x.to_device('cpu') if it fits "
                                       f"in memory)") from e
            if type(e) is NotImplementedError:  # Dask's own "not supported" (nd fancy indexing)
                raise unsupported(f"Dask has no algorithm for it ({e})") from e
            raise
        finally:
            _state.op = None
        if not wraps:
            return r
        r = _convert(r)
        if any(x is a for x in (r if type(r) is tuple else (r,)) for a in args):  # an operand
            r = _fresh(r)  # itself: a new object over the same graph (a write rebinds one only)
            if name != "alias":
                _mark_shared(r, args)
        elif _is_view(name, args, kw):
            _mark_shared(r, args)
        return r
    kernel.__name__ = name
    return kernel


class DaskBackend:
    name = "dask"

    def __init__(self, ops, kernel_paths=()):
        self.dask, self.da = load_dask()
        self.xp = namespace(self.da, kernel_paths)
        self.array_type = self.da.Array
        self.kernels = _Kernels(ops)

    def asarray(self, obj, dtype=None, copy=None, device=None, chunks="auto"):
        da = self.da
        if isinstance(obj, da.Array):
            r = obj if dtype is None or obj.dtype == numpy.dtype(dtype) else obj.astype(dtype)
            return as_data(r if chunks == "auto" else r.rechunk(chunks))
        if copy is False:
            raise ValueError(f"asarray(copy=False): {type(obj).__name__} needs a copy to be a "
                             f"Dask array")
        if hasattr(obj, "__cuda_array_interface__"):  # a GPU array: its chunks stay GPU arrays
            return as_data(da.from_array(obj if dtype is None else obj.astype(dtype),
                                         chunks=chunks, asarray=False))
        host = numpy.array(obj, dtype=dtype, copy=True)  # (Dask's chunks are views of it)
        return as_data(da.from_array(host, chunks=chunks))

    def normalize(self, r):
        return _convert(r)

    def is_array(self, obj):
        return isinstance(obj, self.array_type)

    def to_host(self, arr, copy=None):
        r = arr.compute() if isinstance(arr, self.da.Array) else arr
        if hasattr(r, "__cuda_array_interface__") or type(r).__module__.startswith("cupy"):
            r = r.get()
        return numpy.asarray(r)

    def from_host(self, host, device, copy=None):
        return self.asarray(host)

    def context(self, device):
        return _NULL

    def item(self, arr, args):
        """``x.item(*args)``, computing the one element asked for."""
        if not args:
            if arr.size != 1:
                raise ValueError("can only convert an array of size 1 to a Python scalar")
            return self.to_host(arr.reshape(())).item()
        if len(args) == 1 and isinstance(args[0], int):
            n = arr.size
            if not -n <= args[0] < n:
                raise IndexError(f"index {args[0]} is out of bounds for size {n}")
            return self.to_host(arr.reshape(-1)[args[0]]).item()
        return self.to_host(arr[tuple(args[0]) if len(args) == 1 else args]).item()

    def printable(self, arr):
        return not any(s != s for s in arr.shape) and arr.size <= numpy.get_printoptions()[
            "threshold"]

    def summary(self, arr):
        """How a Dask array too large to print (or of unknown size) shows: its layout, not its
        values (printing it would compute all of it in this process)."""
        chunks = tuple(c[0] if len(set(c)) == 1 else c for c in arr.chunks)
        return (f"npflow.ndarray<shape={arr.shape}, dtype={arr.dtype}, chunks={chunks}, "
                f"device='dask'> (not computed: print a slice, or npflow.compute(x))")


_BACKEND = None


def backend(ops, kernel_paths=()):
    """The Dask backend, made on first use (``ops``: the op registry, handed by devices.py)."""
    global _BACKEND
    if _BACKEND is None:
        _BACKEND = DaskBackend(ops, kernel_paths)
    return _BACKEND
