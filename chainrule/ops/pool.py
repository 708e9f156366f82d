"""Pooling: max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d,
adaptive_max_pool1d/2d/3d, lp_pool1d/2d/3d and max_unpool1d/2d/3d.

A pooling window is visited as a loop over the kh*kw kernel offsets, each a strided slice of
the (padded) input with the output's shape, so every step is one vectorised NumPy call on
an output-sized array. Max pooling keeps the index of the winning offset (one byte per
output element) and its backward scatters the gradient there; average pooling's backward
spreads it evenly. Each backward is a linear op whose own backward is the forward gather
again, so second derivatives exist. The geometry is written for any number of spatial axes
(1-d runs as 2-d with a unit height); the 2x2 max-pool shortcuts are 2-d only.

Adaptive max pooling and max unpooling go through flat indices into each input plane, with
the differentiable ``gather`` and ``scatter``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .conv import (
    LAYOUTS,
    _channels_last,
    _kernel_slices,
    _to_first,
    batched,
    ntuple,
    pad_nchw,
)
from .torch_names import gather


class PoolGeometry:
    """Kernel, stride, dilation and padding ((before, after) per axis) of a pooling window,
    with the input and output sizes. The after padding may exceed the before one in
    ceil_mode."""

    __slots__ = ("kernel", "stride", "dilation", "pads", "in_size", "out_size")

    def __init__(self, kernel, stride, dilation, pads, in_size, out_size):
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.pads, self.in_size, self.out_size = pads, in_size, out_size

    def offsets(self):
        """(k, slice of the padded input) for each kernel offset k = i * kw + j (row-major
        over the kernel axes)."""
        all_ = slice(None)
        for k, sl in _kernel_slices(self.kernel, self.dilation, self.stride, self.out_size):
            yield k, (all_, all_, *sl)

    def overlapping(self):
        """True when windows share input positions (their gradients must add up)."""
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride,
                                                          self.dilation))

    def tiles(self):
        """True when the windows tile the unpadded input exactly (no overlap, no gaps)."""
        return not any(map(any, self.pads)) and all(
            s == k and d == 1 and o * s == n for k, s, d, o, n in
            zip(self.kernel, self.stride, self.dilation, self.out_size, self.in_size))

    def grad_buffer(self, gy, like=None):
        """The padded input gradient's buffer, channels-last when gy is (as a conv output
        is), or when ``like`` is if given; uninitialised only where the windows tile the
        input exactly."""
        xp = get_array_module(gy)
        padded = tuple(L + a + b for L, (a, b) in zip(self.in_size, self.pads))
        N, C = gy.shape[:2]
        new = xp.empty if self.tiles() else xp.zeros
        like = gy if like is None else like
        if _channels_last(like):
            return new((N, *padded, C), gy.dtype).transpose(_to_first(len(padded)))
        return new((N, C, *padded), gy.dtype)

    def crop(self, gxp):
        return gxp[(slice(None), slice(None)) + tuple(
            slice(a, a + L) for L, (a, _) in zip(self.in_size, self.pads))]


# -- max pooling ------------------------------------------------------------------------------


class MaxPool(Function):
    """y = the largest element of each window; ``index()`` gives the winning kernel offset
    (the first one on ties, as PyTorch)."""

    saves_inputs = False
    wants_recording = True  # forward finds the winning offsets only for a recorded call

    def __init__(self, geometry: PoolGeometry):
        self.g = geometry
        self.idx = self._x = None  # saved by forward (or index())

    def forward(self, x):
        g = self.g
        if g.kernel == g.stride == (2, 2) and g.dilation == (1, 1) and not any(
                p for pp in g.pads for p in pp):
            return self._forward_2x2(x)
        xp = get_array_module(x)
        fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        x = pad_nchw(x, self.g.pads, fill)
        y = idx = None
        n = math.prod(self.g.kernel)
        for k, sl in self.g.offsets():
            v = x[sl]
            if y is None:
                y = v.copy(order="K")
                idx = xp.zeros_like(y, dtype=np.uint8 if n <= 256 else np.int32)
                continue
            # Offsets come in increasing k, so "idx = k where v > y" is max(idx, k * (v > y)):
            # branch-free, unlike a masked assignment.
            gt = (v > y).view(np.uint8)
            xp.maximum(idx, gt * idx.dtype.type(k), out=idx)
            xp.maximum(y, v, out=y)
        self.save(idx=idx)
        return y

    def _forward_2x2(self, x):
        """2x2 windows with stride 2, in the input's memory layout, in output-sized calls.
        Recorded for backward, it finds the winning offsets on the way (the two row
        maxima give both the output and which row wins); otherwise it computes the output
        alone and leaves the offsets to ``index()``, which then reads the input again."""
        xp = get_array_module(x)
        Ho, Wo = self.g.out_size
        x = x[:, :, : 2 * Ho, : 2 * Wo]
        x00, x01 = x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]
        x10, x11 = x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]
        if not self.recording:
            y = xp.maximum(x00, x01)
            xp.maximum(y, x10, out=y)
            xp.maximum(y, x11, out=y)
            self.save(_x=x)
            return y
        m0 = xp.maximum(x00, x01)
        m1 = xp.empty_like(m0)
        N, C, Ho, Wo = m0.shape
        if x.strides[1] < x.strides[3]:  # keep the index in the input's layout
            idx = xp.empty((N, Ho, Wo, C), np.uint8).transpose(0, 3, 1, 2)
        else:
            idx = xp.empty((N, C, Ho, Wo), np.uint8)
        xp.maximum(x10, x11, out=m1)
        _first_max_2x2(x00, x01, x10, x11, m1 > m0, idx)
        xp.maximum(m0, m1, out=m0)
        self.save(idx=idx)
        return m0

    def index(self):
        """The winning kernel offset k = i * kw + j of each window, as an array shaped like
        the output."""
        if self.idx is None and self._x is not None:
            xp = get_array_module(self._x)
            x = self._x
            x00, x01 = x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]
            x10, x11 = x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]
            row = xp.maximum(x10, x11) > xp.maximum(x00, x01)
            idx = xp.empty(row.shape, np.uint8)
            _first_max_2x2(x00, x01, x10, x11, row, idx)
            self.save(idx=idx, _x=None)
        return self.idx

    def backward(self, gy):
        return _MaxPoolScatter(self.g, self.index())(gy)



def _first_max_2x2(x00, x01, x10, x11, row, out):
    """The offset 2 * i + j of the first maximum, in row-major order, of each 2x2 window
    (x00, x01 / x10, x11), into uint8 ``out``, given ``row``: whether row 1's maximum is
    strictly larger. The first column of the winning row wins its ties, as row 0 wins the
    ties between rows."""
    xp = get_array_module(out)
    col = x01 > x00
    t = x11 > x10
    t ^= col
    t &= row
    col ^= t  # x11 > x10 where row 1 wins, x01 > x00 elsewhere
    xp.left_shift(row.view(np.uint8), np.uint8(1), out=out)
    out |= col.view(np.uint8)


class _MaxPoolScatter(Function):
    """gx: each output gradient added at the input position its window's maximum came from."""

    saves_inputs = False

    def __init__(self, geometry, idx):
        self.g, self.idx = geometry, idx

    def forward(self, gy):
        g = self.g
        xp = get_array_module(gy)
        select = not bool(xp.isfinite(gy).all())
        blocks = g.stride == g.kernel and g.dilation == (1, 1)  # (2-d only)
        if blocks and g.tiles():
            return _scatter_blocks(gy, self.idx, g.kernel, select)
        gx = g.grad_buffer(gy, like=self.idx if blocks else None)
        if blocks:  # adjacent windows, with padding or a remainder no window reaches
            (kh, kw), (Ho, Wo) = g.kernel, g.out_size
            gx[:, :, : Ho * kh, : Wo * kw] = _scatter_blocks(gy, self.idx, g.kernel, select)
        elif g.overlapping():
            for k, sl in g.offsets():
                gx[sl] += _masked(xp, gy, self.idx == k, select)
        else:  # each input position is in one window: write, don't add
            for k, sl in g.offsets():
                _masked(xp, gy, self.idx == k, select, out=gx[sl])
        return g.crop(gx)

    def backward(self, ggx):
        return _MaxPoolGather(self.g, self.idx)(ggx)


