"""Gradients on the Dask device (issue 16): the transforms and GradientTape with parameters or
data there equal the CPU device's to 1e-12, lazily and chunk by chunk; the registry walk of
tests/gradspecs on the Dask device (each op's first case: first and second order in both modes
equal to the CPU device's, which are checked against finite differences), and check_grads on
the Dask device for the ops whose Dask path is npflow's own; minimize and the optimizers; an
expected error keeps nothing alive."""
import gc
import weakref

import numpy as onp
import pytest

import npflow as nf
from npflow.autodiff.pytree import flatten, unflatten
from npflow.testing import check_grads

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
from gradspecs import all_cases  # noqa: E402
from test_dask import Computes  # noqa: E402
from npflow._backends.dask_backend import ChunkLayoutError, DaskUnsupportedError, UnknownShapeError  # noqa: E402,E501

TOL = 1e-12
rng = onp.random.default_rng(7)
X = rng.standard_normal((60, 5))
Y = (X @ onp.array([1.0, -2.0, 0.5, 0.0, 1.5]) + rng.standard_normal(60) > 0).astype(float)
W = rng.standard_normal(5) * 0.1


def loss(w, x, y):
    z = x @ w
    return nf.mean(nf.logaddexp(0, z) - y * z) + 0.01 * nf.sum(w * w)


def close(got, want, tol=TOL):
    got, want = onp.asarray(got), onp.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    onp.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def data(where):
    """(w, x, y) with the parameters, the data or both on the Dask device (the data in ragged
    row chunks); the rest NumPy arrays, which follow the device they meet."""
    on = {"both": ("w", "x", "y"), "data": ("x", "y"), "params": ("w",)}[where]
    chunks = {"w": -1, "x": ((25, 20, 15), 5), "y": ((25, 20, 15),)}
    vals = {"w": W, "x": X, "y": Y}
    return [nf.asarray(vals[k], device="dask", chunks=chunks[k]) if k in on else vals[k]
            for k in ("w", "x", "y")]


def _tape(w, x, y):
    with nf.GradientTape() as tape:
        tape.watch(w)
        value = loss(w, x, y)
    return value, tape.gradient(value, w)


TRANSFORMS = {
    "grad": lambda w, x, y: nf.grad(loss)(w, x, y),
    "grad-data": lambda w, x, y: nf.grad(loss, argnums=1)(w, x, y),
    "value_and_grad": lambda w, x, y: nf.value_and_grad(loss)(w, x, y),
    "vjp": lambda w, x, y: nf.vjp(lambda v: loss(v, x, y) * v, w)[1](nf.ones_like(w)),
    "jvp": lambda w, x, y: nf.jvp(lambda v: loss(v, x, y), (w,), (nf.ones_like(w),)),
    "hvp": lambda w, x, y: nf.jvp(nf.grad(lambda v: loss(v, x, y)), (w,), (nf.ones_like(w),))[1],
    "GradientTape": _tape,
}


def _leaves(r):
    return [e for v in r for e in _leaves(v)] if isinstance(r, (tuple, list)) else [r]


@pytest.mark.parametrize("where", ["both", "data", "params"])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_transforms_equal_the_cpu_device(name, where):
    fn = TRANSFORMS[name]
    want = fn(*(nf.asarray(v) for v in (W, X, Y)))
    args = data(where)
    if name == "grad-data" and where == "params":
        args[1] = nf.asarray(X, device="dask", chunks=(20, 5))  # (a NumPy x is not an npflow input)
    if where != "params" or name == "grad-data":
        args[0] = nf.asarray(args[0], device="dask") if not isinstance(args[0], nf.ndarray) else args[0]
    with Computes() as c:
        got = fn(*args)
    assert c.n == 0, "differentiating computed something: the gradient is lazy until asked for"
    for g, e in zip(_leaves(got), _leaves(want), strict=True):
        assert g.device == "dask"
        close(g.to_device("cpu"), e)


def test_the_gradient_runs_chunk_by_chunk():
    """The gradient of a loss over row chunks is a graph with work per chunk, summed by Dask's
    tree reduction: each chunk of the data is read by its own tasks."""
    w, x, y = data("both")
    g = nf.grad(loss)(w, x, y)
    graph = dict(nf.to_dask(g).__dask_graph__())
    per_chunk = [k for k in graph if isinstance(k, tuple) and len(k) >= 2 and k[1] in (0, 1, 2)]
    assert len(per_chunk) >= 3 * len(x.chunks[0])
    close(g.to_device("cpu"), nf.grad(loss)(nf.asarray(W), X, Y))


