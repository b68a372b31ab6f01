"""Whole-graph compilation with numba (the optional extra ``npflow[jit]``).

``compile(graph)`` returns the graph with every maximal run of nodes numba can compile (in
program order) replaced by one node whose kernel is one ``numba.njit`` function: the run's ops
as NumPy code in nopython mode, the loops and branches of ``fori_loop``/``while_loop``/``scan``/
``map``/``cond``/``switch`` nodes as numba loops and branches (their bodies inlined) where every
op of their bodies compiles. Every other node runs as the NumPy replay runs it, between the
compiled segments. Chains of large elementwise ops are fused first (``numba_backend.fuse``:
multithreaded ufuncs), and run as such.

What compiles (``_emit``): NumPy ufuncs numba implements, on bool/integer/float32/float64
operands (the math functions on floats only), with NumPy's broadcasting; on complex64/128
operands the arithmetic, ``absolute``, ``exp``, ``conjugate``, ``real``/``imag``; integer
``floor_divide``/``remainder``/``power``/shifts as NumPy computes them (numba's own kernels
differ from NumPy's on MIN // -1, a remainder by -1 (a trap), power's overflow and shift counts
past the width: they run as the helpers ``_ifloor_divide`` ...; a negative integer exponent
raises NumPy's ValueError); ``matmul`` of 1-D/2-D float arrays; ``sum``/``mean``/``max``/
``min``/``prod``/``any``/``all`` over any axes (keepdims), ``argmax``/``argmin``;
``reshape``/``ravel`` (so ``expand_dims``, ``squeeze``, ``stack``), ``transpose``,
``broadcast_to``, ``concatenate``; ``getitem`` with ints, slices, ``None`` and ``...`` (and a
traced integer index, bounds-checked: IndexError as NumPy's), or one integer index array
(bounds-checked, negative indices wrapped); ``where``; ``alias``/``stop_gradient``; the
control-flow nodes. Semantics are eager npflow's:

- dtypes: a Python scalar operand is given the dtype NumPy's promotion gives it (NEP 50), and
  after numba has typed a segment every value's inferred type is compared with the traced
  value's dtype and rank: a node whose type differs runs as NumPy instead (never another
  dtype);
- values: equal to eager npflow's within the fused-kernel tolerance (numba's math routines
  and summation order differ from NumPy's SIMD kernels and pairwise sums: a few ulps per op,
  ``rtol`` 1e-12 for float64 and 1e-5 for float32 in the tests, reductions of n terms ~n ulps);
- errors: nodes that can fail on values (out-of-range traced indices, negative integer
  exponents) are checked and raise NumPy's exception; floating-point exceptions give NumPy's
  inf/nan, and where errstate does not ignore them the CPU's exception flags are read around
  each compiled segment: a segment that raised one runs again as the NumPy replay, which warns
  or raises as eager code does (``fpe.py``). (An integer division sets no flag: integer
  ``floor_divide``/``remainder`` compile with a constant divisor only, one NumPy does not warn
  about: not 0, nor -1 for ``floor_divide``.)

Compiled functions are cached by source, in memory and (numba's ``cache=True``) on disk under
``NPFLOW_NUMBA_CACHE`` (default: ``~/.cache/npflow/numba``; ``0`` turns the disk cache off):
the source is a module file named by its hash, so a later process loads the machine code.
"""
import builtins
import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings

import numpy

from .graph import Graph, Node, Var, Const, JitError
from . import fpe, fusion

_MATH = {  # float-only ufuncs
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "fabs", "fmax", "fmin", "logaddexp", "logaddexp2", "hypot", "floor", "ceil",
    "trunc", "rint", "divide", "true_divide", "power", "reciprocal", "isnan", "isinf", "isfinite",
    "copysign", "deg2rad", "rad2deg", "signbit"}
_ANY = {  # on bool, integer and float operands alike
    "add", "subtract", "multiply", "negative", "positive", "absolute", "maximum", "minimum",
    "square", "sign", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "invert"}
_COMPLEX = {  # on complex operands too (numba's complex kernels are NumPy's formulas)
    "add", "subtract", "multiply", "negative", "positive", "absolute", "square", "equal",
    "not_equal", "conjugate", "exp"}
# integer floor_divide/remainder/power/shifts: numba's own kernels differ from NumPy's in corner
# cases (MIN // -1, % by -1 (SIGFPE), power overflow, shift counts past the width), so they run
# as the helpers below (_ifloor_divide, ...), NumPy's loops.c semantics, as numba ufuncs
_INTEGER = {"floor_divide", "remainder", "power", "left_shift", "right_shift"}
_REAL_UFUNCS = {"tanh", "expm1"}  # npflow kernels that differ from NumPy's on complex operands only
_VIEWS = {"alias", "stop_gradient", "reshape", "transpose", "broadcast_to", "getitem"}
_LOOPS = {"fori_loop", "while_loop", "scan", "map", "cond", "switch"}


class _Unsupported(Exception):
    pass


def _dtype_ok(dt):
    return dt is not None and dt.kind in "biufc" and dt.isnative and dt.itemsize >= 1 and \
        dt != numpy.float16 and dt.itemsize <= (16 if dt.kind == "c" else 8)


def _var_ok(v):
    return type(v) is Var and v.array and v.shape is not None and _dtype_ok(v.dtype)


_NUMBA_UFUNCS = None


def _numba_ufuncs():
    global _NUMBA_UFUNCS
    if _NUMBA_UFUNCS is None:
        from numba.np import ufunc_db
        _NUMBA_UFUNCS = {u.__name__ for u in ufunc_db.get_ufuncs()}
    return _NUMBA_UFUNCS


