"""dtypes: NumPy's own dtype objects, and promotion (NEP 50) exactly as NumPy's."""
import operator

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._core import dtypes as nf_dtypes
from support import ALL_DTYPES, NUMERIC, ids, make, outcomes

TYPE_NAMES = [n for n in nf_dtypes.__all__ if isinstance(getattr(nf_dtypes, n), type)]
PY_SCALARS = [True, 1, -1, 300, 2**40, 2**70, 1.5, 1e300, 1j, float("nan")]


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_dtype_objects_are_numpys(name):
    assert hasattr(onp, name)
    assert getattr(nf, name) is getattr(onp, name)


def test_every_numpy_scalar_type_is_exported():
    numpy_types = [n for n in dir(onp) if not n.startswith("_") and isinstance(getattr(onp, n), type)
                   and issubclass(getattr(onp, n), onp.generic)]
    assert numpy_types and [n for n in numpy_types if getattr(nf, n, None) is not getattr(onp, n)] == []
    assert nf.dtype is onp.dtype and nf.promote_types is onp.promote_types and nf.isdtype is onp.isdtype


def _as_nf(v):
    return nf.asarray(v) if isinstance(v, onp.ndarray) else v


def _key(r):
    """finfo/iinfo objects by their fields (iinfo has no ==); anything else as it is."""
    if isinstance(r, (onp.finfo, onp.iinfo)):
        return type(r), r.dtype, r.bits, r.min, r.max, getattr(r, "eps", None), getattr(r, "tiny", None)
    return r


def _same_call(f_nf, f_np, *args):
    """The same result or the same exception type; numpy arrays in args become npflow arrays."""
    res = outcomes(lambda m: f_np(*args) if m is onp else f_nf(*map(_as_nf, args)))
    if res is None:
        return
    got, expected = res
    assert type(got) is type(expected) and _key(got) == _key(expected)


