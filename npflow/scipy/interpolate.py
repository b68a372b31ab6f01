"""``npflow.scipy.interpolate``: ``RegularGridInterpolator`` (methods 'linear' and 'nearest', as
jax.scipy's) with SciPy's signature, checks and values, on npflow ops: differentiable in the
values, the sample points and (linear) the grid.
"""
import itertools

import npflow as np
from .._core import devices as _devices
from .._core.dispatch import composite

__all__ = ["RegularGridInterpolator"]

_SPLINES = ("slinear", "cubic", "quintic", "pchip", "slinear_legacy", "cubic_legacy", "quintic_legacy")


class RegularGridInterpolator:
    """Interpolation on a rectilinear grid in any number of dimensions (SciPy's class).

    ``points``: one strictly ascending (or descending) 1-d array per dimension; ``values``: shape
    ``(m1, ..., mn, ...)``; ``bounds_error``: raise for a sample outside the grid, else fill it with
    ``fill_value`` (``None``: extrapolate).
    """

    def __init__(self, points, values, method="linear", bounds_error=True, fill_value=float("nan"), *,
                 solver=None, solver_args=None):
        _init(self, points, values, method, bounds_error, fill_value, solver, solver_args)

    @staticmethod
    def _check_method(method):
        if method in _SPLINES:
            raise NotImplementedError(f"RegularGridInterpolator(): method {method!r} is not supported by "
                                      f"npflow.scipy (only 'linear' and 'nearest', as jax.scipy's)")
        if method not in ("linear", "nearest"):
            raise ValueError(f"RegularGridInterpolator(): method '{method}' is not defined")

    def __call__(self, xi, method=None, *, nu=None):
        """The interpolated values at ``xi`` (shape ``(..., ndim)``, or a tuple of coordinate arrays)."""
        with _devices.default_device(self.values.device):     # (NumPy sample points follow the grid)
            return _call(self, xi, method, nu=nu)


def _init(self, points, values, method, bounds_error, fill_value, solver, solver_args):
    """RegularGridInterpolator.__init__ (a composite: NumPy points and values follow the device
    of npflow ones)."""
    self._check_method(method)
    if solver is not None or solver_args:
        raise ValueError(f"RegularGridInterpolator(): method={method!r} does not accept the 'solver' "
                         f"argument. Got solver={solver!r} and with arguments {solver_args}.")
    self.method, self.bounds_error = method, bounds_error
    grid, descending = [], []
    for i, p in enumerate(points):
        p = np.asarray(p)
        p = p.astype(np.float64) if p.dtype != np.float64 else p
        if p.ndim != 1:
            raise ValueError(f"RegularGridInterpolator(): the points in dimension {i} must be 1-dimensional")
        steps = np.stop_gradient(p[1:] - p[:-1])
        if not bool(np.all(steps > 0)):
            if not bool(np.all(steps < 0)):
                raise ValueError(f"RegularGridInterpolator(): the points in dimension {i} must be strictly "
                                 f"ascending or descending")
            descending.append(i)
            p = p[::-1]
        grid.append(p)
    values = np.asarray(values)
    if values.dtype.kind not in "fc":
        values = values.astype(np.float64)
    if len(grid) > values.ndim:
        raise ValueError(f"RegularGridInterpolator(): there are {len(grid)} point arrays, but values has "
                         f"{values.ndim} dimensions")
    for i, p in enumerate(grid):
        if values.shape[i] != p.shape[0]:
            raise ValueError(f"RegularGridInterpolator(): there are {p.shape[0]} points and "
                             f"{values.shape[i]} values in dimension {i}")
    if fill_value is not None:
        if not np.can_cast(np.asarray(fill_value).dtype, values.dtype, casting="same_kind"):
            raise ValueError("RegularGridInterpolator(): fill_value must be either 'None' or of a type "
                             "compatible with values")
    self.grid, self.fill_value = tuple(grid), fill_value
    self.values = np.flip(values, axis=tuple(descending)) if descending else values


def _call(self, xi, method=None, *, nu=None):
    """RegularGridInterpolator.__call__ (a composite named after the class: its errors name it)."""
    method = self.method if method is None else method
    self._check_method(method)
    if nu is not None:
        raise ValueError(f"RegularGridInterpolator(): can only compute derivatives for methods "
                         f"('slinear', 'cubic', 'quintic'), got method={method!r}.")
    ndim = len(self.grid)
    if isinstance(xi, tuple) and len(xi) == 1:
        xi = xi[0]
    if isinstance(xi, tuple):
        parts = np.broadcast_arrays(*[np.asarray(p) for p in xi])
        xi = np.stack([p.astype(np.float64) for p in parts], axis=-1)
    else:
        xi = np.asarray(xi)
        if xi.ndim == 1:
            xi = np.reshape(xi, (-1, ndim))
    if xi.shape[-1] != ndim:
        raise ValueError(f"RegularGridInterpolator(): the requested sample points xi have dimension "
                         f"{xi.shape[-1]} but this RegularGridInterpolator has dimension {ndim}")
    shape = xi.shape
    xi = np.reshape(xi, (-1, ndim)).astype(np.float64)
    plain = np.stop_gradient(xi)
    if self.bounds_error:
        for i, g in enumerate(self.grid):
            g = np.stop_gradient(g)
            if not bool(np.all((g[0] <= plain[:, i]) & (plain[:, i] <= g[-1]))):
                raise ValueError(f"RegularGridInterpolator(): one of the requested xi is out of bounds "
                                 f"in dimension {i}")
    indices, distances = [], []
    for i, g in enumerate(self.grid):
        x = xi[:, i]
        n = g.shape[0]
        j = np.clip(np.searchsorted(np.stop_gradient(g), plain[:, i], side="right") - 1, 0, max(n - 2, 0))
        hi = np.minimum(j + 1, n - 1)
        indices.append(j)
        distances.append((x - g[j]) / (g[hi] - g[j]))
    trailing = (slice(None),) + (None,) * (self.values.ndim - ndim)
    if method == "nearest":
        result = self.values[tuple(np.where(np.stop_gradient(d) <= 0.5, j, j + 1)
                                   for j, d in zip(indices, distances))]
    else:
        result = None
        for corner in itertools.product((0, 1), repeat=ndim):
            weight = None
            for up, d in zip(corner, distances):
                w = d if up else 1 - d
                weight = w if weight is None else weight * w
            term = self.values[tuple(j + up for j, up in zip(indices, corner))] * weight[trailing]
            result = term if result is None else result + term
        result = result.astype(np.result_type(self.values.dtype, np.float64))
    if not self.bounds_error and self.fill_value is not None:
        out = None
        for i, g in enumerate(self.grid):
            g = np.stop_gradient(g)
            o = (plain[:, i] < g[0]) | (plain[:, i] > g[-1])
            out = o if out is None else out | o
        result = np.where(out[trailing], np.asarray(self.fill_value).astype(result.dtype), result)
    nans = np.any(np.isnan(plain), axis=-1)
    if bool(np.any(nans)):
        result = np.where(nans[trailing], np.nan, result)
    return np.reshape(result, shape[:-1] + self.values.shape[ndim:])


_init.__name__ = _call.__name__ = "RegularGridInterpolator"   # (errors name the class)
_init, _call = composite(_init), composite(_call)
