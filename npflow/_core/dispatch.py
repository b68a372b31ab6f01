"""Dispatch: the one door (DESIGN.md invariant 1).

``apply(op, *operands, **params)`` unwraps npflow arrays to backend arrays,
checks that they share a device, runs the op's kernel for that device's
backend, wraps the result, and reports the call to the active recorders
(tapes). ``apply1`` and ``apply2`` are the same door specialised for one and
two operands and no parameters: they take the fast path when it applies and
defer to ``apply`` for everything else, so the two can never disagree.

With no recorder active the fast path is unwrap, call, wrap (invariant 5).
"""
import functools
import os
import threading

import numpy

from . import devices as _devices

_fastpath = None  # the optional C accelerator (setup.py builds it where a compiler is found)
if not os.environ.get("NPFLOW_PURE_PYTHON"):
    try:
        from . import _fastpath
    except ImportError:  # pure Python: the same results, slower per call
        pass

ndarray = None  # npflow.ndarray, set by ndarray.py once the class exists

_NP = numpy.ndarray
_NP_GENERIC = numpy.generic
_new = object.__new__
_CPU = _devices.CPU
_NUMPY_BACKEND = _CPU.backend
# Operands that every backend takes as they are: Python scalars are weak
# (NEP 50) and belong to no device.
_PY_SCALARS = frozenset((int, float, complex, bool))
_PASS = _PY_SCALARS | {type(None)}

# Observers: callables ``record(op, operands, params, result)`` that ``apply``
# calls after every successful kernel call, in every thread (tests use them).
# While there are any, the fast paths are off.
recorders = []


# Autodiff traces. ``trace_state.stack`` holds this thread's active traces
# (outermost first); ``tracing`` has one entry per active trace in any thread;
# ``trace_hook`` (autodiff's) is called for ops of a thread that traces, and for
# ops on arrays carrying autodiff entries in any thread (see ``stacks``). Other
# ops keep the fast paths.
class _TraceState(threading.local):
    def __init__(self):
        self.stack = []


trace_state = _TraceState()
tracing = []
trace_hook = None
# autodiff's ``overwrites_needed(op, operands, out)``: the indices of the operands that writing
# the op's result into ``out`` would overwrite and that a derivative rule of a tracked operand
# reads (apply gives the op recorded copies of them).
overwrites_needed = None
# Each thread's active traces (its trace_state.stack), by thread id, while it has any: an op on an
# array a trace tracks is that trace's business whichever thread runs it (DESIGN invariant 9), so
# a thread's ops on tracked arrays go to the hook even when the thread has no traces of its own.
stacks = {}


def _any_tracked(xs):
    """Whether an npflow array among ``xs`` carries autodiff entries, or is of a subclass (a
    Variable a tape watches when an op reads it): the hook sorts them out."""
    for x in xs:
        if isinstance(x, ndarray) and (x._ad or type(x) is not ndarray):
            return True
    return False


def tracked_by_active(x):
    """Whether an active trace tracks ``x``: this thread's, or another thread's (invariant 9)."""
    ad = x._ad
    if not ad or not tracing:
        return False
    if any(t in ad for t in trace_state.stack):
        return True
    me = threading.get_ident()
    return any(t in ad for k, s in list(stacks.items()) if k != me for t in list(s))
# npflow.jit: while a function is traced, ``concrete_check(x, what)`` is called by ndarray's
# conversions to Python values (bool, float, .item(), ...): a traced value has none.
concrete_check = None
_NO_PARAMS = {}  # the params of fast-path calls (shared: never mutated)


def traced(op, operands, result, params=_NO_PARAMS, tried=False):
    """``result`` handed to this thread's traces: the C accelerator's recorders first, then
    autodiff's hook for what they decline. ``tried``: the caller is a C path that took (and
    declined) it already."""
    if tried or _fastpath is None or op.inplace or params.get("out") is not None or \
            not _fastpath.trace(op, operands, params, result):  # (Python: the writing ops)
        trace_hook(op, operands, params, result)
    return result


