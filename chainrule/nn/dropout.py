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
    return _dropout("dropout", input, p, training, generator, None)


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


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p``."""
    return _dropout("dropout1d", input, p, training, generator, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of a (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _dropout("dropout2d", input, p, training, generator, 2)


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


class Dropout1d(Dropout):
    """Zero whole channels (of (N, C, L) input) with probability ``p`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, generator=self.generator)


class Dropout2d(Dropout):
    """Zero whole channels (of (N, C, H, W) input) with probability ``p`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, generator=self.generator)
