"""Writes by index as differentiable ops: index_add, index_copy, index_fill, scatter_add,
scatter_reduce, masked_scatter, put and take; and the running products and extremes
(cumprod, cummax, cummin, logcumsumexp).

The writes are built from ``getitem``/``setitem`` and ``ScatterAdd`` (the gradient of a
gather), so their gradients, and the gradients of those, come from the ops they are made
of. Indices may be int tensors, NumPy int arrays or lists of ints.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise as _ew
from . import reduce as _reduce
from . import shape as _shape
from ._convert import check_tensor, float_input, normalize_axis
from .rounding import floor_divide
from .shape import ScatterAdd, getitem, setitem
from .torch_names import cumsum, flip, masked_fill

__all__ = [
    "index_add", "index_copy", "index_fill", "scatter_add", "scatter_reduce",
    "masked_scatter", "put", "take", "cumprod", "cummax", "cummin", "logcumsumexp",
]  # fmt: skip

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = list(__all__)
INPLACE_TWINS: list[str] = [
    "index_add", "index_copy", "index_fill", "scatter_add", "scatter_reduce",
    "masked_scatter", "put", "cumprod",
]  # fmt: skip


# -- the checks every op shares ------------------------------------------------------------


def _index(fname: str, index, x: Tensor, argname: str = "index"):
    """``index`` (an int tensor, a NumPy int array or a list of ints) as an int64 array on
    ``x``'s device."""
    a = index.array if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu" and not (a.size == 0 and not isinstance(index, Tensor)):
        raise TypeError(f"{fname}: {argname} must be an integer tensor, got dtype {a.dtype}")
    return x.xp.asarray(a, dtype=np.int64)


def _in_range(fname: str, idx, n: int, where: str, wrap: bool = False):
    """``idx`` checked to lie in [0, n) (in [-n, n) when ``wrap``, negatives counting from
    the end, as PyTorch's index_fill, put and take); returned with negatives resolved."""
    if idx.size:
        bad = idx[(idx < (-n if wrap else 0)) | (idx >= n)]
        if bad.size:
            raise IndexError(f"{fname}: index {int(bad[0])} is out of range for {where} of "
                             f"size {n}")
        if wrap:
            idx = idx % n
    return idx


def _along(d: int, idx) -> tuple:
    """The index that picks positions ``idx`` of dim ``d`` and all of the other dims."""
    return (slice(None),) * d + (idx,)


def _index_args(fname, input, dim, index, source=None, wrap=False):
    """The checked arguments of the index_* ops: the input (a 0-d one as 1-d, as PyTorch
    treats it), the dim, the 1-d index and the source, of the input's shape with ``dim``
    as long as the index."""
    x = check_tensor(fname, input)
    if x.ndim == 0:
        x = _shape.reshape(x, (1,))
    (d,) = normalize_axis(fname, dim, x.ndim)
    idx = _index(fname, index, x)
    if idx.ndim > 1:
        raise ValueError(f"{fname}: index must be 0-d or 1-d, got shape {tuple(idx.shape)}")
    idx = _in_range(fname, idx.reshape(-1), x.shape[d], f"dim {d}", wrap)
    if source is None:
        return x, d, idx
    src = check_tensor(fname, source, "source")
    want = x.shape[:d] + (idx.size,) + x.shape[d + 1 :]
    if input.ndim == 0 and src.numel() == idx.size:
        src = _shape.reshape(src, want)
    if src.shape != want:
        raise ValueError(
            f"{fname}: source of shape {tuple(src.shape)} does not fit input of shape "
            f"{tuple(input.shape)} with {idx.size} indices along dim {d} (expected {want})"
        )
    return x, d, idx, src.astype(x.dtype)


# -- index_add, index_copy, index_fill ------------------------------------------------------


