"""npflow.scipy.spatial.transform (Rotation, Slerp) against SciPy's: every constructor and
representation (quaternions with their edge cases: identity, half turns, tiny angles, negative w;
every Euler sequence, extrinsic and intrinsic, symmetric and not, at gimbal lock), apply, composition,
inverse, magnitude, mean, the container protocol, Slerp, and the errors."""
import warnings

import numpy as onp
import pytest

import npflow as nf
from npflow.scipy.spatial import transform as nt
from support import assert_same, outcomes

st = pytest.importorskip("scipy.spatial.transform")
RNG = onp.random.default_rng(0)
Q = RNG.normal(size=(6, 4))
Q[:4] = [[0, 0, 0, 1], [1e-5, 0, 0, 1], [0, 0, 0, -1], [1, 0, 0, 0]]
V = RNG.normal(size=(6, 3))
RV = RNG.normal(size=(5, 3))
RV[:2] = [[0, 0, 0], [1e-4, 2e-4, 0]]
M = st.Rotation.from_quat(Q).as_matrix()
SEQS = ["xyz", "ZYX", "xyx", "ZXZ", "yzx", "XZY", "zxy", "YXY"]
T = onp.array([0.0, 1, 3, 4, 5, 6])


def _q(r):
    return r.as_quat()


