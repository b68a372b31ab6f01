"""npflow's demo: fit a line and a curve by gradient descent, NumPy-style code.

    python -m npflow.demo            # on the default device (NPFLOW_DEVICE, else the CPU)

The code below is what a NumPy user writes, with ``import npflow as np``;
the gradient of the loss comes from ``np.value_and_grad``, not from hand-written
derivatives.
"""
import time

import numpy as onp

import npflow as np


def make_data(n, device):
    rng = onp.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, n)
    y = 1.5 * onp.sin(2.0 * x) + 0.5 * x + rng.normal(0.0, 0.1, n)  # the truth to recover
    return np.asarray(x, device=device), np.asarray(y, device=device)


def features(x):
    return np.stack([np.sin(2.0 * x), x, np.ones_like(x)], axis=1)


def loss(w, phi, y):
    residual = phi @ w - y
    return np.mean(residual ** 2)


def fit(x, y, steps=300, lr=0.1, report=50):
    phi = features(x)
    w = np.zeros(phi.shape[1], device=x.device)
    loss_and_grad = np.value_and_grad(loss)
    for step in range(steps + 1):
        value, grad = loss_and_grad(w, phi, y)
        if step % report == 0:
            print(f"  step {step:4d}   loss {float(value):.6f}   w = {np.round(w, 4).tolist()}")
        w = w - lr * grad
    return w, float(value)


def main():
    device = np.get_default_device()
    print(f"npflow {np.__version__} demo: fitting y = a*sin(2x) + b*x + c by gradient descent")
    print(f"device: {device}")
    x, y = make_data(2000, device)
    t0 = time.perf_counter()
    w, loss = fit(x, y)
    elapsed = time.perf_counter() - t0
    a, b, c = w.tolist()
    print(f"result: a = {a:.3f} (true 1.5), b = {b:.3f} (true 0.5), c = {c:.3f} (true 0.0); "
          f"final loss {loss:.5f}")
    print(f"fitted in {elapsed:.2f} s on {w.device}")
    return 0 if abs(a - 1.5) < 0.05 and abs(b - 0.5) < 0.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())
