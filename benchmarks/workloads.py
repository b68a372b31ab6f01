"""The benchmark workloads: each the same computation in NumPy, npflow and every peer.

A workload has ``data(rng)`` -> NumPy arrays, ``numpy(*arrays)`` (NumPy, with hand-written
gradients where there are gradients: the practical limit) and ``code(ns, *arrays)``, written
once against a NumPy-like namespace ``ns`` (npflow, autograd.numpy, torch, jax.numpy, mygrad)
and run as its ``kind`` says: ``forward`` (called as it is), ``record`` (called with its first
array tracked by the library's tape, no backward pass), ``grad`` (value and gradient with
respect to the arrays ``wrt``, by the library's idiom) or ``hvp`` (``code(ns, w, *rest)`` is a
scalar loss; the gradient and the hessian-vector product with ``v``, forward over reverse).
``npflow`` overrides npflow's function where the issues fixed its exact code.
"""
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import numpy

import npflow


@dataclass
class Workload:
    name: str
    data: object
    numpy: object = None    # default: code(numpy, *arrays)
    code: object = None
    kind: str = "forward"
    wrt: tuple = ()
    npflow: object = None   # npflow's own function (default: from code, as for the peers)
    ops: int = 1            # ops per call, to report time per op (1: per call)
    targets: tuple = ()     # (bound on npflow/NumPy time, where it is from)
    jit_targets: tuple = ()  # (bound on npflow jit's time / NumPy's, where it is from)
    beat: tuple = ()        # peers npflow must be faster than (issue 8)
    rtol: float = 1e-12
    custom: dict = None     # library name -> its own function (those not named: no idiom)

    def function(self, lib):
        """This workload's callable for ``lib`` (None where the library has no idiom for it)."""
        if self.custom is not None:
            make = self.custom.get(lib.name.replace(" jit", ""))
            return make and lib.wrap(make())
        if lib.name == "NumPy":
            return self.numpy or (lambda *a: self.code(numpy, *a))
        if lib.name == "npflow" and self.npflow is not None:
            return self.npflow
        if self.kind == "forward":
            return lib.wrap(lambda *a: self.code(lib.ns, *a))
        make = {"record": lib.record, "grad": lib.value_and_grad and (
            lambda c: lib.value_and_grad(c, self.wrt)), "hvp": lib.hvp}[self.kind]
        return lib.wrap(make and make(self.code))


EAGER = ("autograd", "MyGrad", "JAX")  # issue 8: npflow beats these in every gradient workload


def _chain(ns, x, y):
    return ns.tanh(x * y + x) - y


def _chain10(ns, x, y):
    for _ in range(10):
        x = ns.tanh(x * y + x) - y
    return x


def _chain15(ns, x, y):
    """Issue 15's elementwise chain (one memory pass per op in eager mode)."""
    return ns.exp(-x * x) * y + ns.sin(x)


def _arrays(*shapes):
    return lambda rng: tuple(rng.random(s) for s in shapes)


def _reductions(ns, x):
    return ns.sum(x, axis=0), ns.mean(x, axis=1, keepdims=True), ns.max(x, axis=-1)


def _matmul(ns, a, b, c):
    return ns.tanh(a @ b) @ c


# -- logistic regression (L2-regularised), loss and gradient ---------------------------------
LAM = 1e-2


def _logreg_data(rng):
    X = rng.standard_normal((5000, 100))
    w_true = rng.standard_normal(100)
    y = (X @ w_true + rng.standard_normal(5000) > 0).astype(float)
    return X, y, 0.1 * rng.standard_normal(100)


def logreg_numpy(X, y, w):
    z = X @ w
    loss = numpy.mean(numpy.logaddexp(0.0, z) - y * z) + 0.5 * LAM * (w @ w)
    s = 1.0 / (1.0 + numpy.exp(-z))
    return loss, X.T @ (s - y) / len(y) + LAM * w


def _logreg(ns, X, y, w):
    """The loss in any namespace (npflow's and the peers' code)."""
    z = X @ w
    return ns.mean(ns.logaddexp(0.0, z) - y * z) + 0.5 * LAM * ns.sum(w * w)


def _logreg_loss(w, X, y):
    return _logreg(npflow, X, y, w)


_logreg_vg = npflow.value_and_grad(_logreg_loss)


