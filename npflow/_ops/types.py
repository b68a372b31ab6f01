"""Primitives of the type and calendar utilities: memory overlap and business-day arithmetic.

None has a derivative: overlap answers are booleans, and dates are integers (datetime64).
Dates are host-only (CuPy has no datetime64): on a CUDA device they raise TypeError.
The business-day kernels take their dates unconverted (``raw_args``): NumPy parses
strings and lists of strings itself.
"""
from .._core.registry import kernel_op


@kernel_op("shares_memory", wraps=False, differentiable=False)
def shares_memory(xp, a, b, *, max_work=-1):
    return bool(xp.shares_memory(a, b, max_work=max_work))


@kernel_op("may_share_memory", wraps=False, differentiable=False)
def may_share_memory(xp, a, b, *, max_work=0):
    return bool(xp.may_share_memory(a, b, max_work=max_work))


_DEFAULTS = {"weekmask": "1111100", "holidays": ()}


def _is_default(name, value):
    d = _DEFAULTS.get(name)
    return d is not None and type(value) is type(d) and value == d


def _dates(name, **kw):
    """The op ``name`` whose kernel is ``xp.<name>`` where the backend has datetime64
    (parameters given as None are left out: NumPy's C functions take their defaults)."""
    def kernel(xp, *operands, **params):
        fn = getattr(xp, name, None)
        if fn is None:
            raise TypeError(f"{xp.__name__} has no datetime64 dtype: move the dates to the host "
                            f"(x.to_device('cpu')) for {name}")
        cal = params.get("busdaycal") is not None  # beside a calendar, the defaults mean "not given"
        return fn(*operands, **{k: v for k, v in params.items()
                                if v is not None and not (cal and _is_default(k, v))})
    kernel_op(name, differentiable=False, **kw)(kernel)


for _name in ("busday_count", "busday_offset", "is_busday"):
    _dates(_name, raw_args=True)
_dates("datetime_as_string")
