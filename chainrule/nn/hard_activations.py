"""Piecewise-linear activations (``Hardtanh``, ``ReLU6``, ``Hardsigmoid``, ``Hardswish``,
``Hardshrink``, ``Softshrink``, ``Threshold``, ``RReLU``) and ``PReLU``, composed from clip,
where and relu (their gradients follow)."""

from __future__ import annotations

from .. import ops
from ..ops import nonlinear as _nl
from ..ops._convert import check_tensor
from ..ops.stats import hardshrink
from ..random import Generator, rng
from ..tensor import Tensor
from . import _args
from .activation import _inplace_repr, inplace_form
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


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0: x - clip(x, -lambd, lambd)."""
    x = check_tensor("softshrink", input)
    _args.real("softshrink", "lambd", lambd, 0.0)
    return x - ops.clip(x, -lambd, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value`` (NaN stays NaN, as PyTorch)."""
    x = check_tensor("threshold", input)
    return ops.where(x <= threshold, value, x)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Randomized leaky ReLU: x for x >= 0, a x otherwise, with a ~ U(lower, upper) drawn
    per element from ``generator`` in training and a = (lower + upper) / 2 in eval."""
    x = check_tensor("rrelu", input)
    _args.real("rrelu", "lower", lower)
    if _args.real("rrelu", "upper", upper) < lower:
        raise ValueError(f"rrelu: lower must be <= upper, got lower={lower}, upper={upper}")
    if not training:
        return _nl.leaky_relu(x, (lower + upper) / 2)
    a = x.xp.asarray(rng(generator).uniform(lower, upper, x.shape), dtype=x.dtype)
    # The drawn slope is a constant of the graph: dy/dx = 1 or a, as PyTorch's noise.
    return x * Tensor._make(x.xp.where(x.array >= 0, x.dtype.type(1), a), False)


hardtanh_, threshold_, rrelu_ = map(inplace_form, (hardtanh, threshold, rrelu))


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


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    _fn = staticmethod(hardshrink)
    _low = None  # the smallest lambd allowed (Softshrink: 0)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = _args.real(type(self).__name__, "lambd", lambd, self._low)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""

    _fn = staticmethod(softshrink)
    _low = 0.0


class Threshold(Module):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = _args.real("Threshold", "threshold", threshold)
        self.value = _args.real("Threshold", "value", value)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"threshold={self.threshold}, value={self.value}")


class RReLU(Module):
    """Randomized leaky ReLU: a random slope a ~ U(lower, upper) per negative element in
    training (drawn from ``generator``), the mean slope (lower + upper) / 2 in eval.

    >>> act = nn.RReLU(generator=cr.Generator(0))
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 generator=None) -> None:
        super().__init__()
        self.lower = _args.real("RReLU", "lower", lower)
        if _args.real("RReLU", "upper", upper) < lower:
            raise ValueError(f"RReLU: lower must be <= upper, got lower={lower}, upper={upper}")
        if isinstance(generator, int) and not isinstance(generator, bool):
            generator = Generator(generator)  # one stream: new slopes at every call
        self.upper, self.inplace, self.generator = upper, inplace, generator

    def forward(self, input: Tensor) -> Tensor:
        return rrelu(input, self.lower, self.upper, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"lower={self.lower}, upper={self.upper}")