class _Ctx:
    """The source being generated for one segment."""

    def __init__(self, top):
        self.top = top  # Var -> name of this segment's arguments is allowed (top level)
        self.names = {}  # Var -> name in the source
        self.args = []  # (name, Var or Const) read from outside the segment
        self.const_args = {}  # id(const value) -> name
        self.globals = []  # (name, source of its value)
        self.lines = []
        self.checks = []  # (name, Var): the type numba must infer for it
        self.n = 0
        self.labels = []

    def fresh(self, prefix="v"):
        self.n += 1
        return f"{prefix}{self.n}"

    def ref(self, v, dtype=None):
        """The source of operand ``v`` (a Python scalar is typed ``dtype``)."""
        t = type(v)
        if t is Var:
            name = self.names.get(v)
            if name is None:
                if not self.top or not _var_ok(v):
                    raise _Unsupported("operand")
                name = self.names[v] = self.fresh("a")
                self.args.append((name, v))
            return name
        if t is not Const:
            raise _Unsupported("operand")
        value = v.value
        if type(value) in (bool, int, float, complex):
            if dtype is None:
                raise _Unsupported("untyped scalar")
            return self.scalar(value, dtype)
        if isinstance(value, (numpy.ndarray, numpy.generic)) and _dtype_ok(value.dtype) and \
                value.dtype.isnative:
            name = self.const_args.get(id(value))
            if name is None:
                name = self.const_args[id(value)] = self.fresh("a")
                self.args.append((name, v))
            return name
        raise _Unsupported("constant")

    def scalar(self, value, dtype):
        dtype = numpy.dtype(dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                typed = dtype.type(value)
        except Exception:
            raise _Unsupported("scalar out of range") from None
        if typed != value and not (value != value):
            raise _Unsupported("scalar changes value")
        name = self.fresh("k")
        if dtype.kind == "f":
            src = f"np.{dtype.name}(float.fromhex({float(typed).hex()!r}))"
        elif dtype.kind == "c":
            src = (f"np.{dtype.name}(complex(float.fromhex({float(typed.real).hex()!r}), "
                   f"float.fromhex({float(typed.imag).hex()!r})))")
        elif dtype.kind == "b":
            src = f"np.bool_({bool(typed)})"
        else:
            src = f"np.{dtype.name}({int(typed)})"
        self.globals.append((name, src))
        return name

    def out(self, v, expr, indent, check=True):
        if not _var_ok(v):
            raise _Unsupported("output")
        name = self.fresh()
        self.lines.append(f"{indent}{name} = {expr}")
        self.names[v] = name
        if check:
            self.checks.append((name, v))
        return name


def _scalar_in(v):
    return v.shape == () if type(v) is Var else getattr(v.value, "ndim", 0) == 0


def _dtype_of(v):
    if type(v) is Var:
        return v.dtype
    value = v.value
    return value if type(value) in (bool, int, float, complex) else value.dtype


def _kind_ok(v):
    if type(v) is Var:
        return _var_ok(v)
    value = v.value
    if type(value) in (bool, int, float, complex):
        return True
    return isinstance(value, (numpy.ndarray, numpy.generic)) and _dtype_ok(value.dtype)


def _emit(node, ctx, indent="    "):
    """Append ``node``'s source to ``ctx`` (raises _Unsupported where numba cannot run it as
    eager npflow does)."""
    if node.effect or node.name == "guard":
        raise _Unsupported("effect")
    if node.sub is not None:
        return _emit_control(node, ctx, indent)
    if node.kernel is not None or isinstance(node.op, str) or node.dyn_params and node.name != "getitem":
        raise _Unsupported("kernel")
    if node.kdev is None or node.kdev.backend.xp is not numpy or len(node.outs) != 1 or node.outs[0] is None:
        raise _Unsupported("device")
    out = node.outs[0]
    if not _var_ok(out) or not all(_kind_ok(v) for v in node.ins):
        raise _Unsupported("dtype")
    name = node.name
    kernel = node.op.np_kernel
    ps = node.params
    if name == "floor_divide" or isinstance(kernel, numpy.ufunc) and name != "matmul":
        return _emit_ufunc(node, "floor_divide" if name == "floor_divide" else kernel.__name__, ctx, indent)
    if name in _REAL_UFUNCS:  # (npflow's kernel: NumPy's ufunc on real operands)
        return _emit_ufunc(node, name, ctx, indent)
    if name in ("alias", "stop_gradient"):
        if ps or len(node.ins) != 1 or type(node.ins[0]) is not Var:
            raise _Unsupported(name)
        ctx.names[out] = ctx.ref(node.ins[0])
        return
    if name in ("zeros", "ones", "full") and not node.ins:
        return _emit_creation(node, ctx, indent)
    x = node.ins[0] if node.ins else None
    if name == "asarray" and type(x) is Const and set(ps) <= {"dtype", "order", "copy"} and \
            not ps.get("copy") and ps.get("order") in (None, "K", "C") and \
            isinstance(x.value, numpy.ndarray) and x.value.dtype == out.dtype and x.value.shape:
        ctx.names[out] = ctx.ref(x)  # (NumPy's asarray: the array itself)
        return
    if type(x) is not Var and name != "broadcast_to":
        raise _Unsupported("operand")
    if name == "astype":
        if set(ps) - {"dtype", "order", "casting", "copy"} or ps.get("order", "K") not in ("K", "C", "A") or \
                not numpy.can_cast(x.dtype, out.dtype, "same_kind") or x.dtype.kind == "f" and out.dtype.kind in "iub":
            raise _Unsupported(name)  # (float to int: NumPy's result is the platform's, numba's undefined)
        src = ctx.ref(x)
        ctx.out(out, f"{src}.astype(np.{out.dtype.name})" if x.shape else f"np.{out.dtype.name}({src})", indent)
        return
    if name in ("matmul", "dot"):
        a, b = node.ins
        if set(ps) - {"out"} or ps.get("out") is not None or type(b) is not Var or a.dtype != b.dtype or a.dtype.kind != "f" or \
                not (1 <= len(a.shape) <= 2 and 1 <= len(b.shape) <= 2) or 0 in a.shape + b.shape:
            raise _Unsupported(name)
        ctx.out(out, f"np.dot({ctx.ref(a)}, {ctx.ref(b)})", indent)
        return
    if name in _REDUCTIONS:
        return _emit_reduction(node, ctx, indent)
    if name in ("reshape", "ravel"):
        if set(ps) - {"shape", "order", "copy"} or ps.get("order", "C") != "C" or ps.get("copy") is not None \
                or len(node.ins) != 1:
            raise _Unsupported(name)
        src = ctx.ref(x)
        if x.shape == ():  # (a scalar in the segment)
            expr = src if out.shape == () else f"np.full({tuple(out.shape)!r}, {src})"
        elif out.shape == ():
            expr = f"np.ascontiguousarray({src}).reshape((1,))[0]"
        else:
            expr = f"np.ascontiguousarray({src}).reshape({tuple(out.shape)!r})"
        ctx.out(out, expr, indent)
        return
    if name in ("real", "imag"):
        if ps or len(node.ins) != 1:
            raise _Unsupported(name)
        src = ctx.ref(x)
        if x.dtype.kind != "c":  # (NumPy: the real part is the array, the imaginary part zeros)
            expr = src if name == "real" else f"np.zeros_like({src})" if x.shape else ctx.scalar(0, x.dtype)
        else:
            expr = f"np.{name}({src})" if x.shape else f"{src}.{name}"
        ctx.out(out, expr, indent)
        return
    if name == "transpose":
        axes = ps.get("axes")
        if set(ps) - {"axes"} or x.shape == ():
            raise _Unsupported(name)
        axes = tuple(range(len(x.shape)))[::-1] if axes is None else tuple(int(a) % len(x.shape) for a in axes)
        ctx.out(out, f"np.transpose({ctx.ref(x)}, {axes!r})", indent)
        return
    if name == "broadcast_to":
        if set(ps) - {"shape", "subok"} or ps.get("subok") or out.shape == () or len(node.ins) != 1:
            raise _Unsupported(name)
        ctx.out(out, f"np.broadcast_to({ctx.ref(x)}, {tuple(out.shape)!r})", indent)
        return
    if name == "getitem":
        return _emit_getitem(node, ctx, indent)
    if name == "where":
        if ps or len(node.ins) != 3 or out.shape == ():
            raise _Unsupported(name)
        c, a, b = node.ins
        if _dtype_of(c) not in (bool, numpy.dtype(bool)):
            raise _Unsupported(name)
        rt = numpy.result_type(*[_dtype_of(v) for v in (a, b)])
        ctx.out(out, f"np.where({ctx.ref(c, bool)}, {ctx.ref(a, rt)}, {ctx.ref(b, rt)})", indent)
        return
    if name == "concatenate":
        axis = ps.get("axis", 0)
        if ps.get("out") is not None or ps.get("dtype") is not None or type(axis) is not int or \
                any(type(v) is not Var or v.dtype != out.dtype or v.shape == () for v in node.ins):
            raise _Unsupported(name)
        items = "".join(f"{ctx.ref(v)}, " for v in node.ins)
        ctx.out(out, f"np.concatenate(({items}), axis={axis % len(out.shape)})", indent)
        return
    raise _Unsupported(name)


def _emit_creation(node, ctx, indent):
    name, ps, out = node.name, node.params, node.outs[0]
    if set(ps) - {"shape", "dtype", "order", "fill_value"} or ps.get("order", "C") != "C":
        raise _Unsupported(name)
    value = {"zeros": 0, "ones": 1}.get(name, ps.get("fill_value"))
    if type(value) not in (bool, int, float, complex):
        raise _Unsupported(name)
    fill = ctx.scalar(value, out.dtype)
    ctx.out(out, f"np.full({tuple(out.shape)!r}, {fill})" if out.shape else fill, indent)


def _emit_ufunc(node, uname, ctx, indent):
    if node.params or uname not in _numba_ufuncs() or len(node.ins) not in (1, 2):
        raise _Unsupported(uname)
    dtypes = [_dtype_of(v) for v in node.ins]
    arrays = [d for d in dtypes if isinstance(d, numpy.dtype)]
    if not arrays:
        raise _Unsupported("scalars only")
    rt = numpy.result_type(*dtypes)  # (NEP 50: a Python scalar takes the arrays' dtype)
    if uname in _INTEGER and rt.kind in "iu" and all(d == rt for d in arrays):
        return _emit_integer(node, uname, rt, ctx, indent)
    if any(d.kind == "c" for d in arrays) or rt.kind == "c":
        if uname not in _COMPLEX or not all(d == rt for d in arrays):
            raise _Unsupported(uname)
    elif uname in _MATH:
        if any(d.kind != "f" for d in arrays):
            raise _Unsupported(uname)
    elif uname not in _ANY and uname != "conjugate":
        raise _Unsupported(uname)
    if uname.startswith(("bitwise", "invert")) and rt.kind in "fc":
        raise _Unsupported(uname)
    args = ", ".join(ctx.ref(v, rt) for v in node.ins)
    ctx.out(node.outs[0], f"np.{uname}({args})", indent)


def _emit_integer(node, uname, rt, ctx, indent):
    """An integer floor_divide/remainder/power/shift as NumPy computes it (in numba's int64 or
    uint64, cast back to ``rt``: the same bits, the arithmetic being modulo 2**64)."""
    if len(node.ins) != 2:
        raise _Unsupported(uname)
    a, b = node.ins
    if uname in ("floor_divide", "remainder"):  # (by 0, MIN // -1: NumPy warns, no flag says so)
        if type(b) is not Const or numpy.any(numpy.asarray(b.value) == 0) or \
                uname == "floor_divide" and rt.kind == "i" and numpy.any(numpy.asarray(b.value) == -1):
            raise _Unsupported(uname)
    if uname == "power":  # (NumPy: ValueError for a negative exponent, before any value)
        if type(b) is Const:
            if numpy.any(numpy.asarray(b.value) < 0):
                raise _Unsupported(uname)
        elif rt.kind == "i":
            test = f"np.any({ctx.ref(b)} < 0)" if b.shape else f"{ctx.ref(b)} < 0"
            ctx.lines.append(f"{indent}if {test}:")
            ctx.lines.append(f"{indent}    raise ValueError(\"Integers to negative integer powers are not allowed.\")")
        if rt == numpy.uint64:
            raise _Unsupported(uname)
    fn = f"_i{uname}" if rt.kind == "i" or uname in ("power", "left_shift") else f"_u{uname}"
    wide = ctx.fresh()
    ctx.lines.append(f"{indent}{wide} = {fn}({ctx.ref(a, rt)}, {ctx.ref(b, rt)})")
    ctx.checks.append((wide, "integer"))  # (numba's type: an integer, never a float)
    out = node.outs[0]
    ctx.out(out, f"{wide}.astype(np.{rt.name})" if out.shape else f"np.{rt.name}({wide})", indent)


_REDUCTIONS = {"sum", "mean", "max", "min", "prod", "any", "all", "argmax", "argmin"}


def _axes(axis, ndim):
    """The sorted tuple of reduced axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if type(axis) in (tuple, list) else (axis,)
    if any(type(a) is not int or not -ndim <= a < ndim for a in axes):
        raise _Unsupported("axis")
    axes = tuple(sorted(a % ndim for a in axes))
    if len(set(axes)) != len(axes):
        raise _Unsupported("axis")
    return axes


_ROW_HELPERS = {"max": ("_extreme_rows", True), "min": ("_extreme_rows", False),
                "argmax": ("_arg_extreme_rows", True), "argmin": ("_arg_extreme_rows", False),
                "any": ("_truth_rows", True), "all": ("_truth_rows", False)}


def _emit_reduction(node, ctx, indent):
    """A reduction over any axes: the kept axes and the reduced ones, transposed to (kept,
    reduced) and reshaped to a matrix, reduced along its rows (``_ROW_HELPERS``), reshaped to
    the result's shape (keepdims or not)."""
    name, ps, x, out = node.name, node.params, node.ins[0], node.outs[0]
    arg = name in ("argmax", "argmin")
    if set(ps) - {"axis", "dtype", "out", "keepdims"} or ps.get("dtype") is not None or \
            ps.get("out") is not None or x.shape == () or 0 in x.shape or len(node.ins) != 1 or \
            arg and type(ps.get("axis")) not in (int, type(None)):
        raise _Unsupported(name)
    kind = x.dtype.kind
    if name == "mean" and kind not in "fc" or kind == "b" and name in ("sum", "mean", "prod") or \
            kind == "c" and name not in ("sum", "mean"):
        raise _Unsupported(name)
    nd = len(x.shape)
    axes = _axes(ps.get("axis"), nd)
    src = ctx.ref(x)
    if name in ("sum", "mean") and len(axes) == 1 and nd > 1:  # (NumPy's order: no copy)
        expr = f"np.sum({src}, axis={axes[0]})"
        if name == "mean":
            expr = f"({expr} / {ctx.scalar(x.shape[axes[0]], x.dtype)})"
        if out.shape != tuple(s for a, s in enumerate(x.shape) if a != axes[0]):
            expr = f"{expr}.reshape({tuple(out.shape)!r})"
        ctx.out(out, expr, indent)
        return
    if name in ("sum", "mean", "max", "min", "any", "all") and len(axes) == nd:
        expr = f"np.{name}({src})"
        if out.shape != ():
            expr = f"np.full({tuple(out.shape)!r}, {expr})"
        ctx.out(out, expr, indent)
        return
    kept = tuple(a for a in range(nd) if a not in axes)
    k = fusion.size([x.shape[a] for a in axes])
    m = fusion.size(x.shape) // k
    if kept + axes != tuple(range(nd)):
        src = f"np.transpose({src}, {kept + axes!r})"
    rows = f"np.ascontiguousarray({src}).reshape(({m}, {k}))"
    if name in ("sum", "mean"):
        expr = f"np.sum({rows}, axis=1)"
        if name == "mean":
            expr = f"({expr} / {ctx.scalar(k, x.dtype)})"
    elif name == "prod":
        expr = f"_prod_rows({rows}, {ctx.scalar(1, out.dtype)})"
    else:
        helper, flag = _ROW_HELPERS[name]
        expr = f"{helper}({rows}, {flag})"
    expr = f"{expr}[0]" if out.shape == () else f"{expr}.reshape({tuple(out.shape)!r})"
    ctx.out(out, expr, indent)


def _key_src(k, ctx):
    if k is None:
        return "None"
    if k is Ellipsis:
        return "..."
    if type(k) is int:
        return str(k)
    if type(k) is slice:
        parts = []
        for p in (k.start, k.stop, k.step):
            if p is not None and type(p) is not int:
                raise _Unsupported("slice")
            parts.append("" if p is None else str(p))
        return ":".join(parts)
    raise _Unsupported("key")


def _emit_getitem(node, ctx, indent):
    x, out = node.ins[0], node.outs[0]
    key = node.params.get("key")
    if set(node.params) != {"key"} or x.shape == () or len(node.ins) != 1:
        raise _Unsupported("getitem")
    keys = key if type(key) is tuple else (key,)
    if not keys:
        raise _Unsupported("getitem")
    if len(keys) == 1 and type(keys[0]) is Var and keys[0].shape != ():  # x[idx], an index array
        idx = keys[0]
        if idx.dtype.kind not in "iu" or 0 in idx.shape:
            raise _Unsupported("index")
        flat = f"np.ascontiguousarray({ctx.ref(idx)}).reshape(({fusion.size(idx.shape)},))"
        expr = f"{ctx.ref(x)}[_fancy({flat}, {x.shape[0]})]"
        if len(idx.shape) != 1:
            expr = f"{expr}.reshape({tuple(out.shape)!r})"
        ctx.out(out, expr, indent)
        return
    parts, axis = [], 0
    for k in keys:
        if type(k) is Var:  # a traced index: an integer, bounds-checked as NumPy checks it
            if k.shape != () or k.dtype.kind not in "iu" or axis >= len(x.shape) or \
                    any(e is None or e is Ellipsis for e in parts):
                raise _Unsupported("index")
            parts.append(f"_index({ctx.ref(k)}, {x.shape[axis]}, {axis})")
        else:
            parts.append(_key_src(k, ctx))
        axis += k is not None and k is not Ellipsis
    if any(type(k) is Var for k in keys) and Ellipsis in keys:
        raise _Unsupported("index")
    src = ", ".join(parts) if len(parts) > 1 else parts[0]
    if len(parts) == 1 and type(key) is tuple:
        src += ","
    ctx.out(out, f"{ctx.ref(x)}[{src}]", indent)


# -- control flow ----------------------------------------------------------------------------
def _inline(graph, ctx, inputs, indent):
    """``graph``'s nodes inlined with its inputs named ``inputs`` (its captures: the outer
    sources ``inputs`` continues with); returns the sources of its outputs."""
    for v, src in zip(list(graph.inputs) + [inner for _, inner in graph.captures], inputs):
        if not _var_ok(v):
            raise _Unsupported("loop value")
        ctx.names[v] = src
    top, ctx.top = ctx.top, False
    try:
        for node in graph.nodes:
            _emit(node, ctx, indent)
        return [ctx.ref(v, _dtype_of(v) if type(v) is Var else None) for v in graph.outs]
    finally:
        ctx.top = top


def _carry(ctx, srcs, indent):
    names = []
    for s in srcs:
        n = ctx.fresh("c")
        ctx.lines.append(f"{indent}{n} = {s}")
        names.append(n)
    return names


def _assign(ctx, names, srcs, indent):
    if names:
        ctx.lines.append(f"{indent}{', '.join(names)}, = {', '.join(srcs)},")


def _emit_control(node, ctx, indent):
    name, sub, ins = node.name, node.sub, node.ins
    if name not in _LOOPS or not all(_var_ok(v) for v in node.outs if v is not None):
        raise _Unsupported(name)
    inner = indent + "    "
    if name == "fori_loop":
        body = sub["body"]
        n = len(body.inputs) - 1
        lo, hi = (ctx.ref(v) for v in ins[:2])
        if any(_dtype_of(v).kind not in "iu" for v in ins[:2]):
            raise _Unsupported(name)
        carry = _carry(ctx, [ctx.ref(v) for v in ins[2:2 + n]], indent)
        caps = [ctx.ref(v) for v in ins[2 + n:]]
        it = ctx.fresh("i")
        ctx.lines.append(f"{indent}for {it} in range({lo}, {hi}):")
        outs = _inline(body, ctx, carry + [it] + caps, inner)
        _assign(ctx, carry, outs, inner)
    elif name == "while_loop":
        cond, body = sub["cond"], sub["body"]
        n = len(body.inputs)
        carry = _carry(ctx, [ctx.ref(v) for v in ins[:n]], indent)
        ccaps = [ctx.ref(v) for v in ins[n:n + len(cond.captures)]]
        bcaps = [ctx.ref(v) for v in ins[n + len(cond.captures):]]
        ctx.lines.append(f"{indent}while True:")
        (ok,) = _inline(cond, ctx, carry + ccaps, inner)
        if cond.outs[0].shape != () or cond.outs[0].dtype.kind != "b":
            raise _Unsupported(name)
        ctx.lines.append(f"{inner}if not {ok}:")
        ctx.lines.append(f"{inner}    break")
        outs = _inline(body, ctx, carry + bcaps, inner)
        _assign(ctx, carry, outs, inner)
    elif name in ("scan", "map"):
        info = getattr(node.kernel, "info", None)
        if info is None:
            raise _Unsupported(name)
        body = sub["body"]
        nc, nx, length = info["carry"], info["xs"], info["length"]
        carry = _carry(ctx, [ctx.ref(v) for v in ins[:nc]], indent)
        xs = [ctx.ref(v) for v in ins[nc:nc + nx]]
        caps = [ctx.ref(v) for v in ins[nc + nx:]]
        ys = []
        for y in node.outs[nc:]:
            ysn = ctx.fresh("y")
            ctx.lines.append(f"{indent}{ysn} = np.empty({tuple(y.shape)!r}, np.{y.dtype.name})")
            ys.append(ysn)
        it = ctx.fresh("i")
        order = f"range({length - 1}, -1, -1)" if info["reverse"] else f"range({length})"
        ctx.lines.append(f"{indent}for {it} in {order}:")
        xi = []
        for x in xs:
            n_ = ctx.fresh("x")
            ctx.lines.append(f"{inner}{n_} = {x}[{it}]")
            xi.append(n_)
        outs = _inline(body, ctx, carry + xi + caps, inner)
        for ysn, o in zip(ys, outs[nc:]):  # (before the carry moves on: a y may be the carry in)
            ctx.lines.append(f"{inner}{ysn}[{it}] = {o}")
        _assign(ctx, carry, outs[:nc], inner)
        for v, ysn in zip(node.outs[nc:], ys):
            ctx.names[v] = ysn
            ctx.checks.append((ysn, v))
        node_outs = node.outs[:nc]
        for v, c in zip(node_outs, carry):
            ctx.names[v] = c
        ctx.labels.append(name)
        return
    else:  # cond / switch
        branches = [sub[f"branch{k}"] for k in range(len(sub))]
        index = ins[0]
        if type(index) is not Var or index.shape != () or index.dtype.kind not in "biu":
            raise _Unsupported(name)
        n = len(branches[0].inputs)
        ix = ctx.ref(index)
        leaves = [ctx.ref(v) for v in ins[1:1 + n]]
        caps, k0 = [], 1 + n
        for b in branches:
            caps.append([ctx.ref(v) for v in ins[k0:k0 + len(b.captures)]])
            k0 += len(b.captures)
        carry = [ctx.fresh("c") for _ in node.outs]
        last = len(branches) - 1
        for k, b in enumerate(branches):
            if name == "cond":
                test = f"if {ix}:" if k == 1 else "else:"
                if k == 0:
                    continue
            else:
                test = (f"if {ix} <= 0:" if k == 0 else f"elif {ix} == {k}:" if k < last else "else:") \
                    if last else "if True:"
            ctx.lines.append(f"{indent}{test}")
            _assign(ctx, carry, _inline(b, ctx, leaves + caps[k], inner), inner)
        if name == "cond":
            ctx.lines.append(f"{indent}else:")
            _assign(ctx, carry, _inline(branches[0], ctx, leaves + caps[0], inner), inner)
    for v, c in zip(node.outs, carry):
        ctx.names[v] = c
    ctx.labels.append(name)


# -- segments --------------------------------------------------------------------------------
def _index(i, n, axis):
    if i < -n or i >= n:
        raise IndexError("index out of bounds (a traced index in a compiled npflow.jit segment)")
    return i + n if i < 0 else i


def _extreme_rows(x, largest):
    """Each row's max (``largest``) or min; NaN wins, as in NumPy."""
    m, n = x.shape
    out = numpy.empty(m, x.dtype)
    for i in range(m):
        acc = x[i, 0]
        for j in range(1, n):
            v = x[i, j]
            if not (acc != acc) and ((v > acc if largest else v < acc) or v != v):
                acc = v
        out[i] = acc
    return out


def _prod_rows(x, one):
    m, n = x.shape
    out = numpy.full(m, one)
    for i in range(m):
        acc = one
        for j in range(n):
            acc = acc * x[i, j]
        out[i] = acc
    return out


def _truth_rows(x, any_):
    """Each row's any (``any_``: some element nonzero) or all (no element zero)."""
    m, n = x.shape
    out = numpy.full(m, not any_)
    for i in range(m):
        for j in range(n):
            if (x[i, j] != 0) == any_:
                out[i] = any_
                break
    return out


def _arg_extreme_rows(x, largest):
    """Each row's argmax (``largest``) or argmin: the first extreme, or the first NaN, as NumPy."""
    m, n = x.shape
    out = numpy.zeros(m, numpy.intp)
    for i in range(m):
        acc = x[i, 0]
        if acc != acc:
            continue
        for j in range(1, n):
            v = x[i, j]
            if v != v:
                out[i] = j
                break
            if v > acc if largest else v < acc:
                acc = v
                out[i] = j
    return out


def _fancy(idx, n):
    """A flat integer index array, bounds-checked and wrapped as NumPy does."""
    out = numpy.empty(idx.size, numpy.intp)
    for k in range(idx.size):
        i = idx[k]
        if i < -n or i >= n:
            raise IndexError("index out of bounds (an index array in a compiled npflow.jit segment)")
        out[k] = i + n if i < 0 else i
    return out


# the integer ops (numba ufuncs; see _INTEGER): NumPy's results, in numba's promoted type
# (numba's signed arithmetic is "nsw", an overflow undefined to LLVM: what wraps is unsigned)
def _ifloor_divide(a, b):
    if b == 0:
        return a - a
    if b == -1:  # (MIN // -1 wraps to MIN, as NumPy's)
        return numpy.int64(numpy.uint64(0) - numpy.uint64(a))
    return a // b


def _ufloor_divide(a, b):
    if b == 0:
        return a - a
    return a // b


def _iremainder(a, b):
    if b == 0 or b == -1:
        return a - a
    return a % b


def _uremainder(a, b):
    if b == 0:
        return a - a
    return a % b


def _ipower(a, b):
    r = numpy.uint64(1)
    base = numpy.uint64(a)
    e = b
    while e > 0:
        if e & 1:
            r = r * base
        base = base * base
        e = e >> 1
    return numpy.int64(r)


def _ileft_shift(a, b):
    if b < 0 or b >= 64:
        return a - a
    return a << b


def _iright_shift(a, b):
    if b < 0 or b >= 64:
        return a - a - 1 if a < 0 else a - a
    return a >> b


def _uright_shift(a, b):
    if b >= 64:
        return a - a
    return a >> b


_UFUNC_HELPERS = (_ifloor_divide, _ufloor_divide, _iremainder, _uremainder, _ipower, _ileft_shift,
                  _iright_shift, _uright_shift)
_HELPERS = None


def _helpers():
    global _HELPERS
    if _HELPERS is None:
        import numba
        jit = numba.njit(error_model="numpy", cache=cache_dir() is not None)
        _HELPERS = {f.__name__: jit(f) for f in (_index, _extreme_rows, _prod_rows, _truth_rows,
                                                 _arg_extreme_rows, _fancy)}
        vectorize = numba.vectorize(cache=cache_dir() is not None)
        _HELPERS.update((f.__name__, vectorize(f)) for f in _UFUNC_HELPERS)
    return _HELPERS


def cache_dir():
    """Where compiled segments are cached on disk (None: not at all)."""
    d = os.environ.get("NPFLOW_NUMBA_CACHE")
    if d in ("0", ""):
        return None
    if d is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "npflow", "numba")
    return d


