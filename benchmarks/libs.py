"""The libraries a benchmark compares: NumPy (the reference), npflow, and the installed peers.

Each :class:`Lib` knows how to import itself, turn a NumPy array into its own array
(``tracked=True``: an input that is differentiated), turn its results back into NumPy
arrays, the namespace a workload's generic code calls (``ns.tanh``, ``ns.sum``...), and
its idiom for a value-and-gradient and a hessian-vector product. float64 everywhere.
"""
import importlib.metadata
from dataclasses import dataclass, field

import numpy

import npflow


class Namespace:
    """A module with a few names replaced (where a library spells NumPy's function differently)."""

    def __init__(self, module, **names):
        self._module = module
        self.__dict__.update(names)

    def __getattr__(self, name):
        return getattr(self._module, name)


@dataclass
class Lib:
    name: str
    setup: object            # () -> dict of the objects below (imports the library)
    dist: str = None         # the distribution whose version is reported
    peer: bool = True
    ns: object = None
    convert: object = None   # (numpy array, tracked) -> the library's array
    to_numpy: object = None  # result -> numpy array
    value_and_grad: object = None  # (loss(ns, *args), wrt argnums) -> f(*args) -> (value, grads)
    hvp: object = None       # (loss(ns, *args)) -> f(w, v, *rest) -> (gradient, hessian @ v)
    record: object = None    # (f(ns, x, *rest)) -> f(x, *rest): run f with x tracked (no backward)
    wrap: object = None      # f -> f for timing (e.g. wait for an asynchronous result)
    lacks: dict = field(default_factory=dict)  # kind of workload -> why the library has no idiom for it
    info: dict = field(default_factory=dict)


def _same(f):
    return f


# -- NumPy and npflow ---------------------------------------------------------------------------
def _numpy():
    info = {}
    try:
        import threadpoolctl
        info = {f"{p['internal_api']} threads": p["num_threads"] for p in threadpoolctl.threadpool_info()}
    except ImportError:
        pass
    return dict(ns=numpy, convert=lambda a, tracked: a, to_numpy=numpy.asarray, info=info)


def _npflow():
    def record(f):
        def recorded(x, *rest):
            with npflow.GradientTape() as tape:
                tape.watch(x)
                return f(npflow, x, *rest)
        return recorded

    def hvp(loss):
        g = npflow.grad(lambda w, *rest: loss(npflow, w, *rest))
        return lambda w, v, *rest: npflow.jvp(lambda w: g(w, *rest), (w,), (v,))

    return dict(ns=npflow, convert=lambda a, tracked: npflow.asarray(a), to_numpy=numpy.asarray,
                value_and_grad=lambda loss, wrt: npflow.value_and_grad(
                    lambda *a: loss(npflow, *a), argnums=wrt),
                hvp=hvp, record=record)


def _npflow_jit():
    """npflow.jit: each workload's npflow function (by the library's idiom) jitted."""
    d = _npflow()
    d.update(wrap=lambda f: None if f is None else npflow.jit(f), record=None,
             lacks={"record": "jit compiles the recording away"})
    return d


# -- autograd ---------------------------------------------------------------------------------
def _autograd():
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.special  # noqa: F401 (the scipy workloads reach them as ns.scipy)
    import autograd.scipy.stats.multivariate_normal  # noqa: F401
    import autograd.scipy.stats.norm  # noqa: F401
    from autograd.tracer import getval

    def record(f):
        return lambda x, *rest: autograd.make_vjp(lambda x: f(ns, x, *rest))(x)[1]

    def hvp(loss):  # forward over reverse, as npflow and JAX
        g = autograd.grad(lambda w, *rest: loss(ns, w, *rest))
        return lambda w, v, *rest: autograd.make_jvp(lambda w: g(w, *rest))(w)(v)

    # autograd differentiates diagonal only along the last two axes, transposed (equal for 2-d)
    ns = Namespace(anp, stop_gradient=getval, diagonal=lambda a: anp.diagonal(a, axis1=-1, axis2=-2),
                   scipy=autograd.scipy)
    return dict(ns=ns, convert=lambda a, tracked: a, to_numpy=numpy.asarray,
                value_and_grad=lambda loss, wrt: autograd.value_and_grad(
                    lambda *a: loss(ns, *a), argnum=wrt),
                hvp=hvp, record=record)


