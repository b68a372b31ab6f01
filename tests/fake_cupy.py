"""A CuPy-like module made of NumPy, for testing the CUDA backend without a GPU.

Its functions keep CuPy's signatures and departures from NumPy where the CuPy
backend corrects them (read from CuPy's sources: cupy/_sorting, cupy/_indexing,
cupy/_core/_kernel.pyx, cupy/_core/_routines_*.pyx, cupy/_math, cupy/linalg):
a test that passes with it shows a correction works, not that CuPy is right.
``runtime.getDeviceCount()`` is 1 (``FAKE_CUPY_GPUS`` changes it), so npflow's
"cuda:0" can run on it end to end. Import it as ``cupy`` (tests/test_gpu.py
puts it on a subprocess's path) or load it by name.
"""
import builtins
import os

import numpy

globals().update({k: getattr(numpy, k) for k in dir(numpy) if not k.startswith("_")})
__version__ = "0.0-fake"
ndarray = numpy.ndarray
random, linalg, fft = numpy.random, numpy.linalg, numpy.fft
for _name in ("matvec", "vecmat", "vecdot", "spacing", "isnat"):  # not in CuPy
    globals().pop(_name, None)


class runtime:
    @staticmethod
    def getDeviceCount():
        return int(os.environ.get("FAKE_CUPY_GPUS", "1"))

    @staticmethod
    def getDeviceProperties(index):
        return {"name": b"fake GPU (NumPy)"}

    @staticmethod
    def runtimeGetVersion():
        return 0

    driverGetVersion = runtimeGetVersion


class Device:
    def __init__(self, index=0):
        self.id = index

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


class cuda:
    runtime = runtime
    Device = Device


def asnumpy(a):
    return numpy.array(a, copy=True)


