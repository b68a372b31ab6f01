"""The autodiff engine: traces, the dispatch hook, tape nodes, tangents.

A *trace* is either a :class:`Recorder` (reverse mode: it records a node per
op) or a :class:`Tangents` trace (forward mode: it carries a tangent per array).
Active traces form a per-thread stack, outermost first. While any trace is
active anywhere, ``dispatch.apply`` calls :func:`on_apply` after each op of a
thread that traces, and after each op on an array carrying entries in any
thread: an op on an array a trace tracks goes to that trace whichever thread
runs it (``dispatch.stacks`` holds every thread's stack; DESIGN invariant 9).

An array tracked by a trace carries an entry in its ``_ad`` dict:
``_ad[trace] = (payload, index, root_version, n)``: the node (and output index)
or the tangent, plus the version of its memory when the entry was made. Using
an array whose memory was written since (through another view) raises, so a
gradient is never computed from a graph that no longer matches the values.

Nesting follows JAX: traces process an op outermost first, and while a trace's
rule runs only the traces *outside* it stay active, so outer traces
differentiate inner rules (higher order, no perturbation confusion) and never
the other way round.
"""
import contextlib
import gc
import threading
import weakref


from .._core import dispatch
from .._core.dispatch import track_root, untrack_root, root_of
from .._core.registry import REGISTRY, Op

_fastpath = dispatch._fastpath  # the optional C accelerator: a recorder for the common case
_VIEW = "view"  # key in ``_ad`` of a view a write may go through: (base, key, its rebase op)
_INEXACT = frozenset("fc")


class AutodiffError(RuntimeError):
    """A gradient that cannot be computed correctly (never a silently wrong one)."""


_state = dispatch.trace_state  # this thread's active traces (dispatch owns it: the fast paths read it)
# Whoever assigns _state.stack anew (not append/remove) says so: the C accelerator caches it.
_stack_changed = _fastpath.stack_changed if _fastpath is not None else (lambda: None)
_lock = threading.RLock()  # re-entrant: a finalizer (a tape freed by the GC) may run while held
_active = 0


def _hook(delta):
    """Count users of the dispatch hook (any thread); it is installed while there are any.
    While any trace is active, the cyclic GC's first threshold is raised (see _gc_hold)."""
    global _active
    with _lock:
        _active += delta
        dispatch.trace_hook = on_apply
        dispatch.overwrites_needed = overwrites_needed
        if delta > 0:
            dispatch.tracing.append(None)
        elif dispatch.tracing:
            dispatch.tracing.pop()
        _gc_hold(delta)


# A recorded tape allocates a few containers per op that live until its backward pass (or its
# release) frees them by reference counting; with Python's default first threshold the cyclic
# GC traverses them again and again (about 8% of a gradient of many tiny ops). While traces are
# active the threshold is raised; cyclic garbage made meanwhile is still collected, less often.
_GC_RELAXED = 20000
_gc_saved = None
_gc_users = 0  # active traces, and gradient calls between recording and release


def _gc_hold(delta):
    """(The caller holds _lock.) The first user relaxes the GC, the last one restores it."""
    global _gc_users
    _gc_users += delta
    if delta > 0 and _gc_users == 1:
        _relax_gc()
    elif _gc_users == 0:
        _restore_gc()


def hold_gc(delta):
    """A transform's call keeps the GC relaxed through its backward pass, not just recording."""
    with _lock:
        _gc_hold(delta)


def _relax_gc():
    global _gc_saved
    t = gc.get_threshold()
    if 0 < t[0] < _GC_RELAXED:
        _gc_saved = t
        gc.set_threshold(_GC_RELAXED, *t[1:])


def _restore_gc():
    global _gc_saved
    if _gc_saved is not None:
        if gc.get_threshold()[0] == _GC_RELAXED:  # (unless changed meanwhile)
            gc.set_threshold(*_gc_saved)
        _gc_saved = None


_stacks = dispatch.stacks  # every thread's active traces, by thread id (see _register)


def _register(stack):
    """``stack`` is now this thread's active traces: other threads' ops on arrays they track
    find them here (DESIGN invariant 9: a trace owns its arrays, not its thread)."""
    if stack:
        _stacks[threading.get_ident()] = stack
    else:
        _stacks.pop(threading.get_ident(), None)


def _activate(trace):
    stack = _state.stack
    stack.append(trace)
    if len(stack) == 1:
        _register(stack)
    _hook(1)


def _deactivate(trace):
    stack = _state.stack
    if stack and stack[-1] is trace:  # (the innermost: the common case)
        stack.pop()
    else:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is trace:
                del stack[i]
                break
        else:
            return
    if not stack:
        _register(stack)
    _hook(-1)


