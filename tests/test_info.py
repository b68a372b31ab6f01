"""__array_namespace_info__: NumPy 2's answers, with npflow's devices."""
import numpy as onp
import pytest

import npflow as nf

INFO, NP_INFO = nf.__array_namespace_info__(), onp.__array_namespace_info__()

QUERIES = [
    ("capabilities", lambda i: i.capabilities()),
    ("default_dtypes", lambda i: i.default_dtypes()),
    ("dtypes", lambda i: i.dtypes()),
] + [(f"dtypes kind={k!r}", lambda i, k=k: i.dtypes(kind=k))
     for k in ("bool", "signed integer", "unsigned integer", "integral", "real floating",
               "complex floating", "numeric", ("integral", "bool"))]


@pytest.mark.parametrize("name,query", QUERIES, ids=[q[0] for q in QUERIES])
def test_answers_as_numpy(name, query):
    assert query(INFO) == query(NP_INFO)


def test_devices():
    # a tuple since the standard's 2025.12 (NumPy 2.4, at 2024.12, still gives a list): every
    # device npflow places on (the CPU, each CUDA GPU, the simulated device)
    assert INFO.devices() == (*nf.devices(), nf.Device("sim")) and INFO.devices()[0] == nf.Device("cpu")
    assert INFO.default_device() is nf.get_default_device()
    with nf.default_device("sim"):
        assert INFO.default_device() == nf.Device("sim") and INFO.default_device() in INFO.devices()
    assert INFO.dtypes(device="sim") == INFO.dtypes()
    with pytest.raises(ValueError):
        INFO.dtypes(device="tpu")


@pytest.mark.parametrize("device", INFO.devices(), ids=str)
def test_every_device_answers_and_does_what_it_says(device):
    """Each device's dtypes and defaults are what creation there gives; the capabilities hold there."""
    assert INFO.default_dtypes(device=device) == NP_INFO.default_dtypes()
    assert INFO.dtypes(device=device) == NP_INFO.dtypes()
    for name, dt in INFO.dtypes(device=device).items():
        x = nf.asarray([1, 0], dtype=dt, device=device)
        assert x.dtype == dt and x.device == device and bool((x + x)[0] == x[0] + x[0])
    defaults = INFO.default_dtypes(device=device)
    with nf.default_device(device):
        assert INFO.default_dtypes() == defaults
        for value, kind in ((1.0, "real floating"), (1j, "complex floating"), (1, "integral")):
            assert nf.asarray(value).dtype == defaults[kind] and nf.asarray(value).device == device
        assert nf.nonzero(nf.asarray([0, 3]))[0].dtype == defaults["indexing"]
    caps = INFO.capabilities()
    x = nf.asarray([3.0, 1.0, 3.0, -2.0], device=device)
    assert caps["boolean indexing"] and x[x > 0].tolist() == [3.0, 1.0, 3.0]
    assert caps["data-dependent shapes"] and nf.unique_values(x).shape == (3,) and nf.nonzero(x > 1)[0].shape == (2,)
    n = caps["max dimensions"]
    deep = nf.ones((1,) * n, device=device)
    assert (deep + 1).ndim == n and nf.sum(deep, axis=n - 1).ndim == n - 1
    with pytest.raises(ValueError):
        nf.ones((1,) * (n + 1), device=device)