# In-place safety for autodiff: a version counter per memory root (the array that
# owns a buffer) that some live trace depends on. Every write through ``apply``
# bumps it, whether or not a trace is active, so a trace can tell that a value it
# saved, or an array it tracks, was overwritten since.
versions = {}  # (the C accelerator's VersionTable below: the same mapping, hashed on the address)


# A counter holds its root's id, not the root: a tape must not keep alive the buffers of
# results it does not need (a recorded pre-activation would live as long as the tape). If
# the root dies and a new array gets its id, the two share a counter: harmless, since the
# dead one's entries are never checked again and the new one takes the count it finds.
class RootVersion:
    __slots__ = ("n", "refs", "key")

    def __init__(self, key):
        self.n = 0
        self.refs = 0
        self.key = key


if _fastpath is not None:
    RootVersion = _fastpath.RootVersion  # the same fields, readable by the C recorder
    versions = _fastpath.VersionTable()


def root_of(data):
    """The array owning ``data``'s memory (its counter's key): NumPy's base, and through memory
    an npflow array exports (its buffer: NumPy's array over ``memoryview(x)`` or ``x`` itself) or a
    NumPy array exports (a memoryview), that array's root, so a write through NumPy's view of an
    npflow array is counted as one through the array (the C ``npf_root_of`` is the same walk)."""
    while True:
        b = data.base
        if b is not None and type(b) is type(data):
            data, b = b, b.base
        if b is None:
            return data
        if type(b) is memoryview:
            try:
                b = b.obj
            except ValueError:  # (released: no exporter to follow)
                return data
        if isinstance(b, ndarray):
            b = b._data
        if type(b) is not _NP:
            return data
        data = b


def track_root(data):
    """The version counter of ``data``'s memory, registered until ``untrack_root``."""
    r = root_of(data)
    v = versions.get(id(r))
    if v is None:
        v = versions[id(r)] = RootVersion(id(r))
    v.refs += 1
    return v


def untrack_root(v):
    v.refs -= 1
    if v.refs <= 0:
        if versions.get(v.key) is v:
            del versions[v.key]


def _bump(arrays):
    for w in arrays:
        if w is not None:  # (an npflow array, or a NumPy out= array: its memory is counted too)
            v = versions.get(id(root_of(w if isinstance(w, _NP) else w._data)))
            if v is not None:
                v.n += 1


class DeviceMismatchError(ValueError):
    """Operands of one call live on different devices."""


def describe(x):
    """``float64[3, 4] on cpu``: how errors name an operand."""
    if ndarray is not None and isinstance(x, ndarray):
        d = x._data
        return f"{d.dtype}[{', '.join(map(str, d.shape))}] on {x._device.name}"
    if isinstance(x, (_NP, _NP_GENERIC)):
        return f"numpy {x.dtype}[{', '.join(map(str, numpy.shape(x)))}]"
    if type(x) in _PASS:
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def _device_error(opname, operands):
    seen = []
    for x in operands:
        if ndarray is not None and isinstance(x, ndarray):
            seen.append(f"{describe(x)}")
    return DeviceMismatchError(
        f"{opname}(): operands are on different devices ({', '.join(seen)}); "
        f"move them to one device first with x.to_device(...)")


_SAME_KIND = {}  # exception class -> subclass whose message is just its first argument


def _state(e):
    """An exception's attributes besides its message (NumPy's ``ufunc``, ``casting``, ``axis``...)."""
    state = dict(getattr(e, "__dict__", ()))
    for c in type(e).__mro__:
        for name in getattr(c, "__slots__", ()):
            if name not in ("__dict__", "__weakref__") and hasattr(e, name):
                state[name] = getattr(e, name)
    return state


def _annotated(opname, e, operands):
    """The same kind of exception, keeping its attributes, with the op and operands named."""
    named = f" (operands: {', '.join(describe(x) for x in operands)})"
    msg = f"{opname}(): {e}" + ("" if str(e).endswith(named) else named)  # (once: a composite
    # whose inner op met the same operands)
    cls = type(e)
    state = _state(e)
    if not state:
        try:
            new = cls(msg)
            if type(new) is cls and str(new) == msg:
                return new
        except Exception:
            pass
    # Classes with other constructor arguments or state (NumPy's casting errors, AxisError,
    # KeyError's quoting): a subclass, so ``except``/``isinstance`` still match, with the
    # original's attributes.
    sub = _SAME_KIND.get(cls)
    if sub is None:
        try:
            sub = _SAME_KIND[cls] = type(cls.__name__, (cls,), {
                "__str__": BaseException.__str__, "__module__": cls.__module__,
                "__qualname__": cls.__qualname__})
        except TypeError:  # a class that cannot be subclassed: keep the original
            return e
    new = BaseException.__new__(sub, msg)
    for k, v in state.items():
        setattr(new, k, v)
    return new