_NONE = frozenset()


class only:
    """``with only(traces):`` runs the block with just these traces active (this thread).
    The traces need not be active already (a backward pass may record on a fresh one).
    The traces it pauses (``paused``, by default this thread's others) stay paused for this
    thread even where another thread has them active: a rule runs outside its own trace."""

    __slots__ = ("traces", "paused", "saved", "saved_paused")

    def __init__(self, traces, paused=None):
        self.traces = traces
        self.paused = paused

    def __enter__(self):
        self.saved = _state.stack
        self.saved_paused = getattr(_state, "paused", _NONE)
        paused = self.saved if self.paused is None else self.paused
        if paused:
            _state.paused = self.saved_paused.union([t for t in paused if t not in self.traces])
        _state.stack = stack = list(self.traces)
        _stack_changed()
        _register(stack)
        if self.traces:
            _hook(1)

    def __exit__(self, *exc):
        _state.stack = self.saved
        _state.paused = self.saved_paused
        _stack_changed()
        _register(self.saved)
        if self.traces:
            _hook(-1)
        return False


def outer_than(trace):
    """The active traces outside ``trace`` (all of them if it is not active)."""
    stack = _state.stack
    for i, t in enumerate(stack):
        if t is trace:
            return stack[:i]
    return list(stack)


def is_inexact(dtype):
    return dtype.kind in _INEXACT


def entry_of(x, trace):
    ad = getattr(x, "_ad", None)
    return None if ad is None else ad.get(trace)


def check_fresh(x, entry, opname, expected_writes=0):
    """``x``'s memory was written exactly ``expected_writes`` times since its entry was made."""
    v = entry[2]
    if v.n != entry[3] + expected_writes:
        raise AutodiffError(
            f"{opname}(): an array being differentiated ({dispatch.describe(x)}) was written in "
            f"place after it was recorded (through another view of the same memory, or by an "
            f"earlier in-place operation), so its recorded history no longer matches its "
            f"values; compute it out of place (e.g. with npflow.where or a copy)")


# Threads share the version counters, and may share arrays (one watched by tapes in two
# threads): both are changed under ``_lock``.

def _track(x, trace):
    """The version counter of ``x``'s memory, held until ``trace`` is released."""
    with _lock:
        v = track_root(x._data)
        if trace.released:  # (another thread's late op: see _release_roots)
            untrack_root(v)
        else:
            trace.roots.append(v)
    return v


def _release_roots(trace):
    """``trace`` is released: its version counters go; another thread's op recording on it
    meanwhile (it gathered the trace just before) tracks nothing more (see _track)."""
    with _lock:
        trace.released = True
        roots, trace.roots = trace.roots, []
        _untrack(roots)


def _untrack(roots):
    with _lock:
        if _fastpath is not None:
            _fastpath.untrack(dispatch.versions, roots)
        else:
            for v in roots:
                untrack_root(v)


def set_entry(x, trace, payload, index):
    """Record ``x`` as tracked by ``trace``; its memory version is taken now."""
    with _lock:
        v = track_root(x._data)
        ad = x._ad
        if ad is None:
            ad = x._ad = {}
        elif ad:  # drop finished traces' entries, so a long-lived array does not keep them all
            for k in list(ad):
                if k is not _VIEW and k.released:
                    ad.pop(k, None)
        ad[trace] = (payload, index, v, v.n)
        if trace.released:  # (another thread's late op: see _release_roots)
            untrack_root(v)
        else:
            trace.roots.append(v)


# -- the hook ----------------------------------------------------------------------------

def on_apply(op, operands, params, result):
    stack = _state.stack
    if len(_stacks) > (1 if stack else 0):  # other threads trace: an op on their arrays is theirs
        written = _written(op, params, result, operands)
        stack = _with_other_threads(stack, operands, written)
        if stack:
            _process_traces(stack, 0, op, operands, params, result, written)
        return
    if not stack:
        return
    if len(stack) == 1 and not op.inplace and type(result) is dispatch.ndarray \
            and params.get("out") is None:
        # (dispatch.traced gave the C accelerator's paths their try first)
        if type(stack[0]) is Recorder and stack[0].record_simple(op, operands, params, result):
            return
    _process_traces(stack, 0, op, operands, params, result, _written(op, params, result, operands))


