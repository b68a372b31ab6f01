"""numpy.random: NumPy's legacy functions and Generator API, the same streams as NumPy on the CPU.

``RandomState`` and ``Generator`` hold NumPy's own ``RandomState``/``Generator`` (the
bit generators, ``SeedSequence`` and ``BitGenerator`` are NumPy's classes, re-exported:
they hold state, not array data). Every sampling method takes ``device=``: on the CPU and
the simulated device the numbers come from the NumPy stream (exactly NumPy's); on CUDA
from a CuPy generator of the same kind, seeded from the same seed (``_cupy_generator``),
or, for methods CuPy lacks, from the NumPy stream moved to the GPU.

The legacy global state (``npflow.random.seed``, ``npflow.random.normal``, ...) IS NumPy's
global RandomState: ``npflow.random.seed(0)`` seeds ``numpy.random`` too, so a program
mixing ``numpy.random`` and ``npflow.random`` calls sees one stream, as with NumPy alone.

Results are npflow arrays; where NumPy returns a Python scalar (``size=None``), so does
npflow; where NumPy returns a NumPy scalar, npflow returns a 0-d array (npflow's rule
everywhere; on CUDA every result stays on the device, 0-d arrays included).
"""
import inspect
import operator
import warnings as _warnings

import numpy as _onp
from numpy.random import BitGenerator  # noqa: F401  (re-exported: state, not array data)

from .._core.devices import CPU as _CPU, as_device as _as_device
from .._core.dispatch import apply as _apply, wrap as _wrap, ndarray_type as _ndarray_type, \
    warn_at_caller as _warn_at_caller
from .._core.registry import REGISTRY as _REGISTRY
from .._ops import random as _random_ops
from .._backends.numpy_backend import BACKEND as _NUMPY_BACKEND

__all__ = [
    "BitGenerator", "MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64", "SeedSequence",
    "RandomState", "Generator", "default_rng", "seed", "get_state", "set_state",
    "get_bit_generator", "set_bit_generator", "rand", "randn", "randint", "random",
    "random_sample", "ranf", "sample", "random_integers", "bytes", "choice", "permutation",
    "shuffle", "beta", "binomial", "chisquare", "dirichlet", "exponential", "f", "gamma",
    "geometric", "gumbel", "hypergeometric", "laplace", "logistic", "lognormal", "logseries",
    "multinomial", "multivariate_normal", "negative_binomial", "noncentral_chisquare",
    "noncentral_f", "normal", "pareto", "poisson", "power", "rayleigh", "standard_cauchy",
    "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
    "uniform", "vonmises", "wald", "weibull", "zipf",
]

# Parameters that are never array data (the others are distribution parameters).
_STATIC = frozenset(("size", "dtype", "out", "method", "endpoint", "replace", "axis",
                     "shuffle", "check_valid", "tol", "length", "x"))
_SCALARS = (int, float, complex, str, type(None), _onp.generic)
_AxisError = _onp.exceptions.AxisError


def _host_seed(seed):
    """A seed (entropy, key, counter) with npflow arrays in it as NumPy arrays: NumPy's seeding
    code takes ints, sequences and NumPy arrays only (the seed is host data, not a computation)."""
    if isinstance(seed, _ndarray_type()):  # (0-d: a NumPy scalar, which npflow's 0-d arrays stand for)
        return seed._host()[()] if seed.ndim == 0 else seed._host()
    if type(seed) in (list, tuple):
        return type(seed)(map(_host_seed, seed))
    return seed


def _seeded(cls):
    """NumPy's bit generator (or SeedSequence) class ``cls``, taking npflow arrays as seeds too:
    a subclass, so its instances are NumPy's kind (Generator(...), isinstance, pickle)."""
    def __init__(self, *args, **kwargs):
        cls.__init__(self, *map(_host_seed, args), **{k: _host_seed(v) for k, v in kwargs.items()})
    sub = type(cls.__name__, (cls,), {"__init__": __init__, "__doc__": cls.__doc__, "__module__": __name__,
                                      "__signature__": inspect.signature(cls)})
    return sub


MT19937, PCG64, PCG64DXSM, Philox, SFC64, SeedSequence = map(_seeded, (
    _onp.random.MT19937, _onp.random.PCG64, _onp.random.PCG64DXSM, _onp.random.Philox,
    _onp.random.SFC64, _onp.random.SeedSequence))