@pytest.mark.parametrize("a", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("b", ALL_DTYPES + PY_SCALARS, ids=ids(ALL_DTYPES) + list(map(repr, PY_SCALARS)))
def test_result_type(a, b):
    an = make((2,), a)
    bn = make((3,), b) if isinstance(b, type) else b
    _same_call(nf.result_type, onp.result_type, an, bn)           # array, array or scalar
    _same_call(nf.result_type, onp.result_type, a, bn)            # dtype, array or scalar
    _same_call(nf.result_type, onp.result_type, an[:1].reshape(()), bn)  # 0-d arrays are not weak
    _same_call(nf.result_type, onp.result_type, an, bn, onp.float32)
    _same_call(nf.promote_types, onp.promote_types, a, b if isinstance(b, type) else a)


@pytest.mark.parametrize("casting", ["no", "equiv", "safe", "same_kind", "unsafe"])
@pytest.mark.parametrize("a", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_can_cast(a, casting):
    an = make((2,), a)
    for to in ALL_DTYPES:
        _same_call(lambda x: nf.can_cast(x, to, casting), lambda x: onp.can_cast(x, to, casting), an)
        _same_call(lambda x: nf.can_cast(x, to, casting), lambda x: onp.can_cast(x, to, casting), a)
    for v in PY_SCALARS:  # NEP 50: NumPy refuses Python scalars here
        _same_call(nf.can_cast, onp.can_cast, v, a)


@pytest.mark.parametrize("kind", ["bool", "signed integer", "unsigned integer", "integral", "real floating",
                                  "complex floating", "numeric", ("integral", "real floating"), onp.float32])
@pytest.mark.parametrize("a", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_isdtype(a, kind):
    assert nf.isdtype(nf.asarray(make((1,), a)).dtype, kind) == onp.isdtype(onp.dtype(a), kind)
    with pytest.raises(TypeError):
        onp.isdtype(make((1,), a), kind)
    with pytest.raises(TypeError):
        nf.isdtype(nf.asarray(make((1,), a)), kind)


INFO_ARGS = [1.0, 1, 1j, True, onp.float32(1), onp.int8(2), "f4", "i2", "u8", onp.dtype("c8"), onp.float16,
             onp.uint32, onp.complex128, onp.bool_, onp.int64]


@pytest.mark.parametrize("arg", INFO_ARGS, ids=repr)
def test_finfo_iinfo_of_types_and_scalars(arg):
    for f_nf, f_np in ((nf.finfo, onp.finfo), (nf.iinfo, onp.iinfo)):
        _same_call(f_nf, f_np, arg)


@pytest.mark.parametrize("dtype", NUMERIC, ids=ids(NUMERIC))
def test_finfo_iinfo_of_npflow_arrays(dtype):
    """As the Array API asks: an array stands for its dtype (NumPy itself takes only dtypes here)."""
    x = nf.asarray(make((2,), dtype))
    kind = onp.dtype(dtype).kind
    f_good, f_bad = (nf.iinfo, nf.finfo) if kind in "iu" else (nf.finfo, nf.iinfo)
    np_good = onp.iinfo if kind in "iu" else onp.finfo
    assert _key(f_good(x)) == _key(np_good(dtype)) == _key(f_good(x[0]))
    with pytest.raises(ValueError):
        f_bad(x)
    x_sim = x.to_device("sim")
    assert _key(f_good(x_sim)) == _key(np_good(dtype))


@pytest.mark.parametrize("dtype", NUMERIC, ids=ids(NUMERIC))
def test_finfo_fields_are_python_numbers(dtype):
    """The Array API's fields are Python floats/ints; NumPy gives float32 scalars for float32 (not
    ``float``), so npflow converts those (same values, same text); other fields stay NumPy's."""
    kind = onp.dtype(dtype).kind
    ours, theirs = (nf.iinfo, onp.iinfo) if kind in "iu" else (nf.finfo, onp.finfo)
    for arg in (dtype, nf.asarray(make((1,), dtype)), nf.asarray(make((1,), dtype)).dtype):
        got, expected = ours(arg), theirs(dtype)
        assert type(got) is type(expected) and str(got) == str(expected) and repr(got) == repr(expected)
        fields = ("bits", "max", "min") if kind in "iu" else ("bits", "eps", "max", "min", "smallest_normal")
        for f in fields:
            assert isinstance(getattr(got, f), int if f == "bits" or kind in "iu" else float), f
            assert getattr(got, f) == getattr(expected, f)
        if kind in "fc":
            assert got.dtype == expected.dtype and got.tiny == expected.tiny
            assert got.resolution == expected.resolution and type(got.resolution) is type(expected.resolution)
    assert onp.finfo(onp.float32).eps.dtype == onp.float32  # NumPy's cached object is left alone


# -- operators give NumPy's promoted dtype ---------------------------------------------

BIN_OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
           operator.pow, operator.and_, operator.lt, operator.eq, nf.maximum, nf.arctan2, nf.hypot,
           nf.logaddexp, nf.bitwise_or, nf.gcd, nf.copysign]


def _np_op(op):
    return getattr(onp, op.__name__) if isinstance(op, nf.ufunc) else op


@given(a=st.sampled_from(ALL_DTYPES), b=st.sampled_from(ALL_DTYPES + PY_SCALARS), op=st.sampled_from(BIN_OPS),
       shape=st.sampled_from([(), (3,), (2, 3)]))
def test_binary_ops_promote_as_numpy(a, b, op, shape):
    an = make(shape, a, low=1, high=4)
    bn = make((3,), b, seed=1, low=1, high=4) if isinstance(b, type) else b
    res = outcomes(lambda m: _np_op(op)(an, bn) if m is onp else op(nf.asarray(an), _as_nf(bn)))
    if res is None:
        return
    got, expected = res
    assert isinstance(got, nf.ndarray)
    assert got.dtype == onp.asarray(expected).dtype
    if op in (operator.add, operator.sub, operator.mul, nf.maximum):
        assert got.dtype == onp.result_type(an, bn) == nf.result_type(nf.asarray(an), _as_nf(bn))
    res = outcomes(lambda m: _np_op(op)(bn, an) if m is onp else op(_as_nf(bn), nf.asarray(an)))  # reflected
    if res is not None:
        got, expected = res
        assert got.dtype == onp.asarray(expected).dtype
