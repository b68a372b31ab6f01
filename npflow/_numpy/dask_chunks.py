"""npflow arrays as the chunks of a ``dask.array`` (issue 16, item 8), the way CuPy's serve.

``dask.array.from_array(x)`` on an npflow array gives npflow chunks: Dask's blockwise ops reach
npflow through NumPy's ``__array_function__`` and ``__array_ufunc__`` protocols, and the few
places where Dask picks a function by the chunk's type (its dispatch tables in
``dask.array.dispatch``: element counts, concatenate, tensordot, einsum, percentile, ...) get
npflow's functions here, as ``dask.array.backends`` registers CuPy's.

Dask registers CuPy lazily (``Dispatch.register_lazy("cupy")``: the real registration runs the
first time Dask meets a CuPy type). npflow does the same for its own types, whichever of the two
is imported first, and ``import npflow`` never imports Dask:

- Dask imported first: :func:`install` (run by ``import npflow``) registers at once;
- npflow imported first: :func:`install` leaves a finder on ``sys.meta_path`` that waits for
  ``dask.array.dispatch`` (and ``dask.array.routines``) to be imported, registers right after
  each has run, and removes itself.

``unique`` has no dispatch table: Dask builds its per-chunk results as NumPy structured arrays
(``numpy.empty`` without ``like=``, dask/dask#7482) where the chunk type takes structured dtypes
(CuPy's does not: Dask gives it a values-only path that keeps CuPy chunks). npflow's do, so
:func:`_keep_unique_on_device` wraps that per-chunk step: its structured result goes back to the
chunk's device (the per-chunk unique values, not the data, pass through the host), and
``unique`` with ``return_index``/``return_inverse``/``return_counts`` gives npflow arrays there.
"""
import importlib.machinery
import sys

import numpy as _onp

_DISPATCH = "dask.array.dispatch"
# the tables whose first lookup of an npflow type runs :func:`_register`
_LAZY_TABLES = ("concatenate_lookup", "take_lookup", "tensordot_lookup", "einsum_lookup", "empty_lookup",
                "divide_lookup", "percentile_lookup", "numel_lookup", "nannumel_lookup", "to_numpy_dispatch")


def _register():
    """Registers npflow's functions in Dask's dispatch tables (Dask is loaded by now)."""
    import dask.array.backends as backends
    import dask.array.dispatch as d

    import npflow

    t = npflow.ndarray
    d.concatenate_lookup.register(t, npflow.concatenate)
    d.take_lookup.register(t, npflow.take)
    d.tensordot_lookup.register(t, npflow.tensordot)
    d.divide_lookup.register(t, npflow.divide)
    # element counts as NumPy arrays, as Dask keeps them for NumPy chunks: Dask's moments test
    # ``isinstance(count, Number)`` and else assign into the count, which an npflow 0-d result
    # (standing for a NumPy scalar) refuses
    d.numel_lookup.register(t, backends._numel_ndarray)
    d.nannumel_lookup.register(t, lambda x, **kw: _onp.asarray(backends._nannumel(x, **kw).to_device("cpu")))

    @d.percentile_lookup.register(t)
    def _percentile(a, q, method="linear"):
        # Dask's own on the chunk's device; Dask merges the chunks' percentiles there too (its
        # merge_percentiles calls NumPy's functions, which npflow arrays answer on their device)
        return backends.percentile(a, npflow.asarray(q, device=a.device), method)
    d.empty_lookup.register(t, npflow.empty)

    @d.einsum_lookup.register(t)
    def _einsum(*operands, casting="safe", order="K", **kwargs):
        if casting != "safe" or order != "K":  # Dask passes its defaults; npflow.einsum has neither
            raise NotImplementedError(f"einsum over npflow chunks: casting={casting!r}, order={order!r} "
                                      "are not supported (npflow.einsum computes in the result dtype)")
        return npflow.einsum(*operands, **kwargs)

    @d.to_numpy_dispatch.register(t)
    def _to_numpy(x, **kwargs):
        if kwargs:
            raise TypeError(f"to_numpy of an npflow chunk takes no options, got {sorted(kwargs)}")
        return _onp.asarray(x.to_device("cpu"))


def _register_lazily(dispatch):
    for name in _LAZY_TABLES:
        getattr(dispatch, name).register_lazy("npflow", _register)


_OWN_UNIQUE = None  # Dask's own per-chunk step of unique


def _unique_internal(ar, *args, **kwargs):
    """``dask.array.unique``'s per-chunk step, its result on the chunk's device for npflow chunks
    off the CPU (on the CPU, NumPy's functions answer npflow arrays NumPy's way: README)."""
    if _OWN_UNIQUE is None:  # (unpickled in a process where Dask's routines are not loaded yet)
        import dask.array.routines  # noqa: F401  (runs _keep_unique_on_device)
    r = _OWN_UNIQUE(ar, *args, **kwargs)
    import npflow
    if isinstance(ar, npflow.ndarray) and ar.device.kind != "cpu":
        return npflow.asarray(r, device=ar.device)
    return r


def _keep_unique_on_device(routines):
    global _OWN_UNIQUE
    if routines._unique_internal is not _unique_internal:
        _OWN_UNIQUE = routines._unique_internal
        routines._unique_internal = _unique_internal


# module -> what to do with it once it has run
_HOOKS = {_DISPATCH: _register_lazily, "dask.array.routines": _keep_unique_on_device}


class _AfterDask:
    """A ``sys.meta_path`` finder that lets the real finder load each module of :data:`_HOOKS`
    and runs its hook right after the module has run; it removes itself after the last."""

    def __init__(self):
        self.waiting = set()

    def find_spec(self, name, path, target=None):
        if name not in self.waiting:
            return None
        self.waiting.discard(name)
        if not self.waiting:
            _remove()
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _HOOKS[name](module)

        spec.loader.exec_module = exec_module
        return spec


_FINDER = _AfterDask()


def _remove():
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def install():
    """Registers npflow with Dask now where Dask's modules are loaded, else when they load."""
    for name, hook in _HOOKS.items():
        module = sys.modules.get(name)
        if module is not None:
            hook(module)
        else:
            _FINDER.waiting.add(name)
    if _FINDER.waiting and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
