"""``npflow.scipy.spatial.transform``: SciPy's ``Rotation`` and ``Slerp`` on npflow ops.

A ``Rotation`` holds unit quaternions (scalar last) of any leading shape; every conversion,
``apply``, composition, inverse, magnitude and mean is a composite of npflow ops, so each is
differentiable in its array arguments (away from the conversions' branch points: a quaternion's
sign, Euler angles' gimbal lock), on every device. Values, shapes and errors are SciPy's.
"""
import functools
import math
import re
import warnings

import npflow as np
from ..._core import devices as _devices
from ..._core.dispatch import composite

__all__ = ["Rotation", "Slerp"]


def _float(a, name):
    a = np.asarray(a)
    if a.dtype.kind == "c":
        raise TypeError(f"Rotation: {name} must be real, got {a.dtype}")
    return a.astype(np.float64) if a.dtype != np.float64 else a


def _method(fn):
    """A Rotation method as a composite run on the rotations' device (NumPy arguments follow it)."""
    inner = composite(fn)

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        with _devices.default_device(self._quat.device):
            return inner(self, *args, **kwargs)
    return method


def _normalize(q):
    norm = np.linalg.vector_norm(q, axis=-1, keepdims=True)
    if bool(np.any(np.stop_gradient(norm) == 0)):
        raise ValueError("Found zero norm quaternions in `quat`.")
    return q / norm


def _canonical(q):
    """``q`` or ``-q``: the one with w > 0 (then x, y, z > 0 deciding ties at 0)."""
    p = np.stop_gradient(q)
    flip = p[..., 3] < 0
    tie = p[..., 3] == 0
    for i in range(3):
        flip = flip | (tie & (p[..., i] < 0))
        tie = tie & (p[..., i] == 0)
    return np.where(flip[..., None], -q, q)


def _compose(p, q):
    """The quaternion product ``p q`` (the rotation q, then p)."""
    cross = np.cross(p[..., :3], q[..., :3])
    xyz = p[..., 3:] * q[..., :3] + q[..., 3:] * p[..., :3] + cross
    w = p[..., 3] * q[..., 3] - np.sum(p[..., :3] * q[..., :3], axis=-1)
    return np.concatenate([xyz, w[..., None]], axis=-1)


def _sequence(seq, n_axes=None):
    if not 1 <= len(seq) <= 3:
        raise ValueError(f"Expected axis specification to be a non-empty string of up to 3 characters, got {seq}")
    intrinsic = re.match(r"^[XYZ]{1,3}$", seq) is not None
    extrinsic = re.match(r"^[xyz]{1,3}$", seq) is not None
    if not (intrinsic or extrinsic):
        raise ValueError(f"Expected axes from `seq` to be from ['x', 'y', 'z'] or ['X', 'Y', 'Z'], got {seq}")
    if any(seq[i] == seq[i + 1] for i in range(len(seq) - 1)):
        raise ValueError(f"Expected consecutive axes to be different, got {seq}")
    return ["xyz".index(c) for c in seq.lower()], extrinsic


def _elementary(axis, angle):
    half = angle / 2
    parts = [np.zeros_like(angle)] * 3 + [np.cos(half)]
    parts[axis] = np.sin(half)
    return np.stack(parts, axis=-1)


def _euler_angles(extrinsic, symmetric, sign, lamb, a, b, c, d, suppress_warnings):
    """Euler angles from the permuted quaternion (a, b, c, d) (Bernardes and Viollet, 2022)."""
    half_sum, half_diff = np.arctan2(b, a), np.arctan2(d, c)
    second = 2 * np.arctan2(np.hypot(c, d), np.hypot(a, b))
    s = np.stop_gradient(second)
    case1 = np.abs(s) <= 1e-7
    case2 = np.abs(s - math.pi) <= 1e-7
    case0 = ~(case1 | case2)
    if not suppress_warnings and not bool(np.all(case0)):
        warnings.warn("Gimbal lock detected. Setting third angle to zero since it is not possible to "
                      "uniquely determine all angles.", stacklevel=4)
    first_lock = np.where(case1, 2 * half_sum, 2 * half_diff * (-1 if extrinsic else 1))
    angles = [None, second, None]
    i_first, i_third = (0, 2) if extrinsic else (2, 0)
    zero = np.zeros_like(second)
    angles[0] = first_lock
    angles[2] = zero
    angles[i_first] = np.where(case0, half_sum - half_diff, angles[i_first])
    third = np.where(case0, half_sum + half_diff, angles[i_third])
    if not symmetric:
        third = third * sign
        angles[1] = angles[1] - lamb
    angles[i_third] = third
    out = np.stack(angles, axis=-1)
    return np.where(out < -math.pi, out + 2 * math.pi, np.where(out > math.pi, out - 2 * math.pi, out))