def _masked(xp, a, mask, select, out=None):
    """``a`` where ``mask``, 0 elsewhere (into ``out`` if given). Multiplying by the 0/1 mask
    is several times faster than a select into a strided slice and equal wherever ``a`` is
    finite, so the caller selects only when ``a`` holds inf or NaN: 0 * inf would put NaN
    where PyTorch's scatter leaves 0."""
    if not select:
        return xp.multiply(a, mask, out=out)
    if out is None:
        return xp.where(mask, a, xp.zeros((), a.dtype))
    out[...] = 0
    xp.copyto(out, a, where=mask)
    return out


def _scatter_blocks(gy, idx, kernel, select=False):
    """_MaxPoolScatter's product for windows that are adjacent blocks (stride = kernel, no
    dilation): the gradient of the (N, C, Ho*kh, Wo*kw) region the windows cover, written
    one kernel offset at a time into its strided slice of the region, each a multiply in
    the input's memory layout (a single 6-d broadcast instead runs NumPy's inner loop over
    the kw elements of a window, many times slower)."""
    xp = get_array_module(gy)
    N, C, Ho, Wo = gy.shape
    kh, kw = kernel
    if idx.strides[1] < idx.strides[3]:  # the input was channels last: keep it so
        # One layout for all operands: a mixed-layout multiply is many times slower.
        gym = xp.ascontiguousarray(gy.transpose(0, 2, 3, 1))
        im = idx.transpose(0, 2, 3, 1)
        gx = xp.empty((N, Ho, kh, Wo, kw, C), gy.dtype)
        for i in range(kh):
            for j in range(kw):
                _masked(xp, gym, im == i * kw + j, select, out=gx[:, :, i, :, j, :])
        return gx.reshape(N, Ho * kh, Wo * kw, C).transpose(0, 3, 1, 2)
    gy, idx = xp.ascontiguousarray(gy), xp.ascontiguousarray(idx)
    gx = xp.empty((N, C, Ho, kh, Wo, kw), gy.dtype)
    for i in range(kh):
        for j in range(kw):
            _masked(xp, gy, idx == i * kw + j, select, out=gx[:, :, :, i, :, j])
    return gx.reshape(N, C, Ho * kh, Wo * kw)


