"""Affine layers: ``Linear`` (y = x W^T + b), ``Identity``, ``Bilinear``; and ``linear``."""

from __future__ import annotations

import math

from .. import ops
from ..autograd import Function
from ..backend import get_array_module
from ..creation import empty
from ..ops._convert import check_tensor
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class LinearFunction(Function):
    """y = x W^T + b with one GEMM; gx = gy W, gW = gy^T x, gb = sum of gy over samples.

    ``x`` may have any number of leading axes: they are flattened into one for the GEMMs.
    """

    @staticmethod
    def forward(x, W, b=None):  # stateless: also Linear's no-graph array function
        # np.dot, not matmul: for 2-d operands it reaches BLAS with less overhead.
        dot = get_array_module(x).dot
        if x.ndim == 2 and x.shape[0] == 1:  # one sample: W x, a GEMV over W's rows
            y = dot(W, x[0])
            if b is not None:
                y += b  # on the 1-d result, before the reshape: cheaper than a broadcast add
            return y.reshape(1, -1)
        if x.ndim == 2:
            y = dot(x, W.T)
        else:
            y = dot(x.reshape(-1, x.shape[-1]), W.T).reshape(x.shape[:-1] + (W.shape[0],))
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        need = self.needs_grad
        gx = ops.matmul(gy, W) if need[0] else None
        gW = gb = None
        if x.ndim != 2:
            gy = ops.reshape(gy, (-1, gy.shape[-1]))
            if need[1]:
                x = ops.reshape(x, (-1, x.shape[-1]))
        if need[1]:
            gW = ops.matmul(gy.T, x)
        if len(need) > 2 and need[2]:
            gb = ops.sum(gy, axis=0)
        return (gx, gW, gb)[: len(need)]  # one gradient per input: none for a missing bias

    def backward_array(self, gy):
        """The same gradients on arrays (np.dot calls BLAS with less overhead than matmul
        for the transposed operand)."""
        x, W = self.inputs[0].array, self.inputs[1].array
        need = self.needs_grad
        xp = get_array_module(gy)
        x_shape = x.shape
        if gy.ndim != 2:
            gy = gy.reshape(-1, gy.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        gx = xp.dot(gy, W).reshape(x_shape) if need[0] else None
        gW = xp.dot(gy.T, x) if need[1] else None
        gb = ops.linalg.sum_rows(gy) if len(need) > 2 and need[2] else None
        return (gx, gW, gb)[: len(need)]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map y = input @ weight^T + bias; input (*, in), weight (out, in), bias (out,)."""
    check_tensor("linear", input)
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: expected input with {weight.shape[-1]} features (last axis), got shape "
            f"{tuple(input.shape)} (weight {tuple(weight.shape)})"
        )
    if input.dtype != weight.dtype:
        input = input.astype(weight.dtype)
    if bias is None:
        return LinearFunction()(input, weight)
    return LinearFunction()(input, weight, bias)


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
