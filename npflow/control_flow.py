"""Control flow with JAX's ``lax`` signatures: cond, switch, while_loop, fori_loop, scan, map.

npflow runs eagerly, so these run ordinary Python control flow on concrete
values: every op inside is recorded by the active traces, which makes them
differentiable in reverse and forward mode (loops of data-dependent length
included) with no rules of their own. Operands, carries, ``xs`` and outputs
may be pytrees (nested tuples, lists, dicts of arrays and scalars).

Differences from JAX that follow from eager execution: ``cond`` and
``switch`` run only the taken branch (so the branches' outputs are not
compared with each other), and a loop body is checked each time it runs (a
``while_loop`` whose condition is false at once never calls ``body_fun``).
As in JAX, a loop body must return a carry of exactly the carry's structure,
shapes and dtypes (TypeError otherwise); a Python scalar in the carry is
weakly typed and takes the dtype of the first array the body returns for it.
"""
import collections

import numpy as _onp

from ._core import dispatch as _dispatch
from ._core.dtypes import result_type
from ._core.ndarray import ndarray
from ._numpy.creation import asarray, zeros
from ._numpy.manipulation import stack
from .autodiff.pytree import flatten, unflatten

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]

_PY_SCALARS = {bool: "b", int: "i", float: "f", complex: "c"}
_WEAK = (int, float, complex)  # Python scalars are weakly typed, as in JAX (bool is not)


class _Leaf:
    """Stands for a leaf when a structure is shown in an error message."""

    def __repr__(self):
        return "*"


def _show(treedef):
    return repr(unflatten(treedef, iter(_Leaf, None)))


def _paths(tree, prefix):
    """Each leaf's path (``carry[0]['w']``), in ``flatten``'s order."""
    if type(tree) is dict:
        for k in sorted(tree, key=repr):
            yield from _paths(tree[k], f"{prefix}[{k!r}]")
    elif isinstance(tree, (tuple, list)) and (type(tree) in (tuple, list) or hasattr(tree, "_fields")):
        for i, c in enumerate(tree):
            yield from _paths(c, f"{prefix}[{i}]")
    else:
        yield prefix


