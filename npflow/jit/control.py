"""Control flow inside a traced function: ``cond``, ``switch``, ``while_loop``, ``fori_loop`` and
``scan`` (``map``) as single graph nodes whose bodies are sub-graphs traced once.

``npflow.control_flow``'s forms call :func:`node` first while a graph is traced. A node is
made when this thread's innermost trace is a graph trace (no autodiff trace inside it tracks
the operands: then the ops must run concretely for that trace, and the form runs eagerly, its
Python decisions guarded). Otherwise, or where a sub-graph cannot hold a body (Python values
in its outputs, branches of different types, writes into arrays from outside the body), the
form runs eagerly: unrolled into the graph, each decision on a traced value a guard.

The node's value for the call being traced comes from running the form eagerly with the
graph trace paused (outer autodiff traces see its ops); its sub-graphs come from tracing each
body once more on the same values.
"""
import numpy

from .._core import dispatch
from ..autodiff import core as _core
from ..autodiff.pytree import flatten, unflatten
from .graph import GraphTrace, Var, Const, Node, Graph, JitError, active_trace
from .replay import compile_graph, interpret

_NP = numpy.ndarray


class _NoNode(Exception):
    """A body a sub-graph cannot hold: the form runs eagerly instead."""


class _Sub:
    """A body traced as a sub-graph: its graph, compiled runner, captured outer Vars."""

    def __init__(self, parent, fn, leaves, tree, label, extra=()):
        sub = GraphTrace(f"{parent.root_name()}:{label}", parent=parent)
        nd = dispatch.ndarray
        leaves, seen = list(leaves), set()
        for k, x in enumerate(leaves):  # a leaf twice in the carry: two values from the next step
            if id(x._data) in seen:
                leaves[k] = x = dispatch.wrap(x._data.copy(), x._device)
            seen.add(id(x._data))
        for x in leaves + list(extra):  # (extra: the index of a fori_loop body)
            sub.add_input(x._data, x._device, x)
        with _core.only([sub], dispatch.trace_state.stack):
            try:
                out = fn(unflatten(tree, list(leaves)), *extra)
            except JitError:
                raise
            except Exception as e:  # (a body that fails on these values: eager decides)
                raise _NoNode(str(e)) from e
        outs, self.out_tree = flatten(out)
        refs = []
        for o in outs:
            if not isinstance(o, nd):
                raise _NoNode("a body returned a Python value")
            v = sub.objs.get(id(o)) or sub.lookup(o._data)
            refs.append(v if v is not None else Const(o._data, o))
        self.out_types = [(o.shape, o.dtype, o._device) for o in outs]
        for node in sub.nodes:
            if node.effect:
                targets = [node.ins[0]] if node.outs == [None] else [o for o in node.outs if o]
                if any(type(t) is not Var or t.root is None or t.root in sub.inputs or
                       any(t.root is inner for _, inner in sub.captures) for t in targets):
                    raise _NoNode("a body writes into an array from outside it")
        self.graph = Graph(sub.name, list(sub.inputs), sub.nodes, self.out_tree, refs, sub.captures)
        sub.keep = sub.slots = sub.objs = None  # (the traced values: not kept by the graph)
        from .passes import optimize
        optimize(self.graph)
        self.run = compile_graph(self.graph)
        self.captures = [outer for outer, _ in sub.captures]


def _array_leaves(tree_value):
    """(leaves as npflow arrays, tree); Python scalars become 0-d arrays (NumPy's default dtype
    for them, as JAX's weak types become arrays in a loop); None and other values: no node."""
    from .._numpy.creation import asarray
    leaves, tree = flatten(tree_value)
    out = []
    for x in leaves:
        if isinstance(x, dispatch.ndarray):
            out.append(x)
        elif type(x) in (int, float, complex, bool):
            out.append(asarray(x))
        else:
            raise _NoNode("a carry leaf is not an array")
    return out, tree


def _node_possible(operands):
    """The innermost graph trace, where a node can be made for ``operands``; else None."""
    trace = active_trace()
    stack = dispatch.trace_state.stack
    if trace is None or stack[-1] is not trace:
        return None
    return trace


