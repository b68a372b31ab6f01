"""Random sampling primitives: one op per sampling method of NumPy's RandomState and Generator.

A kernel asks the sampling object (``source=``, an ``npflow.random.RandomState`` or
``Generator``) for its generator on the kernel's backend (NumPy's on the CPU and the
simulated device, CuPy's on CUDA) and calls the method of the same name. Array-valued
distribution parameters are the operands (their names in ``names=``); everything else is
a parameter (``args=``: passed by position, where NumPy and CuPy name a parameter apart).
Outputs are samples or indices: constants, so no op here is differentiable (``permutation(x)``,
``choice(x)``, ``permuted(x)`` gather ``x`` with npflow indexing). Kernels return what the
method returns (Python scalars too), so ops do not wrap.
"""
import functools

from .._core.registry import Op, register, kernel_op

SAMPLERS = (
    # RandomState and Generator
    "beta", "binomial", "bytes", "chisquare", "choice", "dirichlet", "exponential", "f", "gamma",
    "geometric", "gumbel", "hypergeometric", "laplace", "logistic", "lognormal", "logseries",
    "multinomial", "multivariate_normal", "negative_binomial", "noncentral_chisquare",
    "noncentral_f", "normal", "pareto", "permutation", "poisson", "power", "random", "rayleigh",
    "standard_cauchy", "standard_exponential", "standard_gamma", "standard_normal", "standard_t",
    "triangular", "uniform", "vonmises", "wald", "weibull", "zipf",
    # RandomState only
    "randint", "random_integers", "random_sample", "tomaxint",
    # Generator only
    "integers", "multivariate_hypergeometric",
)


def _sampler(method):
    def kernel(xp, *operands, source, names=(), args=(), **params):
        params.update(zip(names, operands))
        return getattr(source.generator(xp), method)(*args, **params)
    return lambda xp: functools.partial(kernel, xp)


for _m in SAMPLERS:
    register(Op(f"random.{_m}", _sampler(_m), wraps=False, differentiable=False))


# shuffle(x) of a list or a NumPy array (npflow arrays are shuffled through setitem):
# the object itself is shuffled in place, as NumPy's shuffle does.
@kernel_op("random.shuffle", raw_args=True, wraps=False, differentiable=False)
def shuffle(xp, x, *, source, **params):
    source.generator(xp).shuffle(x, **params)


@kernel_op("random.permuted", differentiable=False)
def permuted(xp, layout, *, source, axis, copied):
    """The flat (C-order) indices into ``x`` that ``Generator.permuted(x, axis)`` moves to each
    place: NumPy's permuted of an index array laid out as the array NumPy shuffles (``x``'s
    copy in order "K", or ``out`` itself), so the same numbers are drawn in the same order."""
    lay = xp.empty_like(layout) if copied else layout
    idx = xp.arange(layout.size).reshape(layout.shape)
    if lay.flags.f_contiguous and not lay.flags.c_contiguous:
        idx = xp.asfortranarray(idx)
    return source.generator(xp).permuted(idx, axis=axis)
