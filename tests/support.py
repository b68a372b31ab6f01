"""Shared tables and checks for differential tests against NumPy.

The normal shape of a test: build the same input for NumPy and npflow, call
the same function, and ``assert_same(npflow_result, numpy_result)`` (values,
dtype, shape). Tables below list the dtypes, shapes and devices to loop over.
"""
import decimal
import fractions

import numpy as onp
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import npflow as nf

BOOL = [onp.bool_]
INTS = [onp.int8, onp.int16, onp.int32, onp.int64, onp.uint8, onp.uint16, onp.uint32, onp.uint64]
FLOATS = [onp.float32, onp.float64]
COMPLEX = [onp.complex64, onp.complex128]
NUMERIC = INTS + FLOATS + COMPLEX
ALL_DTYPES = BOOL + NUMERIC
REAL = INTS + FLOATS

SHAPES = [(), (0,), (1,), (5,), (2, 3), (0, 3), (3, 1, 2)]
# inputs that differential tests extend their tables with: special values (NaN, +-inf, NaT),
# object (Fraction, Decimal), datetime, timedelta, complex, string, void, empty and 0-d arrays
SPECIAL_INPUTS = {
    "nan": onp.array([1.0, onp.nan, -2.0, 0.5]), "inf": onp.array([onp.inf, -onp.inf, 1.0, 0.0]),
    "complex-nan": onp.array([1 + 1j, complex(onp.nan, 1), complex(onp.inf, -1), 0j]),
    "complex": onp.array([1 + 2j, -1j, 3.0, 0.5 - 0.5j]),
    "timedelta": onp.array([1, "NaT", 3, -2], "m8[s]"),
    "datetime": onp.array(["2020-01-01", "NaT", "2021-03-04", "1999-12-31"], "M8[D]"),
    "fraction": onp.array([fractions.Fraction(1, 3), 2, fractions.Fraction(-1, 2), 0], dtype=object),
    "decimal": onp.array([decimal.Decimal(1), decimal.Decimal("2.5")], dtype=object),
    "empty": onp.zeros((0,)), "empty-2d": onp.zeros((0, 3)), "0-d": onp.array(2.5), "0-d-nan": onp.array(onp.nan),
    "0-d-int": onp.array(3), "bool": onp.array([True, False, True]),
    "2d": onp.array([[1.0, onp.nan], [onp.inf, -3.0]]),
    "str": onp.array(["b", "a", ""]), "bytes": onp.array([b"x", b""]), "void": onp.zeros(2, "V4"),
}
# pairs of shapes that broadcast together
BROADCAST = [((), (3,)), ((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((0,), (1,)),
             ((3, 1, 2), (4, 1)), ((1,), ())]


def _have_gpu():
    """CuPy is installed and sees a CUDA GPU (CuPy is imported here, by the tests, never by npflow)."""
    import importlib.util
    return importlib.util.find_spec("cupy") is not None and any(d.kind == "cuda" for d in nf.devices())


HAVE_GPU = _have_gpu()
# devices the device-aware tests run on: the CPU, the simulated device, and "cuda:0" where CuPy
# and a GPU are available (marked ``gpu``: ``pytest -m gpu`` runs exactly the GPU tests)
DEVICES = ["cpu", "sim"] + ([pytest.param("cuda:0", marks=pytest.mark.gpu)] if HAVE_GPU else [])


def ids(values):
    return [getattr(v, "__name__", str(v)) for v in values]


def make(shape, dtype, seed=0, low=None, high=None):
    """A reproducible NumPy array of ``shape`` and ``dtype`` with varied values."""
    rng = onp.random.default_rng(seed)
    dt = onp.dtype(dtype)
    if dt.kind == "b":
        return onp.asarray(rng.random(shape) > 0.5)
    if dt.kind in "iu":
        info = onp.iinfo(dt)
        lo = max(info.min, -20 if low is None else low)
        hi = min(info.max, 20 if high is None else high)
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dt)
    lo = -3.0 if low is None else low
    hi = 3.0 if high is None else high
    x = rng.uniform(lo, hi, size=shape)
    if dt.kind == "c":
        x = x + 1j * rng.uniform(lo, hi, size=shape)
    return onp.asarray(x).astype(dt)  # 0-d stays an array, never a NumPy scalar


def both(x):
    """(npflow copy, NumPy array) of a NumPy array."""
    return nf.asarray(x.copy()), x


def to_numpy(x):
    if isinstance(x, nf.ndarray):
        return onp.asarray(x)
    return x


def assert_same(got, expected, rtol=0.0, atol=0.0, check_dtype=True):
    """npflow's ``got`` equals NumPy's ``expected``: type, dtype, shape and values.

    NumPy scalars are expected as 0-d npflow arrays, and so are the Python objects NumPy gives
    as an object array's element (``float_array_0d * Fraction(1, 2)``). With rtol=atol=0 values
    must be identical (NaNs in the same places).
    """
    if isinstance(got, nf.ndarray) and got.shape == () and got.dtype == object \
            and not isinstance(expected, (onp.ndarray, onp.generic)):
        got = got.item()
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"expected a sequence, got {type(got).__name__}"
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e, rtol=rtol, atol=atol, check_dtype=check_dtype)
        return
    if isinstance(expected, (onp.ndarray, onp.generic)):
        assert isinstance(got, nf.ndarray), f"expected an npflow.ndarray, got {type(got).__name__}"
        g = onp.asarray(got)
        e = onp.asarray(expected)
        if check_dtype:
            assert g.dtype == e.dtype, f"dtype {g.dtype} != NumPy's {e.dtype}"
        assert g.shape == e.shape, f"shape {g.shape} != NumPy's {e.shape}"
        if rtol == 0 and atol == 0:
            onp.testing.assert_array_equal(g, e, strict=False)
        else:
            onp.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        return
    assert type(got) is type(expected), f"{type(got).__name__} != NumPy's {type(expected).__name__}"
    assert got == expected or (got != got and expected != expected)


