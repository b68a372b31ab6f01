"""The classic polynomial API against NumPy: polyadd, polysub, polymul, polydiv, polyder, polyint,
polyval and the poly1d class (arithmetic, calculus, printing, indexing), dtypes and devices."""
import inspect

import numpy as onp
import pytest

import npflow as nf
from npflow._numpy import polynomial as P
from support import NUMERIC, assert_same, same_outcome, make, ids

COEFFS = [[1.0, 2, 3], [3, 0, -1, 2], [2j, 1], [1, 2], [0, 0, 1.5], [0.0], [5]]


def check(name, *args, rtol=1e-12, **kw):
    return same_outcome(getattr(nf, name), getattr(onp, name), *args, rtol=rtol, atol=1e-12, **kw)


def assert_poly(got, expected):
    """Both poly1d with the same coefficients (or both the same plain result)."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_poly(g, e)
        return
    if isinstance(expected, onp.poly1d):
        assert isinstance(got, nf.poly1d), f"expected a poly1d, got {type(got).__name__}"
        assert got.variable == expected.variable
        got, expected = got.coeffs, expected.coeffs
    assert_same(got, expected, rtol=1e-12, atol=1e-12)


def test_signatures_match_numpy():
    for name in P.__all__:
        assert inspect.signature(getattr(nf, name)) == inspect.signature(getattr(onp, name)), name


@pytest.mark.parametrize("name", ["polyadd", "polysub", "polymul", "polydiv"])
def test_binary(name):
    for a in COEFFS:
        for b in COEFFS:
            a_np, b_np = onp.array(a), onp.array(b)
            if name == "polydiv" and not b_np.any():
                continue
            check(name, a_np, b_np)
            assert_poly(getattr(nf, name)(nf.poly1d(a), b), getattr(onp, name)(onp.poly1d(a), b))
            assert_poly(getattr(nf, name)(a, nf.poly1d(b)), getattr(onp, name)(a, onp.poly1d(b)))


@pytest.mark.parametrize("dtype", NUMERIC, ids=ids(NUMERIC))
def test_dtypes(dtype):
    p, q = make((4,), dtype, seed=1, low=1, high=5), make((2,), dtype, seed=2, low=1, high=5)
    x = make((2, 3), dtype, seed=3, low=-2, high=2)
    rtol = 1e-5 if dtype in (onp.float32, onp.complex64) else 1e-12
    for name in ("polyadd", "polysub", "polymul"):
        check(name, p, q, rtol=rtol)
    if rtol == 1e-12:  # (single precision: the remainder's rounding noise decides its trimming)
        check("polydiv", p, q)
    else:
        assert_same(nf.polydiv(p, q)[0], onp.polydiv(p, q)[0], rtol=rtol)
    for m in (0, 1, 2, 5):
        check("polyder", p, m)
        check("polyint", p, m, rtol=rtol)
        check("polyint", p, m, [3] * max(m, 1), rtol=rtol)
    for xv in (x, x[0, 0], 2, 1.5):
        check("polyval", p, xv, rtol=rtol)


def test_calculus_and_errors():
    for p in COEFFS:
        check("polyint", onp.array(p), 2, 4.0)
        check("polyval", onp.array(p), onp.array([[1.5, 2.0]]))
        check("polyval", onp.array(p), onp.float32(2))
    for name, args in [("polyder", ([1, 2], -1)), ("polyint", ([1, 2], -1)), ("polyint", ([1, 2], 3, [1, 2])),
                       ("polyder", (onp.array([1.0, 2.0]), 1.5))]:
        check(name, *args)
    p = nf.asarray([1.0, 2.0])
    assert nf.polyder(p, 0) is p and nf.polyint(p, 0) is p        # as NumPy: m=0 gives the array itself
    assert_poly(nf.polyder(nf.poly1d([1, 2, 3]), 1), onp.polyder(onp.poly1d([1, 2, 3]), 1))
    assert_poly(nf.polyint(nf.poly1d([1, 2, 3]), 2, [1, 2]), onp.polyint(onp.poly1d([1, 2, 3]), 2, [1, 2]))
    assert_poly(nf.polyval(nf.poly1d([1, 2]), nf.poly1d([3, 1])), onp.polyval(onp.poly1d([1, 2]), onp.poly1d([3, 1])))


OPS = [
    lambda p: p * 2, lambda p: 2 * p, lambda p: p + p, lambda p: p - [1, 1], lambda p: [1, 1] - p,
    lambda p: [1, 1] + p, lambda p: p ** 3, lambda p: p ** 0, lambda p: p / 2, lambda p: 2 / p, lambda p: -p,
    lambda p: +p, lambda p: p * p, lambda p: p * [1, 2], lambda p: [1, 2] * p, lambda p: p / [1, 1],
    lambda p: [1, 2, 3, 4] / p, lambda p: p.deriv(2), lambda p: p.integ(1, 3), lambda p: p.integ(2),
    lambda p: p(onp.array([1.0, 2.0])), lambda p: p(2), lambda p: p(type(p)([1, 1])),
    lambda p: type(p)(p.coeffs, variable="z"), lambda p: type(p)(p),
]


@pytest.mark.parametrize("coeffs", [[1, -2, 0, 3], [0, 2.5, 1j], [4]], ids=str)
def test_poly1d(coeffs):
    q, Q = onp.poly1d(coeffs), nf.poly1d(coeffs)
    for op in OPS:
        assert_poly(op(Q), op(q))
    assert str(Q) == str(q) and repr(Q) == repr(q)
    assert (len(Q), Q.order, Q.o, Q.variable) == (len(q), q.order, q.o, q.variable)
    for i in (-1, 0, 1, 7):
        assert_poly(nf.asarray(Q[i]) if not isinstance(Q[i], nf.ndarray) else Q[i], onp.asarray(q[i]))
    for alias in ("c", "coef", "coefficients", "coeffs"):
        assert_same(getattr(Q, alias), getattr(q, alias))
    assert_same(nf.asarray(onp.asarray(Q)), onp.asarray(q))
    assert [complex(c) for c in Q] == [complex(c) for c in q]
    assert Q == nf.poly1d(coeffs) and not (Q != nf.poly1d(coeffs)) and Q != nf.poly1d([9, 9, 9, 9, 9])
    Q[6], q[6] = 2, 2
    assert_poly(Q, q)
    with pytest.raises(AttributeError):
        Q.coeffs = nf.asarray([1.0])
    for bad in (lambda p: p ** -1, lambda p: p ** 1.5, lambda p: type(p)([[1, 2]]),
                lambda p: p.__setitem__(-1, 2)):
        with pytest.raises(ValueError):
            bad(Q)
        with pytest.raises(ValueError):
            bad(q)


def test_poly1d_printing():
    for c in ([1, -2, 0, 3], [1j, 2, 0], [1 + 2j, -1.5], [0.0], [1e-5, 123456.0], list(range(1, 25))):
        assert str(nf.poly1d(c)) == str(onp.poly1d(c))
        assert repr(nf.poly1d(c)) == repr(onp.poly1d(c))
    assert str(nf.poly1d([1, 2], variable="t")) == str(onp.poly1d([1, 2], variable="t"))


@pytest.mark.parametrize("device", ["sim"])
def test_results_stay_on_device(device):
    v = nf.asarray(make((3,), onp.float64), device=device)
    a = nf.asarray(make((2, 5), onp.float64, seed=1), device=device)
    outs = [nf.polyadd(v, a[0]), nf.polymul(v, [1, 2]), nf.polydiv(a[0], v)[1], nf.polyder(v),
            nf.polyint(v, 2), nf.polyval(v, a), nf.polyval([1, 2], v), nf.poly1d(v)(a),
            (nf.poly1d(v) ** 2).coeffs, nf.poly1d(v).integ().coeffs, (nf.poly1d(v) - [1, 2]).coeffs]
    assert {o.device.name for o in outs} == {device}
