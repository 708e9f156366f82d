"""Parameter initialisation, with PyTorch's names, formulas and fan conventions.

Every function fills a tensor in place (under no_grad, keeping its dtype), returns it, and
takes ``generator=`` (a ``cr.Generator``, a NumPy Generator or an int seed; the default
generator when None).

>>> w = nn.Parameter(cr.empty(256, 784))
>>> nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=cr.Generator(0))
"""

from __future__ import annotations

import math

import numpy as np

from ..random import rng
from ..tensor import Tensor

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d", "sigmoid")


def _check(fname: str, tensor) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{fname}: expected a Tensor, got {type(tensor).__name__}")
    return tensor


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor`` in place (no graph, same dtype and device)."""
    xp = tensor.xp
    tensor.array[...] = xp.asarray(values, dtype=tensor.dtype) if xp is not np else values
    tensor._version += 1
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu), 3/4 (selu)."""
    if nonlinearity in _LINEAR_FNS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (shape[1] * receptive field, shape[0] * receptive field), where
    the receptive field is the product of shape[2:] (conv kernels)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions (shape {tuple(tensor.shape)})"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check("uniform_", tensor)
    if a > b:
        raise ValueError(f"init.uniform_: a ({a}) must not be greater than b ({b})")
    return _fill(tensor, rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check("normal_", tensor)
    if std < 0:
        raise ValueError(f"init.normal_: std must be non-negative, got {std}")
    return _fill(tensor, rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) samples redrawn until they fall in [a, b]."""
    _check("trunc_normal_", tensor)
    if not a < b:
        raise ValueError(f"init.trunc_normal_: a ({a}) must be less than b ({b})")
    g = rng(generator)
    out = g.normal(mean, std, tensor.shape)
    bad = (out < a) | (out > b)
    for _ in range(1000):
        if not bad.any():
            break
        out[bad] = g.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, np.clip(out, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _check("constant_", tensor)
    tensor.array[...] = val
    tensor._version += 1
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity matrix."""
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"init.eye_: only 2-d tensors are supported, got {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    _check("xavier_uniform_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return _fill(tensor, rng(generator).uniform(-a, a, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    _check("xavier_normal_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, rng(generator).normal(0.0, std, tensor.shape))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tensor.shape:
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-bound, bound) with bound = gain sqrt(3 / fan) (He et al., 2015); ``a`` is the
    negative slope of leaky_relu and ``mode`` picks fan_in or fan_out."""
    _check("kaiming_uniform_", tensor)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return _fill(tensor, rng(generator).uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    _check("kaiming_normal_", tensor)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _fill(tensor, rng(generator).normal(0.0, std, tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal matrix, times
    ``gain``; dimensions after the first are flattened (Saxe et al., 2013)."""
    _check("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError(
            f"init.orthogonal_: only tensors with 2 or more dimensions are supported, got "
            f"shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def reset_affine_(weight: Tensor, bias: Tensor | None, generator=None) -> None:
    """PyTorch's default initialisation of Linear and Conv layers: kaiming_uniform_ with
    a = sqrt(5) for the weight (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), and the bias from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound, generator=generator)
