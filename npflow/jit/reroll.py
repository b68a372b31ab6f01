"""Loop re-rolling: a Python loop that tracing unrolled becomes a ``scan`` node again.

Tracing runs the user's Python: ``for t in range(200): h = tanh(W @ h + xs[t])`` records 200
copies of the same four ops, and ``jit(grad(f))`` records the reverse pass's 200 copies after
them. :func:`reroll` finds such periodic runs of nodes and replaces each by one ``scan`` node
whose body is one period, traced values flowing between periods as its carry:

- node ``r`` of period ``j`` must be node ``r`` of period ``j+1``: the same op, parameters,
  operand and result types; an integer inside a ``getitem`` key may advance by a fixed step
  from period to period (``xs[t]``): it becomes a traced index, read from an ``xs`` of the scan;
- each operand of a period is a value of the same period, a value the previous period made (a
  carry; the first period reads its initial value from before the run), or the same value from
  before the run for every period (a capture), or the same constant;
- values of the run read after it are the scan's outputs: the last period's carry as it is,
  any other value stacked over the periods (``ys``) and read back with ``getitem``, placed just
  before its first reader (so that a run reading a previous run's values period by period, the
  reverse pass reading the forward pass's, is itself periodic);
- a period computes something (views alone are not worth a loop); a run holds no effect, guard, control-flow or fused node, no value a write touches, and
  no view the function returns (a stacked value is a copy).

The nodes run are the traced ones, in the same order, on the same values: replay gives the
unrolled graph's results bit for bit; a compiler (numba) gets a loop to compile, not thousands
of straight-line ops.
"""
import numpy

from .graph import Graph, Node, Var, Const
from . import control

MIN_ITERS = 4  # periods, at least
MIN_NODES = 24  # nodes in a run, at least (shorter runs cost more as a loop than unrolled)
MAX_PERIOD = 256  # nodes in a period, at most
_VIEWS = {"alias", "stop_gradient", "getitem", "reshape", "transpose", "broadcast_to", "expand_dims",
          "squeeze", "ravel", "swapaxes", "moveaxis"}  # (a period of these alone computes nothing)


def _rollable(node):
    return not node.effect and node.sub is None and node.kernel is None and \
        not isinstance(node.op, str) and node.op.wraps and all(o is not None for o in node.outs)


def _const_key(c):
    v = c.value
    if type(v) in (int, float, complex, bool, str, type(None)):
        return (type(v), v)
    return ("id", id(v))


def _abstract(v, ints):
    """A parameter's shape for the period test: Vars and (in a getitem key) ints abstracted."""
    t = type(v)
    if t is Var:
        return "$var"
    if t is int and ints:
        return "$int"
    if t is slice:  # (the same slice in every period)
        return ("slice", v.start, v.stop, v.step)
    if t is tuple or t is list:
        return (t.__name__,) + tuple(_abstract(e, ints) for e in v)
    try:
        hash(v)
        return (t.__name__, v)
    except TypeError:
        return ("id", id(v))


def _signature(node):
    """What must be equal for two nodes to be the same node of two periods (devices by
    identity: a device is one object)."""
    ints = node.op.name == "getitem"
    return (node.op, tuple([(k, _abstract(p, ints)) for k, p in node.params.items()]) if node.params else (),
            tuple(["$var" if type(v) is Var else ("c", _const_key(v)) for v in node.ins]),
            tuple([(o.shape, o.dtype, id(o.device)) for o in node.outs]), node.tuple_out, node.fix,
            id(node.kdev), id(node.dev))


