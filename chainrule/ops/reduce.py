"""Reductions: sum, mean, amax, amin, max, min, var, std, logsumexp, prod, argmax, argmin.

Each takes ``dim`` (None, an int or a tuple) and ``keepdim`` as PyTorch's (NumPy's
``axis=`` and ``keepdims=`` are accepted too). Where the two libraries disagree, the
result is PyTorch's: ``max(x, dim)``/``min`` give ``(values, indices)`` (``amax``/``amin``
give values over any dims), and ``var``/``std`` are unbiased unless ``correction=0``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import shape as _shape
from ._convert import check_tensor, float_input, normalize_axis, pick_axis, pick_keep


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
    try:
        if np.broadcast_shapes(tuple(shape), x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"sum_to: shape {tuple(x.shape)} does not broadcast from "
                         f"{tuple(shape)}, so it cannot be summed back to it") from None
    return SumTo(shape)(x)


def sum(x, axis=None, keepdims: bool = False, dim=None, dtype=None, *,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum of elements over ``axis`` (all axes when None)."""
    x = check_tensor("sum", x)
    keepdims = pick_keep(keepdims, keepdim)
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


def mean(x, axis=None, keepdims: bool = False, dim=None, *, keepdim: bool | None = None,
         dtype=None) -> Tensor:
    """Arithmetic mean over ``axis``."""
    x = check_tensor("mean", x)
    keepdims = pick_keep(keepdims, keepdim)
    if dtype is not None:
        x = x.astype(dtype)
    x = float_input("mean", x)
    if x.dtype == np.float16:  # accumulate in float32, as PyTorch does: the sum passes 65504
        return mean(x.astype(np.float32), axis, keepdims, dim).astype(np.float16)
    axes = _axes("mean", x, axis, dim)
    n = _count(x.shape, axes)
    # The mean of nothing is NaN, as in NumPy and PyTorch (this module's max is the op).
    return Sum(axes, keepdims)(x) * (1.0 / n if n else float("nan"))


def var(x, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims: bool | None = None, ddof=None) -> Tensor:
    """Variance over ``dim``: sum((x - mean(x))^2) / (n - correction).

    Unbiased by default, as in PyTorch (``correction=1``); ``correction=0`` (or
    ``unbiased=False``, or NumPy's ``ddof=0``) gives the population variance.
    ``var(x, False)`` is read as PyTorch reads it: ``unbiased=False``.
    """
    x = check_tensor("var", x)
    if isinstance(dim, bool):  # torch.var(input, unbiased)
        dim, unbiased = None, dim
    ddof = _correction("var", ddof, correction, unbiased)
    keepdims = keepdim or bool(keepdims)
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if x.dtype == np.float16:  # accumulate in float32, as PyTorch does
        return var(x.astype(np.float32), dim, keepdim=keepdims, correction=ddof,
                   axis=axis).astype(np.float16)
    axes = _axes("var", x, axis, dim)
    n = _count(x.shape, axes)
    d = x - mean(x, axes, keepdims=True)
    if n - ddof <= 0:
        # No degree of freedom left: PyTorch divides by max(0, n - correction), so the
        # result is inf (NaN where every deviation is 0), with a warning; not an error, since
        # a batch of one is a legitimate input to code that also sees larger ones.
        warnings.warn(
            f"var: correction={ddof} leaves no degree of freedom for {n} element(s); the "
            f"result is inf (NaN where the values are all equal), as PyTorch's",
            UserWarning,
            stacklevel=3,
        )
        with np.errstate(invalid="ignore"):
            return Sum(axes, keepdims)(d * d) * float("inf")
    scale = 1.0 / (n - ddof)
    return Sum(axes, keepdims)(d * d) * scale


