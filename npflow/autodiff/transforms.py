"""The functional transforms, with JAX's signatures: grad, vjp, jvp, jacobians, hessian, ...

Arguments and results may be nested tuples, lists and dicts of arrays and
Python scalars. Each call opens its own trace and aliases the differentiated
arguments (through the ``alias`` op, so enclosing traces stay connected), which
is what keeps nested differentiation free of perturbation confusion.
"""
import functools

import numpy as _onp

from .._core.public import npflow as np  # (called at run time, once npflow is imported)

from .._core.dispatch import apply
from .._core.registry import REGISTRY, Op, register
from . import core
from .pytree import flatten, unflatten
from .rules import defvjp, defjvp, fit

ALIAS = register(Op("alias", lambda xp: lambda x: x))  # the same data, a new array object
defvjp(ALIAS, lambda g, ans, x: g)
defjvp(ALIAS, lambda t, ans, x: t)
STOP = register(Op("stop_gradient", lambda xp: lambda x: x, differentiable=False))


def stop_gradient(x):
    """``x``'s value, as a constant: no derivative flows through it (any nesting)."""
    leaves, tree = flatten(x)
    return unflatten(tree, [apply(STOP, v) if isinstance(v, np.ndarray) else v for v in leaves])


# -- argument checks: wrong types raise TypeError, wrong values ValueError, naming the transform --

def _is_index(n):
    return isinstance(n, (int, _onp.integer)) and not isinstance(n, (bool, _onp.bool_))


def _fun_arg(fun, fname):
    if not callable(fun):
        raise TypeError(f"{fname}(): expected a function to differentiate, got "
                        f"{type(fun).__name__} {fun!r:.60}")
    return fun


def _flag_arg(value, name, fname):
    if not isinstance(value, (bool, _onp.bool_)):
        raise TypeError(f"{fname}(): {name} must be True or False, got {type(value).__name__} "
                        f"{value!r:.60}")
    return bool(value)


def _argnums_arg(argnums, fname, name="argnums"):
    """``argnums`` as an int or a tuple of ints (TypeError otherwise)."""
    if _is_index(argnums):
        return int(argnums)
    if isinstance(argnums, (tuple, list)) and all(_is_index(n) for n in argnums):
        return tuple(int(n) for n in argnums)
    raise TypeError(f"{fname}(): {name} must be an int or a tuple of ints, got "
                    f"{type(argnums).__name__} {argnums!r:.60}")


def _transform_args(fname, fun, argnums, has_aux, holomorphic):
    """The checked arguments of a grad-like transform: (fun, argnums, has_aux, holomorphic)."""
    return (_fun_arg(fun, fname), _argnums_arg(argnums, fname), _flag_arg(has_aux, "has_aux", fname),
            _flag_arg(holomorphic, "holomorphic", fname))


_NUMBERS = (int, float, complex, bool)


def _dtype_of(v):
    """The dtype of an array or number leaf; None for anything else."""
    if isinstance(v, (np.ndarray, _onp.ndarray, _onp.generic)):
        return v.dtype
    if type(v) in _NUMBERS:
        return None if type(v) is bool else _onp.asarray(v).dtype
    return False


_OWNER = {"tangent": "primal", "cotangent": "output"}


def _check_perturbation(p, t, fname, what):
    """A tangent or cotangent ``t`` for the leaf ``p``: an array or a number of ``p``'s shape, and
    for a floating ``p`` its dtype (a Python float or complex takes it, as JAX's weak types)."""
    owner = _OWNER[what]
    td = _dtype_of(t)
    if td is False or (td is None and type(t) is not bool):
        raise TypeError(f"{fname}(): a {what} must be an array or a number, got {type(t).__name__} "
                        f"{t!r:.60}")
    if _onp.shape(p) != _onp.shape(t):
        raise ValueError(f"{fname}(): {what} shape {_onp.shape(t)} does not match the {owner}'s "
                         f"shape {_onp.shape(p)}")
    pd = _dtype_of(p)
    if not pd or pd.kind not in "fc":
        return  # (an integer primal raises elsewhere; an integer output takes any cotangent)
    weak = type(t) in (float, complex) and (type(t) is float or pd.kind == "c")
    if not weak and td != pd:
        raise TypeError(f"{fname}(): {what} dtype {td if td is not None else 'bool'} does not match "
                        f"the {owner}'s {pd} (a {what} has its {owner}'s floating-point dtype)")