def _eager(trace, fn):
    """``fn()`` with the graph trace paused (the traces outside it see its ops)."""
    stack = dispatch.trace_state.stack
    outer = [t for t in stack if t is not trace and not getattr(t, "graph", False)]
    with _core.only(outer, stack):
        return fn()


def _record(trace, name, kernel, ins, results, subs):
    """The node in ``trace``: ``ins`` (npflow arrays, Vars of the outer graph) -> ``results``."""
    refs = []
    for x in ins:
        if type(x) is Var:
            refs.append(x)
        else:
            v = trace.objs.get(id(x)) or trace.lookup(x._data)
            refs.append(v if v is not None else Const(x._data, x))
    outs = []
    for r in results:
        v = trace.new_var(r._data, r._device, r)
        v.dyn = True
        outs.append(v)
    node = Node(name, refs, {}, outs, None, None, tuple_out=True, sub=subs, kernel=kernel)
    trace.nodes.append(node)


class _Kernel:
    """A control-flow node's kernel: ``__call__`` on backend data (the compiled replay),
    ``interpret`` on npflow arrays through the eager form (autodiff traces around); ``info``:
    what a compiler needs beyond the node's operands and sub-graphs (scan's layout)."""

    def __init__(self, run, interp, info=None):
        self.run, self.interp, self.info = run, interp, info

    def __call__(self, *ins):
        return self.run(*ins)

    def interpret(self, *ins):
        return self.interp(*ins)


def _split(ins, *sizes):
    out, k = [], 0
    for n in sizes:
        out.append(list(ins[k:k + n]))
        k += n
    out.append(list(ins[k:]))
    return out


def _wrap_all(xs, types):
    return [dispatch.wrap(x, t[2]) if not isinstance(x, dispatch.ndarray) else x for x, t in zip(xs, types)]


# -- the forms ---------------------------------------------------------------------------------
def cond(index, branches, operands, eager):
    """A node for ``branches[index](*operands)`` (cond: index = pred as 0/1, branches (false,
    true)); NotImplemented where none is made."""
    trace = _node_possible(operands)
    if trace is None or not (isinstance(index, dispatch.ndarray) and trace.is_traced(index)) or \
            index.shape != () or index.dtype.kind not in "biu":
        return NotImplemented  # (not traced: it runs as it is; a bad index: eager's error)
    try:
        leaves, tree = _array_leaves(tuple(operands))
        subs = [_Sub(trace, lambda ops, b=b: b(*ops), leaves, tree, f"branch{k}")
                for k, b in enumerate(branches)]
    except _NoNode:
        return NotImplemented
    first = subs[0]
    if any(s.out_tree != first.out_tree or [t[:2] for t in s.out_types] != [t[:2] for t in first.out_types]
           for s in subs):
        return NotImplemented  # (branches of different types: eager, guarded)
    result = _eager(trace, eager)
    res_leaves = flatten(result)[0]
    if len(res_leaves) != len(first.out_types) or not all(isinstance(r, dispatch.ndarray) for r in res_leaves):
        return NotImplemented
    n = len(leaves)
    is_bool = index.dtype.kind == "b"
    last = len(branches) - 1

    def pick(i):
        return (1 if i else 0) if is_bool else min(max(int(i), 0), last)

    def run(i, *ins):
        ops, *caps = _split(ins, n, *[len(s.captures) for s in subs[:-1]])
        s = subs[pick(i)]
        return s.run(*ops, *caps[pick(i)])

    def interp(i, *ins):
        from .. import control_flow as cf
        ops, *caps = _split(ins, n, *[len(s.captures) for s in subs[:-1]])
        fns = [lambda *o, s=s, c=c: unflatten(s.out_tree, interpret(s.graph, list(o) + c))
               for s, c in zip(subs, caps)]
        if is_bool:
            return tuple(flatten(cf.cond(i, fns[1], fns[0], *ops))[0])
        return tuple(flatten(cf.switch(i, fns, *ops))[0])
    caps = [v for s in subs for v in s.captures]
    _record(trace, "cond" if is_bool else "switch", _Kernel(run, interp), [index] + leaves + caps,
            res_leaves, {f"branch{k}": s.graph for k, s in enumerate(subs)})
    return result


