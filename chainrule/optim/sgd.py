"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_lr, check_number, grad_with_decay


def sgd(
    p,
    g,
    momentum_buffer,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    out=None,
):
    """One SGD step on array ``p`` in place; returns the momentum buffer (new on step 1).

    ``g <- g + weight_decay * p``; with momentum ``b <- momentum * b + (1 - dampening) * g``
    (``b = g`` on the first step) and ``g <- g + momentum * b`` (Nesterov) or ``g <- b``;
    then ``p <- p - lr * g``. ``out``, if given, is a scratch array of ``p``'s shape and
    dtype that the step may overwrite.
    """
    d = grad_with_decay(p, g, weight_decay, maximize)
    owned = d is not g  # a temporary of ours that may be overwritten
    if momentum != 0:
        b = momentum_buffer
        if b is None:
            b = d.copy()
        else:
            b *= momentum
            if dampening == 0:
                b += d
            else:
                b += (1 - dampening) * d
        if nesterov:
            t = b * momentum
            t += d
            d, owned = t, True
        else:
            d, owned = b, False
        momentum_buffer = b
    if owned:
        d *= lr
        p -= d
    elif out is not None:
        get_array_module(p).multiply(d, lr, out=out)
        p -= out
    else:
        p -= lr * d
    return momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    ``g = grad + weight_decay * p``; ``b = momentum * b + (1 - dampening) * g``;
    ``p = p - lr * (g + momentum * b if nesterov else b)`` (``b = g`` when momentum is 0).

    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(self, group)
        check_number(self, "momentum", group["momentum"], what="momentum value")
        check_number(self, "dampening", group["dampening"], low=float("-inf"))
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{self._name}: nesterov=True requires a momentum > 0 and zero dampening, got "
                f"momentum={group['momentum']!r} and dampening={group['dampening']!r}"
            )

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum = float(group["momentum"])
        buf = sgd(
            p.array,
            p.grad.array,
            state.get("momentum_buffer"),
            lr=float(group["lr"]),
            momentum=momentum,
            dampening=float(group["dampening"]),
            weight_decay=float(group["weight_decay"]),
            nesterov=bool(group["nesterov"]),
            maximize=bool(group["maximize"]),
            out=self._scratch(p.array),
        )
        if momentum != 0:
            state["momentum_buffer"] = buf