class _MaxPoolGather(Function):
    """The transpose of ``_MaxPoolScatter``: each window's value at its maximum's position."""

    saves_inputs = False

    def __init__(self, geometry, idx):
        self.g, self.idx = geometry, idx

    def forward(self, x):
        xp = get_array_module(x)
        x = pad_nchw(x, self.g.pads)
        select = not bool(xp.isfinite(x).all())
        y = xp.zeros(self.idx.shape, x.dtype)
        for k, sl in self.g.offsets():
            y += _masked(xp, x[sl], self.idx == k, select)
        return y

    def backward(self, gy):
        return _MaxPoolScatter(self.g, self.idx)(gy)


# -- average pooling --------------------------------------------------------------------------


class _WindowSum(Function):
    """y = sum over each window of the zero-padded input, times ``scale`` (a scalar or an
    (Ho, Wo) array of 1 / divisor)."""

    saves_inputs = False

    def __init__(self, geometry, scale):
        self.g, self.scale = geometry, scale

    def forward(self, x):
        x = pad_nchw(x, self.g.pads)
        y = None
        for _, sl in self.g.offsets():
            if y is None:
                y = x[sl].copy(order="K")
            else:
                y += x[sl]
        y *= self.scale
        return y

    def backward(self, gy):
        return _WindowSpread(self.g, self.scale)(gy)


