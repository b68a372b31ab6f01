"""``npflow.scipy.optimize``: SciPy's solvers with npflow's exact derivatives, and solutions
differentiable by the implicit function theorem.

``minimize``, ``root`` and ``least_squares`` are SciPy's (``scipy.optimize``), given npflow's exact
gradient, Jacobian and hessian-vector products; ``fixed_point`` is SciPy's too. Each returns its
solution as an npflow array that is differentiable in ``args`` (pytrees of arrays), in both modes
and to any order: the solution ``x`` of ``F(x, args) = 0`` (the gradient of the objective, the
equations, ``func(x) - x``) moves with ``args`` as ``dx = -F_x^{-1} F_args dargs`` (a ``custom_jvp``
rule whose reverse mode is its transpose), never by differentiating the solver's iterations.
Where that does not hold (bounds, constraints, a robust loss) differentiating raises.

The rest of this docstring is minimize's:

``fun(x, *args)`` is written in npflow operations and returns a real scalar; npflow
differentiates it, so SciPy gets the exact gradient (reverse mode, one evaluation per
call) and, for the methods that take one, the exact hessian-vector product (forward
over reverse). ``x`` keeps ``x0``'s shape, floating dtype and device inside ``fun``
and ``callback``; SciPy itself sees flat float64 NumPy vectors. SciPy is imported
on first use: npflow does not require it.
"""
import inspect

import numpy as _onp

from .._core.public import npflow as np  # (called at run time, once npflow is imported)
from ..autodiff.pytree import flatten, unflatten
from ..autodiff.transforms import _innermost_tracking

__all__ = ["minimize", "root", "least_squares", "fixed_point"]

HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})


def _scipy_optimize():
    try:
        import scipy.optimize
    except ImportError as e:
        raise ImportError("npflow.scipy.optimize needs SciPy, which is not installed: "
                          "pip install scipy (or pip install 'npflow[test]')") from e
    return scipy.optimize


def _host(a):
    """A flat float64 NumPy vector for SciPy (copied to the host from any device)."""
    return _onp.asarray(a, dtype=_onp.float64).ravel()


def minimize(fun, x0, args=(), method=None, jac=True, hessp=None, bounds=None, constraints=(),
             tol=None, callback=None, options=None):
    """``scipy.optimize.minimize`` of npflow function ``fun(x, *args)``; ``jac=True`` (the
    default) gives SciPy npflow's exact gradient and, for Newton-CG and the trust-region
    methods that take ``hessp``, its exact hessian-vector product. ``jac`` may also be a
    callable ``jac(x, *args)`` or SciPy's finite differences (``False``, ``"2-point"``, ...);
    ``hessp`` may be a callable ``hessp(x, p, *args)``. Dict constraints get npflow's
    exact Jacobian when they give no ``"jac"``. Returns SciPy's ``OptimizeResult`` with
    ``x`` (and ``jac``) as npflow arrays of ``x0``'s shape on ``x0``'s device."""
    so = _scipy_optimize()
    args = args if isinstance(args, tuple) else (args,)
    x0 = _x0(x0, "minimize", args)
    dtype, shape, device = x0.dtype, x0.shape, x0.device
    traced_args, args = args, _constant(args)

    def to_npflow(v):
        return np.asarray(_onp.asarray(v, dtype=_onp.float64).reshape(shape), dtype=dtype, device=device)

    def npflow_fn(f, vector_out):
        """``f`` taking and returning npflow arrays, as SciPy's function of flat vectors."""
        def wrapped(v, *a):
            out = f(to_npflow(v), *a)
            return _host(out) if vector_out else float(out)
        return wrapped

    value_and_grad = np.value_and_grad(fun)
    grad = np.grad(fun)
    if jac is True:
        def scipy_fun(v, *a):
            value, g = value_and_grad(to_npflow(v), *a)
            return float(value), _host(g)
    elif callable(jac):
        scipy_fun, jac = npflow_fn(fun, False), npflow_fn(jac, True)
    else:
        scipy_fun = npflow_fn(fun, False)
    if callable(hessp):
        hessp = _wrap_hessp(hessp, to_npflow)
    elif hessp is None and jac is True and isinstance(method, str) and method.lower() in HESSP_METHODS:
        hessp = _wrap_hessp(lambda x, p, *a: np.jvp(lambda y: grad(y, *a), (x,), (p,))[1], to_npflow)
    if isinstance(bounds, so.Bounds):  # a bound per element of x0 (shaped like it, or broadcast)
        bounds = so.Bounds(*(_onp.broadcast_to(_onp.asarray(b), shape).ravel()
                             for b in (bounds.lb, bounds.ub, bounds.keep_feasible)))
    res = so.minimize(scipy_fun, _host(x0), args=args, method=method, jac=jac, hessp=hessp,
                      bounds=bounds, constraints=_wrap_constraints(constraints, to_npflow, npflow_fn),
                      tol=tol, callback=_wrap_callback(callback, to_npflow, so), options=options)
    if _tracked(traced_args):
        if bounds is not None or constraints:
            raise np.AutodiffError("minimize(): the solution is differentiable in args only without bounds "
                                   "and constraints (the implicit function theorem on the gradient)")
    if _tracked(traced_args):  # (SciPy's methods may report a failure at a stationary point)
        _unconverged(res, "minimize", lambda: float(np.max(np.abs(grad(to_npflow(res.x), *args)))) <= 1e-8 * max(
            1.0, abs(float(res.fun))))
    res.x = _implicit(grad, to_npflow(res.x), traced_args, "minimize")
    if isinstance(res.get("jac"), _onp.ndarray) and res.jac.shape == (x0.size,):
        res.jac = to_npflow(res.jac)
    return res


