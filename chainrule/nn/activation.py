"""Activation layers and their functional forms (``relu``, ``gelu``, ``softmax``...)."""

from __future__ import annotations

import warnings

from .. import ops
from ..ops import elementwise as _ew
from ..ops import nonlinear as _nl
from ..ops._convert import check_tensor
from ..tensor import Tensor
from . import _args
from .module import Module


def _dim(owner: str, dim):
    return dim if dim is None else _args.integer(owner, "dim", dim, low=-(2**31))


# -- functional forms (PyTorch's signatures; ``inplace`` is accepted and computes out of place)


# relu, leaky_relu, elu, gelu, silu, sigmoid, tanh, softplus: the ops themselves (chainrule.ops),
# whose signatures are PyTorch's.
relu, sigmoid, tanh = ops.relu, ops.sigmoid, ops.tanh
leaky_relu, elu, gelu, silu, softplus = _nl.leaky_relu, _nl.elu, _nl.gelu, _nl.silu, _nl.softplus


def _softmax_dim(name: str, input: Tensor, dim) -> int:
    check_tensor(name, input)
    if dim is None:
        # PyTorch's legacy choice when no dim is given (with the same warning).
        warnings.warn(
            f"{name}: implicit dimension choice is deprecated; pass dim= explicitly",
            stacklevel=3,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
        raise ValueError(
            f"{name}: dim {dim} is out of range for an input of shape {tuple(input.shape)}"
        )
    return dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, computed stably."""
    dim = _softmax_dim("softmax", input, dim)
    if dtype is not None:
        input = input.astype(dtype)
    return ops.softmax(input, axis=dim) if input.ndim else ops.softmax(input.reshape(1))[0]


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``."""
    dim = _softmax_dim("log_softmax", input, dim)
    if dtype is not None:
        input = input.astype(dtype)
    if not input.ndim:
        return ops.log_softmax(input.reshape(1))[0]
    return ops.log_softmax(input, axis=dim)


# -- modules -------------------------------------------------------------------------------


def _array_op(module, cls):
    """``module._array_forward`` for an activation computed by the stateless forward of its
    op (``cls.function``), unless a subclass of ``cls`` overrides ``forward``."""
    if type(module).forward is not cls.forward:
        return None
    return cls.function.forward


class ReLU(Module):
    """max(x, 0) elementwise."""

    function = _ew.ReLU  # the op it computes (its properties drive the diagnostics)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.relu(input)

    def _array_forward(self):
        return _array_op(self, ReLU)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    function = _nl.LeakyReLU

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = _args.real("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return _nl.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""

    function = _nl.ELU

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = _args.real("ELU", "alpha", alpha), inplace

    def forward(self, input: Tensor) -> Tensor:
        return _nl.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x Phi(x) (``approximate='tanh'``: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return _nl.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x)."""

    function = _nl.SiLU

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return _nl.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    function = _ew.Sigmoid

    def forward(self, input: Tensor) -> Tensor:
        return ops.sigmoid(input)

    def _array_forward(self):
        return _array_op(self, Sigmoid)


class Tanh(Module):
    """Hyperbolic tangent."""

    function = _ew.Tanh

    def forward(self, input: Tensor) -> Tensor:
        return ops.tanh(input)

    def _array_forward(self):
        return _array_op(self, Tanh)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold."""

    function = _nl.Softplus

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _args.real("Softplus", "beta", beta)
        self.threshold = _args.real("Softplus", "threshold", threshold)

    def forward(self, input: Tensor) -> Tensor:
        return _nl.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _DimModule(Module):
    """A layer applying ``_fn(input, dim)`` (Softmax, LogSoftmax)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _dim(type(self).__name__, dim)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""

    _fn = staticmethod(softmax)


class LogSoftmax(_DimModule):
    """x_i - logsumexp(x) along ``dim``."""

    _fn = staticmethod(log_softmax)