class ParameterNotDifferentiableError(RuntimeError):
    """An array being differentiated was given as a static parameter of an op."""


def _unwrap_param(op, v, dev, operands, name=None):
    """Unwrap an array inside a parameter (``out=``, ``where=``), on the same device."""
    if isinstance(v, ndarray):
        if dev is not None and v._device is not dev:
            raise _device_error(op.name, operands + (v,))
        ad = v._ad
        if ad and name != "out" and tracked_by_active(v):
            raise ParameterNotDifferentiableError(
                f"{op.name}(): its parameter {name!r} is an array being differentiated "
                f"({describe(v)}), but {op.name} has no derivative with respect to {name!r}; "
                f"write it with differentiable operations (e.g. x * npflow.ones(shape))")
        return v._data, v._device
    if type(v) is tuple and any(isinstance(e, ndarray) for e in v):
        raw = []
        for e in v:
            r, d = _unwrap_param(op, e, dev, operands, name)
            dev = dev or d
            raw.append(r)
        return tuple(raw), dev
    return v, dev


def _holds_tracked(x):
    """A list or tuple (nested) holding an array a trace tracks (NumPy's conversion drops it;
    while npflow.jit traces, any npflow array: it may be a traced value)."""
    if type(x) is list or type(x) is tuple:
        return any(map(_holds_tracked, x))
    return isinstance(x, ndarray) and (bool(x._ad) or concrete_check is not None)


def _convert_foreign(op, x, dev, operands):
    """A non-npflow operand as a backend array on ``dev``: NumPy arrays, sequences and other
    array-likes are uncommitted and follow the device of the npflow operands (DESIGN
    invariant 10), as JAX's uncommitted values do."""
    if isinstance(x, _NP_GENERIC):
        return x
    if isinstance(x, _NP):
        return x if dev.kind != "cuda" else dev.backend.asarray(x)
    be = dev.backend
    if be.is_array(x):
        return x
    if getattr(type(x), "__array_ufunc__", 0) is None:  # NumPy's opt-out convention
        raise TypeError(f"{op.name}(): operand {type(x).__name__!r} does not support ufuncs "
                        f"(__array_ufunc__=None)")
    return be.asarray(x)


# NumPy subclasses whose meaning is their data alone; any other (numpy.ma.MaskedArray,
# numpy.matrix, user subclasses) is refused: npflow's results are plain arrays, so a mask or a
# subclass's operators would be silently dropped.
_PLAIN_SUBCLASSES = (numpy.memmap,)


def _refuse_subclasses(op, operands):
    for x in operands:
        t = type(x)
        if t is not _NP and isinstance(x, _NP) and not isinstance(x, _PLAIN_SUBCLASSES):
            what = "a masked array" if isinstance(x, numpy.ma.MaskedArray) else "a NumPy subclass"
            raise TypeError(
                f"{op.name}(): operand {t.__module__}.{t.__qualname__} is {what}, which npflow does "
                f"not take: its results are plain arrays, so what the subclass adds (a mask, its "
                f"operators) would be lost; convert it first (numpy.asarray(x), or x.filled(value) "
                f"for a masked array)")