def _with_other_threads(stack, operands, written):
    """This thread's traces, after the other threads' active traces that track an array the op
    reads or writes (in their threads' order, outermost first): whichever thread runs an op
    on a tracked array, its trace records it (DESIGN invariant 9)."""
    nd = dispatch.ndarray
    ads = [x._ad for x in (*operands, *written) if isinstance(x, nd) and x._ad]
    # (a tape watching accessed variables watches one an op of any thread reads)
    variables = any(type(x) is not nd and isinstance(x, nd) for x in operands)
    if not ads and not variables:
        return stack
    me = threading.get_ident()
    paused = getattr(_state, "paused", _NONE)  # (the traces whose rules this thread is running)
    extra = []
    for k, s in list(_stacks.items()):
        if k == me:
            continue
        for t in list(s):
            if not t.released and t not in stack and t not in extra and t not in paused and \
                    (any(t in ad for ad in ads) or variables and t.watch_accessed):
                extra.append(t)
    return extra + stack if extra else stack


def stack_for(arrays):
    """The active traces a function of ``arrays`` answers to in this thread (on_apply's): this
    thread's, after the other threads' that track one of them."""
    stack = _state.stack
    if len(_stacks) > (1 if stack else 0):
        return _with_other_threads(stack, arrays, ())
    return stack


def _written(op, params, result, operands):
    """The arrays ``op`` wrote into: an in-place op's first operand, ``out=``'s results."""
    if op.inplace:
        return (operands[0],)
    if params.get("out") is not None:
        return result if type(result) is tuple else (result,)
    return ()


def trace_from(i, op, operands, params, result):
    """on_apply's loop from trace ``i`` on: the C accelerator handled the traces before ``i``
    and hands over the first one it declines."""
    _process_traces(_state.stack, i, op, operands, params, result,
                    _written(op, params, result, operands))


def _process_traces(stack, start, op, operands, params, result, written):
    nd = dispatch.ndarray
    tracked = start > 0  # (after traces the C accelerator handled; harmless if none was tracked)
    # Outermost first, as JAX: an outer trace must have tagged the op's output before an
    # inner trace's rule reads it (the rule's own ops are then seen by the outer trace).
    for i in range(start, len(stack)):
        trace = stack[i]
        if trace.graph:  # npflow.jit's trace: every op, in program order (npflow/jit/graph.py)
            trace.process(op, operands, None, params, result, written)
            continue
        if trace.watch_accessed:
            for x in operands[1:] if op.inplace else operands:  # (what an op writes, it does not read)
                if type(x) is not nd and isinstance(x, nd):
                    trace.accessed(x)
        entries = [x._ad.get(trace) if isinstance(x, nd) and x._ad is not None else None
                   for x in operands]
        if entries.count(None) == len(entries):
            for w in written:  # an untracked write over a tracked array makes it a constant
                if isinstance(w, nd) and w._ad is not None:
                    w._ad.pop(trace, None)
            continue
        tracked = True
        if any(w is not None and not isinstance(w, nd) for w in written):
            raise AutodiffError(
                f"{op.name}(): out= is a NumPy array, but the operands include an array being "
                f"differentiated ({', '.join(dispatch.describe(x) for x, e in zip(operands, entries) if e)}): "
                f"its derivative would be lost there; give an npflow array as out=")
        for x, e in zip(operands, entries):
            if e is not None and e[2].n != e[3] + (_writes_seen(op, x, operands, written)
                                                   if written or op.inplace else 0):
                check_fresh(x, e, op.name, _writes_seen(op, x, operands, written))  # raises
        if trace.runs_rules:
            with only(stack[:i], stack[i:]):
                trace.process(op, operands, entries, params, result, written)
        else:
            trace.process(op, operands, entries, params, result, written)
    if tracked:
        _after_write(op, operands, params, result, written, stack)


def _writes_seen(op, x, operands, written):
    """How many writes to ``x``'s memory this op accounts for (``apply`` bumped them already)."""
    if op.inplace == "graph":  # a rebase: the base's memory was written through its view, once
        return 1 if x is operands[0] else 0
    if not written:
        return 0
    r = root_of(x._data)
    return 1 if any(w is not None and root_of(w._data) is r for w in written) else 0


