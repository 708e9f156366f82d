"""Normalization: batch_norm, layer_norm and group_norm, one fused op with a closed-form
backward; rms_norm and local_response_norm composed from ops.

Over the normalized axes (M elements each),

    xhat = (x - mean(x)) / sqrt(var(x) + eps),    y = xhat * w + b
    gx   = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var(x) + eps),   g = gy * w
    gw   = sum(gy * xhat),    gb = sum(gy)          (over the axes w and b broadcast along)

With graph recording on (``create_graph=True``) the same gradient is built from chainrule
ops instead, so it can be differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._convert import check_tensor
from .reduce import sum_to_array


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over ``axes`` (w, b optional, broadcast to x).

    The batch mean and (biased) variance stay on the node as ``mean`` and ``var`` for
    BatchNorm's running statistics.
    """

    def __init__(self, axes, eps):
        self.axes, self.eps = axes, eps

    def forward(self, x, w=None, b=None):
        xp = get_array_module(x)
        axes = self.axes
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = xp.mean(xc * xc, axis=axes, keepdims=True)
        invstd = 1.0 / xp.sqrt(var + x.dtype.type(self.eps))
        xc *= invstd
        self.save(mean=mean, var=var, invstd=invstd, xhat=xc)
        if w is None:
            return xc.copy() if b is None else xc + b
        y = xc * w
        if b is not None:
            y += b
        return y

    def backward_array(self, gy):
        w = self.inputs[1].array if len(self.inputs) > 1 else None
        axes, xhat = self.axes, self.xhat
        need = self.needs_grad
        gx = gw = gb = None
        if need[0]:
            g = gy if w is None else gy * w
            gx = g - g.mean(axis=axes, keepdims=True)
            gx -= xhat * (g * xhat).mean(axis=axes, keepdims=True)
            gx *= self.invstd
        if len(need) > 1 and need[1]:
            gw = sum_to_array(gy * xhat, w.shape)
        if len(need) > 2 and need[2]:
            gb = sum_to_array(gy, self.inputs[2].shape)
        return (gx, gw, gb)[: len(need)]

    def backward(self, gy):
        """The same gradient from chainrule ops, recomputed from x so it has a graph."""
        x = self.inputs[0]
        w = self.inputs[1] if len(self.inputs) > 1 else None
        axes = self.axes
        xc = x - x.mean(axis=axes, keepdims=True)
        invstd = ((xc * xc).mean(axis=axes, keepdims=True) + self.eps) ** -0.5
        xhat = xc * invstd
        g = gy if w is None else gy * w
        gx = (g - g.mean(axis=axes, keepdims=True)
              - xhat * (g * xhat).mean(axis=axes, keepdims=True)) * invstd
        gw = gy * xhat if w is not None else None  # the engine sums these to w's and b's shape
        return (gx, gw, gy)[: len(self.inputs)]



def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over (N, C, ...) input, as ``torch.nn.functional.batch_norm``.

    In training the batch statistics normalize, and the running ones (when given) are
    updated in place: r = (1 - momentum) r + momentum * stat, with the unbiased variance.
    Otherwise the running statistics normalize.
    """
    return _batch_norm("batch_norm", input, running_mean, running_var, weight, bias, training,
                       momentum, eps)


def _batch_norm(name, x, running_mean, running_var, weight, bias, training, momentum, eps):
    x = check_tensor(name, x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C, ...), got {tuple(x.shape)}")
    C = x.shape[1]
    for arg, t in (("running_mean", running_mean), ("running_var", running_var),
                   ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(
                f"{name}: expected input with {t.shape[0] if t.ndim == 1 else t.shape} "
                f"channels ({arg} has shape {tuple(t.shape)}), got {tuple(x.shape)}"
            )
    bshape = (1, C) + (1,) * (x.ndim - 2)
    w = None if weight is None else weight.reshape(bshape)
    b = None if bias is None else bias.reshape(bshape)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError(f"{name}: running_mean and running_var are needed when not training")
        # Running statistics are constants: y = x * scale + shift.
        scale = (running_var.reshape(bshape) + eps) ** -0.5
        if w is not None:
            scale = scale * w
        shift = -running_mean.reshape(bshape) * scale
        if b is not None:
            shift = shift + b
        return x * scale + shift
    axes = (0,) + tuple(range(2, x.ndim))
    M = math.prod(x.shape[i] for i in axes)
    if M <= 1:
        raise ValueError(
            f"{name}: expected more than 1 value per channel when training, got input of "
            f"shape {tuple(x.shape)}"
        )
    fn = Normalize(axes, eps)
    y = _normalize(fn, x, w, b, bshape)
    if running_mean is not None:
        m = float(momentum)
        rm = running_mean.array
        rm *= 1.0 - m
        rm += (m * fn.mean.reshape(C)).astype(rm.dtype, copy=False)
        running_mean._version += 1
    if running_var is not None:
        m = float(momentum)
        rv = running_var.array
        rv *= 1.0 - m
        rv += (m * M / (M - 1) * fn.var.reshape(C)).astype(rv.dtype, copy=False)
        running_var._version += 1
    return y


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` axes, as PyTorch's."""
    return _layer_norm("layer_norm", input, normalized_shape, weight, bias, eps)


