"""SciPy's compiled kernels, loaded on first use (SciPy is an optional dependency).

``scipy_kernel("special", "erf")`` is an op's kernel factory ``impl(xp)``: the kernel it
builds imports ``scipy.special`` (``cupyx.scipy.special`` for CuPy arrays) the first time it
runs, so ``import npflow.scipy.special`` costs no SciPy import.
"""
import importlib

_HINT = "pip install npflow[scipy]"


def scipy_module(xp, family, name):
    """``scipy.<family>`` for NumPy's ``xp`` (``cupyx.scipy.<family>`` for CuPy), or ImportError."""
    if getattr(xp, "__name__", "numpy") == "cupy":
        try:
            mod = importlib.import_module(f"cupyx.scipy.{family}")
        except ImportError as e:
            raise ImportError(f"npflow.scipy.{family}.{name}() on a CUDA device needs "
                              f"cupyx.scipy.{family}: {e}") from e
        if hasattr(mod, name):
            return mod
        raise NotImplementedError(f"npflow.scipy.{family}.{name}(): cupyx.scipy.{family} has no "
                                  f"{name}; move the operands to the CPU (x.to_device('cpu'))")
    try:
        return importlib.import_module(f"scipy.{family}")
    except ImportError as e:
        raise ImportError(f"npflow.scipy.{family}.{name}() needs SciPy, which is not installed: "
                          f"{_HINT}") from e


def scipy_kernel(family, name, attr=None):
    """A kernel factory for ``scipy.<family>.<attr or name>``, resolved on the first call."""
    attr = attr or name

    def impl(xp):
        fn = None

        def kernel(*args, **params):
            nonlocal fn
            if fn is None:
                fn = getattr(scipy_module(xp, family, attr), attr)
            return fn(*args, **params)
        kernel.__name__ = f"scipy.{family}.{attr}"
        return kernel
    return impl
