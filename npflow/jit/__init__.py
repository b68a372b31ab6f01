"""``npflow.jit``: trace a function into a graph of registry ops, and run the graph.

``jit(fun)`` returns a function that, on the first call with a new *signature*, runs ``fun``
eagerly while a :class:`~npflow.jit.graph.GraphTrace` records every op it makes through
``dispatch.apply`` (the result of that call is eager npflow's own), and keeps the graph;
later calls with the same signature run the graph (see ``npflow/jit/replay.py``).

The signature is the arguments' pytree structure, each array leaf's type, shape, dtype,
and device (npflow arrays and NumPy arrays are the traced inputs), and the value of
every other leaf (Python scalars and other hashable values, which are static: a new value
traces again), plus the static arguments' values. ``f.trace_count`` counts the traces.
"""
import functools
import gc
import os
import warnings

from .._core import dispatch
from ..autodiff import core as _core
from ..autodiff.pytree import flatten, unflatten
from . import graph as _graph
from .graph import Graph, GraphTrace, Var, Const, JitError, ConcretizationError, \
    ValueDependentShapeError
from .replay import compile_graph, interpret
from . import cupy_backend as _cupy_backend

__all__ = ["jit", "Graph", "JitError", "ConcretizationError", "ValueDependentShapeError"]

_NP = _graph._NP
_nd = None  # npflow.ndarray (bound on first use: jit is imported before ndarray is complete)
_users = 0


def _enter(trace):
    global _users
    _core._activate(trace)
    _users += 1
    dispatch.concrete_check = _graph.check_concrete


def _exit(trace):
    global _users
    _core._deactivate(trace)
    _users -= 1
    if _users == 0:
        dispatch.concrete_check = None
    trace.released = True


_ENV = getattr(os.environ, "_data", None)  # (os.environ's own dict: read at every call, fast)
_KEY = os.environ.encodekey("NPFLOW_DISABLE_JIT") if _ENV is not None else None


def disabled():
    """Whether ``NPFLOW_DISABLE_JIT`` is set (jitted functions then run eagerly)."""
    if _ENV is not None:
        v = _ENV.get(_KEY)
        return v is not None and v not in (b"", b"0", "", "0")
    return os.environ.get("NPFLOW_DISABLE_JIT", "") not in ("", "0")


class _Static:
    """Stands for a static argument in the traced pytree."""
    __slots__ = ()


_STATIC = _Static()


class Compiled:
    """One traced signature: its graph, the compiled runner and how to rebuild the outputs."""

    def __init__(self, graph, optimize=True, backend=None):
        self.graph = graph
        if optimize:
            from .passes import optimize as _optimize
            _optimize(graph)
        self.fast = graph  # what the compiled replay runs (elementwise chains fused by numba)
        if backend == "numba":  # (fused large chains, then the rest compiled in segments)
            from . import numba_backend, numba_graph
            self.fast = numba_graph.compile(numba_backend.fuse(graph, force=True))
        cuda = backend is None and _cupy_backend.on_cuda(graph)
        if backend is None and not cuda and optimize and numba_installed():
            self.fast = _compile_loops(graph)
        if cuda:  # fused kernels, CUDA graphs
            self.fast, self.run = _cupy_backend.prepare(graph, compile_graph)
        else:
            self.run = compile_graph(self.fast)
        inputs = {v: i for i, v in enumerate(graph.inputs)}
        self.outs = []  # per output: ("in", input index) | ("var", device, is array) | ("const", value)
        k = 0
        for v in graph.outs:
            if type(v) is Var and v in inputs:
                self.outs.append((0, inputs[v], None))
            elif type(v) is Var:
                self.outs.append((1, v.device, v.array))
            else:
                self.outs.append((2, v.obj, None))
            k += 1
        self.single = graph.out_tree is None and len(self.outs) == 1 and self.outs[0][0] == 1 and \
            self.outs[0][2]

    def __call__(self, leaves, raws):
        results = self.run(*raws)
        if self.single:  # one array out (the common case)
            r = results[0]
            if type(r) is _NP and r.base is None:
                o = dispatch._new(_nd)
                o._data = r
                o._device = self.outs[0][1]
                o._ad = None
                return o
            return dispatch.wrap(r, self.outs[0][1])
        wrap = dispatch.wrap
        out = []
        for (kind, a, b), r in zip(self.outs, results):
            if kind == 1:
                if b and type(r) is _NP and r.base is None:  # (wrap's common case, inline)
                    o = dispatch._new(_nd)
                    o._data = r
                    o._device = a
                    o._ad = None
                    out.append(o)
                else:
                    out.append(wrap(r, a) if b else r)
            elif kind == 0:
                out.append(leaves[a])
            else:
                out.append(a)
        return unflatten(self.graph.out_tree, out)

    def interpret(self, leaves):
        return unflatten(self.graph.out_tree, interpret(self.graph, leaves))