def _trailing_axes(name, x, normalized_shape, **params):
    """The axes of ``x`` that ``normalized_shape`` (an int or ints) names: its last ones,
    checked, as are the shapes of the per-element ``params`` (weight, bias)."""
    x = check_tensor(name, x)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(
        normalized_shape)
    shape = tuple(int(n) for n in shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise ValueError(
            f"{name}: expected an input whose last dimensions are normalized_shape {shape}, "
            f"got {tuple(x.shape)}"
        )
    for arg, t in params.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(
                f"{name}: expected {arg} of shape {shape}, got {tuple(t.shape)}"
            )
    return shape, tuple(range(x.ndim - k, x.ndim))


def _layer_norm(name, x, normalized_shape, weight, bias, eps):
    shape, axes = _trailing_axes(name, x, normalized_shape, weight=weight, bias=bias)
    return _normalize(Normalize(axes, eps), x, weight, bias, shape)


def _normalize(fn, x, w, b, wshape):
    """The ``Normalize`` node ``fn`` applied to x with the optional w and b (a missing w is
    ones of ``wshape`` when b is given: the op takes its inputs in order)."""
    args = [x]
    if w is not None or b is not None:
        args.append(w if w is not None else Tensor._make(x.xp.ones(wshape, x.dtype), False))
    if b is not None:
        args.append(b)
    return fn(*args)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization of (N, C, ...) input, as ``torch.nn.functional.group_norm``: the
    C channels split into ``num_groups`` groups, each (sample, group) normalized over its
    channels and positions, then y = xhat * weight[c] + bias[c].

    >>> F.group_norm(cr.randn(2, 6, 5), 3).shape
    (2, 6, 5)
    """
    x = check_tensor("group_norm", input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, ...), got "
                         f"{tuple(x.shape)}")
    from ..nn._args import integer

    G, (N, C) = integer("group_norm", "num_groups", num_groups), x.shape[:2]
    if C % G:
        raise ValueError(f"group_norm: {C} channels (input shape {tuple(x.shape)}) are not "
                         f"divisible by num_groups {G}")
    for arg, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"group_norm: expected {arg} of shape ({C},), got "
                             f"{tuple(t.shape)}")
    # (N, G, C/G, ...): each group's channels and positions are the trailing axes, and the
    # per-channel weight and bias broadcast as (1, G, C/G, 1, ...).
    spatial = tuple(x.shape[2:])
    wshape = (1, G, C // G) + (1,) * len(spatial)
    w = None if weight is None else weight.reshape(wshape)
    b = None if bias is None else bias.reshape(wshape)
    xg = x.reshape((N, G, C // G) + spatial)
    y = _normalize(Normalize(tuple(range(2, xg.ndim)), eps), xg, w, b, wshape)
    return y.reshape(x.shape)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalization over the trailing ``normalized_shape`` axes, as
    ``torch.nn.functional.rms_norm``: y = x / sqrt(mean(x^2) + eps) * weight, with eps the
    machine epsilon of x's dtype when None."""
    from .reduce import mean

    x = check_tensor("rms_norm", input)
    _, axes = _trailing_axes("rms_norm", x, normalized_shape, weight=weight)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    y = x * (mean(x * x, axes, keepdims=True) + eps) ** -0.5
    return y if weight is None else y * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalization across channels (dim 1) of (N, C, ...) input, as
    ``torch.nn.functional.local_response_norm``:
    y_c = x_c / (k + alpha / size * sum_{c' = c - size//2}^{c + (size-1)//2} x_c'^2)^beta,
    channels outside [0, C) counting as 0."""
    from ..nn._args import integer
    from .shape import concatenate

    x = check_tensor("local_response_norm", input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected a 3-d or higher (N, C, ...) input, "
                         f"got shape {tuple(x.shape)}")
    size = integer("local_response_norm", "size", size)
    C = x.shape[1]
    parts = [Tensor._make(x.xp.zeros((x.shape[0], n) + x.shape[2:], x.dtype), False)
             for n in (size // 2, (size - 1) // 2)]
    sq = concatenate([parts[0], x * x, parts[1]], axis=1)  # zero channels on both sides
    window = sq[:, :C]
    for i in range(1, size):
        window = window + sq[:, i:i + C]
    return x / (window * (alpha / size) + k) ** beta
