"""numpy.lib.stride_tricks on npflow arrays, and npflow.lib.stride_tricks with NumPy's names."""
import numpy as onp
import pytest
from numpy.lib import stride_tricks as np_st

import npflow as nf
from npflow.autodiff.core import AutodiffError
from npflow.lib import stride_tricks as nf_st
from support import make, same_outcome

# (shape, window_shape, keywords): NumPy's result, or its exception type
WINDOWS = [
    ((6,), 3, {}), ((6,), (6,), {}), ((6,), 7, {}), ((3, 4), (2, 2), {}), ((3, 4), 2, {"axis": 1}),
    ((3, 4), 2, {"axis": -2}), ((2, 5), (2, 2), {"axis": (1, 1)}), ((3, 4), (2,), {}),
    ((3, 4), (2, 2), {"axis": 0}), ((0, 3), 1, {"axis": 1}), ((), (), {}), ((4,), -1, {}),
    ((3, 4), 2, {"axis": 2}), ((6,), 2, {"writeable": True}),
]


@pytest.mark.parametrize("shape,window,kw", WINDOWS, ids=[f"{s}-{w}-{k}" for s, w, k in WINDOWS])
def test_sliding_window_view_as_numpy(shape, window, kw):
    x = make(shape, onp.float64)
    got = same_outcome(lambda a: nf_st.sliding_window_view(a, window, **kw),
                       lambda a: np_st.sliding_window_view(a, window, **kw), x)
    if got is not None:
        assert isinstance(got, nf.ndarray) and got.flags.writeable == kw.get("writeable", False)
        # NumPy's own on npflow arrays: its view of the CPU memory; npflow's on another device
        theirs = np_st.sliding_window_view(nf.asarray(x), window, **kw)
        assert type(theirs) is onp.ndarray and theirs.flags.writeable == got.flags.writeable
        onp.testing.assert_array_equal(theirs, onp.asarray(got))
        on_sim = np_st.sliding_window_view(nf.asarray(x, device="sim"), window, **kw)
        assert on_sim.device == nf.Device("sim") and on_sim.flags.writeable == got.flags.writeable


def test_sliding_window_view_is_a_view():
    x = nf.arange(6.0)
    w = nf_st.sliding_window_view(x, 3, writeable=True)
    x[2] = 10.0
    assert [float(w[i, 2 - i]) for i in range(3)] == [10, 10, 10]
    assert onp.shares_memory(onp.asarray(w), onp.asarray(x))
    with pytest.raises(ValueError, match="read-only"):
        nf_st.sliding_window_view(x, 3)[0, 0] = 1.0


STRIDED = [((6,), (3,), (16,)), ((6,), (4, 3), (8, 8)), ((2, 3), None, None), ((2, 3), (3, 2), (8, 24))]


@pytest.mark.parametrize("shape,new_shape,strides", STRIDED, ids=[str(s) for s in STRIDED])
def test_as_strided_as_numpy(shape, new_shape, strides):
    x = make(shape, onp.float64)
    same_outcome(lambda a: nf_st.as_strided(a, new_shape, strides),
                 lambda a: np_st.as_strided(a, new_shape, strides), x)
    theirs = np_st.as_strided(nf.asarray(x), new_shape, strides)  # NumPy's on npflow: NumPy's array
    onp.testing.assert_array_equal(theirs, np_st.as_strided(x, new_shape, strides))


def test_as_strided_has_no_derivative():
    with pytest.raises(AutodiffError, match="as_strided"):
        nf.grad(lambda x: nf.sum(nf_st.as_strided(x, (3,), (16,))))(nf.arange(6.0))


def test_names_are_numpy_s():
    theirs = {n for n in dir(np_st) if not n.startswith("_")}
    assert theirs <= set(nf_st.__all__) and nf.lib.stride_tricks is nf_st
    for name in ("broadcast_to", "broadcast_arrays", "broadcast_shapes"):
        assert getattr(nf_st, name) is getattr(nf, name).__wrapped__