class _WindowSpread(Function):
    """The transpose of ``_WindowSum``: gy * scale added to every position of its window."""

    saves_inputs = False

    def __init__(self, geometry, scale):
        self.g, self.scale = geometry, scale

    def forward(self, gy):
        gx = self.g.grad_buffer(gy)
        g = gy * self.scale
        overlapping = self.g.overlapping()
        for _, sl in self.g.offsets():
            if overlapping:
                gx[sl] += g
            else:
                gx[sl] = g
        return self.g.crop(gx)

    def backward(self, ggx):
        return _WindowSum(self.g, self.scale)(ggx)


# -- argument handling ------------------------------------------------------------------------


def _out_len(L, k, s, p, d, ceil_mode):
    span = L + 2 * p - d * (k - 1) - 1
    o = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= L + p:  # the last window must start inside the input
        o -= 1
    return o


def _geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode, nd):
    k = ntuple(name, "kernel_size", kernel_size, nd, 1)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else ntuple(
        name, "stride", stride, nd, 1)
    p = ntuple(name, "padding", padding, nd)
    d = ntuple(name, "dilation", dilation, nd, 1)
    if any(pi * 2 > ki for pi, ki in zip(p, k)):
        raise ValueError(
            f"{name}: padding {p} should be at most half of the kernel size {k}"
        )
    size = x.shape[2:]
    out = []
    for L, ki, si, pi, di in zip(size, k, s, p, d):
        if di * (ki - 1) + 1 > L + 2 * pi:
            dims = "x".join(str(n + 2 * q) for n, q in zip(size, p))
            ks = "x".join(str(di * (ki - 1) + 1) for ki, di in zip(k, d))
            raise ValueError(
                f"{name}: kernel {ks} is larger than the padded input {dims} (input shape "
                f"{tuple(x.shape)})"
            )
        out.append(_out_len(L, ki, si, pi, di, ceil_mode))
    # Right padding: enough for the last window (ceil_mode may need more than p).
    pads = tuple(
        (pi, max(pi, (o - 1) * si + di * (ki - 1) + 1 - L - pi))
        for L, ki, si, pi, di, o in zip(size, k, s, p, d, out)
    )
    if nd == 1:
        return PoolGeometry((1,) + k, (1,) + s, (1,) + d, ((0, 0),) + pads, (1,) + size,
                            (1,) + tuple(out)), (k, s, p)
    return PoolGeometry(k, s, d, pads, size, tuple(out)), (k, s, p)


def _as4d(name, input, nd):
    x, unbatched = batched(name, input, nd, LAYOUTS[nd])
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a numeric input, got dtype {x.dtype}")
    return x, unbatched


def _finish(y, nd, unbatched):
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    return y.reshape(y.shape[1:]) if unbatched else y


def max_pooling(name: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices, nd: int):
    """max_pool1d/2d/3d with PyTorch's arguments."""
    x, unbatched = _as4d(name, input, nd)
    g, _ = _geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode, nd)
    xx = x if nd != 1 else x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
    fn = MaxPool(g)
    y = _finish(fn(xx), nd, unbatched)
    if not return_indices:
        return y
    return y, _finish(Tensor._make(_flat_indices(g, fn.index()), False), nd, unbatched)


def _flat_indices(g, idx):
    """PyTorch's max-pool indices: the flat position h * W + w in each input plane
    ((d * H + h) * W + w in 3-d)."""
    xp = get_array_module(idx)
    nd = len(g.kernel)
    flat = 0
    for a, (off, s, d, (p, _), o, L) in enumerate(zip(
            xp.unravel_index(idx.astype(np.int64), g.kernel), g.stride, g.dilation, g.pads,
            g.out_size, g.in_size)):
        pos = xp.arange(o).reshape((o,) + (1,) * (nd - 1 - a)) * s - p + off * d
        flat = flat * L + pos
    return flat


def _divisor(L, k, s, p, o, count_include_pad):
    start = np.arange(o) * s - p
    end = np.minimum(start + k, L + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, L) - np.maximum(start, 0)


