"""Normalization layers: ``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``, ``RMSNorm``,
``LocalResponseNorm``."""

from __future__ import annotations

import numpy as np

from ..creation import ones, zeros
from ..ops.norm import _batch_norm, _layer_norm, group_norm, local_response_norm, rms_norm
from ..tensor import Tensor
from . import _args
from .module import Module
from .parameter import Parameter


def _affine(module: Module, shape: tuple, weight: bool, bias: bool, device, dtype) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for the absent
    ones, as PyTorch's normalization layers (their state_dict keys)."""
    module.register_parameter("weight", Parameter(ones(*shape, dtype=dtype, device=device))
                              if weight else None)
    module.register_parameter("bias", Parameter(zeros(*shape, dtype=dtype, device=device))
                              if weight and bias else None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        module.weight.array[...] = 1
    if module.bias is not None:
        module.bias.array[...] = 0


def _normalized_shape(owner: str, normalized_shape) -> tuple:
    """``normalized_shape`` (an int or positive ints) as a tuple of ints."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else \
        tuple(normalized_shape)
    if not shape or any(not isinstance(n, (int, np.integer)) or n <= 0 for n in shape):
        raise ValueError(f"{owner}: normalized_shape must be positive ints, got "
                         f"{normalized_shape!r}")
    return tuple(int(n) for n in shape)


class _BatchNorm(Module):
    """Batch normalization with PyTorch's parameters, buffers and state_dict keys:
    weight, bias, running_mean, running_var, num_batches_tracked."""

    _dims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, int) or isinstance(num_features, bool) or \
                num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got "
                             f"{num_features!r}")
        _args.real(name, "eps", eps, 0.0, low_open=True)
        if momentum is not None and (not isinstance(momentum, (int, float))
                                     or isinstance(momentum, bool)
                                     or not 0.0 <= momentum <= 1.0):
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, (num_features,), affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked",
                                 Tensor(np.zeros((), np.int64)).to(device or "cpu"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in self._dims:
            raise ValueError(f"{name}: expected a {self._layout} input, got shape "
                             f"{tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with {self.num_features} channels, got "
                             f"{tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return _batch_norm(name, input, self.running_mean if track else None,
                           self.running_var if track else None, self.weight, self.bias,
                           use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input, per channel C.

    >>> bn = nn.BatchNorm1d(16)
    >>> bn(cr.randn(32, 16)).shape
    (32, 16)
    """

    _dims = (2, 3)
    _layout = "2-d (N, C) or 3-d (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input, per channel C: in training
    y = (x - mean) / sqrt(var + eps) * weight + bias with the batch statistics, which also
    update the running ones; in eval mode the running statistics normalize."""

    _dims = (4,)
    _layout = "4-d (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization over (N, C, D, H, W) input, per channel C."""

    _dims = (5,)
    _layout = "5-d (N, C, D, H, W)"


class LayerNorm(Module):
    """Normalization over the trailing ``normalized_shape`` axes of each sample, with
    elementwise weight and bias of that shape."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        self.eps = _args.real("LayerNorm", "eps", eps, 0.0, low_open=True)
        self.elementwise_affine = elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"LayerNorm: input must be a Tensor, got {type(input).__name__}")
        return _layer_norm("LayerNorm", input, self.normalized_shape, self.weight, self.bias,
                           self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: the channels of (N, C, ...) input split into ``num_groups``
    groups, each (sample, group) normalized over its channels and positions, then scaled
    and shifted per channel by ``weight`` and ``bias``.

    >>> nn.GroupNorm(2, 6)(cr.randn(4, 6, 5)).shape
    (4, 6, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_groups = _args.integer("GroupNorm", "num_groups", num_groups)
        self.num_channels = _args.integer("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels {num_channels} must be divisible by "
                             f"num_groups {num_groups}")
        self.eps = _args.real("GroupNorm", "eps", eps, 0.0, low_open=True)
        self.affine = affine
        _affine(self, (num_channels,), affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing ``normalized_shape`` axes:
    y = x / sqrt(mean(x^2) + eps) * weight (eps None: the machine epsilon of x's dtype)."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        if eps is not None:
            _args.real("RMSNorm", "eps", eps, 0.0)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine, False, device, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Local response normalization across channels:
    y_c = x_c / (k + alpha / size * sum of x^2 over the ``size`` channels around c)^beta."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = _args.integer("LocalResponseNorm", "size", size)
        self.alpha = _args.real("LocalResponseNorm", "alpha", alpha)
        self.beta = _args.real("LocalResponseNorm", "beta", beta)
        self.k = _args.real("LocalResponseNorm", "k", k)

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
