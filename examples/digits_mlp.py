"""A two-layer tanh network (64 -> 64 -> 10) learns scikit-learn's 8x8 handwritten digits,
trained with npflow.optimizers.Adam on minibatches of a softmax cross-entropy.

    python examples/digits_mlp.py                      # 20 epochs, >= 95% test accuracy
    NPFLOW_DEVICE=cuda python examples/digits_mlp.py   # on the GPU

The model and training loop are npflow's demo (npflow/demo.py: ``loss``, ``train``), shared
so that ``python -m npflow.demo`` runs them from an installed package too.
"""
import time

import npflow as np
from npflow.demo import fit_digits


def main(epochs=20, hidden=64, seed=0, progress=None):
    """Train on a seeded 80% of the digits; returns (test accuracy, per-epoch training losses)."""
    start = time.perf_counter()
    accuracy, losses = fit_digits(epochs, hidden, seed, progress)
    print(f"digits MLP ({hidden} hidden units, {epochs} epochs of Adam) on {np.get_default_device()}: "
          f"test accuracy {accuracy:.2%}, final training loss {losses[-1]:.4f}, "
          f"{time.perf_counter() - start:.1f} s")
    return accuracy, losses


if __name__ == "__main__":
    main()