def test_minimize_and_optimizers_accept_dask_arrays():
    w0, x, y = data("both")
    res = nf.optimize.minimize(loss, w0, args=(x, y), method="L-BFGS-B")
    ref = nf.optimize.minimize(loss, nf.asarray(W), args=(X, Y), method="L-BFGS-B")
    assert res.success and res.x.device == "dask" and res.nit == ref.nit
    close(res.x.to_device("cpu"), ref.x, 1e-10)
    for opt_cls in (nf.optimizers.Adam, nf.optimizers.SGD):
        cpu, dsk = nf.Variable(nf.asarray(W)), nf.Variable(nf.asarray(W, device="dask"))
        o1, o2 = opt_cls(0.1), opt_cls(0.1)
        for _ in range(3):
            o1.apply_gradients([(nf.grad(loss)(cpu, X, Y), cpu)])
            o2.apply_gradients([(nf.grad(loss)(dsk, x, y), dsk)])
        assert dsk.device == "dask"
        close(dsk.to_device("cpu"), cpu)
    opt = nf.optimizers.Adam(0.1)
    params = {"w": w0}
    state = opt.init(params)
    for _ in range(2):
        updates, state = opt.update(nf.grad(lambda p: loss(p["w"], x, y))(params), state, params)
        params = nf.optimizers.apply_updates(params, updates)
    assert params["w"].device == "dask"


# -- the registry walk ------------------------------------------------------------------------
def _first_cases():
    first = {}
    for c in all_cases():
        first.setdefault(c.op, c)
    return list(first.values())