_MODULES = {}  # (source, on disk) -> module


def _load(source, disk=True):
    """The module of ``source`` (on disk: a file named by its hash, for numba's cache)."""
    d = cache_dir() if disk else None
    mod = _MODULES.get((source, d is not None))
    if mod is not None:
        return mod
    import numba
    name = "npflow_numba_" + hashlib.sha1(source.encode()).hexdigest()[:24]
    path = None
    if d is not None:
        try:
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name + ".py")
            if not os.path.exists(path):
                fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
                with os.fdopen(fd, "w") as f:
                    f.write(source)
                os.replace(tmp, path)
        except OSError:
            path = None
    g = {"np": numpy, "numba": numba, "_CACHE": path is not None, **_helpers()}
    if path is not None:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        mod.__dict__.update(g)
        sys.modules[name] = mod  # (numba's cache finds a function's module by name)
        spec.loader.exec_module(mod)
    else:
        mod = type(sys)(name)
        mod.__dict__.update(g)
        exec(builtins.compile(source, f"<npflow.jit numba {name}>", "exec"), mod.__dict__)
    _MODULES[(source, path is not None)] = mod
    return mod


class _TypeMismatch(Exception):
    def __init__(self, names):
        self.names = names


def _example(v):
    if type(v) is Var:
        return v.dtype.type(0) if v.shape == () else numpy.empty(v.shape, v.dtype)
    value = v.value
    return value[()] if getattr(value, "ndim", 0) == 0 else value