class ufunc:
    """CuPy's ufunc: no where= (only a private _where), reduce/accumulate for add and multiply
    only, reduceat for add only (cupy/_core/_kernel.pyx)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def __call__(self, *args, **kw):
        bad = set(kw) - {"out", "dtype", "casting"}
        if bad:
            raise TypeError(f"Wrong arguments {bad}")
        return self._uf(*args, **kw)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`{self.__name__}.reduce` is not supported yet")
        return self._uf.reduce(array, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`{self.__name__}.accumulate` is not supported yet")
        return self._uf.accumulate(array, axis=axis, dtype=dtype, out=out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        if self.__name__ != "add":
            raise NotImplementedError(f"`{self.__name__}.reduceat` is not supported yet")
        return self._uf.reduceat(array, indices, axis=axis, dtype=dtype, out=out)

    def at(self, a, indices, b=None):
        self._uf.at(a, indices, *(() if b is None else (b,)))


globals().update({k: ufunc(v) for k, v in vars(numpy).items()
                  if isinstance(v, numpy.ufunc) and k in globals()})


def _arr(a):
    a.ndim  # CuPy's non-ufunc functions call array methods: Python scalars fail here
    return a


def sort(a, axis=-1, kind=None):
    if kind is not None and kind != "stable":
        raise ValueError("kind can only be None or 'stable'")
    return numpy.sort(a, axis=axis, kind="stable")


def argsort(a, axis=-1, kind=None):
    if kind is not None and kind != "stable":
        raise ValueError("kind can only be None or 'stable'")
    return numpy.argsort(a, axis=axis, kind="stable")


def partition(a, kth, axis=-1):
    return numpy.partition(a, kth, axis=axis)


def argpartition(a, kth, axis=-1):
    return numpy.argpartition(a, kth, axis=axis)


def take(a, indices, axis=None, out=None):
    return numpy.take(a, numpy.asarray(indices).astype(int), axis=axis, out=out, mode="wrap")


def take_along_axis(a, indices, axis):
    n = a.size if axis is None else a.shape[axis]
    return numpy.take_along_axis(a, numpy.asarray(indices) % builtins.max(n, 1), axis)  # wraps


def put(a, ind, v, mode="wrap"):
    ind = numpy.asarray(ind).ravel()
    if mode == "raise":  # CuPy writes the valid entries, then raises
        ok = (ind >= -a.size) & (ind < a.size)
        numpy.put(a, ind[ok], numpy.resize(v, ind.shape)[ok])
        if not ok.all():
            raise IndexError("invalid entry in indices array")
        return
    numpy.put(a, ind, v, mode=mode)


def lexsort(keys):
    if keys.ndim == 0:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if keys.ndim > 2:
        raise NotImplementedError("Keys with the rank of three or more is not supported in lexsort")
    return numpy.lexsort(keys)


def _reduction(name, params):
    f = getattr(numpy, name)

    def r(a, axis=None, *args, **kw):
        given = dict(zip(params, args), **kw)
        bad = set(given) - set(params)
        if bad:
            raise TypeError(f"{name}() got an unexpected keyword argument {sorted(bad)[0]!r}")
        return f(a, axis=axis, **given)
    r.__name__ = name
    return r


for _name in ("sum", "prod", "nansum", "nanprod", "mean", "nanmean"):
    globals()[_name] = _reduction(_name, ("dtype", "out", "keepdims"))
for _name in ("var", "std", "nanvar", "nanstd"):
    globals()[_name] = _reduction(_name, ("dtype", "out", "ddof", "keepdims"))
for _name in ("max", "min", "amax", "amin", "nanmax", "nanmin", "all", "any"):
    globals()[_name] = _reduction(_name, ("out", "keepdims"))


def where(condition, x=None, y=None):
    if x is None and y is None:
        return numpy.nonzero(condition)
    return numpy.where(condition.astype("?", copy=False), x, y)


def clip(a, a_min, a_max, out=None):
    return a.clip(a_min, a_max, out=out)


def dot(a, b, out=None):
    return a.dot(b, out)


for _name in ("vdot", "inner", "outer", "kron", "tensordot", "cross"):
    globals()[_name] = (lambda f: lambda a, b, *args, **kw: f(_arr(a), _arr(b), *args, **kw))(
        getattr(numpy, _name))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True):
    return numpy.unique(ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan)


def count_nonzero(a, axis=None):
    return numpy.count_nonzero(a, axis=axis)


# -- ElementwiseKernel: the CUDA C a kernel is made of, evaluated with NumPy ----------------------
# The operation is compiled here as NVRTC would see it, within the subset npflow's graph mode
# generates: statements ``<ctype> <name> = <expression>;`` and ``out0 = <expression>;``, where an
# expression is names, functional casts ``float(x)``/``double(x)`` (a literal appears only inside
# one), ``+ - * /``, unary minus and calls of CUDA's math functions. Types are checked strictly
# (both operands of an operator, and a declaration's value, of one type: what C would convert
# silently is an error here), so a test that passes shows the generated source computes each
# value in the type it declares. Anything else raises CompileException, as NVRTC would.
import ast as _ast  # noqa: E402
import functools as _functools  # noqa: E402

_C_TYPES = {"float": numpy.dtype(numpy.float32), "double": numpy.dtype(numpy.float64)}
_C_FUNCS = {"exp": numpy.exp, "exp2": numpy.exp2, "expm1": numpy.expm1, "log": numpy.log,
            "log2": numpy.log2, "log10": numpy.log10, "log1p": numpy.log1p, "sqrt": numpy.sqrt,
            "cbrt": numpy.cbrt, "sin": numpy.sin, "cos": numpy.cos, "tan": numpy.tan,
            "asin": numpy.arcsin, "acos": numpy.arccos, "atan": numpy.arctan, "sinh": numpy.sinh,
            "cosh": numpy.cosh, "tanh": numpy.tanh, "asinh": numpy.arcsinh, "acosh": numpy.arccosh,
            "atanh": numpy.arctanh, "fabs": numpy.fabs}
_C_OPS = {_ast.Add: numpy.add, _ast.Sub: numpy.subtract, _ast.Mult: numpy.multiply,
          _ast.Div: numpy.divide}


class CompileException(Exception):
    pass


def _options(options):
    """NVRTC's options: a tuple of strings, each an option NVRTC knows (these few here)."""
    if not isinstance(options, tuple) or not builtins.all(
            isinstance(o, str) and o.split("=")[0] in ("--fmad", "-std", "--use_fast_math", "-D")
            for o in options):
        raise CompileException(f"nvrtc: unknown or malformed options {options!r}")


