"""``cr.inference_mode``: PyTorch's faster ``no_grad`` for inference. chainrule has no
inference tensors, so it is ``no_grad`` (nothing is recorded), and ``inference_mode(False)``
leaves the grad mode as it is."""

from __future__ import annotations

from .autograd import is_grad_enabled, no_grad, set_grad_enabled


def inference_mode(mode=True):
    """``with cr.inference_mode():``, ``@cr.inference_mode()`` or ``@cr.inference_mode``."""
    if callable(mode):  # used as a decorator without parentheses
        return no_grad(mode)
    return no_grad() if mode else set_grad_enabled(is_grad_enabled())