def _after_write(op, operands, params, result, written, stack):
    nd = dispatch.ndarray
    r = result  # a view a later write may go through: link it to its base
    if not written and not op.inplace and isinstance(r, nd) and r._ad is not None and operands \
            and isinstance(operands[0], nd) and root_of(r._data) is root_of(operands[0]._data):
        if op.name == "getitem":
            r._ad[_VIEW] = (operands[0], params["key"], REBASE)
        elif op.name in _PARTS and operands[0]._data.dtype.kind == "c":
            r._ad[_VIEW] = (operands[0], op.name, REBASE_PART)
        elif len(operands) == 1 and op.name != "alias":  # reshape, transpose, diagonal, ...: a selection
            r._ad[_VIEW] = (operands[0], _ViewOf(op, params), REBASE_VIEW)
    for w in written:
        if not isinstance(w, nd) or w._ad is None:
            continue
        link = w._ad.get(_VIEW)
        if link is not None:  # a write through an indexing or part view: the base's history too
            # (a rebase is itself a write into the base: a view of a view updates its base, ...)
            base, key, rebase = link
            dispatch.apply(rebase, base, w, key=key)
        elif root_of(w._data) is not w._data and any(t in w._ad for t in stack):
            raise AutodiffError(
                f"{op.name}(): in-place write into a view ({dispatch.describe(w)}) of an array being "
                f"differentiated, made by an operation that cannot map the write back to its base; "
                f"write into a copy")


def _rebase_kernel(xp):
    def rebase(base, view, *, key):
        return None
    return rebase


def _graph_op(name):
    """A rebase op: the base's memory was written through a view already (the kernel does
    nothing); the graph records the base's new value as a functional update of the old."""
    op = REGISTRY.get(name)
    if op is None:
        from .._core.registry import register
        op = register(Op(name, _rebase_kernel, wraps=False, inplace="graph"))
    return op


REBASE = _graph_op("setitem.rebase")      # base[key] = view's values (rules: _ops/array_ops.py)
REBASE_PART = _graph_op("part.rebase")    # base.real or base.imag (key) = view's (_ops/math.py)
REBASE_VIEW = _graph_op("view.rebase")    # base's elements that view-op ``key`` selects = view's


class _ViewOf:
    """``V(base)``: the view-making op (reshape, transpose, diagonal, ...) with its parameters.
    A view selects elements of its base, each once, so with ``VT`` its transpose (scatter)
    ``V(VT(y)) == y`` and a write through the view makes the base ``base - VT(V(base)) + VT(view)``."""
    __slots__ = ("op", "params")

    def __init__(self, op, params):
        self.op, self.params = op, {k: v for k, v in params.items() if k != "out"}

    def __call__(self, x):
        return dispatch.apply(self.op, x, **self.params)

    def T(self, y, base):
        from .transforms import vjp
        return vjp(self, _np().zeros(base.shape, dtype=base.dtype, device=base.device))[1](y)[0]
_PARTS = ("real", "imag")


# -- reverse mode ------------------------------------------------------------------------

class Meta:
    """What a rule may read of an operand it needs only the shape of."""

    __slots__ = ("shape", "dtype", "device", "ndim", "size")

    def __init__(self, x):
        self.shape = x.shape
        self.dtype = x.dtype
        self.device = x.device
        self.ndim = len(x.shape)
        self.size = x.size


class Node:
    """One recorded op: its rule inputs, its parents, and the values its rules need.
    A parent is the entry ``(node, output index, ...)`` of an operand; ``checks`` holds
    ``(array, version counter, count)`` for each saved value."""

    __slots__ = ("op", "params", "parents", "saved", "ans", "meta", "checks", "custom", "nout")

    def __init__(self, op, params, parents, saved, ans, meta, checks, custom=None, nout=1):
        self.op = op
        self.params = params
        self.parents = parents
        self.saved = saved
        self.ans = ans
        self.meta = meta
        self.checks = checks
        self.custom = custom
        self.nout = nout

    def release(self):
        self.parents = self.saved = self.ans = self.checks = self.custom = None


if _fastpath is not None:
    Node = _fastpath.Node  # the same fields and release(), built by the C recorder too


def _saved_value(x, checks, trace):
    """``x`` kept for the backward pass, with its memory version to check then."""
    if isinstance(x, dispatch.ndarray):
        v = _track(x, trace)
        checks.append((x, v, v.n))
    return x


def save_checks(xs, trace):
    """The version checks of the arrays among ``xs``, for values read again later."""
    checks = []
    for x in xs:
        _saved_value(x, checks, trace)
    return checks


