"""Fused loss ops: cross-entropy on class indices (log-softmax + NLL in one Function),
gathering the target class for NLL, binary cross-entropy on logits, and the CTC loss's
alpha-beta recursion.

They work on arrays whose class axis is 1 (``(N, C)`` or ``(N, C, d1, ...)``); the
functions in ``chainrule.nn.functional`` check the arguments and reshape unbatched input.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import reduce as _reduce
from . import shape as _shape
from .elementwise import clip, log, log1p, sigmoid
from .nonlinear import softplus
from .softmax import softmax


class GatherClass(Function):
    """y[n, ...] = x[n, t[n, ...], ...]: pick each sample's target class along axis 1."""

    saves_inputs = False

    def __init__(self, target, num_classes):
        self.index = target[:, None]  # (N, 1, d...) for take_along_axis
        self.num_classes = num_classes

    def forward(self, x):
        return get_array_module(x).take_along_axis(x, self.index, axis=1)[:, 0]

    def backward(self, gy):
        return ScatterClass(self.index, self.num_classes)(gy)


class ScatterClass(Function):
    """The adjoint of GatherClass: gy placed at each sample's target class, zeros elsewhere."""

    saves_inputs = False

    def __init__(self, index, num_classes):
        self.index, self.num_classes = index, num_classes

    def forward(self, gy):
        xp = get_array_module(gy)
        shape = (gy.shape[0], self.num_classes) + gy.shape[1:]
        gx = xp.zeros(shape, gy.dtype)
        xp.put_along_axis(gx, self.index, gy[:, None], axis=1)
        return gx

    def backward(self, ggx):
        return GatherClass(self.index[:, 0], self.num_classes)(ggx)


class CrossEntropy(Function):
    """Cross-entropy of logits ``x`` (N, C, d...) against class indices, in one pass.

    With logp = log_softmax(x, axis=1) and target distribution
    q[n, c] = (1 - eps) w[t_n] [c = t_n] + (eps / C) w[c]  (zero where t_n == ignore_index),
    loss_n = -sum_c q[n, c] logp[n, c];  'mean' divides the sum by sum_n w[t_n].
    d loss_n / d x[n, c] = softmax(x)[n, c] sum_c' q[n, c'] - q[n, c].
    """

    def __init__(self, target, weight, ignore_index, reduction, label_smoothing):
        self.save(target=target, weight=weight)
        self.ignore_index, self.reduction, self.eps = ignore_index, reduction, label_smoothing

    def forward(self, x):
        xp = get_array_module(x)
        n_classes = x.shape[1]
        t = self.target
        valid = t != self.ignore_index
        all_valid = bool(valid.all())
        if not all_valid:
            t = xp.where(valid, t, 0)
        w = self.weight
        if w is None:
            wt = valid.astype(x.dtype)
        else:
            wt = w[t]
            if not all_valid:
                wt *= valid
        logp = x - x.max(axis=1, keepdims=True)
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
        self.save(t=t, wt=wt, valid=valid, logp=logp)
        loss = _pick(xp, logp, t)
        loss *= wt
        loss *= -(1.0 - self.eps)
        if self.eps:
            eps_c = self.eps / n_classes
            if w is None:
                smooth = logp.sum(axis=1)
            else:
                smooth = (logp * w.reshape((1, -1) + (1,) * (x.ndim - 2))).sum(axis=1)
            smooth *= valid
            loss -= eps_c * smooth
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        self.save(denom=wt.sum())
        return total / self.denom

    def _row_grad_scale(self, gy, xp=None):
        """The incoming gradient per sample, shape (N, 1, d...) (on arrays when ``xp``
        is given, else as a Tensor)."""
        if self.reduction != "none":
            gy = gy / self.denom if self.reduction == "mean" else gy
            gy = (xp.broadcast_to(gy, self.wt.shape) if xp is not None
                  else _shape.broadcast_to(gy, self.wt.shape))
        return gy[:, None] if xp is not None else _shape.expand_dims(gy, 1)

    def _targets(self, xp, shape, dtype):
        """q (dense, (N, C, d...)) and its row sums r (N, 1, d...)."""
        C = shape[1]
        q = xp.zeros(shape, dtype)
        xp.put_along_axis(q, self.t[:, None], ((1.0 - self.eps) * self.wt)[:, None], axis=1)
        if self.eps:
            w = xp.ones(C, dtype) if self.weight is None else self.weight
            q += (self.eps / C) * w.reshape((1, -1) + (1,) * (len(shape) - 2)) * \
                self.valid[:, None]
        return q, q.sum(axis=1, keepdims=True)

    def backward(self, gy):
        x = self.inputs[0]
        q, r = self._targets(x.xp, x.shape, x.dtype)
        p = softmax(x, axis=1)
        return (p * Tensor._make(r, False) - Tensor._make(q, False)) * self._row_grad_scale(gy)

    def backward_array(self, gy):
        x = self.inputs[0]
        xp = x.xp
        gd = self._row_grad_scale(gy, xp)
        gx = xp.exp(self.logp)
        if self.eps:
            q, r = self._targets(xp, x.shape, x.dtype)
            gx *= r
            gx -= q
        else:
            gx *= self.wt[:, None]
            if gx.ndim == 2:  # plain indexing: faster than the *_along_axis functions
                rows = xp.arange(gx.shape[0])
                gx[rows, self.t] -= self.wt
            else:
                idx = self.t[:, None]
                xp.put_along_axis(gx, idx, xp.take_along_axis(gx, idx, axis=1) -
                                  self.wt[:, None], axis=1)
        gx *= gd
        return gx