_NUMBA = []


def numba_installed():
    """Whether numba can be imported (looked up once; not imported here)."""
    if not _NUMBA:
        import importlib.util
        _NUMBA.append(importlib.util.find_spec("numba") is not None)
    return _NUMBA[0]


def _compile_loops(graph):
    """The default backend's CPU graph where numba is installed: unrolled Python loops of small
    ops rolled into scan nodes (``reroll.py``), then each loop of small ops (those and
    ``fori_loop``/``while_loop``/``scan`` nodes) compiled by numba; the rest replays NumPy's
    kernels."""
    from . import numba_graph
    from .reroll import reroll
    reroll(graph, accept=lambda nodes: numba_graph.small_body([o for n in nodes for o in n.outs])
           and numba_graph.emits(nodes))
    if not any(numba_graph.small_loop(node) for node in graph.nodes):
        return graph
    return numba_graph.compile(graph, loops_only=True)


class jit:
    """``jit(fun, static_argnums=(), static_argnames=(), donate_argnums=(), backend=None)``:
    ``fun`` traced into a graph per input signature and run as that graph (JAX's ``jax.jit``).

    >>> import npflow as np
    >>> @np.jit
    ... def f(x, y):
    ...     return np.exp(-x * x) * y + np.sin(x)
    >>> f(np.zeros(3), np.ones(3))
    array([1., 1., 1.])
    >>> f.trace_count
    1
    """

    def __init__(self, fun=None, static_argnums=(), static_argnames=(), donate_argnums=(),
                 backend=None, optimize=True):
        if fun is None:  # @jit(static_argnums=...)
            raise TypeError("jit() needs the function: jit(fun, ...) or "
                            "functools.partial(jit, static_argnums=...)")
        if not callable(fun):
            raise TypeError(f"jit(): expected a callable, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        self.static_argnames = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        self.donate_argnums = donate_argnums  # accepted (JAX's); buffers are never donated
        if backend not in (None, "replay", "numpy", "numba"):
            raise ValueError(f"jit(): unknown backend {backend!r} (None, 'replay' or 'numba')")
        self.backend = backend
        self.optimize = optimize
        self.cache = {}
        self.trace_count = 0
        self._name = getattr(fun, "__name__", type(fun).__name__)

    def __get__(self, obj, objtype=None):  # a jitted method
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<npflow.jit of {self._name}>"

    def _backend(self):
        """The backend in force: ``NPFLOW_JIT_BACKEND`` (``replay`` or ``numba``) over the one
        given; None: the default (NumPy's kernels replayed, loops of small ops compiled by
        numba where it is installed: see ``_compile_loops``)."""
        env = os.environ.get("NPFLOW_JIT_BACKEND") or self.backend
        return {"numpy": "replay"}.get(env, env)

    def clear_cache(self):
        """Forget every traced signature (the next call traces again)."""
        self.cache.clear()

    # -- the signature -----------------------------------------------------------------------
    def _split(self, args, kwargs):
        """(key, dynamic leaves, their backend data)."""
        nd = dispatch.ndarray
        if not kwargs and not self.static_argnums:  # the common case: npflow arrays only
            key, raws = [len(args)], []
            for x in args:
                if type(x) is not nd:
                    break
                d = x._data
                key.append((d.shape, d.dtype, x._device, not d.ndim and dispatch.is_scalar(d)))
                raws.append(d)
            else:
                if len(raws) > 1 and len(set(map(id, raws))) < len(raws):  # an array passed twice
                    first = {}
                    key.append(tuple(first.setdefault(id(r), k) for k, r in enumerate(raws)))
                return tuple(key), list(args), raws
        statics = ()
        if self.static_argnums or self.static_argnames:
            n = len(args)
            nums = {i if i >= 0 else i + n for i in self.static_argnums}
            statics = tuple((i, _hashable(args[i], self._name)) for i in sorted(nums) if i < n) + \
                tuple((k, _hashable(kwargs[k], self._name)) for k in self.static_argnames if k in kwargs)
            args = tuple(_STATIC if i in nums else a for i, a in enumerate(args))
            kwargs = {k: (_STATIC if k in self.static_argnames else v) for k, v in kwargs.items()}
        leaves, tree = flatten((args, kwargs) if kwargs else args)
        nd = dispatch.ndarray
        key = [tree, statics, bool(kwargs), None]
        dyn, raws = [], []
        for x in leaves:
            t = type(x)
            if t is nd or isinstance(x, nd):
                d = x._data
                key.append((t, d.shape, d.dtype, x._device, not d.ndim and dispatch.is_scalar(d)))
                dyn.append(x)
                raws.append(d)
            elif t is _NP:
                key.append((t, x.shape, x.dtype))
                dyn.append(x)
                raws.append(x)
            elif x is _STATIC:
                key.append(None)
            else:
                key.append((t, _hashable(x, self._name)))
        if len(raws) > 1 and len(set(map(id, raws))) < len(raws):  # an array passed twice
            first = {}
            key.append(tuple(first.setdefault(id(r), k) for k, r in enumerate(raws)))
        return tuple(key), dyn, raws

    # -- calls ---------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if disabled() or dispatch.trace_state.stack and _graph.active_trace() is not None:
            return self.fun(*args, **kwargs)  # (inside another trace: inlined)
        global _nd
        _nd = dispatch.ndarray
        key, dyn, raws = self._split(args, kwargs)
        if dispatch.recorders or dispatch.tracing and (
                dispatch.trace_state.stack or any(isinstance(x, dispatch.ndarray) and x._ad for x in dyn)):
            # autodiff around the call: its tapes see every op (interpret), and the graph is
            # one traced under them (npflow's code may record differently when differentiated)
            interp = True
            key = key + (tuple(isinstance(x, dispatch.ndarray) and bool(x._ad) for x in dyn),)
        else:
            interp = False
        entries = self.cache.get(key)
        if entries is not None:
            for entry in entries:
                try:
                    # autodiff around the call: its tapes see every op (interpret)
                    return entry.interpret(dyn) if interp else entry(dyn, raws)
                except _graph.GuardFailure:
                    continue  # (a value npflow's code branched on differs: another variant)
        return self._trace(key, args, kwargs, dyn, raws)[1]

    def trace(self, *args, **kwargs):
        """The graph for these arguments' signature (traced now if it is not cached)."""
        key, dyn, raws = self._split(args, kwargs)
        entries = self.cache.get(key)
        if entries:
            return entries[0].graph
        return self._trace(key, args, kwargs, dyn, raws)[0].graph

    def _trace(self, key, args, kwargs, dyn, raws):
        trace = GraphTrace(self._name)
        for x, r in zip(dyn, raws):
            nd = isinstance(x, dispatch.ndarray)
            trace.add_input(r, x._device if nd else None, x if nd else None)
        _enter(trace)
        collect = gc.isenabled()  # (a trace keeps every value alive: no cycles to look for)
        gc.disable()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = self.fun(*args, **kwargs)
        except BaseException:
            if collect:
                gc.enable()
            raise
        finally:
            _exit(trace)
        for w in caught:  # (issued again as eager code issues them: at the caller's line)
            dispatch.warn_at_caller(w.message, w.category)
        leaves, out_tree = flatten(out)
        outs = [_out_ref(trace, x) for x in leaves]
        graph = Graph(self._name, trace.inputs, trace.nodes, out_tree, outs)
        trace.keep = trace.slots = trace.objs = None  # (the call's values: not kept by the graph)
        try:
            entry = Compiled(graph, optimize=self.optimize, backend=self._backend())
        finally:
            if collect:
                gc.enable()
        if caught:  # NumPy's warnings in its kernels: at the caller's line, as eager npflow's
            entry.run = dispatch.reissuing_warnings(entry.run)
            entry.interpret = dispatch.reissuing_warnings(entry.interpret)
        self.cache.setdefault(key, []).append(entry)
        self.trace_count += 1
        return entry, out


def _out_ref(trace, x):
    nd = dispatch.ndarray
    if isinstance(x, nd):
        v = trace.objs.get(id(x)) or trace.lookup(x._data)
        return v if v is not None else Const(x._data, x)
    if type(x) is _NP:
        v = trace.slots.get(id(x))
        if v is not None:
            return v
    return Const(x)


def _hashable(v, name):
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"jit({name}): an argument of type {type(v).__name__} is neither an array "
                        f"nor hashable, so it can be neither traced nor static; pass arrays, "
                        f"scalars, or hashable values (or pytrees of them)") from None
    return v