def _asarray(x, device=None):
    from .. import asarray
    return asarray(x, device=device)


# -- CUDA: CuPy's generators ----------------------------------------------------------------
def _cupy_generator(source):
    """CuPy's generator standing for ``source`` on the current CUDA device (made on first use)."""
    import cupy
    dev = cupy.cuda.Device().id
    gen = source._cuda.get(dev)
    if gen is None:
        gen = source._cuda[dev] = (cupy.random.RandomState(source._cuda_seed) if source._legacy
                                   else cupy.random.default_rng(source._cuda_seed))
    return gen


def _cupy_has(source, method):
    import cupy
    return hasattr(cupy.random.RandomState if source._legacy else cupy.random.Generator, method)


def _cupy_seed(seed):
    """A seed CuPy's RandomState takes (None, an int below 2**64, an integer array) for NumPy's."""
    if seed is None or isinstance(seed, (int, _onp.integer)):
        return seed
    ss = getattr(seed, "seed_seq", seed)  # a BitGenerator's SeedSequence
    if isinstance(ss, SeedSequence):
        return int(ss.generate_state(1, _onp.uint64)[0])
    return None if isinstance(seed, BitGenerator) else _onp.asarray(seed)


# -- the sampling machinery ------------------------------------------------------------------
class _Source:
    """What RandomState and Generator share: the NumPy object, CuPy's per device, drawing."""
    _legacy = True

    @classmethod
    def _wrap(cls, np_obj, cuda_seed=None):
        self = object.__new__(cls)
        self._np = np_obj
        self._cuda = {}
        self._cuda_seed = cuda_seed
        return self

    def generator(self, xp):
        """The generator a kernel on backend ``xp`` draws from."""
        return self._np if xp is _NUMPY_BACKEND.xp else _cupy_generator(self)

    def _reseeded(self, seed):
        self._cuda = {}
        self._cuda_seed = _cupy_seed(seed) if self._legacy else seed

    def _draw(self, method, kw, device=None):
        """NumPy's ``method`` with arguments ``kw``; array-valued parameters are operands."""
        dev = None if device is None else _as_device(device)
        nd = _ndarray_type()
        names = tuple(k for k, v in kw.items() if k not in _STATIC and not isinstance(v, _SCALARS))
        operands = [kw.pop(k) for k in names]
        if operands:  # on ``device``; else npflow arrays stay put (mixed devices are an error)
            if dev is None:
                dev = next((o.device for o in operands if isinstance(o, nd)), None)
                operands = [o if isinstance(o, nd) else _asarray(o, dev) for o in operands]
            else:
                operands = [_asarray(o, dev) for o in operands]
            dev = operands[0].device
        return self._run(_REGISTRY[f"random.{method}"], operands, dict(kw, names=names),
                         _as_device(dev))

    def _run(self, op, operands, params, dev):
        """``op`` on ``dev``; where CuPy lacks the method, drawn on the host and moved to ``dev``;
        on the Dask device, always (NumPy's stream, drawn in this process: the CPU device's
        numbers, then chunked; array parameters there are computed for the draw)."""
        if dev.kind == "dask" or dev.kind == "cuda" and not _cupy_has(self, op.name.split(".", 1)[1]):
            r = self._run(op, [o.to_device(_CPU) for o in operands], params, _CPU)
            return r.to_device(dev) if isinstance(r, _ndarray_type()) else r
        r = (_apply(op, *operands, source=self, **params) if operands
             else _apply(op, source=self, device=dev, **params))
        if isinstance(r, (_onp.generic, dev.backend.array_type)):
            return _wrap(r, dev)  # NumPy scalars become 0-d arrays, as everywhere in npflow
        return r

    def _index(self, n, device):
        """A random permutation of ``range(n)`` (the draws NumPy's shuffle makes for n items)."""
        return self._run(_REGISTRY["random.permutation"], [], {"args": (operator.index(n),)},
                         _as_device(device))

    def _permutation(self, x, axis, device):
        if isinstance(x, (int, _onp.integer)):
            return self._index(x, device)
        x = _asarray(x, device)
        if self._legacy and x.ndim < 1:
            raise IndexError("permutation(): x must be an integer or at least 1-dimensional")
        axis = _axis(axis, x.ndim, "permutation")
        return x[(slice(None),) * axis + (self._index(x.shape[axis], x.device),)]

    def _shuffle(self, x, axis):
        if not isinstance(x, _ndarray_type()):  # a list or a NumPy array: shuffled in place
            kw = {} if self._legacy else {"axis": axis}
            with _warnings.catch_warnings(record=True) as caught:  # NumPy's warnings, re-issued
                _warnings.simplefilter("always")                  # at the caller's line, as NumPy's
                r = _apply(_REGISTRY["random.shuffle"], x, source=self, **kw)
            for w in caught:
                _warn_at_caller(w.message, w.category)
            return r
        len(x)  # TypeError for a 0-d array, as NumPy
        axis = _axis(axis, x.ndim, "shuffle")
        if x.size == 0:
            return None
        key = (slice(None),) * axis + (self._index(x.shape[axis], x.device),)
        x[...] = x[key]
        return None

    def _choice(self, a, size, replace, p, device, **extra):
        """(sample, the population array or None): indices drawn by NumPy's choice of an int."""
        arr = None
        if not isinstance(a, _SCALARS):
            arr = _asarray(a, device)
            if arr.ndim:
                device = arr.device
                if self._legacy and arr.ndim != 1:
                    raise ValueError("choice(): a must be 1-dimensional")
                a = arr.shape[extra.get("axis", 0)]
            else:
                a, arr = arr, None
        kw = {"a": a, "size": size, "replace": replace, "p": p}
        kw.update({k: v for k, v in extra.items() if k != "axis"})
        return self._draw("choice", kw, device), arr

    def __reduce__(self):
        return (type(self)._wrap, (self._np, self._cuda_seed))

    def __repr__(self):
        return repr(self._np)