def apply(op, *operands, **params):
    dev = None
    raw = list(operands)
    foreign = False
    for i, x in enumerate(operands):
        if isinstance(x, ndarray):
            d = x._device
            if dev is None:
                dev = d
            elif d is not dev:
                raise _device_error(op.name, operands)
            raw[i] = x._data
        elif type(x) not in _PASS:
            foreign = True
    if foreign and tracing and not op.raw_args and \
            any((type(x) is list or type(x) is tuple) and _holds_tracked(x) for x in operands):
        from .._numpy.creation import from_nested  # a list holding tracked arrays: differentiable
        return apply(op, *[from_nested(x) if type(x) in (list, tuple) else x for x in operands],
                     **params)
    out = params.get("out")
    if out is not None and tracing and overwrites_needed is not None:
        r = _out_apart(op, operands, params, out)
        if r is not None:
            return r
    if params:
        for k, v in params.items():
            if type(v) in _PASS or k == "device" or k == "dst":  # axis=, keepdims=, ...: no arrays
                continue
            r, d = _unwrap_param(op, v, dev, operands, k)
            if r is not v:
                params[k] = r
                dev = dev or d
    target = params.pop("device", None)
    if dev is None:
        dev = out_dev = _devices.as_device(target)
    else:
        # Only transfer ops give a target device along with operands: their
        # kernel runs on the operands' backend and returns data for the target.
        out_dev = dev if target is None else _devices.as_device(target)
    if foreign:
        _refuse_subclasses(op, operands)
    if foreign and not op.raw_args:
        for i, x in enumerate(raw):
            if type(x) not in _PASS and not isinstance(operands[i], ndarray):
                raw[i] = _convert_foreign(op, x, dev, operands)
    backend = dev.backend
    kernel = op.np_kernel if backend is _NUMPY_BACKEND else op.kernel(backend)
    try:
        if backend is _NUMPY_BACKEND:
            r = kernel(*raw, **params)
        else:
            with backend.context(dev):
                r = kernel(*raw, **params)
    except (ValueError, TypeError, IndexError, ArithmeticError, KeyError, RuntimeError) as e:
        raise _annotated(op.name, e, operands) from e
    if out is not None:
        result = out
        if type(out) is tuple and any(o is None for o in out):  # out=(None, y): NumPy allocates
            rs = r if type(r) is tuple else (r,)
            result = tuple(wrap(ri, out_dev) if o is None else o for o, ri in zip(out, rs))
    elif op.wraps:
        result = wrap(r, out_dev)
    else:
        result = r
    if versions:
        if op.inplace == "write":
            _bump(operands[:1])
        elif out is not None:
            _bump(out if type(out) is tuple else (out,))
    if tracing and (trace_state.stack or _any_tracked(operands) or out is not None and
                    _any_tracked(result if type(result) is tuple else (result,))):
        traced(op, operands, result, params)
    if recorders:
        for rec in recorders:
            rec(op, operands, params, result)
    return result



def _out_apart(op, operands, params, out):
    """``op(..., out=y)`` where ``y`` is an operand that a traced derivative rule reads
    (``y **= 2``, ``sin(y, out=y)``): the op reads a recorded copy of that operand, so the rule
    reads the value from before the write (as PyTorch's in-place ops save the original), and
    writes into ``y`` as NumPy does. None: nothing to copy (the plain path)."""
    o = out[0] if type(out) is tuple and len(out) == 1 else out
    if not isinstance(o, ndarray):
        return None
    hit = overwrites_needed(op, operands, o)
    if not hit:
        return None
    return apply(op, *[x.copy() if i in hit else x for i, x in enumerate(operands)], **params)


_apply_py = apply
if _fastpath is not None:  # the common case in C; it calls _apply_py for everything else
    _fastpath.configure_apply(_apply_py, _devices.as_device)
    apply = _fastpath.apply

def wrap(r, dev):
    """A backend result as npflow array(s) on ``dev``."""
    if type(r) is _NP:
        b = r.base
        if b is not None and r.ndim and _scalar_memory(b):
            # a view of a scalar with dimensions: NumPy's is a view of a new array (the C
            # wrap_result hands these here): a copy, or broadcast (read-only, as broadcast_to's)
            r = r.copy(order="K") if r.size <= 1 else \
                numpy.broadcast_to(numpy.array(r[(0,) * r.ndim]), r.shape)
    else:
        if type(r) is tuple or type(r) is list:
            return tuple(wrap(e, dev) for e in r)
        if r is None:
            return None
        if isinstance(r, _NP_GENERIC):
            r = _scalar_array(r)  # NumPy gave a scalar: see is_scalar
        elif isinstance(r, _NP):
            r = numpy.asarray(r)  # a subclass's result (a NumPy matrix operand): its values
        else:
            r = dev.backend.normalize(r)
            if not dev.backend.is_array(r):  # an object loop's 0-d result (a Fraction, a str)
                r = _object_0d(r)
    o = _new(ndarray)
    o._data = r
    o._device = dev
    o._ad = None
    return o


