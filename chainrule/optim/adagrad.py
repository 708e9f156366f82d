"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_lr, check_number, grad_with_decay


def adagrad(
    p,
    g,
    state_sum,
    step: int,
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on array ``p`` in place; ``step`` counts from 1.

    ``s <- s + g^2``; ``p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.
    """
    xp = get_array_module(p)
    g = grad_with_decay(p, g, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    t = g * g  # the one scratch array of the step
    state_sum += t
    xp.sqrt(state_sum, out=t)
    t += eps
    xp.divide(g, t, out=t)
    t *= clr
    p -= t


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    ``s = s + g^2``; ``p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``, with
    ``g = grad + weight_decay * p`` and ``s`` starting at ``initial_accumulator_value``.
    As in PyTorch, the state is created with the parameter group, not at the first step.

    >>> opt = Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; its accumulators are created at once, filled with its initial value."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, self.state.setdefault(p, {}), group)

    @staticmethod
    def _init_state(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = p.xp.full_like(p.array, group["initial_accumulator_value"])

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(self, group)
        check_number(self, "lr_decay", group["lr_decay"], what="lr_decay value")
        check_number(
            self,
            "initial_accumulator_value",
            group["initial_accumulator_value"],
            what="initial_accumulator_value value",
        )
        check_number(self, "eps", group["eps"], what="epsilon value")

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        self._init_state(p, state, group)
        state["step"] += 1
        adagrad(
            p.array,
            p.grad.array,
            state["sum"],
            state["step"],
            lr=float(group["lr"]),
            lr_decay=float(group["lr_decay"]),
            weight_decay=float(group["weight_decay"]),
            eps=float(group["eps"]),
            maximize=bool(group["maximize"]),
        )