def _axis(axis, ndim, name):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim, f"{name}()")
    return axis % ndim


def _sampler(cls_name, method):
    """A method with NumPy's signature (plus ``device=``) drawing with op ``random.<method>``."""
    sig = inspect.signature(getattr(getattr(_onp.random, cls_name), method))
    params = list(sig.parameters.values())
    dev = inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default=None)

    def sample(self, *args, device=None, **kwargs):
        try:
            bound = sig.bind(self, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{method}(): {e}") from None
        kw = dict(bound.arguments)
        del kw["self"]
        return self._draw(method, kw, device)
    sample.__name__ = method
    sample.__qualname__ = f"{cls_name}.{method}"
    sample.__signature__ = sig.replace(parameters=params + [dev])
    sample.__doc__ = f"NumPy's ``{cls_name}.{method}``, drawn on ``device``."
    return sample


def _with_samplers(cls):
    for method in _random_ops.SAMPLERS:
        if hasattr(getattr(_onp.random, cls.__name__), method) and method not in cls.__dict__:
            setattr(cls, method, _sampler(cls.__name__, method))
    return cls


@_with_samplers
class RandomState(_Source):
    """NumPy's legacy ``RandomState`` (Mersenne Twister): the same numbers for the same seed."""

    def __init__(self, seed=None):
        seed = _host_seed(seed)
        self._np = _onp.random.RandomState(seed)
        self._reseeded(seed)

    def seed(self, seed=None):
        seed = _host_seed(seed)
        self._np.seed(seed)
        self._reseeded(seed)

    def get_state(self, legacy=True):
        return self._np.get_state(legacy=legacy)

    def set_state(self, state):
        self._np.set_state(state)

    def rand(self, *args, device=None):
        """Uniform samples in [0, 1) of shape ``args`` (NumPy's: ``random_sample(size=args)``)."""
        return self.random_sample(size=args or None, device=device)

    def randn(self, *args, device=None):
        """Standard normal samples of shape ``args`` (NumPy's: ``standard_normal(size=args)``)."""
        return self.standard_normal(size=args or None, device=device)

    def permutation(self, x, *, device=None):
        """A permuted ``arange(x)``, or ``x`` gathered at one (differentiable in ``x``)."""
        return self._permutation(x, 0, device)

    def shuffle(self, x):
        """Shuffle ``x`` along its first axis in place (npflow arrays through setitem)."""
        return self._shuffle(x, 0)

    def choice(self, a, size=None, replace=True, p=None, *, device=None):
        """Indices drawn as NumPy's ``choice``, or array ``a`` gathered at them."""
        idx, arr = self._choice(a, size, replace, p, device)
        return idx if arr is None else arr[idx]


@_with_samplers
class Generator(_Source):
    """NumPy's ``Generator`` on a bit generator: the same numbers for the same seed."""
    _legacy = False

    def __init__(self, bit_generator):
        self._np = _onp.random.Generator(bit_generator)
        self._reseeded(bit_generator.seed_seq)

    @property
    def bit_generator(self):
        return self._np.bit_generator

    def spawn(self, n_children):
        """Independent child Generators (NumPy's spawn)."""
        return [Generator._wrap(g, g.bit_generator.seed_seq) for g in self._np.spawn(n_children)]

    def permutation(self, x, axis=0, *, device=None):
        """A permuted ``arange(x)``, or ``x`` gathered along ``axis`` at one."""
        return self._permutation(x, axis, device)

    def shuffle(self, x, axis=0):
        """Shuffle ``x`` along ``axis`` in place (npflow arrays through setitem)."""
        return self._shuffle(x, axis)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True, *, device=None):
        """Indices drawn as NumPy's ``choice``, or array ``a`` taken at them along ``axis``."""
        from .. import take
        idx, arr = self._choice(a, size, replace, p, device, axis=axis, shuffle=shuffle)
        return idx if arr is None else take(arr, idx, axis=axis)

    def permuted(self, x, *, axis=None, out=None, device=None):
        """``x`` with each slice along ``axis`` (all of it for None) shuffled: a gather of ``x``."""
        from .. import can_cast, reshape
        x = _asarray(x, device)
        if out is not None:
            if not isinstance(out, _ndarray_type()):
                raise TypeError("permuted(): out must be an npflow array")
            if out.shape != x.shape:
                raise ValueError("permuted(): out must have the same shape as x")
            if not can_cast(x.dtype, out.dtype, "safe"):
                raise TypeError(f"permuted(): cannot cast {x.dtype} to out's {out.dtype} "
                                f"according to the rule 'safe'")
        layout = x if out is None else out
        shape = layout  # (on Dask, only its shape: Dask arrays are C-ordered, and not computed)
        if layout.device.kind == "dask":
            shape = _asarray(_onp.empty(layout.shape, layout.dtype))
        j = self._run(_REGISTRY["random.permuted"], [shape],
                      {"axis": axis, "copied": out is None}, layout.device)
        r = reshape(reshape(x, -1)[reshape(j, -1)], j.shape)  # (Dask gathers with 1-d indices only)
        if out is None:
            return r
        out[...] = r
        return out