if _fastpath is not None:
    _scalar_array = _fastpath.scalar_array
else:
    def _scalar_array(g):
        return _NP((), g.dtype, g)  # over the scalar's (immutable) memory, based on it


class _ObjectScalar(numpy.ndarray):
    """The memory of an object scalar (NumPy gives an object loop's 0-d result as the object
    itself): its type marks the 0-d array over it as a scalar (``is_scalar``)."""


def _object_0d(value):
    """A 0-d object array holding ``value``, standing for the object NumPy gives."""
    h = _ObjectScalar((), dtype=object)
    h[()] = value
    h.flags.writeable = False
    return h.view(_NP)


def is_scalar(data):
    """Does ``data`` (an array's ``_data``) stand for a NumPy scalar? Where NumPy gives a
    scalar (full reductions, ``x[0]`` of a vector, ufuncs of 0-d operands), npflow gives a 0-d
    array over the scalar's own memory (made in ``wrap``, or the C ``wrap_result``): read-only,
    so that, like NumPy's immutable scalars, no alias ever sees it change, and its in-place
    operators rebind (``t = s; t += 5`` leaves ``s``). Its base, the scalar, marks it; its 0-d
    views are scalars too (NumPy's ``s.T``, ``s.real``), and views with dimensions are copied
    (NumPy's ``ravel(s)`` is a new array). A 0-d array NumPy gives as an array (``asarray(1.0)``,
    ``zeros(())``, ``x[...]``, ``x.imag``) is an array here too."""
    if type(data) is not _NP or data.ndim:
        return False
    b = data.base
    return _scalar_memory(b) or type(b) is _ObjectScalar or (
        type(b) is _NP and not b.ndim and type(b.base) is _ObjectScalar)


def _scalar_memory(b):
    """Is ``b`` (an array's ``base``) a scalar's memory: a NumPy scalar, or the 0-d array over one?"""
    if isinstance(b, _NP_GENERIC):
        return True
    return type(b) is _NP and not b.ndim and isinstance(b.base, _NP_GENERIC)


def apply1(op, x):
    if type(x) is ndarray and not recorders:
        dev = x._device
        if dev.kind == "cpu":
            try:
                r = op.np_kernel(x._data)
            except Exception:
                return apply(op, x)  # raises again, annotated
            if tracing and (trace_state.stack or x._ad):
                return traced(op, (x,), wrap(r, dev))
            if type(r) is not _NP:
                return wrap(r, dev)
            o = _new(ndarray)
            o._data = r
            o._device = dev
            o._ad = None
            return o
    return apply(op, x)


def apply2(op, a, b):
    ta = type(a)
    tb = type(b)
    if ta is ndarray:
        dev = a._device
        x = a._data
        if tb is ndarray:
            if b._device is not dev:
                return apply(op, a, b)
            y = b._data
        elif tb in _PY_SCALARS:
            y = b
        else:
            return _slow2(op, a, b)
    elif tb is ndarray and ta in _PY_SCALARS:
        dev = b._device
        x = a
        y = b._data
    else:
        return _slow2(op, a, b)
    if recorders or dev.kind != "cpu":
        return apply(op, a, b)
    try:
        r = op.np_kernel(x, y)
    except Exception:
        return apply(op, a, b)  # raises again, annotated
    if tracing and (trace_state.stack or ta is ndarray and a._ad or tb is ndarray and b._ad):
        return traced(op, (a, b), wrap(r, dev))
    if type(r) is not _NP:
        return wrap(r, dev)
    o = _new(ndarray)
    o._data = r
    o._device = dev
    o._ad = None
    return o


_OPERANDS = (_NP, _NP_GENERIC, list, tuple, str, bytes)
_MISSING = object()