class Recorder:
    """A reverse-mode trace: records nodes; ``backward`` runs the rules in reverse."""

    # (slots: the C recorder reads nodes and roots at their offsets on every op)
    __slots__ = ("nodes", "roots", "__dict__", "__weakref__")

    released = False  # set by release(): what it recorded is gone
    graph = False  # (npflow.jit's GraphTrace: True)
    runs_rules = False  # recording runs no npflow ops (so needs no trace switching)
    # True (GradientTape's watch_accessed_variables): a trainable floating-point array of an
    # ndarray subclass with a true ``trainable`` (npflow.Variable) is watched when an op reads it
    watch_accessed = False

    def __init__(self, persistent=False, name="GradientTape"):
        self.nodes = []
        self.roots = []
        self.watched = []  # weak references to the subclass arrays (Variables) watch() began to track
        self.persistent = persistent
        self.name = name
        self.used = False

    # recording ---------------------------------------------------------------------
    def watch(self, x):
        if _fastpath is not None and _fastpath.watch(self, x):
            return  # (the C accelerator: the same steps for an array no trace tracks yet)
        if not isinstance(x, dispatch.ndarray):
            raise TypeError(f"{self.name}.watch(): expected an npflow.ndarray, got {type(x).__name__}")
        if not is_inexact(x.dtype):
            raise TypeError(f"{self.name}.watch(): only floating-point and complex arrays can be "
                            f"differentiated, got {dispatch.describe(x)}")
        if entry_of(x, self) is None:
            node = Node(None, None, (), (), None, ((x.shape, x.dtype),), [])
            self.nodes.append(node)
            if type(x) is not dispatch.ndarray:  # (a Variable: GradientTape.watched_variables)
                self.watched.append(weakref.ref(x))
            set_entry(x, self, node, 0)

    def accessed(self, x):
        """The entry of ``x`` (an ndarray subclass) read by an op; a trainable Variable is
        watched first if this tape watches accessed variables."""
        ad = x._ad
        e = ad.get(self) if ad else None
        if e is None and self.watch_accessed and getattr(x, "trainable", False) \
                and x._data.dtype.kind in _INEXACT:
            self.watch(x)
            e = x._ad[self]
        return e

    def process(self, op, operands, entries, params, result, written):
        if op.differentiable is False:
            for w in written:
                if w._ad is not None:
                    w._ad.pop(self, None)
            return
        if op.vjp is None:
            raise AutodiffError(f"{op.name}(): no gradient rule is registered for this operation, "
                                f"and an array being differentiated reached it "
                                f"({', '.join(dispatch.describe(x) for x, e in zip(operands, entries) if e)})")
        if params.get("where", True) is not True and op.name in _ELEMENTWISE_NAMES:
            raise AutodiffError(f"{op.name}(): where= is not differentiable; use npflow.where")
        nd = dispatch.ndarray
        outs = self._outputs(op, result, written)
        parents = [e if e is not None and x._data.dtype.kind in _INEXACT else None  # (node, index, ...)
                   for x, e in zip(operands, entries)]
        node = self._node(op, operands, parents, params_for_rules(params), outs, written)
        for k, o in enumerate(outs):
            if isinstance(o, nd) and is_inexact(o.dtype):
                set_entry(o, self, node, k)
            elif isinstance(o, nd) and o._ad is not None:
                o._ad.pop(self, None)

    def _node(self, op, operands, parents, params, outs, written):
        """The node of one op: saves what the rules of the operands needing a gradient read."""
        nd = dispatch.ndarray
        want_args, want_meta, want_ans = _plan(op, parents, operands)
        checks = []
        writes = {id(root_of(w._data)) for w in written if isinstance(w, nd)} if written else ()
        saved = []
        for i, x in enumerate(operands):
            if i in want_args:
                if writes and isinstance(x, nd) and id(root_of(x._data)) in writes:
                    raise AutodiffError(
                        f"{op.name}(): this in-place operation overwrites {dispatch.describe(x)}, "
                        f"which its gradient needs; write the result to a new array instead")
                saved.append(_saved_value(x, checks, self))
            elif i in want_meta and isinstance(x, nd):
                saved.append(Meta(x))
            else:
                saved.append(None)
        ans = None
        if want_ans:
            ans = tuple(_saved_value(o, checks, self) for o in outs) if op.nout > 1 else \
                _saved_value(outs[0], checks, self)
        meta = [(x._data.shape, x._data.dtype) if p is not None else None for x, p in zip(operands, parents)]
        node = Node(op, params, parents, saved, ans, meta, checks, nout=len(outs))
        self.nodes.append(node)
        return node

    def record_simple(self, op, operands, params, result):
        """The common case in one pass (one output, per-operand rules, nothing written).
        False: leave it to the general path (which also raises every error)."""
        nd = dispatch.ndarray
        parents = []
        tracked = False
        for x in operands:
            e = None
            if type(x) is nd:
                ad = x._ad
                if ad:
                    e = ad.get(self)
            elif isinstance(x, nd):  # a subclass (npflow.Variable): watched on use, if asked
                e = self.accessed(x)
            if e is None:
                parents.append(None)
                continue
            if e[2].n != e[3]:
                return False
            tracked = True
            parents.append(e if x._data.dtype.kind in _INEXACT else None)
        if not tracked:
            return True
        if op.differentiable is not True or type(op.vjp) is not tuple or op.nout != 1 \
                or params.get("where", True) is not True or result._data.base is not None:
            return False  # (views need the general path's view links)
        node = self._node(op, operands, parents, params_for_rules(params), (result,), ())
        if result._data.dtype.kind in _INEXACT:
            set_entry(result, self, node, 0)
        return True

    @staticmethod
    def _outputs(op, result, written):
        if op.inplace:
            return written
        return result if type(result) is tuple else (result,)

    def record_custom(self, operands, entries, outputs, backward, name, checks=()):
        """A node whose cotangents come from ``backward(cts) -> per-operand cts``; ``checks``:
        ``(array, version, count)`` of the values ``backward`` reads again (see save_checks)."""
        parents = [e if e is not None and is_inexact(x.dtype) else None
                   for x, e in zip(operands, entries)]
        meta = tuple((x.shape, x.dtype) if isinstance(x, dispatch.ndarray) else None for x in operands)
        node = Node(None, None, parents, None, None, meta, list(checks), custom=(backward, name),
                    nout=len(outputs))
        self.nodes.append(node)
        for k, o in enumerate(outputs):
            if isinstance(o, dispatch.ndarray) and is_inexact(o.dtype):
                set_entry(o, self, node, k)
        return node

    # the backward pass ---------------------------------------------------------------
    def backward(self, targets, seeds, sources, unconnected="none", entries=None):
        """Cotangents of ``sources`` (arrays) given ``seeds`` for ``targets``; None if unconnected.
        ``entries``: the sources' entries to differentiate with respect to (a transform's, taken
        when it watched its arguments: in-place writes into them since were recorded as functional
        updates, so these are the values passed in); by default each source's current one."""
        if self.used:
            raise RuntimeError(f"{self.name}: a non-persistent tape can compute gradients only once; "
                               f"use {self.name}(persistent=True) to call gradient() several times")
        fit = _fit()
        np = _np()
        grads = {}
        for t, s in zip(targets, seeds):
            e = entry_of(t, self)
            if e is None or s is None:
                continue
            check_fresh(t, e, "gradient")
            _accumulate(grads, e[0], e[1], s)
        wanted = {}
        for k, src in enumerate(sources):
            if entries is None:
                e = entry_of(src, self)
                if e is not None:
                    check_fresh(src, e, "gradient")
            else:  # (a use of the source after an unrecorded write raised already)
                e = entries[k]
            if e is not None:
                wanted.setdefault(e[0], []).append((src, e[1]))
        found = {}
        # Outer traces see the rules' ops (higher order). As TensorFlow, a persistent tape asked
        # for a gradient inside its own block records that computation too.
        stack = _state.stack
        own = self.persistent and any(t is self for t in stack)
        nodes = self.nodes[:] if own else self.nodes

        def slow(node, cts):  # one node, any kind: checks, rules, accumulation
            for x, v, n in node.checks:
                if v.n != n:
                    raise AutodiffError(
                        f"{_node_name(node)}(): a value it saved for the gradient "
                        f"({dispatch.describe(x)}) was overwritten in place afterwards; "
                        f"write to a new array instead")
            operand_cts = _node_vjp(node, cts, np)
            for i, (parent, ct) in enumerate(zip(node.parents, operand_cts)):
                if parent is None or ct is None:
                    continue
                shape, dtype = node.meta[i]
                _accumulate(grads, parent[0], parent[1], fit(ct, shape, dtype, _node_name(node)))

        # A tape used once frees what each node saved as soon as its rules have run.
        free = not self.persistent
        with (only(stack[:stack.index(self) + 1] if own else outer_than(self)) if stack else _NO_SWITCH):
            if _fastpath is not None:
                _fastpath.backward(nodes, grads, wanted, found, fit, slow, free)
            else:
                _backward_loop(nodes, grads, wanted, found, slow, free)
        results = []
        for k, src in enumerate(sources):
            e = entry_of(src, self) if entries is None else entries[k]
            ct = None
            if e is not None and e[0] in found:
                ct = found[e[0]][e[1]]
            if ct is None and unconnected == "zero":
                ct = np.zeros_like(src)
            results.append(ct)
        if not self.persistent:
            self.release()
            self.used = True
        return results

    def release(self):
        if self.released:
            return
        if _fastpath is not None:
            _fastpath.release_nodes(self.nodes)
        else:
            for node in self.nodes:
                node.release()
        self.nodes = []
        self.watched = []
        _release_roots(self)

    def __del__(self):
        try:
            self.release()
        except Exception:
            pass