def avg_pooling(name: str, input: Tensor, kernel_size, stride, padding, ceil_mode,
                count_include_pad, divisor_override, nd: int) -> Tensor:
    """avg_pool1d/2d/3d with PyTorch's arguments."""
    x, unbatched = _as4d(name, input, nd)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got dtype {x.dtype}")
    g, (k, s, p) = _geometry(name, x, kernel_size, stride, padding, 1, ceil_mode, nd)
    xx = x if nd != 1 else x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{name}: divisor_override must be non-zero")
        scale = x.dtype.type(1.0 / divisor_override)
    else:
        divs = [_divisor(L, ki, si, pi, o, count_include_pad)
                for L, ki, si, pi, o in zip(x.shape[2:], k, s, p, g.out_size[-nd:])]
        div = functools.reduce(np.multiply.outer, divs)
        if (div == div.flat[0]).all():
            scale = x.dtype.type(1.0 / div.flat[0])
        else:
            xp = x.xp
            scale = xp.asarray((1.0 / div).astype(x.dtype))
    return _finish(_WindowSum(g, scale)(xx), nd, unbatched)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-d max pooling over (N, C, H, W) or (C, H, W) input, as PyTorch's.

    Padding is with -inf; ``stride`` defaults to ``kernel_size``. With
    ``return_indices=True`` also returns the flat index h * W + w of each maximum.
    """
    return max_pooling("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, 2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-d max pooling over (N, C, L) or (C, L) input, as PyTorch's."""
    return max_pooling("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, 1)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-d average pooling, as PyTorch's: the window sum over the divisor (the window area,
    the area inside the input with ``count_include_pad=False``, or ``divisor_override``)."""
    return avg_pooling("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override, 2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L) input, as PyTorch's."""
    return avg_pooling("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, None, 1)


# -- adaptive pooling -------------------------------------------------------------------------


def _adaptive_matrix(L: int, o: int, dtype):
    """(o, L) averaging matrix: row i averages x[floor(i L / o) : ceil((i + 1) L / o)]."""
    P = np.zeros((o, L), dtype)
    for i in range(o):
        a, b = (i * L) // o, -((-(i + 1) * L) // o)
        P[i, a:b] = 1.0 / (b - a)
    return P


def _adaptive_sizes(name, x, output_size, nd):
    """``output_size`` (an int or ``nd`` of them, None keeping that input size) as ints."""
    if output_size is None or isinstance(output_size, (int, np.integer)):
        sizes = (output_size,) * nd
    else:
        sizes = tuple(output_size)
        if len(sizes) != nd:
            raise ValueError(f"{name}: output_size must be an int or a tuple of {nd}, got "
                             f"{output_size!r}")
    sizes = tuple(L if o is None else int(o) for o, L in zip(sizes, x.shape[2:]))
    if any(o <= 0 for o in sizes):
        raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pooling(name: str, input: Tensor, output_size, nd: int) -> Tensor:
    """adaptive_avg_pool1d/2d/3d: a window average is separable, so it is a product of one
    (out, in) averaging matrix per axis."""
    from .linalg import einsum

    x, unbatched = batched(name, input, nd, LAYOUTS[nd])
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got dtype {x.dtype}")
    sizes = _adaptive_sizes(name, x, output_size, nd)
    xp = x.xp
    mats = [Tensor._make(xp.asarray(_adaptive_matrix(L, o, x.dtype)), False)
            for L, o in zip(x.shape[2:], sizes)]
    ins, outs = "dhw"[3 - nd:], "ijk"[:nd]
    y = einsum(f"nc{ins}," + ",".join(o + i for o, i in zip(outs, ins)) + f"->nc{outs}",
               x, *mats)
    return y.reshape(y.shape[1:]) if unbatched else y


def _adaptive_max_indices(a, sizes):
    """The flat index in its input plane of each adaptive window's first maximum, for
    (N, C, *spatial) array ``a``. All windows of an axis are read as one (out, kmax) index
    array, the shorter ones repeating their last element (which cannot change a maximum or
    which element comes first)."""
    xp = get_array_module(a)
    nd = len(sizes)
    idx, where = [], []
    for ax, (L, o) in enumerate(zip(a.shape[2:], sizes)):
        i = np.arange(o)
        start, end = (i * L) // o, -((-(i + 1) * L) // o)
        kmax = int((end - start).max())
        w = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)  # (o, kmax)
        where.append(w)
        shape = [1] * (2 * nd)
        shape[2 * ax: 2 * ax + 2] = w.shape
        idx.append(xp.asarray(w.reshape(shape)))
    win = a[(slice(None), slice(None)) + tuple(idx)]  # (N, C, o1, k1, o2, k2, ...)
    N, C = a.shape[:2]
    win = win.transpose((0, 1) + tuple(range(2, 2 + 2 * nd, 2)) + tuple(range(3, 3 + 2 * nd, 2)))
    best = win.reshape(N, C, *sizes, -1).argmax(axis=-1)
    offs = xp.unravel_index(best, tuple(w.shape[1] for w in where))
    flat = 0
    for ax, (w, off, L) in enumerate(zip(where, offs, a.shape[2:])):
        rows = xp.arange(w.shape[0]).reshape((-1,) + (1,) * (nd - 1 - ax))
        flat = flat * L + xp.asarray(w)[rows, off]
    return flat