def _candidates(sigs, start):
    """(first node, period, periods) of each periodic run of ``sigs[start:]``, in the order to
    try them: earliest first, then most nodes, then shortest period."""
    n = len(sigs)
    out = []
    for p in range(1, min(MAX_PERIOD, (n - start) // MIN_ITERS) + 1):
        eq = sigs[start:n - p] == sigs[start + p:]  # eq[i]: node start+i is node start+i+p's twin
        edges = numpy.flatnonzero(numpy.diff(numpy.concatenate(([False], eq, [False])).astype(numpy.int8)))
        a, b = edges[::2], edges[1::2]
        k = (b - a + p) // p
        for i in numpy.flatnonzero((k >= MIN_ITERS) & (k * p >= MIN_NODES)):
            out.append((start + int(a[i]), p, int(k[i])))
    out.sort(key=lambda c: (c[0], -c[1] * c[2], c[1]))
    return out


class _Run:
    """One periodic run being checked: the *forms* of its periods (each operand and parameter
    of each node, as a kind)."""

    def __init__(self, nodes, where, s, p):
        self.nodes, self.where, self.s, self.p = nodes, where, s, p
        self.bad = False

    def kind(self, v, j):
        """What operand ``v`` of period ``j`` is: ('l', r, k) a value of the same period,
        ('r', r, k) of the previous one, ('x', v) from before the run, ('c', key) a constant;
        None: a value of an older period (no loop)."""
        if type(v) is Const:
            return ("c", _const_key(v))
        loc = self.where.get(v)
        if loc is None or loc[0] < self.s:
            return ("x", v)
        jj, r = divmod(loc[0] - self.s, self.p)
        if jj == j:
            return ("l", r, loc[1])
        if jj == j - 1:
            return ("r", r, loc[1])
        self.bad = True
        return None

    def node(self, j, r):
        return self.nodes[self.s + j * self.p + r]

    def form(self, j):
        """Period ``j``'s form, flat: each node's operands' kinds, then its parameters' (an int
        in a getitem key as ('i', value), any other constant parameter as ('=',): the signatures
        made them equal); a carried value in a parameter makes the run ``bad``."""
        out = []
        for r in range(self.p):
            node = self.node(j, r)
            for v in node.ins:
                out.append(self.kind(v, j))
            if node.params:
                ints = node.op.name == "getitem"
                for v in node.params.values():
                    self._param(v, j, ints, out)
        return tuple(out)

    def _param(self, v, j, ints, out):
        t = type(v)
        if t is Var:
            kind = self.kind(v, j)
            if kind is not None and kind[0] == "r":
                self.bad = True
            out.append(kind)
        elif t is int and ints:
            out.append(("i", v))
        elif t is tuple or t is list:
            for e in v:
                self._param(e, j, ints, out)
        else:
            out.append(("=",))

    def inits(self):
        """carried (r, k) -> what period 0 reads for it (a Var or an array Const from before
        the run, of the carried value's type); None where periods 0 and 1 do not fit."""
        out = {}
        for r in range(self.p):
            n0, n1 = self.node(0, r), self.node(1, r)
            for a, b in zip(n0.ins, n1.ins):
                k0, k1 = self.kind(a, 0), self.kind(b, 1)
                if k0 is None or k1 is None:
                    return None
                if k1[0] != "r":
                    if k0 != k1:
                        return None
                    continue
                like = self.node(1, k1[1]).outs[k1[2]]
                raw = a.value if type(a) is Const else a
                if k0[0] not in ("x", "c") or out.setdefault(k1[1:], a) is not a or \
                        not isinstance(raw, (Var, numpy.ndarray)) or raw.shape != like.shape or \
                        raw.dtype != like.dtype:
                    return None
        return out


def _expected(f0, f1):
    """``form(j)`` for ``j`` -> the form period ``j`` must have to continue periods 0 and 1:
    period 1's, each getitem int advancing by its step from period 0 to 1."""
    ints = [(i, a[1], b[1] - a[1]) for i, (a, b) in enumerate(zip(f0, f1)) if b is not None and b[0] == "i"]

    def expected(j):
        if not ints:
            return f1
        f = list(f1)
        for i, v0, step in ints:
            f[i] = ("i", v0 + j * step)
        return tuple(f)
    return expected


def reroll(graph, accept=None):
    """Replace ``graph``'s periodic runs of nodes by ``scan`` nodes (see the module's text);
    returns how many runs were rolled. Sub-graphs are left as they are. ``accept(nodes)``: whether
    to roll a run whose body (one period, as the scan's body nodes) is ``nodes`` (None: every run)."""
    from .passes import _written
    written = _written(graph)  # (the effects' targets: no rolled node is one, so this holds throughout)
    rolled, start, ids, cache = 0, 0, {}, {}
    while True:
        nodes = graph.nodes
        if len(nodes) - start < MIN_NODES:
            return rolled
        sigs = numpy.empty(len(nodes), numpy.int64)
        for i, node in enumerate(nodes):
            hit = cache.get(id(node))
            if hit is not None:  # (a node's signature does not change when its operands are renamed)
                sig = hit[1]
            else:
                sig = -1  # (never matches)
                if _rollable(node):
                    try:
                        sig = ids.setdefault(_signature(node), len(ids))
                    except TypeError:
                        pass
                cache[id(node)] = (node, sig)  # (the node kept: its id stays its own)
            sigs[i] = sig if sig >= 0 else -1 - i
        where = {o: (i, k) for i in range(start, len(nodes)) for k, o in enumerate(nodes[i].outs)}
        done = None
        for s, p, k in _candidates(sigs, start):
            for s2, k2 in ((s, k), (s + p, k - 1)):  # (the first period may differ: drop it)
                n = _check(graph, where, s2, p, k2, written)
                if n:
                    done = _roll(graph, where, s2, p, n, accept)
                    break
            if done is not None:
                break
        if done is None:
            return rolled
        rolled += 1
        start = done


def _check(graph, where, s, p, k, written):
    """How many periods from node ``s`` make a loop (0: too few)."""
    if k < MIN_ITERS:
        return 0
    run = _Run(graph.nodes, where, s, p)
    f0, f1 = run.form(0), run.form(1)
    # (period 0 reads the carries' initial values where period 1 reads carries: ``inits``)
    if run.bad or run.inits() is None or any(a != b and b[0] not in "ri" for a, b in zip(f0, f1)):
        return 0
    expected = _expected(f0, f1)
    n = 2
    while n < k and run.form(n) == expected(n) and not run.bad:
        n += 1
    if n < MIN_ITERS or n * p < MIN_NODES or all(run.node(0, r).op.name in _VIEWS for r in range(p)):
        return 0
    return n if _safe(graph, s, s + n * p, written) else 0


def _safe(graph, s, e, written):
    """No value of nodes ``s:e`` is written (``written``: the graph's written roots), nor a view
    among the graph's outputs (a stacked value is a copy: the caller would no longer share the
    view's memory)."""
    outs = {v for v in graph.outs if type(v) is Var}
    for node in graph.nodes[s:e]:
        for o in node.outs:
            if o in written or o.root in written or o.root is None or o in outs and o.root is not o:
                return False
    return True


def _new_var(n, like, shape=None):
    v = Var.__new__(Var)
    v.n, v.shape, v.dtype, v.device = n, like.shape if shape is None else shape, like.dtype, like.device
    v.dyn, v.root, v.array, v.trace = True, v, like.array, None
    return v


def _roll(graph, where, s, p, k, accept=None):
    """Replace nodes ``s:s+k*p`` by a scan node; returns the index after it (None: ``accept``
    refused the body, and the graph is as it was)."""
    nodes, e = graph.nodes, s + k * p
    run = _Run(nodes, where, s, p)
    inits = run.inits()
    counter = iter(range(1 << 62))
    local, carry_in, caps, xs = {}, {}, {}, []  # body Vars: (r, k) -> made, carried; outer -> inner

    def inner(v, kind):
        if kind[0] == "l":
            return local[kind[1:]]
        if kind[0] == "r":
            if kind[1:] not in carry_in:
                carry_in[kind[1:]] = _new_var(next(counter), run.node(1, kind[1]).outs[kind[2]])
            return carry_in[kind[1:]]
        if kind[0] == "x":
            if v not in caps:
                caps[v] = _new_var(next(counter), v)
            return caps[v]
        return v  # (a constant)

    def param(v0, v1, ints):
        t = type(v1)
        if t is Var:
            return inner(v1, run.kind(v1, 1))
        if t is int and ints and v1 != v0:  # an index advancing by a step: read from an xs
            x = _new_var(next(counter), _INT)
            xs.append((x, numpy.arange(v0, v0 + (v1 - v0) * k, v1 - v0, dtype=numpy.int64)))
            return x
        if t is tuple or t is list:
            return t(param(a, b, ints) for a, b in zip(v0, v1))
        return v1

    body = []
    for r in range(p):
        n0, n1 = run.node(0, r), run.node(1, r)
        ins = [inner(v, run.kind(v, 1)) for v in n1.ins]
        params = {name: param(n0.params[name], v1, n1.op.name == "getitem") for name, v1 in n1.params.items()}
        outs = []
        for kk, o in enumerate(n1.outs):
            v = local[(r, kk)] = _new_var(next(counter), o)
            if o.root is not o:  # a view: of a value of this period or of a captured one
                loc = where.get(o.root)
                v.root = local.get((loc[0] - s - p, loc[1])) if loc is not None and \
                    s + p <= loc[0] < s + 2 * p else caps.get(o.root)
            outs.append(v)
        body.append(Node(n1.op, ins, params, outs, n1.kdev, n1.dev, fix=n1.fix, tuple_out=n1.tuple_out,
                         dyn_params=any(_has_var(v) for v in params.values())))
    if accept is not None and not accept(body):
        return None
    carries = list(carry_in)
    # the values read after the run: the last carry as it is, others stacked
    later = {}
    for i in range(e, len(nodes)):
        for v in nodes[i].vars_in():
            later.setdefault(v, i)
    for v in graph.outs:
        if type(v) is Var:
            later.setdefault(v, len(nodes))
    last, ys, fetch = {}, {}, []  # fetch: (first reader, outer Var, y slot, period)
    for j in range(k):
        for r in range(p):
            for kk, o in enumerate(nodes[s + j * p + r].outs):
                if o not in later:
                    continue
                if j == k - 1 and (r, kk) in carry_in:
                    last[(r, kk)] = o
                    continue
                ys.setdefault((r, kk), o)
                fetch.append((later[o], o, (r, kk), j))
    outer_n = 1 + max([v.n for node in nodes for v in node.outs if v is not None] +
                      [v.n for v in graph.inputs] + [v.n for _, v in graph.captures])
    carry_outs = [last[c] if c in last else _new_var(outer_n + i, run.node(0, c[0]).outs[c[1]])
                  for i, c in enumerate(carries)]
    outer_n += len(carries)
    y_outs = {}
    for i, (slot, o) in enumerate(ys.items()):
        y_outs[slot] = _new_var(outer_n + i, o, (k,) + tuple(o.shape))
    outer_n += len(ys)
    sub = Graph(f"{graph.name}:rolled", [carry_in[c] for c in carries] + [x for x, _ in xs],
                body, None, [local[c] for c in carries] + [local[slot] for slot in ys],
                [(outer, v) for outer, v in caps.items()])
    from .passes import dce
    dce(sub)
    from .replay import compile_graph
    ins = [inits[c] for c in carries] + [Const(a) for _, a in xs] + list(caps)
    kernel = control.scan_kernel(sub, compile_graph(sub), len(carries), len(xs), k, False)
    node = Node("scan", ins, {}, carry_outs + [y_outs[slot] for slot in ys], None, None,
                tuple_out=True, sub={"body": sub}, kernel=kernel)
    # the stacked values, read back just before their first readers
    from .._core.registry import REGISTRY
    getitem = REGISTRY["getitem"]
    inserts, mapping = {}, {}
    for at, o, slot, j in sorted(fetch, key=lambda f: f[0]):
        v = _new_var(outer_n, o)
        outer_n += 1
        y = y_outs[slot]
        v.root = y
        inserts.setdefault(at, []).append(Node(getitem, [y], {"key": j}, [v], y.device, y.device,
                                               fix=o.shape == ()))
        mapping[o] = v
    new = nodes[:s] + [node]
    for i in range(e, len(nodes)):
        new.extend(inserts.get(i, ()))
        new.append(nodes[i])
    new.extend(inserts.get(len(nodes), ()))
    graph.nodes = new
    from .passes import _substitute
    _substitute(graph, mapping)
    return s + 1


_INT = Var.__new__(Var)
_INT.shape, _INT.dtype, _INT.device, _INT.array = (), numpy.dtype(numpy.int64), None, True


def _has_var(v):
    if type(v) is Var:
        return True
    if type(v) in (tuple, list):
        return any(_has_var(e) for e in v)
    return False