def _backward_loop(nodes, grads, wanted, found, slow, free):
    """The backward pass's loop in Python (what the C accelerator's ``backward`` does)."""
    nd = dispatch.ndarray
    from .rules import fit
    for node in reversed(nodes):
        cts = grads.pop(node, None)
        if cts is None:
            continue
        if node in wanted:
            found[node] = cts
        if node.op is None and node.custom is None:  # a watched source
            continue
        op = node.op
        if node.custom is not None or op.nout != 1 or type(op.vjp) is not tuple or \
                any(v.n != n for x, v, n in node.checks):
            slow(node, cts)
            if free:
                node.release()
            continue
        # the common case inline: one output, a rule per operand
        g, ans, saved, params = cts[0], node.ans, node.saved, node.params
        meta = node.meta
        for i, (parent, rule, plain) in enumerate(zip(node.parents, op.vjp, op.vjp_plain or op.vjp)):
            if parent is None:
                continue
            ct = rule(g, ans, *saved, **params) if params else plain(g, ans, *saved)
            if ct is None:
                continue
            shape, dtype = meta[i]
            d = ct._data if type(ct) is nd else None
            if d is None or d.shape != shape or d.dtype != dtype:
                ct = fit(ct, shape, dtype, op.name)
            pnode, k = parent[0], parent[1]
            acc = grads.get(pnode)
            if acc is None:
                acc = grads[pnode] = [None] * pnode.nout
            acc[k] = ct if acc[k] is None else acc[k] + ct
        if free:
            node.release()


