"""``cr.accelerator``: the device-neutral way PyTorch programs ask for a GPU."""

from __future__ import annotations

from . import cuda as _cuda
from ._device import device


def is_available() -> bool:
    """True when a GPU is usable (through CuPy)."""
    return _cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``cr.device("cuda")`` when CuPy can use a GPU, else None (as PyTorch on a machine
    without an accelerator)."""
    return device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    return _cuda.device_count()


def synchronize(device=None) -> None:
    _cuda.synchronize()
