"""Shape layers: ``Flatten``, ``Unflatten``, and PyTorch's ``pad``."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops._convert import check_tensor
from ..tensor import Tensor
from . import _args
from .module import Module


def _axis(name: str, dim: int, ndim: int) -> int:
    if not -ndim <= dim < max(ndim, 1):
        raise ValueError(f"{name}: dim {dim} is out of range for an input with {ndim} dimensions")
    return dim % max(ndim, 1)


class Flatten(Module):
    """Merge dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        _args.integer("Flatten", "start_dim", start_dim, low=-(2**31))
        _args.integer("Flatten", "end_dim", end_dim, low=-(2**31))
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        check_tensor("Flatten", input)
        nd = input.ndim
        s = _axis("Flatten", self.start_dim, nd)
        e = _axis("Flatten", self.end_dim, nd)
        if s > e:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for an "
                f"input of shape {tuple(input.shape)}"
            )
        shape = input.shape
        return ops.reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])

    def _array_forward(self):
        if type(self).forward is not Flatten.forward:
            return None

        def flatten(a):
            return self.forward(Tensor._make(a, False)).array

        return flatten

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: Unflatten(1, (2, 5)) maps (N, 10) to
    (N, 2, 5); one size may be -1."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
            isinstance(s, (int, np.integer)) for s in unflattened_size
        ):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}"
            )
        self.dim = dim
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        check_tensor("Unflatten", input)
        d = _axis("Unflatten", self.dim, input.ndim)
        sizes = self.unflattened_size
        n = input.shape[d]
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1 or (known != n if -1 not in sizes else n % max(known, 1)):
            raise ValueError(
                f"Unflatten: sizes {sizes} do not multiply to the length {n} of dim {self.dim} "
                f"of an input of shape {tuple(input.shape)}"
            )
        return ops.reshape(input, input.shape[:d] + sizes + input.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _pad_index(n: int, before: int, after: int, mode: str, xp):
    """Source index of each output position along one axis for a non-constant pad."""
    i = xp.arange(-before, n + after)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    # reflect: mirror at the edges without repeating the edge element
    period = 2 * (n - 1)
    i = xp.abs(i) % period
    return xp.where(i >= n, period - i, i)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims, PyTorch style: ``pad = (left, right, top, bottom,
    ...)`` starts from the last dim. Modes: 'constant' (with ``value``), 'reflect',
    'replicate', 'circular'."""
    check_tensor("pad", input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: padding {pad} must have an even length of at most 2 * ndim = "
            f"{2 * input.ndim} for an input of shape {tuple(input.shape)}"
        )
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    k = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in
                                            reversed(range(k))]
    if mode == "constant":
        return ops.pad(input, widths, constant_values=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    y = input
    for axis, (b, a) in enumerate(widths):
        if b == a == 0:
            continue
        n = input.shape[axis]
        if (mode == "reflect" and (b >= n or a >= n)) or (mode == "circular" and (b > n or a > n)):
            raise ValueError(
                f"pad: {mode} padding ({b}, {a}) must be smaller than the dim of size {n} of "
                f"an input of shape {tuple(input.shape)}"
            )
        if n == 0:
            raise ValueError(f"pad: cannot {mode}-pad an empty dim of input {tuple(input.shape)}")
        idx = _pad_index(n, b, a, mode, input.xp)
        y = ops.getitem(y, (slice(None),) * axis + (idx,))
    return y
