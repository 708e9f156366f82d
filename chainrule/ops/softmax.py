"""softmax, log_softmax and one_hot."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import reduce as _reduce
from ._convert import as_tensor, float_input, normalize_axis, pick_axis


class _AlongAxis(Function):
    """An op along one axis whose backward reads its output only (softmax, log-softmax)."""

    saves_inputs = False
    saves_output = True

    def __init__(self, axis):
        self.axis = axis


class Softmax(_AlongAxis):
    """y = exp(x - max) / sum(exp(x - max)); d/dx applied to gy is y * (gy - sum(gy * y))."""

    def forward(self, x):
        xp = get_array_module(x)
        y = xp.asarray(x - x.max(axis=self.axis, keepdims=True))  # 0-d: an array, not a scalar
        xp.exp(y, out=y)
        y /= y.sum(axis=self.axis, keepdims=True)
        return y

    def backward(self, gy):
        y = self.output()
        gyy = gy * y
        return gyy - y * _reduce.sum(gyy, axis=self.axis, keepdims=True)


class LogSoftmax(_AlongAxis):
    """y = x - logsumexp(x); d/dx applied to gy is gy - softmax(x) * sum(gy)."""

    def forward(self, x):
        xp = get_array_module(x)
        m = x.max(axis=self.axis, keepdims=True)
        y = x - m
        y -= xp.log(xp.exp(y).sum(axis=self.axis, keepdims=True))
        return y

    def backward(self, gy):
        from .elementwise import exp

        y = self.output()
        return gy - exp(y) * _reduce.sum(gy, axis=self.axis, keepdims=True)


def _one_axis(fname, x, axis):
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fname}: axis must be an int, got {axis!r}")
    (axis,) = normalize_axis(fname, axis, x.ndim)
    return (None if x.ndim == 0 else axis,)  # a 0-d tensor: the one element's softmax


def softmax(x, axis: int = -1, dim=None) -> Tensor:
    """Normalised exponentials along ``axis``: exp(x_i) / sum_j exp(x_j), computed stably."""
    x = float_input("softmax", x)
    (axis,) = _one_axis("softmax", x, pick_axis(axis, dim))
    return Softmax(axis)(x)


def log_softmax(x, axis: int = -1, dim=None) -> Tensor:
    """log(softmax(x)) along ``axis``, computed as x - logsumexp(x) (no log of 0)."""
    x = float_input("log_softmax", x)
    (axis,) = _one_axis("log_softmax", x, pick_axis(axis, dim))
    return LogSoftmax(axis)(x)


def one_hot(indices, num_classes: int = -1) -> Tensor:
    """Integer class indices -> a 0/1 tensor with a new last axis of ``num_classes``
    (int64, as PyTorch; no gradient)."""
    t = as_tensor(indices)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got dtype {t.dtype}")
    xp = t.xp
    idx = t.array
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueError(
            f"one_hot: class indices must be in [0, {num_classes}), got values from "
            f"{int(idx.min())} to {int(idx.max())}"
        )
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, False)