def _source(ctx):
    args = [a for a, _ in ctx.args]
    outs = "".join(ctx.names[v] + ", " for v in ctx.seg_outs)
    return "\n".join(
        [f"{n} = {src}" for n, src in ctx.globals] +
        ["", "", '@numba.njit(error_model="numpy", cache=_CACHE)',
         f"def segment({', '.join(args)}):"] + ctx.lines + [f"    return ({outs})", ""])


def _compile_segment(ctx, label):
    """The kernel of a segment: a Python function of the segment's operands (backend data)
    returning its outputs' tuple. Raises _TypeMismatch (names of the values numba typed
    otherwise than eager npflow) or numba's error."""
    import numba
    source = _source(ctx)
    sig = tuple(numba.typeof(_example(v)) for _, v in ctx.args)
    for disk in (True, False):
        mod = _load(source, disk)
        fn = mod.segment
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaPerformanceWarning)
            try:
                fn.compile(sig)
            except (ImportError, OSError, EOFError, AttributeError):
                if not disk:  # (an unreadable disk cache entry: compiled again, in memory)
                    raise
                continue
        annotation = getattr(fn.overloads.get(sig), "type_annotation", None)
        typemap = getattr(annotation, "typemap", None)
        marker = mod.__dict__.get("__file__") and mod.__file__ + ".checked"
        if typemap is None:  # (loaded from numba's disk cache: checked when it was written)
            if getattr(mod, "_checked", False) or marker and os.path.exists(marker):
                break
            continue  # (no record of the check: compiled again, in memory)
        bad = [n for n, v in ctx.checks if n in typemap and not _type_ok(typemap[n], v)]
        if bad:
            raise _TypeMismatch(bad)
        mod._checked = True
        if marker:
            try:
                open(marker, "w").close()
            except OSError:
                pass
        break
    return _wrapper(fn, ctx, label)