def while_loop(cond_fun, body_fun, init_val, eager):
    trace = _node_possible(init_val)
    if trace is None:
        return NotImplemented
    try:
        leaves, tree = _array_leaves(init_val)
        if not any(trace.is_traced(x) for x in leaves):
            return NotImplemented  # (nothing traced: it runs as it is)
        c = _Sub(trace, cond_fun, leaves, tree, "cond")
        b = _Sub(trace, body_fun, leaves, tree, "body")
    except _NoNode:
        return NotImplemented
    if b.out_tree != tree or [t[:2] for t in b.out_types] != [(x.shape, x.dtype) for x in leaves]:
        return NotImplemented
    result = _eager(trace, lambda: eager(unflatten(tree, leaves)))
    res_leaves = flatten(result)[0]
    n, nc = len(leaves), len(c.captures)

    def run(*ins):
        carry, ccaps, bcaps = _split(ins, n, nc)
        while c.run(*carry, *ccaps)[0]:
            carry = b.run(*carry, *bcaps)
        return tuple(carry)

    def interp(*ins):
        from .. import control_flow as cf
        carry, ccaps, bcaps = _split(ins, n, nc)
        out = cf.while_loop(lambda v: interpret(c.graph, flatten(v)[0] + ccaps)[0],
                            lambda v: unflatten(tree, interpret(b.graph, flatten(v)[0] + bcaps)),
                            unflatten(tree, carry))
        return tuple(flatten(out)[0])
    _record(trace, "while_loop", _Kernel(run, interp), leaves + c.captures + b.captures,
            _as_arrays(res_leaves), {"cond": c.graph, "body": b.graph})
    return unflatten(tree, _as_arrays(res_leaves))


def _as_arrays(xs):
    from .._numpy.creation import asarray
    return [x if isinstance(x, dispatch.ndarray) else asarray(x) for x in xs]


def fori_loop(lower, upper, body_fun, init_val, eager):
    trace = _node_possible(init_val)
    if trace is None:
        return NotImplemented
    from .._numpy.creation import asarray
    try:
        leaves, tree = _array_leaves(init_val)
        bounds = [b if isinstance(b, dispatch.ndarray) else asarray(b) for b in (lower, upper)]
        if not any(trace.is_traced(x) for x in leaves + bounds):
            return NotImplemented
        i0 = asarray(int(lower) if not trace.is_traced(bounds[0]) else 0) \
            if not isinstance(lower, dispatch.ndarray) else (lower * 1).astype(numpy.int64)
        b = _Sub(trace, lambda v, i: body_fun(i, v), leaves, tree, "body", extra=(i0,))
    except _NoNode:
        return NotImplemented
    if b.out_tree != tree or [t[:2] for t in b.out_types] != [(x.shape, x.dtype) for x in leaves]:
        return NotImplemented
    # (the body's index is its last input: a traced 0-d int64 array, as JAX's traced index)
    result = _eager(trace, lambda: eager(lower, upper, unflatten(tree, leaves)))
    res_leaves = _as_arrays(flatten(result)[0])
    n = len(leaves)

    def body_ins(carry, i, caps):
        return [*carry, numpy.asarray(i, numpy.int64), *caps]

    def run(lo, hi, *ins):
        carry, caps = _split(ins, n)
        for i in range(int(lo), int(hi)):
            carry = b.run(*body_ins(carry, i, caps))
        return tuple(carry)

    def interp(lo, hi, *ins):
        from .. import control_flow as cf
        carry, caps = _split(ins, n)
        out = cf.fori_loop(int(lo), int(hi), lambda i, v: unflatten(tree, interpret(
            b.graph, flatten(v)[0] + [asarray(i)] + caps)), unflatten(tree, carry))
        return tuple(flatten(out)[0])
    _record(trace, "fori_loop", _Kernel(run, interp), bounds + leaves + b.captures, res_leaves,
            {"body": b.graph})
    return unflatten(tree, res_leaves)