_PLANS = {}  # (op, which operands need a cotangent) -> (its vjp_uses, what to save)


def _plan(op, parents, operands):
    """(operands to save, operands to keep the shape of, whether to save the output)."""
    key = (op, tuple(p is not None for p in parents))
    plan = _PLANS.get(key)
    if plan is not None and plan[0] is op.vjp_uses:
        return plan[1]
    uses = op.vjp_uses
    want_args, want_meta, want_ans = set(), set(), False
    if callable(op.vjp):  # one rule for all operands: it may read any of them
        if uses[2]:
            want_meta = set(range(len(operands)))
        else:
            want_args = set(range(len(operands)))
        want_ans = uses[1]
    else:
        for i, need in enumerate(key[1]):
            if need:
                if i >= len(op.vjp) or op.vjp[i] is None:
                    raise AutodiffError(f"{op.name}(): not differentiable with respect to operand "
                                        f"{i} ({dispatch.describe(operands[i])})")
                used_args, used_ans, used_meta = uses[i]
                want_args |= used_args
                want_meta |= used_meta
                want_ans = want_ans or used_ans
    plan = (frozenset(want_args), frozenset(want_meta), want_ans)
    _PLANS[key] = (uses, plan)
    return plan


def _node_name(node):
    return node.op.name if node.op is not None else node.custom[1] if node.custom else "watch"


def _accumulate(grads, node, index, ct):
    cts = grads.get(node)
    if cts is None:
        cts = grads[node] = [None] * node.nout
    cts[index] = ct if cts[index] is None else cts[index] + ct


def _node_vjp(node, cts, np):
    if node.custom is not None:
        return node.custom[0](cts)
    op = node.op
    if op.nout > 1:
        ans = node.ans
        g = tuple(c if c is not None else np.zeros(a.shape, a.dtype, device=a.device)
                  for c, a in zip(cts, ans)) if ans is not None else tuple(cts)
    else:
        g = cts[0]
    operands = node.saved
    if callable(op.vjp):
        return op.vjp(g, node.ans, *operands, **node.params)
    return [None if parent is None else rule(g, node.ans, *operands, **node.params)
            for parent, rule in zip(node.parents, op.vjp)]


_ELEMENTWISE_NAMES = frozenset()  # filled by rules.py: ufuncs (where= not differentiable)


def params_for_rules(params):
    if "out" not in params:
        return params
    return {k: v for k, v in params.items() if k != "out"}


# -- forward mode --------------------------------------------------------------------------

