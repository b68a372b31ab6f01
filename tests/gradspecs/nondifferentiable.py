"""NumPy's public functions that have no derivative, each with its reason.

``test_gradient_coverage`` requires every public function of NumPy's namespace
(main, linalg, fft, random) that npflow has to be gradient-checked (a spec for
its op, or an ``np.``-named spec for a composite) or listed here. Functions
whose op is registered ``differentiable=False`` need no entry.
"""
BOOLEAN = "boolean or integer result: piecewise constant"
METADATA = "reads shapes, dtypes or types only, never values"
CONSTANT = "creates an array from shapes or dtypes only: no array operand to differentiate"

NONDIFFERENTIABLE = {
    "allclose": BOOLEAN, "array_equal": BOOLEAN, "array_equiv": BOOLEAN, "isclose": BOOLEAN,
    "iscomplex": BOOLEAN, "isreal": BOOLEAN, "isneginf": BOOLEAN, "isposinf": BOOLEAN,
    "iscomplexobj": METADATA, "isrealobj": METADATA, "isdtype": METADATA, "can_cast": METADATA,
    "promote_types": METADATA, "result_type": METADATA, "broadcast_shapes": METADATA,
    "ndim": METADATA, "shape": METADATA, "size": METADATA,
    "empty_like": CONSTANT,
    # index helpers (npflow/_numpy/indexing.py): integer index arrays built from shapes only
    "indices": CONSTANT, "diag_indices": CONSTANT, "diag_indices_from": METADATA,
    "tril_indices": CONSTANT, "triu_indices": CONSTANT, "tril_indices_from": METADATA,
    "triu_indices_from": METADATA, "mask_indices": CONSTANT,
    # npflow.random (npflow/random/): permutation, choice, shuffle gather their array (specs in random.py)
    **{f"random.{n}": "random sampling: no derivative with respect to the array operands" for n in (
        "beta", "binomial", "bytes", "chisquare", "dirichlet", "exponential", "f", "gamma",
        "geometric", "gumbel", "hypergeometric", "laplace", "logistic", "lognormal", "logseries",
        "multinomial", "multivariate_normal", "negative_binomial", "noncentral_chisquare",
        "noncentral_f", "normal", "pareto", "poisson", "power", "rand", "randint", "randn", "random",
        "random_integers", "random_sample", "ranf", "rayleigh", "sample", "standard_cauchy",
        "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
        "uniform", "vonmises", "wald", "weibull", "zipf")},
    **{f"random.{n}": "random-number generator state: no array data" for n in (
        "seed", "get_state", "set_state", "get_bit_generator", "set_bit_generator", "default_rng")},
    # creation, rounding, sets and the utilities (npflow/_numpy/io.py, printing.py, types.py)
    "zeros_like": CONSTANT, "ones_like": CONSTANT, "identity": CONSTANT,
    "around": "rounding: piecewise constant", "fix": "rounding: piecewise constant",
    **{n: "a set operation: the unique op has no derivative" for n in (
        "unique_values", "unique_counts", "unique_inverse", "unique_all")},
    **{n: "file or buffer I/O: the data enters or leaves the library" for n in (
        "save", "load", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
        "fromfile", "frombuffer", "fromiter", "fromregex", "fromstring")},
    **{n: "text output" for n in (
        "array2string", "array_repr", "array_str", "format_float_positional",
        "format_float_scientific", "base_repr", "binary_repr", "info")},
    **{n: "NumPy's global print, error or buffer state" for n in (
        "printoptions", "set_printoptions", "get_printoptions", "seterr", "geterr", "seterrcall",
        "geterrcall", "getbufsize", "setbufsize")},
    **{n: METADATA for n in ("common_type", "issubdtype", "min_scalar_type", "mintypecode",
                             "typename", "isscalar", "iterable", "isfortran", "datetime_data")},
    "frompyfunc": "calls a Python function once per element on the host",
    "einsum_path": "a contraction plan computed from shapes: no array result",
    # statistics and signal processing (npflow/_numpy/stats.py, signal.py)
    "digitize": BOOLEAN,
    **{n: "creates an array from an integer length only" for n in (
        "bartlett", "blackman", "hamming", "hanning", "kaiser")},
    "linalg.matrix_rank": BOOLEAN,  # linear algebra (npflow/linalg): an integer count
}
