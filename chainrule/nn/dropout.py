"""``Dropout``: zero each element with probability p during training (inverted scaling), and
its channel-wise and alpha variants; their ops and functions live in
``chainrule.ops.dropout``."""

from __future__ import annotations

from ..ops.dropout import (  # noqa: F401 - nn's names for them
    DropoutFunction,
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
    gumbel_softmax,
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


class Dropout3d(Dropout):
    """Zero whole channels (of (N, C, D, H, W) input) with probability ``p`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout3d(input, self.p, self.training, generator=self.generator)


class AlphaDropout(Dropout):
    """Alpha dropout for SELU networks: keeps zero mean and unit variance (see
    ``alpha_dropout``); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return alpha_dropout(input, self.p, self.training, generator=self.generator)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels (see ``feature_alpha_dropout``)."""

    def forward(self, input: Tensor) -> Tensor:
        return feature_alpha_dropout(input, self.p, self.training, generator=self.generator)
