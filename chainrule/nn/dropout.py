"""Dropout: zero each element with probability p during training (inverted scaling)."""

from __future__ import annotations

from ..autograd import Function
from ..ops._convert import check_tensor
from ..random import Generator, rng
from ..tensor import Tensor
from . import _args
from .module import Module


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


class Dropout(Module):
    """During training, zero elements with probability ``p`` and scale the others by
    1 / (1 - p); the identity in eval mode.

    >>> drop = nn.Dropout(0.2, generator=cr.Generator(0))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        _args.probability(type(self).__name__, "p", p)
        if isinstance(generator, int) and not isinstance(generator, bool):
            generator = Generator(generator)  # one stream: a new mask at every call
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, generator=self.generator)

    def _array_forward(self):
        if type(self).forward is not Dropout.forward:
            return None

        def drop(a):
            if not self.training:
                return a
            return dropout(Tensor._make(a, False), self.p, True, generator=self.generator).array

        return drop

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
