"""``cr.amp``: automatic mixed precision, as PyTorch programs use it.

chainrule computes in the dtypes of the tensors it is given. ``autocast`` is a context
(and decorator) that changes nothing: PyTorch's meaning is "ops *may* run in a lower
precision where that is safe"; running them at full precision keeps every result at
least as accurate. ``GradScaler`` behaves as PyTorch's does when it is disabled (as
PyTorch disables it where CUDA is missing): ``scale`` returns the loss unchanged and
``step`` calls the optimizer's ``step``.
"""

from __future__ import annotations

import contextlib
import functools

from .backend import UnsupportedDtype, to_dtype

_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")


class autocast(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """``with cr.autocast("cuda", dtype=cr.float16):`` - accepted; ops keep their dtypes
    (see the module docstring)."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if str(device_type).split(":")[0] not in _DEVICE_TYPES:
            raise ValueError(
                f"autocast: device_type must be one of {list(_DEVICE_TYPES)}, got "
                f"{device_type!r}"
            )
        if dtype is not None and not isinstance(dtype, UnsupportedDtype):
            # An unknown dtype is still an error; bfloat16 is accepted, since nothing is
            # computed in it.
            to_dtype(dtype, "autocast")
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """Decorator for a custom Function's forward under autocast: returns it unchanged."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """Decorator for a custom Function's backward under autocast: returns it unchanged."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


class GradScaler:
    """Loss scaling for float16 training, as a disabled ``torch.amp.GradScaler``.

    Scaling exists to keep float16 gradients from underflowing; chainrule computes
    gradients in the dtype of the parameters, so there is nothing to rescue and the scaler
    is a pass-through: ``scale(loss)`` is ``loss``, ``step(opt)`` calls ``opt.step()``.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._enabled = False

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None
