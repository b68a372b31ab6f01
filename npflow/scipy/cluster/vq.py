"""``npflow.scipy.cluster.vq``: SciPy's ``vq`` (each observation's nearest code and its distance),
a composite of npflow ops: the distances are differentiable in the observations and the code book
(the codes, an argmin, are not)."""
import npflow as np
from ..._core.dispatch import composite

__all__ = ["vq"]


@composite
def vq(obs, code_book, check_finite=True):
    """Assign each observation (a row of ``obs``, ``(M, N)``, or an element of a 1-d ``obs``) to
    its nearest code in ``code_book`` (``(K, N)`` or ``(K,)``): ``(code, dist)``, the codes' indices
    (int32 for float input, SciPy's compiled path; int64 for integer or bool input, its Python
    path) and the Euclidean distances (the input's float dtype; float64 for integer input). As
    SciPy's: ``ValueError`` for ranks or feature counts that differ, ranks above 2, and (with
    ``check_finite``) infinities or NaNs; ``TypeError`` for float16. An empty code book is a
    ValueError (SciPy returns uninitialised codes)."""
    obs, code_book = np.asarray(obs), np.asarray(code_book)
    if check_finite:
        for a in (obs, code_book):
            if a.dtype.kind in "fc" and not bool(np.all(np.isfinite(a))):
                raise ValueError("vq(): array must not contain infs or NaNs")
    ct = np.result_type(obs.dtype, code_book.dtype)
    if obs.ndim != code_book.ndim:
        raise ValueError(f"vq(): observation and code should have same number of dimensions (obs "
                         f"{obs.shape}, code_book {code_book.shape})")
    if obs.ndim > 2:
        raise ValueError(f"vq(): ndim different than 1 or 2 are not supported (obs {obs.shape})")
    if ct.kind == "f" and ct.itemsize < 4:
        raise TypeError(f"vq(): type other than float or double not supported ({ct})")
    if obs.ndim < 2:
        obs, code_book = np.reshape(obs, (-1, 1)), np.reshape(code_book, (-1, 1))
    if obs.shape[1] != code_book.shape[1]:
        raise ValueError(f"vq(): obs and code should have same number of features (columns) (obs "
                         f"{obs.shape}, code_book {code_book.shape})")
    if code_book.shape[0] == 0:
        raise ValueError(f"vq(): the code book is empty (code_book {code_book.shape})")
    floating = ct.kind == "f"
    dt = ct if floating else np.float64
    obs, code_book = obs.astype(dt, copy=False), code_book.astype(dt, copy=False)
    diff = obs[:, None, :] - code_book[None, :, :]
    d2 = np.sum(diff * diff, axis=-1)                                          # (M, K)
    code = np.argmin(np.stop_gradient(d2), axis=1)
    nearest = np.take_along_axis(d2, code[:, None], axis=1)[:, 0]
    pos = nearest > 0  # (sqrt's derivative at 0 is inf: the distance's there is 0, a subgradient)
    dist = np.where(pos, np.sqrt(np.where(pos, nearest, 1)), 0).astype(dt, copy=False)
    return code.astype(np.int32 if floating else np.int64), dist