def _same_structure(primal, other, fname, what):
    pl, pt = flatten(primal)
    ol, ot = flatten(other)
    if len(pl) != len(ol) or pt != ot:
        raise ValueError(f"{fname}(): the {what} ({type(other).__name__} of {len(ol)} leaves) does "
                         f"not have the structure of the {_OWNER[what]} ({type(primal).__name__} of "
                         f"{len(pl)} leaves)")
    return pl, ol


def _argnums_tuple(argnums, nargs, fname):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"{fname}(): argnums {argnums} out of range for {nargs} positional arguments")
    return tuple(n % nargs for n in nums)


def _diff_leaf(v, fname, holomorphic=False):
    """A differentiable array for leaf ``v``, or TypeError (integers and booleans are not)."""
    x = v if isinstance(v, np.ndarray) else np.asarray(v)
    if not core.is_inexact(x.dtype):
        raise TypeError(f"{fname}() requires real- or complex-valued (floating-point) inputs, got "
                        f"{x.dtype} {x.shape}; integer and boolean arguments have no derivative "
                        f"(convert with .astype(float) to differentiate)")
    if holomorphic and x.dtype.kind != "c":
        raise TypeError(f"{fname}(holomorphic=True) requires complex inputs, got {x.dtype} {x.shape}")
    return apply(ALIAS, x)


def _prepare(args, nums, fname, attach, holomorphic=False):
    """Replace the differentiated arguments by fresh aliases; ``attach(alias)`` each."""
    args = list(args)
    per_arg = []
    for n in nums:
        leaves, tree = flatten(args[n])
        aliases = [_diff_leaf(v, fname, holomorphic) for v in leaves]
        for a in aliases:
            attach(a)
        args[n] = unflatten(tree, aliases)
        per_arg.append((tree, aliases))
    return args, per_arg


def _watched(per_arg, rec):
    """The aliases of the differentiated arguments and their entries now, before the function
    runs: the gradient is with respect to the values passed in, even where the function writes
    into its arguments (those writes are recorded as functional updates of these entries)."""
    sources = [a for _, aliases in per_arg for a in aliases]
    return sources, [core.entry_of(a, rec) for a in sources]


def _scalar_output(out, fname, holomorphic=False):
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    if out.size != 1 or out.dtype.kind not in "fc":  # (size 1 of any shape, as autograd)
        raise TypeError(f"{fname}(): the function must return a real scalar (a float array of size "
                        f"1), got {out.dtype} {out.shape}; for other outputs use vjp, jacrev or jacfwd")
    if out.dtype.kind == "c" and not holomorphic:
        raise TypeError(f"{fname}(): the function returned a complex scalar; gradients need a real "
                        f"output (take np.real or np.abs first), or pass holomorphic=True for a "
                        f"holomorphic function")
    if holomorphic and out.dtype.kind != "c":
        raise TypeError(f"{fname}(holomorphic=True): the function must return a complex scalar, "
                        f"got {out.dtype}")
    return out


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """``f`` and its gradient with respect to ``argnums``: ``(value, grad)`` (``((value, aux), grad)``).
    ``holomorphic=True``: complex ``f`` of complex arguments, whose gradient is ``f'(z)``."""
    return _value_and_grad_fn("value_and_grad", fun, argnums, has_aux, holomorphic)


def _value_and_grad_fn(fname, fun, argnums, has_aux, holomorphic):
    fun, argnums, has_aux, holomorphic = _transform_args(fname, fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        core.hold_gc(1)
        try:
            return _value_and_grad(fun, argnums, has_aux, holomorphic, args, kwargs, fname)
        finally:
            core.hold_gc(-1)
    return wrapped


def _aux_pair(out, fname):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{fname}(has_aux=True): the function must return a pair (output, aux), got "
                        f"{type(out).__name__}")
    return out