def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source[..., k, ...]`` added at ``index[k]`` along ``dim``;
    repeated indices add up.

    >>> cr.index_add(cr.zeros(3), 0, cr.tensor([0, 0, 2]), cr.tensor([1., 2., 3.]))
    Tensor([3., 0., 3.])
    """
    x, d, idx, src = _index_args("index_add", input, dim, index, source)
    added = ScatterAdd(_along(d, idx), x.shape)(src)
    return _shape.reshape(x + (added if alpha == 1 else added * alpha), input.shape)


def index_copy(input, dim: int, index, source) -> Tensor:
    """``input`` with the slices ``index[k]`` of ``dim`` replaced by ``source``'s slices
    ``k`` (where ``index`` repeats, the last one is written)."""
    x, d, idx, src = _index_args("index_copy", input, dim, index, source)
    return _shape.reshape(setitem(x, _along(d, idx), src), input.shape)


def index_fill(input, dim: int, index, value) -> Tensor:
    """``input`` with the slices ``index`` of ``dim`` set to ``value`` (a number, or a 0-d
    tensor, which then gets the gradient of every filled element)."""
    if getattr(value, "ndim", 0) != 0 or not isinstance(value, (Tensor, int, float, np.number)):
        raise TypeError(f"index_fill: value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}")
    x, d, idx = _index_args("index_fill", input, dim, index, wrap=True)
    # Unique positions: a repeated index fills once, and value's gradient counts it once.
    idx = x.xp.unique(idx)
    return _shape.reshape(setitem(x, _along(d, idx), value), input.shape)


# -- scatter_add, scatter_reduce --------------------------------------------------------------


def _scatter_args(fname, input, dim, index, src):
    """The checked arguments of the scatter ops: the input (a 0-d one as 1-d), the
    positions ``where`` that ``x[where] <- src`` writes (``index`` along ``dim``, the
    element's own position along the other dims), and the part of ``src`` that is written
    (as large as ``index``)."""
    x = check_tensor(fname, input)
    src = check_tensor(fname, src, "src")
    idx = _index(fname, index, x)
    if x.ndim == 0:
        x, src, idx = _shape.reshape(x, (1,)), _shape.reshape(src, (-1,)), idx.reshape(-1)
    (d,) = normalize_axis(fname, dim, x.ndim)
    if not idx.ndim == x.ndim == src.ndim:
        raise ValueError(
            f"{fname}: index {tuple(idx.shape)}, input {tuple(input.shape)} and src "
            f"{tuple(src.shape)} must have the same number of dims"
        )
    if any(i > s for i, s in zip(idx.shape, src.shape)) or any(
        i > n for k, (i, n) in enumerate(zip(idx.shape, x.shape)) if k != d
    ):
        raise ValueError(
            f"{fname}: index of shape {tuple(idx.shape)} must be no larger than src "
            f"{tuple(src.shape)} in every dim, and no larger than input {tuple(x.shape)} "
            f"outside dim {d}"
        )
    _in_range(fname, idx, x.shape[d], f"dim {d}")
    part = tuple(slice(0, n) for n in idx.shape)
    if src.shape != idx.shape:
        src = getitem(src, part)
    grids = x.xp.ogrid[part]
    where = tuple(idx if i == d else grids[i] for i in range(x.ndim))
    return x, where, src.astype(x.dtype)


def scatter_add(input, dim: int, index, src) -> Tensor:
    """``input`` with ``src[i][j]`` added at ``[index[i][j]][j]`` for ``dim=0`` (likewise for
    other dims); repeated positions add up. Only the part of ``src`` as large as ``index``
    is used."""
    x, where, src = _scatter_args("scatter_add", input, dim, index, src)
    return _shape.reshape(x + ScatterAdd(where, x.shape)(src), input.shape)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Like ``scatter_add``, with the values sent to one position combined by ``reduce``:
    "sum", "prod", "mean", "amax" or "amin", together with the position's own value when
    ``include_self`` (else that value is replaced; positions that receive nothing keep it).

    Gradients are PyTorch's: amax/amin split it evenly among the elements equal to the
    result, mean divides by the count, prod is exact where elements are 0.
    """
    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}; "
                         f"got {reduce!r}")
    x, where, src = _scatter_args("scatter_reduce", input, dim, index, src)
    if reduce in ("sum", "mean"):
        base = x if include_self else setitem(x, where, 0)
        out = base + ScatterAdd(where, x.shape)(src)
        if reduce == "mean":
            count = x.xp.full(x.shape, int(include_self), x.dtype)
            x.xp.add.at(count, where, 1)
            count = Tensor._make(x.xp.maximum(count, 1), False)
            out = out / count if x.dtype.kind == "f" else floor_divide(out, count)
    else:
        out = _grouped(x, where, src, include_self, reduce)
    return _shape.reshape(out, input.shape)


