"""Statistics and PyTorch's remaining tensor functions: std_mean/var_mean, quantile,
nanmedian, cov/corrcoef, the *_scatter writes, the splits by sections, and the dtype
queries (result_type, can_cast, promote_types).

Every differentiable function here is a composition of differentiable ops (sort,
take_along_dim, setitem, matmul, where...), so its first and second derivatives come from
theirs: quantile is sort then a gather and a lerp, as PyTorch computes it, so the gradient
goes to the same elements. The queries return int64, bool or Python values without history.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from ..backend import DEFAULT_FLOAT, result_dtype, to_device, to_dtype
from ..tensor import Tensor
from . import elementwise as _ew
from . import indexing as _indexing
from . import linalg as _linalg
from . import reduce as _reduce
from . import shape as _shape
from . import torch_names as _tn
from ._convert import as_tensor, check_tensor, float_input, normalize_axis
from .arrays import _const, _dim, _ints


def _int(fname: str, argname: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fname}: {argname} must be an int, got {value!r}")
    return int(value)


# -- std_mean, var_mean --------------------------------------------------------------------


def _spread_mean(fname, spread, input, dim, unbiased, keepdim, correction):
    x = check_tensor(fname, input)
    if x.dtype.kind != "f":
        raise TypeError(f"{fname}: expects a floating-point tensor, got dtype {x.dtype}")
    s = spread(x, dim, unbiased, keepdim, correction=correction)
    mean_dim = None if isinstance(dim, bool) else dim  # std_mean(x, unbiased)
    return s, _reduce.mean(x, dim=mean_dim, keepdim=keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None) -> tuple:
    """``(std, mean)`` over ``dim`` (all dims when None); unbiased (``correction=1``) by
    default, as ``std``."""
    return _spread_mean("std_mean", _reduce.std, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None) -> tuple:
    """``(var, mean)`` over ``dim`` (all dims when None); unbiased by default, as ``var``."""
    return _spread_mean("var_mean", _reduce.var, input, dim, unbiased, keepdim, correction)


# -- quantile, nanquantile, nanmedian ------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(fname, input, q, dim, keepdim, interpolation, ignore_nan) -> Tensor:
    """PyTorch's algorithm: sort along the reduced dim (NaN last), a fractional rank per q
    (the last index where a slice has NaN, for quantile; counted among the non-NaN values,
    for nanquantile), then the values at the ranks below and above, lerped."""
    x = check_tensor(fname, input)
    if x.dtype.kind != "f":
        raise TypeError(f"{fname}: input must be a floating-point tensor, got dtype {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{fname}: interpolation must be one of {', '.join(_INTERPOLATIONS)}; "
                         f"got {interpolation!r}")
    if isinstance(q, Tensor):
        if q.dtype != x.dtype:
            raise TypeError(f"{fname}: q must have the input's dtype {x.dtype}, got {q.dtype}")
        if q.ndim > 1:
            raise ValueError(f"{fname}: q must be a number or a 0-d or 1-d tensor, got shape "
                             f"{tuple(q.shape)}")
        qa = np.asarray(q.numpy(), x.dtype)
    elif isinstance(q, (int, float, np.number)) and not isinstance(q, bool):
        qa = np.asarray(q, x.dtype)
    else:
        raise TypeError(f"{fname}: q must be a number or a tensor, got {type(q).__name__}")
    if not ((qa >= 0) & (qa <= 1)).all():
        raise ValueError(f"{fname}: q values must be in [0, 1], got {qa.tolist()}")
    if x.numel() == 0:
        raise ValueError(f"{fname}: input must be non-empty, got shape {tuple(x.shape)}")
    if dim is None:
        y = _shape.reshape(x, (-1,))
    else:
        d = _dim(fname, dim, x.ndim)
        y = _shape.reshape(x, (1,)) if x.ndim == 0 else _shape.permute(
            x, [i for i in range(x.ndim) if i != d] + [d])
    srt = _tn.sort(y, -1).values
    a = srt.numpy()
    nan = a != a
    last = a.shape[-1] - 1
    qs = qa.reshape(-1)
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True).astype(x.dtype)
        ranks = qs * (count - 1)
        ranks = np.where(ranks < 0, 0, ranks)
    else:
        ranks = np.where(nan.any(-1, keepdims=True), x.dtype.type(last), qs * x.dtype.type(last))
    ranks = np.asarray(ranks, x.dtype)
    rnd = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(interpolation)
    if rnd is not None:
        ranks = rnd(ranks)
    below = ranks.astype(np.int64)
    out = _reduce.take_along_dim(srt, srt.xp.asarray(below), -1)
    if interpolation in ("linear", "midpoint"):
        w = (np.full_like(ranks, 0.5) if interpolation == "midpoint"
             else (ranks - below).astype(x.dtype))
        above = _reduce.take_along_dim(srt, srt.xp.asarray(np.ceil(ranks).astype(np.int64)), -1)
        out = _tn.lerp(out, above, _const(srt.xp.asarray(w)))
    # (*rest, len(q)) -> (len(q), *rest), or rest for a number q
    out = _shape.squeeze(out, -1) if qa.ndim == 0 else _shape.permute(
        out, [out.ndim - 1] + list(range(out.ndim - 1)))
    if keepdim:
        lead = out.shape[:qa.ndim]
        kept = (1,) * x.ndim if dim is None else tuple(
            1 if i == d else n for i, n in enumerate(x.shape))
        out = _shape.reshape(out, lead + kept)
    return out


def quantile(input, q, dim=None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear") -> Tensor:
    """The ``q``-th quantiles (a number or a 1-d tensor in [0, 1]) of ``input`` over ``dim``
    (all elements when None), NaN where a slice holds NaN. ``interpolation`` chooses between
    the two neighbouring sorted values: "linear", "lower", "higher", "midpoint", "nearest".
    With a 1-d ``q`` the quantiles form the first dim of the result.

    >>> cr.quantile(cr.tensor([1., 2., 3., 4.]), 0.5)   # 2.5
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear") -> Tensor:
    """``quantile`` of the values that are not NaN (NaN where a slice has none)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def nanmedian(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The lower median of the values that are not NaN (NaN where there are none): a 0-d
    tensor over all elements, or ``(values, indices)`` along ``dim``, as ``torch.nanmedian``;
    the gradient goes to the selected element."""
    x = check_tensor("nanmedian", input)
    if dim is None:
        if x.numel() == 0:
            return _const(x.xp.full((), np.nan, x.dtype))
        return nanmedian(_shape.reshape(x, (-1,)), 0).values
    d = _dim("nanmedian", dim, x.ndim)
    if x.ndim == 0:
        return _reduce.return_types("nanmedian")(x * 1, _const(x.xp.zeros((), np.int64)))
    if x.shape[d] == 0:
        raise IndexError(f"nanmedian: cannot reduce dim {d} of length 0 (shape "
                         f"{tuple(x.shape)})")
    order = _tn.argsort(x, d).array  # NaN last, equal values in their order
    count = (x.array == x.array).sum(axis=d, keepdims=True)
    k = x.xp.maximum((count - 1) // 2, 0)
    idx = x.xp.take_along_axis(order, k, axis=d)
    values = _reduce.take_along_dim(x, idx, d)
    if not keepdim:
        values, idx = _shape.squeeze(values, d), idx.squeeze(d)
    return _reduce.return_types("nanmedian")(values, _const(idx))


# -- cov, corrcoef ---------------------------------------------------------------------------


def _weights(name, w, n, integral):
    w = check_tensor("cov", w, name)
    if w.ndim > 1 or w.numel() != n:
        raise ValueError(f"cov: {name} must be 0-d or 1-d with one weight per observation "
                         f"({n}), got shape {tuple(w.shape)}")
    if (w.dtype.kind in "iu") != integral or w.dtype.kind == "b":
        kind = "an integer" if integral else "a floating-point"
        raise TypeError(f"cov: {name} must be {kind} tensor, got dtype {w.dtype}")
    if w.numel() and bool((w.array < 0).any()):
        raise ValueError(f"cov: {name} cannot be negative, got {w.numpy().tolist()}")
    return _shape.reshape(w, (-1,))


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:  # noqa: A002
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-d input is one variable), weighted by the integer frequencies ``fweights``
    and the observation weights ``aweights``::

        w = fweights * aweights,  mean_i = sum_j w_j x_ij / sum(w)
        cov_ik = sum_j w_j (x_ij - mean_i)(x_kj - mean_k) / (sum(w) - correction * c)

    with ``c = sum(w * aweights) / sum(w)`` when aweights are given, else 1. Size-1 dims of
    the result are squeezed (one variable gives a 0-d tensor).
    """
    x = float_input("cov", input)
    if x.ndim > 2:
        raise ValueError(f"cov: expects a 0-d, 1-d or 2-d input, got shape {tuple(x.shape)}")
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise TypeError(f"cov: correction must be an int, got {correction!r}")
    x = _shape.reshape(x, (1, -1)) if x.ndim < 2 else x
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights("fweights", fweights, n, True)
    if aweights is not None:
        aw = _weights("aweights", aweights, n, False)
        w = aw if w is None else w * aw
    if w is None:
        w_sum = n
        avg = _reduce.sum(x, dim=1) / n
        norm = n - correction
    else:
        w_sum = _reduce.sum(w)
        avg = _reduce.sum(x * w, dim=1) / w_sum
        norm = (w_sum - _reduce.sum(w * aw) / w_sum * correction
                if aweights is not None and correction != 0 else w_sum - correction)
    if float(norm.numpy() if isinstance(norm, Tensor) else norm) <= 0:
        warnings.warn("cov: degrees of freedom <= 0 (correction should be smaller than the "
                      "number of observations); the result is inf or NaN, as PyTorch's",
                      UserWarning, stacklevel=2)
        norm = _const(x.xp.zeros((), x.dtype))
    dev = x - _shape.unsqueeze(avg, 1)
    c = _linalg.matmul(dev, _shape.transpose(dev if w is None else dev * w, 0, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = c / norm
    return _shape.squeeze(c)


def corrcoef(input) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the rows of ``input``: ``cov`` divided by the
    product of the standard deviations, clipped to [-1, 1]."""
    c = cov(check_tensor("corrcoef", input))
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            return c / c
        s = _ew.sqrt(_tn.diagonal(c))
        c = c / _shape.reshape(s, (-1, 1))
        c = c / _shape.reshape(s, (1, -1))
    return _ew.clip(c, -1.0, 1.0)