def _correction(fname, ddof, correction, unbiased) -> float:
    """The one correction of var/std from PyTorch's ``correction``/``unbiased`` or NumPy's
    ``ddof`` (1 when none is given, PyTorch's default)."""
    if [ddof, correction, unbiased].count(None) < 2:
        raise TypeError(f"{fname}: give only one of ddof, correction and unbiased")
    for name, v in (("ddof", ddof), ("correction", correction)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.number))):
            raise TypeError(f"{fname}: {name} must be a number, got {type(v).__name__} {v!r}")
    if unbiased is not None:
        return 1 if unbiased else 0
    if correction is not None:
        return correction
    return 1 if ddof is None else ddof


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


def std(x, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims: bool | None = None, ddof=None) -> Tensor:
    """Standard deviation: sqrt(var(x)), unbiased by default. See ``var``."""
    x = check_tensor("std", x)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _axes("std", x, axis, dim)  # so that errors name std
    ddof = _correction("std", ddof, correction, unbiased)
    return _StdSqrt()(var(x, dim, keepdim=keepdim, correction=ddof, axis=axis,
                          keepdims=keepdims))


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
    if x.numel() == 0:
        raise ValueError(f"{fn}: cannot reduce an empty tensor of shape {tuple(x.shape)}")
    return _Extreme(axes, keepdims, fn)(x)


def amax(x, axis=None, keepdims: bool = False, dim=None, *,
         keepdim: bool | None = None) -> Tensor:
    """Largest element over ``axis`` (an int or a tuple; all when None), values only;
    ties share the gradient evenly, as in PyTorch."""
    return _extreme("max", x, axis, pick_keep(keepdims, keepdim), dim)


def amin(x, axis=None, keepdims: bool = False, dim=None, *,
         keepdim: bool | None = None) -> Tensor:
    """Smallest element over ``axis``, values only; ties share the gradient evenly."""
    return _extreme("min", x, axis, pick_keep(keepdims, keepdim), dim)


class _ValuesIndices(tuple):
    """``(values, indices)``, a named tuple like ``torch.return_types.max``."""

    __slots__ = ()
    _kind = "values_indices"

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0], doc="The selected values.")
    indices = property(lambda self: self[1], doc="Their indices along the reduced dim.")

    def __repr__(self) -> str:
        return f"{self._kind}(values={self[0]!r}, indices={self[1]!r})"


def return_types(name: str) -> type:
    """The ``(values, indices)`` result class of reduction ``name`` (``torch.return_types``)."""
    return _RETURN_TYPES[name]


_RETURN_TYPES = {
    n: type(n, (_ValuesIndices,), {"__slots__": (), "_kind": f"return_types.{n}"})
    for n in ("max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin",
              "nanmedian")
}


def take_along_dim(x, indices, dim: int) -> Tensor:
    """``x``'s elements at ``indices`` along ``dim`` (``torch.take_along_dim``); the
    gradient goes to the selected elements."""
    x = check_tensor("take_along_dim", x)
    idx = indices.array if isinstance(indices, Tensor) else np.asarray(indices)
    (d,) = normalize_axis("take_along_dim", dim, x.ndim)
    xp = x.xp
    grids = xp.ogrid[tuple(slice(0, n) for n in idx.shape)]
    index = tuple(idx if i == d else grids[i] for i in range(x.ndim))
    return _shape.getitem(x, index)


def _values_indices(fn, x, dim, keepdim):
    """PyTorch's max/min(x, dim): (values, indices); the gradient goes to the selected
    element only (not shared among ties, unlike amax)."""
    x = check_tensor(fn, x)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{fn}: dim must be an int, got {dim!r}; use amax/amin for several dims")
    (d,) = normalize_axis(fn, dim, x.ndim)
    if x.ndim == 0:
        return _RETURN_TYPES[fn](x, Tensor._make(x.xp.zeros((), np.int64), False))
    if x.shape[d] == 0:
        raise IndexError(f"{fn}: cannot reduce dim {d} of length 0 (shape {tuple(x.shape)})")
    idx = getattr(x.xp, "arg" + fn)(x.array, axis=d, keepdims=True)
    values = take_along_dim(x, idx, d)
    if not keepdim:
        idx = idx.squeeze(d)
        values = _shape.squeeze(values, d)
    return _RETURN_TYPES[fn](values, Tensor._make(idx.astype(np.int64), False))


