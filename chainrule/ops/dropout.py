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
    check_tensor("dropout", input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    xp = input.xp
    dtype = input.dtype if input.dtype.kind == "f" else xp.dtype("float32")
    if p == 1.0:
        mask = xp.zeros(input.shape, dtype)
    else:
        u = rng(generator).random(input.shape, dtype="float32")
        mask = xp.asarray(u >= p, dtype=dtype)
        mask *= 1.0 / (1.0 - p)
    return DropoutFunction(mask)(input)