class Rotation:
    """Rotations in 3 dimensions (SciPy's class): one, or an array of them (``shape``)."""

    def __init__(self, quat, normalize=True, copy=True, scalar_first=False):
        quat = _float(quat, "quat")
        if quat.ndim == 0 or quat.shape[-1] != 4:
            raise ValueError(f"Expected `quat` to have shape (..., 4), got {quat.shape}.")
        if scalar_first:
            quat = np.roll(quat, -1, axis=-1)
        self._quat = _normalize(quat) if normalize else quat
        self._single = quat.ndim == 1

    @classmethod
    def _raw(cls, quat):
        r = cls.__new__(cls)
        r._quat, r._single = quat, quat.ndim == 1
        return r

    # -- construction ----------------------------------------------------------------------------
    @staticmethod
    @composite
    def from_quat(quat, *, scalar_first=False):
        """From quaternions (x, y, z, w), normalized (``scalar_first``: (w, x, y, z))."""
        return Rotation(quat, scalar_first=scalar_first)

    @staticmethod
    @composite
    def from_matrix(matrix, *, assume_valid=False):
        """From rotation matrices (shape (..., 3, 3)); others are first orthogonalized (the
        nearest orthogonal matrix, by the SVD); a non-positive determinant raises."""
        m = _float(matrix, "matrix")
        if m.ndim < 2 or m.shape[-2:] != (3, 3):
            raise ValueError(f"Expected `matrix` to have shape (3, 3) or (..., 3, 3), got {m.shape}")
        if not assume_valid:
            plain = np.stop_gradient(m)
            bad = np.linalg.det(plain) <= 0
            if bool(np.any(bad)):
                ind = int(np.nonzero(np.atleast_1d(bad))[0][0])
                raise ValueError(f"Non-positive determinant (left-handed or null coordinate frame) in "
                                 f"rotation matrix {ind}: {plain if plain.ndim == 2 else plain[ind]}.")
            gram = plain @ np.swapaxes(plain, -1, -2)
            orthogonal = np.all(np.isclose(gram, np.eye(3), atol=1e-12), axis=(-2, -1))
            if not bool(np.all(orthogonal)):
                u, _, vt = np.linalg.svd(m, full_matrices=False)
                m = np.where(orthogonal[..., None, None], m, u @ vt)
        trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
        choice = np.argmax(np.stop_gradient(np.stack([m[..., 0, 0], m[..., 1, 1], m[..., 2, 2], trace], -1)), -1)
        cases = [
            [1 - trace + 2 * m[..., 0, 0], m[..., 1, 0] + m[..., 0, 1], m[..., 2, 0] + m[..., 0, 2],
             m[..., 2, 1] - m[..., 1, 2]],
            [m[..., 1, 0] + m[..., 0, 1], 1 - trace + 2 * m[..., 1, 1], m[..., 2, 1] + m[..., 1, 2],
             m[..., 0, 2] - m[..., 2, 0]],
            [m[..., 2, 0] + m[..., 0, 2], m[..., 2, 1] + m[..., 1, 2], 1 - trace + 2 * m[..., 2, 2],
             m[..., 1, 0] - m[..., 0, 1]],
            [m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1], 1 + trace],
        ]
        quat = np.stack(cases[3], axis=-1)
        for k in range(3):
            quat = np.where((choice == k)[..., None], np.stack(cases[k], axis=-1), quat)
        return Rotation._raw(_normalize(quat))

    @staticmethod
    @composite
    def from_rotvec(rotvec, degrees=False):
        """From rotation vectors (axis times angle; ``degrees``: the angle in degrees)."""
        v = _float(rotvec, "rotvec")
        if v.ndim == 0 or v.shape[-1] != 3:
            raise ValueError(f"Expected `rot_vec` to have shape (3,) or (..., 3), got {v.shape}")
        if degrees:
            v = v * (math.pi / 180.0)
        # SciPy's series where the angle is small, in the squared norm (the norm has no derivative
        # at 0; the series' is right there, to every order)
        sq = np.sum(v * v, axis=-1, keepdims=True)
        zero = np.stop_gradient(sq) == 0
        angle = np.where(zero, 0.0, np.sqrt(np.where(zero, 1.0, sq)))
        small = np.stop_gradient(angle) <= 1e-3
        scale = np.where(small, 0.5 - sq / 48 + sq * sq / 3840, np.sin(angle / 2) / np.where(small, 1.0, angle))
        cos = np.where(small, 1 - sq / 8 + sq * sq / 384 - sq * sq * sq / 46080, np.cos(angle / 2))
        return Rotation._raw(np.concatenate([v * scale, cos], axis=-1))

    @staticmethod
    @composite
    def from_mrp(mrp):
        """From Modified Rodrigues Parameters (axis times tan(angle / 4))."""
        p = _float(mrp, "mrp")
        if p.ndim == 0 or p.shape[-1] != 3:
            raise ValueError(f"Expected `mrp` to have shape (3,) or (..., 3), got {p.shape}")
        s = np.sum(p * p, axis=-1, keepdims=True) + 1
        return Rotation._raw(np.concatenate([2 * p, 2 - s], axis=-1) / s)

    @staticmethod
    @composite
    def from_euler(seq, angles, degrees=False):
        """From Euler angles about the axes of ``seq`` (lower case: extrinsic, upper: intrinsic)."""
        axes, extrinsic = _sequence(seq)
        a = _float(angles, "angles")
        if degrees:
            a = a * (math.pi / 180.0)
        a = np.atleast_1d(a)
        if a.shape[-1] != len(axes):
            raise ValueError(f"Expected last dimension of `angles` to match number of sequence axes "
                             f"specified, got {a.shape[-1]}.")
        q = _elementary(axes[0], a[..., 0])
        for i in range(1, len(axes)):
            e = _elementary(axes[i], a[..., i])
            q = _compose(e, q) if extrinsic else _compose(q, e)
        return Rotation._raw(q)

    @classmethod
    def identity(cls, num=None, *, shape=None):
        """The identity rotation (``num`` of them, or an array of ``shape``)."""
        if num is not None and shape is not None:
            raise ValueError("Only one of `num` or `shape` can be specified.")
        lead = () if num is None and shape is None else ((num,) if shape is None else tuple(np.atleast_1d(shape).tolist())
                                                          if not isinstance(shape, int) else (shape,))
        return cls._raw(np.broadcast_to(np.asarray([0.0, 0.0, 0.0, 1.0]), lead + (4,)) * 1.0)

    @classmethod
    def random(cls, num=None, rng=None, *, shape=None):
        """Uniformly distributed random rotations: SciPy's draws for the same ``rng``."""
        from scipy.spatial.transform import Rotation as SciPyRotation
        kw = {} if shape is None else {"shape": shape}
        return cls._raw(np.asarray(SciPyRotation.random(num, rng=rng, **kw).as_quat()))

    @staticmethod
    def concatenate(rotations):
        """One rotation array of the rotations given (each single or an array)."""
        if isinstance(rotations, Rotation):
            return Rotation._raw(rotations._quat if not rotations.single else rotations._quat[None])
        rotations = list(rotations)
        if not all(isinstance(r, Rotation) for r in rotations):
            raise TypeError("input must contain Rotation objects only")
        return Rotation._raw(np.concatenate([np.atleast_2d(r._quat) for r in rotations], axis=0))

    # -- representations -------------------------------------------------------------------------
    @_method
    def as_quat(self, canonical=False, *, scalar_first=False):
        """The quaternions (x, y, z, w) (``canonical``: w >= 0; ``scalar_first``: (w, x, y, z))."""
        q = _canonical(self._quat) if canonical else self._quat
        return np.roll(q, 1, axis=-1) if scalar_first else q * 1

    @_method
    def as_matrix(self):
        """The rotation matrices, shape (..., 3, 3)."""
        q = self._quat
        x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
        x2, y2, z2, w2 = x * x, y * y, z * z, w * w
        xy, zw, xz, yw, yz, xw = x * y, z * w, x * z, y * w, y * z, x * w
        m = np.stack([x2 - y2 - z2 + w2, 2 * (xy - zw), 2 * (xz + yw),
                      2 * (xy + zw), -x2 + y2 - z2 + w2, 2 * (yz - xw),
                      2 * (xz - yw), 2 * (yz + xw), -x2 - y2 + z2 + w2], axis=-1)
        return np.reshape(m, q.shape[:-1] + (3, 3))

    @_method
    def as_rotvec(self, degrees=False):
        """The rotation vectors (angle in [0, pi] times the unit axis)."""
        q = _canonical(self._quat)
        sq = np.sum(q[..., :3] * q[..., :3], axis=-1, keepdims=True)
        zero = np.stop_gradient(sq) == 0
        w = q[..., 3:]
        angle = 2 * np.arctan2(np.where(zero, 0.0, np.sqrt(np.where(zero, 1.0, sq))), w)
        small = np.stop_gradient(angle) <= 1e-3
        t = sq / np.where(small, w * w, 1.0)     # the angle's square by atan(x)^2 / x^2's series in t = x^2 (small angles)
        a2 = 4 * t * (1 - 2 * t / 3 + 23 * t * t / 45)
        scale = np.where(small, 2 + a2 / 12 + 7 * a2 * a2 / 2880, angle / np.where(small, 1.0, np.sin(angle / 2)))
        if degrees:
            scale = scale * (180.0 / math.pi)
        return scale * q[..., :3]

    @_method
    def as_mrp(self):
        """The Modified Rodrigues Parameters (of the rotation angle's smaller representation)."""
        q = self._quat
        sign = np.where(np.stop_gradient(q[..., 3:]) < 0, -1.0, 1.0)
        return sign * q[..., :3] / (1.0 + sign * q[..., 3:])

    @_method
    def as_euler(self, seq, degrees=False, *, suppress_warnings=False):
        """The Euler angles about the three axes of ``seq`` (a warning at gimbal lock, where the
        third angle is set to zero)."""
        if len(seq) != 3:
            raise ValueError(f"Expected 3 axes, got {seq}.")
        axes, extrinsic = _sequence(seq)
        i, j, k = axes if extrinsic else axes[::-1]
        symmetric = i == k
        if symmetric:
            k = 3 - i - j
        sign = (i - j) * (j - k) * (k - i) // 2
        q = self._quat
        if symmetric:
            a, b, c, d = q[..., 3], q[..., i], q[..., j], q[..., k] * sign
        else:
            a, b = q[..., 3] - q[..., j], q[..., i] + q[..., k] * sign
            c, d = q[..., j] + q[..., 3], q[..., k] * sign - q[..., i]
        angles = _euler_angles(extrinsic, symmetric, sign, math.pi / 2, a, b, c, d, suppress_warnings)
        return angles * (180.0 / math.pi) if degrees else angles

    # -- operations ------------------------------------------------------------------------------
    @_method
    def apply(self, vectors, inverse=False):
        """The rotated vectors (``inverse``: by the inverse rotations); rotations and vectors
        broadcast."""
        v = _float(vectors, "vectors")
        if v.ndim == 0 or v.shape[-1] != 3:
            raise ValueError(f"Expected input of shape (3,) or (P, 3), got {v.shape}.")
        m = self.as_matrix()
        try:
            np.broadcast_shapes(m.shape, v.shape + (1,))
        except ValueError:
            raise ValueError(f"Cannot broadcast {self._quat.shape[0] if self._quat.ndim > 1 else 1} rotations "
                             f"to {v.shape[0] if v.ndim > 1 else 1} vectors.") from None
        if inverse:
            m = np.swapaxes(m, -1, -2)
        return (m @ v[..., None])[..., 0]

    @_method
    def __mul__(self, other):
        """The composition: ``(p * q).apply(v) == p.apply(q.apply(v))``."""
        if not isinstance(other, Rotation):
            return NotImplemented
        try:
            np.broadcast_shapes(self._quat.shape, other._quat.shape)
        except ValueError:
            raise ValueError(f"Expected equal number of rotations in both or a single rotation in either "
                             f"object, got {self.shape} rotations in first and {other.shape} rotations in "
                             f"second object.") from None
        return Rotation._raw(_compose(self._quat, other._quat))

    @_method
    def inv(self):
        """The inverse rotations (the conjugate quaternions)."""
        q = self._quat
        return Rotation._raw(np.concatenate([-q[..., :3], q[..., 3:]], axis=-1))

    @_method
    def magnitude(self):
        """The rotation angles, in [0, pi]."""
        q = self._quat
        return 2 * np.arctan2(np.linalg.vector_norm(q[..., :3], axis=-1), np.abs(q[..., 3]))

    @_method
    def mean(self, weights=None, axis=None):
        """The (weighted) mean rotation (the principal eigenvector of the quaternions' weighted
        outer products), over ``axis`` (all by default)."""
        q = self._quat
        if q.ndim > 1 and q.shape[0] == 0:
            raise ValueError("Mean of an empty rotation set is undefined.")
        lead = tuple(range(q.ndim - 1))
        axis = lead if axis is None else ((axis,) if isinstance(axis, int) else axis)
        if not isinstance(axis, tuple):
            raise ValueError("`axis` must be None, int, or tuple of ints.")
        if axis and (min(axis) < -(q.ndim - 1) or max(axis) > q.ndim - 2):
            raise ValueError(f"axis {axis} is out of bounds for rotation with shape {q.shape[:-1]}.")
        axis = tuple(sorted({a % (q.ndim - 1) for a in axis})) if axis else ()
        outer = q[..., :, None] * q[..., None, :]
        if weights is not None:
            weights = _float(weights, "weights")
            if bool(np.any(np.stop_gradient(weights) < 0)):
                raise ValueError("`weights` must be non-negative.")
            try:
                np.broadcast_shapes(q.shape[:-1], weights.shape)
            except ValueError:
                raise ValueError(f"Expected `weights` to be broadcastable to rotation shape, got shape "
                                 f"{weights.shape} for {q.shape[:-1]} rotations.") from None
            outer = weights[..., None, None] * outer
        keep = tuple(a for a in lead if a not in axis)
        outer = np.moveaxis(outer, keep + axis, lead)
        k = np.mean(np.reshape(outer, outer.shape[:len(keep)] + (-1, 4, 4)), axis=-3)
        return Rotation._raw(np.linalg.eigh(k)[1][..., -1])

    # -- container -------------------------------------------------------------------------------
    @property
    def single(self):
        """Whether this is one rotation (not an array of them)."""
        return self._single

    @property
    def shape(self):
        """The shape of the array of rotations (``()`` for a single rotation), as SciPy's."""
        return tuple(self._quat.shape[:-1])

    def __len__(self):
        if self._single:
            raise TypeError("Single rotation has no len")
        return self._quat.shape[0]

    def __bool__(self):
        return True

    def __getitem__(self, indexer):
        if self._single:
            raise TypeError("Single rotation is not subscriptable.")
        index = indexer if isinstance(indexer, tuple) else (indexer,)
        return Rotation._raw(self._quat[index + (slice(None),)])

    def __iter__(self):
        if self._single:
            raise TypeError("Single rotation is not iterable.")
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        return f"Rotation.from_matrix({self.as_matrix()!r})"