def _type_ok(t, v):
    from numba.core import types
    from numba.np.numpy_support import from_dtype
    if v == "integer":
        return isinstance(getattr(t, "dtype", t), types.Integer)
    want = from_dtype(v.dtype)
    if v.shape == ():
        return t == want
    return isinstance(t, types.Array) and t.ndim == len(v.shape) and t.dtype == want


def _wrapper(fn, ctx, label):
    """The segment's kernel: 0-d operands as scalars in, 0-d results as 0-d arrays out."""
    params = [f"x{k}" for k in range(len(ctx.args))]
    call = ", ".join(f"x{k}[()]" if _scalar_in(v) else f"x{k}" for k, (_, v) in enumerate(ctx.args))
    g = {"fn": fn, "array": numpy.array}
    rets = []
    for k, v in enumerate(ctx.seg_outs):
        if v.shape == ():
            g[f"d{k}"] = v.dtype
            rets.append(f"array(r[{k}], d{k})")
        else:
            rets.append(f"r[{k}]")
    src = f"def kernel({', '.join(params)}):\n    r = fn({call})\n    return ({''.join(r + ', ' for r in rets)})\n"
    exec(builtins.compile(src, f"<npflow.jit {label}>", "exec"), g)
    kernel = g["kernel"]
    kernel.function = fn
    return kernel