CASES = [c for c in _first_cases() if c.op not in ("to_device", "compute")]  # (they leave on purpose)
# Ops whose first case Dask cannot run (an op of the case, or of its rules, is one Dask lacks or
# needs a chunk layout the case does not have): they raise the Dask device's clear errors.
# Strict: a case that starts to pass fails here, so the entry is removed.
DASK_LACKS = {
    # an op Dask lacks (or a write through a view), on the way or in a rule
    "add.reduceat[increasing]": DaskUnsupportedError, "bincount[weights]": DaskUnsupportedError,
    "complex": DaskUnsupportedError, "copyto": DaskUnsupportedError,
    "cross[3-vectors]": DaskUnsupportedError, "cumulative_prod[1d]": DaskUnsupportedError,
    "cumulative_sum[1d]": DaskUnsupportedError, "diagflat": DaskUnsupportedError,
    "fill": DaskUnsupportedError, "flat.setitem": DaskUnsupportedError,
    "inner[1d-1d]": DaskUnsupportedError, "kron[2d-2d]": DaskUnsupportedError,
    "linalg.det[2d]": DaskUnsupportedError, "linalg.eig[real-eigenvalues]": DaskUnsupportedError,
    "linalg.eigh[lower]": DaskUnsupportedError, "linalg.eigvals[real]": DaskUnsupportedError,
    "linalg.eigvalsh[lower]": DaskUnsupportedError, "linalg.slogdet[2d]": DaskUnsupportedError,
    "nanstd[all]": DaskUnsupportedError, "nanvar[all]": DaskUnsupportedError,
    "np.apply_along_axis": DaskUnsupportedError, "np.fill_diagonal": DaskUnsupportedError,
    "np.interp[x-xp-fp]": DaskUnsupportedError, "np.intersect1d": DaskUnsupportedError,
    "np.linalg.cross": DaskUnsupportedError, "np.linalg.det": DaskUnsupportedError,
    "np.linalg.eig": DaskUnsupportedError, "np.linalg.eigh": DaskUnsupportedError,
    "np.linalg.eigvals": DaskUnsupportedError, "np.linalg.eigvalsh": DaskUnsupportedError,
    "np.linalg.slogdet": DaskUnsupportedError, "np.nan_to_num": DaskUnsupportedError,
    "np.nanpercentile[median_unbiased]": DaskUnsupportedError,
    "np.nanquantile[axis1]": DaskUnsupportedError, "np.percentile[axis0]": DaskUnsupportedError,
    "np.place": DaskUnsupportedError, "np.polyfit": DaskUnsupportedError,
    "np.putmask": DaskUnsupportedError, "np.quantile[linear]": DaskUnsupportedError,
    "np.scipy.linalg.det": DaskUnsupportedError, "np.scipy.linalg.eigh": DaskUnsupportedError,
    "np.scipy.linalg.eigh_tridiagonal": DaskUnsupportedError,
    "np.scipy.linalg.lu[permute_l]": DaskUnsupportedError,
    "np.scipy.linalg.lu_factor": DaskUnsupportedError,
    "np.scipy.linalg.lu_solve": DaskUnsupportedError,
    "np.scipy.linalg.solve_sylvester": DaskUnsupportedError,
    "np.scipy.special.comb": DaskUnsupportedError,
    "np.scipy.special.multigammaln": DaskUnsupportedError,
    "np.scipy.stats.beta.logpdf": DaskUnsupportedError,
    "np.scipy.stats.beta.pdf": DaskUnsupportedError,
    "np.scipy.stats.betabinom.logpmf": DaskUnsupportedError,
    "np.scipy.stats.betabinom.pmf": DaskUnsupportedError,
    "np.scipy.stats.chi2.logpdf": DaskUnsupportedError,
    "np.scipy.stats.chi2.pdf": DaskUnsupportedError,
    "np.scipy.stats.dirichlet.logpdf": DaskUnsupportedError,
    "np.scipy.stats.dirichlet.pdf": DaskUnsupportedError,
    "np.scipy.stats.gamma.logpdf": DaskUnsupportedError,
    "np.scipy.stats.gamma.pdf": DaskUnsupportedError,
    "np.scipy.stats.gennorm.logpdf": DaskUnsupportedError,
    "np.scipy.stats.gennorm.pdf": DaskUnsupportedError,
    "np.scipy.stats.nbinom.logpmf": DaskUnsupportedError,
    "np.scipy.stats.nbinom.pmf": DaskUnsupportedError,
    "np.scipy.stats.t.logpdf": DaskUnsupportedError, "np.scipy.stats.t.pdf": DaskUnsupportedError,
    "np.setxor1d": DaskUnsupportedError, "np.sort_complex[real]": DaskUnsupportedError,
    "part.rebase[real[...] =]": DaskUnsupportedError, "partition[1d]": DaskUnsupportedError,
    "put[unique]": DaskUnsupportedError, "put_along_axis[axis=1]": DaskUnsupportedError,
    "scipy.linalg.lu": DaskUnsupportedError, "scipy.linalg.sqrtm": DaskUnsupportedError,
    "scipy.special.beta": DaskUnsupportedError, "scipy.special.betaln": DaskUnsupportedError,
    "scipy.special.binom": DaskUnsupportedError, "scipy.special.digamma": DaskUnsupportedError,
    "scipy.special.factorial": DaskUnsupportedError, "scipy.special.gamma": DaskUnsupportedError,
    "scipy.special.gammaln": DaskUnsupportedError, "scipy.special.loggamma": DaskUnsupportedError,
    "scipy.special.poch": DaskUnsupportedError, "scipy.special.polygamma": DaskUnsupportedError,
    "scipy.special.sph_harm_y[scalar-orders]": DaskUnsupportedError,
    "setitem.rebase": DaskUnsupportedError, "sort[1d]": DaskUnsupportedError,
    "take_along_axis[axis=1]": DaskUnsupportedError, "view.rebase[T]": DaskUnsupportedError,
    # Dask's chunk-layout or unknown-shape limits (fft along a chunked axis, 2-d-only linalg, NaN shapes)
    "compress[axis=0]": ValueError, "extract[2d]": ValueError,
    "linalg.svdvals[batched]": ValueError, "np.fft.fft2[complex]": ValueError,
    "np.fft.fft[complex]": ValueError, "np.fromfunction": ValueError, "np.linalg.cond": ValueError,
    "np.linalg.diagonal": ValueError, "np.roots[real-roots]": ValueError,
    "np.scipy.linalg.companion": ValueError, "np.scipy.signal.fftconvolve[full]": ValueError,
    "np.setdiff1d": ValueError, "np.union1d": ValueError,
    # DLPack: Dask arrays are not in one piece of memory
    "from_dlpack": AttributeError,
    # Dask's own limits (median over all axes, repeat without axis)
    "median[all]": NotImplementedError, "nanmedian[all]": NotImplementedError,
    "repeat": NotImplementedError,
    # a shape Dask knows only after computing
    "np.piecewise": DaskUnsupportedError,
    # SciPy ufuncs and keywords Dask has not
    "scipy.special.fresnel": TypeError, "scipy.special.sici": TypeError,
    "sliding_window_view": TypeError,
}