class Slerp:
    """Spherical linear interpolation of rotations at increasing ``times`` (SciPy's class)."""

    def __init__(self, times, rotations):
        if not isinstance(rotations, Rotation):
            raise TypeError("`rotations` must be a `Rotation` instance.")
        if rotations.single or len(rotations) <= 1:
            raise ValueError("`rotations` must be a sequence of at least 2 rotations.")
        if rotations._quat.ndim > 2:
            raise ValueError("Rotations with more than 1 leading dimension are not supported.")
        with _devices.default_device(rotations._quat.device):    # (NumPy times follow the rotations)
            self._init(times, rotations)

    def _init(self, times, rotations):
        times = _float(times, "times")
        if times.ndim != 1:
            raise ValueError(f"Expected times to be specified in a 1 dimensional array, got {times.ndim} dimensions.")
        if times.shape[0] != len(rotations):
            raise ValueError(f"Expected number of rotations to be equal to number of timestamps given, got "
                             f"{len(rotations)} rotations and {times.shape[0]} timestamps.")
        self.times, self.timedelta = times, np.diff(times)
        if bool(np.any(np.stop_gradient(self.timedelta) <= 0)):
            raise ValueError("Times must be in strictly increasing order.")
        self.rotations = rotations[:-1]
        self.rotvecs = (self.rotations.inv() * rotations[1:]).as_rotvec()

    def __call__(self, times):
        """The interpolated rotations at ``times`` (a scalar gives one rotation)."""
        with _devices.default_device(self.times.device):
            return self._interpolate(times)

    def _interpolate(self, times):
        t = _float(times, "times")
        if t.ndim > 1:
            raise ValueError("`times` must be at most 1-dimensional.")
        single = t.ndim == 0
        t = np.atleast_1d(t)
        plain, grid = np.stop_gradient(t), np.stop_gradient(self.times)
        ind = np.searchsorted(grid, plain) - 1
        ind = np.where(plain == grid[0], 0, ind)
        if bool(np.any((ind < 0) | (ind > len(self.rotations) - 1))):
            raise ValueError(f"Interpolation times must be within the range [{float(grid[0])}, "
                             f"{float(grid[-1])}], both inclusive.")
        alpha = (t - self.times[ind]) / self.timedelta[ind]
        result = self.rotations[ind] * Rotation.from_rotvec(self.rotvecs[ind] * alpha[:, None])
        return result[0] if single else result