def same_outcome(f_nf, f_np, *args_np, rtol=0.0, atol=0.0, **kw):
    """Call NumPy and npflow on the same inputs; equal results, or the same exception type.

    ``args_np`` are NumPy arrays (converted for npflow) or plain Python values.
    """
    args_nf = [nf.asarray(a.copy()) if isinstance(a, onp.ndarray) else a for a in args_np]
    res = outcomes(lambda m: f_nf(*args_nf, **kw) if m is nf else f_np(*args_np, **kw))
    if res is None:
        return None
    got, expected = res
    assert_same(got, expected, rtol=rtol, atol=atol)
    return got


def same_function(name, *args_np, rtol=0.0, atol=0.0, **kw):
    """``same_outcome`` of npflow's and NumPy's function ``name``; NumPy arrays among the
    keyword arguments are converted for npflow too."""
    kw_nf = {k: nf.asarray(v) if isinstance(v, onp.ndarray) else v for k, v in kw.items()}
    return same_outcome(lambda *a: getattr(nf, name)(*a, **kw_nf), lambda *a: getattr(onp, name)(*a, **kw),
                        *args_np, rtol=rtol, atol=atol)


# hypothesis: arrays of a given dtype with small, possibly empty or 0-d shapes
def hyp_arrays(dtype, shape=None, min_dims=0, max_dims=3, max_side=4, elements=None):
    dt = onp.dtype(dtype)
    if elements is None and dt.kind in "fc":
        elements = {"allow_nan": True, "allow_infinity": True, "allow_subnormal": False}
        elements = hnp.from_dtype(dt, **elements)
    return hnp.arrays(dt, shape if shape is not None else
                      hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0,
                                       max_side=max_side), elements=elements)