def _scalar(x, fn, what, kinds):
    """A Python value for the scalar ``x`` (pred, index, bound), whose dtype kind is in ``kinds``."""
    kind = _PY_SCALARS.get(type(x))
    if kind is None:
        dtype, shape = getattr(x, "dtype", None), getattr(x, "shape", None)
        if dtype is None or shape is None:
            raise TypeError(f"{fn}: {what} must be a scalar, got {type(x).__name__}")
        if shape != ():
            raise TypeError(f"{fn}: {what} must be a scalar, got an array of shape {shape}")
        kind = _onp.dtype(dtype).kind
        kind = "i" if kind == "u" else kind
    if kind not in kinds:
        names = {"b": "boolean", "i": "integer"}
        raise TypeError(f"{fn}: {what} must be {' or '.join(names[k] for k in kinds)}, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    return bool(x) if kind == "b" else int(x)


# -- carry checking -------------------------------------------------------------------
_Aval = collections.namedtuple("_Aval", "shape dtype weak device")


def _aval(x):
    """A leaf's type: None for None, False for a non-array; ``weak`` is its Python type if weakly typed."""
    if x is None:
        return None
    if type(x) in _PY_SCALARS:
        return _Aval((), result_type(x), type(x) if type(x) in _WEAK else None, None)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return _Aval(tuple(x.shape), _onp.dtype(x.dtype), None, x.device if isinstance(x, ndarray) else None)
    return False


def _show_aval(a, x):
    if a is None:
        return "None"
    if a is False:
        return f"a {type(x).__name__} (not an array)"
    shape = ",".join(str(d) for d in a.shape)
    return f"{a.dtype}[{shape}]" + (f" (a Python {a.weak.__name__})" if a.weak else "")


def _match(want, got, v):
    """(ok, value) for carry value ``v`` of type ``got`` where the carry has type ``want``."""
    if want is None or got is None or got is False or want.shape != got.shape:
        return want is got, v
    if want.weak:  # a weakly typed carry takes any dtype that absorbs it
        return result_type(want.weak(0), got.weak(0) if got.weak else got.dtype) == got.dtype, v
    if got.weak:  # a Python scalar for an array: cast, if that loses nothing
        ok = result_type(want.dtype, got.weak(0)) == want.dtype
        return ok, asarray(v, dtype=want.dtype, device=want.device) if ok else v
    return want.dtype == got.dtype, v


class _Type:
    """A carry's (or scan output's) type: structure and per-leaf shape and dtype, as in JAX."""

    def __init__(self, fn, what, value, rule="a loop carry keeps its structure, shapes and dtypes"):
        self.fn, self.what, self.rule = fn, what, rule
        leaves, self.tree = flatten(value)
        self.avals = [_aval(v) for v in leaves]
        for p, a, v in zip(_paths(value, what), self.avals, leaves):
            if a is False:
                raise TypeError(f"{fn}: {p} must be an array, a scalar or None, got {type(v).__name__}")

    def check(self, value, source):
        """``value`` in this type (a Python scalar returned for an array leaf is cast), or TypeError."""
        leaves, tree = flatten(value)
        if tree != self.tree:
            raise TypeError(f"{self.fn}: {source} has structure {_show(tree)}, expected "
                            f"{_show(self.tree)} like {self.what} ({self.rule})")
        out = []
        for i, v in enumerate(leaves):
            want, got = self.avals[i], _aval(v)
            ok, v = _match(want, got, v)
            if not ok:
                p = list(_paths(value, self.what))[i]
                raise TypeError(f"{self.fn}: {source} gave {_show_aval(got, v)} for {p}, expected "
                                f"{_show_aval(want, None)} ({self.rule})")
            if want is not None and want.weak:
                self.avals[i] = got
            out.append(v)
        return unflatten(tree, out)


def _jit_control():
    from .jit import control  # (npflow.jit is above this module: imported when it traces)
    return control


# -- the forms ------------------------------------------------------------------------
def _callables(fn, fns):
    for f in fns:
        if not callable(f):
            raise TypeError(f"{fn}: branches must be callable, got {type(f).__name__}")


def cond(pred, true_fn, false_fn, *operands):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)`` (only the taken branch runs).

    >>> import npflow as np
    >>> np.cond(np.array(2.0) > 1, np.sin, np.cos, np.array(0.0))
    array(0.)
    """
    _callables("cond", (true_fn, false_fn))
    if _dispatch.concrete_check is not None:  # npflow.jit traces: one graph node (jit/control.py)
        r = _jit_control().cond(pred, (false_fn, true_fn), operands,
                                lambda: cond(pred, true_fn, false_fn, *operands))
        if r is not NotImplemented:
            return r
    taken = true_fn if _scalar(pred, "cond", "pred", "bi") else false_fn
    return taken(*operands)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped into range (only that branch runs)."""
    i = _scalar(index, "switch", "index", "i")
    branches = tuple(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    _callables("switch", branches)
    if _dispatch.concrete_check is not None:
        r = _jit_control().cond(index, branches, operands, lambda: switch(index, branches, *operands))
        if r is not NotImplemented:
            return r
    return branches[min(max(i, 0), len(branches) - 1)](*operands)


def while_loop(cond_fun, body_fun, init_val):
    """``val = body_fun(val)`` while ``cond_fun(val)``, from ``init_val``; returns the final ``val``."""
    carry, val = _Type("while_loop", "init_val", init_val), init_val
    if _dispatch.concrete_check is not None:
        r = _jit_control().while_loop(cond_fun, body_fun, init_val,
                                      lambda v: while_loop(cond_fun, body_fun, v))
        if r is not NotImplemented:
            return r
    while _scalar(cond_fun(val), "while_loop", "cond_fun's output", "b"):
        val = carry.check(body_fun(val), "body_fun")
    return val


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` (a Python int) in ``range(lower, upper)``."""
    if _dispatch.concrete_check is not None:  # (inside jit, i is a traced 0-d int64 array)
        r = _jit_control().fori_loop(lower, upper, body_fun, init_val,
                                     lambda lo, hi, v: fori_loop(lo, hi, body_fun, v))
        if r is not NotImplemented:
            return r
    lo = _scalar(lower, "fori_loop", "lower", "i")
    hi = _scalar(upper, "fori_loop", "upper", "i")
    carry, val = _Type("fori_loop", "init_val", init_val), init_val
    for i in range(lo, hi):
        val = carry.check(body_fun(i, val), "body_fun")
    return val


def _scan_length(fn, leaves, xs, length):
    paths = list(_paths(xs, "xs"))
    sizes = {}
    for p, v in zip(paths, leaves):
        if v is not None:
            if v.ndim == 0:
                raise ValueError(f"{fn}: {p} has no leading axis to scan over (shape ())")
            sizes.setdefault(v.shape[0], p)
    if length is not None:
        length = _scalar(length, fn, "length", "i")
    if len(sizes) > 1:
        raise ValueError(f"{fn}: xs have different leading axis sizes: "
                         + ", ".join(f"{n} ({p})" for n, p in sizes.items()))
    if sizes and length is not None and length not in sizes:
        raise ValueError(f"{fn}: length={length} disagrees with the leading axis size "
                         f"{next(iter(sizes))} of xs")
    if not sizes and length is None:
        raise ValueError(f"{fn}: no xs to scan over and length not given")
    return next(iter(sizes)) if sizes else length


def _step(fn, f, carry_type, c, x, y_type):
    out = f(c, x)
    if not (type(out) in (tuple, list) and len(out) == 2):
        raise TypeError(f"{fn}: f must return a pair (carry, y), got {type(out).__name__}"
                        + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    c = carry_type.check(out[0], "f's carry output")
    return c, (out[1] if y_type is None else y_type.check(out[1], "f's y output"))


def _empty(y):
    a = y if isinstance(y, ndarray) else asarray(y)
    return zeros((0,) + a.shape, dtype=a.dtype, device=a.device)


def scan(f, init, xs=None, length=None, reverse=False):
    """``carry, y = f(carry, x)`` for each ``x`` along ``xs``'s leading axis (last first if
    ``reverse``); returns the final carry and the ys stacked along a new leading axis.

    >>> import npflow as np
    >>> np.scan(lambda c, x: (c + x, c * x), np.array(0.0), np.array([1.0, 2.0, 3.0]))
    (array(6.), array([0., 2., 9.]))
    """
    return _scan("scan", f, init, xs, length, reverse)


def _scan(fn, f, init, xs, length, reverse):
    if _dispatch.concrete_check is not None:
        r = _jit_control().scan(fn, f, init, xs, length, reverse,
                                lambda c, x: _scan(fn, f, c, x, length, reverse))
        if r is not NotImplemented:
            return r
    leaves, x_tree = flatten(xs)
    leaves = [v if v is None or isinstance(v, ndarray) else asarray(v) for v in leaves]
    n = _scan_length(fn, leaves, xs, length)
    carry_type, c = _Type(fn, "init", init), init
    if n == 0:  # like JAX's trace: call f once, on zeros, for the ys' shapes and dtypes
        x = unflatten(x_tree, [None if v is None else zeros(v.shape[1:], dtype=v.dtype, device=v.device)
                               for v in leaves])
        with _onp.errstate(all="ignore"):
            y_leaves, y_tree = flatten(_step(fn, f, carry_type, c, x, None)[1])
        return init, unflatten(y_tree, [None if y is None else _empty(y) for y in y_leaves])
    ys, y_type = [], None
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        c, y = _step(fn, f, carry_type, c, unflatten(x_tree, [None if v is None else v[i] for v in leaves]),
                     y_type)
        y_type = y_type or _Type(fn, "y", y, "each y has the first y's structure, shapes and dtypes")
        ys.append(flatten(y)[0])
    if reverse:
        ys.reverse()
    stacked = [None if col[0] is None else stack(col) for col in zip(*ys)]
    return c, unflatten(y_type.tree, stacked)


def map(f, xs):  # noqa: A001 (JAX's name)
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked."""
    return _scan("map", lambda c, x: ((), f(x)), (), xs, None, False)[1]