def _max_or_min(fn, x, dim, keepdim, other, axis, keepdims):
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        from .elementwise import maximum, minimum

        return (maximum if fn == "max" else minimum)(x, other)
    dim = pick_axis(axis, dim)
    if dim is None:
        return _extreme(fn, x, None, False, None)
    return _values_indices(fn, x, dim, keepdim or bool(keepdims))


def max(x, dim=None, keepdim: bool = False, *, other=None, axis=None,  # noqa: A001
        keepdims: bool | None = None) -> Tensor:
    """The largest element, as PyTorch's ``max``.

    ``max(x)`` is a 0-d tensor (ties share the gradient); ``max(x, dim)`` is
    ``(values, indices)``, a named tuple (the gradient goes to the selected element);
    ``max(x, other)`` is ``maximum(x, other)``. For values over several dims use ``amax``.

    >>> values, indices = cr.tensor([[1., 5.], [7., 2.]]).max(dim=1)
    """
    return _max_or_min("max", x, dim, keepdim, other, axis, keepdims)


def min(x, dim=None, keepdim: bool = False, *, other=None, axis=None,  # noqa: A001
        keepdims: bool | None = None) -> Tensor:
    """The smallest element, as PyTorch's ``min`` (see ``max``)."""
    return _max_or_min("min", x, dim, keepdim, other, axis, keepdims)


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


def logsumexp(x, axis=None, keepdims: bool = False, dim=None, *,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x), axis)), numerically stable."""
    x = float_input("logsumexp", x)
    keepdims = pick_keep(keepdims, keepdim)
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
    xt = _shape.permute(x, perm)
    lead = xt.shape[: len(rest)]
    n = math.prod(xt.shape[len(rest) :])
    rows = _shape.broadcast_to(_shape.reshape(xt, (*lead, 1, n)), (*lead, n, n))
    diag = Tensor._make(x.xp.eye(n, dtype=bool), False)
    others = prod(where(diag, 1.0, rows), axis=-1)
    return _shape.permute(_shape.reshape(others, xt.shape), tuple(np.argsort(perm)))


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


def prod(x, axis=None, keepdims: bool = False, dim=None, *, keepdim: bool | None = None,
         dtype=None) -> Tensor:
    """Product of elements over ``axis``."""
    x = check_tensor("prod", x)
    keepdims = pick_keep(keepdims, keepdim)
    if dtype is not None:
        x = x.astype(dtype)
    return Prod(_axes("prod", x, axis, dim), keepdims)(x)


def _arg(fn, x, axis, keepdims, dim):
    x = check_tensor(fn, x)
    axis = pick_axis(axis, dim)
    if axis is not None:
        (axis,) = normalize_axis(fn, axis, x.ndim)
    if x.numel() == 0:
        raise ValueError(f"{fn}: cannot reduce an empty tensor")
    out = getattr(x.xp, fn)(x.array, axis=axis, keepdims=keepdims)
    return Tensor._make(x.xp.asarray(out, dtype=np.int64), False)


def argmax(x, axis=None, keepdims: bool = False, dim=None, *,
           keepdim: bool | None = None) -> Tensor:
    """Index of the largest element over ``axis`` (of the flattened tensor when None)."""
    return _arg("argmax", x, axis, pick_keep(keepdims, keepdim), dim)


def argmin(x, axis=None, keepdims: bool = False, dim=None, *,
           keepdim: bool | None = None) -> Tensor:
    """Index of the smallest element over ``axis``."""
    return _arg("argmin", x, axis, pick_keep(keepdims, keepdim), dim)
