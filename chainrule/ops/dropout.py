"""Dropout as an op: zero each element with probability p (inverted scaling)."""

from __future__ import annotations

from ..autograd import Function
from ..random import rng
from ..tensor import Tensor
from ._convert import check_tensor


class DropoutFunction(Function):
    """y = x * m, m = keep / (1 - p) with keep ~ Bernoulli(1 - p); dy/dx = m (a constant)."""

    saves_inputs = False

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * Tensor._make(self.mask, False)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) when
    ``training``; the identity otherwise. ``generator`` seeds the mask."""
    return _dropout("dropout", input, p, training, generator, None)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p``."""
    return _dropout("dropout1d", input, p, training, generator, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of a (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _dropout("dropout2d", input, p, training, generator, 2)


def _dropout(fname, input, p, training, generator, spatial) -> Tensor:
    """Dropout of single elements (``spatial`` None) or of whole channels: the mask has
    shape (N, C) + (1,) * spatial, so each channel's map is kept or zeroed together."""
    check_tensor(fname, input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fname}: p must be between 0 and 1, got {p}")
    shape = input.shape
    if spatial is not None:
        if input.ndim not in (spatial + 1, spatial + 2):
            raise ValueError(
                f"{fname}: expects a ({spatial + 1})-d (C, ...) or ({spatial + 2})-d "
                f"(N, C, ...) input, got shape {tuple(input.shape)}"
            )
        shape = input.shape[: input.ndim - spatial] + (1,) * spatial
    if not training or p == 0.0:
        return input
    xp = input.xp
    dtype = input.dtype if input.dtype.kind == "f" else xp.dtype("float32")
    if p == 1.0:
        mask = xp.zeros(shape, dtype)
    else:
        u = rng(generator).random(shape, dtype="float32")
        mask = xp.asarray(u >= p, dtype=dtype)
        mask *= 1.0 / (1.0 - p)
    if spatial is not None:
        mask = xp.ascontiguousarray(xp.broadcast_to(mask, input.shape))
    return DropoutFunction(mask)(input)
