"""Resizing: ``F.interpolate`` / ``nn.Upsample`` (nearest, linear, bilinear) and
``nn.PixelShuffle``, with PyTorch's index rules, written with differentiable indexing so
the gradient is exact (it adds up where an input element is read more than once).

nearest:  src = floor(dst * in / out)
linear:   src = (dst + 0.5) * in / out - 0.5 (clamped at 0), or with ``align_corners=True``
          src = dst * (in - 1) / (out - 1); the output mixes the two neighbours.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops import shape as _shape
from ..ops._convert import check_tensor
from ..tensor import Tensor
from .module import Module


def _size(fname, x, size, scale_factor) -> tuple:
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fname}: give exactly one of size and scale_factor")
    if size is not None:
        size = (size,) * k if isinstance(size, int) else tuple(size)
        if len(size) != k:
            raise ValueError(f"{fname}: size needs {k} values for input of shape {x.shape}")
        return tuple(int(s) for s in size), None
    sf = (scale_factor,) * k if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(sf) != k:
        raise ValueError(f"{fname}: scale_factor needs {k} values for input of shape {x.shape}")
    return tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], sf)), sf


def _along(x, axis, src):
    return _shape.getitem(x, (slice(None),) * axis + (src,))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor=None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) input."""
    x = check_tensor("interpolate", input)
    if x.ndim not in (3, 4):
        raise ValueError(f"interpolate: expects 3-d or 4-d input, got shape {tuple(x.shape)}")
    if mode not in ("nearest", "linear", "bilinear"):
        raise ValueError(
            f"interpolate: mode must be 'nearest', 'linear' or 'bilinear', got {mode!r}"
        )
    if mode != "nearest" and {"linear": 3, "bilinear": 4}[mode] != x.ndim:
        raise ValueError(f"interpolate: mode {mode!r} does not fit input of shape {x.shape}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners only applies to linear modes")
    out, sf = _size("interpolate", x, size, scale_factor)
    use_sf = sf is not None and not recompute_scale_factor
    for k, (n_in, n_out) in enumerate(zip(x.shape[2:], out)):
        axis = 2 + k
        # PyTorch computes with 1/scale_factor when one is given (and not recomputed).
        ratio = 1.0 / sf[k] if use_sf else n_in / n_out
        dst = np.arange(n_out, dtype=np.float64)
        if mode == "nearest":
            src = np.minimum(np.floor(dst * ratio).astype(np.int64), n_in - 1)
            x = _along(x, axis, src)
            continue
        if align_corners:
            pos = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            pos = np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
        lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        w = (pos - lo).astype(x.dtype)
        shape = [1] * x.ndim
        shape[axis] = n_out
        w = Tensor._make(x.xp.asarray(w.reshape(shape)), False)
        x = _along(x, axis, lo) * (1.0 - w) + _along(x, axis, hi) * w
    return x


class Upsample(Module):
    """``F.interpolate`` as a layer."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor}" if self.size is None else f"size={self.size}"
        return f"{what}, mode='{self.mode}'"


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(N, C r^2, H, W) -> (N, C, H r, W r)."""
    x = check_tensor("pixel_shuffle", input)
    r = int(upscale_factor)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(
            f"pixel_shuffle: channels of input {tuple(x.shape)} must divide by {r * r}"
        )
    *lead, c, h, w = x.shape
    y = ops.reshape(x, (*lead, c // (r * r), r, r, h, w))
    n = len(lead)
    y = ops.permute(y, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return ops.reshape(y, (*lead, c // (r * r), h * r, w * r))


class PixelShuffle(Module):
    """Rearrange (N, C r^2, H, W) into (N, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


def _pair2(fname, name, v) -> tuple:
    v = (v, v) if isinstance(v, int) else tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{fname}: {name} must be an int or a pair of ints, got {v!r}")
    return v


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of (N, C, H, W) input as columns: (N, C * kh * kw, L), L the number
    of block positions (``F.unfold``, im2col). The gradient adds up where blocks overlap."""
    x = check_tensor("unfold", input)
    if x.ndim != 4:
        raise ValueError(f"unfold: expects (N, C, H, W) input, got shape {tuple(x.shape)}")
    (kh, kw), (dh, dw) = _pair2("unfold", "kernel_size", kernel_size), _pair2(
        "unfold", "dilation", dilation)
    (ph, pw), (sh, sw) = _pair2("unfold", "padding", padding), _pair2("unfold", "stride", stride)
    if ph or pw:
        x = ops.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, C, H, W = x.shape
    Ho, Wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"unfold: kernel {kernel_size} does not fit input {tuple(input.shape)}")
    rows = (np.arange(Ho) * sh)[:, None, None, None] + (np.arange(kh) * dh)[None, :, None, None]
    cols = (np.arange(Wo) * sw)[None, None, :, None] + (np.arange(kw) * dw)[None, None, None, :]
    y = _shape.getitem(x, (slice(None), slice(None), rows, cols))  # (N, C, Ho, kh, Wo, kw)
    y = ops.permute(y, (0, 1, 3, 5, 2, 4))
    return ops.reshape(y, (N, C * kh * kw, Ho * Wo))


class Unfold(Module):
    """``F.unfold`` as a layer."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
