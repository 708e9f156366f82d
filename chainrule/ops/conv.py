"""Convolution: conv1d/2d/3d and conv_transpose1d/2d/3d as one GEMM over an im2col view.

Layouts are PyTorch's: input (N, C, H, W), weight (out, in/groups, kh, kw) for a
convolution and (in, out/groups, kh, kw) for a transposed one (3-d: one more spatial axis,
D before H; 1-d runs as 2-d with a unit height). Inside, the im2col matrix is
laid out (N, Ho, Wo | groups, kh, kw, C/groups): channels last, so that one GEMM gives the
output as an (N*Ho*Wo, out) matrix, returned as an (N, out, Ho, Wo) view of it with no copy.
The array functions are written for any number of spatial axes; for two they make the same
NumPy calls as a 2-d-only version would.
An input that is channels-last in memory (the output of a previous convolution) makes the
im2col copy read contiguous channel runs.

Three Functions make up the op and its derivatives, as in Chainer:

    y  = Conv(x, W)               forward
    gx = ConvGradInput(W, gy)     its transpose in x (also the transposed convolution)
    gW = ConvGradWeight(x, gy)    its transpose in W

Each is linear in each argument, and the backward of each is written with the other two,
so derivatives of any order exist.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._convert import check_tensor
from .linalg import sum_rows


class ConvGeometry:
    """Stride, padding ((before, after) per spatial axis, e.g. ((top, bottom), (left,
    right))), dilation and groups of a conv."""

    __slots__ = ("stride", "pads", "dilation", "groups")

    def __init__(self, stride, pads, dilation, groups):
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups

    def out_size(self, size, ksize):
        """The output's spatial sizes for input sizes ``size`` and kernel ``ksize``."""
        return tuple([(L + a + b - d * (k - 1) - 1) // s + 1 for L, k, s, (a, b), d in
                      zip(size, ksize, self.stride, self.pads, self.dilation)])


def _channels_last(x) -> bool:
    """Whether (N, C, *spatial) ``x`` has its channels innermost in memory."""
    return x.strides[1] < x.strides[-1]


# Axis orders, looked up rather than built: these helpers run several times per conv call,
# and building the tuples each time cost the small (batch-1) 2-d calls a few microseconds.
_FIRST = {nd: (0, nd + 1, *range(1, nd + 1)) for nd in (1, 2, 3)}
_LAST = {nd: (0, *range(2, nd + 2), 1) for nd in (1, 2, 3)}
_CG_LAST = {nd: (0, 1, *range(3, nd + 3), 2) for nd in (1, 2, 3)}  # (G, O/G, Cg, *k) order


def _to_first(nd):
    """The axes that turn (N, *spatial, C) into (N, C, *spatial)."""
    return _FIRST[nd]


def _to_last(nd):
    """The axes that turn (N, C, *spatial) into (N, *spatial, C)."""
    return _LAST[nd]


def _inner(size, pads):
    """The index of the unpadded region inside a padded (N, C, *spatial) array."""
    return (slice(None), slice(None), *[slice(a, a + L) for L, (a, _) in zip(size, pads)])


def _kernel_slices(ksize, dilation, stride, out):
    """For each kernel offset (row-major): its flat number and the slices of the padded
    spatial axes that it reads for every output position."""
    axes = [[slice(i * d, i * d + s * (o - 1) + 1, s) for i in range(k)]
            for k, d, s, o in zip(ksize, dilation, stride, out)]
    return enumerate(itertools.product(*axes))


def _read_only(xp) -> dict:
    """``as_strided``'s argument for a read-only view: NumPy takes one, CuPy has no flag."""
    return {"writeable": False} if xp is np else {}


def pad_nchw(x, pads, value=0):
    """Pad the spatial axes of (N, C, *spatial) ``x`` by ``pads`` ((before, after) per
    axis), keeping its memory layout (channels-last stays channels-last)."""
    if not any(map(any, pads)):  # (map, not a generator: this runs on every call)
        return x
    xp = get_array_module(x)
    N, C, *size = x.shape
    padded = [L + a + b for L, (a, b) in zip(size, pads)]
    if x.strides[1] < x.strides[-1]:  # channels last in memory
        out = xp.empty((N, *padded, C), x.dtype).transpose(_FIRST[len(size)])
    else:
        out = xp.empty((N, C, *padded), x.dtype)
    out[...] = value
    out[_inner(size, pads)] = x
    return out


