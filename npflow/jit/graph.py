"""Graphs and the trace that records them.

``GraphTrace`` is an autodiff-style trace (``dispatch.trace_state.stack``): while a jitted
function is traced it sees every op this thread runs through ``dispatch.apply`` (DESIGN
invariant 1) and records it as a :class:`Node` of registry ops with their parameters. The
function runs on its concrete arguments while it is traced (TensorFlow's ``tf.function`` with
example values), so shapes, dtypes, views and errors are eager npflow's by construction; the
graph is what makes later calls fast.

Values are identified by their backend data (``x._data``): a :class:`Var` stands for one
backend array object, whatever npflow wrapper holds it, so index arrays inside ``key=`` and
``out=``/``where=`` parameters are graph values too. Views are recorded as the view ops they
are and in-place writes as effects on the buffer they write, in program order: replaying the
graph reproduces eager npflow's aliasing exactly. Each value knows whether it depends on the
function's arguments (``dyn``): converting such a value to Python (``bool``, ``float``,
``.item()``) or giving it a value-dependent shape raises :class:`ConcretizationError`.
"""
import sys

import numpy

from .._core import dispatch
from .._core.dispatch import root_of

_NP = numpy.ndarray
_GENERIC = numpy.generic


class JitError(TypeError):
    """A program a graph cannot hold (the message names the function and the source line)."""


class ConcretizationError(JitError):
    """A traced value was converted to a Python value (``if x > 0``, ``float(x)``, ``.item()``)."""


class ValueDependentShapeError(JitError, ValueError):
    """An op whose output shape depends on a traced value's contents (``nonzero``, ``x[mask]``)."""


class Var:
    """A value of the graph: one backend array (or a Python value an op returned)."""
    __slots__ = ("n", "shape", "dtype", "device", "dyn", "root", "array", "trace")

    def __init__(self, n, raw, device, trace):
        self.n = n
        self.shape = getattr(raw, "shape", None)
        self.dtype = getattr(raw, "dtype", None)
        self.device = device
        self.dyn = False
        self.root = self  # the Var whose memory this one's is (a view's base); None: outside memory
        self.array = isinstance(raw, (_NP, _GENERIC)) or dispatch.ndarray is not None and \
            device is not None and device.backend.is_array(raw)
        self.trace = trace

    def is_dyn(self):
        return self.dyn or (self.root is not None and self.root.dyn)

    @property
    def name(self):
        n, s = self.n, ""
        while True:
            s = chr(97 + n % 26) + s
            n = n // 26 - 1
            if n < 0:
                return s

    def aval(self):
        if self.shape is None:
            return "py"
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        return self.name


class Const:
    """A value the graph holds: a Python scalar, a captured array (read live at every call,
    as eager code reads it), a generator."""
    __slots__ = ("value", "obj")

    def __init__(self, value, obj=None):
        self.value = value  # what a kernel takes (backend data)
        self.obj = value if obj is None else obj  # what dispatch.apply takes (the npflow array)

    def __repr__(self):
        v = self.value
        if isinstance(v, (_NP, _GENERIC)) and getattr(v, "size", 1) > 4:
            return f"const:{v.dtype}[{','.join(map(str, v.shape))}]"
        text = repr(v)
        return text if len(text) < 40 else text[:37] + "..."


class Node:
    """One op: ``outs = op(*ins, **params)`` on device ``kdev`` (the kernel's), results on ``dev``.
    ``effect``: it writes memory (``inplace`` ops, ``out=``) or draws random numbers, so passes
    keep it and its place. ``fix``: the kernel's result needs wrap's normalisation (a NumPy
    scalar, a view of a scalar). ``sub``: the sub-graphs of a control-flow node."""
    __slots__ = ("op", "ins", "params", "outs", "kdev", "dev", "effect", "fix", "tuple_out",
                 "dyn_params", "sub", "kernel")

    def __init__(self, op, ins, params, outs, kdev, dev, effect=False, fix=False, tuple_out=False,
                 dyn_params=False, sub=None, kernel=None):
        self.op, self.ins, self.params, self.outs = op, ins, params, outs
        self.kdev, self.dev = kdev, dev
        self.effect, self.fix, self.tuple_out = effect, fix, tuple_out
        self.dyn_params, self.sub, self.kernel = dyn_params, sub, kernel

    @property
    def name(self):
        return self.op if isinstance(self.op, str) else self.op.name

    def vars_in(self):
        """The Vars this node reads (operands and parameters)."""
        out = [v for v in self.ins if type(v) is Var]
        if self.dyn_params:
            for v in self.params.values():
                _collect(v, out)
        return out


