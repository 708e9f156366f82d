"""The ops that draw random numbers: dropout (zero each element with probability p,
inverted scaling), its channel-wise and alpha variants, and gumbel_softmax."""

from __future__ import annotations

import math

from ..autograd import Function
from ..random import rng
from ..tensor import Tensor
from ._convert import check_tensor, float_input, normalize_axis
from .softmax import softmax

# SELU's scale * alpha: -ALPHA is the value SELU saturates to, where alpha dropout sends
# the dropped units.
ALPHA = 1.7580993408473766


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


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability
    ``p``."""
    return _dropout("dropout3d", input, p, training, generator, 3)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False, generator=None) -> Tensor:
    """Dropout for SELU networks, keeping mean and variance: each element is dropped with
    probability ``p`` to SELU's saturation value -ALPHA, then all are scaled and shifted:
    y = a (x keep + (-ALPHA) (1 - keep)) + b, a = ((1 - p) (1 + p ALPHA^2))^-1/2,
    b = ALPHA a p. The identity unless ``training`` (off by default, as PyTorch's)."""
    return _dropout("alpha_dropout", input, p, training, generator, None, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, generator=None) -> Tensor:
    """Alpha dropout of whole channels of a (N, C, ...) input (see ``alpha_dropout``)."""
    check_tensor("feature_alpha_dropout", input)
    if input.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: expects a (N, C, ...) input of at least 2 "
                         f"dims, got shape {tuple(input.shape)}")
    return _dropout("feature_alpha_dropout", input, p, training, generator, input.ndim - 2,
                    alpha=True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, generator=None) -> Tensor:
    """A sample from the Gumbel-softmax distribution: softmax((logits + g) / tau) along
    ``dim``, g ~ Gumbel(0, 1) drawn from ``generator``. With ``hard``, the one-hot of the
    largest entry, whose gradient is the soft sample's (straight-through estimator).
    ``eps`` is unused, as in PyTorch."""
    x = float_input("gumbel_softmax", logits)
    (d,) = normalize_axis("gumbel_softmax", dim, max(x.ndim, 1))
    xp = x.xp
    g = -xp.log(xp.asarray(rng(generator).standard_exponential(x.shape), x.dtype))
    y = softmax((x + Tensor._make(g, False)) / tau, axis=d)
    if not hard:
        return y
    one_hot = xp.zeros(x.shape, x.dtype)
    xp.put_along_axis(one_hot, xp.expand_dims(y.array.argmax(axis=d), d), 1.0, axis=d)
    return y + Tensor._make(one_hot - y.array, False)  # the value of one_hot, y's gradient


def _dropout(fname, input, p, training, generator, spatial, alpha=False) -> Tensor:
    """Dropout of single elements (``spatial`` None) or of whole channels: the mask has
    shape (N, C) + (1,) * spatial, so each channel's map is kept or zeroed together. With
    ``alpha``, the alpha dropout's affine map instead of the inverted scaling."""
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
    shift = None
    if p == 1.0:
        mask = xp.zeros(shape, dtype)
    else:
        u = rng(generator).random(shape, dtype="float32")
        mask = xp.asarray(u >= p, dtype=dtype)
        if alpha:
            a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1.0) * (1.0 - p))
            shift = (mask + (p - 1.0)) * (ALPHA * a)  # ALPHA a p kept, ALPHA a (p - 1) dropped
            mask *= a
        else:
            mask *= 1.0 / (1.0 - p)
    if spatial is not None:
        mask = xp.ascontiguousarray(xp.broadcast_to(mask, input.shape))
    y = DropoutFunction(mask)(input)
    return y if shift is None else y + Tensor._make(shift, False)