def hyp_broadcastable_pair(dtype1, dtype2=None, max_dims=3):
    """Two arrays whose shapes broadcast together."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=max_dims, max_side=4).flatmap(
        lambda s: st.tuples(hyp_arrays(dtype1, s.input_shapes[0]),
                            hyp_arrays(dtype2 or dtype1, s.input_shapes[1])))


def run_in_threads(target, jobs):
    """``target(*job)`` for each job, each in its own thread, switching threads very often
    (so that they really run interleaved); returns once all have finished."""
    import sys
    import threading
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=target, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)


def load_example(name):
    """The script ``examples/<name>.py`` imported as a module (examples are not a package)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outcomes(run):
    """``(run(npflow), run(numpy))`` to compare; or None once npflow has raised the exception
    type NumPy raised. ``run(m)`` does the same thing with module ``m``."""
    try:
        expected = run(onp)
    except Exception as e:
        with pytest.raises(type(e)):
            run(nf)
        return None
    return run(nf), expected


def raises_like_numpy(name, run):
    """``run(m)`` raises with NumPy and with npflow: the same exception type, npflow's message
    names the function ``name`` and holds NumPy's message (code and tests match on it)."""
    with pytest.raises(Exception) as expected:
        run(onp)
    with pytest.raises(type(expected.value)) as got:
        run(nf)
    assert name in str(got.value), str(got.value)
    theirs, mine = (" ".join(str(e.value).split()) for e in (expected, got))  # (spacing aside)
    if theirs.startswith(f"{name}: "):  # NumPy's "place: ...": npflow's "place(): ..."
        theirs = f"{name}(): {theirs[len(name) + 2:]}"
    assert theirs in mine, f"NumPy's message {theirs!r} not in {mine!r}"


def _np_expm1(x, /, *args, **kw):
    """NumPy's expm1, but exp(x) - 1 at complex infinities, NaNs and zeros: npflow gives the Array
    API standard's values there (what NumPy documents; NumPy's complex loop gives inf+nanj for inf+0j)."""
    r = onp.expm1(x, *args, **kw)
    if onp.asarray(r).dtype.kind != "c" or args or kw:
        return r
    x = onp.asarray(x)
    with onp.errstate(all="ignore"):
        return onp.where(~onp.isfinite(x) | (x == 0), onp.exp(x.astype(r.dtype)) - 1, r)[()]


def _np_floor_divide(x1, x2, /, *args, **kw):
    """NumPy's floor_divide, but x1 / x2 where exactly one operand is infinite: the standard's
    special cases (inf // 2 is inf, 1 // -inf is -0; NumPy gives nan and -1.0, numpy#23860)."""
    with onp.errstate(invalid="ignore"):
        r = onp.floor_divide(x1, x2, *args, **kw)
    if onp.asarray(r).dtype.kind != "f" or args or kw:
        return r
    a, b = onp.asarray(x1), onp.asarray(x2)
    with onp.errstate(all="ignore"):
        return onp.where(onp.isinf(a) != onp.isinf(b), (a / b).astype(r.dtype), r)[()]


def _np_tanh(x, /, *args, **kw):
    """NumPy's tanh, but +-1 + 0j with b's sign at +-inf + bj, b finite: the standard's special
    case (C99's ctanh, as NumPy, gives 0 * sin(2b) for the imaginary part)."""
    r = onp.tanh(x, *args, **kw)
    if onp.asarray(r).dtype.kind != "c" or args or kw:
        return r
    x = onp.asarray(x)
    v = onp.empty_like(onp.asarray(r))
    v.real, v.imag = onp.copysign(1, x.real), onp.copysign(0, x.imag)
    return onp.where(onp.isinf(x.real) & onp.isfinite(x.imag), v, r)[()]


# The reference where npflow follows the Array API standard rather than NumPy (npflow._ops.ufuncs.KERNELS)
REFERENCE = {"expm1": _np_expm1, "floor_divide": _np_floor_divide, "tanh": _np_tanh}


class _StandardNumPy:
    """NumPy as the reference namespace, with REFERENCE's functions where npflow follows the
    Array API standard (a documented deviation) rather than NumPy."""
    def __getattr__(self, name):
        return REFERENCE.get(name) or getattr(onp, name)


STANDARD_NUMPY = _StandardNumPy()
