"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_lr, check_number, grad_with_decay


def adadelta(
    p,
    g,
    square_avg,
    acc_delta,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step on array ``p`` in place.

    ``v <- rho v + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u <- rho u + (1 - rho) d^2``; ``p <- p - lr d``.
    """
    xp = get_array_module(p)
    g = grad_with_decay(p, g, weight_decay, maximize)
    t = g * g  # scratch
    t *= 1 - rho
    square_avg *= rho
    square_avg += t
    d = acc_delta + eps  # the update itself
    xp.sqrt(d, out=d)
    xp.add(square_avg, eps, out=t)
    xp.sqrt(t, out=t)
    d /= t
    d *= g
    xp.multiply(d, d, out=t)
    t *= 1 - rho
    acc_delta *= rho
    acc_delta += t
    d *= lr
    p -= d


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    ``v = rho v + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(v + eps) g``;
    ``u = rho u + (1 - rho) d^2``; ``p = p - lr d``, with ``g = grad + weight_decay * p``.

    >>> opt = Adadelta(model.parameters())
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(self, group)
        check_number(self, "rho", group["rho"], high=1.0, what="rho value")
        check_number(self, "eps", group["eps"], what="epsilon value")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = p.xp.zeros_like(p.array)
            state["acc_delta"] = p.xp.zeros_like(p.array)
        state["step"] += 1
        adadelta(
            p.array,
            p.grad.array,
            state["square_avg"],
            state["acc_delta"],
            lr=float(group["lr"]),
            rho=float(group["rho"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            maximize=bool(group["maximize"]),
        )
