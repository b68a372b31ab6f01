"""Gradient specs for npflow.scipy.special: every differentiable primitive (ops named
``scipy.special.<name>``) in each operand it is differentiable in, and the composites."""
import numpy as onp

import npflow as np
import npflow.scipy.special as sp
from gradspecs import Case, rand

A = rand(3, 4, seed=80)
B = rand(4, seed=81)
POS = rand(3, 4, low=0.4, high=2.5, seed=82)
POS2 = rand(4, low=0.6, high=3.0, seed=83)
UNIT = rand(3, 4, low=0.1, high=0.9, seed=84)
INSIDE = rand(3, 4, low=-0.8, high=0.8, seed=85)
WIDE = rand(3, 4, low=-12.0, high=12.0, seed=86) + 0.3  # (no zero: i0e, i1e have a kink there)
Z = rand(3, 4, seed=87, complex=True)
ANGLE = rand(3, 4, low=0.3, high=2.8, seed=88)
NEAR_ONE = 1 + rand(4, low=-2e-4, high=2e-4, seed=89)  # spence's removable singularity
NEAR_ZERO = rand(4, low=-3e-4, high=3e-4, seed=90)     # boxcox's
S = "scipy.special."


def _on(ref, v):
    """A constant of a spec on the device of its traced operand ``ref``."""
    return np.asarray(v, device=ref.device)


U = {n: getattr(sp, n) for n in sp.__all__}

SPECS = [
    *[Case(S + n, U[n], (x,), label) for n, x, label in [
        ("expit", A, ""), ("logit", UNIT, ""), ("erf", A, ""), ("erfc", A, ""),
        ("erfinv", INSIDE, ""), ("erfcx", A, ""), ("gammaln", POS, ""), ("gamma", POS, ""),
        ("loggamma", POS, ""), ("digamma", POS, ""), ("i0", WIDE, ""), ("i0e", WIDE, ""),
        ("i1", WIDE, ""), ("i1e", WIDE, ""), ("ndtr", A, ""), ("ndtri", UNIT, ""),
        ("log_ndtr", A, ""), ("log_ndtr", -POS * 10, "far-tail"), ("exp1", POS, ""),
        ("expi", POS, ""), ("spence", POS, ""), ("spence", NEAR_ONE, "near-one"),
        ("dawsn", A, ""), ("entr", POS, ""), ("wofz", Z, "complex"),
        ("fresnel", A, ""), ("sici", POS, "")]],
    *[Case(S + n, U[n], xs, label) for n, xs, label in [
        ("xlogy", (A, POS), ""), ("xlog1py", (A, POS - 0.3), ""), ("kl_div", (POS, POS2), ""),
        ("rel_entr", (POS, POS2), ""), ("betaln", (POS, POS2), ""), ("beta", (POS, POS2), ""),
        ("poch", (POS, POS2), ""), ("binom", (POS + 3, POS2 / 2), ""),
        ("owens_t", (A, B), ""), ("boxcox", (POS, A / 2), ""), ("boxcox", (POS, NEAR_ZERO), "lambda-near-0"),
        ("boxcox1p", (POS, A / 2), "")]],
    Case(S + "gammainc", lambda x: sp.gammainc(_on(x, POS2), x), (POS,)),
    Case(S + "gammaincc", lambda x: sp.gammaincc(2.5, x), (POS,)),
    Case(S + "expn", lambda x: sp.expn(_on(x, [0, 1, 2, 5]), x), (POS,)),
    Case(S + "jv", lambda z: sp.jv(1.5, z), (POS,)),
    Case(S + "jv", lambda z: sp.jv(_on(z, [0, 1, 2, 3]), z), (A,), "integer-orders"),
    Case(S + "iv", lambda z: sp.iv(0.5, z), (POS,)),
    Case(S + "ive", lambda z: sp.ive(2, z), (WIDE,)),
    Case(S + "betainc", lambda x: sp.betainc(2.0, _on(x, POS2), x), (UNIT,)),
    Case(S + "hyp1f1", lambda x: sp.hyp1f1(1.5, 2.5, x), (A,)),
    Case(S + "hyp2f1", lambda z: sp.hyp2f1(0.5, 1.5, 2.5, z), (INSIDE,)),
    Case(S + "polygamma", lambda x: sp.polygamma(_on(x, [0, 1, 2, 3]), x), (POS,)),
    Case(S + "zeta", lambda q: sp.zeta(3.0, q), (POS,)),
    Case(S + "factorial", sp.factorial, (POS,)),
    Case(S + "factorial", sp.factorial, (A,), "negative-is-zero"),
    Case(S + "sph_harm_y", lambda t, p: sp.sph_harm_y(2, 1, t, p), (ANGLE, A), "scalar-orders"),
    Case(S + "sph_harm_y", lambda t, p: sp.sph_harm_y(3, _on(t, [-2, 0, 1, 3]), t, p), (ANGLE, A)),
    # composites
    Case("np.scipy.special.logsumexp", sp.logsumexp, (A,)),
    Case("np.scipy.special.logsumexp", lambda a: sp.logsumexp(a, axis=1, keepdims=True), (A,), "axis"),
    Case("np.scipy.special.logsumexp", lambda a, b: sp.logsumexp(a, axis=0, b=b), (A, POS), "weights"),
    Case("np.scipy.special.logsumexp", lambda a, b: sp.logsumexp(a, b=b, return_sign=True)[0],
         (B, onp.array([1.0, -0.5, 2.0, -1.0])), "signed"),
    Case("np.scipy.special.logsumexp", lambda z: sp.logsumexp(z, axis=0), (Z,), "complex"),
    Case("np.scipy.special.softmax", lambda x: sp.softmax(x, axis=1), (A,)),
    Case("np.scipy.special.log_softmax", sp.log_softmax, (A,)),
    Case("np.scipy.special.multigammaln", lambda a: sp.multigammaln(a, 3), (POS + 1.5,)),
    Case("np.scipy.special.comb", sp.comb, (POS + 3, POS2 / 2)),
    Case("np.scipy.special.comb", lambda n, k: sp.comb(n, k, repetition=True), (POS + 3, POS2 / 2),
         "repetition"),
    Case("np.scipy.special.bessel_jn", lambda z: sp.bessel_jn(z, v=3), (A,)),
]
