"""Gradient specs for npflow.scipy.ndimage, npflow.scipy.interpolate and npflow.scipy.spatial.transform
(composites; a class's methods are named np.scipy.<module>.<Class>.<method>)."""
import numpy as onp

import npflow as np
import npflow.scipy.interpolate as si
import npflow.scipy.ndimage as nd
from npflow.scipy.spatial.transform import Rotation as R, Slerp
from gradspecs import Case, rand

IMG = rand(4, 5, seed=150)
COORDS = onp.stack([rand(7, seed=151, low=-1.7, high=4.6), rand(7, seed=152, low=-0.6, high=5.4)])
X, Y = onp.array([0.0, 1.0, 2.5, 4.0]), onp.array([-1.0, 0.5, 2.0])
VALS = rand(4, 3, 2, seed=153)
XI = onp.column_stack([rand(5, seed=154, low=0.1, high=3.9), rand(5, seed=155, low=-0.9, high=1.9)])
Q, P = rand(3, 4, seed=156), rand(3, 4, seed=157)
VEC = rand(3, 3, seed=158)
ANG = rand(3, 3, seed=159, low=-1.0, high=1.0)
NOISY = rand(2, 3, 3, seed=160, low=-0.1, high=0.1) + onp.eye(3)
N, I, T = "np.scipy.ndimage.", "np.scipy.interpolate.RegularGridInterpolator.", "np.scipy.spatial.transform."
RO = T + "Rotation."


def quat(q):
    return R.from_quat(q)


SPECS = [
    *[Case(N + "map_coordinates", lambda a, c, m=m: nd.map_coordinates(a, c, order=1, mode=m, cval=0.5), (IMG, COORDS), m)
      for m in ("constant", "grid-constant", "reflect", "mirror", "wrap", "grid-wrap", "nearest")],
    Case(N + "map_coordinates", lambda a: nd.map_coordinates(a, COORDS, order=0, mode="reflect"), (IMG,), "order-0"),
    Case(I + "__call__", lambda v, x: si.RegularGridInterpolator((X, Y), v)(x), (VALS, XI)),
    Case(I + "__call__", lambda x, y, v, xi: si.RegularGridInterpolator((x, y), v, bounds_error=False, fill_value=None)(xi * 1.3),
         (X, Y, VALS[..., 0], XI), "grid-extrapolated"),
    Case(I + "__call__", lambda v: si.RegularGridInterpolator((X, Y), v, method="nearest")(XI), (VALS,), "nearest"),
    Case(RO + "from_quat", lambda q: quat(q).as_quat(), (Q,)),
    Case(RO + "from_quat", lambda q: R.from_quat(q[0], scalar_first=True).as_matrix(), (Q,), "scalar-first"),
    Case(RO + "as_quat", lambda q: quat(q).as_quat(canonical=True, scalar_first=True), (Q,)),
    Case(RO + "as_matrix", lambda q: quat(q).as_matrix(), (Q,)),
    Case(RO + "from_matrix", lambda q: R.from_matrix(quat(q).as_matrix()).as_quat(), (Q,)),
    Case(RO + "from_matrix", lambda m: R.from_matrix(m).as_quat(), (NOISY,), "orthogonalized"),
    Case(RO + "from_rotvec", lambda v: R.from_rotvec(v).as_quat(), (VEC,)),
    Case(RO + "from_rotvec", lambda v: R.from_rotvec(v * 1e-4, degrees=True).as_quat(), (VEC,), "small-degrees"),
    Case(RO + "from_rotvec", lambda v: R.from_rotvec(v).as_quat(), (onp.zeros(3),), "identity"),
    Case(RO + "as_rotvec", lambda q: quat(q).as_rotvec(), (Q,)),
    Case(RO + "as_rotvec", lambda v: R.from_rotvec(v).as_rotvec(), (onp.zeros((2, 3)),), "identity"),
    Case(RO + "as_rotvec", lambda v: R.from_rotvec(v * 1e-4).as_rotvec(degrees=True), (VEC,), "small-degrees"),
    Case(RO + "from_mrp", lambda p: R.from_mrp(p).as_quat(), (VEC,)),
    Case(RO + "as_mrp", lambda q: quat(q).as_mrp(), (Q,)),
    Case(RO + "from_euler", lambda a: R.from_euler("xyz", a).as_quat(), (ANG,)),
    Case(RO + "from_euler", lambda a: R.from_euler("ZXZ", a[0], degrees=True).as_quat(), (ANG,), "intrinsic-degrees"),
    Case(RO + "as_euler", lambda q: quat(q).as_euler("zyx"), (Q,)),
    Case(RO + "as_euler", lambda a: R.from_euler("XYX", a).as_euler("XYX", degrees=True), (ANG,), "symmetric-intrinsic"),
    Case(RO + "apply", lambda q, v: quat(q).apply(v), (Q, VEC)),
    Case(RO + "apply", lambda q, v: quat(q[0]).apply(v, inverse=True), (Q, VEC), "single-inverse"),
    Case(RO + "__mul__", lambda p, q: (quat(p) * quat(q)).as_quat(), (P, Q)),
    Case(RO + "inv", lambda q: quat(q).inv().as_matrix(), (Q,)),
    Case(RO + "magnitude", lambda q: quat(q).magnitude(), (Q,)),
    Case(RO + "mean", lambda q: quat(q).mean().as_matrix(), (Q,)),
    Case(RO + "mean", lambda q, w: quat(q).mean(np.abs(w) + 0.5).as_matrix(), (Q, VEC[0]), "weights"),
    Case(RO + "concatenate", lambda p, q: R.concatenate([quat(p), quat(q[0])]).as_quat(), (P, Q)),
    Case(T + "Slerp.__call__", lambda q, t: Slerp(onp.array([0.0, 1.0, 3.0]), quat(q))(t).as_quat(),
         (Q, onp.array([0.2, 1.7, 2.9]))),
]