def _im2col(x, ksize, out, g):
    """The (N*Ho*Wo, groups, kh*kw*C/groups) im2col matrix of padded input ``x`` (kernel
    ``ksize``, output sizes ``out``): one copy out of a strided view.

    For a channels-last input the copy reads contiguous channel runs and the matrix is
    row-major. Otherwise (a plain NCHW input, such as a first layer's images) it reads
    contiguous runs along W, so the matrix is stored transposed, (groups, kh*kw*C/groups,
    N*Ho*Wo), and returned as a view: NumPy hands either layout to the GEMM without a copy.
    """
    xp = get_array_module(x)
    N, C = x.shape[:2]
    G = g.groups
    Cg = C // G
    sN, sC, *sS = x.strides
    steps = [st * s for st, s in zip(sS, g.stride)]  # one output step per axis
    taps = [st * d for st, d in zip(sS, g.dilation)]  # one kernel step per axis
    M, K = N * math.prod(out), math.prod(ksize) * Cg
    if sC < sS[-1]:  # channels last
        shape = (N, *out, G, *ksize, Cg)
        view = xp.lib.stride_tricks.as_strided(
            x, shape, (sN, *steps, sC * Cg, *taps, sC), **_read_only(xp))
        col = xp.empty(shape, x.dtype)
        col[...] = view
        return col.reshape(M, G, K)
    shape = (G, *ksize, Cg, N, *out)
    view = xp.lib.stride_tricks.as_strided(
        x, shape, (sC * Cg, *taps, sC, sN, *steps), **_read_only(xp))
    col = xp.empty(shape, x.dtype)
    col[...] = view
    return col.reshape(G, K, M).transpose(2, 0, 1)