def _params(text):
    out = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        dtype, name = item.split()
        out.append((name, numpy.dtype(dtype)))
    return out


def _c_eval(node, env, src):
    def bad(why):
        raise CompileException(f"{why} in {src!r}")
    if isinstance(node, _ast.Name):
        if node.id not in env:
            bad(f"identifier {node.id!r} is undefined")
        return env[node.id]
    if isinstance(node, _ast.Call) and isinstance(node.func, _ast.Name) and len(node.args) == 1 \
            and not node.keywords:
        f, (arg,) = node.func.id, node.args
        if f in _C_TYPES:
            lit = arg.operand if isinstance(arg, _ast.UnaryOp) and isinstance(arg.op, _ast.USub) else arg
            if isinstance(lit, _ast.Constant):
                if type(lit.value) not in (int, float):
                    bad("a literal of no C type")
                return _C_TYPES[f].type(-lit.value if lit is not arg else lit.value)
            return numpy.asarray(_c_eval(arg, env, src)).astype(_C_TYPES[f])
        if f in _C_FUNCS:
            x = _c_eval(arg, env, src)
            if x.dtype not in _C_TYPES.values():
                bad(f"{f}() of a {x.dtype} operand")
            return _C_FUNCS[f](x)
        bad(f"no function {f!r}")
    if isinstance(node, _ast.BinOp) and type(node.op) in _C_OPS:
        a, b = _c_eval(node.left, env, src), _c_eval(node.right, env, src)
        if a.dtype != b.dtype:
            bad(f"operands of types {a.dtype} and {b.dtype} (an implicit conversion)")
        return _C_OPS[type(node.op)](a, b)
    if isinstance(node, _ast.UnaryOp) and isinstance(node.op, (_ast.USub, _ast.UAdd)):
        x = _c_eval(node.operand, env, src)
        return -x if isinstance(node.op, _ast.USub) else x
    bad(f"{type(node).__name__} is outside what the fake compiles (a bare literal has C's type)")


def _bind(kernel, args):
    """A user-defined kernel's arguments by parameter name (their dtypes as declared), and
    their broadcast shape."""
    if len(args) != len(kernel.in_params):
        raise TypeError(f"Wrong number of arguments for {kernel.name!r}")
    env = {}
    for (name, dtype), a in zip(kernel.in_params, args):
        a = numpy.asarray(a)
        if a.dtype != dtype:
            raise TypeError(f"{kernel.name}: argument {name} is {a.dtype}, declared {dtype}")
        env[name] = a
    return env, numpy.broadcast_shapes(*(a.shape for a in env.values()))


class ElementwiseKernel:
    """CuPy's user-defined elementwise kernel: typed parameters, broadcasting inputs, a new
    output of the broadcast shape; the operation is compiled (parsed and type-checked) when the
    kernel is made, and evaluated with NumPy (GPU kernels never warn: NumPy's warnings off).
    A 0-d result is a NumPy scalar, as the fake's ufuncs give it."""

    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True,
                 options=(), preamble="", **kw):
        _options(options)
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        self.operation, self.name = operation, name
        self.statements = []
        declared = dict(self.out_params)
        for stmt in filter(None, (s.strip() for s in operation.split(";"))):
            lhs, _, rhs = stmt.partition("=")
            words = lhs.split()
            try:
                expr = _ast.parse(rhs.strip(), mode="eval").body
            except SyntaxError as e:
                raise CompileException(f"{e} in {stmt!r}") from None
            if len(words) == 2 and words[0] in _C_TYPES:
                declared[words[1]] = _C_TYPES[words[0]]
            elif len(words) != 1 or words[0] not in declared:
                raise CompileException(f"cannot assign to {lhs.strip()!r} in {stmt!r}")
            self.statements.append((words[-1], declared[words[-1]], expr, stmt))

    def __call__(self, *args, size=None, stream=None):
        env, shape = _bind(self, args)
        with numpy.errstate(all="ignore"):
            for name, dtype, expr, stmt in self.statements:
                value = numpy.asarray(_c_eval(expr, env, stmt))
                if value.dtype != dtype:
                    raise CompileException(f"a {value.dtype} value assigned to {dtype} {name} "
                                           f"in {stmt!r}")
                env[name] = value
        outs = []
        for name, dtype in self.out_params:
            o = numpy.empty(shape, dtype)
            o[...] = env[name]
            outs.append(o)
        outs = [o[()] if not o.ndim else o for o in outs]  # (0-d: as the fake's ufuncs give it)
        return _recorded(self.__call__, args, {}, outs[0] if len(outs) == 1 else tuple(outs))


