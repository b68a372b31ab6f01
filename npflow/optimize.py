"""A bridge to SciPy: ``minimize`` with exact gradients and hessian-vector products from npflow.

``fun(x, *args)`` is written in npflow operations and returns a real scalar; npflow
differentiates it, so SciPy gets the exact gradient (reverse mode, one evaluation per
call) and, for the methods that take one, the exact hessian-vector product (forward
over reverse). ``x`` keeps ``x0``'s shape, floating dtype and device inside ``fun``
and ``callback``; SciPy itself sees flat float64 NumPy vectors. SciPy is imported
on first use: npflow does not require it.
"""
import inspect

import numpy as _onp

from ._core.public import npflow as np  # (called at run time, once npflow is imported)

__all__ = ["minimize"]

HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})


def _scipy_optimize():
    try:
        import scipy.optimize
    except ImportError as e:
        raise ImportError("npflow.optimize.minimize() needs SciPy, which is not installed: "
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
    x0 = x0 if isinstance(x0, np.ndarray) else np.asarray(x0)
    if x0.dtype.kind == "c":
        raise TypeError(f"minimize(): x0 must be real, got {x0.dtype}; split a complex parameter "
                        f"into its real and imaginary parts")
    dtype = x0.dtype if x0.dtype.kind == "f" else np.float64
    shape, device = x0.shape, x0.device
    args = args if isinstance(args, tuple) else (args,)

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
    res.x = to_npflow(res.x)
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
