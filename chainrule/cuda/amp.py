"""``torch.cuda.amp``: the CUDA spellings of ``cr.amp`` (see that module)."""

from __future__ import annotations

from .. import amp as _amp
from ..amp import GradScaler, custom_bwd, custom_fwd


class autocast(_amp.autocast):  # noqa: N801 - PyTorch's name
    """``torch.cuda.amp.autocast(dtype=..., enabled=...)``: ``cr.amp.autocast("cuda")``."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool | None = None):
        super().__init__("cuda", dtype, enabled, cache_enabled)


__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]
