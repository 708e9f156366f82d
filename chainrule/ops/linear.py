"""The affine op y = x W^T + b (``LinearFunction``) and ``linear``, its function."""

from __future__ import annotations

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import linalg as _linalg
from . import reduce as _reduce
from . import shape as _shape
from ._convert import check_tensor


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
        gx = _linalg.matmul(gy, W) if need[0] else None
        gW = gb = None
        if x.ndim != 2:
            gy = _shape.reshape(gy, (-1, gy.shape[-1]))
            if need[1]:
                x = _shape.reshape(x, (-1, x.shape[-1]))
        if need[1]:
            gW = _linalg.matmul(gy.T, x)
        if len(need) > 2 and need[2]:
            gb = _reduce.sum(gy, axis=0)
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
        gb = _linalg.sum_rows(gy) if len(need) > 2 and need[2] else None
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