def _wrap_hessp(hessp, to_npflow):
    return lambda v, p, *a: _host(hessp(to_npflow(v), to_npflow(p), *a))


def _wrap_constraints(constraints, to_npflow, npflow_fn):
    """Dict constraints' functions of npflow arrays (exact Jacobians by default); others unchanged."""
    single = not isinstance(constraints, (list, tuple))
    out = []
    for c in [constraints] if single else constraints:
        if isinstance(c, dict):
            c, f = dict(c), c["fun"]
            jac = c.get("jac") or (lambda x, *a, f=f: np.jacrev(lambda y: np.atleast_1d(f(y, *a)))(x))
            c["jac"] = lambda v, *a, jac=jac: _host(jac(to_npflow(v), *a)).reshape(-1, _onp.size(v))
            c["fun"] = npflow_fn(f, True)
        out.append(c)
    return out[0] if single else out


def _wrap_callback(callback, to_npflow, so):
    """The user's callback, seeing ``x`` as an npflow array (SciPy's two callback styles)."""
    if callback is None:
        return None
    if set(inspect.signature(callback).parameters) == {"intermediate_result"}:
        def wrapped(intermediate_result):
            r = so.OptimizeResult(intermediate_result)
            r.x = to_npflow(r.x)
            return callback(intermediate_result=r)
        return wrapped
    return lambda xk, *rest: callback(to_npflow(xk), *rest)


# -- implicit differentiation --------------------------------------------------------------------

def _tracked(tree):
    return _innermost_tracking(flatten(tree)[0])[1] is not None


def _constant(args):
    """``args`` with every array leaf cut from the traces (what the solvers see)."""
    leaves, tree = flatten(args)
    return unflatten(tree, [np.stop_gradient(a) if isinstance(a, np.ndarray) else a for a in leaves])


def _unconverged(res, fname, ok=None):
    """Differentiating a solution SciPy did not reach raises (its implicit derivative would be
    that of a point that solves nothing); ``ok``: a test that overrides SciPy's verdict."""
    if not res.success and not (ok and ok()):
        raise np.AutodiffError(f"{fname}(): SciPy did not converge ({res.message}); the solution is "
                               f"differentiable in args only where it solves the problem")


