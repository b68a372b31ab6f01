"""Array printing, number formatting and the floating-point error state, against NumPy."""
import numpy as onp
import pytest

import npflow as nf
from support import ALL_DTYPES, DEVICES, SHAPES, ids, make, outcomes

OPTIONS = [{}, {"precision": 2}, {"separator": ", "}, {"max_line_width": 20},
           {"suppress_small": True}, {"formatter": {"float": "{:.1f}".format}}, {"threshold": 3},
           {"sign": "+", "floatmode": "fixed"}, {"prefix": "x = "}]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape", SHAPES + [(40,)], ids=str)
def test_array_str_and_repr(shape, dtype):
    x = make(shape, dtype)
    assert nf.array_str(nf.asarray(x)) == onp.array_str(x)
    assert nf.array_repr(nf.asarray(x)) == onp.array_repr(x) == repr(nf.asarray(x))
    assert nf.array_repr(nf.asarray(x), 30, 3, True) == onp.array_repr(x, 30, 3, True)


@pytest.mark.parametrize("kw", OPTIONS, ids=lambda kw: "-".join(kw) or "defaults")  # (no reprs: the formatter's holds an address)
def test_array2string(kw):
    x = make((3, 4), onp.float64) * onp.array([1, 1e-9, 1e3, 2])
    assert nf.array2string(nf.asarray(x), **kw) == onp.array2string(x, **kw)


@pytest.mark.parametrize("device", DEVICES)
def test_printing_a_device_array(device):
    x = nf.arange(4.0, device=device)
    assert nf.array2string(x) == onp.array2string(onp.arange(4.0))
    suffix = "" if device == "cpu" else f", device='{device}'"
    assert nf.array_repr(x) == repr(x) == f"array([0., 1., 2., 3.]{suffix})"


def test_printoptions_govern_npflow_repr():
    x = make((3,), onp.float64)
    with nf.printoptions(precision=2, sign="+"):
        assert repr(nf.asarray(x)) == repr(x) and nf.get_printoptions()["precision"] == 2
    old = nf.get_printoptions()
    try:
        nf.set_printoptions(threshold=2, edgeitems=1)
        assert str(nf.arange(10)) == str(onp.arange(10)) == "[0 ... 9]"
    finally:
        nf.set_printoptions(**old)
    assert nf.get_printoptions() == onp.get_printoptions()


FLOATS = [0.1, 1 / 3, 1e-20, 123456789.0, -2.5, float("nan"), float("inf"), 0.0]
FORMAT_KW = [{}, {"precision": 3}, {"unique": False, "precision": 4}, {"sign": True},
             {"pad_left": 5, "pad_right": 4}, {"min_digits": 3}, {"trim": "-"}]


@pytest.mark.parametrize("kw", FORMAT_KW, ids=str)
@pytest.mark.parametrize("x", FLOATS + [onp.float32(0.1), onp.float16(1 / 3)], ids=repr)
def test_format_float(x, kw):
    for name in ("format_float_positional", "format_float_scientific"):
        extra = {k: v for k, v in kw.items() if name.endswith("positional") or k != "pad_right"}
        res = outcomes(lambda m: getattr(m, name)(x, **extra))
        if res:
            assert res[0] == res[1]
    got = nf.format_float_positional(nf.asarray(onp.float32(0.1)))  # an npflow 0-d array
    assert got == onp.format_float_positional(onp.float32(0.1))


@pytest.mark.parametrize("args", [(10,), (-10, 3), (255, 16), (35, 36, 4), (0,), (5, 1), (5, 37)],
                         ids=str)
def test_base_repr(args):
    res = outcomes(lambda m: m.base_repr(*args))
    if res:
        assert res[0] == res[1]
        assert nf.base_repr(nf.asarray(args[0]), *args[1:]) == res[1]


@pytest.mark.parametrize("args", [(10,), (-10, 8), (3, 5), (0,), (-1,), (-128, 8)], ids=str)
def test_binary_repr(args):
    assert nf.binary_repr(*args) == onp.binary_repr(*args)
    assert nf.binary_repr(nf.asarray(args[0], dtype=onp.int8), *args[1:]) == onp.binary_repr(*args)


def test_errstate_governs_npflow_kernels():
    one, zero = nf.asarray(1.0), nf.asarray(0.0)
    with nf.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            one / zero
    with nf.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            nf.sqrt(nf.asarray(-1.0))
    with nf.errstate(all="ignore"):
        assert float(one / zero) == float("inf")
    assert nf.errstate is onp.errstate


def test_seterr_and_its_callback():
    old = nf.seterr(over="call")
    seen = []
    old_call = nf.seterrcall(lambda kind, flag: seen.append(kind))
    try:
        assert nf.geterr()["over"] == "call" and nf.geterr() == onp.geterr()
        nf.multiply(nf.asarray(1e308), 10.0)
        assert seen == ["overflow"] and nf.geterrcall() is onp.geterrcall()
    finally:
        nf.seterr(**old)
        nf.seterrcall(old_call)


def test_bufsize():
    old = nf.setbufsize(16384)
    try:
        assert nf.getbufsize() == onp.getbufsize() == 16384
    finally:
        nf.setbufsize(old)
