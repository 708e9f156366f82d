"""``F.fold`` / ``nn.Fold``: columns of sliding blocks summed back into an image (col2im),
the adjoint of ``F.unfold``.

fold is the gradient of unfold, and unfold is a convolution with an identity kernel (one
output channel per (c, i, j) of a block). So fold runs as that convolution's transpose,
the engine's ``ConvGradInput`` with the identity weight and ``groups = C``: its backward is
the convolution again, which makes derivatives of every order exist.

    y[n, c, h, w] = sum over blocks l and offsets (i, j) with
                    h = l_h * stride - padding + i * dilation (and likewise w)
                    of x[n, (c * kh + i) * kw + j, l]
"""

from __future__ import annotations

import numpy as np

from ..ops._convert import check_tensor
from ..ops.conv import ConvGeometry, ConvGradInput, ntuple
from ..tensor import Tensor
from .module import Module


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum the (N, C * kh * kw, L) columns of sliding blocks into an (N, C, H, W) output of
    spatial size ``output_size`` (overlapping blocks add up), as ``torch.nn.functional.fold``.

    >>> x = cr.randn(1, 3, 4, 4)
    >>> F.fold(F.unfold(x, 2, stride=2), (4, 4), 2, stride=2)   # x again: blocks tile it
    """
    x = check_tensor("fold", input)
    if x.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 3-d input (N, C * kh * kw, L) or 2-d "
                         f"(C * kh * kw, L), got shape {tuple(x.shape)}")
    unbatched = x.ndim == 2
    if unbatched:
        x = x.reshape((1,) + x.shape)
    size = ntuple("fold", "output_size", output_size, 2, 1)
    k = ntuple("fold", "kernel_size", kernel_size, 2, 1)
    d = ntuple("fold", "dilation", dilation, 2, 1)
    p = ntuple("fold", "padding", padding, 2)
    s = ntuple("fold", "stride", stride, 2, 1)
    N, CK, L = x.shape
    K = k[0] * k[1]
    if CK % K:
        raise ValueError(f"fold: the input's {CK} channels (shape {tuple(input.shape)}) are "
                         f"not divisible by the kernel size {k[0]} * {k[1]} = {K}")
    blocks = tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1
                   for n, ki, di, pi, si in zip(size, k, d, p, s))
    if min(blocks) <= 0 or blocks[0] * blocks[1] != L:
        raise ValueError(
            f"fold: output_size {size}, kernel_size {k}, dilation {d}, padding {p} and stride "
            f"{s} give {max(blocks[0], 0)} x {max(blocks[1], 0)} blocks, but the input "
            f"(shape {tuple(input.shape)}) has {L}")
    C = CK // K
    eye = np.eye(K, dtype=x.dtype).reshape(K, 1, k[0], k[1])
    W = Tensor._make(x.xp.asarray(np.tile(eye, (C, 1, 1, 1))), False)
    g = ConvGeometry(s, tuple((pi, pi) for pi in p), d, C)
    y = ConvGradInput(g, (N, C) + size)(W, x.reshape(N, CK, *blocks))
    return y.reshape(y.shape[1:]) if unbatched else y


class Fold(Module):
    """``F.fold`` as a layer: (N, C * kh * kw, L) block columns summed into (N, C, H, W)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        for arg, v, low in (("output_size", output_size, 1), ("kernel_size", kernel_size, 1),
                            ("dilation", dilation, 1), ("padding", padding, 0),
                            ("stride", stride, 1)):
            ntuple("Fold", arg, v, 2, low)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