def adaptive_max_pooling(name: str, input: Tensor, output_size, return_indices: bool,
                         nd: int):
    """adaptive_max_pool1d/2d/3d: the indices of the window maxima are found on arrays, then
    the output is a differentiable ``gather`` of them (its gradient a scatter-add, which
    windows that overlap need)."""
    x, unbatched = _as4d(name, input, nd)
    sizes = _adaptive_sizes(name, x, output_size, nd)
    N, C = x.shape[:2]
    flat = _adaptive_max_indices(x.array, sizes)
    idx = Tensor._make(flat.reshape(N, C, -1), False)
    y = gather(x.reshape(N, C, -1), 2, idx).reshape(x.shape[:2] + sizes)
    y = y.reshape(y.shape[1:]) if unbatched else y
    if not return_indices:
        return y
    idx = idx.reshape(x.shape[:2] + sizes)
    return y, (idx.reshape(idx.shape[1:]) if unbatched else idx)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (out_h, out_w) output (an int, a pair; None keeps that
    input size), with PyTorch's windows [floor(i H / out), ceil((i + 1) H / out))."""
    return adaptive_avg_pooling("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) input to a fixed output length."""
    return adaptive_avg_pooling("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) input to a fixed (out_d, out_h, out_w) size."""
    return adaptive_avg_pooling("adaptive_avg_pool3d", input, output_size, 3)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) input to a fixed output length, PyTorch's windows
    [floor(i L / out), ceil((i + 1) L / out)); with ``return_indices`` also the flat index
    of each maximum."""
    return adaptive_max_pooling("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) input to a fixed (out_h, out_w) size (an int, a pair;
    None keeps that input size); with ``return_indices`` also the flat index h * W + w of
    each maximum."""
    return adaptive_max_pooling("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) input to a fixed (out_d, out_h, out_w) size."""
    return adaptive_max_pooling("adaptive_max_pool3d", input, output_size, return_indices, 3)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool1d`` returning (output, indices), as PyTorch's."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d`` returning (output, indices), as PyTorch's."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool3d`` returning (output, indices), as PyTorch's."""
    return adaptive_max_pool3d(input, output_size, True)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) input, as PyTorch's; indices are
    the flat (d * H + h) * W + w of each maximum."""
    return max_pooling("max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, 3)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W) input, as PyTorch's."""
    return avg_pooling("avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override, 3)


# -- power-average pooling --------------------------------------------------------------------


def lp_pooling(name: str, input: Tensor, norm_type, kernel_size, stride, ceil_mode,
               nd: int) -> Tensor:
    """lp_pool1d/2d/3d: (sum over the window of x^p)^(1/p), as PyTorch computes it: an
    average pool of x^p times the window size, with the sign kept through the power."""
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or norm_type == 0:
        raise ValueError(f"{name}: norm_type must be a non-zero number, got {norm_type!r}")
    k = ntuple(name, "kernel_size", kernel_size, nd, 1)
    out = avg_pooling(name, input ** norm_type, kernel_size, stride, 0, ceil_mode, True, None,
                      nd)
    return (out.sign() * out.abs().relu() * float(math.prod(k))) ** (1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """1-d power-average pooling: y = (sum over each window of x^p)^(1/p), p = norm_type
    (p = 1 a sum pooling; large p approaches max pooling)."""
    return lp_pooling("lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """2-d power-average pooling: y = (sum over each window of x^p)^(1/p), p = norm_type."""
    return lp_pooling("lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """3-d power-average pooling: y = (sum over each window of x^p)^(1/p), p = norm_type."""
    return lp_pooling("lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode, 3)


# -- max unpooling ----------------------------------------------------------------------------


def max_unpooling(name: str, input: Tensor, indices, kernel_size, stride, padding,
                  output_size, nd: int) -> Tensor:
    """max_unpool1d/2d/3d: each input value written at its flat index into a zero output
    plane (a differentiable ``scatter``; its gradient reads the output gradient there)."""
    from ._convert import as_tensor
    from .stats import scatter

    x, unbatched = batched(name, input, nd, LAYOUTS[nd])
    idx = as_tensor(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {idx.dtype}")
    if tuple(idx.shape) != tuple(input.shape):
        raise ValueError(f"{name}: indices of shape {tuple(idx.shape)} must have the input's "
                         f"shape {tuple(input.shape)}")
    k = ntuple(name, "kernel_size", kernel_size, nd, 1)
    s = k if stride is None else ntuple(name, "stride", stride, nd, 1)
    p = ntuple(name, "padding", padding, nd)
    default = tuple((L - 1) * si - 2 * pi + ki for L, si, pi, ki in zip(x.shape[2:], s, p, k))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)
        if len(out) == nd + 2:  # a whole (N, C, *spatial) shape, as PyTorch accepts
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"{name}: output_size must have {nd} (or {nd + 2}) entries, got "
                             f"{tuple(output_size)}")
        for o, d, si in zip(out, default, s):
            if not d - si < o < d + si:
                raise ValueError(
                    f"{name}: output_size {out} must be within one stride {s} of the default "
                    f"size {default} (input shape {tuple(input.shape)})")
    N, C = x.shape[:2]
    plane = math.prod(out)
    flat = idx.reshape(N, C, -1)
    if flat.numel() and (int(flat.array.min()) < 0 or int(flat.array.max()) >= plane):
        raise ValueError(f"{name}: indices must lie in [0, {plane}) for output size {out}, got "
                         f"values from {int(flat.array.min())} to {int(flat.array.max())}")
    y = scatter(x.new_zeros((N, C, plane)), 2, flat, x.reshape(N, C, -1))
    y = y.reshape((N, C) + out)
    return y.reshape(y.shape[1:]) if unbatched else y


def max_unpool1d(input: Tensor, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool1d``: values placed at their ``indices`` (as
    returned with ``return_indices=True``) in a zero output, of length (L - 1) * stride -
    2 * padding + kernel_size unless ``output_size`` says otherwise."""
    return max_unpooling("max_unpool1d", input, indices, kernel_size, stride, padding,
                         output_size, 1)


def max_unpool2d(input: Tensor, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool2d``: values placed at their flat ``indices`` in a
    zero (N, C, H, W) output."""
    return max_unpooling("max_unpool2d", input, indices, kernel_size, stride, padding,
                         output_size, 2)


def max_unpool3d(input: Tensor, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool3d``: values placed at their flat ``indices`` in a
    zero (N, C, D, H, W) output."""
    return max_unpooling("max_unpool3d", input, indices, kernel_size, stride, padding,
                         output_size, 3)
