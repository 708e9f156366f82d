"""Adam and AdamW (Adam with decoupled weight decay): one update function serves both."""

from __future__ import annotations

import math
from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_lr, check_number, grad_with_decay


def adam(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    step: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
    out=None,
) -> None:
    """One Adam (or AdamW) step on array ``p`` in place; ``step`` counts from 1.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2`` (``v_max <- max(v_max, v)``
    with amsgrad), ``p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    Weight decay adds ``weight_decay * p`` to ``g`` (Adam), or multiplies ``p`` by
    ``1 - lr * weight_decay`` first (decoupled, AdamW).
    """
    xp = get_array_module(p)
    if weight_decay != 0 and decoupled_weight_decay:
        p *= 1 - lr * weight_decay
        weight_decay = 0.0
    g = grad_with_decay(p, g, weight_decay, maximize)
    t = xp.empty_like(p) if out is None else out  # the one scratch array of the step
    # m <- b1 m + (1 - b1) g, computed as g + b1 (m - g): no temporary array.
    exp_avg -= g
    exp_avg *= beta1
    exp_avg += g
    xp.multiply(g, g, out=t)
    t *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += t
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    v = exp_avg_sq
    if amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    if step_size == 0:  # lr = 0 (e.g. the end of a schedule): the moments move, p does not
        return
    # p <- p - step_size m / (sqrt(v) / bc2 + eps), with step_size folded into the
    # denominator to save a pass over the arrays.
    xp.sqrt(v, out=t)
    t *= 1 / (bias_correction2_sqrt * step_size)
    t += eps / step_size
    xp.divide(exp_avg, t, out=t)
    p -= t


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``, with
    ``g = grad + weight_decay * p`` (or decoupled: ``p = p (1 - lr weight_decay)``, as AdamW)
    and ``v`` replaced by its running maximum when ``amsgrad``.

    >>> opt = Adam(model.parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(self, group)
        check_number(self, "eps", group["eps"], what="epsilon value")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            what = f"beta parameter at index {i}"
            check_number(self, f"betas[{i}]", beta, high=1.0, high_open=True, what=what)

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        amsgrad = bool(group["amsgrad"])
        if not state:
            xp = p.xp
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.array)
            state["exp_avg_sq"] = xp.zeros_like(p.array)
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = p.xp.zeros_like(p.array)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam(
            p.array,
            p.grad.array,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            state["step"],
            lr=float(group["lr"]),
            beta1=float(beta1),
            beta2=float(beta2),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            amsgrad=amsgrad,
            maximize=bool(group["maximize"]),
            decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
            out=self._scratch(p.array),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    ``p = p (1 - lr weight_decay)``; then the Adam step
    ``p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.

    >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
