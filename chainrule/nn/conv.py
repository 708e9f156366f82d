"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``."""

from __future__ import annotations

from ..creation import empty
from ..ops.conv import convolution, ntuple, transposed_convolution
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class _ConvNd(Module):
    """What the convolution layers share: arguments, parameters, init and repr."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 output_padding=0, device=None, dtype=None, generator=None) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels),
                       ("groups", groups)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels {in_channels} must be divisible by groups "
                             f"{groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels {out_channels} must be divisible by groups "
                             f"{groups}")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, nd, 1)
        self.stride = ntuple(name, "stride", stride, nd, 1)
        self.dilation = ntuple(name, "dilation", dilation, nd, 1)
        if isinstance(padding, str):
            if self._transposed or padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = ntuple(name, "padding", padding, nd)
        self.output_padding = ntuple(name, "output_padding", output_padding, nd)
        self.groups, self.padding_mode = groups, padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """PyTorch's default init: kaiming_uniform_(a=sqrt(5)) for the weight, and the bias
        from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.reset_affine_(self.weight, self.bias, generator)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Conv(_ConvNd):
    """A convolution layer (Conv1d, Conv2d, Conv3d): PyTorch's constructor, one forward."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype, generator)

    def forward(self, input: Tensor) -> Tensor:
        return convolution(f"Conv{self._nd}d", input, self.weight, self.bias, self.stride,
                           self.padding, self.dilation, self.groups, self._nd)


class _ConvTranspose(_ConvNd):
    """A transposed convolution layer (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype, generator)

    def forward(self, input: Tensor) -> Tensor:
        return transposed_convolution(f"ConvTranspose{self._nd}d", input, self.weight,
                                      self.bias, self.stride, self.padding,
                                      self.output_padding, self.groups, self.dilation, self._nd)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) input: weight (out, in/groups, k), bias (out,)."""

    _nd = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) input: weight (out, in/groups, kh, kw), bias (out,).

    >>> conv = nn.Conv2d(1, 32, 3)
    >>> conv(cr.randn(8, 1, 28, 28)).shape
    (8, 32, 26, 26)
    """

    _nd = 2


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution: weight (in, out/groups, k), bias (out,)."""

    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution: weight (in, out/groups, kh, kw), bias (out,).

    Output size: (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """

    _nd = 2


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) input: weight (out, in/groups, kd, kh, kw),
    bias (out,).

    >>> nn.Conv3d(1, 4, 3)(cr.randn(2, 1, 8, 8, 8)).shape
    (2, 4, 6, 6, 6)
    """

    _nd = 3


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution: weight (in, out/groups, kd, kh, kw), bias (out,)."""

    _nd = 3