class Tangents:
    """A forward-mode trace: each tracked array carries its tangent."""

    released = False
    graph = False
    runs_rules = True
    watch_accessed = False

    def __init__(self, name="jvp"):
        self.roots = []
        self.name = name

    def seed(self, x, t):
        set_entry(x, self, t, 0)

    def tangent(self, x):
        e = entry_of(x, self)
        return None if e is None else e[0]

    def process(self, op, operands, entries, params, result, written):
        nd = dispatch.ndarray
        outs = Recorder._outputs(op, result, written)
        if op.differentiable is False:
            for o in outs:
                if isinstance(o, nd) and o._ad is not None:
                    o._ad.pop(self, None)
            return
        if op.jvp is None:
            raise AutodiffError(f"{op.name}(): no forward-mode (jvp) rule is registered for this "
                                f"operation, and an array being differentiated reached it")
        if params.get("where", True) is not True and op.name in _ELEMENTWISE_NAMES:
            raise AutodiffError(f"{op.name}(): where= is not differentiable; use npflow.where")
        from .rules import fit
        tangents = [e[0] if e is not None and is_inexact(x.dtype) else None
                    for x, e in zip(operands, entries)]
        if written and not callable(op.jvp):
            _check_jvp_reads(op, operands, tangents, written)
        rparams = params_for_rules(params)
        ans = tuple(outs) if op.nout > 1 else outs[0]
        if callable(op.jvp):
            t_out = op.jvp(tangents, ans, *operands, **rparams)
        else:
            t_out = None
            for i, t in enumerate(tangents):
                if t is None:
                    continue
                rule = op.jvp[i]
                if rule is None:
                    raise AutodiffError(f"{op.name}(): not differentiable with respect to operand {i}")
                c = rule(t, ans, *operands, **rparams)
                t_out = c if t_out is None else _add_tangents(t_out, c)
        if op.nout == 1 or op.inplace:
            t_out = (t_out,)
        for o, t in zip(outs, t_out):
            if isinstance(o, nd) and is_inexact(o.dtype) and t is not None:
                set_entry(o, self, fit(t, o.shape, o.dtype, op.name, forward=True), 0)
            elif isinstance(o, nd) and o._ad is not None:
                o._ad.pop(self, None)

    def release(self):
        _release_roots(self)

    __del__ = Recorder.__del__


def overwrites_needed(op, operands, out):
    """The indices of ``op``'s operands that writing its result into ``out`` would overwrite
    and that a derivative rule (reverse or forward) of a tracked operand reads (empty: none).
    (dispatch.apply's ``out=``: it gives the op copies of them.)"""
    nd = dispatch.ndarray
    wroot = id(root_of(out._data))
    hit = {i for i, x in enumerate(operands) if isinstance(x, nd) and id(root_of(x._data)) == wroot}
    if not hit or (op.vjp is None and op.jvp is None):
        return ()
    tracked = [True if isinstance(x, nd) and x._ad and x._data.dtype.kind in _INEXACT else None
               for x in operands]
    if not any(tracked):
        return ()
    reads = set()
    if op.vjp is not None:
        try:
            reads |= _plan(op, tracked, operands)[0]
        except AutodiffError:
            return ()  # (the plain path raises it)
    if op.jvp is not None:
        for i, t in enumerate(tracked):
            if t:
                r = None if callable(op.jvp) or op.jvp_uses is None or i >= len(op.jvp_uses) \
                    else op.jvp_uses[i]
                reads |= hit if r is None else set(r)
    return hit & reads


def _check_jvp_reads(op, operands, tangents, written):
    """An in-place op's jvp rules must not read an operand the op has just overwritten."""
    nd = dispatch.ndarray
    wroots = {id(root_of(w._data)) for w in written if isinstance(w, nd)}
    for i, t in enumerate(tangents):
        if t is None:
            continue
        reads = op.jvp_uses[i] if op.jvp_uses is not None else range(len(operands))
        for j in reads:
            x = operands[j] if 0 <= j < len(operands) else None
            if isinstance(x, nd) and id(root_of(x._data)) in wroots:
                raise AutodiffError(
                    f"{op.name}(): this in-place operation overwrites {dispatch.describe(x)}, which "
                    f"its derivative needs; write the result to a new array instead")


def _add_tangents(a, b):
    if type(a) is tuple:
        return tuple(x if y is None else y if x is None else x + y for x, y in zip(a, b))
    return a + b


def _np():
    import npflow
    return npflow


def _fit():
    global _fit_fn
    if _fit_fn is None:
        from .rules import fit
        _fit_fn = fit
    return _fit_fn


_fit_fn = None

_NO_SWITCH = contextlib.nullcontext()  # no trace active: the rules run as they are


if _fastpath is not None:
    _fastpath.configure_autodiff(Recorder, dispatch.versions, _plan, Meta, _lock, Op, dispatch.stacks)
