"""Chunked arrays on the Dask device: in and out of Dask, computing, chunk layout.

``npflow.asarray(x, device="dask", chunks=...)`` makes a Dask-device array; the functions
here are the rest of the Dask surface. They work on every device (an array elsewhere is
one computed chunk already), so code written for Dask runs anywhere.
"""
from .._core import devices as _devices
from .._core.dispatch import apply, ndarray_type
from .._core.registry import REGISTRY
from .._ops import chunks as _ops  # noqa: F401  (registers rechunk, persist, compute)

__all__ = ["from_dask", "to_dask", "compute", "rechunk", "persist"]


def from_dask(x, /):
    """An npflow array on the Dask device holding the ``dask.array.Array`` ``x`` (no copy, no
    computation: npflow's ops extend its graph)."""
    dev = _devices.Device("dask")
    if not dev.backend.is_array(x):
        raise TypeError(f"from_dask(): expected a dask.array.Array, got {type(x).__name__} "
                        f"(npflow.asarray(x, device='dask', chunks=...) converts other arrays)")
    return apply(REGISTRY["asarray"], x, device=dev)


def to_dask(x, /):
    """The ``dask.array.Array`` an npflow array on the Dask device holds (its graph, not
    computed). Arrays on other devices: first ``x.to_device("dask")``."""
    if not isinstance(x, ndarray_type()) or x.device.kind != "dask":
        what = f"an array on {x.device}" if isinstance(x, ndarray_type()) else type(x).__name__
        raise TypeError(f"to_dask(): expected an npflow array on the Dask device, got {what}; "
                        f"move it first with x.to_device('dask')")
    from .._backends.dask_backend import plain
    return plain(x._data)


def compute(*arrays):
    """The values of ``arrays`` as arrays on the CPU, computed together: on the Dask device in
    one pass of the scheduler, so work the results share is done once. Other arguments (arrays
    on other devices are moved to the CPU) come back as they are. Differentiable."""
    nd = ndarray_type()
    out = list(arrays)
    groups = {}  # device -> positions of its arrays (one computation per device)
    for i, a in enumerate(arrays):
        if isinstance(a, nd):
            groups.setdefault(a.device, []).append(i)
    cpu = _devices.CPU
    for where in groups.values():
        done = apply(REGISTRY["compute"], *(arrays[i] for i in where), dst=cpu, device=cpu)
        for i, r in zip(where, done):
            out[i] = r
    return tuple(out)


def rechunk(x, /, chunks):
    """``x`` with Dask chunks ``chunks`` (Dask's forms: a size, a tuple per axis, ``"auto"``,
    ``-1`` for one chunk along an axis). On other devices: ``x`` itself."""
    return apply(REGISTRY["rechunk"], x, chunks=chunks)


def persist(x, /):
    """``x`` computed and kept in memory (the cluster's, under a ``dask.distributed`` client):
    later results start from its chunks instead of recomputing them. On other devices: ``x``."""
    return apply(REGISTRY["persist"], x)