def _derivatives(case, device):
    """The case's value, vjp and jvp (first order), and forward-over-reverse and
    reverse-over-forward (second order), with the inputs on ``device``, computed together."""
    args = tuple(nf.asarray(a, device=device) for a in case.args)
    with nf.default_device(device):
        out = case.fn(*args)
        leaves, tree = flatten(out)
        u = unflatten(tree, [o * 0.5 + 1 for o in leaves])
        # (the first-order vjp and jvp are the primal outputs of the second-order transforms:
        # each pass over the case builds Dask graph, the walk's main cost)
        cts, fwd_rev = nf.jvp(lambda *a: nf.vjp(case.fn, *a)[1](u), args, args)
        tangent, rev_fwd = nf.vjp(lambda *a: nf.jvp(case.fn, a, a)[1], *args)
        leaves = _leaves((out, cts, tangent, fwd_rev, rev_fwd(tangent)))
    return leaves, nf.compute(*leaves)


def _check(case):
    """Dask's derivatives are the CPU device's (which test_gradients checks against finite
    differences) to 1e-12, and stay on the Dask device."""
    want, _ = _derivatives(case, "cpu")
    lazy, got = _derivatives(case, "dask")
    for lz, g, w in zip(lazy, got, want, strict=True):
        if isinstance(w, nf.ndarray):
            assert lz.device == "dask", f"{case.id}: a result left the Dask device"
            close(g, w, 1e-12 if w.dtype.itemsize >= 8 else 1e-5)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_registry_walk_on_dask(case):
    with dask.config.set(scheduler="synchronous"):  # (small chunks: threads only add overhead)
        if case.id in DASK_LACKS:  # (caught here, not kept by pytest.raises: see below)
            raised = False
            try:
                _check(case)
            except DASK_LACKS[case.id]:
                raised = True
            assert raised, f"{case.id}: expected {DASK_LACKS[case.id].__name__} on the Dask device"
            return
        reason = None
        try:
            _check(case)
        except (DaskUnsupportedError, UnknownShapeError, ChunkLayoutError) as e:  # a case added
            # since the table was written: the Dask device's clear error, never wrong values
            reason = f"the Dask device's clear error: {e}"
        if reason is not None:  # (outside the except block: the xfail does not chain the error,
            # whose traceback would keep the failed transform's traces alive for later tests)
            pytest.xfail(reason)


# Finite differences on the Dask device itself (npflow.testing.check_grads, first and second
# order, both modes), for the ops whose Dask path is npflow's own code (dask_backend's kernels,
# NumPy's ufunc methods under Dask's names, the composed and wrapped functions), in chunks of 2
# along every axis (ragged where a length is odd; linalg and reshape in one chunk, as Dask's
# algorithms need).
# The walk above compares every op with the CPU device to 1e-12 instead: check_grads computes
# piecemeal (26 computes and about 260 graph ops a case), 0.5 s a case on Dask.
FD_ON_DASK = ["add.at", "subtract.at", "take[flat]", "reshape", "cumsum[flat]", "cumprod[flat]",
              "add.reduce[default-axis]", "maximum.reduce[default-axis]", "copy", "getitem[basic]",
              "vecdot", "matvec", "vecmat", "conjugate", "linalg.cholesky[lower]", "linalg.svd[tall]",
              "linalg.lstsq[tall-1d]", "logaddexp"]


@pytest.mark.parametrize("case", [c for c in all_cases() if c.id in FD_ON_DASK], ids=lambda c: c.id)
def test_derivatives_on_dask_match_finite_differences(case):
    chunks = -1 if case.op.startswith("linalg.") or case.op == "reshape" else 2
    args = tuple(nf.asarray(a, device="dask", chunks=chunks) for a in case.args)
    with dask.config.set(scheduler="synchronous"), nf.default_device("dask"):
        check_grads(case.fn, args, order=2, modes=("fwd", "rev"), **case.kw)


def test_an_expected_error_inside_a_vjp_keeps_nothing_alive():
    """An op Dask lacks raises a new exception each call: re-raising one kept object (the
    backend's kernels are cached) would add every failing call's frames to its traceback, and
    keep what their locals hold (a vjp_fn closure, traced arrays) for the rest of the process."""
    x = nf.asarray(X, device="dask")

    def fails_inside_a_vjp():
        _, vjp_fn = nf.vjp(lambda v: v * 2, x)
        with pytest.raises(DaskUnsupportedError, match=r"^add\.reduceat\(\)"):
            nf.vjp(lambda v: nf.add.reduceat(v, [0, 2], axis=0), x)
        return weakref.ref(vjp_fn)
    refs = [fails_inside_a_vjp() for _ in range(2)]
    gc.collect()
    assert [r() for r in refs] == [None, None]