def _replay(seg, args, outs):
    """A segment's nodes as the NumPy replay, called as its compiled kernel is (``args``: the
    kernel's operands, Vars and constants)."""
    from .replay import compile_graph
    pos = [k for k, (_, v) in enumerate(args) if type(v) is Var]
    run = compile_graph(Graph("segment", [args[k][1] for k in pos], list(seg), None, list(outs)))
    return lambda *raws: run(*[raws[k] for k in pos])


def compile(graph, min_ops=1, loops_only=False):
    """``graph`` with its numba-compilable runs of nodes as single compiled nodes (named
    ``numba[op, ...]``, listed in ``graph.numba_segments``; the same nodes where none
    compiles). ``loops_only``: only the loop nodes :func:`small_loop` accepts, each alone."""
    written = fusion._written(graph.nodes)
    excluded = set() if not loops_only else {i for i, node in enumerate(graph.nodes) if not small_loop(node)}
    while True:
        try:
            return _compile(graph, written, excluded, min_ops)
        except _Retry as r:
            excluded |= r.nodes


class _Retry(Exception):
    def __init__(self, nodes):
        self.nodes = nodes


# The largest array (elements) in a loop the default backend compiles: below it a loop of small
# ops is bound by the per-op cost compiling removes; above it NumPy's SIMD kernels are faster
# than numba's loops calling libm's scalar exp, sin, ...
SMALL_LOOP = 4096


