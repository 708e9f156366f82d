"""Loss functions and their modules, with PyTorch's signatures, reductions and formulas.

``reduction`` is 'mean' (default), 'sum' or 'none'. The deprecated ``size_average`` and
``reduce`` arguments are accepted and mapped to ``reduction`` as PyTorch does.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from ..ops import loss as _L
from ..ops._convert import as_tensor, check_tensor, float_input, pair
from ..tensor import Tensor
from . import _args
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(name: str, reduction: str, size_average=None, reduce=None,
               allowed=_REDUCTIONS) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def _pair(name: str, input, target) -> tuple[Tensor, Tensor]:
    """Input and target of the same shape and float dtype."""
    check_tensor(name, input)
    target = as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target shape {tuple(target.shape)} differs from input shape "
            f"{tuple(input.shape)}"
        )
    if input.dtype.kind != "f":
        input = input.astype(np.float32)
    if target.dtype != input.dtype:
        target = target.astype(input.dtype)
    return input, target


def _weighted(name: str, loss: Tensor, weight, reduction: str, same_shape=False,
              mean_over_weight=False) -> Tensor:
    """Multiply by ``weight`` (broadcast, or of the same shape when ``same_shape``), reduce;
    with ``mean_over_weight``, 'mean' is sum(w * loss) / sum(w) (mse_loss, l1_loss)."""
    if weight is not None:
        w = as_tensor(weight)
        if same_shape and w.shape != loss.shape:
            raise ValueError(
                f"{name}: weight of shape {tuple(w.shape)} must have the input's shape "
                f"{tuple(loss.shape)}"
            )
        try:
            np.broadcast_shapes(w.shape, loss.shape)
        except ValueError:
            raise ValueError(
                f"{name}: weight of shape {tuple(w.shape)} does not broadcast to the input "
                f"shape {tuple(loss.shape)}"
            ) from None
        w = w.astype(loss.dtype)
        loss = loss * w
        if mean_over_weight and reduction == "mean":
            return ops.sum(loss) / ops.sum(w)
    return _L.reduce_loss(loss, reduction)


# -- regression losses ---------------------------------------------------------------------


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error: (x - y)^2, reduced."""
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    x, y = _pair("mse_loss", input, target)
    d = x - y
    return _weighted("mse_loss", d * d, weight, reduction, same_shape=True,
                     mean_over_weight=True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error: |x - y|, reduced."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    x, y = _pair("l1_loss", input, target)
    return _weighted("l1_loss", ops.abs(x - y), weight, reduction, same_shape=True,
                     mean_over_weight=True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - y)."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x, y = _pair("smooth_l1_loss", input, target)
    d = x - y
    ad = ops.abs(d)
    if beta == 0:
        return _L.reduce_loss(ad, reduction)
    quad = Tensor._make(ad.array < beta, False)
    return _L.reduce_loss(ops.where(quad, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y)."""
    reduction = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, y = _pair("huber_loss", input, target)
    d = x - y
    ad = ops.abs(d)
    quad = Tensor._make(ad.array < delta, False)
    loss = ops.where(quad, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, reduction, same_shape=True)


# -- classification losses ------------------------------------------------------------------


def _class_weight(name: str, weight, n_classes: int, dtype):
    if weight is None:
        return None
    w = as_tensor(weight).array
    if w.shape != (n_classes,):
        raise ValueError(
            f"{name}: weight must have shape ({n_classes},), one per class, got {tuple(w.shape)}"
        )
    return w.astype(dtype, copy=False)


def _class_targets(name: str, input: Tensor, target, ignore_index: int):
    """Check class-index targets against input (N, C, d...) or (C,); return input with a
    batch axis, the target array and whether the input was unbatched."""
    t = target.array
    unbatched = input.ndim == 1
    if unbatched:
        input = ops.reshape(input, (1, input.shape[0]))
        expected = ()
    else:
        expected = (input.shape[0],) + input.shape[2:]
    if t.shape != expected:
        raise ValueError(
            f"{name}: expected target of shape {expected} for input of shape "
            f"{tuple(input.shape[1:] if unbatched else input.shape)}, got {tuple(t.shape)}"
        )
    if unbatched:
        t = t.reshape(1)
    n_classes = input.shape[1]
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= n_classes:
            bad = t[(t != ignore_index) & ((t < 0) | (t >= n_classes))]
            if bad.size:
                raise IndexError(
                    f"{name}: target class {int(bad[0])} is out of range for {n_classes} classes"
                )
    return input, t, unbatched


def _logits(name: str, input) -> Tensor:
    check_tensor(name, input)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    return input if input.dtype.kind == "f" else input.astype(np.float32)


def cross_entropy(input: Tensor, target, weight=None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d...) or (C,) against class indices
    (N, d...) or class probabilities (same shape as input).

    loss_n = -sum_c q[n, c] log_softmax(x)[n, c], where q is the one-hot target (times
    ``weight[c]``) mixed with the uniform distribution by ``label_smoothing``; 'mean' over
    class indices divides by the total weight of the non-ignored targets. Computed in one
    fused op from the logits, stable for any logit size.
    """
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    x = _logits("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}"
        )
    target = as_tensor(target)
    axis = 1 if x.ndim > 1 else 0
    n_classes = x.shape[axis]
    w = _class_weight("cross_entropy", weight, n_classes, x.dtype)
    if target.dtype.kind in "iu":
        x, t, unbatched = _class_targets("cross_entropy", x, target, ignore_index)
        out = _L.CrossEntropy(t, w, ignore_index, reduction, label_smoothing)(x)
        return ops.reshape(out, ()) if unbatched and reduction == "none" else out
    if target.dtype.kind != "f":
        raise TypeError(
            f"cross_entropy: target must hold class indices (integers) or probabilities "
            f"(floats), got dtype {target.dtype}"
        )
    if target.shape != x.shape:
        raise ValueError(
            f"cross_entropy: probability target shape {tuple(target.shape)} differs from input "
            f"shape {tuple(x.shape)} (class indices need an integer dtype)"
        )
    q = target.astype(x.dtype)
    if label_smoothing:
        q = q * (1.0 - label_smoothing) + label_smoothing / n_classes
    logp = ops.log_softmax(x, axis=axis)
    if w is not None:
        shape = (-1,) + (1,) * (x.ndim - 1 - axis)
        q = q * Tensor._make(w.reshape(shape), False)
    loss = -ops.sum(logp * q, axis=axis)
    return _L.reduce_loss(loss, reduction)


def nll_loss(input: Tensor, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, d...) or (C,):
    loss_n = -weight[t_n] input[n, t_n]; 'mean' divides by the total weight of the
    non-ignored targets."""
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    x = _logits("nll_loss", input)
    target = as_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold class indices, got dtype {target.dtype}")
    x, t, unbatched = _class_targets("nll_loss", x, target, ignore_index)
    n_classes = x.shape[1]
    w = _class_weight("nll_loss", weight, n_classes, x.dtype)
    xp = x.xp
    valid = t != ignore_index
    t = xp.where(valid, t, 0)
    wt = valid.astype(x.dtype) if w is None else w[t] * valid
    loss = _L.GatherClass(t, n_classes)(x) * Tensor._make(-wt, False)
    if reduction == "none":
        return ops.reshape(loss, ()) if unbatched else loss
    total = ops.sum(loss)
    return total if reduction == "sum" else total / wt.sum()


def binary_cross_entropy(input: Tensor, target, weight=None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) with each log clamped to >= -100, for
    probabilities x in [0, 1]."""
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    x, y = _pair("binary_cross_entropy", input, target)
    if x.numel():
        lo, hi = float(x.array.min()), float(x.array.max())
        if not (lo >= 0.0 and hi <= 1.0):
            raise ValueError(
                f"binary_cross_entropy: input values must be probabilities in [0, 1], got "
                f"values from {lo:g} to {hi:g} (for logits use binary_cross_entropy_with_logits)"
            )
    return _weighted("binary_cross_entropy", _L.BinaryCrossEntropy()(x, y), weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Binary cross-entropy of sigmoid(x), computed from the logits x without overflow:
    (1 - y) x + l log(1 + exp(-x)), l = 1 + (pos_weight - 1) y."""
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, reduction, size_average, reduce)
    x, y = _pair(name, input, target)
    pw = None
    if pos_weight is not None:
        pw = as_tensor(pos_weight).array
        try:
            np.broadcast_shapes(pw.shape, x.shape)
        except ValueError:
            raise ValueError(
                f"{name}: pos_weight of shape {tuple(pw.shape)} does not broadcast to the input "
                f"shape {tuple(x.shape)}"
            ) from None
        pw = pw.astype(x.dtype, copy=False)
    return _weighted(name, _L.BCEWithLogits(pw)(x, y), weight, reduction)


def kl_div(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence with ``input`` = log q: y (log y - x), or
    exp(y) (y - x) when ``log_target``; 'batchmean' divides the sum by the batch size."""
    reduction = _reduction("kl_div", reduction, size_average, reduce,
                           allowed=(*_REDUCTIONS, "batchmean"))
    x, y = _pair("kl_div", input, target)
    if log_target:
        loss = ops.exp(y) * (y - x)
    else:
        pos = Tensor._make(y.array > 0, False)
        ylogy = ops.where(pos, y * ops.log(ops.where(pos, y, 1.0)), 0.0)
        loss = ylogy - y * x
    if reduction == "batchmean":
        total = ops.sum(loss)
        return total / x.shape[0] if x.ndim else total
    return _L.reduce_loss(loss, reduction)


# -- margin, embedding and likelihood losses ----------------------------------------------


def _hinge(x: Tensor) -> Tensor:
    """max(x, 0), with PyTorch's clamp_min gradient (1 at 0)."""
    return ops.clip(x, 0.0, None)


def _same_ndim(name: str, **tensors) -> list:
    """The three tensors, checked to be tensors with the same number of dims."""
    ts = [check_tensor(name, t, arg) for arg, t in tensors.items()]
    if len({t.ndim for t in ts}) != 1:
        a, b, c = tensors
        raise ValueError(
            f"{name}: {a}, {b} and {c} must have the same number of dims, got shapes "
            f"{', '.join(str(tuple(t.shape)) for t in ts[:2])} and {tuple(ts[2].shape)}"
        )
    return ts


def _const(x: Tensor, a) -> Tensor:
    return Tensor._make(x.xp.asarray(a), False)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where
    y = -1 (inputs broadcast)."""
    name = "margin_ranking_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    x1, x2, y = _same_ndim(name, input1=input1, input2=input2, target=target)
    return _L.reduce_loss(_hinge(-y * (x1 - x2) + margin), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x a distance, y = +-1)."""
    reduction = _reduction("hinge_embedding_loss", reduction, size_average, reduce)
    x, y = _pair("hinge_embedding_loss", input, target)
    y = y.array
    return _L.reduce_loss(ops.where(_const(x, y != 1), _hinge(margin - x), 0.0)
                          + ops.where(_const(x, y != -1), x, 0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, for pairs of
    vectors (N, D) with labels (N,), or one pair (D,) with a 0-d label;
    cos = x1.x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))."""
    name = "cosine_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    x1, x2 = pair(float_input(name, input1), float_input(name, input2))
    y = as_tensor(target).array
    if y.ndim > 1:
        raise ValueError(f"{name}: target must be 0-d or 1-d (one label per pair), got shape "
                         f"{tuple(y.shape)}")
    if x1.ndim != y.ndim + 1 or x2.ndim != y.ndim + 1:
        raise ValueError(f"{name}: a {y.ndim}-d target needs {y.ndim + 1}-d inputs, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")

    def sq(a):
        return ops.sum(a * a, axis=-1) + 1e-12

    cos = ops.sum(x1 * x2, axis=-1) / ops.sqrt(sq(x1) * sq(x2))
    loss = ops.where(_const(cos, y == 1), 1.0 - cos, 0.0) \
        + ops.where(_const(cos, y == -1), _hinge(cos - margin), 0.0)
    return _L.reduce_loss(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for labels y = +-1."""
    reduction = _reduction("soft_margin_loss", reduction, size_average, reduce)
    x, y = _pair("soft_margin_loss", input, target)
    return _L.reduce_loss(ops.softplus(-y * x), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight=None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of logits (..., C) against 0/1 targets, times ``weight``,
    averaged over the C classes: one loss per sample."""
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    x, y = _pair(name, _logits(name, input), target)
    loss = _weighted(name, _L.BCEWithLogits(None)(x, y), weight, "none")
    return _L.reduce_loss(ops.sum(loss, axis=-1) / x.shape[-1], reduction)


def _margin_input(name: str, input) -> Tensor:
    x = _logits(name, input)
    if x.ndim > 2:
        raise ValueError(f"{name}: expects input (C,) or (N, C), got shape {tuple(x.shape)}")
    return x


def _int_target(name: str, target) -> Tensor:
    t = as_tensor(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold class indices, got dtype {t.dtype}")
    return t


def multilabel_margin_loss(input: Tensor, target, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C.

    ``target`` has the input's shape, (C,) or (N, C): each row lists its target classes,
    ended by the first -1.
    """
    name = "multilabel_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    x = _margin_input(name, input)
    t = _int_target(name, target).array
    if t.shape != x.shape:
        raise ValueError(f"{name}: target shape {tuple(t.shape)} differs from input shape "
                         f"{tuple(x.shape)}")
    C = x.shape[-1]
    xp = x.xp
    t = t.reshape(-1, C)
    bad = t[(t < -1) | (t >= C)]
    if bad.size:
        raise IndexError(f"{name}: target class {int(bad[0])} is out of range for {C} classes "
                         f"(-1 ends a row's list)")
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    counts = ((t[:, :, None] == xp.arange(C)) & listed[:, :, None]).sum(axis=1)  # (N, C)
    # weight of the pair (target j, other i): how often j is listed, 0 where i is a target
    pairs = counts[:, :, None] * (counts == 0)[:, None, :] / C
    xb = ops.reshape(x, (-1, C))
    z = 1.0 - ops.unsqueeze(xb, 2) + ops.unsqueeze(xb, 1)
    loss = ops.sum(ops.relu(z) * _const(x, pairs.astype(x.dtype)), axis=(1, 2))
    return _L.reduce_loss(ops.reshape(loss, x.shape[:-1]), reduction)


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: sum over classes i != y of
    weight[y] max(0, margin - x[y] + x[i])^p / C, for p = 1 or 2."""
    name = "multi_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p!r}")
    x = _margin_input(name, input)
    x, t, unbatched = _class_targets(name, x, _int_target(name, target), None)
    C = x.shape[1]
    # relu: no gradient at z = 0, as PyTorch's kernel
    z = ops.relu(margin - ops.unsqueeze(_L.GatherClass(t, C)(x), 1) + x)
    h = ops.where(_const(x, x.xp.arange(C) != t[:, None]), z if p == 1 else z * z, 0.0)
    w = _class_weight(name, weight, C, x.dtype)
    loss = ops.sum(h, axis=1) / C
    if w is not None:
        loss = loss * _const(x, w[t])
    return _L.reduce_loss(ops.reshape(loss, ()) if unbatched else loss, reduction)


def _triplet(name, anchor, positive, negative, distance, margin, swap, reduction) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d(a, n) replaced by d(p, n) where smaller and
    ``swap``."""
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    a, p, n = _same_ndim(name, anchor=anchor, positive=positive, negative=negative)
    d_neg = distance(a, n)
    if swap:
        d_neg = ops.minimum(d_neg, distance(p, n))
    return _L.reduce_loss(_hinge(margin + distance(a, p) - d_neg), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + ||a - p||_p - ||a - n||_p), distances by ``pairwise_distance``."""
    from .distance import pairwise_distance

    reduction = _reduction("triplet_margin_loss", reduction, size_average, reduce)
    return _triplet("triplet_margin_loss", anchor, positive, negative,
                    lambda u, v: pairwise_distance(u, v, p, eps), margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any ``distance_function`` d (default
    ``pairwise_distance``)."""
    from .distance import pairwise_distance

    name = "triplet_margin_with_distance_loss"
    reduction = _reduction(name, reduction)
    return _triplet(name, anchor, positive, negative, distance_function or pairwise_distance,
                    margin, swap, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of counts y: exp(x) - y x for a log-rate x
    (``log_input``), else x - y log(x + eps); ``full`` adds Stirling's
    y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = _reduction("poisson_nll_loss", reduction, size_average, reduce)
    x, y = _pair("poisson_nll_loss", input, target)
    loss = ops.exp(x) - y * x if log_input else x - y * ops.log(x + eps)
    if full:
        big = _const(y, y.array > 1)
        yb = ops.where(big, y, 2.0)  # no log of 0 where the term is dropped
        loss = loss + ops.where(big, yb * ops.log(yb) - yb + 0.5 * ops.log(2 * np.pi * yb), 0.0)
    return _L.reduce_loss(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log v + (x - y)^2 / v), v = max(var, eps) (the
    clamp does not stop the gradient, as PyTorch's); ``full`` adds 0.5 log(2 pi).

    ``var`` has the input's shape, or one dim of size 1, or the last dim dropped (one
    variance shared by a row), or is a float.
    """
    name = "gaussian_nll_loss"
    reduction = _reduction(name, reduction)
    x, y = _pair(name, input, target)
    if isinstance(var, numbers.Real):
        v = _const(x, x.xp.full(x.shape, var, x.dtype))
    else:
        v = as_tensor(var)
        v = v.astype(x.dtype) if v.dtype != x.dtype else v
        if v.shape != x.shape:
            if v.shape == x.shape[:-1]:
                v = ops.unsqueeze(v, -1)
            elif v.ndim != x.ndim or sum(b for a, b in zip(x.shape, v.shape) if a != b) != 1:
                raise ValueError(
                    f"{name}: var of shape {tuple(v.shape)} must have the input's shape "
                    f"{tuple(x.shape)}, or it with one dim of size 1 or without its last dim"
                )
    if bool((v.array < 0).any()):
        raise ValueError(f"{name}: var has negative entries")
    v = _L.clamp_min_value(v, eps)
    d = x - y
    loss = 0.5 * (ops.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _L.reduce_loss(loss, reduction)


def _lengths(name: str, arg: str, lengths, n: int, xp):
    a = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths)
    if a.dtype.kind not in "iu" or a.size != n or a.ndim > 1:
        raise ValueError(f"{name}: {arg} must hold {n} integers, one per sample, got "
                         f"{lengths!r}")
    if (a < 0).any():
        raise ValueError(f"{name}: {arg} must be non-negative, got {a.tolist()}")
    return xp.asarray(a.reshape(n))


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss: -log of the probability of ``targets``
    summed over all their alignments to the frames of ``log_probs``.

    ``log_probs`` (T, N, C) (or (T, C) unbatched) are log-probabilities, usually a
    log_softmax; ``targets`` are (N, S) padded or the N targets concatenated (1-d), with
    ``target_lengths`` (N,) and ``input_lengths`` (N,) frames used per sample. 'mean' divides
    each loss by its target length before averaging; ``zero_infinity`` zeroes infinite
    losses (targets too long for their input) and their gradients.

    >>> F.ctc_loss(logits.log_softmax(2), targets, [50] * 16, [20] * 16)
    """
    name = "ctc_loss"
    reduction = _reduction(name, reduction)
    lp = _logits(name, log_probs)
    if lp.ndim not in (2, 3):
        raise ValueError(f"{name}: log_probs must be (T, N, C) or unbatched (T, C), got shape "
                         f"{tuple(lp.shape)}")
    unbatched = lp.ndim == 2
    if unbatched:
        lp = ops.unsqueeze(lp, 1)
    T, N, C = lp.shape
    xp = lp.xp
    if not 0 <= blank < C:
        raise ValueError(f"{name}: blank {blank} is out of range for {C} classes")
    il = _lengths(name, "input_lengths", input_lengths, N, xp)
    tl = _lengths(name, "target_lengths", target_lengths, N, xp)
    if il.size and int(il.max()) > T:
        raise ValueError(f"{name}: input_lengths must be at most T = {T}, got {int(il.max())}")
    tg = _int_target(name, targets).array
    L = int(tl.max()) if tl.size else 0
    if unbatched or tg.ndim == 2:
        tg = tg[None] if unbatched else tg
        if tg.ndim != 2 or tg.shape[0] != N or tg.shape[1] < L:
            raise ValueError(f"{name}: padded targets of shape {tuple(tg.shape)} must be "
                             f"(N={N}, S >= {L}), S the longest target length")
        padded = tg[:, :L]
    elif tg.ndim == 1:
        if tg.size < int(tl.sum()):
            raise ValueError(f"{name}: concatenated targets hold {tg.size} labels, fewer than "
                             f"the sum of target_lengths, {int(tl.sum())}")
        ends = xp.cumsum(tl)
        k = xp.arange(L)
        padded = tg[xp.minimum(ends[:, None] - tl[:, None] + k, max(tg.size - 1, 0))] \
            if tg.size else xp.zeros((N, L), tg.dtype)
    else:
        raise ValueError(f"{name}: targets must be (N, S) padded or 1-d concatenated, got "
                         f"shape {tuple(tg.shape)}")
    used = xp.arange(L) < tl[:, None]
    bad = padded[used & ((padded < 0) | (padded >= C))]
    if bad.size:
        raise IndexError(f"{name}: target class {int(bad[0])} is out of range for {C} classes")
    padded = xp.where(used, padded, blank)  # whatever pads the targets is never read
    labels = xp.full((N, 2 * L + 1), blank, padded.dtype)
    labels[:, 1::2] = padded
    nll = _L.CTC(labels, il, tl, C, zero_infinity)(lp)
    if reduction == "mean":
        return ops.mean(nll / _const(nll, xp.maximum(tl, 1).astype(nll.dtype)))
    return ops.reshape(nll, ()) if unbatched and reduction == "none" else \
        _L.reduce_loss(nll, reduction)


# -- modules -------------------------------------------------------------------------------


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 allowed=_REDUCTIONS) -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction, size_average, reduce,
                                    allowed)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))


class MSELoss(_Loss):
    """Mean squared error (x - y)^2."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |x - y|."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for |x - y| < beta, linear beyond (see ``smooth_l1_loss``)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = _args.real("SmoothL1Loss", "beta", beta, 0.0)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic for |x - y| < delta, delta-scaled linear beyond (see ``huber_loss``)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = _args.real("HuberLoss", "delta", delta, 0.0, low_open=True)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or probabilities (see
    ``cross_entropy``).

    >>> nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        _args.probability("CrossEntropyLoss", "label_smoothing", label_smoothing)
        _args.integer("CrossEntropyLoss", "ignore_index", ignore_index, low=-(2**63))
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (see ``nll_loss``)."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = _args.integer("NLLLoss", "ignore_index", ignore_index, low=-(2**63))

    def forward(self, input: Tensor, target) -> Tensor:
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see ``binary_cross_entropy``)."""

    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, numerically stable (see
    ``binary_cross_entropy_with_logits``)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))
        self.register_buffer("pos_weight",
                             None if pos_weight is None else as_tensor(pos_weight))

    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence from log-probabilities (see ``kl_div``)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction, allowed=(*_REDUCTIONS, "batchmean"))
        self.log_target = log_target

    def forward(self, input: Tensor, target) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class _MarginLoss(_Loss):
    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """max(0, -y (x1 - x2) + margin) (see ``margin_ranking_loss``)."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin,
                                   reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y = 1, max(0, margin - x) where y = -1 (see ``hinge_embedding_loss``)."""

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos where y = 1, max(0, cos - margin) where y = -1 (see
    ``cosine_embedding_loss``)."""

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) (see ``soft_margin_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class binary cross-entropy of logits, averaged over classes (see
    ``multilabel_soft_margin_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight,
                                           reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Hinge loss of each target class against each other class (see
    ``multilabel_margin_loss``)."""

    def forward(self, input: Tensor, target) -> Tensor:
        return multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss (see ``multi_margin_loss``)."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        if weight is not None and as_tensor(weight).ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must be 1-d, one per class, got shape "
                             f"{tuple(as_tensor(weight).shape)}")
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                 reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + ||a - p|| - ||a - n||) (see ``triplet_margin_loss``)."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _args.real("TripletMarginLoss", "margin", margin, 0.0, low_open=True)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                   self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) for a given distance (see
    ``triplet_margin_with_distance_loss``); the default distance is a ``PairwiseDistance``
    child, as in PyTorch."""

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        from .distance import PairwiseDistance

        super().__init__(reduction=reduction)
        _args.real("TripletMarginWithDistanceLoss", "margin", margin, 0.0, low_open=True)
        self.distance_function = distance_function if distance_function is not None \
            else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood (see ``poisson_nll_loss``)."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variances (see
    ``gaussian_nll_loss``)."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see ``ctc_loss``).

    >>> nn.CTCLoss(blank=0)(log_probs, targets, input_lengths, target_lengths)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = _args.integer("CTCLoss", "blank", blank, low=0)
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets, input_lengths, target_lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
