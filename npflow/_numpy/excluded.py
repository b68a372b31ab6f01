"""The one list of NumPy's public callables that npflow deliberately does not provide.

Everything else in NumPy's main namespace, ``linalg``, ``fft`` and ``random`` is provided
with NumPy's signature (tests/test_namespace.py checks both at run time). A name belongs
here only if it cannot apply to an array library of npflow's kind; each has its reason.
Names in a submodule are written ``"linalg.test"``.
"""
_BUILD = "describes NumPy's own build or installation, not arrays"
_MATRIX = "the legacy matrix class (NumPy discourages it): use 2-d arrays and @"
_NDITER = "NumPy's C-level iterator over host buffers: use indexing, ndindex or whole-array ops"

EXCLUDED = {
    "show_config": _BUILD,
    "show_runtime": _BUILD,
    "get_include": _BUILD + " (the C headers for compiling against NumPy)",
    **{name: "runs NumPy's own test suite" for name in ("test", "linalg.test", "fft.test", "random.test")},
    "matrix": _MATRIX,
    "asmatrix": _MATRIX,
    "bmat": _MATRIX,
    "recarray": "record arrays with field attribute access: a host-only structured-dtype view",
    "memmap": "a file-backed host buffer; load(..., mmap_mode=) maps a .npy file instead",
    "nditer": _NDITER,
    "nested_iters": _NDITER,
}