def _pick(xp, a, t):
    """a[n, t[n], ...]: each sample's entry at its target class (axis 1)."""
    if a.ndim == 2:  # plain indexing: faster than take_along_axis
        return a[xp.arange(a.shape[0]), t]
    return xp.take_along_axis(a, t[:, None], axis=1)[:, 0]


class BCEWithLogits(Function):
    """Binary cross-entropy on logits, elementwise and stable for any logit:
    loss = (1 - y) x + l (log(1 + exp(-|x|)) + max(-x, 0)),  l = 1 + (pos_weight - 1) y;
    d/dx = (1 - y) - l sigmoid(-x);  d/dy = -x + (pos_weight - 1) softplus(-x)."""

    def __init__(self, pos_weight):
        self.pos_weight = pos_weight

    def forward(self, x, y):
        xp = get_array_module(x)
        sp = xp.log1p(xp.exp(-xp.abs(x)))
        sp += xp.maximum(-x, 0.0)  # softplus(-x)
        if self.pos_weight is not None:
            sp *= (self.pos_weight - 1.0) * y + 1.0
        loss = (1.0 - y) * x
        loss += sp
        return loss

    def backward(self, gy):
        x, y = self.inputs
        pw = self.pos_weight
        if pw is None:
            gx = gy * (sigmoid(x) - y) if self.needs_grad[0] else None
            gt = -gy * x if self.needs_grad[1] else None
            return gx, gt
        pwm1 = Tensor._make(pw - 1.0, False)
        gx = gt = None
        if self.needs_grad[0]:
            gx = gy * ((1.0 - y) - (pwm1 * y + 1.0) * sigmoid(-x))
        if self.needs_grad[1]:
            gt = gy * (pwm1 * softplus(-x) - x)
        return gx, gt


class BinaryCrossEntropy(Function):
    """loss = -(y log x + (1 - y) log(1 - x)), each log clamped to >= -100 (as PyTorch);
    d/dx = (x - y) / max(x (1 - x), 1e-12);  d/dy = log(1 - x) - log(x) (clamped)."""

    def forward(self, x, y):
        xp = get_array_module(x)
        with np.errstate(divide="ignore"):  # NumPy's warning only; CuPy warns of nothing
            log_x = xp.maximum(xp.log(x), -100.0)
            log_1mx = xp.maximum(xp.log1p(-x), -100.0)
        return -(y * (log_x - log_1mx) + log_1mx)

    def backward(self, gy):
        x, y = self.inputs
        gx = gt = None
        if self.needs_grad[0]:
            gx = gy * (x - y) / clip(x * (1.0 - x), 1e-12, None)
        if self.needs_grad[1]:
            gt = gy * (clip(log1p(-x), -100.0, None) - clip(log(x), -100.0, None))
        return gx, gt


def clamp_min_value(x: Tensor, low: float) -> Tensor:
    """max(x, low) in value, with the gradient of x itself: PyTorch's clamp of a norm or
    variance under ``no_grad`` (cosine_similarity, gaussian_nll_loss), reproduced."""
    xp = x.xp
    return x + Tensor._make(xp.maximum(x.array, low) - x.array, False)


