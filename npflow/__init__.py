"""npflow: NumPy's interface, with automatic differentiation and GPU offload.

``import npflow as np`` and NumPy code runs as before.
"""
import sys as _sys

import numpy as _onp

from ._core.dtypes import *  # noqa: F401,F403
from ._core.devices import Device, devices, default_device, get_default_device  # noqa: F401
from ._core.dispatch import DeviceMismatchError  # noqa: F401
from ._backends.cupy_backend import BackendUnavailableError  # noqa: F401
from ._core.ndarray import ndarray, flatiter  # noqa: F401
from ._numpy.ufuncs import *  # noqa: F401,F403
from ._numpy.creation import *  # noqa: F401,F403
from ._numpy.manipulation import *  # noqa: F401,F403
from ._numpy.reductions import *  # noqa: F401,F403
from ._numpy.products import *  # noqa: F401,F403
from ._numpy.sorting import *  # noqa: F401,F403
from ._numpy.logic import *  # noqa: F401,F403
from ._numpy.math import *  # noqa: F401,F403
from ._numpy.polyfit import *  # noqa: F401,F403
from ._numpy.sets import *  # noqa: F401,F403
from ._numpy.indexing import *  # noqa: F401,F403
from ._numpy.io import *  # noqa: F401,F403
from ._numpy.printing import *  # noqa: F401,F403
from ._numpy.types import *  # noqa: F401,F403
from ._numpy.stats import *  # noqa: F401,F403
from ._numpy.signal import *  # noqa: F401,F403
from ._numpy.polynomial import *  # noqa: F401,F403
from ._numpy.interop import from_dlpack, publish as _publish  # noqa: F401
from ._numpy.info import __array_namespace_info__  # noqa: F401
from .autodiff import *  # noqa: F401,F403
from . import testing  # noqa: F401
from .control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: F401,A004
from .jit import jit  # noqa: F401,E402  (the package npflow/jit: npflow.jit is its function)
from .variables import Variable  # noqa: F401
from . import optimizers, optimize  # noqa: F401
from . import lib  # noqa: F401

__version__ = "0.1.0"
__array_api_version__ = "2025.12"
SUPPORTED_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")

newaxis = None
pi = _onp.pi
e = _onp.e
inf = _onp.inf
nan = _onp.nan
euler_gamma = _onp.euler_gamma

from ._core import ndarray as _ndarray_module  # noqa: E402

_ndarray_module._bind_namespace(_sys.modules[__name__])

from . import _docstrings  # noqa: E402

_docstrings.adopt(_sys.modules[__name__])  # NumPy's docstrings by reference, npflow's differences

_publish(_sys.modules[__name__])

# Loaded on first use (``npflow.linalg``, ``from npflow import fft``): they cost most of the
# start-up NumPy's own namespace does not (numpy.random alone imports secrets, hmac, hashlib).
_LAZY = ("linalg", "fft", "random")


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'npflow' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