# -- MyGrad -----------------------------------------------------------------------------------
def _mygrad():
    import mygrad as mg

    def value_and_grad(loss, wrt):
        def vg(*a):
            out = loss(ns, *a)
            out.backward()
            return out.data, tuple(a[i].grad for i in wrt)
        return vg

    def record(f):
        return lambda x, *rest: f(ns, mg.tensor(x.data, constant=False), *rest)

    ns = Namespace(mg, stop_gradient=lambda x: mg.tensor(x, constant=True))
    return dict(ns=ns, convert=lambda a, tracked: mg.tensor(a, constant=not tracked),
                to_numpy=lambda r: numpy.asarray(getattr(r, "data", r)),
                value_and_grad=value_and_grad, record=record,
                lacks={"hvp": "MyGrad has no higher-order derivatives"})


# -- PyTorch (CPU) ----------------------------------------------------------------------------
def _torch():
    import torch
    import torch.func

    def tensor(a):
        return a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64)

    def value_and_grad(loss, wrt):
        def vg(*a):
            out = loss(ns, *a)
            return out.detach(), torch.autograd.grad(out, [a[i] for i in wrt])
        return vg

    def hvp(loss):  # forward over reverse (torch.func), as npflow and JAX
        return lambda w, v, *rest: torch.func.jvp(
            torch.func.grad(lambda w: loss(ns, w, *rest)), (w,), (v,))

    def record(f):
        return lambda x, *rest: f(ns, x.requires_grad_(), *rest)

    ns = Namespace(torch, max=torch.amax, stop_gradient=torch.Tensor.detach,
                   logaddexp=lambda a, b: torch.logaddexp(tensor(a), tensor(b)))
    return dict(ns=ns, convert=lambda a, tracked: torch.tensor(a, requires_grad=tracked),
                to_numpy=lambda r: r.detach().numpy() if isinstance(r, torch.Tensor) else numpy.asarray(r),
                value_and_grad=value_and_grad, hvp=hvp, record=record,
                info={"threads": torch.get_num_threads()})


# -- JAX: eager and jit -----------------------------------------------------------------------
def _jax(jit):
    import jax
    import jax.numpy as jnp
    import jax.scipy.special  # noqa: F401 (the scipy workloads reach them as ns.scipy)
    import jax.scipy.stats  # noqa: F401
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    ns = Namespace(jnp, stop_gradient=jax.lax.stop_gradient, scipy=jax.scipy)

    def wrap(f):
        if f is None:
            return None
        g = jax.jit(f) if jit else f
        return lambda *a: jax.block_until_ready(g(*a))

    def record(f):  # eager recording is jax.vjp (it linearises); jit has no tape to measure
        return None if jit else (lambda x, *rest: jax.vjp(lambda x: f(ns, x, *rest), x)[0])

    def hvp(loss):
        return lambda w, v, *rest: jax.jvp(jax.grad(lambda w: loss(ns, w, *rest)), (w,), (v,))

    return dict(ns=ns, convert=lambda a, tracked: jnp.asarray(a), to_numpy=numpy.asarray,
                value_and_grad=lambda loss, wrt: jax.value_and_grad(
                    lambda *a: loss(ns, *a), argnums=wrt),
                hvp=hvp, record=record, wrap=wrap, info={"devices": str(jax.devices())},
                lacks={"record": "jit compiles the recording away"} if jit else {})


LIBS = [
    Lib("NumPy", _numpy, "numpy", peer=False),
    Lib("npflow", _npflow, "npflow", peer=False),
    Lib("npflow jit", _npflow_jit, "npflow", peer=False),
    Lib("autograd", _autograd, "autograd"),
    Lib("MyGrad", _mygrad, "mygrad"),
    Lib("PyTorch", _torch, "torch"),
    Lib("JAX", lambda: _jax(False), "jax"),
    Lib("JAX jit", lambda: _jax(True), "jax"),
]


def load(names=None):
    """The libraries to compare: NumPy, npflow, and the named (default: every installed) peers."""
    out, missing = [], []
    for lib in LIBS:
        if lib.peer and names is not None and not any(n in lib.name.lower() for n in names):
            continue
        try:
            for k, v in lib.setup().items():
                setattr(lib, k, v)
        except ImportError as e:
            missing.append(f"{lib.name} ({e})")
            continue
        lib.wrap = lib.wrap or _same
        try:
            lib.info["version"] = importlib.metadata.version(lib.dist)
        except importlib.metadata.PackageNotFoundError:  # npflow run from a checkout
            lib.info["version"] = importlib.import_module(lib.dist).__version__
        out.append(lib)
    return out, missing

