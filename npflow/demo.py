"""npflow's demo: a two-layer network learns scikit-learn's handwritten digits, trained with Adam.

    pip install -e ".[demo]"
    python -m npflow.demo            # on the default device (NPFLOW_DEVICE, else the CPU)

The model is NumPy code (``import npflow as np``): the gradient of the loss comes
from ``np.value_and_grad`` and the update from ``np.optimizers.Adam`` in the
functional (optax) style, ``opt.init`` / ``opt.update`` / ``apply_updates``.
examples/digits_mlp.py runs the same code as an example script.
"""
import os
import sys
import time

import numpy as onp

import npflow as np

FIX = 'pip install -e ".[demo]"'


def load_digits(seed=0, test_fraction=0.2, device=None):
    """The 8x8 digits (1797 images, no download) as ``(X_train, y_train, X_test, y_test)``:
    a seeded split, pixels standardised with the training set's mean and standard deviation."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as e:
        raise ImportError(f"the digits data set comes with scikit-learn, which is not installed: {FIX}") from e
    images, labels = sklearn_digits(return_X_y=True)
    X, y = np.asarray(images, device=device), np.asarray(labels, device=device)
    order = onp.random.default_rng(seed).permutation(len(labels))  # which sample goes where
    n_test = round(test_fraction * len(labels))
    test, train = order[:n_test], order[n_test:]
    mean, std = np.mean(X[train], axis=0), np.std(X[train], axis=0)
    X = (X - mean) / np.where(std > 0, std, 1.0)  # constant pixels (always blank) stay 0
    return X[train], y[train], X[test], y[test]


def init_params(n_in, hidden, n_out, seed=0, device=None):
    """Glorot-scaled random weights, zero biases."""
    rng = onp.random.default_rng(seed)

    def dense(m, n):
        return np.asarray(rng.normal(0.0, onp.sqrt(2.0 / (m + n)), (m, n)), device=device), np.zeros(n, device=device)

    (W1, b1), (W2, b2) = dense(n_in, hidden), dense(hidden, n_out)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def logits(params, X):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def loss(params, X, onehot):
    """Softmax cross-entropy, averaged over the batch (shifted by the row maximum for stability)."""
    z = logits(params, X)
    z = z - np.max(z, axis=1, keepdims=True)
    log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def accuracy(params, X, y):
    return float(np.mean(np.argmax(logits(params, X), axis=1) == y))


def train(X, y, epochs=20, hidden=64, batch_size=32, learning_rate=3e-3, seed=0, progress=None):
    """Minibatch Adam on the cross-entropy; returns the parameters and the mean loss of each epoch.
    ``progress(epoch, epochs, loss)`` is called after each epoch."""
    n_classes = 10
    onehot = (y[:, None] == np.arange(n_classes, device=y.device)).astype(X.dtype)
    params = init_params(X.shape[1], hidden, n_classes, seed, X.device)
    opt = np.optimizers.Adam(learning_rate)
    state = opt.init(params)
    loss_and_grad = np.value_and_grad(loss)
    rng = onp.random.default_rng(seed + 1)
    losses = []
    for epoch in range(1, epochs + 1):
        order, total = rng.permutation(len(y)), 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            value, grads = loss_and_grad(params, X[batch], onehot[batch])
            updates, state = opt.update(grads, state, params)
            params = np.optimizers.apply_updates(params, updates)
            total = total + value * len(batch)  # stays on the device: one transfer per epoch
        losses.append(float(total) / len(y))
        if progress is not None:
            progress(epoch, epochs, losses[-1])
    return params, losses


def fit_digits(epochs=20, hidden=64, seed=0, progress=None, device=None):
    """Train on 80% of the digits, return ``(test accuracy, per-epoch training losses)``."""
    X_train, y_train, X_test, y_test = load_digits(seed, device=device)
    params, losses = train(X_train, y_train, epochs, hidden, seed=seed, progress=progress)
    return accuracy(params, X_test, y_test), losses


def progress_bar(width=30, out=None):
    """A ``progress(epoch, epochs, loss)`` callback drawing a one-line text bar."""
    out = out or sys.stdout
    t0 = time.perf_counter()

    live = getattr(out, "isatty", lambda: False)()  # a terminal redraws one line; a log gets lines

    def show(epoch, epochs, loss):
        done = width * epoch // epochs
        out.write(f"{chr(13) if live else ''}  [{'#' * done}{'.' * (width - done)}] epoch "
                  f"{epoch}/{epochs}  loss {loss:.4f}  {time.perf_counter() - t0:.1f} s")
        out.write("\n" if epoch == epochs or not live else "")
        out.flush()
    return show


def plot_losses(losses, path, title="npflow demo: digits, Adam"):
    """Save the loss curve as a PNG; False (nothing written) when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    except ImportError:
        return False
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.plot(range(1, len(losses) + 1), losses, marker="o")
    ax.set(xlabel="epoch", ylabel="training cross-entropy", yscale="log", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main(epochs=20, hidden=64, seed=0, plot="npflow_demo_loss.png"):
    device = np.get_default_device()
    print(f"npflow {np.__version__} demo: a {hidden}-unit tanh network learns scikit-learn's "
          f"handwritten digits with Adam")
    print(f"device: {device}")
    t0 = time.perf_counter()
    try:
        acc, losses = fit_digits(epochs, hidden, seed, progress=progress_bar())
    except ImportError as e:
        print(f"npflow demo: {e}", file=sys.stderr)
        return 1
    print(f"test accuracy: {acc:.1%} after {epochs} epochs ({time.perf_counter() - t0:.1f} s on {device})")
    path = os.path.abspath(plot)
    if plot_losses(losses, path, f"npflow demo: digits, Adam ({acc:.1%} test accuracy)"):
        print(f"loss curve saved to {path}")
    else:
        print(f"loss curve plot skipped: matplotlib is not installed ({FIX})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
