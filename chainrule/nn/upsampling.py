"""Resizing and resampling: ``F.interpolate`` / ``nn.Upsample`` (nearest, linear, bilinear;
``UpsamplingNearest2d``, ``UpsamplingBilinear2d``), ``PixelShuffle``/``PixelUnshuffle``,
``ChannelShuffle``, ``F.grid_sample`` and ``F.affine_grid``, with PyTorch's index rules,
written with differentiable indexing so the gradient is exact (it adds up where an input
element is read more than once).

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
        if isinstance(scale_factor, (tuple, list)):  # kept as floats, as PyTorch (its repr)
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor:
            scale_factor = float(scale_factor)
        else:
            scale_factor = None
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor}" if self.size is None else f"size={self.size}"
        return f"{what}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) input (``Upsample`` with mode
    'nearest')."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) input with ``align_corners=True`` (the corner
    pixels of input and output coincide), as PyTorch's."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


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


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(N, C, H r, W r) -> (N, C r^2, H, W), the inverse of ``pixel_shuffle``."""
    x = check_tensor("pixel_unshuffle", input)
    r = int(downscale_factor)
    if r < 1:
        raise ValueError(f"pixel_unshuffle: downscale_factor must be >= 1, got {r}")
    if x.ndim < 3 or x.shape[-2] % r or x.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: height and width of input {tuple(x.shape)} must "
                         f"divide by the downscale_factor {r}")
    *lead, c, h, w = x.shape
    y = ops.reshape(x, (*lead, c, h // r, r, w // r, r))
    n = len(lead)
    y = ops.permute(y, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return ops.reshape(y, (*lead, c * r * r, h // r, w // r))


class PixelUnshuffle(Module):
    """Rearrange (N, C, H r, W r) into (N, C r^2, H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of (N, C, *) input across ``groups``: seen as (groups,
    C/groups), the channel grid is transposed (ShuffleNet)."""
    x = check_tensor("channel_shuffle", input)
    g = int(groups)
    if g < 1:
        raise ValueError(f"channel_shuffle: groups must be >= 1, got {groups!r}")
    if x.ndim < 3 or x.shape[1] % g:
        raise ValueError(f"channel_shuffle: expected input (N, C, *) with C divisible by "
                         f"groups {g}, got shape {tuple(x.shape)}")
    N, C, *rest = x.shape
    y = ops.reshape(x, (N, g, C // g, *rest))
    return ops.reshape(ops.transpose(y, 1, 2), x.shape)


class ChannelShuffle(Module):
    """``F.channel_shuffle`` as a layer."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


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


# -- sampling at given coordinates -----------------------------------------------------------


def _linspace(n: int, align_corners: bool, dtype):
    """The normalised coordinates of n pixels: their corners (align_corners) or centres
    span [-1, 1]."""
    if n <= 1:
        return np.zeros(n, dtype)
    r = np.linspace(-1.0, 1.0, n)
    return (r if align_corners else r * (n - 1) / n).astype(dtype)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps ``theta`` (N, 2, 3) for an output
    of ``size`` (N, C, H, W): grid[n, h, w] = theta[n] @ (x_w, y_h, 1), x and y the
    normalised pixel coordinates in [-1, 1]. For ``F.grid_sample``."""
    t = check_tensor("affine_grid", theta, "theta")
    size = tuple(int(v) for v in size)
    if len(size) != 4:
        raise ValueError(f"affine_grid: size must be (N, C, H, W) for a 2-d grid, got {size}")
    N, _, H, W = size
    if t.ndim != 3 or t.shape != (N, 2, 3):
        raise ValueError(f"affine_grid: expected theta of shape ({N}, 2, 3) for size {size}, "
                         f"got {tuple(t.shape)}")
    if t.dtype.kind != "f":
        raise TypeError(f"affine_grid: theta must be floating point, got dtype {t.dtype}")
    ac = bool(align_corners)
    base = np.empty((H, W, 3), t.dtype)
    base[..., 0] = _linspace(W, ac, t.dtype)
    base[..., 1] = _linspace(H, ac, t.dtype)[:, None]
    base[..., 2] = 1
    base = Tensor._make(t.xp.asarray(base.reshape(1, H * W, 3)), False)
    return ops.reshape(ops.matmul(base, ops.transpose(t, 1, 2)), (N, H, W, 2))


def _reflect(c, low2: int, high2: int):
    """Coordinates mirrored into [low2 / 2, high2 / 2] as often as needed (PyTorch's
    reflect_coordinates), with the gradient's sign flipping at each mirror."""
    if low2 == high2:
        return c * 0.0
    lo, span = low2 / 2, (high2 - low2) / 2
    c = ops.abs(c - lo)
    flips = c.xp.floor(c.array / span)
    extra = c - Tensor._make(flips * span, False)
    even = Tensor._make(flips % 2 == 0, False)
    return ops.where(even, extra + lo, (span - extra) + lo)


def _source(c, n: int, padding_mode: str, align_corners: bool):
    """Normalised coordinates [-1, 1] as pixel positions in an axis of n pixels, with the
    padding mode applied (PyTorch's grid_sampler_compute_source_index)."""
    c = (c + 1.0) * ((n - 1) / 2) if align_corners else ((c + 1.0) * n - 1.0) / 2
    if padding_mode == "border":
        return ops.clip(c, 0, n - 1)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        return ops.clip(c, 0, n - 1)
    return c


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) ``input`` at the (N, Ho, Wo, 2) normalised (x, y) positions of
    ``grid`` ((-1, -1) the top-left pixel, (1, 1) the bottom-right), giving (N, C, Ho, Wo),
    as ``torch.nn.functional.grid_sample``.

    mode 'bilinear' mixes the four neighbours (differentiable in input and grid), 'nearest'
    takes the closest pixel (halves to even); padding_mode says what lies outside: 'zeros',
    'border' (the edge pixel) or 'reflection' (the image mirrored at its edges).
    """
    from ..ops.torch_names import gather

    x = check_tensor("grid_sample", input)
    grid = check_tensor("grid_sample", grid, "grid")
    if x.ndim != 4:
        raise ValueError(f"grid_sample: expected a 4-d input (N, C, H, W), got shape "
                         f"{tuple(x.shape)} (5-d input is not supported)")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != x.shape[0]:
        raise ValueError(f"grid_sample: expected a grid of shape ({x.shape[0]}, Ho, Wo, 2) "
                         f"for input {tuple(x.shape)}, got {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    if x.dtype != grid.dtype:
        raise TypeError(f"grid_sample: input dtype {x.dtype} and grid dtype {grid.dtype} "
                        f"differ")
    ac = bool(align_corners)
    N, C, H, W = x.shape
    _, Ho, Wo, _ = grid.shape
    xp = x.xp
    ix = _source(grid[..., 0], W, padding_mode, ac)
    iy = _source(grid[..., 1], H, padding_mode, ac)
    flat = ops.reshape(x, (N, C, H * W))

    def corner(cx, cy):
        """x at integer pixels (cx, cy) (arrays (N, Ho, Wo)), 0 outside the image, and the
        mask of those inside."""
        inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
        k = xp.where(inside, cy * W + cx, 0).reshape(N, 1, Ho * Wo)
        k = Tensor._make(xp.broadcast_to(k, (N, C, Ho * Wo)), False)
        v = ops.reshape(gather(flat, 2, k), (N, C, Ho, Wo))
        return v, Tensor._make(inside[:, None].astype(x.dtype), False)

    if mode == "nearest":
        v, inside = corner(xp.round(ix.array).astype(np.int64),
                           xp.round(iy.array).astype(np.int64))
        return v * inside
    x0, y0 = xp.floor(ix.array), xp.floor(iy.array)
    fx = ops.unsqueeze(ix - Tensor._make(x0, False), 1)  # weight of column x0 + 1
    fy = ops.unsqueeze(iy - Tensor._make(y0, False), 1)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = None
    for dx, wx in ((0, 1.0 - fx), (1, fx)):
        for dy, wy in ((0, 1.0 - fy), (1, fy)):
            v, inside = corner(x0 + dx, y0 + dy)
            term = v * (wx * wy * inside)
            out = term if out is None else out + term
    return out
