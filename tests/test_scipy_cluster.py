"""npflow.scipy.cluster.vq.vq against SciPy's: codes and distances (values, dtypes, shapes) over
shapes, dtypes, ties, empty observations and the errors; gradients: tests/gradspecs/scipy_cluster.py."""
import numpy as onp
import pytest

from npflow.scipy.cluster.vq import vq
from support import make, same_outcome

scipy_vq = pytest.importorskip("scipy.cluster.vq")

CASES = [  # (label, obs, code_book, keywords)
    ("2-d", make((7, 3), onp.float64, seed=1), make((4, 3), onp.float64, seed=2), {}),
    ("float32", make((7, 3), onp.float32, seed=3), make((4, 3), onp.float32, seed=4), {}),
    ("mixed-float", make((7, 3), onp.float32, seed=3), make((4, 3), onp.float64, seed=4), {}),
    ("1-d", make((6,), onp.float64, seed=5), make((3,), onp.float64, seed=6), {}),
    ("0-d", onp.array(2.0), onp.array(1.5), {}),
    ("ints", make((5, 2), onp.int64, seed=7), make((3, 2), onp.int64, seed=8), {}),
    ("bool", make((5, 2), onp.bool_, seed=9), make((2, 2), onp.bool_, seed=10), {}),
    ("ties-and-exact", onp.array([[1.0, 2.0], [3.0, 4.0], [2.0, 3.0]]), onp.array([[1.0, 2.0], [3.0, 4.0]]), {}),
    ("repeated-code", onp.array([[1.0, 2.0]]), onp.array([[0.0, 0.0], [0.0, 0.0]]), {}),
    ("empty-obs", onp.zeros((0, 2)), onp.ones((3, 2)), {}),
    ("one-code", make((4, 2), onp.float64, seed=11), make((1, 2), onp.float64, seed=12), {}),
    ("rank-mismatch", onp.ones((3, 2)), onp.ones(2), {}),
    ("feature-mismatch", onp.ones((3, 2)), onp.ones((2, 3)), {}),
    ("rank-3", onp.ones((2, 2, 2)), onp.ones((2, 2, 2)), {}),
    ("nan", onp.array([[onp.nan, 1.0]]), onp.ones((1, 2)), {}),
    ("inf-book", onp.ones((1, 2)), onp.array([[onp.inf, 1.0]]), {}),
    ("float16", make((3, 2), onp.float16, seed=13), make((2, 2), onp.float16, seed=14), {}),
    ("unchecked", make((3, 2), onp.float64, seed=15), make((2, 2), onp.float64, seed=16), {"check_finite": False}),
]


@pytest.mark.parametrize("label,obs,book,kw", CASES, ids=[c[0] for c in CASES])
def test_vq(label, obs, book, kw):
    rtol = 1e-6 if onp.result_type(obs, book) == onp.float32 else 1e-13
    same_outcome(vq, scipy_vq.vq, obs, book, rtol=rtol, **kw)


def test_empty_code_book_is_an_error():
    with pytest.raises(ValueError, match="vq.*code book is empty"):  # (SciPy: uninitialised codes)
        vq(onp.ones((2, 2)), onp.ones((0, 2)))