def _value_and_grad(fun, argnums, has_aux, holomorphic, args, kwargs, fname="grad"):
    """One call of value_and_grad(fun, ...)."""
    nums = _argnums_tuple(argnums, len(args), fname)
    rec = core.Recorder(name=fname)
    try:
        core._activate(rec)
        try:
            args2, per_arg = _prepare(args, nums, fname, rec.watch, holomorphic)
            sources, entries = _watched(per_arg, rec)
            out = fun(*args2, **kwargs)
        finally:
            core._deactivate(rec)
        aux = None
        if has_aux:
            out, aux = _aux_pair(out, fname)
        out = _scalar_output(out, fname, holomorphic)
        seed = apply(REGISTRY["ones"], shape=(), dtype=out.dtype, order="C", device=out.device)
        cts = rec.backward([out], [seed], sources, "zero", entries)
    except BaseException:
        rec.release()  # free what it saved now, not when the traceback goes
        raise
    grads, k = [], 0
    for tree, aliases in per_arg:
        grads.append(unflatten(tree, cts[k:k + len(aliases)]))
        k += len(aliases)
    g = grads[0] if isinstance(argnums, int) else tuple(grads)
    out = stop_gradient_of(out, rec)
    return ((out, aux) if has_aux else out), g


def stop_gradient_of(x, trace):
    """``x`` without ``trace``'s entry (the trace is finished)."""
    if isinstance(x, np.ndarray) and x._ad is not None:
        x._ad.pop(trace, None)
    return x


def grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """The gradient of a real scalar function ``fun`` with respect to argument(s) ``argnums``
    (of a complex one with ``holomorphic=True``: ``f'(z)``).

    >>> import npflow as np
    >>> np.grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> np.grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (array(4.), array(3.))
    """
    vg = _value_and_grad_fn("grad", fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        v, g = vg(*args, **kwargs)
        return (g, v[1]) if has_aux else g
    return wrapped


def vjp(fun, *primals, has_aux=False):
    """``(fun(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` gives one cotangent per primal."""
    _fun_arg(fun, "vjp")
    has_aux = _flag_arg(has_aux, "has_aux", "vjp")
    rec = core.Recorder(persistent=True, name="vjp")
    try:
        core._activate(rec)
        try:
            args, per_arg = _prepare(primals, range(len(primals)), "vjp", rec.watch)
            sources, entries = _watched(per_arg, rec)
            out = fun(*args)
        finally:
            core._deactivate(rec)
        aux = None
        if has_aux:
            out, aux = _aux_pair(out, "vjp")
        out_leaves, out_tree = flatten(out)
    except BaseException:
        rec.release()  # free what it saved now, not when the traceback goes (as value_and_grad)
        raise

    def vjp_fn(cotangent):
        _, ct_leaves = _same_structure(out, cotangent, "vjp_fn", "cotangent")
        for c, o in zip(ct_leaves, out_leaves):
            _check_perturbation(o, c, "vjp_fn", "cotangent")
        cts = rec.backward(out_leaves, [np.asarray(c) for c in ct_leaves], sources, "zero", entries)
        res, k = [], 0
        for tree, aliases in per_arg:
            res.append(unflatten(tree, cts[k:k + len(aliases)]))
            k += len(aliases)
        return tuple(res)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(fun, primals, tangents, has_aux=False):
    """``(fun(*primals), tangent_out)``: forward mode, through the ops' jvp rules."""
    _fun_arg(fun, "jvp")
    has_aux = _flag_arg(has_aux, "has_aux", "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"jvp(): primals and tangents must be tuples or lists (one entry per "
                        f"argument), got {type(primals).__name__} and {type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp(): {len(primals)} primals but {len(tangents)} tangents")
    trace = core.Tangents()
    seeds = []
    for p, t in zip(primals, tangents):
        pl, tl = _same_structure(p, t, "jvp", "tangent")
        for a, b in zip(pl, tl):
            _check_perturbation(a, b, "jvp", "tangent")
        seeds.extend(tl)
    it = iter(seeds)
    try:
        core._activate(trace)
        try:
            args, per_arg = _prepare(primals, range(len(primals)), "jvp",
                                     lambda a: trace.seed(a, np.asarray(next(it)).astype(a.dtype)))
            out = fun(*args)
        finally:
            core._deactivate(trace)
        aux = None
        if has_aux:
            out, aux = _aux_pair(out, "jvp")
        leaves, tree = flatten(out)
        t_out = []
        for o in leaves:
            t = trace.tangent(o) if isinstance(o, np.ndarray) else None
            t_out.append(np.zeros_like(o) if t is None else t)
            stop_gradient_of(o, trace)
    finally:
        trace.release()  # (also when fun raised: not when the traceback goes)
    res = (out, unflatten(tree, t_out))
    return res + (aux,) if has_aux else res


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` with ``f_jvp(*tangents)`` the jvp at ``primals``
    (evaluated by forward mode at each call)."""
    _fun_arg(fun, "linearize")
    frozen = _snapshot(primals)  # (fun may write into its arguments: each call starts afresh)
    out = fun(*primals)
    return out, lambda *tangents: jvp(fun, _snapshot(frozen), tangents)[1]


def _snapshot(args):
    """``args`` with every array leaf copied: transforms that run a function several times run
    it each time on the values passed in, even if it writes into its arguments."""
    leaves, tree = flatten(tuple(args))
    return unflatten(tree, [np.copy(v) if isinstance(v, np.ndarray) else v for v in leaves])


def _basis(x):
    n = x.size
    eye = np.eye(n, dtype=x.dtype, device=x.device)
    return [eye[k].reshape(x.shape) for k in range(n)]


def _arrays(tree):
    leaves, t = flatten(tree)
    return [np.asarray(v) for v in leaves], t


def _jac_setup(fun, args, argnums, holomorphic, fname):
    """(argnums tuple, ``fun`` of the differentiated arguments only, their (leaves, tree)s)."""
    nums = _argnums_tuple(argnums, len(args), fname)
    ins = [_arrays(args[n]) for n in nums]
    if holomorphic:
        for leaves, _ in ins:
            for a in leaves:
                _diff_leaf(a, fname, True)
    g = lambda *d: fun(*[d[nums.index(i)] if i in nums else a for i, a in enumerate(args)])
    return nums, g, ins


def _assemble(argnums, otree, outs, ins, block):
    """The Jacobian in JAX's nesting: the output's structure, each leaf holding the argument's
    structure (a tuple of them for tuple ``argnums``); ``block(i, k, j)``: out leaf i, arg k, leaf j."""
    res = []
    for i in range(len(outs)):
        per = [unflatten(tree, [block(i, k, j) for j in range(len(leaves))])
               for k, (leaves, tree) in enumerate(ins)]
        res.append(per[0] if isinstance(argnums, int) else tuple(per))
    return unflatten(otree, res)


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian by reverse mode (one vjp per output element): for each output leaf and
    argument leaf, shape ``out.shape + arg.shape``; arguments and results may be pytrees."""
    fun, argnums, has_aux, holomorphic = _transform_args("jacrev", fun, argnums, has_aux, holomorphic)

    def jac(*args):
        nums, g, ins = _jac_setup(fun, args, argnums, holomorphic, "jacrev")
        res = vjp(g, *[args[n] for n in nums], has_aux=has_aux)
        outs, otree = _arrays(res[0])
        rows = []  # rows[i]: per basis element of out leaf i, the cotangent leaves per argument
        for i, o in enumerate(outs):
            cts = [[flatten(c)[0] for c in
                    res[1](unflatten(otree, [e if m == i else np.zeros_like(p) for m, p in enumerate(outs)]))]
                   for e in _basis(o)]
            rows.append(cts)

        def block(i, k, j):
            o, a = outs[i], ins[k][0][j]
            if not rows[i]:
                return np.zeros(o.shape + a.shape, dtype=a.dtype)
            return np.stack([r[k][j] for r in rows[i]]).reshape(o.shape + a.shape)
        out = _assemble(argnums, otree, outs, ins, block)
        return (out, res[2]) if has_aux else out
    return jac


jacobian = jacrev


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian by forward mode (one jvp per argument element): for each output leaf and
    argument leaf, shape ``out.shape + arg.shape``; arguments and results may be pytrees."""
    fun, argnums, has_aux, holomorphic = _transform_args("jacfwd", fun, argnums, has_aux, holomorphic)

    def jac(*args):
        nums, _, ins = _jac_setup(fun, args, argnums, holomorphic, "jacfwd")
        frozen = _snapshot(args)
        calls = [args]  # the first evaluation on ``args``, the later ones on copies of their values

        def evaluate(tangents=None):  # (fun may write into its arguments)
            a = calls.pop() if calls else _snapshot(frozen)
            g = lambda *d: fun(*[d[nums.index(i)] if i in nums else v for i, v in enumerate(a)])
            primals = tuple(a[n] for n in nums)
            return g(*primals) if tangents is None else jvp(g, primals, tangents, has_aux=has_aux)
        zeros = [[np.zeros_like(a) for a in leaves] for leaves, _ in ins]
        cols, out, aux = {}, None, None
        for k, (leaves, _) in enumerate(ins):
            for j, a in enumerate(leaves):
                cols[k, j] = []
                for e in _basis(a):
                    tangents = tuple(unflatten(tree, [e if (kk, jj) == (k, j) else z for jj, z in enumerate(zs)])
                                     for kk, ((_, tree), zs) in enumerate(zip(ins, zeros)))
                    r = evaluate(tangents)
                    out, aux = r[0], (r[2] if has_aux else None)
                    cols[k, j].append(_arrays(r[1])[0])
        if out is None:  # every argument is empty: one call for the output's structure
            r = evaluate()
            out, aux = r if has_aux else (r, None)
        outs, otree = _arrays(out)

        def block(i, k, j):
            o, a = outs[i], ins[k][0][j]
            if not cols[k, j]:
                return np.zeros(o.shape + a.shape, dtype=o.dtype)
            return np.stack([c[i] for c in cols[k, j]], axis=-1).reshape(o.shape + a.shape)
        res = _assemble(argnums, otree, outs, ins, block)
        return (res, aux) if has_aux else res
    return jac


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Hessian of a scalar function: jacfwd of jacrev."""
    _transform_args("hessian", fun, argnums, has_aux, holomorphic)
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def elementwise_grad(fun, argnum=0):
    """autograd's elementwise_grad: the vjp of ``fun`` with a cotangent of ones
    (the derivative of each output element, for elementwise functions)."""
    _fun_arg(fun, "elementwise_grad")
    if not _is_index(argnum):
        raise TypeError(f"elementwise_grad(): argnum must be an int, got {type(argnum).__name__} "
                        f"{argnum!r:.60}")
    def g(*args):
        out, f = vjp(lambda x: fun(*[x if i == argnum else a for i, a in enumerate(args)]), args[argnum])
        return f(np.ones_like(out))[0]
    return g


# -- custom rules and rematerialisation ------------------------------------------------------

def _innermost_tracking(flat_args):
    """(index in the stack, trace, entries, the stack) of the innermost active trace tracking an
    argument; the stack is this thread's, after other threads' traces tracking an argument."""
    stack = core.stack_for(flat_args)
    for i in range(len(stack) - 1, -1, -1):
        t = stack[i]
        entries = [core.entry_of(a, t) if isinstance(a, np.ndarray) else None for a in flat_args]
        if any(e is not None for e in entries):
            return i, t, entries, stack
    return None, None, None, stack


def _outside(stack, i):
    """``with _outside(stack, i):`` runs a block with only the traces outside ``stack[i]``."""
    return core.only(stack[:i], stack[i:])


def _diff_leaves(args, nondiff_argnums):
    """(differentiable arguments, their leaves, ``regroup(values per leaf) -> per argument``)."""
    diff = [a for k, a in enumerate(args) if k not in nondiff_argnums]
    flat, trees = [], []
    for a in diff:
        leaves, tree = flatten(a)
        flat.extend(leaves)
        trees.append((tree, len(leaves)))

    def regroup(values):
        res, k = [], 0
        for tree, n in trees:
            res.append(unflatten(tree, values[k:k + n]))
            k += n
        return tuple(res)
    regroup.trees = trees
    return diff, flat, regroup


def _own_outputs(out, inputs):
    """(out, its leaves, its tree) with each array leaf that is one of ``inputs`` (or repeats an
    earlier leaf) replaced by an alias: a custom rule then gives its outputs their own entries
    instead of overwriting its inputs' (``lambda x: x`` would send every later use of ``x``
    through the rule) or one output's entry with another's. Run it where the outer traces are
    active: they record the alias, which keeps them connected."""
    outs, tree = flatten(out)
    seen = {id(a) for a in inputs if isinstance(a, np.ndarray)}
    changed = False
    for k, o in enumerate(outs):
        if isinstance(o, np.ndarray):
            if id(o) in seen:
                o = outs[k] = apply(ALIAS, o)
                changed = True
            seen.add(id(o))
    return (unflatten(tree, outs) if changed else out), outs, tree


class _CustomRule:
    """What custom_vjp and custom_jvp share: the function, its non-differentiable
    arguments, and finding the innermost trace that tracks the others."""

    def __init__(self, fun, nondiff_argnums=()):
        fname = type(self).__name__
        _fun_arg(fun, fname)
        nondiff_argnums = _argnums_arg(nondiff_argnums, fname, "nondiff_argnums")
        nondiff_argnums = (nondiff_argnums,) if isinstance(nondiff_argnums, int) else nondiff_argnums
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    def _tracking(self, args):
        """(diff args, their leaves, regroup, stack index, innermost tracking trace, entries,
        the stack)."""
        diff, flat, regroup = _diff_leaves(args, self.nondiff_argnums)
        return (diff, flat, regroup) + _innermost_tracking(flat)


class custom_vjp(_CustomRule):
    """JAX's ``custom_vjp``: ``f.defvjp(fwd, bwd)`` with ``fwd(*args) -> (out, residuals)`` and
    ``bwd(residuals, g) -> tuple of cotangents, one per argument`` (each with its structure)."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        """Set the rule: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g) -> cotangents``."""
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp {self.fun.__name__}: call defvjp(fwd, bwd) before using it")
        diff, flat, regroup, i, trace, entries, stack = self._tracking(args)
        if trace is None:
            return self.fun(*args)
        if isinstance(trace, core.Tangents):
            raise TypeError(f"can't apply forward-mode autodiff (jvp) to a custom_vjp function "
                            f"({self.fun.__name__}); give it a custom_jvp rule instead")
        with _outside(stack, i):  # (fwd usually calls f: outer traces then use this rule too)
            out, res = self.fwd(*args)
            out, outs, tree = _own_outputs(out, flatten(args)[0])
        nondiff = [a for k, a in enumerate(args) if k in self.nondiff_argnums]

        def backward(cts):
            g = unflatten(tree, [c if c is not None else np.zeros_like(o) for c, o in zip(cts, outs)])
            r = self.bwd(*nondiff, res, g) if nondiff else self.bwd(res, g)
            if not isinstance(r, tuple) or len(r) != len(diff):
                raise TypeError(f"custom_vjp {self.fun.__name__}: bwd must return a tuple with one "
                                f"cotangent per differentiable argument ({len(diff)}), got {r!r:.80}")
            per_leaf = []
            for c, (t, n) in zip(r, regroup.trees):
                leaves = [None] * n if c is None else flatten(c)[0]
                if len(leaves) != n:
                    raise TypeError(f"custom_vjp {self.fun.__name__}: bwd returned a cotangent whose "
                                    f"structure differs from its argument's ({c!r:.80})")
                per_leaf.extend(leaves)
            return per_leaf
        trace.record_custom(flat, entries, outs, backward, self.fun.__name__)
        return out


class custom_jvp(_CustomRule):
    """JAX's ``custom_jvp``: ``@f.defjvp`` with ``rule(primals, tangents) -> (out, tangent_out)``,
    linear in the tangents. Reverse mode transposes the rule."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.rule = None

    def defjvp(self, rule):
        """Set the rule ``rule(primals, tangents) -> (out, out_tangent)`` (usable as a decorator)."""
        self.rule = rule
        return rule

    def __call__(self, *args):
        if self.rule is None:
            raise TypeError(f"custom_jvp {self.fun.__name__}: define the rule with @f.defjvp first")
        diff, flat, regroup, i, trace, entries, stack = self._tracking(args)
        if trace is None:
            return self.fun(*args)
        nondiff = [args[k] for k in self.nondiff_argnums]

        def call_rule(primals, tangents):
            return self.rule(*nondiff, primals, tangents) if nondiff else self.rule(primals, tangents)
        if isinstance(trace, core.Tangents):
            tangents = regroup([trace.tangent(a) if e is not None else np.zeros_like(a)
                                for a, e in zip(flat, entries)])
            with _outside(stack, i):
                out, t_out = call_rule(tuple(diff), tangents)
                out, outs, _ = _own_outputs(out, flatten(args)[0])
            for o, t in zip(outs, _tangent_leaves(self.fun.__name__, outs, t_out)):
                if isinstance(o, np.ndarray) and core.is_inexact(o.dtype) and t is not None:
                    core.set_entry(o, trace, fit(t, o.shape, o.dtype, self.fun.__name__, forward=True), 0)
            return out
        with _outside(stack, i):
            out = self(*args)  # outer traces tracking the arguments use the rule too
            out, outs, tree = _own_outputs(out, flatten(args)[0])
        outer = stack[:i]

        def backward(cts):  # the transpose of the (linear) tangent map, by reverse mode
            rec = core.Recorder(name="custom_jvp transpose")
            with core.only(outer + [rec]):
                ts = [apply(ALIAS, np.zeros_like(p)) for p in flat]
                for t in ts:
                    if core.is_inexact(t.dtype):
                        rec.watch(t)
                _, t_out = call_rule(tuple(diff), regroup(ts))
            t_leaves = _tangent_leaves(self.fun.__name__, outs, t_out)
            return rec.backward(t_leaves, [c if c is not None else np.zeros_like(t)
                                           for c, t in zip(cts, t_leaves)], ts, "zero")
        trace.record_custom(flat, entries, outs, backward, self.fun.__name__)
        return out


def _tangent_leaves(name, outs, t_out):
    """The leaves of a custom_jvp rule's tangent output, which must match its primal output's
    (one tangent per output leaf: a shorter or longer list would drop or misplace tangents)."""
    leaves = flatten(t_out)[0]
    if len(leaves) != len(outs):
        raise TypeError(f"custom_jvp {name}: the rule's tangent output has {len(leaves)} leaves where "
                        f"its primal output has {len(outs)}: they must have the same structure")
    return leaves


def checkpoint(fun):
    """``fun`` whose intermediate values are recomputed in the backward pass instead of saved."""
    _fun_arg(fun, "checkpoint")
    @functools.wraps(fun)
    def wrapped(*args):
        leaves, tree = flatten(args)
        i, trace, entries, stack = _innermost_tracking(leaves)
        if trace is None or isinstance(trace, core.Tangents):
            return fun(*args)
        outer = stack[:i]
        checks = core.save_checks(leaves, trace)  # (the backward pass reads them again)
        with _outside(stack, i):
            out = fun(*args)
            out, outs, otree = _own_outputs(out, leaves)
        name = getattr(fun, "__name__", "checkpoint")
        if any(v.n != n for _, v, n in checks):
            raise core.AutodiffError(
                f"checkpoint({name}): the function wrote into its argument, but a checkpointed "
                f"function runs again on its arguments in the backward pass; write into a copy")

        def backward(cts):
            rec = core.Recorder(name="checkpoint")
            with core.only(outer + [rec]):
                xs = [apply(ALIAS, x) if isinstance(x, np.ndarray) and core.is_inexact(x.dtype) else x
                      for x in leaves]
                for x, e in zip(xs, entries):
                    if e is not None:
                        rec.watch(x)
                again = flatten(fun(*unflatten(tree, xs)))[0]
            srcs = [x for x, e in zip(xs, entries) if e is not None]
            got = rec.backward(again, [c if c is not None else np.zeros_like(o)
                                       for c, o in zip(cts, again)], srcs, "zero")
            it = iter(got)
            return [next(it) if e is not None else None for e in entries]
        trace.record_custom(leaves, entries, outs, backward, name, checks)
        return out
    return wrapped
