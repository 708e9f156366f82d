"""``cr.cuda``: the GPU as PyTorch programs ask about it.

chainrule runs on a GPU through CuPy: ``is_available()`` is True when CuPy is installed
and sees a device. Random numbers are always drawn from the one CPU generator (the same
seed gives the same numbers on every device), so the ``manual_seed`` functions here have
no generator of their own to seed: ``cr.manual_seed`` seeds everything.
"""

from __future__ import annotations

from .. import backend as _backend
from . import amp  # noqa: F401 - torch.cuda.amp


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU."""
    return _backend.cupy_available()


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy)."""
    if not is_available():
        return 0
    return int(_backend._cupy.cuda.runtime.getDeviceCount())


def current_device() -> int:
    _require("current_device")
    return int(_backend._cupy.cuda.runtime.getDevice())


def get_device_name(device=None) -> str:
    _require("get_device_name")
    props = _backend._cupy.cuda.runtime.getDeviceProperties(0 if device is None else int(
        getattr(device, "index", device) or 0))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work (nothing to wait for without one)."""
    if is_available():
        _backend._cupy.cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Free CuPy's cached, unused GPU memory (nothing without a GPU)."""
    if is_available():
        _backend._cupy.get_default_memory_pool().free_all_blocks()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: NumPy and CuPy have no bfloat16 type."""
    return False


def manual_seed(seed: int) -> None:
    """Accepted for PyTorch programs; chainrule draws GPU tensors' random numbers from the
    CPU generator, which ``cr.manual_seed`` seeds."""


def manual_seed_all(seed: int) -> None:
    """See ``manual_seed``."""


def _require(fname: str) -> None:
    if not is_available():
        raise RuntimeError(f"cuda.{fname}: no GPU is available (CuPy is missing or sees none)")