def default_rng(seed=None):
    """A Generator (NumPy's PCG64 default) seeded like ``numpy.random.default_rng(seed)``."""
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, RandomState):
        seed = seed._np
    seed = _host_seed(seed)
    g = _onp.random.default_rng(seed)
    return Generator._wrap(g, g.bit_generator.seed_seq)


# -- the legacy global state: NumPy's own --------------------------------------------------------
_rand = RandomState._wrap(_onp.random.mtrand._rand)


def seed(seed=None):
    seed = _host_seed(seed)
    _onp.random.seed(seed)
    _rand._reseeded(seed)


def get_bit_generator():
    return _onp.random.get_bit_generator()


def set_bit_generator(bitgen):
    _onp.random.set_bit_generator(bitgen)
    _rand._reseeded(bitgen)


def ranf(*args, **kwargs):
    """An alias of random_sample."""
    return _rand.random_sample(*args, **kwargs)


def sample(*args, **kwargs):
    """An alias of random_sample."""
    return _rand.random_sample(*args, **kwargs)


for _name in __all__:
    if _name not in globals():
        globals()[_name] = getattr(_rand, _name)
del _name


import sys as _sys  # noqa: E402
from .._docstrings import adopt as _adopt  # noqa: E402
from .._numpy.interop import publish as _publish  # noqa: E402

_adopt(_sys.modules[__name__])  # (loaded on first use: after npflow's own adopt)
_publish(_sys.modules[__name__])