class ReductionKernel:
    """CuPy's user-defined reduction kernel, for the sums npflow's graph mode generates: the
    map expression is compiled as ElementwiseKernel's statements are (typed strictly: its value
    must have ``reduce_type``), the reduction must be ``a + b`` from ``0`` with ``out0 = a``
    after it (anything else raises NotImplementedError: the fake compiles sums only), and the
    sum is NumPy's over the broadcast operands, in ``reduce_type``."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity,
                 name="reduce_kernel", reduce_type=None, reduce_dims=True, preamble="",
                 options=(), **kw):
        _options(options)
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        self.name = name
        if (reduce_expr.replace(" ", ""), post_map_expr.replace(" ", ""), identity.strip()) != \
                ("a+b", "out0=a", "0") or len(self.out_params) != 1:
            raise NotImplementedError(f"the fake ReductionKernel compiles sums only ({name})")
        if reduce_type not in _C_TYPES:
            raise CompileException(f"reduce_type {reduce_type!r} is no C type the fake knows")
        self.reduce_type = _C_TYPES[reduce_type]
        try:
            self.map_expr = _ast.parse(map_expr.strip(), mode="eval").body
        except SyntaxError as e:
            raise CompileException(f"{e} in {map_expr!r}") from None
        self.source = map_expr

    def __call__(self, *args, axis=None, keepdims=False, stream=None):
        env, shape = _bind(self, args)
        with numpy.errstate(all="ignore"):
            value = numpy.asarray(_c_eval(self.map_expr, env, self.source))
            if value.dtype != self.reduce_type:
                raise CompileException(f"map_expr's value is {value.dtype}, reduce_type "
                                       f"{self.reduce_type} in {self.source!r}")
            value = numpy.ascontiguousarray(numpy.broadcast_to(value, shape))
            r = numpy.sum(value, axis=axis, keepdims=keepdims).astype(self.out_params[0][1])
        r = r[()] if not r.ndim else r  # (0-d: as the fake's ufuncs give it)
        return _recorded(self.__call__, args, dict(axis=axis, keepdims=keepdims), r)


# -- streams and CUDA graphs ---------------------------------------------------------------------
# While a stream captures, the fake's device work (its functions, ufuncs and kernels; not the
# methods of its arrays, which are NumPy's) is recorded: each call runs (to give its result's
# shape and dtype), its fresh result is filled with garbage (a captured kernel does not run
# before the graph is launched), NumPy scalars become 0-d arrays (CuPy returns those), and
# ``Graph.launch`` runs the recorded calls again in order, writing each result into the array
# the capture returned: so a launch computes from what the captured buffers hold then. A host
# synchronisation or a device-to-host copy while capturing raises, as CUDA does.
_CAPTURING = []


class CUDARuntimeError(RuntimeError):
    pass


def _no_host_while_capturing(what):
    if _CAPTURING:
        raise CUDARuntimeError(f"cudaErrorStreamCaptureUnsupported: {what}: operation not "
                               f"permitted when stream is capturing")


def _as_device(r):
    if isinstance(r, tuple):
        return tuple(_as_device(e) for e in r)
    return numpy.asarray(r) if isinstance(r, numpy.generic) else r


def _poison(r, args):
    if isinstance(r, tuple):
        for e in r:
            _poison(e, args)
    elif isinstance(r, numpy.ndarray) and r.base is None and r.flags.writeable and r.size and \
            not builtins.any(r is a for a in args):
        r.fill(numpy.nan if r.dtype.kind in "fc" else (True if r.dtype.kind == "b" else 77))


def _refill(r, r2):
    if isinstance(r, tuple):
        for a, b in zip(r, r2):
            _refill(a, b)
    elif isinstance(r, numpy.ndarray) and r2 is not r and r.flags.writeable:
        r2 = numpy.asarray(r2)
        assert r2.shape == r.shape, "a captured call's result changed shape"
        numpy.copyto(r, r2, casting="unsafe")


def _recorded(fn, args, kw, r):
    if _CAPTURING:
        r = _as_device(r)
        _CAPTURING[-1]._calls.append((fn, args, kw, r))
        _poison(r, list(args) + [o for v in kw.values() for o in (v if isinstance(v, tuple) else (v,))])
    return r


def _device_work(fn):
    @_functools.wraps(fn)
    def call(*args, **kw):
        return _recorded(fn, args, kw, fn(*args, **kw))
    return call


class Graph:
    def __init__(self, calls):
        self._calls = calls

    def launch(self, stream=None):
        _no_host_while_capturing("cudaGraphLaunch")
        with numpy.errstate(all="ignore"):
            for fn, args, kw, r in self._calls:
                _refill(r, fn(*args, **kw))

    def upload(self, stream=None):
        pass


class Stream:
    null = None

    def __init__(self, null=False, non_blocking=False, ptr=None):
        self.ptr = 0 if null else 2
        self._calls = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def begin_capture(self, mode=None):
        if self.ptr in (0, 1):
            raise RuntimeError("cannot capture on the default (legacy) stream")
        if _CAPTURING:
            raise CUDARuntimeError("cudaErrorIllegalState: a stream is capturing already")
        self._calls = []
        _CAPTURING.append(self)

    def end_capture(self):
        if not _CAPTURING or _CAPTURING[-1] is not self:
            raise CUDARuntimeError("cudaErrorIllegalState: the stream is not capturing")
        _CAPTURING.pop()
        calls, self._calls = self._calls, None
        return Graph(calls)

    def is_capturing(self):
        return len(_CAPTURING) > 0 and _CAPTURING[-1] is self

    def synchronize(self):
        _no_host_while_capturing("cudaStreamSynchronize")


Stream.null = Stream(null=True)


class MemoryPool:
    """A memory pool: the fake's arrays are NumPy's, so it only counts what it was asked for."""

    def __init__(self, allocator=None):
        self.requests = 0

    def malloc(self, size):
        self.requests += 1

    def used_bytes(self):
        return 0


class _Allocator:
    current = None

    def __init__(self, allocator):
        self.allocator = allocator

    def __enter__(self):
        self.saved, _Allocator.current = _Allocator.current, self.allocator

    def __exit__(self, *exc):
        _Allocator.current = self.saved
        return False


def _sync_device(self):
    _no_host_while_capturing("cudaDeviceSynchronize")


Device.synchronize = _sync_device
cuda.Stream, cuda.Graph, cuda.MemoryPool = Stream, Graph, MemoryPool
cuda.using_allocator = _Allocator
cuda.get_current_stream = staticmethod(lambda device=None: Stream.null)
runtime.CUDARuntimeError = CUDARuntimeError
_host = asnumpy


def asnumpy(a, stream=None, order="C", out=None):
    _no_host_while_capturing("cudaMemcpy (device to host)")
    return _host(a)


_ufunc_call = ufunc.__call__
ufunc.__call__ = lambda self, *args, **kw: _recorded(_ufunc_call.__get__(self), args, kw,
                                                      _ufunc_call(self, *args, **kw))
for _m in ("reduce", "accumulate", "reduceat", "at"):
    setattr(ufunc, _m, (lambda f: lambda self, *a, **kw: _recorded(f.__get__(self), a, kw,
                                                                    f(self, *a, **kw)))(getattr(ufunc, _m)))
# every function of the module is device work (classes, dtypes and submodules are not)
for _name, _v in list(globals().items()):
    if not _name.startswith("_") and _name not in ("asnumpy", "ElementwiseKernel", "ReductionKernel") and \
            not isinstance(_v, type) and callable(_v) and not isinstance(_v, ufunc) and \
            getattr(_v, "__module__", "") != "fake_cupy.runtime":
        globals()[_name] = _device_work(_v)
