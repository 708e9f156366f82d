"""Gradient clipping and flattening parameters to one vector, as ``torch.nn.utils``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from ..backend import get_array_module, to_device
from ..ops.shape import concatenate, reshape
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _tensors(name: str, parameters) -> list[Tensor]:
    """``parameters`` (one tensor or an iterable of them) as a list, checked."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(
            f"{name}: parameters must be a Tensor or an iterable of Tensors, got "
            f"{type(parameters).__name__}"
        ) from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: parameters[{i}] is {type(p).__name__}, not a Tensor")
    return params


def _number(name: str, arg: str, value) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{name}: {arg} must be a real number, got {value!r}")
    return float(value)


def _vector_norm(a, ord: float):
    """The ``ord``-norm of all elements of array ``a`` (a 0-d array of ``a``'s dtype)."""
    xp = get_array_module(a)
    a = a.ravel()
    if a.size == 0:
        return xp.zeros((), a.dtype)
    if ord == 2:
        return xp.sqrt(xp.dot(a, a))
    if ord == math.inf:
        return xp.abs(a).max()
    if ord == -math.inf:
        return xp.abs(a).min()
    if ord == 0:
        return xp.asarray(xp.count_nonzero(a), dtype=a.dtype)
    if ord == 1:
        return xp.abs(a).sum()
    return (xp.abs(a) ** ord).sum() ** (1.0 / ord)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    ``total = || (||g_1||, ..., ||g_n||) ||`` (the ``norm_type``-norm of all gradients as
    one vector); every gradient is multiplied by ``min(1, max_norm / (total + 1e-6))``.
    Returns ``total`` (before clipping) as a 0-d Tensor.

    >>> clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    name = "clip_grad_norm_"
    params = _tensors(name, parameters)
    max_norm = _number(name, "max_norm", max_norm)
    if max_norm < 0:
        raise ValueError(f"{name}: max_norm must be >= 0, got {max_norm!r}")
    norm_type = _number(name, "norm_type", norm_type)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    first = grads[0].array
    xp = get_array_module(first)
    norms = [to_device(_vector_norm(g.array, norm_type), grads[0].device) for g in grads]
    total = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"{name}: the total norm of order {norm_type} of the gradients is non-finite "
            f"({float(total)}), so it cannot be clipped; pass error_if_nonfinite=False to clip "
            f"anyway"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # a non-finite norm gives NaN gradients, as in PyTorch
        for g in grads:
            g.array *= to_device(coef, g.device).astype(g.dtype)
            g._version += 1
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient in place to ``[-clip_value, clip_value]``.

    >>> clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    name = "clip_grad_value_"
    params = _tensors(name, parameters)
    clip_value = _number(name, "clip_value", clip_value)
    if clip_value < 0:
        raise ValueError(f"{name}: clip_value must be >= 0, got {clip_value!r}")
    for p in params:
        g = p.grad
        if g is not None:
            get_array_module(g.array).clip(g.array, -clip_value, clip_value, out=g.array)
            g._version += 1


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-d tensor (differentiable).

    >>> vec = parameters_to_vector(model.parameters())
    """
    params = _tensors("parameters_to_vector", parameters)
    if not params:
        raise ValueError("parameters_to_vector: got an empty parameter list")
    return concatenate([reshape(p, -1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place.

    >>> vector_to_parameters(vec, model.parameters())
    """
    name = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{name}: vec must be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"{name}: vec must be 1-d, got shape {tuple(vec.shape)}")
    params = _tensors(name, parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(
            f"{name}: vec has {vec.numel()} elements, the parameters have {total} in all"
        )
    offset = 0
    for p in params:
        src = to_device(vec.array[offset : offset + p.numel()], p.device)
        p.array[...] = src.reshape(p.shape)
        p._version += 1
        offset += p.numel()