def _collect(v, out):
    if type(v) is Var:
        out.append(v)
    elif type(v) in (tuple, list):
        for e in v:
            _collect(e, out)


class Graph:
    """A traced function: inputs, nodes in program order, outputs (a pytree of Vars and
    constants). ``str(graph)`` is a listing, one op per line, like a jaxpr."""

    def __init__(self, name, inputs, nodes, out_tree, outs, captures=()):
        self.name = name
        self.inputs = inputs
        self.nodes = nodes
        self.out_tree = out_tree
        self.outs = outs
        self.captures = list(captures)  # (outer Var, inner input Var) of a sub-graph

    def __str__(self):
        return self.listing()

    def __repr__(self):
        return self.listing()

    def listing(self, indent=0):
        pad = " " * indent
        ins = " ".join(f"{v}:{v.aval()}" for v in self.inputs)
        lines = [f"{pad}{{ lambda ; {ins}. let"]
        for node in self.nodes:
            ps = ", ".join(f"{k}={_show(v)}" for k, v in node.params.items())
            head = node.name + (f"[{ps}]" if ps else "")
            args = " ".join(map(_show, node.ins))
            outs = " ".join(f"{v}:{v.aval()}" for v in node.outs if v is not None)
            lhs = f"{outs} = " if outs else ""
            lines.append(f"{pad}    {lhs}{head} {args}".rstrip())
            for label, g in (node.sub or {}).items():
                lines.append(f"{pad}      {label}:")
                lines.append(g.listing(indent + 8))
        lines.append(f"{pad}  in ({', '.join(map(_show, self.outs))},) }}")
        return "\n".join(lines)

    def count(self, name=None):
        """How many nodes (of op ``name``) the graph has, sub-graphs included."""
        n = 0
        for node in self.nodes:
            n += name is None or node.name == name
            for g in (node.sub or {}).values():
                n += g.count(name)
        return n


def _show(v):
    if type(v) in (tuple, list):
        inner = ", ".join(map(_show, v))
        return f"({inner}{',' if len(v) == 1 else ''})" if type(v) is tuple else f"[{inner}]"
    if type(v) is Var or type(v) is Const:
        return repr(v)
    if isinstance(v, (_NP, _GENERIC)):
        return repr(Const(v))
    if callable(v) or hasattr(v, "generator"):
        return type(v).__name__
    text = repr(v)
    return text if len(text) < 40 else text[:37] + "..."


# Ops whose output shape depends on the contents of (some of) their operands: position(s) of
# those operands (None: any).
VALUE_SHAPED = {"nonzero": None, "flatnonzero": None, "argwhere": None, "unique": None,
                "extract": (0,), "compress": (0,), "repeat": (1,), "bincount": None}
_HINT = {"nonzero": "give npflow.nonzero a size= and fill_value=, as in JAX (or use npflow.where(mask, x, y))",
         "flatnonzero": "give npflow.flatnonzero a size= and fill_value=, as in JAX",
         "argwhere": "give npflow.argwhere a size= and fill_value=, as in JAX",
         "unique": "give npflow.unique a size= and fill_value=, as in JAX",
         "getitem": "use npflow.where(mask, x, 0) or write through the mask (x[mask] = v is fine)"}


def user_frame():
    """The first frame outside npflow (the user's line), as ``file:line: source``."""
    f = sys._getframe(1)
    pkg = dispatch._PACKAGE
    while f is not None and f.f_code.co_filename.startswith(pkg):
        f = f.f_back
    if f is None:
        return "<unknown>"
    import linecache
    src = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
    return f"{f.f_code.co_filename}:{f.f_lineno} (in {f.f_code.co_name}): {src}"