def _grouped(x, where, src, include_self, reduce) -> Tensor:
    """amax, amin or prod of the values each position receives, by the reduction ops: the
    values sent to one position (its own first, when included) are gathered into one row,
    padded with the reduction's identity, and the row is reduced. So the gradients are those
    of amax/amin/prod, to every order. Memory: positions hit x the most values one receives."""
    xp = x.xp
    flat = _shape.reshape(x, (-1,))
    values = _shape.reshape(src, (-1,))
    owners = xp.ravel_multi_index(xp.broadcast_arrays(*where), x.shape).reshape(-1)
    if include_self:
        values = _shape.concatenate([flat, values])
        owners = xp.concatenate([xp.arange(flat.shape[0]), owners])
    if owners.size == 0:
        return x * 1
    order = xp.argsort(owners, kind="stable")
    pos, first, counts = xp.unique(owners[order], return_index=True, return_counts=True)
    rows = xp.repeat(xp.arange(pos.size), counts)
    grid = xp.full((pos.size, int(counts.max())), owners.size)  # the padding element
    grid[rows, xp.arange(owners.size) - first[rows]] = order
    info = np.finfo if x.dtype.kind == "f" else np.iinfo
    pad = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    if x.dtype.kind != "f" and reduce != "prod":
        pad = info(x.dtype).min if pad < 0 else info(x.dtype).max
    padded = _shape.concatenate([values, Tensor._make(xp.full((1,), pad, x.dtype), False)])
    fn = {"prod": _reduce.prod, "amax": _reduce.amax, "amin": _reduce.amin}[reduce]
    return _shape.reshape(setitem(flat, pos, fn(getitem(padded, grid), axis=1)), x.shape)


# -- masked_scatter, put, take ---------------------------------------------------------------


def masked_scatter(input, mask, source) -> Tensor:
    """``input`` (broadcast with ``mask``) with the elements where ``mask`` is True replaced
    by ``source``'s first elements in row-major order.

    >>> cr.masked_scatter(cr.zeros(3), cr.tensor([True, False, True]), cr.tensor([1., 2.]))
    Tensor([1., 0., 2.])
    """
    x = check_tensor("masked_scatter", input)
    source = check_tensor("masked_scatter", source, "source")
    m = mask.array if isinstance(mask, Tensor) else x.xp.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_scatter: mask must be a bool tensor, got dtype {m.dtype}")
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_scatter: mask of shape {tuple(m.shape)} does not broadcast "
                         f"with input of shape {tuple(x.shape)}") from None
    m = x.xp.broadcast_to(m, shape)
    k = int(m.sum())
    if source.numel() < k:
        raise ValueError(f"masked_scatter: mask selects {k} elements but source has only "
                         f"{source.numel()} (shape {tuple(source.shape)})")
    part = getitem(_shape.reshape(source, (-1,)), slice(0, k))
    return setitem(_shape.broadcast_to(x, shape), m, part)


def _flat_index(fname, x, index):
    idx = _index(fname, index, x)
    return _in_range(fname, idx, x.numel(), "a flattened input", wrap=True)


def take(input, index) -> Tensor:
    """The elements of ``input`` viewed as 1-d at ``index`` (negatives count from the end),
    in the shape of ``index``."""
    x = check_tensor("take", input)
    return getitem(_shape.reshape(x, (-1,)), _flat_index("take", x, index))


def put(input, index, source, accumulate: bool = False) -> Tensor:
    """``input`` viewed as 1-d with ``source``'s elements written at ``index`` (added, with
    repeated indices adding up, when ``accumulate``); the out-of-place form of ``put_``."""
    x = check_tensor("put", input)
    source = check_tensor("put", source, "source")
    idx = _flat_index("put", x, index).reshape(-1)
    if idx.size != source.numel():
        raise ValueError(f"put: index has {idx.size} elements but source has "
                         f"{source.numel()}; they must have as many")
    flat = _shape.reshape(x, (-1,))
    v = _shape.reshape(source, (-1,)).astype(x.dtype)
    out = flat + ScatterAdd(idx, flat.shape)(v) if accumulate else setitem(flat, idx, v)
    return _shape.reshape(out, x.shape)


# -- running products and extremes ------------------------------------------------------------


def _revcumsum(xp, a, axis):
    return xp.flip(xp.flip(a, axis).cumsum(axis=axis), axis)


