"""How derivative rules are declared beside their ops.

    defvjp("multiply", lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    defjvp("multiply", lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
    defelementwise("sin", lambda ans, x: np.cos(x))      # both, from the partial derivative

A vjp rule per operand takes the output cotangent ``g``, the op's output
``ans``, the operands and the op's parameters (only those the rule names);
a jvp rule per operand takes that operand's tangent ``t`` instead of ``g``.
``defvjp_all``/``defjvp_all`` give one rule for all operands (variadic ops).
Rules are written in npflow ops, so they run on every device and are
themselves differentiable (DESIGN.md invariant 3).

Which operands and outputs a rule reads is found once, from its code, so a
node saves only what the rules it will run need.

Complex numbers follow JAX and autograd: a vjp is the transpose (not the
conjugate transpose) of the jvp. For holomorphic f, ``grad(f)(z) == f'(z)``;
for real-valued f of complex z, ``grad(f)(z)`` is the conjugate of the
direction of steepest ascent.
"""
import dis
import inspect

from .._core.public import npflow as np  # (called at run time, once npflow is imported)

from .._core import dispatch
from .._core.registry import REGISTRY
from . import core

_LOADS = {"LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR",
          "LOAD_FAST_LOAD_FAST"}


def _reads(fn, lead):
    """(operand indices read, whether ``ans`` is read) for a rule ``fn(lead, ans, *operands)``."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount]
    star = code.co_varnames[code.co_argcount + code.co_kwonlyargcount] \
        if code.co_flags & inspect.CO_VARARGS else None
    used = _names_read(fn)
    operands = {i - 2 for i, n in enumerate(names) if i >= 2 and n in used}
    if star is not None and star in used:
        operands |= set(range(len(names) - 2, 64))
    return operands, len(names) > 1 and names[1] in used


def _adapt(fn):
    """``fn`` called with only the op parameters it names (all of them if it takes **kw)."""
    code = getattr(fn, "__code__", None)
    if code is not None and not hasattr(fn, "__wrapped__"):  # (a function: its code says it)
        if code.co_flags & inspect.CO_VARKEYWORDS:
            return fn
        names = set(code.co_varnames[code.co_posonlyargcount:code.co_argcount + code.co_kwonlyargcount])
    else:
        sig = inspect.signature(fn)
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            return fn
        names = {p.name for p in sig.parameters.values()
                 if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}

    def call(*args, **params):
        if not params:
            return fn(*args)
        return fn(*args, **{k: v for k, v in params.items() if k in names})
    call.__wrapped__ = fn
    return call


def _op(name):
    op = REGISTRY[name] if isinstance(name, str) else name
    if op.differentiable is False:
        raise ValueError(f"{op.name} is registered as having no derivative; rules would never run")
    return op


def defvjp(name, *rules, uses=None, shape_only=()):
    """Per-operand vjp rules. ``shape_only``: operands the rules read only for
    shape, dtype and device (the node keeps a stand-in, not the values): a tuple
    for all rules, or ``{rule index: tuple}`` when each rule differs (dot's rule
    for ``a`` needs ``b``'s values but only ``a``'s shape)."""
    op = _op(name)
    op.vjp = tuple(None if r is None else _adapt(r) for r in rules)
    op.vjp_plain = rules  # (called directly when the node has no parameters)
    uses = uses or tuple(None if r is None else _reads(r, "g") for r in rules)

    def only(i):
        return frozenset(shape_only.get(i, ()) if isinstance(shape_only, dict) else shape_only)
    op.vjp_uses = tuple(None if u is None else (u[0] - only(i), u[1], only(i) & u[0])
                        for i, u in enumerate(uses))


def defjvp(name, *rules):
    op = _op(name)
    op.jvp = tuple(None if r is None else _adapt(r) for r in rules)
    op.jvp_uses = tuple(None if r is None else _reads(r, "t")[0] | ({-1} if _reads(r, "t")[1] else set())
                        for r in rules)


def defvjp_all(name, rule, shape_only=False):
    """``rule(g, ans, *operands, **params) -> one cotangent (or None) per operand``;
    ``shape_only``: it reads the operands only for shape, dtype and device."""
    op = _op(name)
    op.vjp = _adapt(rule)
    op.vjp_uses = (None, _reads(rule, "g")[1], shape_only)


def defjvp_all(name, rule):
    """``rule(tangents, ans, *operands, **params) -> the output tangent(s)``; missing tangents are None."""
    _op(name).jvp = _adapt(rule)


def deflinear(name, fn):
    """A linear op ``fn(x, **params)`` in its single operand: jvp is the op itself."""
    defjvp(name, lambda t, ans, x, **kw: fn(t, **kw))


ONE = "d/dx = 1"        # constant partial derivatives: pass the cotangent on (or negate it)
MINUS_ONE = "d/dx = -1"  # instead of multiplying by a constant


def _py_partial(d, sign=1):
    """The rule ``g * d(ans, *operands)`` (g: a cotangent, or a tangent); d None: ``sign * g``.
    (params such as dtype= and casting= do not change a derivative.)"""
    if d is None:
        return (lambda g, ans, *xs, **_: g) if sign > 0 else (lambda g, ans, *xs, **_: -g)
    return lambda g, ans, *xs, **_: g * d(ans, *xs)


# the same rules as a C callable (no Python frame of their own) where the accelerator is built
_partial = _py_partial if dispatch._fastpath is None else dispatch._fastpath.Partial


def defelementwise(name, *partials):
    """An elementwise op from its partial derivatives ``d(ans, *operands) -> d ans / d operand_i``
    (or ONE, MINUS_ONE)."""
    vjps, jvps, uses = [], [], []
    for d in partials:
        if d is None:
            vjps.append(None)
            jvps.append(None)
            uses.append(None)
            continue
        if d is ONE or d is MINUS_ONE:
            rule = _partial(None, 1 if d is ONE else -1)
            vjps.append(rule)
            jvps.append(rule)
            uses.append((set(), False, frozenset()))
            continue
        names = d.__code__.co_varnames[:d.__code__.co_argcount]  # (ans, *operands)
        read = _names_read(d)
        uses.append(({i - 1 for i, n in enumerate(names) if i >= 1 and n in read}, names[0] in read,
                     frozenset()))
        vjps.append(_partial(d))
        jvps.append(_partial(d))
    op = _op(name)
    op.vjp = op.vjp_plain = tuple(vjps)
    op.vjp_uses = tuple(uses)
    op.jvp = tuple(jvps)
    op.jvp_uses = tuple(None if u is None else u[0] | ({-1} if u[1] else set()) for u in uses)


_LOAD_CODES = frozenset(dis.opmap[n] for n in _LOADS if n in dis.opmap)
_LOAD_PAIR = dis.opmap.get("LOAD_FAST_LOAD_FAST")  # (3.13: two 4-bit local indices)


def _names_read(fn):
    """The local and cell names ``fn``'s code reads. Read from the bytecode directly where the
    interpreter names locals by one index (3.11+: dis.get_instructions cost most of the import)."""
    code = fn.__code__
    used = set(code.co_cellvars)  # read by an inner function
    name = getattr(code, "_varname_from_oparg", None)
    if name is None:
        for ins in dis.get_instructions(code):
            if ins.opname in _LOADS:
                used.update(ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
        return used
    co, ext = code.co_code, 0
    for i in range(0, len(co), 2):
        op = co[i]
        if op == dis.EXTENDED_ARG:
            ext = (ext | co[i + 1]) << 8
            continue
        if op in _LOAD_CODES:
            arg = ext | co[i + 1]
            if op == _LOAD_PAIR:
                used.add(name(arg >> 4))
                used.add(name(arg & 15))
            else:
                used.add(name(arg))
        ext = 0
    return used


def unbroadcast(g, shape):
    """Sum ``g`` over the axes along which an operand of ``shape`` was broadcast."""
    lead = g.ndim - len(shape)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
    elif lead < 0:
        return np.broadcast_to(g, shape)
    axes = tuple(i for i, (s, gs) in enumerate(zip(shape, g.shape)) if s == 1 and gs != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def fit(ct, shape, dtype, opname, forward=False):
    """A rule's result as a cotangent (or tangent) of ``shape`` and ``dtype``."""
    if not isinstance(ct, np.ndarray):
        ct = np.asarray(ct)
    if ct.shape != shape:
        ct = np.broadcast_to(ct, shape) if forward else unbroadcast(ct, shape)
        if ct.shape != shape:
            raise core.AutodiffError(f"{opname}(): its derivative rule gave shape {ct.shape} for an "
                                     f"operand of shape {shape} (a bug in the rule)")
    if ct.dtype != dtype:
        if ct.dtype.kind == "c" and dtype.kind != "c":
            ct = np.real(ct)
        if ct.dtype != dtype:
            ct = ct.astype(dtype)
    return ct


if core._fastpath is not None:  # the C forward-mode path needs the class and fit
    core._fastpath.configure_forward(core.Tangents, fit, core.trace_from)
