"""More elementwise math, as PyTorch names it: inverse trigonometric and hyperbolic
functions, expm1/exp2, erfc, sinc, logit, xlogy, atan2, hypot, copysign, logaddexp, fmax/fmin,
nan_to_num and the aliases PyTorch keeps (arcsin, absolute, multiply...).
"""

from __future__ import annotations

__all__: list[str] = []

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = []
INPLACE_TWINS: list[str] = []