def _weight_matrix(W, G):
    """(O, Cg, kh, kw) weights as (G, O/G, kh*kw*Cg), matching the im2col column order."""
    O, Cg, *ksize = W.shape
    return W.reshape(G, O // G, Cg, *ksize).transpose(_CG_LAST[len(ksize)]).reshape(
        G, O // G, -1)


def _rows(gy):
    """(N, O, Ho, Wo) as an (N*Ho*Wo, O) matrix (free when gy is channels-last)."""
    O = gy.shape[1]
    return gy.transpose(_to_last(gy.ndim - 2)).reshape(-1, O)


def conv_forward(x, W, b, g: ConvGeometry, col=None):
    """y = conv(x, W) + b on arrays; returns (y, col)."""
    xp = get_array_module(x)
    N = x.shape[0]
    O, _, *ksize = W.shape
    G = g.groups
    out = g.out_size(x.shape[2:], ksize)
    if col is None:
        col = _im2col(pad_nchw(x, g.pads), ksize, out, g)
    Wm = _weight_matrix(W, G)
    if G == 1:
        y = col[:, 0] @ Wm[0].T
    else:  # one batched GEMM over the groups
        y = xp.matmul(col.transpose(1, 0, 2), Wm.transpose(0, 2, 1))
        y = y.transpose(1, 0, 2).reshape(-1, O)
    if b is not None:
        y += b
    return y.reshape(N, *out, O).transpose(_to_first(len(out))), col


def conv_grad_weight(x, gy, ksize, g: ConvGeometry, col=None):
    """The gradient of conv(x, W) in W (kernel sizes ``ksize``) for output gradient gy, on
    arrays."""
    xp = get_array_module(gy)
    O = gy.shape[1]
    C = x.shape[1]
    G = g.groups
    if col is None:
        col = _im2col(pad_nchw(x, g.pads), ksize, gy.shape[2:], g)
    gy2 = _rows(gy)
    if G == 1:
        # (col^T gy)^T, not gy^T col: OpenBLAS runs this long-K product faster this way round.
        gWm = (col[:, 0].T @ gy2).T
    else:
        gWm = xp.matmul(gy2.reshape(-1, G, O // G).transpose(1, 2, 0), col.transpose(1, 0, 2))
    gW = gWm.reshape(O, *ksize, C // G).transpose(_to_first(len(ksize)))
    return xp.ascontiguousarray(gW)


def conv_grad_input(W, gy, x_shape, g: ConvGeometry):
    """The gradient of conv(x, W) in x (x of shape ``x_shape``) for output gradient gy:
    col2im as a loop over the kernel offsets, each a GEMM giving that offset's columns as a
    contiguous (N*Ho*Wo, Cg) block per group, added into a strided slice of the padded
    gradient. One offset's block at a time: the whole column matrix would be kh*kw times
    the size, for no speed gained."""
    xp = get_array_module(gy)
    N, O, *out = gy.shape
    _, C, *size = x_shape
    _, Cg, *ksize = W.shape
    G, nd = g.groups, len(out)
    # (K, G, O/G, Cg): the weights of each kernel offset, row-major over the offsets
    Wk = xp.ascontiguousarray(W.reshape(G, O // G, Cg, -1).transpose(3, 0, 1, 2))
    gyg = _rows(gy).reshape(-1, G, O // G).transpose(1, 0, 2)  # (G, M, O/G)
    block = xp.empty((G, N * math.prod(out), Cg), gy.dtype)
    # a view of block as (N, *out, G, Cg)
    cols = block.reshape(G, N, *out, Cg).transpose(1, *range(2, nd + 2), 0, nd + 2)
    padded = [L + a + b for L, (a, b) in zip(size, g.pads)]
    gx = xp.zeros((N, *padded, G, Cg), gy.dtype)
    for k, sl in _kernel_slices(ksize, g.dilation, g.stride, out):
        xp.matmul(gyg, Wk[k], out=block)
        gx[(slice(None), *sl)] += cols
    gx = gx.reshape(N, *padded, C)[_inner(size, g.pads)[1:]]
    return gx.transpose(_FIRST[nd])


class Conv(Function):
    """y = conv2d(x, W) (+ b), the bias added in place to the GEMM's output."""

    def __init__(self, geometry: ConvGeometry):
        self.g = geometry
        self.col = None

    def forward(self, x, W, b=None):
        y, col = conv_forward(x, W, b, self.g)
        self.save(col=col)
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        need = self.needs_grad
        gx = ConvGradInput(self.g, x.shape)(W, gy) if need[0] else None
        gW = ConvGradWeight(self.g, W.shape[2:], self.col)(x, gy) if need[1] else None
        gb = gy.sum(axis=(0, *range(2, gy.ndim))) if len(need) > 2 and need[2] else None
        return (gx, gW, gb)[: len(need)]  # one gradient per input: none for a missing bias

    def backward_array(self, gy):
        x, W = self.inputs[0].array, self.inputs[1].array
        need = self.needs_grad
        gx = conv_grad_input(W, gy, x.shape, self.g) if need[0] else None
        gW = conv_grad_weight(x, gy, W.shape[2:], self.g, self.col) if need[1] else None
        # rows of the (N*Ho*Wo, out) matrix: one contiguous reduction
        gb = sum_rows(_rows(gy)) if len(need) > 2 and need[2] else None
        return (gx, gW, gb)[: len(need)]



class ConvGradInput(Function):
    """gx = the transpose of conv in x, applied to gy (also conv_transpose2d's forward)."""

    def __init__(self, geometry: ConvGeometry, x_shape):
        self.g, self.x_shape = geometry, tuple(x_shape)

    def forward(self, W, gy):
        return conv_grad_input(W, gy, self.x_shape, self.g)

    def backward(self, ggx):
        W, gy = self.inputs
        gW = ConvGradWeight(self.g, W.shape[2:])(ggx, gy) if self.needs_grad[0] else None
        ggy = Conv(self.g)(ggx, W) if self.needs_grad[1] else None
        return gW, ggy


class ConvGradWeight(Function):
    """gW = the transpose of conv in W, applied to gy."""

    def __init__(self, geometry: ConvGeometry, ksize, col=None):
        self.g, self.ksize, self.col = geometry, tuple(ksize), col

    def forward(self, x, gy):
        gW = conv_grad_weight(x, gy, self.ksize, self.g, self.col)
        self.col = None
        return gW

    def backward(self, ggW):
        x, gy = self.inputs
        gx = ConvGradInput(self.g, x.shape)(ggW, gy) if self.needs_grad[0] else None
        ggy = Conv(self.g)(x, ggW) if self.needs_grad[1] else None
        return gx, ggy


# -- argument checking ------------------------------------------------------------------------


def ntuple(name: str, arg: str, value, n: int, minimum: int = 0) -> tuple:
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints >= minimum."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        t = (int(value),) * n
    else:
        try:  # each entry an int: "a" and 2.5 are refused, not parsed or truncated
            t = tuple(int(v) for v in value
                      if isinstance(v, (int, np.integer)) and not isinstance(v, bool))
        except TypeError:
            t = ()
        if len(t) != n or len(t) != len(value):
            raise TypeError(f"{name}: {arg} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in t):
        raise ValueError(f"{name}: {arg} must be >= {minimum}, got {value!r}")
    return t


def batched(name: str, x, nd: int, layout: str):
    """``x`` with a batch axis (added for unbatched input) and whether one was added."""
    x = check_tensor(name, x)
    if x.ndim == nd + 2:
        return x, False
    if x.ndim == nd + 1:
        return x.reshape((1,) + x.shape), True
    unb = "(" + layout[4:]
    raise ValueError(
        f"{name}: expected a {nd + 2}-d input {layout} or {nd + 1}-d {unb}, got shape "
        f"{tuple(x.shape)}"
    )


def _check_weight(name, x, weight, bias, nd, groups, transposed):
    weight = check_tensor(name, weight, "weight")
    if weight.ndim != nd + 2:
        lay = "(in, out/groups, " if transposed else "(out, in/groups, "
        ks = {1: "k)", 2: "kh, kw)", 3: "kd, kh, kw)"}[nd]
        raise ValueError(
            f"{name}: expected a {nd + 2}-d weight {lay}{ks}, got shape {tuple(weight.shape)}"
        )
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    C = x.shape[1]
    if transposed:
        if weight.shape[0] != C:
            raise ValueError(
                f"{name}: expected input with {weight.shape[0]} channels, got "
                f"{tuple(x.shape)} (weight {tuple(weight.shape)})"
            )
        if C % groups:
            raise ValueError(f"{name}: in_channels {C} is not divisible by groups {groups}")
        out_ch = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != C:
            raise ValueError(
                f"{name}: expected input with {weight.shape[1] * groups} channels, got "
                f"{tuple(x.shape)} (weight {tuple(weight.shape)}, groups={groups})"
            )
        out_ch = weight.shape[0]
        if out_ch % groups:
            raise ValueError(
                f"{name}: out_channels {out_ch} (weight shape {tuple(weight.shape)}) is not "
                f"divisible by groups {groups}"
            )
    if weight.dtype != x.dtype:
        raise TypeError(
            f"{name}: input dtype {x.dtype} and weight dtype {weight.dtype} differ; cast one "
            f"of them (e.g. model.double() or x.float())"
        )
    if bias is not None:
        bias = check_tensor(name, bias, "bias")
        if bias.shape != (out_ch,):
            raise ValueError(
                f"{name}: expected a bias of shape ({out_ch},), got {tuple(bias.shape)}"
            )
        if bias.dtype != x.dtype:
            raise TypeError(f"{name}: input dtype {x.dtype} and bias dtype {bias.dtype} differ")
    return weight, bias


def _conv_pads(name, padding, ksize, dilation, stride, nd):
    """Padding as ((before, after), ...) per spatial axis; 'same' may be asymmetric."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride})"
                )
            tot = [d * (k - 1) for d, k in zip(dilation, ksize)]
            return tuple((t // 2, t - t // 2) for t in tot)
        raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got "
                         f"{padding!r}")
    p = ntuple(name, "padding", padding, nd)
    return tuple((v, v) for v in p)


def _to2d(nd, *tuples):
    """1-d parameters as 2-d ones with a unit height axis."""
    if nd != 1:
        return tuples
    return tuple(((0, 0),) + t if t and isinstance(t[0], tuple) else (1,) + t for t in tuples)


LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
AXES = {1: "L", 2: "HW", 3: "DHW"}


def convolution(name: str, input: Tensor, weight: Tensor, bias, stride, padding, dilation,
                groups: int, nd: int) -> Tensor:
    """conv1d/2d/3d: check the arguments, then one ``Conv`` op (1-d on a 4-d layout)."""
    x, unbatched = batched(name, input, nd, LAYOUTS[nd])
    weight, bias = _check_weight(name, x, weight, bias, nd, groups, False)
    stride = ntuple(name, "stride", stride, nd, 1)
    dilation = ntuple(name, "dilation", dilation, nd, 1)
    ksize = weight.shape[2:]
    pads = _conv_pads(name, padding, ksize, dilation, stride, nd)
    for L, k, d, (a, b), ax in zip(x.shape[2:], ksize, dilation, pads, AXES[nd]):
        if d * (k - 1) + 1 > L + a + b:
            raise ValueError(
                f"{name}: kernel size {d * (k - 1) + 1} (dilated) is larger than the padded "
                f"input size {L + a + b} along {ax} (input shape {tuple(input.shape)})"
            )
    if nd == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
        weight = weight.reshape(weight.shape[:2] + (1,) + weight.shape[2:])
    stride, pads, dilation = _to2d(nd, stride, pads, dilation)
    g = ConvGeometry(stride, pads, dilation, int(groups))
    args = (x, weight) if bias is None else (x, weight, bias)
    y = Conv(g)(*args)
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    return y.reshape(y.shape[1:]) if unbatched else y


def transposed_convolution(name: str, input: Tensor, weight: Tensor, bias, stride, padding,
                           output_padding, groups: int, dilation, nd: int) -> Tensor:
    """conv_transpose1d/2d/3d: the gradient of a convolution in its input, run forward."""
    x, unbatched = batched(name, input, nd, LAYOUTS[nd])
    weight, bias = _check_weight(name, x, weight, bias, nd, groups, True)
    stride = ntuple(name, "stride", stride, nd, 1)
    dilation = ntuple(name, "dilation", dilation, nd, 1)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
    padding = ntuple(name, "padding", padding, nd)
    opad = ntuple(name, "output_padding", output_padding, nd)
    for op, s, d in zip(opad, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"{name}: output_padding {opad} must be smaller than stride {stride} or "
                f"dilation {dilation}"
            )
    ksize = weight.shape[2:]
    out = tuple(
        (L - 1) * s - 2 * p + d * (k - 1) + op + 1
        for L, s, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, ksize, opad)
    )
    if any(o <= 0 for o in out):
        raise ValueError(
            f"{name}: the output size {out} is not positive (input {tuple(input.shape)}, "
            f"padding {padding})"
        )
    # The output is the 'input' of the convolution this op is the transpose of; its
    # output_padding rows lie past the last window and stay zero.
    pads = tuple((p, p) for p in padding)
    c_out = weight.shape[1] * groups
    if nd == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
        weight = weight.reshape(weight.shape[:2] + (1,) + weight.shape[2:])
        out = (1,) + out
    stride, pads, dilation = _to2d(nd, stride, pads, dilation)
    g = ConvGeometry(stride, pads, dilation, int(groups))
    y = ConvGradInput(g, (x.shape[0], c_out) + out)(weight, x)
    if bias is not None:
        y = y + bias.reshape((1, -1) + (1,) * (y.ndim - 2))
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    return y.reshape(y.shape[1:]) if unbatched else y


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation) of (N, C, L) input with (out, C/groups, k) weight.

    ``padding`` is an int, a 1-tuple, ``'valid'`` or ``'same'``.
    """
    return convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    y[n, o, h, w] = b[o] + sum_{c,i,j} W[o, c, i, j] x[n, g*C/G + c, h*s + i*d, w*s + j*d]
    (x zero-padded). ``padding`` is an int, a pair, ``'valid'`` or ``'same'``.

    >>> F.conv2d(cr.randn(8, 1, 28, 28), cr.randn(32, 1, 3, 3)).shape   # (8, 32, 26, 26)
    """
    return convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution with (in, out/groups, kh, kw) weight, as PyTorch's.

    Output size: (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    return transposed_convolution("conv_transpose2d", input, weight, bias, stride, padding,
                                  output_padding, groups, dilation, 2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution with (in, out/groups, k) weight, as PyTorch's."""
    return transposed_convolution("conv_transpose1d", input, weight, bias, stride, padding,
                                  output_padding, groups, dilation, 1)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-d convolution (cross-correlation) of (N, C, D, H, W) input with (out, C/groups,
    kd, kh, kw) weight, as ``torch.nn.functional.conv3d``.

    ``padding`` is an int, a triple, ``'valid'`` or ``'same'``.

    >>> F.conv3d(cr.randn(2, 1, 8, 8, 8), cr.randn(4, 1, 3, 3, 3)).shape   # (2, 4, 6, 6, 6)
    """
    return convolution("conv3d", input, weight, bias, stride, padding, dilation, groups, 3)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution with (in, out/groups, kd, kh, kw) weight, as PyTorch's.

    Output size per axis: (L - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1.
    """
    return transposed_convolution("conv_transpose3d", input, weight, bias, stride, padding,
                                  output_padding, groups, dilation, 3)
