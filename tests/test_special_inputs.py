"""Acceptance: no public function gives a value, dtype or shape other than NumPy's without raising,
on inputs with NaN, +-inf, NaT, object (Fraction, Decimal), datetime, timedelta, complex, empty and
0-d variants. Every public NumPy function NumPy itself can call on one array, every binary ufunc, and
a table of calls with parameters: npflow either raises or gives NumPy's answer (NumPy's scalars as
0-d arrays, the documented deviation)."""
import warnings

import numpy as onp
import pytest

import npflow as nf
from support import SPECIAL_INPUTS, STANDARD_NUMPY, assert_same

VARIANTS = SPECIAL_INPUTS
# public names not called with one array here, each with its reason
NOT_CALLED = {
    "empty_like": "uninitialised values", "empty": "uninitialised values",
    "unique_values": "sorted in npflow (documented deviation: NumPy leaves the order unspecified)",
    "unstack": "NumPy's elements of object arrays are Python objects; npflow's are 0-d arrays (documented)",
    **dict.fromkeys(["save", "savez", "savez_compressed", "savetxt", "load", "loadtxt", "genfromtxt", "fromfile",
                     "fromregex", "frombuffer", "fromstring", "fromiter", "from_dlpack"], "input/output, not arithmetic"),
    **dict.fromkeys(["set_printoptions", "printoptions", "seterr", "seterrcall", "setbufsize", "errstate", "info",
                     "show_config", "show_runtime", "get_include", "get_printoptions", "getbufsize", "geterr",
                     "geterrcall"], "configuration, not arithmetic"),
    **dict.fromkeys(["array_repr", "array_str", "array2string", "format_float_positional", "base_repr",
                     "format_float_scientific", "binary_repr", "datetime_as_string", "typename"], "text (test_printing)"),
    **dict.fromkeys(["shares_memory", "may_share_memory", "copyto", "place", "putmask", "put", "fill_diagonal",
                     "iinfo", "finfo", "issubdtype", "isdtype", "can_cast", "result_type", "promote_types",
                     "min_scalar_type", "mintypecode", "datetime_data", "vectorize", "frompyfunc", "broadcast",
                     "nested_iters", "ndindex", "ndenumerate", "busdaycalendar", "poly1d"],
                    "memory, dtype or object queries, in-place writers and classes (their own tests)"),
}


def _public():
    return sorted(n for n in dir(onp) if not n.startswith("_") and n not in NOT_CALLED and hasattr(nf, n)
                  and callable(getattr(onp, n)) and not isinstance(getattr(onp, n), type))


def _calls():
    calls = {n: (lambda m, x, n=n: getattr(m, n)(x)) for n in _public()}
    for n in _public():
        if isinstance(getattr(onp, n), onp.ufunc) and getattr(onp, n).nin == 2:
            calls[f"{n}(x,x)"] = lambda m, x, n=n: getattr(m, n)(x, x)
            calls[f"{n}(x,2)"] = lambda m, x, n=n: getattr(m, n)(x, 2)
    for n, extra in PARAMETERS:
        calls[f"{n}{extra}"] = lambda m, x, n=n, e=extra: getattr(m, n)(x, *(x if a is X else a for a in e))
    return calls


class _Input:
    """In PARAMETERS: the input again (its repr is part of a test id, the same in every process)."""
    def __repr__(self):
        return "x"


X = _Input()
PARAMETERS = [("percentile", (50,)), ("nanpercentile", ([10, 90],)), ("quantile", (0.5,)), ("nanquantile", (0.25,)),
              ("round", (1,)), ("clip", (0, 1)), ("digitize", ([0, 1],)), ("interp", ([0.0, 1.0], [0.0, 10.0])),
              ("take", ([0],)), ("repeat", (2,)), ("tile", (2,)), ("roll", (1,)), ("pad", (1,)), ("resize", ((2, 3),)),
              ("partition", (0,)), ("argpartition", (0,)), ("searchsorted", (X,)), ("isclose", (X,)),
              ("allclose", (X,)), ("array_equal", (X, True)), ("convolve", (X,)), ("correlate", (X,)), ("dot", (X,)),
              ("vdot", (X,)), ("inner", (X,)), ("outer", (X,)), ("kron", (X,)), ("polyval", (X,)), ("polymul", (X,)),
              ("isin", (X,)), ("setdiff1d", (X,)), ("intersect1d", (X,)), ("union1d", (X,)), ("tensordot", (X, 0)),
              ("cross", (X,)), ("where", (X, 0)), ("histogram", (3,))]
CALLS = _calls()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("call", CALLS)
def test_numpys_answer_or_an_error(call, variant):
    x = VARIANTS[variant]
    with warnings.catch_warnings(), onp.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            got = CALLS[call](nf, nf.asarray(x.copy()))
        except Exception:
            return  # npflow refuses: allowed (never a different answer)
        try:
            expected = CALLS[call](STANDARD_NUMPY, x.copy())  # (NumPy, but the standard's special cases)
        except Exception as e:
            pytest.fail(f"NumPy raises {type(e).__name__} ({e}); npflow returns {got!r}")
    if variant in ("fraction", "decimal") and call in ("percentile(50,)", "quantile(0.5,)") and \
            got.ndim == 0 and got.dtype == object:  # (see README: the element's type is NumPy's object arithmetic's)
        assert got.item() == expected
        return
    assert_same(got, expected)