# -- creation ----------------------------------------------------------------------------------


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``: ``steps`` values spaced evenly on a log scale
    (float32 unless ``dtype``; an integer dtype truncates)."""
    for name, v in (("start", start), ("end", end), ("base", base)):
        if isinstance(v, Tensor) and v.numel() == 1:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise TypeError(f"logspace: {name} must be a number, got {type(v).__name__} {v!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"logspace: steps must be an int, got {type(steps).__name__} {steps!r}")
    if steps < 0:
        raise ValueError(f"logspace: steps must be non-negative, got {steps}")
    dt = to_dtype(dtype, "logspace") or DEFAULT_FLOAT
    with np.errstate(over="ignore", invalid="ignore"):
        a = np.power(float(base), np.linspace(float(start), float(end), int(steps)))
        a = np.trunc(a).astype(dt) if dt.kind in "iub" else a.astype(dt)
    t = _const(a if device is None else to_device(a, device))
    return t.requires_grad_(True) if requires_grad else t


def empty_like(input, *, dtype=None, layout=None, device=None,  # noqa: A002
               requires_grad: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``input``'s shape (zeros here; PyTorch leaves the memory uninitialised),
    of its dtype and device unless ``dtype``/``device`` say otherwise."""
    x = check_tensor("empty_like", input)
    a = x.xp.zeros(x.shape, to_dtype(dtype, "empty_like") or x.dtype)
    t = _const(a if device is None else to_device(a, device))
    return t.requires_grad_(True) if requires_grad else t