class GraphTrace:
    """The trace of a jitted function being traced (one per trace; sub-graphs have their own
    with ``parent`` set, and capture the parent's values they read)."""

    released = False
    runs_rules = False
    watch_accessed = False
    graph = True  # (autodiff.core._process_traces hands such a trace every op)

    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.roots = []
        self.slots = {}  # id(backend data) -> Var (the latest array over it)
        self.objs = {}  # id(npflow array) -> Var
        self.keep = []  # the data objects (their ids stay theirs while the trace lives)
        self.nodes = []
        self.inputs = []
        self.captures = []
        self.n = 0 if parent is None else parent.n + 1000
        self.guards = 0

    def unsafe_effects(self):
        """Whether an effect the graph has so far would be seen twice if the call ran again
        (a write into an argument's or a captured array's memory, a random draw)."""
        for node in self.nodes:
            if not node.effect or node.name == "guard":
                continue
            if node.name.startswith("random."):
                return True
            targets = [node.ins[0]] if node.outs == [None] and node.ins else [
                o for o in node.outs if o is not None]
            for v in targets:
                if type(v) is not Var or v.root is None or v.root in self.inputs:
                    return True
        return False

    # -- values ---------------------------------------------------------------------------
    def new_var(self, raw, device, obj=None, input_=False):
        """A Var for backend data ``raw`` (held by npflow array ``obj``)."""
        v = Var(self.n, raw, device, self)
        self.n += 1
        old = self.slots.get(id(raw))
        if input_ and old is not None:  # the same array twice among the arguments: one value
            return v
        self.slots[id(raw)] = v
        self.keep.append(raw)
        if obj is not None:
            self.objs[id(obj)] = v
            self.keep.append(obj)
        if old is not None:  # the same memory in another array (stop_gradient, alias)
            v.root = old.root
        elif isinstance(raw, _NP):
            r = root_of(raw)
            if r is not raw:
                rv = self.lookup(r, capture=False)
                v.root = rv.root if rv is not None else None
                if rv is None and not isinstance(r, _GENERIC):
                    self.keep.append(r)
        return v

    def add_input(self, raw, device, obj=None):
        v = self.new_var(raw, device, obj, input_=True)
        v.dyn = True
        v.root = v
        self.inputs.append(v)
        return v

    def lookup(self, raw, capture=True):
        v = self.slots.get(id(raw))
        if v is None and type(raw) is _NP and raw.base is not None and not raw.ndim:
            v = self.slots.get(id(raw.base))  # a scalar result: wrap made a 0-d array over it
            if v is not None and v.shape is not None and tuple(v.shape) != ():
                v = None
        if v is None and capture and self.parent is not None:
            outer = self.parent.lookup(raw)
            if outer is not None:  # a value of the enclosing graph: an input of this one
                v = self.add_input(raw, outer.device)
                v.dyn = outer.is_dyn()
                self.inputs.pop()
                self.captures.append((outer, v))
        return v

    def is_traced(self, x):
        """Whether npflow array ``x`` depends on the arguments of a function being traced."""
        t = self
        while t is not None:
            v = t.objs.get(id(x)) or t.lookup(x._data, capture=False)
            if v is not None:
                return v.is_dyn()
            t = t.parent
        return False

    # -- recording ------------------------------------------------------------------------
    def _ref(self, x, kdev, op, operands):
        nd = dispatch.ndarray
        if isinstance(x, nd):
            v = self.objs.get(id(x)) or self.lookup(x._data)
            return v if v is not None else Const(x._data, x)
        if type(x) in dispatch._PASS:
            return Const(x)
        v = self.slots.get(id(x))  # a NumPy array argument
        if v is not None:
            return v
        if op.raw_args or kdev is None:
            return Const(x)
        return Const(dispatch._convert_foreign(op, x, kdev, operands))

    def _param(self, v):
        """(value with Vars for traced data, whether any)."""
        t = type(v)
        if t in dispatch._PASS or t is str:
            return v, False
        if t is tuple or t is list:
            items = [self._param(e) for e in v]
            if not any(d for _, d in items):
                return v, False
            return t(e for e, _ in items), True
        if isinstance(v, dispatch.ndarray):
            v = v._data
        if isinstance(v, _NP) or (getattr(v, "shape", None) is not None and hasattr(v, "dtype")
                                  and not isinstance(v, _GENERIC)):
            var = self.lookup(v)
            if var is not None:
                return var, True
        return v, False

    def process(self, op, operands, entries, params, result, written):
        if op.inplace == "graph":  # autodiff's bookkeeping (the write itself is recorded)
            return
        nd = dispatch.ndarray
        kdev = None
        for x in operands:
            if isinstance(x, nd):
                kdev = x._device
                break
        rs = result if type(result) is tuple else (result,)
        dev = next((r._device for r in rs if isinstance(r, nd)), kdev)
        if kdev is None:
            kdev = dev if dev is not None else dispatch._devices.as_device(None)
        ins = [self._ref(x, kdev, op, operands) for x in operands]
        ps, dyn_params = {}, False
        for k, v in params.items():
            ps[k], d = self._param(v)
            dyn_params = dyn_params or d
        dyn = any(type(v) is Var and v.is_dyn() for v in ins) or dyn_params and any(
            v.is_dyn() for v in Node(op, [], ps, [], kdev, dev, dyn_params=True).vars_in())
        shape_guard = self._check_shapes(op, ins, ps, dyn)
        random = op.name.startswith("random.")
        if random:
            raise JitError(
                f"{op.name[7:]}(): npflow.random draws inside jit({self.root_name()}): a graph "
                f"cannot hold the generator's state (seed, set_state and generators made inside "
                f"the function are invisible to it), so a jitted function does not draw; draw "
                f"outside and pass the numbers in as an argument. At {user_frame()}")
        effect = bool(op.inplace) or params.get("out") is not None or random
        if effect and self.parent is not None:
            targets = [ins[0]] if op.inplace else [self.objs.get(id(r)) for r in rs]
            if any(type(t) is not Var or t.root is None or t.root in self.inputs or
                   any(t.root is inner for _, inner in self.captures) for t in targets):
                raise JitError(
                    f"{op.name}(): inside jit({self.root_name()}) a body of {self.name.split(':')[-1]} "
                    f"writes into an array from outside it (its carry, operands or an enclosing "
                    f"array), which a graph node cannot do (the body is traced once more than eager "
                    f"code runs it); return the new value instead. At {user_frame()}")
        outs = []
        fix = False
        if op.inplace:
            outs = [None]
            target = ins[0]
            if type(target) is Var and dyn:
                (target.root or target).dyn = True
        else:
            raws = rs if op.wraps else ((result,) if type(result) is not tuple else result)
            out_param = params.get("out") is not None
            for r in raws:
                raw = r._data if isinstance(r, nd) else r
                if r is None:
                    outs.append(None)
                    continue
                old = self.objs.get(id(r)) if isinstance(r, nd) else None
                if old is None and (out_param or not isinstance(r, nd)):
                    old = self.slots.get(id(raw))
                if old is not None:  # an out= target, or an op that returned its operand
                    if dyn:
                        (old.root or old).dyn = True
                    outs.append(old)
                    continue
                v = self.new_var(raw, r._device if isinstance(r, nd) else dev,
                                 r if isinstance(r, nd) else None)
                v.dyn = dyn or random
                outs.append(v)
            if op.wraps:
                fix = any(not _plain(r._data if isinstance(r, nd) else r) for r in rs if r is not None)
        node = Node(op, ins, ps, outs, kdev, dev, effect=effect, fix=fix,
                    tuple_out=op.nout > 1 if params.get("out") is not None else
                    type(result) is tuple or (not op.wraps and type(result) is list),
                    dyn_params=dyn_params)
        self.nodes.append(node)
        if shape_guard:
            for v in outs:
                if v is not None and v.shape is not None:
                    self.nodes.append(Node("guard", [v], {"what": "shape"}, [None], v.device,
                                           v.device, effect=True, kernel=_shape_guard(v.shape)))
                    self.guards += 1

    def _check_shapes(self, op, ins, ps, dyn):
        """Raise for an op whose output shape depends on traced values; True: guard its shape."""
        if not dyn:
            return False
        which = VALUE_SHAPED.get(op.name, False)
        bad = False
        if which is not False:
            sel = ins if which is None else [ins[i] for i in which if i < len(ins)]
            bad = any(type(v) is Var and v.is_dyn() and v.shape is not None for v in sel)
        elif op.name == "getitem":
            key = ps.get("key")
            keys = key if type(key) is tuple else (key,)
            bad = any(type(k) is Var and k.is_dyn() and k.dtype is not None and k.dtype.kind == "b"
                      and k.shape != () for k in keys)
        if bad:
            caller = npflow_caller()
            if caller is not None and caller != op.name and "unique" not in caller and \
                    "nonzero" not in caller and caller != "where" and self.parent is None and \
                    not self.unsafe_effects():
                return True  # inside an npflow function: a guard on the output's shape
            hint = _HINT.get(op.name, "the output's shape would depend on the arguments' values")
            raise ValueDependentShapeError(
                f"{op.name}(): inside jit({self.root_name()}) its output's shape depends on the "
                f"values of a traced array, which a graph cannot hold ({hint}). At {user_frame()}")

    def root_name(self):
        t = self
        while t.parent is not None:
            t = t.parent
        return t.name

    def concrete_error(self, x, what):
        return ConcretizationError(
            f"{what} of a traced value ({dispatch.describe(x)}) inside jit({self.root_name()}): "
            f"Python control flow and conversions cannot depend on the values of a jitted "
            f"function's arguments. Use npflow.where, npflow.cond/switch, npflow.while_loop/"
            f"fori_loop, or mark the argument static (static_argnums). At {user_frame()}")


