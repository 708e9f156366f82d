"""``Dropout``: zero each element with probability p during training (inverted scaling); its
op and ``dropout`` live in ``chainrule.ops.dropout``."""

from __future__ import annotations

from ..ops.dropout import (  # noqa: F401 - nn's names for them
    DropoutFunction,
    dropout,
    dropout1d,
    dropout2d,
)
from ..random import Generator
from ..tensor import Tensor
from . import _args
from .module import Module


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