def clone(input, *, memory_format=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` that stays in the graph (``Tensor.clone``)."""
    return check_tensor("clone", input).clone()


# -- writes: scatter, index_put, index_reduce, the *_scatter functions -----------------------


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:  # noqa: A002
    """``input`` with ``src`` (a tensor, or a number, or ``value=``) written at ``index``
    along ``dim``: the out-of-place ``scatter_`` (see ``Tensor.scatter_``)."""
    x = check_tensor("scatter", input)
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor or a number) or value=")
    return x.scatter(dim, index, src, value=value, reduce=reduce)


def index_put(input, indices, values, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input`` with ``values`` written at ``indices`` (a tuple of index tensors), added
    when ``accumulate``: the out-of-place ``index_put_``."""
    x = check_tensor("index_put", input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of index tensors, got "
                        f"{type(indices).__name__}")
    return x.clone().index_put_(tuple(indices), values, accumulate)


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim: int, index, source, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Tensor:
    """``input`` with the slices ``source[..., k, ...]`` combined by ``reduce`` ("prod",
    "mean", "amax", "amin") into the slices ``index[k]`` of ``dim`` (with their own values
    when ``include_self``): ``scatter_reduce`` with the index spread along the other dims,
    so gradients are scatter_reduce's."""
    if reduce not in _INDEX_REDUCTIONS:
        raise ValueError(f"index_reduce: reduce must be one of {', '.join(_INDEX_REDUCTIONS)}; "
                         f"got {reduce!r}")
    x, d, idx, src = _indexing._index_args("index_reduce", input, dim, index, source)
    spread = np.broadcast_to(idx.reshape((-1,) + (1,) * (x.ndim - d - 1)), src.shape)
    out = _indexing.scatter_reduce(x, d, spread, src, reduce, include_self=include_self)
    return _shape.reshape(out, input.shape)


def _scatter_into(fname, x, where, src, index_text) -> Tensor:
    """``x`` with ``src`` written at ``where``; ``src`` must have exactly the shape of
    ``x[where]``, as PyTorch's *_scatter functions require."""
    src = check_tensor(fname, src, "src")
    want = x.array[where].shape
    if src.shape != want:
        raise ValueError(f"{fname}: src of shape {tuple(src.shape)} does not fit {index_text} "
                         f"of input of shape {tuple(x.shape)} (expected {want})")
    return _shape.setitem(x, where, src)


def select_scatter(input, src, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input`` with the slice ``index`` of ``dim`` replaced by ``src`` (of the slice's
    shape): the out-of-place ``x.select(dim, index).copy_(src)``."""
    x = check_tensor("select_scatter", input)
    if x.ndim == 0:
        raise ValueError("select_scatter: input must have at least 1 dim, got a 0-d tensor")
    d = _dim("select_scatter", dim, x.ndim)
    i = _int("select_scatter", "index", index)
    if not -x.shape[d] <= i < x.shape[d]:
        raise IndexError(f"select_scatter: index {i} is out of range for dim {d} of size "
                         f"{x.shape[d]}")
    return _scatter_into("select_scatter", x, (slice(None),) * d + (i,), src,
                         f"index {i} of dim {d}")


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:  # noqa: A002
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src``."""
    x = check_tensor("slice_scatter", input)
    if x.ndim == 0:
        raise ValueError("slice_scatter: input must have at least 1 dim, got a 0-d tensor")
    d = _dim("slice_scatter", dim, x.ndim)
    for name, v in (("start", start), ("end", end), ("step", step)):
        if v is not None:
            _int("slice_scatter", name, v)
    if step is None or step <= 0:
        raise ValueError(f"slice_scatter: step must be positive, got {step}")
    where = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into("slice_scatter", x, where, src, f"slice {start}:{end}:{step} of dim {d}")


def _diagonal_index(fname, shape, offset, dim1, dim2) -> tuple:
    """The integer index that picks the diagonal of dims (dim1, dim2) with ``offset`` of a
    tensor of ``shape``, laid out as ``diagonal`` lays it out (other dims, then the
    diagonal)."""
    if len(shape) < 2:
        raise ValueError(f"{fname}: input needs at least 2 dims, got shape {tuple(shape)}")
    a, b = normalize_axis(fname, (dim1, dim2), len(shape))
    offset = _int(fname, "offset", offset)
    flat = np.diagonal(np.arange(math.prod(shape)).reshape(shape), offset, a, b)
    return np.unravel_index(flat, shape)


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """``input`` with its diagonal (as ``diagonal(input, offset, dim1, dim2)`` gives it)
    replaced by ``src``."""
    x = check_tensor("diagonal_scatter", input)
    where = _diagonal_index("diagonal_scatter", x.shape, offset, dim1, dim2)
    return _scatter_into("diagonal_scatter", x, where, src, f"diagonal {offset} of dims "
                         f"({dim1}, {dim2})")


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices whose diagonals (``offset``, in dims ``dim1``, ``dim2`` of the result) hold
    the last dim of ``input``, zeros elsewhere: the inverse of ``diagonal``.

    >>> cr.diag_embed(cr.tensor([1., 2.]))   # [[1, 0], [0, 2]]
    """
    x = check_tensor("diag_embed", input)
    if x.ndim == 0:
        raise ValueError("diag_embed: input must have at least 1 dim, got a 0-d tensor")
    a, b = normalize_axis("diag_embed", (dim1, dim2), x.ndim + 1)
    offset = _int("diag_embed", "offset", offset)
    m = x.shape[-1] + abs(offset)
    rest = iter(x.shape[:-1])
    shape = tuple(m if i in (a, b) else next(rest) for i in range(x.ndim + 1))
    zeros = _const(x.xp.zeros(shape, x.dtype))
    return _shape.setitem(zeros, _diagonal_index("diag_embed", shape, offset, a, b), x)


def diagflat(input, offset: int = 0) -> Tensor:  # noqa: A002
    """The elements of ``input`` (flattened) on diagonal ``offset`` of a square matrix."""
    x = check_tensor("diagflat", input)
    return _tn.diag(_shape.reshape(x, (-1,)), _int("diagflat", "offset", offset))


# -- splits ------------------------------------------------------------------------------------


def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:  # noqa: A002
    """Pieces of ``split_sizes[i]`` elements along ``dim`` (they must add up to its length):
    views, as ``split`` with a list."""
    x = check_tensor("split_with_sizes", input)
    sizes = _ints("split_with_sizes", "split_sizes", split_sizes)
    if x.ndim == 0:
        raise ValueError("split_with_sizes: a 0-d tensor has no dim to split")
    d = _dim("split_with_sizes", dim, x.ndim)
    if any(s < 0 for s in sizes) or sum(sizes) != x.shape[d]:
        raise ValueError(f"split_with_sizes: sizes {list(sizes)} must be non-negative and add "
                         f"up to {x.shape[d]}, the length of dim {d} of shape {tuple(x.shape)}")
    return _shape.split(x, list(sizes), d)


def _split_sections(fname, input, sections, dim, min_ndim) -> tuple:
    x = check_tensor(fname, input)
    if x.ndim < min_ndim:
        raise ValueError(f"{fname}: needs a tensor of at least {min_ndim} dims, got shape "
                         f"{tuple(x.shape)}")
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        n = x.shape[dim]
        if sections <= 0 or n % sections:
            raise ValueError(f"{fname}: dim {dim} of size {n} cannot be split into {sections} "
                             f"equal sections")
        return _shape.tensor_split(x, int(sections), dim)
    return _shape.tensor_split(x, list(_ints(fname, "indices_or_sections", sections)), dim)


def hsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """Split column-wise: along dim 1 (dim 0 for a 1-d tensor) into equal sections (an int)
    or at the given indices; views, as ``tensor_split``."""
    x = check_tensor("hsplit", input)
    return _split_sections("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """Split row-wise (along dim 0) into equal sections or at the given indices."""
    return _split_sections("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """Split depth-wise (along dim 2) into equal sections or at the given indices."""
    return _split_sections("dsplit", input, indices_or_sections, 2, 3)


# -- integer and boolean results -----------------------------------------------------------------


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim=None):
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept
    once; with ``return_inverse`` also the run of each element, with ``return_counts`` the
    length of each run."""
    x = check_tensor("unique_consecutive", input)
    xp = x.xp
    if dim is None:
        a = x.array.reshape(-1, 1)
    else:
        d = _dim("unique_consecutive", dim, x.ndim)
        a = xp.moveaxis(x.array, d, 0)
        a = a.reshape(a.shape[0], -1)
    starts = xp.ones(a.shape[0], bool)
    starts[1:] = (a[1:] != a[:-1]).any(axis=1)
    first = xp.flatnonzero(starts)
    if dim is None:
        out = x.array.reshape(-1)[first]
    else:
        out = xp.take(x.array, first, axis=d)
    results = [_const(out)]
    if return_inverse:
        inv = xp.cumsum(starts) - 1
        results.append(_const(inv.reshape(x.shape if dim is None else (-1,)).astype(np.int64)))
    if return_counts:
        results.append(_const(xp.diff(xp.append(first, a.shape[0])).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def _dtype_arg(fname, argname, dtype) -> np.dtype:
    if dtype is None:
        raise TypeError(f"{fname}: {argname} must be a dtype, got None")
    return to_dtype(dtype, fname)


def promote_types(type1, type2) -> np.dtype:
    """The smallest dtype both dtypes convert to without losing their kind: floats win over
    integers and bools without widening (int64 and float16 give float16), as PyTorch."""
    return result_dtype(_dtype_arg("promote_types", "type1", type1),
                        _dtype_arg("promote_types", "type2", type2))


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to``: not to a lower kind (float
    to integer, integer to bool, complex to real)."""
    a, b = _dtype_arg("can_cast", "from_", from_), _dtype_arg("can_cast", "to", to)
    return _KIND_RANK[a.kind] <= _KIND_RANK[b.kind]


def _operand_dtype(x):
    """An operand's dtype and its priority class: 0 a tensor with dims, 1 a 0-d tensor, 2 a
    Python number (whose float is the default float, as PyTorch's)."""
    if isinstance(x, Tensor):
        return x.dtype, 0 if x.ndim else 1
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_), 2
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64), 2
    if isinstance(x, (float, np.floating)):
        return DEFAULT_FLOAT, 2
    raise TypeError(f"result_type: operands must be tensors or numbers, got "
                    f"{type(x).__name__}")


def result_type(tensor1, tensor2) -> np.dtype:
    """The dtype of an arithmetic op on ``tensor1`` and ``tensor2`` (tensors or numbers):
    a 0-d tensor or a number sets the dtype only when it is of a higher kind (a float with
    an integer tensor) than the tensors with dims, as PyTorch's promotion."""
    classes = [None, None, None]
    for t in (tensor1, tensor2):
        dt, k = _operand_dtype(t)
        classes[k] = dt if classes[k] is None else result_dtype(classes[k], dt)

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None or higher.kind in "fc":
            return higher
        if higher.kind == "b" or _KIND_RANK[lower.kind] > _KIND_RANK[higher.kind]:
            return result_dtype(higher, lower)
        return higher

    return combine(classes[0], combine(classes[1], classes[2]))


def is_nonzero(input) -> bool:  # noqa: A002
    """Whether a one-element tensor is not zero (``bool(x)`` for a tensor of one element)."""
    x = check_tensor("is_nonzero", input)
    if x.numel() != 1:
        raise ValueError(f"is_nonzero: expects a tensor with exactly one element, got shape "
                         f"{tuple(x.shape)}")
    return bool(x.array.reshape(()) != 0)


def is_same_size(input, other) -> bool:  # noqa: A002
    """Whether ``input`` and ``other`` have the same shape."""
    return check_tensor("is_same_size", input).shape == \
        check_tensor("is_same_size", other, "other").shape


def is_signed(input) -> bool:  # noqa: A002
    """Whether the dtype holds negative numbers (floats and signed integers; not bool)."""
    return check_tensor("is_signed", input).dtype.kind in "if"


def is_inference(input) -> bool:  # noqa: A002
    """False: chainrule has no inference tensors (``inference_mode`` is ``no_grad``)."""
    check_tensor("is_inference", input)
    return False


def get_device(input) -> int:  # noqa: A002
    """-1 for a tensor in host memory, else its GPU's index."""
    dev = check_tensor("get_device", input).device
    return -1 if dev.type == "cpu" else (dev.index or 0)


histogram_type = namedtuple("histogram", ["hist", "bin_edges"])  # torch.return_types.histogram


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """``(hist, bin_edges)``: the counts (or summed ``weight``) of ``input``'s elements in
    ``bins`` equal bins over ``range`` (the data's min and max when None), or in the bins
    between the sorted edges of a 1-d ``bins`` tensor; the last bin includes its right
    edge. ``density`` divides by the total and the bin widths."""
    x = check_tensor("histogram", input)
    if x.dtype.kind != "f":
        raise TypeError(f"histogram: input must be a floating-point tensor, got dtype {x.dtype}")
    a = x.numpy().reshape(-1)
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1 or bins.dtype != x.dtype:
            raise ValueError(f"histogram: bins must be a 1-d tensor of input's dtype {x.dtype} "
                             f"with at least one edge, got {bins.dtype} {tuple(bins.shape)}")
        edges = bins.numpy()
        if (np.diff(edges) < 0).any():
            raise ValueError(f"histogram: bin edges must increase, got {edges.tolist()}")
    elif isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"histogram: bins must be a positive int, got {bins}")
        if range is not None:
            lo, hi = (float(v) for v in range)
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                raise ValueError(f"histogram: range must be finite with min <= max, got {range}")
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"histogram: the data's range [{lo}, {hi}] is not finite; "
                                 f"give range=")
        else:
            lo, hi = 0.0, 1.0
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, int(bins) + 1).astype(x.dtype)
    else:
        raise TypeError(f"histogram: bins must be an int or a 1-d tensor, got {bins!r}")
    w = None
    if weight is not None:
        w = check_tensor("histogram", weight, "weight")
        if w.shape != x.shape:
            raise ValueError(f"histogram: weight of shape {tuple(w.shape)} for input of shape "
                             f"{tuple(x.shape)}")
        w = w.numpy().reshape(-1)
    hist, _ = np.histogram(a, edges.astype(np.float64), weights=w, density=density)
    return histogram_type(_const(x.xp.asarray(hist.astype(x.dtype))),
                          _const(x.xp.asarray(edges.astype(x.dtype))))


def unravel_index(indices, shape) -> tuple:
    """The coordinates of flat ``indices`` in a tensor of ``shape``: one int64 tensor per dim
    (indices outside the shape wrap around, as PyTorch's)."""
    idx = indices if isinstance(indices, Tensor) else as_tensor(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got dtype {idx.dtype}")
    shape = _ints("unravel_index", "shape", shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: shape cannot have negative sizes, got {shape}")
    if 0 in shape and idx.numel():
        raise ValueError(f"unravel_index: no index fits in shape {shape}, which has no elements")
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]
    a = idx.array.astype(np.int64)
    return tuple(_const((a // int(s)) % n if n else a) for s, n in zip(strides, shape))


# -- Tensor methods of torch's that are functions too ------------------------------------------


def swapdims(input, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``input`` with dims ``dim0`` and ``dim1`` swapped (``transpose``)."""
    return _shape._swap("swapdims", input, dim0, dim1)


def adjoint(input) -> Tensor:  # noqa: A002
    """The (conjugate) transpose of the last two dims: a view (``x.mH``)."""
    x = check_tensor("adjoint", input)
    if x.ndim < 2:
        raise ValueError(f"adjoint: expects a matrix or a batch of matrices, got shape "
                         f"{tuple(x.shape)}")
    return _shape.swapaxes(x, -2, -1)


def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """A copy of ``narrow(input, dim, start, length)`` (not a view)."""
    return _shape.narrow(check_tensor("narrow_copy", input), dim, start, length).clone()


def prelu(input, weight) -> Tensor:  # noqa: A002
    """max(0, x) + weight * min(0, x) (``F.prelu``)."""
    from ..nn.hard_activations import prelu as _prelu

    return _prelu(input, check_tensor("prelu", weight, "weight"))


def hardshrink(input, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0 (NaN stays NaN)."""
    x = check_tensor("hardshrink", input)
    if isinstance(lambd, bool) or not isinstance(lambd, (int, float, np.number)):
        raise TypeError(f"hardshrink: lambd must be a number, got {lambd!r}")
    return _ew.where(_ew.less_equal(abs(x), lambd), 0.0, x)


# -- Tensor-only methods and properties (no module function in PyTorch) ------------------------


def itemsize(self) -> int:
    """Bytes per element (``Tensor.itemsize``, a property)."""
    return self.array.dtype.itemsize


def nbytes(self) -> int:
    """Bytes of the elements (``Tensor.nbytes``, a property)."""
    return self.array.size * self.array.dtype.itemsize


def is_cpu(self) -> bool:
    """Whether the tensor lives in host memory (``Tensor.is_cpu``, a property)."""
    return self.device.type == "cpu"


def retains_grad(self) -> bool:
    """Whether ``.grad`` is kept for this non-leaf after backward (set by ``retain_grad()``;
    ``Tensor.retains_grad``, a property)."""
    return bool(self._retains_grad)


def H(self) -> Tensor:  # noqa: N802 - PyTorch's name
    """The (conjugate) transpose of a matrix (``Tensor.H``, a property; 0-d stays)."""
    if self.ndim not in (0, 2):
        raise ValueError(f"H: only supported on matrices (2-d tensors), got shape "
                         f"{tuple(self.shape)}")
    return self if self.ndim == 0 else _shape.swapaxes(self, 0, 1)


def mH(self) -> Tensor:  # noqa: N802 - PyTorch's name
    """The (conjugate) transpose of the last two dims (``Tensor.mH``, a property)."""
    return adjoint(self)


def storage_offset(self) -> int:
    """The element offset of this tensor's first element in the memory it views: its data
    pointer minus that of the array that owns the memory (0 when it owns it). A view made
    with negative strides (chainrule's ``flip``) counts from where its first element is."""
    a = self.array
    base = a
    while getattr(base, "base", None) is not None and hasattr(base.base, "dtype"):
        base = base.base
    if base is a:
        return 0
    if self.xp is np:
        ptr = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    else:  # pragma: no cover - GPU only
        ptr = a.data.ptr - base.data.ptr
    return int(ptr) // a.dtype.itemsize


__all__ = [
    "std_mean", "var_mean", "quantile", "nanquantile", "nanmedian", "cov", "corrcoef",
    "logspace", "empty_like", "clone", "scatter", "index_put", "index_reduce",
    "select_scatter", "slice_scatter", "diagonal_scatter", "diag_embed", "diagflat",
    "split_with_sizes", "hsplit", "vsplit", "dsplit", "unique_consecutive", "promote_types",
    "can_cast", "result_type", "is_nonzero", "is_same_size", "is_signed", "is_inference",
    "get_device", "histogram", "unravel_index", "swapdims", "adjoint", "narrow_copy", "prelu",
    "hardshrink",
]  # fmt: skip

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = [
    "quantile", "nanquantile", "nanmedian", "cov", "corrcoef", "index_put", "index_reduce",
    "select_scatter", "slice_scatter", "diagonal_scatter", "diag_embed", "diagflat",
    "split_with_sizes", "hsplit", "vsplit", "dsplit", "unique_consecutive", "is_nonzero",
    "is_same_size", "is_signed", "is_inference", "get_device", "histogram", "swapdims", "adjoint",
    "narrow_copy", "prelu", "hardshrink",
]  # fmt: skip
INPLACE_TWINS: list[str] = ["index_reduce"]

# Tensor methods PyTorch has only as methods (``x.get_device()``), and Tensor properties
# (``x.itemsize``): functions of the tensor, attached by tensor.py.
TENSOR_ONLY: list[str] = ["storage_offset"]
TENSOR_PROPERTIES: list[str] = ["itemsize", "nbytes", "is_cpu", "retains_grad", "H", "mH"]