def is_operand(x):
    """Does an operator take ``x`` as an operand, as NumPy's do? (If not, it defers: returns
    NotImplemented.) NumPy's rule (``binop_should_defer``): defer to ``__array_ufunc__ = None``,
    and to an object without ``__array_ufunc__`` whose ``__array_priority__`` is above an
    ndarray's (0); anything else becomes an operand (a ``Fraction``, a ``str``, ``None``, any
    object: an object array)."""
    t = type(x)
    if t in _PASS or isinstance(x, ndarray) or isinstance(x, _OPERANDS):
        return True
    uf = getattr(t, "__array_ufunc__", _MISSING)
    if uf is not _MISSING:
        # another array library: it takes part if it converts (else its reflected operator runs)
        return uf is not None and any(hasattr(x, a) for a in (
            "__array__", "__array_interface__", "__dlpack__", "__cuda_array_interface__"))
    try:
        return not float(getattr(x, "__array_priority__", -1e6)) > 0.0
    except (TypeError, ValueError):
        return True


def _slow2(op, a, b):
    # an npflow array on the right, not on the left: a reflected operator, which NumPy's never
    # defer (the left operand had its turn)
    if not (is_operand(a) or isinstance(b, ndarray) and not isinstance(a, ndarray)) \
            or not is_operand(b):
        return NotImplemented
    return apply(op, a, b)


def ndarray_type():
    return ndarray


def unwrap_index(key, dev, opname):
    """An index with npflow arrays in it, as backend arrays on ``dev``."""
    tk = type(key)
    if tk is tuple:
        return tuple(unwrap_index(k, dev, opname) for k in key)
    if isinstance(key, ndarray):
        if key._device is not dev:
            raise DeviceMismatchError(
                f"{opname}(): the index is on {key._device.name} but the array is on {dev.name}")
        return key._data
    if tk is list and dev.kind != "cpu":  # (Dask takes host index lists as they are)
        return dev.backend.asarray(key) if dev.kind != "dask" else numpy.asarray(key)
    return key


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_at_caller(message, category):
    """``warnings.warn`` attributed to the first frame outside npflow: the user's line, as NumPy's
    warnings are (however many npflow frames, composites and dispatch, lie between)."""
    import sys
    import warnings
    f, level = sys._getframe(1), 2  # (stacklevel 2: the frame calling this function)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f, level = f.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def reissuing_warnings(fn):
    """``fn`` whose warnings (a NumPy kernel's, which name their caller: an npflow frame) are
    issued again at the user's line."""
    import warnings

    @functools.wraps(fn)
    def reissued(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = fn(*args, **kwargs)
        for w in caught:
            warn_at_caller(w.message, w.category)
        return r
    return reissued


def committed_device(args, kwargs):
    """The device of the npflow arrays among a call's arguments (top level, and in lists and
    tuples) where it is not the default device; None where it is, or where there are none, or
    several (the ops inside raise DeviceMismatchError then)."""
    dev = None
    default = _devices.get_default_device()
    for group in (args, kwargs.values()):
        for x in group:
            if type(x) is list or type(x) is tuple:
                for e in x:
                    if isinstance(e, ndarray):
                        if dev is not None and e._device is not dev:
                            return None
                        dev = e._device
            elif isinstance(x, ndarray):
                if dev is not None and x._device is not dev:
                    return None
                dev = x._device
    return None if dev is default else dev


def composite(fn):
    """Errors raised inside the composite ``fn`` name it and its arguments too (same class).
    While it runs, the default device is its npflow arguments' device: the NumPy arrays and
    sequences it converts follow them (DESIGN invariant 10)."""
    prefix = f"{fn.__name__}(): "

    @functools.wraps(fn)
    def named(*args, **kwargs):
        try:
            dev = committed_device(args, kwargs)
            if dev is None:
                return fn(*args, **kwargs)
            with _devices.default_device(dev):
                return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError, ArithmeticError) as e:
            if str(e).startswith(prefix):
                raise
            if isinstance(e, DeviceMismatchError):  # the composite and its operands, not the
                # internal op that met them
                raise _device_error(fn.__name__, (*args, *kwargs.values())) from e
            raise _annotated(fn.__name__, e, args) from e
    return named
