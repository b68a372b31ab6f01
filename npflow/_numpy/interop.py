"""Exchange with other array libraries."""
from .._core.dispatch import apply
from .._core.registry import REGISTRY
from .._core.devices import Device

__all__ = ["from_dlpack"]

_DL_CPU, _DL_CUDA = 1, 2


def from_dlpack(x, /, *, device=None, copy=None):
    """An npflow array sharing memory with ``x`` (any DLPack producer), without a copy."""
    kind, index = x.__dlpack_device__()
    if kind == _DL_CPU:
        src = Device("cpu")
    elif kind == _DL_CUDA:
        src = Device(f"cuda:{index}")
    else:
        raise BufferError(f"from_dlpack(): DLPack device type {kind} is not supported "
                          f"(npflow takes CPU and CUDA memory)")
    r = apply(REGISTRY["from_dlpack"], x, copy=copy, device=src)
    return r if device is None else r.to_device(device)
