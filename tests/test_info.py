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
    # a tuple since the standard's 2025.12 (NumPy 2.4, at 2024.12, still gives a list)
    assert INFO.devices() == tuple(nf.devices()) and INFO.devices()[0] == nf.Device("cpu")
    assert INFO.default_device() is nf.get_default_device()
    with nf.default_device("sim"):
        assert INFO.default_device() == nf.Device("sim")
    assert INFO.dtypes(device="sim") == INFO.dtypes()
    with pytest.raises(ValueError):
        INFO.dtypes(device="tpu")
