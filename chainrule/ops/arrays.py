"""PyTorch's array functions that compose the engine's ops: tile, movedim, repeat_interleave,
masked_select, diff, rot90, kron, the nan-reductions, the stacking helpers and the
integer-valued queries (nonzero, count_nonzero, bincount, searchsorted...).
"""

from __future__ import annotations

__all__: list[str] = []

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = []
INPLACE_TWINS: list[str] = []
