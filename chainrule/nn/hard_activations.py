"""Piecewise-linear activations (``Hardtanh``, ``ReLU6``, ``Hardsigmoid``, ``Hardswish``)
and ``PReLU``, composed from clip, where and relu (their gradients follow)."""

from __future__ import annotations

from .. import ops
from ..ops._convert import check_tensor
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]."""
    return ops.clip(check_tensor("hardtanh", input), min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return ops.clip(check_tensor("relu6", input), 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return relu6(check_tensor("hardsigmoid", input) + 3.0) * (1.0 / 6.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    x = check_tensor("hardswish", input)
    return x * hardsigmoid(x)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), ``weight`` per channel (dim 1) or one value."""
    x = check_tensor("prelu", input)
    w = weight
    if w.numel() > 1:
        if x.ndim < 2 or x.shape[1] != w.numel():
            raise ValueError(
                f"prelu: {w.numel()} weights for input of shape {tuple(x.shape)} (channels "
                f"are dim 1)"
            )
        w = ops.reshape(w, (1, -1) + (1,) * (x.ndim - 2))
    return ops.relu(x) - w * ops.relu(-x)


def _simple(name, fn, doc, **defaults):
    def __init__(self, *args, **kwargs) -> None:
        Module.__init__(self)
        names = list(defaults)
        values = dict(defaults)
        values.update(zip(names, args))
        values.update(kwargs)
        for k, v in values.items():
            setattr(self, k, v)

    def forward(self, input: Tensor) -> Tensor:
        return fn(input, **{k: getattr(self, k) for k in defaults if k != "inplace"})

    return type(name, (Module,), {"__init__": __init__, "forward": forward, "__doc__": doc,
                                  "__module__": __name__})


Hardtanh = _simple("Hardtanh", hardtanh, "x clipped to [min_val, max_val].", min_val=-1.0,
                   max_val=1.0, inplace=False)
ReLU6 = _simple("ReLU6", relu6, "min(max(x, 0), 6).", inplace=False)
Hardsigmoid = _simple("Hardsigmoid", hardsigmoid, "relu6(x + 3) / 6.", inplace=False)
Hardswish = _simple("Hardswish", hardswish, "x * relu6(x + 3) / 6.", inplace=False)


class PReLU(Module):
    """max(0, x) + a * min(0, x) with a learned slope ``weight`` (``num_parameters`` of
    them, one per channel, initialised to ``init``)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        from ..creation import full

        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype or "float32",
                                     device=device))

    def forward(self, input: Tensor) -> Tensor:
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
