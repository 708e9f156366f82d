"""Reductions: sum, mean, max, min, var, std, logsumexp, prod, argmax, argmin.

Each takes ``axis`` (None, an int or a tuple) and ``keepdims`` as in NumPy; ``dim=`` is
accepted as PyTorch's spelling of ``axis``.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import shape as _shape
from ._convert import check_tensor, float_input, normalize_axis, pick_axis


def _axes(fname, x, axis, dim):
    """The axes a reduction runs over, as a tuple, or None for all of them (and for a 0-d
    tensor, whose axis 0 or -1 PyTorch accepts)."""
    axes = normalize_axis(fname, pick_axis(axis, dim), x.ndim)
    return None if x.ndim == 0 else axes


def _kept_shape(shape, axes):
    """The shape of a reduction over ``axes`` with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    saves_inputs = False

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        if not (self.keepdims or self.axes == ()):
            gy = _shape.reshape(gy, _kept_shape(self.in_shape, self.axes))
        return _shape.broadcast_to(gy, self.in_shape)

    def backward_array(self, gy):
        if not (self.keepdims or self.axes == ()):
            gy = gy.reshape(_kept_shape(self.in_shape, self.axes))
        return get_array_module(gy).broadcast_to(gy, self.in_shape)


class SumTo(Function):
    """Sum a broadcast gradient back to ``shape``: the inverse of broadcast_to."""

    saves_inputs = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return _shape.broadcast_to(gy, self.in_shape)