def _implicit(F, x_star, args, fname):
    """``x_star`` (a solution of ``F(x, *args) = 0`` found without derivatives) as a function of the
    floating array leaves of ``args``: ``custom_jvp`` with ``dx = -F_x^{-1} (F_args . dargs)`` (dense
    Jacobian, solved by ``np.linalg.solve``; the rule calls the solution again, so higher orders
    differentiate it too). Unchanged where no trace tracks ``args``."""
    leaves, tree = flatten(args)
    idx = [k for k, a in enumerate(leaves) if isinstance(a, np.ndarray) and a.dtype.kind in "fc"]
    if not _tracked([leaves[k] for k in idx]):
        return x_star
    shape, n = x_star.shape, x_star.size

    def full(diff):
        vals = list(leaves)
        for k, v in zip(idx, diff):
            vals[k] = v
        return unflatten(tree, vals)

    def solution(*diff):
        return x_star
    solution.__name__ = fname
    solution = np.custom_jvp(solution)

    @solution.defjvp
    def rule(primals, tangents):
        x = solution(*primals)
        a = full(primals)
        Jx = np.reshape(np.jacfwd(lambda y: F(y, *a))(x), (n, n))
        _, Ft = np.jvp(lambda *d: F(x, *full(d)), tuple(primals), tuple(tangents))
        return x, np.reshape(-np.linalg.solve(Jx, np.reshape(Ft, (n,))), shape)
    return solution(*[leaves[k] for k in idx])


def _x0(x0, fname, args):
    """``x0`` as a real floating npflow array; uncommitted (a list, NumPy) it goes to the device of
    the first npflow array in ``args``."""
    if not isinstance(x0, np.ndarray):
        devices = [a.device for a in flatten(args)[0] if isinstance(a, np.ndarray)]
        x0 = np.asarray(x0, device=devices[0] if devices else None)
    if x0.dtype.kind == "c":
        raise TypeError(f"{fname}(): x0 must be real, got {x0.dtype}; split a complex parameter "
                        f"into its real and imaginary parts")
    return x0.astype(x0.dtype if x0.dtype.kind == "f" else np.float64)


def _converters(x0):
    def to_npflow(v):
        return np.asarray(_onp.asarray(v, dtype=_onp.float64).reshape(x0.shape), dtype=x0.dtype, device=x0.device)
    return to_npflow


def root(fun, x0, args=(), method="hybr", jac=True, tol=None, callback=None, options=None):
    """``scipy.optimize.root`` of npflow function ``fun(x, *args)`` (values shaped like ``x0``):
    with ``jac=True`` (the default) the methods that take a Jacobian (hybr, lm) get npflow's
    exact one; ``jac`` may be a callable ``jac(x, *args)`` or False (SciPy's finite differences).
    SciPy's ``OptimizeResult``, with ``x`` an npflow array of ``x0``'s shape, differentiable in
    ``args`` by the implicit function theorem (both modes, any order)."""
    so = _scipy_optimize()
    args = args if isinstance(args, tuple) else (args,)
    x0 = _x0(x0, "root", args)
    const = _constant(args)
    to_npflow = _converters(x0)

    def F(x, *a):
        out = fun(x, *a)
        out = out if isinstance(out, np.ndarray) else np.asarray(out)
        if out.size != x0.size:
            raise ValueError(f"root(): fun(x) must have as many values as x ({x0.size}), got shape {out.shape}")
        return out

    def scipy_fun(v):
        return _host(F(to_npflow(v), *const))
    scipy_jac = None
    if jac is True and method in ("hybr", "lm"):
        def scipy_jac(v):
            return _host(np.jacfwd(lambda x: F(x, *const))(to_npflow(v))).reshape(x0.size, x0.size)
    elif callable(jac):
        def scipy_jac(v):
            return _host(jac(to_npflow(v), *const)).reshape(x0.size, x0.size)
    cb = None if callback is None else (lambda xk, fk: callback(to_npflow(xk), to_npflow(fk)))
    res = so.root(scipy_fun, _host(x0), method=method, jac=scipy_jac, tol=tol, callback=cb, options=options)
    if _tracked(args):
        _unconverged(res, "root")
    res.x = _implicit(F, to_npflow(res.x), args, "root")
    if isinstance(res.get("fun"), _onp.ndarray) and res.fun.size == x0.size:
        res.fun = to_npflow(res.fun)
    return res


