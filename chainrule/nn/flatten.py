"""Shape layers: ``Flatten`` and ``Unflatten``."""

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
