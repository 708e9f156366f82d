"""Statistics and PyTorch's remaining tensor functions: std_mean/var_mean, quantile,
nanmedian, cov/corrcoef, the *_scatter writes, the splits by sections, and the dtype
queries (result_type, can_cast, promote_types).
"""

from __future__ import annotations

__all__: list[str] = []

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = []
INPLACE_TWINS: list[str] = []