class CTC(Function):
    """Connectionist temporal classification: per sample, -log of the total probability of
    the alignments of the target to the input (paths over the extended labels
    l' = (blank, l1, blank, l2, ..., blank), S = 2L + 1, that move by 0 or 1, or by 2 where
    l'_s is a label unlike l'_{s-2}).

    ``forward`` takes log-probabilities (T, N, C). Log-space recursions, one step per frame:
      alpha[t, s] = lp[t, l'_s] + lse(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2]),
      beta[t, s]  = lp[t, l'_s] + lse(beta[t+1, s], beta[t+1, s+1], beta[t+1, s+2]),
    loss = -lse(alpha[T_n - 1, S - 1], alpha[T_n - 1, S - 2]), and
      d loss / d lp[t, c] = -sum_{s: l'_s = c} exp(alpha[t, s] + beta[t, s] - lp[t, l'_s] + loss),
    the exact gradient with respect to the log-probabilities. (PyTorch returns instead the
    gradient with respect to the logits before a log_softmax, exp(lp) added to it; the two
    agree once the graph goes through a log_softmax, the way CTC is used.)
    """

    saves_inputs = False

    def __init__(self, labels, input_lengths, target_lengths, num_classes, zero_infinity):
        self.labels, self.il, self.tl = labels, input_lengths, target_lengths
        self.num_classes, self.zero_infinity = num_classes, zero_infinity

    def forward(self, lp):
        xp = get_array_module(lp)
        T, N, _ = lp.shape
        lab, il, tl = self.labels, self.il, self.tl
        s = xp.arange(lab.shape[1])
        lpl = xp.take_along_axis(lp, xp.broadcast_to(lab, (T,) + lab.shape), axis=2)
        lpl = xp.where(s < 2 * tl[:, None] + 1, lpl, -xp.inf)  # the padding is never reached
        skip = (s % 2 == 1) & (lab != _shift(lab, 2, -1))  # may come from s - 2
        alpha = xp.full(lpl.shape, -xp.inf, lp.dtype)
        alpha[0, :, :2] = lpl[0, :, :2]
        for t in range(1, T):
            a = alpha[t - 1]
            alpha[t] = lpl[t] + _lse3(a, _shift(a, 1, -xp.inf),
                                      xp.where(skip, _shift(a, 2, -xp.inf), -xp.inf))
        rows = xp.arange(N)
        last = alpha[xp.maximum(il - 1, 0), rows]
        end = 2 * tl
        nll = -xp.logaddexp(last[rows, end], xp.where(tl > 0, last[rows, end - 1], -xp.inf))
        nll = xp.where(il == 0, xp.where(tl == 0, 0.0, xp.inf), nll).astype(lp.dtype)
        self.save(lpl=lpl, alpha=alpha, skip=skip, nll=nll)
        if self.zero_infinity:
            return xp.where(xp.isinf(nll), 0.0, nll).astype(lp.dtype)
        return nll

    def backward(self, gy):
        raise NotImplementedError("ctc_loss: the second derivative is not implemented "
                                  "(nor is it in PyTorch)")

    def backward_array(self, gy):
        xp = get_array_module(gy)
        lpl, lab, il, tl = self.lpl, self.labels, self.il, self.tl
        s = xp.arange(lab.shape[1])
        start = (s == 2 * tl[:, None]) | (s == 2 * tl[:, None] - 1)
        skip_next = _shift(self.skip, -2, False)
        beta = xp.empty_like(lpl)
        nxt = xp.full(lpl.shape[1:], -xp.inf, lpl.dtype)
        for t in range(lpl.shape[0] - 1, -1, -1):
            rec = lpl[t] + _lse3(nxt, _shift(nxt, -1, -xp.inf),
                                 xp.where(skip_next, _shift(nxt, -2, -xp.inf), -xp.inf))
            nxt = xp.where((t == il - 1)[:, None], xp.where(start, lpl[t], -xp.inf), rec)
            beta[t] = nxt
        with np.errstate(invalid="ignore"):  # -inf - -inf where no path passes: NaN, dropped
            log_gamma = self.alpha + beta - lpl + self.nll[:, None]
        gamma = xp.exp(xp.where(xp.isnan(log_gamma), -xp.inf, log_gamma))
        onehot = (lab[:, :, None] == xp.arange(self.num_classes)).astype(gamma.dtype)
        gx = xp.einsum("tns,nsc->tnc", gamma, onehot)
        gx *= -gy[:, None]  # gamma is 0 for an impossible target (an infinite loss)
        return gx


def _shift(a, k, fill):
    """``a`` moved k places along axis 1 (to higher indices for k > 0), ``fill`` let in."""
    xp = get_array_module(a)
    out = xp.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _lse3(a, b, c):
    xp = get_array_module(a)
    return xp.logaddexp(xp.logaddexp(a, b), c)


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Apply a loss reduction: 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return _reduce.mean(loss)
    if reduction == "sum":
        return _reduce.sum(loss)
    return loss