# name -> f(Rotation, Slerp): the same program for SciPy's classes and npflow's
CASES = {
    "quat": lambda R, S: _q(R.from_quat(Q)), "quat-1": lambda R, S: _q(R.from_quat(Q[5])),
    "quat-nd": lambda R, S: _q(R.from_quat(Q.reshape(2, 3, 4))),
    "quat-int": lambda R, S: _q(R.from_quat([0, 0, 1, 1])), "quat-canonical": lambda R, S: R.from_quat(Q).as_quat(True),
    "quat-scalar-first": lambda R, S: R.from_quat(Q, scalar_first=True).as_quat(scalar_first=True),
    "matrix": lambda R, S: R.from_quat(Q).as_matrix(), "rotvec": lambda R, S: R.from_quat(Q).as_rotvec(),
    "rotvec-deg": lambda R, S: R.from_quat(Q[4]).as_rotvec(degrees=True), "mrp": lambda R, S: R.from_quat(Q).as_mrp(),
    "magnitude": lambda R, S: R.from_quat(Q).magnitude(), "magnitude-1": lambda R, S: R.from_quat(Q[5]).magnitude(),
    **{f"euler-{s}": lambda R, S, s=s: R.from_quat(Q).as_euler(s) for s in SEQS},
    "euler-deg": lambda R, S: R.from_quat(Q[4:]).as_euler("zyz", degrees=True),
    "from-matrix": lambda R, S: _q(R.from_matrix(M)), "from-matrix-1": lambda R, S: _q(R.from_matrix(M[5])),
    "from-matrix-noisy": lambda R, S: _q(R.from_matrix(M + 1e-3 * onp.sin(onp.arange(54.0)).reshape(6, 3, 3))),
    "from-rotvec": lambda R, S: _q(R.from_rotvec(RV)), "from-rotvec-deg": lambda R, S: _q(R.from_rotvec(50 * RV[2], True)),
    "from-mrp": lambda R, S: _q(R.from_mrp(RV)),
    **{f"from-euler-{s}": lambda R, S, s=s: _q(R.from_euler(s, RV)) for s in SEQS},
    "from-euler-1": lambda R, S: _q(R.from_euler("x", 0.3)), "from-euler-2": lambda R, S: _q(R.from_euler("zY", [[0.1, 0.2]])),
    "from-euler-deg": lambda R, S: _q(R.from_euler("XYZ", [10, 20, 30], degrees=True)),
    "apply": lambda R, S: R.from_quat(Q).apply(V), "apply-inverse": lambda R, S: R.from_quat(Q).apply(V, inverse=True),
    "apply-1-to-many": lambda R, S: R.from_quat(Q[5]).apply(V), "apply-many-to-1": lambda R, S: R.from_quat(Q).apply(V[0]),
    "mul": lambda R, S: _q(R.from_quat(Q) * R.from_quat(Q[::-1])), "mul-1": lambda R, S: _q(R.from_quat(Q[5]) * R.from_quat(Q)),
    "inv": lambda R, S: _q(R.from_quat(Q).inv()),
    "mean": lambda R, S: R.from_quat(Q).mean().as_matrix(),
    "mean-weights": lambda R, S: R.from_quat(Q).mean(onp.arange(6.0)).as_matrix(),
    "mean-axis": lambda R, S: R.from_quat(Q.reshape(2, 3, 4)).mean(axis=1).as_matrix(),
    "identity": lambda R, S: _q(R.identity()), "identity-3": lambda R, S: _q(R.identity(3)),
    "identity-shape": lambda R, S: _q(R.identity(shape=(2, 2))), "random": lambda R, S: _q(R.random(3, rng=1)),
    "concatenate": lambda R, S: _q(R.concatenate([R.from_quat(Q), R.from_quat(Q[0])])),
    "getitem": lambda R, S: _q(R.from_quat(Q)[1:4]), "len-single-shape": lambda R, S: (
        len(R.from_quat(Q)), R.from_quat(Q).single, R.from_quat(Q[0]).single, R.from_quat(Q).shape, R.from_quat(Q[0]).shape),
    "slerp": lambda R, S: _q(S(T, R.from_quat(Q))(onp.array([0, 0.5, 2.2, 3, 6]))),
    "slerp-1": lambda R, S: _q(S(T, R.from_quat(Q))(2.5)),
    # errors
    "bad-quat": lambda R, S: R.from_quat(Q[:, :3]), "zero-quat": lambda R, S: R.from_quat(onp.zeros(4)),
    "bad-matrix": lambda R, S: R.from_matrix(onp.eye(2)), "left-handed": lambda R, S: R.from_matrix(-onp.eye(3)),
    "bad-rotvec": lambda R, S: R.from_rotvec(Q), "bad-mrp": lambda R, S: R.from_mrp(Q),
    "bad-seq": lambda R, S: R.from_euler("xyw", V), "repeated-axis": lambda R, S: R.from_euler("xxy", V),
    "mixed-seq": lambda R, S: R.from_euler("xY", V[:, :2]), "bad-angles": lambda R, S: R.from_euler("xy", V),
    "euler-2-axes": lambda R, S: R.from_quat(Q).as_euler("xy"), "apply-mismatch": lambda R, S: R.from_quat(Q).apply(V[:4]),
    "apply-bad": lambda R, S: R.from_quat(Q).apply(Q), "mul-mismatch": lambda R, S: R.from_quat(Q) * R.from_quat(Q[:4]),
    "len-single": lambda R, S: len(R.from_quat(Q[0])), "getitem-single": lambda R, S: R.from_quat(Q[0])[0],
    "mean-negative": lambda R, S: R.from_quat(Q).mean(-onp.ones(6)), "mean-bad-axis": lambda R, S: R.from_quat(Q).mean(axis=2),
    "slerp-single": lambda R, S: S([0, 1], R.from_quat(Q[0])), "slerp-times": lambda R, S: S(T[:3], R.from_quat(Q)),
    "slerp-order": lambda R, S: S(T[::-1], R.from_quat(Q)), "slerp-out": lambda R, S: S(T, R.from_quat(Q))(7.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_scipy(name):
    classes = {nf: (nt.Rotation, nt.Slerp), onp: (st.Rotation, st.Slerp)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # (gimbal lock: checked below)
        res = outcomes(lambda m: CASES[name](*classes[m]))
    if res is not None:
        assert_same(*res, rtol=1e-12, atol=1e-12)


def test_gimbal_lock_warns():
    with pytest.warns(UserWarning, match="Gimbal lock"):
        nt.Rotation.from_euler("xyz", [0.1, onp.pi / 2, 0.2]).as_euler("xyz")