def _plain(raw):
    """Whether a kernel result is what wrap keeps as it is (no normalisation needed)."""
    if type(raw) is not _NP:
        return False
    return raw.ndim or not isinstance(raw.base, _GENERIC)  # (a 0-d array over a NumPy scalar
    # stands for the scalar the kernel returned)


def active_trace():
    """This thread's innermost graph trace, or None."""
    for t in reversed(dispatch.trace_state.stack):
        if getattr(t, "graph", False):
            return t
    return None


class GuardFailure(Exception):
    """A value an npflow function converted to Python while it was traced differs now."""


_SKIP = ("_core/ndarray.py", "_core/dispatch.py", "autodiff/core.py", "/jit/graph.py",
         "_numpy/interop.py",  # (Function.__call__: a public function in the pure-Python build)
         "/jit/__init__.py")


def npflow_caller():
    """The npflow function the user's code called, where the current op or conversion happens
    inside it (its code name), or None where the user's code made it itself (``x[mask]``,
    ``bool(x)``, ``np.nonzero(x)`` all give None or the op's own function)."""
    pkg = dispatch._PACKAGE
    f = sys._getframe(1)
    last = None
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(pkg):
            return last
        if not name.endswith(_SKIP):
            last = f.f_code.co_name
        f = f.f_back
    return last