def small_loop(node):
    """Whether ``node`` is a loop (while_loop, fori_loop, scan, map) whose bodies' values have
    at most SMALL_LOOP elements each (what the default backend compiles)."""
    if node.name not in ("fori_loop", "while_loop", "scan", "map"):
        return False
    return all(small_body([o for n in g.nodes for o in n.outs] + list(g.inputs)) for g in node.sub.values())


def small_body(values):
    """Whether every Var in ``values`` has at most SMALL_LOOP elements."""
    return all(type(v) is not Var or v.shape is None or fusion.size(v.shape) <= SMALL_LOOP for v in values)


def emits(nodes):
    """Whether every node of ``nodes`` (a loop body being made) has numba source."""
    try:
        ctx = _Ctx(True)
        for node in nodes:
            _emit(node, ctx)
        return True
    except _Unsupported:
        return False


def _ok_alone(node, written):
    if any(o is not None and (o in written or o.root in written or o.root is None and written)
           for o in node.outs):  # (memory some effect writes: NumPy's views and copies exactly)
        return False
    try:
        _emit(node, _Ctx(True))
        return True
    except _Unsupported:
        return False


# numba's compile time grows faster than a function's length: a longer run of compilable nodes
# (an unrolled Python loop) is compiled as several segments of at most this many nodes.
MAX_SEGMENT = 64


