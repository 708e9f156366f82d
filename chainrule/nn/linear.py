"""Affine layers: ``Linear`` (y = x W^T + b), ``Identity``, ``Bilinear``; ``linear`` and its op
``LinearFunction`` live in ``chainrule.ops.linear``."""

from __future__ import annotations

import math

from .. import ops
from ..creation import empty
from ..ops._convert import check_tensor
from ..ops.linear import LinearFunction, linear  # noqa: F401 - nn's names for them
from ..tensor import Tensor
from . import _args, init
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input

    def _array_forward(self):
        return _same if type(self).forward is Identity.forward else None


def _same(a):
    return a


class Linear(Module):
    """y = x W^T + b, with weight (out_features, in_features) and bias (out_features,).

    Initialised as PyTorch: W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with
    a = sqrt(5)) and b ~ U(-1/sqrt(in), 1/sqrt(in)).

    >>> fc = nn.Linear(784, 10)
    >>> fc(cr.randn(32, 784)).shape
    (32, 10)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None, generator=None) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw the weight and bias again from PyTorch's default distributions."""
        init.reset_affine_(self.weight, self.bias, generator)

    def forward(self, input: Tensor) -> Tensor:
        if input.__class__ is not Tensor and not isinstance(input, Tensor):
            raise TypeError(f"Linear: input must be a Tensor, got {type(input).__name__}")
        x = input.array
        self._check_features(x)
        params = self._parameters  # not self.weight: Module.__getattr__ is slow per call
        W, b = params["weight"], params["bias"]
        if x.dtype != W.array.dtype:
            input = input.astype(W.dtype)
        if b is None:
            return LinearFunction()(input, W)
        return LinearFunction()(input, W, b)

    def _array_forward(self):
        return self._forward_array if type(self).forward is Linear.forward else None

    def _forward_array(self, x):
        self._check_features(x)
        params = self._parameters
        W, b = params["weight"].array, params["bias"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        return LinearFunction.forward(x, W, None if b is None else b.array)

    def _check_features(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input with {self.in_features} features (last axis), got "
                f"shape {tuple(x.shape)}"
            )

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k, with weight (out, in1, in2) and bias (out,)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None, generator=None) -> None:
        super().__init__()
        for name, v in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            _args.integer("Bilinear", name, v)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype,
                                      device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """U(-1/sqrt(in1), 1/sqrt(in1)) for weight and bias, as PyTorch."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound, generator=generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y[..., k] = sum_ij input1[..., i] weight[k, i, j] input2[..., j] + bias[k]."""
    check_tensor("bilinear", input1, "input1")
    check_tensor("bilinear", input2, "input2")
    if (input1.ndim == 0 or input2.ndim == 0 or input1.shape[-1] != weight.shape[1]
            or input2.shape[-1] != weight.shape[2] or input1.shape[:-1] != input2.shape[:-1]):
        raise ValueError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not "
            f"fit weight {tuple(weight.shape)} (expected (*, {weight.shape[1]}) and "
            f"(*, {weight.shape[2]}))"
        )
    y = ops.einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias


__all__ = ["Bilinear", "Identity", "Linear", "LinearFunction", "bilinear", "linear"]