def logreg_npflow(X, y, w):
    return _logreg_vg(w, X, y)


# -- the hessian-vector product of the logistic loss --------------------------------------------
def _hvp_data(rng):
    X, y, w = _logreg_data(rng)
    return w, rng.standard_normal(100), X, y


def hvp_numpy(w, v, X, y):
    """The gradient and H @ v, by hand."""
    s = 1.0 / (1.0 + numpy.exp(-(X @ w)))
    g = X.T @ (s - y) / len(y) + LAM * w
    return g, X.T @ (s * (1 - s) * (X @ v)) / len(y) + LAM * v


def _logreg_w(ns, w, X, y):
    return _logreg(ns, X, y, w)


# -- a 784-256-256-10 tanh MLP: softmax cross-entropy loss and its gradient -------------------
SIZES = (784, 256, 256, 10)
BATCH = 256


def _mlp_data(rng):
    x = rng.standard_normal((BATCH, SIZES[0]))
    labels = rng.integers(0, SIZES[-1], BATCH)
    onehot = numpy.eye(SIZES[-1])[labels]
    params = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        params += [rng.standard_normal((a, b)) / numpy.sqrt(a), numpy.zeros(b)]
    return (x, onehot, *params)


def mlp_numpy(x, onehot, W1, b1, W2, b2, W3, b3):
    """Hand-written backprop."""
    h1 = numpy.tanh(x @ W1 + b1)
    h2 = numpy.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    zs = z - z.max(axis=1, keepdims=True)
    lse = numpy.log(numpy.exp(zs).sum(axis=1, keepdims=True))
    loss = -numpy.mean(numpy.sum(onehot * (zs - lse), axis=1))
    dz = (numpy.exp(zs - lse) - onehot) / x.shape[0]
    dW3, db3 = h2.T @ dz, dz.sum(0)
    dh2 = (dz @ W3.T) * (1 - h2 * h2)
    dW2, db2 = h1.T @ dh2, dh2.sum(0)
    dh1 = (dh2 @ W2.T) * (1 - h1 * h1)
    dW1, db1 = x.T @ dh1, dh1.sum(0)
    return loss, (dW1, db1, dW2, db2, dW3, db3)


def _mlp(ns, x, onehot, W1, b1, W2, b2, W3, b3):
    """The loss in any namespace (npflow's and the peers' code)."""
    h1 = ns.tanh(x @ W1 + b1)
    h2 = ns.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    zs = z - ns.stop_gradient(ns.max(z, axis=1, keepdims=True))
    lse = ns.log(ns.sum(ns.exp(zs), axis=1, keepdims=True))
    return -ns.mean(ns.sum(onehot * (zs - lse), axis=1))


def _mlp_loss(params, x, onehot):
    return _mlp(npflow, x, onehot, *params)


_mlp_vg = npflow.value_and_grad(_mlp_loss)


def mlp_npflow(x, onehot, W1, b1, W2, b2, W3, b3):
    return _mlp_vg((W1, b1, W2, b2, W3, b3), x, onehot)


# -- the same MLP's training step with Adam: loss, gradient and the update (issue 15) -----------
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7  # (Keras's Adam, npflow.optimizers.Adam's defaults)


def mlp_adam_numpy(x, onehot, W1, b1, W2, b2, W3, b3):
    """Hand-written backprop and Adam's first step (t = 1, zero moments): (loss, new params)."""
    loss, grads = mlp_numpy(x, onehot, W1, b1, W2, b2, W3, b3)
    alpha = LR * math.sqrt(1 - B2) / (1 - B1)
    new = []
    for p, g in zip((W1, b1, W2, b2, W3, b3), grads):
        m = g * (1 - B1)
        v = numpy.square(g) * (1 - B2)
        new.append(p - m * alpha / (numpy.sqrt(v) + EPS))
    return loss, new


def _mlp_adam_npflow():
    """The optax-style step (npflow.optimizers.Adam), one graph under npflow.jit."""
    from npflow.optimizers import Adam, apply_updates
    opt = Adam(LR, B1, B2, EPS)

    def step(x, onehot, *params):
        state = opt.init(params)._replace(count=npflow.asarray(0))
        loss, g = npflow.value_and_grad(_mlp_loss)(params, x, onehot)
        updates, state = opt.update(g, state, params)
        return loss, apply_updates(params, updates)
    return step


