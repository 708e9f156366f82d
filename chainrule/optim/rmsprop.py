"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_lr, check_number, grad_with_decay


def rmsprop(
    p,
    g,
    square_avg,
    grad_avg,
    momentum_buffer,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on array ``p`` in place (``grad_avg`` used only when ``centered``).

    ``v <- alpha v + (1 - alpha) g^2``; ``avg = sqrt(v - m^2) + eps`` with
    ``m <- alpha m + (1 - alpha) g`` when centered, else ``sqrt(v) + eps``; then
    ``b <- momentum b + g / avg``, ``p <- p - lr b`` (or ``p <- p - lr g / avg``).
    """
    xp = get_array_module(p)
    g = grad_with_decay(p, g, weight_decay, maximize)
    t = g * g  # the one scratch array of the step
    t *= 1 - alpha
    square_avg *= alpha
    square_avg += t
    if centered:
        xp.multiply(g, 1 - alpha, out=t)
        grad_avg *= alpha
        grad_avg += t
        xp.multiply(grad_avg, grad_avg, out=t)
        xp.subtract(square_avg, t, out=t)
        xp.sqrt(t, out=t)
    else:
        xp.sqrt(square_avg, out=t)
    t += eps
    xp.divide(g, t, out=t)
    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += t
        xp.multiply(momentum_buffer, lr, out=t)
    else:
        t *= lr
    p -= t


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as ``torch.optim.RMSprop``.

    ``v = alpha v + (1 - alpha) g^2``; ``p = p - lr g / (sqrt(v) + eps)``; centered
    subtracts the squared running mean of ``g`` from ``v``; momentum accumulates
    ``b = momentum b + g / (sqrt(v) + eps)`` and steps ``p = p - lr b``.

    >>> opt = RMSprop(model.parameters(), lr=1e-2)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(self, group)
        check_number(self, "eps", group["eps"], what="epsilon value")
        check_number(self, "momentum", group["momentum"], what="momentum value")
        check_number(self, "alpha", group["alpha"], what="alpha value")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum = float(group["momentum"])
        centered = bool(group["centered"])
        zeros = p.xp.zeros_like
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros(p.array)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = zeros(p.array)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = zeros(p.array)
        state["step"] += 1
        rmsprop(
            p.array,
            p.grad.array,
            state["square_avg"],
            state.get("grad_avg"),
            state.get("momentum_buffer"),
            lr=float(group["lr"]),
            alpha=float(group["alpha"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            momentum=momentum,
            centered=centered,
            maximize=bool(group["maximize"]),
        )