def _shape_guard(shape):
    def guard(x, **_):
        if x.shape != shape:
            raise GuardFailure("shape")
    return guard


def _guard_kernel(what, expected):
    """The kernel of a guard: raises GuardFailure unless the value converts as it did."""
    if what == "bool()":
        def guard(x, **_):
            if bool(x) != expected:
                raise GuardFailure(what)
    else:
        def guard(x, **_):
            if not numpy.array_equal(x, expected, equal_nan=x.dtype.kind in "fc"):
                raise GuardFailure(what)
    return guard


def check_concrete(x, what):
    """ndarray's conversions call this (through ``dispatch.concrete_check``) while a graph is
    traced: a traced value cannot become a Python value. Where npflow's own code converts it
    (a composite checking its input, a shape computed from data), the graph records a *guard*
    instead: the value must convert the same way at every call, or the call traces again."""
    for t in dispatch.trace_state.stack:
        if getattr(t, "graph", False) and t.is_traced(x):
            inner = active_trace()
            if inner.parent is None and npflow_caller() is not None and not inner.unsafe_effects():
                v = inner.lookup(x._data)
                expected = bool(x._data) if what == "bool()" else numpy.array(x._data, copy=True)
                inner.nodes.append(Node("guard", [v], {"what": what}, [None], v.device, v.device,
                                        effect=True, kernel=_guard_kernel(what, expected)))
                inner.guards += 1
                return
            raise t.concrete_error(x, what)
