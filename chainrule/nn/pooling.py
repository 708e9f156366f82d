"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``, ``LPPool1d/2d/3d`` and ``MaxUnpool1d/2d/3d``."""

from __future__ import annotations

from ..ops.conv import ntuple
from ..ops.pool import (
    adaptive_avg_pooling,
    adaptive_max_pooling,
    avg_pooling,
    lp_pooling,
    max_pooling,
    max_unpooling,
)
from ..tensor import Tensor
from . import _args
from .module import Module


def _check_pool(owner: str, nd: int, kernel_size, stride, padding) -> None:
    _args.sizes(owner, "kernel_size", kernel_size, nd)
    if stride is not None:
        _args.sizes(owner, "stride", stride, nd)
    _args.sizes(owner, "padding", padding, nd, low=0)


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        _check_pool(type(self).__name__, self._nd, kernel_size, stride, padding)
        _args.sizes(type(self).__name__, "dilation", dilation, self._nd)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return max_pooling(type(self).__name__, input, self.kernel_size, self.stride,
                           self.padding, self.dilation, self.ceil_mode, self.return_indices,
                           self._nd)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over (N, C, L) input; ``stride`` defaults to ``kernel_size``."""

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over (N, C, H, W) input; ``stride`` defaults to ``kernel_size``.

    >>> nn.MaxPool2d(2)(cr.randn(8, 32, 26, 26)).shape
    (8, 32, 13, 13)
    """


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over (N, C, D, H, W) input; ``stride`` defaults to ``kernel_size``."""

    _nd = 3


class AvgPool1d(Module):
    """1-d average pooling over (N, C, L) input."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        _check_pool("AvgPool1d", 1, kernel_size, stride, padding)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pooling("AvgPool1d", input, self.kernel_size, self.stride, self.padding,
                           self.ceil_mode, self.count_include_pad, None, 1)

    def extra_repr(self) -> str:
        return (f"kernel_size={_t(self.kernel_size)}, stride={_t(self.stride)}, "
                f"padding={_t(self.padding)}")


def _t(v):
    """AvgPool1d shows its sizes as 1-tuples, as PyTorch."""
    return (v,) if isinstance(v, int) else tuple(v)


class _AvgPoolNd(Module):
    """AvgPool2d and AvgPool3d: the same arguments (AvgPool1d has no divisor_override)."""

    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        _check_pool(type(self).__name__, self._nd, kernel_size, stride, padding)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pooling(type(self).__name__, input, self.kernel_size, self.stride,
                           self.padding, self.ceil_mode, self.count_include_pad,
                           self.divisor_override, self._nd)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling over (N, C, H, W) input; ``stride`` defaults to ``kernel_size``."""


class AvgPool3d(_AvgPoolNd):
    """3-d average pooling over (N, C, D, H, W) input; ``stride`` defaults to
    ``kernel_size``."""

    _nd = 3


class _AdaptiveAvgPoolNd(Module):
    _nd = 2

    def __init__(self, output_size) -> None:
        super().__init__()
        # None keeps that dimension's input size, as in PyTorch
        _args.sizes(type(self).__name__, "output_size", output_size, self._nd, allow_none=True)
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pooling(type(self).__name__, input, self.output_size, self._nd)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) input to a fixed output length."""

    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) input to a fixed (out_h, out_w) size.

    >>> nn.AdaptiveAvgPool2d(1)(cr.randn(8, 64, 7, 7)).shape
    (8, 64, 1, 1)
    """


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, D, H, W) input to a fixed (out_d, out_h, out_w) size."""

    _nd = 3


class _AdaptiveMaxPoolNd(Module):
    _nd = 2

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        _args.sizes(type(self).__name__, "output_size", output_size, self._nd, allow_none=True)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return adaptive_max_pooling(type(self).__name__, input, self.output_size,
                                    self.return_indices, self._nd)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) input to a fixed output length."""

    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) input to a fixed (out_h, out_w) size.

    >>> nn.AdaptiveMaxPool2d((2, 3))(cr.randn(8, 64, 7, 7)).shape
    (8, 64, 2, 3)
    """


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) input to a fixed (out_d, out_h, out_w) size."""

    _nd = 3


class _LPPoolNd(Module):
    _nd = 2

    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        _args.real(name, "norm_type", norm_type)
        if norm_type == 0:
            raise ValueError(f"{name}: norm_type must be non-zero")
        _check_pool(name, self._nd, kernel_size, stride, 0)
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return lp_pooling(type(self).__name__, input, self.norm_type, self.kernel_size,
                          self.stride, self.ceil_mode, self._nd)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """1-d power-average pooling: (sum over each window of x^p)^(1/p), p = norm_type."""

    _nd = 1


class LPPool2d(_LPPoolNd):
    """2-d power-average pooling: (sum over each window of x^p)^(1/p), p = norm_type."""


class LPPool3d(_LPPoolNd):
    """3-d power-average pooling: (sum over each window of x^p)^(1/p), p = norm_type."""

    _nd = 3


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, nd, 1)
        self.stride = self.kernel_size if stride is None else ntuple(name, "stride", stride,
                                                                     nd, 1)
        self.padding = ntuple(name, "padding", padding, nd)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return max_unpooling(type(self).__name__, input, indices, self.kernel_size,
                             self.stride, self.padding, output_size, self._nd)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool1d``: ``unpool(y, indices)`` puts each value back at
    its index, zeros elsewhere."""

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool2d``: ``unpool(y, indices)`` puts each value back at
    its index, zeros elsewhere.

    >>> y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    >>> nn.MaxUnpool2d(2)(y, idx).shape == x.shape     # for even H and W
    """


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool3d``."""

    _nd = 3
