"""Loss functions and their modules, with PyTorch's signatures, reductions and formulas.

``reduction`` is 'mean' (default), 'sum' or 'none'. The deprecated ``size_average`` and
``reduce`` arguments are accepted and mapped to ``reduction`` as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import loss as _L
from ..ops._convert import as_tensor, check_tensor
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