class CumProd(Function):
    """y_k = prod_{j<=k} x_j along ``axis``;
    gx_i = sum_{k>=i} gy_k prod_{j<=k, j!=i} x_j, which is revcumsum(gy * y)_i / x_i where
    x has no zeros. With zeros both rules form the products without dividing."""

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return x.cumprod(axis=self.axis)

    def backward(self, gy):
        x, y, d = self.inputs[0], self.output(), self.axis
        if not bool((x.array == 0).any()):
            return flip(cumsum(flip(gy * y, d), d), d) / x
        # Row i of an n x n matrix per slice: x with x_i replaced by 1, its running product
        # kept from k = i on, is prod_{j<=k, j!=i} x_j. n^2 work, for second derivatives
        # at zeros only (first derivatives use backward_array).
        xt, gt = _shape.swapaxes(x, d, -1), _shape.swapaxes(gy, d, -1)
        n = xt.shape[-1]
        rows = _shape.broadcast_to(_shape.unsqueeze(xt, -2), xt.shape + (n,))
        eye = Tensor._make(x.xp.eye(n, dtype=bool), False)
        upper = Tensor._make(x.xp.triu(x.xp.ones((n, n), bool)), False)
        others = _ew.where(upper, cumprod(_ew.where(eye, 1.0, rows), -1), 0.0)
        gx = _reduce.sum(others * _shape.unsqueeze(gt, -2), axis=-1)
        return _shape.swapaxes(gx, d, -1)

    def backward_array(self, gy):
        x, y, d = self.inputs[0].array, self.output().array, self.axis
        xp = get_array_module(x)
        zero = x == 0
        if not zero.any():
            return _revcumsum(xp, gy * y, d) / x
        # Before a slice's first zero z the rule above holds; at z, gx_z is the reversed
        # cumsum of gy times the running product of x with x_z replaced by 1; after z, 0.
        seen = zero.cumsum(axis=d)
        before, first = seen == 0, zero & (seen == 1)
        one = x.dtype.type(1)
        at_zero = _revcumsum(xp, gy * xp.where(first, one, x).cumprod(axis=d), d)
        return xp.where(before, _revcumsum(xp, gy * y, d) / xp.where(before, x, one),
                        xp.where(first, at_zero, 0))


def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim`` (integers and bools as int64, unless ``dtype``); the
    gradient is exact where elements are 0, to every order."""
    x = check_tensor("cumprod", input)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    (d,) = normalize_axis("cumprod", dim, x.ndim)
    return x * 1 if x.ndim == 0 else CumProd(d)(x)


def _running_extreme(fname, input, dim, accumulate):
    x = check_tensor(fname, input)
    (d,) = normalize_axis(fname, dim, x.ndim)
    xp = x.xp
    if x.ndim == 0:
        return _reduce.return_types(fname)(x * 1, Tensor._make(xp.zeros((), np.int64), False))
    a = x.array
    run = accumulate(a, axis=d)
    # The index moves to every element equal to the running extreme (the last of ties) and to
    # every NaN (NaN wins from the first one on), as PyTorch.
    new = (a == run) | (a != a)
    pos = xp.arange(a.shape[d]).reshape((-1,) + (1,) * (a.ndim - d - 1))
    idx = xp.maximum.accumulate(xp.where(new, pos, 0), axis=d)
    values = _reduce.take_along_dim(x, idx, d)
    return _reduce.return_types(fname)(values, Tensor._make(idx, False))


def cummax(input, dim: int) -> tuple:
    """``(values, indices)``: the running maximum along ``dim`` and where it was found (the
    last of equal elements); the gradient goes to those elements."""
    return _running_extreme("cummax", input, dim, lambda a, axis: get_array_module(a)
                            .maximum.accumulate(a, axis=axis))


def cummin(input, dim: int) -> tuple:
    """``(values, indices)``: the running minimum along ``dim`` (see ``cummax``)."""
    return _running_extreme("cummin", input, dim, lambda a, axis: get_array_module(a)
                            .minimum.accumulate(a, axis=axis))


class LogCumSumExp(Function):
    """y_k = log sum_{j<=k} exp(x_j), by running logaddexp (no overflow);
    gx_j = sum_{k>=j} gy_k exp(x_j - y_k), formed in log space from the positive and the
    negative parts of gy separately (PyTorch's rule), so it neither overflows either."""

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return get_array_module(x).logaddexp.accumulate(x, axis=self.axis)

    def backward(self, gy):
        x, y, d = self.inputs[0], self.output(), self.axis
        # log|gy| where gy != 0 (the guard keeps second derivatives finite where gy == 0)
        log_abs = _ew.log(_ew.where(gy != 0, abs(gy), 1.0))
        # far below any log-gradient, yet not so far that sums with it overflow
        lowest = float(np.finfo(x.dtype).min) / 8

        def part(sign_mask):
            t = masked_fill(log_abs, ~sign_mask, lowest) - y
            return _ew.exp(flip(logcumsumexp(flip(t, d), d), d) + x)

        return part(gy > 0) - part(gy < 0)


def logcumsumexp(input, dim: int) -> Tensor:
    """log(cumsum(exp(input), dim)), computed without overflow."""
    x = float_input("logcumsumexp", input)
    (d,) = normalize_axis("logcumsumexp", dim, x.ndim)
    return x * 1 if x.ndim == 0 else LogCumSumExp(d)(x)