def _mlp_adam_torch():
    """PyTorch eager: the loss, backward() and torch.optim.Adam's step (its epsilon scaled to
    Keras's form, so the step is the same), from the same parameters at every call."""
    import torch

    def step(x, onehot, *init):
        params = [p.detach().clone().requires_grad_() for p in init]
        opt = torch.optim.Adam(params, lr=LR, betas=(B1, B2), eps=EPS / math.sqrt(1 - B2))
        W1, b1, W2, b2, W3, b3 = params
        h1 = torch.tanh(x @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        z = h2 @ W3 + b3
        loss = -torch.mean(torch.sum(onehot * torch.log_softmax(z, dim=1), dim=1))
        loss.backward()
        opt.step()
        return loss.detach(), [p.detach() for p in params]
    return step


# -- a recurrence of tiny ops: 200 steps of h = tanh(W @ h + x_t) on 4-vectors ----------------
STEPS = 200


def _rnn_data(rng):
    return 0.5 * rng.standard_normal((4, 4)), 0.5 * rng.standard_normal((STEPS, 4)), numpy.zeros(4)


def _rnn(ns, W, xs, h):
    for t in range(STEPS):
        h = ns.tanh(W @ h + xs[t])
    return ns.sum(h)


def rnn_numpy(W, xs, h):
    """Hand-written backpropagation through time."""
    hs = [h]
    for t in range(STEPS):
        h = numpy.tanh(W @ h + xs[t])
        hs.append(h)
    dW = numpy.zeros_like(W)
    dh = numpy.ones_like(h)
    for t in range(STEPS, 0, -1):
        da = dh * (1 - hs[t] * hs[t])
        dW += numpy.outer(da, hs[t - 1])
        dh = W.T @ da
    return numpy.sum(h), (dW,)


# -- a Gaussian process's negative log marginal likelihood and its gradient --------------------
GP_N = 200


def _gp_data(rng):
    x = numpy.sort(rng.uniform(-5.0, 5.0, GP_N))
    y = numpy.sin(x) + 0.5 * numpy.sin(3 * x) + 0.2 * rng.standard_normal(GP_N)
    return numpy.array([0.0, 0.0, math.log(0.04)]), x, y, numpy.eye(GP_N)


def _gp(ns, theta, x, y, eye):
    """-log p(y | x, theta): an RBF kernel (log length-scale, log signal variance) plus noise."""
    sq = (x[:, None] - x[None, :]) ** 2
    K = ns.exp(theta[1] - 0.5 * sq * ns.exp(-2.0 * theta[0])) + ns.exp(theta[2]) * eye
    L = ns.linalg.cholesky(K)
    z = ns.linalg.solve(L, y)
    return 0.5 * (z @ z) + ns.sum(ns.log(ns.diagonal(L))) + 0.5 * GP_N * math.log(2 * math.pi)


def gp_numpy(theta, x, y, eye):
    """The gradient by hand: 0.5 tr((K^-1 - a a^T) dK/dtheta) with a = K^-1 y."""
    sq = (x[:, None] - x[None, :]) ** 2
    scale = numpy.exp(-2.0 * theta[0])
    Kf = numpy.exp(theta[1] - 0.5 * sq * scale)
    noise = numpy.exp(theta[2])
    L = numpy.linalg.cholesky(Kf + noise * eye)
    z = numpy.linalg.solve(L, y)
    loss = 0.5 * (z @ z) + numpy.sum(numpy.log(numpy.diagonal(L))) + 0.5 * GP_N * math.log(2 * math.pi)
    Linv = numpy.linalg.solve(L, eye)
    a = Linv.T @ z
    A = Linv.T @ Linv - numpy.outer(a, a)
    dKf = A * Kf
    return loss, (numpy.array([0.5 * numpy.sum(dKf * sq) * scale, 0.5 * numpy.sum(dKf),
                               0.5 * noise * numpy.trace(A)]),)


# -- npflow.scipy (issue 14): SciPy's functions, value and gradient -----------------------------
# (NumPy: SciPy's function and the gradient by hand; the peers: autograd.scipy and jax.scipy)

def _lse_data(rng):
    return (rng.standard_normal((1000, 100)),)


def _lse(ns, x):
    return ns.sum(ns.scipy.special.logsumexp(x, axis=1))


def lse_numpy(x):
    import scipy.special
    lse = scipy.special.logsumexp(x, axis=1)
    return numpy.sum(lse), (numpy.exp(x - lse[:, None]),)


def _norm_data(rng):
    return rng.standard_normal(100_000) * 1.5 + 0.3, numpy.array(0.2), numpy.array(1.4)


def _norm(ns, x, mu, sigma):
    return ns.sum(ns.scipy.stats.norm.logpdf(x, mu, sigma))


def norm_numpy(x, mu, sigma):
    import scipy.stats
    z = (x - mu) / sigma
    return (numpy.sum(scipy.stats.norm.logpdf(x, mu, sigma)),
            (numpy.sum(z) / sigma, numpy.sum(z * z - 1) / sigma))


MVN_N, MVN_D = 500, 10


def _mvn_data(rng):
    return (rng.standard_normal((MVN_N, MVN_D)), rng.standard_normal(MVN_D) * 0.1,
            rng.standard_normal((MVN_D, MVN_D)) / numpy.sqrt(MVN_D), numpy.eye(MVN_D))


def _mvn(ns, X, mean, A, eye):
    """The covariance A A^T + I from a factor: libraries differ in which entries of a symmetric
    argument a gradient lands on (SciPy reads one triangle), a factor's gradient is one answer."""
    return ns.sum(ns.scipy.stats.multivariate_normal.logpdf(X, mean, A @ A.T + eye))


def mvn_numpy(X, mean, A, eye):
    """The gradients by hand: P sum(r) in the mean; G = 0.5 (P R^T R P - N P) in the covariance,
    2 G A in its factor."""
    import scipy.stats
    cov = A @ A.T + eye
    R = X - mean
    P = numpy.linalg.inv(cov)
    PR = R @ P
    G = 0.5 * (PR.T @ PR - MVN_N * P)
    return (numpy.sum(scipy.stats.multivariate_normal.logpdf(X, mean, cov)), (numpy.sum(PR, axis=0), 2 * G @ A))


# -- odeint's adjoint against differentiating through the solver's steps ---------------------------
ODE_HORIZONS = (5.0, 20.0, 80.0)  # a damped, driven oscillator over [0, T]: the steps grow with T


def _ode_rhs(y, t, k, c):
    return npflow.stack([y[1], -k * y[0] - c * y[1] + npflow.sin(t)])


def ode_gradients(horizon):
    """(adjoint, through the steps, arguments, steps tried): gradient functions of the final state's
    squared norm in (y0, k, c), and the number of steps the forward solve tried (6 evaluations each,
    after 2 for the first step's size)."""
    from npflow.scipy.integrate import _solve, odeint
    ts = [0.0, horizon]

    def through(y0, k, c):
        ys = _solve(lambda y, t: _ode_rhs(y, t, k, c), y0, ts, 1.4e-8, 1.4e-8, math.inf, math.inf)
        return npflow.sum(ys[-1] ** 2)

    def adjoint(y0, k, c):
        return npflow.sum(odeint(_ode_rhs, y0, npflow.asarray(ts), k, c)[-1] ** 2)
    calls = []
    _solve(lambda y, t: (calls.append(t), _ode_rhs(y, t, 2.0, 0.05))[1], npflow.asarray([1.0, 0.0]), ts,
           1.4e-8, 1.4e-8, math.inf, math.inf)
    args = (npflow.asarray([1.0, 0.0]), npflow.asarray(2.0), npflow.asarray(0.05))
    return (npflow.grad(adjoint, argnums=(0, 1, 2)), npflow.grad(through, argnums=(0, 1, 2)), args,
            (len(calls) - 2) // 6)


# -- start-up: a fresh interpreter importing the library -------------------------------------
# Bytecode caches as an installed package has them (in a temporary folder: the first, checking
# call writes them), so what is timed is the import, not compiling the sources.
_IMPORT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_IMPORT_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "npflow-bench-pycache")


def _import(ns):
    subprocess.run([sys.executable, "-c", f"import {ns.__name__}"], env=_IMPORT_ENV, check=True)
    return numpy.float64(0.0)


WORKLOADS = [
    Workload("dispatch, 10 elements: tanh(x*y + x) - y", _arrays(10, 10), code=_chain,
             ops=4, targets=((1.5, "issue 8"),)),
    Workload("dispatch under a tape, 10 elements: 10 x (tanh(x*y + x) - y), recorded", _arrays(10, 10),
             code=_chain10, kind="record", wrt=(0,), ops=40, targets=((3.0, "issue 8"),)),
    Workload("elementwise chain, 4M elements: tanh(x*y + x) - y", _arrays(4_000_000, 4_000_000),
             code=_chain, ops=4, targets=((1.05, "issue 8"),)),
    Workload("elementwise chain, 4M elements: exp(-x*x)*y + sin(x)", _arrays(4_000_000, 4_000_000),
             code=_chain15, ops=5, jit_targets=((0.5, "issue 15"),)),
    Workload("reductions, 8x8: sum(axis=0), mean(axis=1, keepdims), max(axis=-1)", _arrays((8, 8)),
             code=_reductions, ops=3),
    Workload("reductions, 2000x2000: sum(axis=0), mean(axis=1, keepdims), max(axis=-1)",
             _arrays((2000, 2000)), code=_reductions, ops=3),
    Workload("matmul, 512x512: tanh(a @ b) @ c", _arrays((512, 512), (512, 512), (512, 512)),
             code=_matmul),
    Workload("logistic regression 5000x100, loss + gradient", _logreg_data, logreg_numpy, _logreg,
             "grad", wrt=(2,), npflow=logreg_npflow, targets=((1.3, "issue 8"), (1.5, "issue 3")),
             jit_targets=((1.0, "issue 15"),),
             beat=EAGER + ("PyTorch",), rtol=1e-10),
    Workload("MLP 784-256-256-10 tanh, batch 256, loss + gradient", _mlp_data, mlp_numpy, _mlp,
             "grad", wrt=(2, 3, 4, 5, 6, 7), npflow=mlp_npflow,
             targets=((1.2, "issue 8"), (1.3, "issue 3")), beat=EAGER, rtol=1e-9),
    Workload("MLP 784-256-256-10 tanh, batch 256, training step with Adam (loss, gradient, update)",
             _mlp_data, rtol=1e-9, custom={"NumPy": lambda: mlp_adam_numpy, "npflow": _mlp_adam_npflow,
                                           "PyTorch": _mlp_adam_torch},
             jit_targets=(("1x PyTorch", "issue 15"),)),
    Workload(f"recurrence, {STEPS} steps of h = tanh(W @ h + x_t) on 4-vectors, gradient wrt W",
             _rnn_data, rnn_numpy, _rnn, "grad", wrt=(0,), targets=((2.5, "issue 8"),),
             jit_targets=(("2x JAX jit", "issue 15"),),
             beat=EAGER + ("PyTorch",), rtol=1e-10),
    Workload("hessian-vector product of the logistic loss (5000x100), forward over reverse", _hvp_data,
             hvp_numpy, _logreg_w, "hvp", wrt=(0,), beat=EAGER, rtol=1e-9),
    Workload(f"Gaussian process, n = {GP_N}: -log marginal likelihood + gradient (cholesky, solve)",
             _gp_data, gp_numpy, _gp, "grad", wrt=(0,), beat=EAGER, rtol=1e-7),
    Workload("scipy.special.logsumexp, 1000x100 along axis 1: sum + gradient", _lse_data, lse_numpy, _lse,
             "grad", wrt=(0,), beat=("autograd", "JAX"), rtol=1e-10),
    Workload("scipy.stats.norm.logpdf, 100000 samples: sum + gradient in (mu, sigma)", _norm_data, norm_numpy,
             _norm, "grad", wrt=(1, 2), beat=("autograd", "JAX"), rtol=1e-9),
    Workload(f"scipy.stats.multivariate_normal.logpdf, {MVN_N} samples in {MVN_D}-d: sum + gradient in "
             "(mean, covariance factor)", _mvn_data, mvn_numpy, _mvn, "grad", wrt=(1, 2), beat=("autograd", "JAX"), rtol=1e-8),
    Workload("start-up: python -c 'import <library>' (a fresh interpreter)", lambda rng: (),
             code=_import, targets=((1.5, "issue 20"),)),
]
