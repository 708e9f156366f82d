"""Activation layers and their functional forms (``relu``, ``gelu``, ``softmax``, ``selu``,
``mish``...) and PyTorch's in-place ``F.<name>_`` forms."""

from __future__ import annotations

import math
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

# SELU's constants (Klambauer et al. 2017), PyTorch's digits.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha), alpha ~ 1.6733 and scale ~ 1.0507 (self-normalising)."""
    return _nl.elu(check_tensor("selu", input), _SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)), written alpha * elu(x / alpha)
    (the same for alpha > 0)."""
    x = check_tensor("celu", input)
    if _args.real("celu", "alpha", alpha) == 0:
        raise ValueError("celu: alpha must be nonzero (it divides x), got 0")
    return _nl.elu(x / alpha) * alpha


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b), where a and b are the two halves of ``input``
    along ``dim``.

    >>> F.glu(cr.randn(2, 6)).shape
    (2, 3)
    """
    x = check_tensor("glu", input)
    if x.ndim == 0:
        raise ValueError("glu: does not support a 0-d input (it halves a dimension)")
    dim = _softmax_dim("glu", x, _dim("glu", dim))
    if x.shape[dim] % 2:
        raise ValueError(f"glu: halving dimension {dim} needs an even size, got "
                         f"{x.shape[dim]} (input shape {tuple(x.shape)})")
    a, b = ops.chunk(x, 2, dim)
    return a * ops.sigmoid(b)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow for large |x|."""
    # threshold=inf: never the linear shortcut, so log(1 + e^-x) stays exact for any x.
    return -_nl.softplus(-check_tensor("logsigmoid", input), 1.0, math.inf)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = check_tensor("softsign", input)
    return x / (abs(x) + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = check_tensor("tanhshrink", input)
    return x - ops.tanh(x)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    x = check_tensor("mish", input)
    return x * ops.tanh(_nl.softplus(x))


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


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along ``dim``: exp(-x_i) / sum_j exp(-x_j)."""
    dim = _softmax_dim("softmin", input, dim)
    return softmax(-input, dim, dtype=dtype)


def inplace_form(fn):
    """PyTorch's ``F.<name>_`` for the activation ``fn``: ``fn(input, ...)`` written into
    ``input``, recorded in the graph as ``fn`` of the old value (Tensor's in-place rule)."""
    name = fn.__name__ + "_"

    def f(input: Tensor, *args, **kwargs) -> Tensor:
        return check_tensor(name, input)._inplace_op(name, fn, *args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``{fn.__name__}`` of ``input``, in place (returns ``input``)."
    return f


relu_, elu_, leaky_relu_, selu_, celu_ = map(inplace_form, (relu, elu, leaky_relu, selu, celu))


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
        return _inplace_repr(self)


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
        return _inplace_repr(self, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""

    function = _nl.ELU

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = _args.real("ELU", "alpha", alpha), inplace

    def forward(self, input: Tensor) -> Tensor:
        return _nl.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"alpha={self.alpha}")


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
        return _inplace_repr(self)


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


def _inplace_repr(module, text: str = "") -> str:
    """``text`` followed by PyTorch's ``inplace=True`` mark when the layer has it."""
    if not module.inplace:
        return text
    return f"{text}, inplace=True" if text else "inplace=True"


class _Stateless(Module):
    """A layer that applies ``_fn(input)`` (no arguments), e.g. Softsign."""

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class _Inplace(_Stateless):
    """A stateless layer that takes PyTorch's ``inplace`` flag (computed out of place)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace_repr(self)


class SELU(_Inplace):
    """scale * elu(x, alpha) with alpha ~ 1.6733, scale ~ 1.0507."""

    _fn = staticmethod(selu)


class Mish(_Inplace):
    """x * tanh(softplus(x))."""

    _fn = staticmethod(mish)


class LogSigmoid(_Stateless):
    """log(sigmoid(x)), stable for large |x|."""

    _fn = staticmethod(logsigmoid)


class Softsign(_Stateless):
    """x / (1 + |x|)."""

    _fn = staticmethod(softsign)


class Tanhshrink(_Stateless):
    """x - tanh(x)."""

    _fn = staticmethod(tanhshrink)


class CELU(Module):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if _args.real("CELU", "alpha", alpha) == 0:
            raise ValueError("CELU: alpha must be nonzero (it divides x), got 0")
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return celu(input, self.alpha)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"alpha={self.alpha}")


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = _args.integer("GLU", "dim", dim, low=-(2**31))

    def forward(self, input: Tensor) -> Tensor:
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(_DimModule):
    """softmax(-x) along ``dim``."""

    _fn = staticmethod(softmin)


class Softmax2d(Module):
    """Softmax over the channels of each position of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        check_tensor("Softmax2d", input)
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        return softmax(input, -3)