def sum_to_array(a, shape):
    """Sum array ``a`` over the axes along which an array of ``shape`` broadcasts to it (the
    array form of ``sum_to``)."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1
    )
    return a.sum(axis=axes).reshape(shape) if axes else a


def sum_to(x: Tensor, shape) -> Tensor:
    """Sum ``x`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if x.shape == tuple(shape):
        return x
    return SumTo(shape)(x)


def sum(x, axis=None, keepdims: bool = False, dim=None, dtype=None) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis`` (all axes when None)."""
    x = check_tensor("sum", x)
    axes = _axes("sum", x, axis, dim)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind == "b":
        x = x.astype(np.int64)
    return Sum(axes, keepdims)(x)


def _count(shape, axes) -> int:
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def mean(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:
    """Arithmetic mean over ``axis``."""
    x = float_input("mean", x)
    axes = _axes("mean", x, axis, dim)
    n = _count(x.shape, axes)
    # The mean of nothing is NaN, as in NumPy and PyTorch (this module's max is the op).
    return Sum(axes, keepdims)(x) * (1.0 / n if n else float("nan"))


def var(x, axis=None, keepdims: bool = False, ddof: int = 0, dim=None, correction=None) -> Tensor:
    """Variance over ``axis``: mean((x - mean(x))^2) * n / (n - ddof).

    ``ddof=0`` (NumPy's default) is the population variance; PyTorch's unbiased default is
    ``ddof=1`` (``correction=1`` is accepted as its spelling).
    """
    x = check_tensor("var", x)
    if correction is not None:
        ddof = correction
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    axes = _axes("var", x, axis, dim)
    n = _count(x.shape, axes)
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} elements")
    d = x - mean(x, axes, keepdims=True)
    return Sum(axes, keepdims)(d * d) * (1.0 / (n - ddof))


class _StdSqrt(Function):
    """sqrt for std. Where the spread is 0 the gradient is 0, as in PyTorch, instead of the
    0/0 = NaN of sqrt's rule: a constant slice of a batch must not poison the gradients."""

    saves_inputs = False
    saves_output = True

    def forward(self, v):
        return get_array_module(v).sqrt(v)

    def backward(self, gy):
        from .elementwise import where

        y = self.output()
        zero = y.array == 0
        if not zero.any():
            return gy / (y * 2.0)
        zero = Tensor._make(zero, False)
        return where(zero, 0.0, gy / (where(zero, 1.0, y) * 2.0))


def std(x, axis=None, keepdims: bool = False, ddof: int = 0, dim=None, correction=None) -> Tensor:
    """Standard deviation: sqrt(var(x)). See ``var`` for ``ddof``."""
    x = check_tensor("std", x)
    _axes("std", x, axis, dim)  # so that errors name std
    return _StdSqrt()(var(x, axis, keepdims, ddof, dim, correction))


class _Extreme(Function):
    """max or min over axes; the gradient goes to the extreme elements, split evenly on ties."""

    saves_output = True

    def __init__(self, axes, keepdims, fn):
        self.axes, self.keepdims, self.fn = axes, keepdims, fn

    def forward(self, x):
        return getattr(x, self.fn)(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0].array
        y = self.output().array
        kept = _kept_shape(x.shape, self.axes)
        mask = x == y.reshape(kept)
        w = mask / mask.sum(axis=self.axes, keepdims=True)
        gy = _shape.reshape(gy, kept) if not self.keepdims else gy
        g = gy * Tensor._make(w.astype(gy.dtype), False)
        if mask.all():
            return g
        from .elementwise import where

        # Selected, so the elements that are not extreme get 0 even from an infinite gy.
        return where(Tensor._make(mask, False), g, 0.0)


def _extreme(fn, x, axis, keepdims, dim):
    x = check_tensor(fn, x)
    axes = _axes(fn, x, axis, dim)
    if x.size == 0:
        raise ValueError(f"{fn}: cannot reduce an empty tensor of shape {tuple(x.shape)}")
    return _Extreme(axes, keepdims, fn)(x)


def max(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:  # noqa: A001
    """Largest element over ``axis`` (NumPy's ``amax``); ties share the gradient."""
    return _extreme("max", x, axis, keepdims, dim)


def min(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``; ties share the gradient."""
    return _extreme("min", x, axis, keepdims, dim)


class LogSumExp(Function):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max(x), so it never
    overflows; d/dx = exp(x - y) = softmax(x)."""

    saves_output = True

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        return y if self.keepdims else y.reshape(_reduced_shape(x.shape, self.axes))

    def backward(self, gy):
        from .elementwise import exp

        x = self.inputs[0]
        kept = _kept_shape(x.shape, self.axes)
        y = _shape.reshape(self.output(), kept)
        return _shape.reshape(gy, kept) * exp(x - y)


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def logsumexp(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:
    """log(sum(exp(x), axis)), numerically stable."""
    x = float_input("logsumexp", x)
    return LogSumExp(_axes("logsumexp", x, axis, dim), keepdims)(x)


class Prod(Function):
    """Product over axes; d/dx_i = prod_{j != i} x_j (exact even where some x_j are 0)."""

    saves_output = True

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.prod(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        kept = _kept_shape(x.shape, self.axes)
        gy = _shape.reshape(gy, kept)
        if not bool((x.array == 0).any()):
            return gy * _shape.reshape(self.output(), kept) / x
        # With zeros, y / x is undefined: form the product of the other elements directly
        # (with differentiable ops; backward_array uses cumulative products).
        return gy * _prod_of_others_graph(x, self.axes)

    def backward_array(self, gy):
        x = self.inputs[0].array
        gy = gy.reshape(_kept_shape(x.shape, self.axes))
        if not bool((x == 0).any()):
            return gy * self.output().array.reshape(gy.shape) / x
        return gy * _prod_of_others(get_array_module(x), x, self.axes)


def _prod_of_others_graph(x, axes):
    """prod_{j != i} x_j for every i, as a graph: each element's row of the reduced values
    with the element itself replaced by 1, multiplied out (n^2 work; used for second
    derivatives at zeros only)."""
    from .elementwise import where

    axes = tuple(range(x.ndim)) if axes is None else axes
    rest = [i for i in range(x.ndim) if i not in axes]
    perm = rest + list(axes)
    xt = _shape.transpose(x, perm)
    lead = xt.shape[: len(rest)]
    n = math.prod(xt.shape[len(rest) :])
    rows = _shape.broadcast_to(_shape.reshape(xt, (*lead, 1, n)), (*lead, n, n))
    diag = Tensor._make(x.xp.eye(n, dtype=bool), False)
    others = prod(where(diag, 1.0, rows), axis=-1)
    return _shape.transpose(_shape.reshape(others, xt.shape), tuple(np.argsort(perm)))


def _prod_of_others(xp, x, axes):
    axes = tuple(range(x.ndim)) if axes is None else axes
    rest = [i for i in range(x.ndim) if i not in axes]
    perm = rest + list(axes)
    xt = x.transpose(perm)
    flat = xt.reshape(xt.shape[: len(rest)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out = (left * right).reshape(xt.shape)
    return out.transpose(np.argsort(perm))


def prod(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:
    """Product of elements over ``axis``."""
    x = check_tensor("prod", x)
    return Prod(_axes("prod", x, axis, dim), keepdims)(x)


def _arg(fn, x, axis, keepdims, dim):
    x = check_tensor(fn, x)
    axis = pick_axis(axis, dim)
    if axis is not None:
        (axis,) = normalize_axis(fn, axis, x.ndim)
    if x.size == 0:
        raise ValueError(f"{fn}: cannot reduce an empty tensor")
    out = getattr(x.xp, fn)(x.array, axis=axis, keepdims=keepdims)
    return Tensor._make(x.xp.asarray(out, dtype=np.int64), False)


def argmax(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:
    """Index of the largest element over ``axis`` (of the flattened tensor when None)."""
    return _arg("argmax", x, axis, keepdims, dim)


def argmin(x, axis=None, keepdims: bool = False, dim=None) -> Tensor:
    """Index of the smallest element over ``axis``."""
    return _arg("argmin", x, axis, keepdims, dim)