def _runs(nodes, written, excluded):
    runs, cur = [], []
    for i, node in enumerate(nodes):
        if len(cur) >= MAX_SEGMENT:
            runs.append(cur)
            cur = []
        if i not in excluded and _ok_alone(node, written):
            cur.append(i)
            continue
        if cur:
            runs.append(cur)
        cur = []
        runs.append(i)
    if cur:
        runs.append(cur)
    return runs


def _compile(graph, written, excluded, min_ops):
    nodes = graph.nodes
    readers = {}
    for i, node in enumerate(nodes):
        for v in node.vars_in():
            readers[v] = i
    outs = {v for v in graph.outs if type(v) is Var}
    new, labels = [], []
    for run in _runs(nodes, written, excluded):
        if type(run) is int:
            new.append(nodes[run])
            continue
        seg = [nodes[i] for i in run]
        end = run[-1]
        produced = [o for node in seg for o in node.outs if o is not None]
        seg_outs = [v for v in dict.fromkeys(produced) if v in outs or readers.get(v, -1) > end]
        if sum(node.name not in _VIEWS for node in seg) < min_ops or not seg_outs:
            new.extend(seg)
            continue
        ctx = _Ctx(True)
        owner = {}
        for i in run:
            k = len(ctx.checks)
            _emit(nodes[i], ctx)
            for name, _ in ctx.checks[k:]:
                owner[name] = i
        ctx.seg_outs = seg_outs
        names = [node.name for node in seg if node.name not in ("alias", "stop_gradient")]
        label = "numba[" + ", ".join(names[:6]) + (f", ... {len(names)} ops" if len(names) > 6 else "") + "]"
        try:
            kernel = fpe.checked(_compile_segment(ctx, label),
                                 lambda seg=seg, args=list(ctx.args), outs=list(seg_outs): _replay(seg, args, outs))
        except _TypeMismatch as e:  # those nodes run as NumPy
            raise _Retry({owner[n] for n in e.names}) from None
        except Exception as e:  # numba cannot type it: each node alone, to find the culprits
            bad = set()
            for i in run if len(run) > 1 else ():
                c1 = _Ctx(True)
                _emit(nodes[i], c1)
                c1.seg_outs = [o for o in nodes[i].outs if o is not None]
                try:
                    _compile_segment(c1, "probe")
                except Exception:
                    bad.add(i)
            raise _Retry(bad or set(run)) from e
        labels.append(label)
        new.append(Node(label, [v for _, v in ctx.args], {}, list(seg_outs), seg[0].kdev,
                        seg[-1].dev, tuple_out=True, kernel=kernel))
    g = Graph(graph.name, graph.inputs, new, graph.out_tree, graph.outs, graph.captures)
    g.numba_segments = labels
    return g
