"""``Dropout``: zero each element with probability p during training (inverted scaling); its
op and ``dropout`` live in ``chainrule.ops.dropout``."""

from __future__ import annotations

from ..ops.dropout import DropoutFunction, dropout  # noqa: F401 - nn's names for them
from ..random import Generator
from ..tensor import Tensor
from .module import Module


class Dropout(Module):
    """During training, zero elements with probability ``p`` and scale the others by
    1 / (1 - p); the identity in eval mode.

    >>> drop = nn.Dropout(0.2, generator=cr.Generator(0))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be between 0 and 1, got {p}")
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
