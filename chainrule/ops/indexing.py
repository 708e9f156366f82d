"""Writes by index as differentiable ops: index_add, index_copy, index_fill, scatter_add,
scatter_reduce, masked_scatter and the running products and extremes (cumprod, cummax,
cummin, logcumsumexp).
"""

from __future__ import annotations

__all__: list[str] = []

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = []
INPLACE_TWINS: list[str] = []