def scan(fn, f, init, xs, length, reverse, eager):
    trace = _node_possible(init)
    if trace is None:
        return NotImplemented
    try:
        c_leaves, c_tree = _array_leaves(init)
        x_leaves, x_tree = flatten(xs)
        if xs is None and type(length) is int:
            x_leaves, n = [], length
        elif not all(isinstance(x, dispatch.ndarray) for x in x_leaves) or not x_leaves:
            raise _NoNode("xs")
        else:
            n = x_leaves[0].shape[0] if x_leaves[0].ndim else 0
        if n == 0 or any(x.ndim == 0 or x.shape[0] != n for x in x_leaves) or \
                (length is not None and length != n):
            raise _NoNode("lengths")
        if not any(trace.is_traced(x) for x in c_leaves + x_leaves):
            return NotImplemented
        first = [x[n - 1 if reverse else 0] for x in x_leaves]
        nc, nx = len(c_leaves), len(first)

        def step(v, *xi):
            out = f(unflatten(c_tree, v[:nc]), unflatten(x_tree, list(v[nc:])) if x_leaves else None)
            if not (type(out) in (tuple, list) and len(out) == 2):
                raise _NoNode("f's output")
            return out
        b = _Sub(trace, step, c_leaves + first, _flat_tree(nc + nx), "body")
    except _NoNode:
        return NotImplemented
    out_leaves_tree = b.out_tree
    carry_out, y_tree = _pair_trees(out_leaves_tree)
    if carry_out != c_tree or [t[:2] for t in b.out_types[:nc]] != [(x.shape, x.dtype) for x in c_leaves]:
        return NotImplemented
    result = _eager(trace, lambda: eager(unflatten(c_tree, c_leaves), xs))
    c_res = _as_arrays(flatten(result[0])[0])
    y_res = flatten(result[1])[0]
    if not all(isinstance(y, dispatch.ndarray) for y in y_res):
        return NotImplemented
    kernel = scan_kernel(b.graph, b.run, nc, nx, n, reverse, (c_tree, x_tree, y_tree))
    _record(trace, fn, kernel, c_leaves + x_leaves + b.captures, c_res + y_res,
            {"body": b.graph})
    return unflatten(c_tree, c_res), unflatten(y_tree, y_res)


def scan_kernel(graph, run_body, nc, nx, n, reverse, trees=None):
    """The kernel of a scan node over sub-graph ``graph`` (compiled: ``run_body``) with ``nc``
    carries and ``nx`` xs (its operands: the carries, the xs, the captures; its results: the
    carries, the stacked ys) and ``n`` steps; ``trees``: the user's (carry, xs, y) pytrees."""
    ny = len(graph.outs) - nc
    c_tree, x_tree, y_tree = trees or (_flat_tree(nc), _flat_tree(nx), _flat_tree(ny))
    order = range(n - 1, -1, -1) if reverse else range(n)
    stack_fn = numpy.stack

    def run(*ins):
        carry, xs_raw, caps = _split(ins, nc, nx)
        ys = []
        for i in order:
            out = run_body(*carry, *[x[i] for x in xs_raw], *caps)
            carry, y = out[:nc], out[nc:]
            ys.append(y)
        if reverse:
            ys.reverse()
        return (*carry, *[stack_fn(col) for col in zip(*ys)])

    def interp(*ins):
        from .. import control_flow as cf
        carry, xs_in, caps = _split(ins, nc, nx)

        def body(cv, xv):
            out = interpret(graph, flatten(cv)[0] + (flatten(xv)[0] if nx else []) + caps)
            return unflatten(c_tree, out[:nc]), unflatten(y_tree, out[nc:])
        c_out, y_out = cf.scan(body, unflatten(c_tree, carry), unflatten(x_tree, xs_in) if nx else None,
                               length=n, reverse=reverse)
        return (*flatten(c_out)[0], *flatten(y_out)[0])
    return _Kernel(run, interp, {"carry": nc, "xs": nx, "length": n, "reverse": bool(reverse)})


def _flat_tree(n):
    return flatten(tuple(range(n)))[1]


def _pair_trees(tree):
    """The trees of (carry, y) in a body's output tree ``(tuple|list, (carry, y))``."""
    return tree[1][0], tree[1][1]
