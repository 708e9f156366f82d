"""Instance normalisation: each sample's channel normalised over its own spatial
positions (``InstanceNorm1d``/``2d``/``3d``), with PyTorch's defaults (``affine=False``,
``track_running_stats=False``):

    y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias,  mean, var over (L), (H, W)
                                                              or (D, H, W)
"""

from __future__ import annotations

from .. import ops
from ..ops._convert import check_tensor
from ..tensor import Tensor
from .normalization import _BatchNorm


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None,
                  bias=None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims (dims 2...)."""
    x = check_tensor("instance_norm", input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expects (N, C, ...) input, got shape {x.shape}")
    axes = tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if use_input_stats:
        mean = ops.mean(x, axes, keepdims=True)
        var = ops.var(x, axes, keepdim=True, correction=0)
        if running_mean is not None:
            n = 1
            for a in axes:
                n *= x.shape[a]
            m = mean.array.mean(axis=0).reshape(-1)
            v = var.array.mean(axis=0).reshape(-1) * (n / max(n - 1, 1))
            running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * m
            running_var.array[...] = (1 - momentum) * running_var.array + momentum * v
    else:
        mean = ops.reshape(running_mean, shape)
        var = ops.reshape(running_var, shape)
    y = (x - mean) / ops.sqrt(var + eps)
    if weight is not None:
        y = y * ops.reshape(weight, shape)
    if bias is not None:
        y = y + ops.reshape(bias, shape)
    return y


class _InstanceNorm(_BatchNorm):
    """BatchNorm's parameters, buffers and checks (as PyTorch's _NormBase) with instance
    statistics and PyTorch's instance-norm defaults (no affine, no running statistics)."""

    dims = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        x = input
        unbatched = x.ndim == self.dims + 1
        if unbatched:
            x = ops.unsqueeze(x, 0)
        if x.ndim != self.dims + 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: expected input with {self.num_features} channels and "
                f"{self.dims + 2} dims (or {self.dims + 1} unbatched), got {tuple(input.shape)}"
            )
        use_stats = self.training or not self.track_running_stats
        y = instance_norm(x, self.running_mean if self.training else None,
                          self.running_var if self.training else None, self.weight,
                          self.bias, use_stats or self.running_mean is None, self.momentum,
                          self.eps) if use_stats else instance_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False,
            self.momentum, self.eps)
        return ops.squeeze(y, 0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) input."""

    dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) input."""

    dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) input."""

    dims = 3
