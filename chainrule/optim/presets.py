"""The optimizers the command-line tools offer (``chainrule train``, ``chainrule doctor``),
by name, with their default settings: one table, so that the tools agree.

>>> opt = make_optimizer("sgd", model.parameters())   # SGD(lr=0.05, momentum=0.9)
"""

from __future__ import annotations

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

#: name -> (class, default keyword arguments); every entry has a default ``lr``.
OPTIMIZERS: dict[str, tuple[type, dict]] = {
    "sgd": (SGD, {"lr": 0.05, "momentum": 0.9}),
    "adam": (Adam, {"lr": 1e-3}),
    "adamw": (AdamW, {"lr": 1e-3}),
    "rmsprop": (RMSprop, {"lr": 1e-3}),
}


def default_lr(name: str) -> float:
    """The default learning rate of the optimizer called ``name`` in ``OPTIMIZERS``."""
    return OPTIMIZERS[_known(name)][1]["lr"]


def make_optimizer(name: str, params, lr: float | None = None) -> Optimizer:
    """The optimizer ``name`` over ``params`` with the table's settings (and ``lr`` when
    given instead of the default)."""
    cls, kwargs = OPTIMIZERS[_known(name)]
    if lr is not None:
        kwargs = {**kwargs, "lr": lr}
    return cls(params, **kwargs)


def _known(name: str) -> str:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return name
