"""Matrix functions and decompositions, as ``torch`` and ``torch.linalg`` name them: det,
slogdet, inv, solve, cholesky, qr, svd, eigh, pinv, matrix_power, matrix_exp and the
solvers built on them, each with its gradient.
"""

from __future__ import annotations

__all__: list[str] = []

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = []
INPLACE_TWINS: list[str] = []