def least_squares(fun, x0, jac=True, bounds=(-_onp.inf, _onp.inf), method="trf", ftol=1e-8, xtol=1e-8,
                  gtol=1e-8, x_scale=None, loss="linear", f_scale=1.0, diff_step=None, tr_solver=None,
                  tr_options=None, jac_sparsity=None, max_nfev=None, verbose=0, args=(), kwargs=None,
                  callback=None, workers=None):
    """``scipy.optimize.least_squares`` of the residuals ``fun(x, *args, **kwargs)`` (npflow):
    ``jac=True`` (the default) gives SciPy npflow's exact Jacobian; ``jac`` may be a callable or
    SciPy's finite-difference scheme (``"2-point"``, ...). SciPy's ``OptimizeResult`` with ``x``
    (x0's shape), ``fun`` and ``jac`` as npflow arrays; ``x`` is differentiable in ``args``
    (implicit function theorem on the gradient of the cost) for the linear loss without bounds."""
    so = _scipy_optimize()
    args = args if isinstance(args, tuple) else (args,)
    x0 = _x0(x0, "least_squares", args)
    kwargs = dict(kwargs or {})
    const = _constant(args)
    to_npflow = _converters(x0)

    def residuals(x, *a):
        out = fun(x, *a, **kwargs)
        return np.ravel(out if isinstance(out, np.ndarray) else np.asarray(out))

    def scipy_fun(v):
        return _host(residuals(to_npflow(v), *const))
    if jac is True:
        def scipy_jac(v):
            return _host(np.jacfwd(lambda x: residuals(x, *const))(to_npflow(v))).reshape(-1, x0.size)
    elif callable(jac):
        def scipy_jac(v):
            return _onp.asarray(jac(to_npflow(v), *const, **kwargs), dtype=_onp.float64).reshape(-1, x0.size)
    else:
        scipy_jac = jac
    bounded = not all(_onp.all(_onp.isinf(_onp.asarray(b, dtype=float))) for b in (
        (bounds.lb, bounds.ub) if isinstance(bounds, so.Bounds) else bounds))
    if _tracked(args) and (bounded or loss != "linear"):
        raise np.AutodiffError("least_squares(): the solution is differentiable in args only for the linear "
                               "loss without bounds (the implicit function theorem on the cost's gradient)")
    res = so.least_squares(scipy_fun, _host(x0), jac=scipy_jac, bounds=bounds, method=method, ftol=ftol,
                           xtol=xtol, gtol=gtol, x_scale=x_scale, loss=loss, f_scale=f_scale,
                           diff_step=diff_step, tr_solver=tr_solver, tr_options=tr_options,
                           jac_sparsity=jac_sparsity, max_nfev=max_nfev, verbose=verbose, callback=callback,
                           workers=workers)
    cost_grad = np.grad(lambda x, *a: 0.5 * np.sum(residuals(x, *a) ** 2))
    if _tracked(args):
        _unconverged(res, "least_squares")
    res.x = _implicit(cost_grad, to_npflow(res.x), args, "least_squares")
    res.fun, res.jac = (np.asarray(v, dtype=x0.dtype, device=x0.device) for v in (res.fun, res.jac))
    return res


def fixed_point(func, x0, args=(), xtol=1e-8, maxiter=500, method="del2"):
    """``scipy.optimize.fixed_point``: ``x`` with ``func(x, *args) == x`` (SciPy's iteration, with
    Steffensen's acceleration for ``method="del2"``), an npflow array of ``x0``'s shape,
    differentiable in ``args`` by the implicit function theorem (both modes, any order)."""
    so = _scipy_optimize()
    args = args if isinstance(args, tuple) else (args,)
    x0 = _x0(x0, "fixed_point", args)
    const = _constant(args)
    to_npflow = _converters(x0)

    def scipy_func(v):
        return _host(func(to_npflow(v), *const)).reshape(_onp.shape(v))
    x = so.fixed_point(scipy_func, _host(x0).reshape(x0.shape), xtol=xtol, maxiter=maxiter, method=method)
    return _implicit(lambda x, *a: func(x, *a) - x, to_npflow(x), args, "fixed_point")
