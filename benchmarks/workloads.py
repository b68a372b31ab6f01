"""The benchmark workloads: each the same computation for NumPy and for npflow.

A workload has ``data(rng)`` -> NumPy arrays, and two functions of them:
``numpy(*arrays)`` (NumPy, with hand-written gradients where there are
gradients: the practical limit) and ``npflow(*arrays)`` (the same code with
``import npflow as np``; gradients by npflow). Results are compared before timing.
"""
from dataclasses import dataclass

import numpy

import npflow


@dataclass
class Workload:
    name: str
    data: object
    numpy: object
    npflow: object
    ops: int = 1          # ops per call, to report time per op (1: per call)
    target: float = None  # the bound on npflow/NumPy time (None: recorded only)
    rtol: float = 1e-12


def _chain(np):
    def f(x, y):
        return np.tanh(x * y + x) - y
    return f


def _pair(n):
    return lambda rng: (rng.random(n), rng.random(n))


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


def _logreg_loss(w, X, y):
    z = X @ w
    return npflow.mean(npflow.logaddexp(0.0, z) - y * z) + 0.5 * LAM * npflow.sum(w * w)


_logreg_vg = npflow.value_and_grad(_logreg_loss)


def logreg_npflow(X, y, w):
    return _logreg_vg(w, X, y)


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


def _mlp_loss(params, x, onehot):
    W1, b1, W2, b2, W3, b3 = params
    np = npflow
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    zs = z - np.stop_gradient(np.max(z, axis=1, keepdims=True))
    lse = np.log(np.sum(np.exp(zs), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * (zs - lse), axis=1))


_mlp_vg = npflow.value_and_grad(_mlp_loss)


def mlp_npflow(x, onehot, W1, b1, W2, b2, W3, b3):
    return _mlp_vg((W1, b1, W2, b2, W3, b3), x, onehot)


WORKLOADS = [
    Workload("dispatch, 10 elements: tanh(x*y + x) - y", _pair(10), _chain(numpy), _chain(npflow),
             ops=4, target=1.5),
    Workload("elementwise chain, 4M elements: tanh(x*y + x) - y", _pair(4_000_000), _chain(numpy),
             _chain(npflow), ops=4, target=1.05),
    Workload("logistic regression 5000x100, loss + gradient", _logreg_data, logreg_numpy, logreg_npflow,
             target=1.5, rtol=1e-10),
    Workload("MLP 784-256-256-10 tanh, batch 256, loss + gradient", _mlp_data, mlp_numpy, mlp_npflow,
             target=1.3, rtol=1e-9),
]
