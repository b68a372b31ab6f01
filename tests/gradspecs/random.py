"""Gradient specs for npflow.random: the functions that gather (permute, pick from) their array."""
import npflow as np
from gradspecs import Case, rand

V = rand(6, seed=70)
M = rand(4, 3, seed=71)
Z = rand(5, seed=72, complex=True)


def seeded(fn):
    """``fn`` drawing from the global state seeded with 0 (restored after), so that every
    call check_grads makes draws the same numbers."""
    def run(*args):
        state = np.random.get_state()
        np.random.seed(0)
        try:
            return fn(*args)
        finally:
            np.random.set_state(state)
    return run


def shuffled(x):
    y = x * 1.0  # shuffle works in place: on a fresh array
    np.random.shuffle(y)
    return y


SPECS = [
    Case("np.random.permutation", seeded(lambda x: np.random.permutation(x)), (V,), "1d"),
    Case("np.random.permutation", seeded(lambda x: np.random.permutation(x)), (M,), "2d"),
    Case("np.random.permutation", seeded(lambda x: np.random.permutation(x)), (Z,), "complex"),
    Case("np.random.choice", seeded(lambda x: np.random.choice(x, 8)), (V,), "repeats"),
    Case("np.random.choice", seeded(lambda x: np.random.choice(x, (2, 2), replace=False)), (V,),
         "no-replace"),
    Case("np.random.shuffle", seeded(shuffled), (V,), "1d"),
    Case("np.random.shuffle", seeded(shuffled), (M,), "2d"),
    Case("np.random.Generator.permutation",
         lambda x: np.random.default_rng(0).permutation(x, axis=1), (M,), "axis1"),
    Case("np.random.Generator.choice",
         lambda x: np.random.default_rng(0).choice(x, 5, axis=1), (M,), "axis1"),
    Case("np.random.Generator.permuted",
         lambda x: np.random.default_rng(0).permuted(x, axis=1), (M,), "axis1"),
    Case("np.random.Generator.permuted",
         lambda x: np.random.default_rng(0).permuted(x), (M,), "flat"),
    Case("np.random.Generator.shuffle",
         lambda x: _gshuffled(x, 1), (M,), "axis1"),
]


def _gshuffled(x, axis):
    y = x * 1.0
    np.random.default_rng(0).shuffle(y, axis=axis)
    return y
