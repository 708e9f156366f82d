"""PyTorch's array functions that compose the engine's ops: tile, movedim, repeat_interleave,
masked_select, diff, rot90, kron, the nan-reductions, the stacking helpers and the
integer-valued queries (nonzero, count_nonzero, bincount, searchsorted...).

Every differentiable function here is written with differentiable ops (getitem, reshape,
permute, cat, where, matmul...), so its first and second derivatives come from theirs.
The queries return int64 or bool tensors without history, as PyTorch's.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..backend import to_device, to_dtype
from ..tensor import Size, Tensor
from . import elementwise as _ew
from . import linalg as _linalg
from . import reduce as _reduce
from . import shape as _shape
from . import torch_names as _tn
from ._convert import as_tensor, check_tensor, float_input, normalize_axis, pair

# -- argument helpers --------------------------------------------------------------------


def _const(a) -> Tensor:
    """An array as a Tensor without history (integer and boolean results)."""
    return Tensor._make(a, False)


def _ints(fname: str, argname: str, value) -> tuple:
    """An int or a sequence of ints as a tuple of ints."""
    seq = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        seq = tuple(seq)
    except TypeError:
        raise TypeError(f"{fname}: {argname} must be an int or a sequence of ints, got "
                        f"{value!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in seq):
        raise TypeError(f"{fname}: {argname} must be ints, got {value!r}")
    return tuple(int(v) for v in seq)


def _dim(fname: str, dim, ndim: int) -> int:
    """One dim (an int), negatives resolved."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fname}: dim must be an int, got {dim!r}")
    return normalize_axis(fname, dim, ndim)[0]


def _broadcast(fname: str, *shapes) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"{fname}: shapes {', '.join(str(tuple(s)) for s in shapes)} cannot "
                         f"be broadcast together") from None


def _tensors(fname: str, tensors) -> list:
    """The tensors of ``f(a, b, ...)`` or ``f([a, b, ...])``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return [check_tensor(fname, t, "tensors") for t in tensors]


def _join(fname: str, tensors, dim: int) -> Tensor:
    """``cat`` whose errors name ``fname``."""
    try:
        return _shape.cat(list(tensors), dim)
    except ValueError as e:
        raise ValueError(f"{fname}: {str(e).split(': ', 1)[-1]}") from None


# -- repeating, moving and flipping ------------------------------------------------------


def tile(input, dims, *more) -> Tensor:
    """``input`` repeated ``dims[i]`` times along each dim; missing leading dims count as 1
    (``torch.tile``; ``x.tile(2, 2)`` as ``x.tile((2, 2))``)."""
    x = check_tensor("tile", input)
    dims = _ints("tile", "dims", (dims, *more) if more else dims)
    if any(r < 0 for r in dims):
        raise ValueError(f"tile: dims must be non-negative, got {dims}")
    return _tn.repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def movedim(input, source, destination) -> Tensor:
    """``input`` with dims ``source`` moved to positions ``destination``, the others keeping
    their order.

    >>> cr.movedim(cr.zeros(2, 3, 4), 0, -1).shape   # (3, 4, 2)
    """
    x = check_tensor("movedim", input)
    src = _ints("movedim", "source", source)
    dst = _ints("movedim", "destination", destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {src} and destination {dst} have different lengths")
    if x.ndim == 0:  # dims 0 and -1 are accepted, as for reductions
        normalize_axis("movedim", src, 0)
        normalize_axis("movedim", dst, 0)
        return x
    src, dst = normalize_axis("movedim", src, x.ndim), normalize_axis("movedim", dst, x.ndim)
    rest = iter(i for i in range(x.ndim) if i not in src)
    moved = dict(zip(dst, src))
    return _shape.permute(x, tuple(moved[i] if i in moved else next(rest)
                                   for i in range(x.ndim)))


moveaxis = movedim


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (or slice along ``dim``) of ``input`` repeated ``repeats`` times in place,
    the input flattened when ``dim`` is None; ``repeats`` is an int or one count per element.
    With ``repeats`` omitted, ``input`` holds the counts and the result is the repeated
    indices: ``repeat_interleave(tensor([2, 0, 1]))`` is ``[0, 0, 2]``.
    """
    if repeats is None:
        r = check_tensor("repeat_interleave", input, "repeats")
        if r.ndim != 1:
            raise ValueError(f"repeat_interleave: repeats must be 1-d, got shape {r.shape}")
        index = repeat_interleave(_const(np.arange(r.shape[0])), r, output_size=output_size)
        return _const(index.array)
    x = check_tensor("repeat_interleave", input)
    if dim is None or x.ndim == 0:
        x, d = _shape.reshape(x, (-1,)), 0
    else:
        d = _dim("repeat_interleave", dim, x.ndim)
    n = x.shape[d]
    reps = repeats.numpy() if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.dtype.kind not in "iu":
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, got "
                        f"{repeats!r}")
    if reps.ndim > 1 or (reps.ndim == 1 and reps.size not in (1, n)):
        raise ValueError(f"repeat_interleave: repeats of shape {reps.shape} for dim {d} of "
                         f"length {n}; give an int or {n} counts")
    if (reps < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {reps}")
    index = np.repeat(np.arange(n), np.broadcast_to(reps.reshape(-1), (n,)))
    if output_size is not None and int(output_size) != index.size:
        raise ValueError(f"repeat_interleave: output_size={output_size} but the repeats add "
                         f"up to {index.size}")
    return _shape.getitem(x, (slice(None),) * d + (index,))


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """``input`` rotated by ``k`` quarter turns in the plane of ``dims``, from the first dim
    towards the second."""
    x = check_tensor("rot90", input)
    dims = _ints("rot90", "dims", dims)
    if len(dims) != 2 or x.ndim < 2:
        raise ValueError(f"rot90: needs 2 dims of a tensor with at least 2 dims, got dims "
                         f"{dims} for shape {tuple(x.shape)}")
    a, b = normalize_axis("rot90", dims, x.ndim)
    k = int(k) % 4
    if k == 1:
        return _shape.transpose(_tn.flip(x, (b,)), a, b)
    if k == 2:
        return _tn.flip(x, (a, b))
    if k == 3:
        return _shape.transpose(_tn.flip(x, (a,)), a, b)
    return x.clone()


def fliplr(input) -> Tensor:
    """``input`` with its columns (dim 1) reversed."""
    x = check_tensor("fliplr", input)
    if x.ndim < 2:
        raise ValueError(f"fliplr: needs at least 2 dims, got shape {tuple(x.shape)}")
    return _tn.flip(x, (1,))


def flipud(input) -> Tensor:
    """``input`` with its rows (dim 0) reversed."""
    x = check_tensor("flipud", input)
    if x.ndim < 1:
        raise ValueError("flipud: needs at least 1 dim, got a 0-d tensor")
    return _tn.flip(x, (0,))


# -- selecting -----------------------------------------------------------------------------


def masked_select(input, mask) -> Tensor:
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-d tensor."""
    x = check_tensor("masked_select", input)
    m = check_tensor("masked_select", mask, "mask")
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got dtype {m.dtype}")
    shape = _broadcast("masked_select", x.shape, m.shape)
    return _shape.getitem(_shape.broadcast_to(x, shape), m.xp.broadcast_to(m.array, shape))


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference ``out[i] = x[i + 1] - x[i]`` along ``dim``, after
    ``prepend`` and ``append`` are joined to ``input`` there (xor for bool tensors)."""
    x = check_tensor("diff", input)
    if x.ndim == 0:
        raise ValueError("diff: needs a tensor with at least 1 dim, got a 0-d tensor")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    d = _dim("diff", dim, x.ndim)
    parts = []
    for name, t in (("prepend", prepend), ("input", x), ("append", append)):
        if t is None:
            continue
        t = as_tensor(t)
        if t.ndim != x.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, x.shape))
                                   if i != d):
            raise ValueError(f"diff: {name} of shape {tuple(t.shape)} does not match input of "
                             f"shape {tuple(x.shape)} outside dim {d}")
        parts.append(t)
    y = _shape.cat(parts, d)
    for _ in range(n):
        m = y.shape[d]
        if m == 0:
            break
        hi, lo = _shape.narrow(y, d, 1, m - 1), _shape.narrow(y, d, 0, m - 1)
        y = logical_xor(hi, lo) if y.dtype == np.bool_ else hi - lo
    return y


# -- products --------------------------------------------------------------------------------


def kron(input, other) -> Tensor:
    """The Kronecker product: every element of ``input`` times a whole copy of ``other``;
    the result's shape is the product of the shapes (the shorter padded with leading 1s)."""
    a, b = pair(check_tensor("kron", input), check_tensor("kron", other, "other"))
    n = max(a.ndim, b.ndim)
    sa, sb = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    # a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...), then each pair of dims merged
    y = _shape.reshape(a, tuple(v for s in sa for v in (s, 1))) * \
        _shape.reshape(b, tuple(v for s in sb for v in (1, s)))
    return _shape.reshape(y, tuple(p * q for p, q in zip(sa, sb)))


def tensordot(a, b, dims=2) -> Tensor:
    """The sum of products over dims of ``a`` and ``b``: the last ``dims`` of ``a`` with the
    first ``dims`` of ``b`` (an int), or ``dims = (dims_a, dims_b)`` paired up. The result
    has ``a``'s remaining dims, then ``b``'s."""
    a, b = pair(check_tensor("tensordot", a, "a"), check_tensor("tensordot", b, "b"))
    if isinstance(dims, (int, np.integer)):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: dims={dims} for shapes {tuple(a.shape)} and "
                             f"{tuple(b.shape)}")
        ca, cb = tuple(range(a.ndim - dims, a.ndim)), tuple(range(dims))
    else:
        if len(dims) != 2:
            raise ValueError(f"tensordot: dims must be an int or two lists of dims, got {dims!r}")
        ca = normalize_axis("tensordot", _ints("tensordot", "dims", dims[0]), a.ndim)
        cb = normalize_axis("tensordot", _ints("tensordot", "dims", dims[1]), b.ndim)
    if [a.shape[i] for i in ca] != [b.shape[j] for j in cb]:
        raise ValueError(f"tensordot: contracted dims {ca} of {tuple(a.shape)} and {cb} of "
                         f"{tuple(b.shape)} differ in size")
    fa = [i for i in range(a.ndim) if i not in ca]
    fb = [j for j in range(b.ndim) if j not in cb]
    k = math.prod(a.shape[i] for i in ca)
    # one matrix product: (free a, contracted) @ (contracted, free b)
    A = _shape.reshape(_permuted(a, fa + list(ca)), (-1, k))
    B = _shape.reshape(_permuted(b, list(cb) + fb), (k, -1))
    return _shape.reshape(_linalg.matmul(A, B),
                          tuple(a.shape[i] for i in fa) + tuple(b.shape[j] for j in fb))


def _permuted(x, order):
    return x if list(order) == list(range(x.ndim)) else _shape.permute(x, tuple(order))


def inner(input, other) -> Tensor:
    """The sum of products over the last dims of ``input`` and ``other`` (a product when
    either is 0-d)."""
    a, b = pair(check_tensor("inner", input), check_tensor("inner", other, "other"))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: last dims of shapes {tuple(a.shape)} and {tuple(b.shape)} "
                         f"differ")
    return tensordot(a, b, ([-1], [-1]))


def mv(input, vec) -> Tensor:
    """The product of a matrix and a vector."""
    a, v = check_tensor("mv", input), check_tensor("mv", vec, "vec")
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise ValueError(f"mv: expects a matrix (n, m) and a vector (m,), got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    return _linalg.matmul(a, v)


def cross(input, other, dim=None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None),
    the inputs (of the same number of dims) broadcast together."""
    a, b = pair(check_tensor("cross", input), check_tensor("cross", other, "other"))
    if a.ndim != b.ndim:
        raise ValueError(f"cross: input and other must have the same number of dims, got "
                         f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    shape = _broadcast("cross", a.shape, b.shape)
    if dim is None:
        if 3 not in shape:
            raise ValueError(f"cross: no dim of size 3 in shape {shape}")
        d = shape.index(3)
    else:
        d = _dim("cross", dim, len(shape))
        if len(shape) == 0 or shape[d] != 3:
            raise ValueError(f"cross: dim {dim} of shape {shape} must have size 3")
    a0, a1, a2 = _tn.unbind(_shape.broadcast_to(a, shape), d)
    b0, b1, b2 = _tn.unbind(_shape.broadcast_to(b, shape), d)
    return _shape.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def dist(input, other, p=2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast) over all elements; its gradient at
    zero distance is 0, as PyTorch's."""
    from ..linalg import vector_norm

    a, b = pair(float_input("dist", input), float_input("dist", other))
    _broadcast("dist", a.shape, b.shape)
    return vector_norm(a - b, _p("dist", p))


def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): a (..., P, R) tensor, batch dims broadcast. The gradient at zero distance is
    0, as PyTorch's."""
    from ..linalg import vector_norm

    a, b = pair(float_input("cdist", x1), float_input("cdist", x2))
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ValueError(f"cdist: expects x1 (..., P, M) and x2 (..., R, M), got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    _broadcast("cdist", a.shape[:-2], b.shape[:-2])
    p = _p("cdist", p)
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    return vector_norm(_shape.unsqueeze(a, -2) - _shape.unsqueeze(b, -3), p, dim=-1)


def _p(fname, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.number)):
        raise TypeError(f"{fname}: p must be a number, got {p!r}")
    return float(p)


def vander(x, N=None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-d ``x``: columns ``x ** (N - 1), ..., x ** 0`` (the
    other way round when ``increasing``)."""
    x = check_tensor("vander", x, "x")
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-d, got shape {tuple(x.shape)}")
    N = x.shape[0] if N is None else N
    if not isinstance(N, (int, np.integer)) or N < 0:
        raise ValueError(f"vander: N must be a non-negative int, got {N!r}")
    if x.dtype.kind in "biu":
        x = x.astype(np.int64)
    if N == 0:
        return _const(x.xp.zeros((x.shape[0], 0), x.dtype))
    powers = range(N) if increasing else range(N - 1, -1, -1)
    return _shape.stack([x**k for k in powers], 1)


# -- joining -----------------------------------------------------------------------------------


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d, 1-d as a row, or 2-d) placed corner to corner on the diagonal of a
    matrix of zeros."""
    ts = [check_tensor("block_diag", t, "tensors") for t in tensors]
    if not ts:
        return _const(np.zeros((1, 0), np.float32))
    for t in ts:
        if t.ndim > 2:
            raise ValueError(f"block_diag: tensors must have at most 2 dims, got shape "
                             f"{tuple(t.shape)}")
    ms = [_shape.reshape(t, (1, -1)) if t.ndim < 2 else t for t in ts]
    total, col, rows = sum(m.shape[1] for m in ms), 0, []
    for m in ms:
        rows.append(_shape.pad(m, ((0, 0), (col, total - col - m.shape[1]))))
        col += m.shape[1]
    return _shape.cat(rows, 0)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-d tensor, as the rows of a matrix (the
    tensor itself when only one is given)."""
    ts = [check_tensor("cartesian_prod", t, "tensors") for t in tensors]
    if not ts or any(t.ndim != 1 for t in ts):
        raise ValueError(f"cartesian_prod: expects one or more 1-d tensors, got shapes "
                         f"{[tuple(t.shape) for t in ts]}")
    if len(ts) == 1:
        return ts[0]
    return _shape.stack([_shape.reshape(g, (-1,)) for g in _tn.meshgrid(*ts, indexing="ij")], 1)


def _atleast_shape(shape: tuple, n: int) -> tuple:
    if len(shape) >= n:
        return shape
    if n == 3:  # PyTorch's (and NumPy's) layout: (k,) -> (1, k, 1), (m, k) -> (m, k, 1)
        return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)]
    return (1,) * (n - len(shape)) + shape


def _atleast(fname: str, n: int, tensors):
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    out = tuple(_shape.reshape(t, _atleast_shape(t.shape, n)) for t in _tensors(fname, tensors))
    return out[0] if one else out


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim (a tensor for one tensor, else a tuple)."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims: (k,) becomes (1, k)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims: (k,) becomes (1, k, 1), (m, k) (m, k, 1)."""
    return _atleast("atleast_3d", 3, tensors)


def hstack(tensors) -> Tensor:
    """The tensors joined column-wise: along dim 0 when all are 1-d, else dim 1."""
    ts = _atleast("hstack", 1, tuple(_tensors("hstack", (tensors,))))
    return _join("hstack", ts, 0 if all(t.ndim == 1 for t in ts) else 1)


def vstack(tensors) -> Tensor:
    """The tensors joined row-wise (dim 0), 0-d and 1-d ones made rows first."""
    return _join("vstack", _atleast("vstack", 2, tuple(_tensors("vstack", (tensors,)))), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """The tensors joined depth-wise (dim 2), made 3-d first as ``atleast_3d``."""
    return _join("dstack", _atleast("dstack", 3, tuple(_tensors("dstack", (tensors,)))), 2)


def column_stack(tensors) -> Tensor:
    """The tensors joined as columns (dim 1), 0-d and 1-d ones made columns first."""
    ts = _tensors("column_stack", (tensors,))
    return _join("column_stack",
                 [_shape.reshape(t, (-1, 1)) if t.ndim < 2 else t for t in ts], 1)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (an int counts as a 1-d shape)."""
    return Size(_broadcast("broadcast_shapes",
                           *[_ints("broadcast_shapes", "shapes", s) for s in shapes]))


def broadcast_tensors(*tensors) -> tuple:
    """The tensors broadcast to their common shape (read-only views)."""
    ts = _tensors("broadcast_tensors", tensors)
    shape = _broadcast("broadcast_tensors", *[t.shape for t in ts])
    return tuple(_shape.broadcast_to(t, shape) for t in ts)


# -- reductions ----------------------------------------------------------------------------------


def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: ``sum((y[i] + y[i+1]) / 2 * (x[i+1] - x[i]))``, with
    the sample points ``x`` (1-d, or broadcasting with ``y``) or a spacing ``dx`` (1 when
    neither is given)."""
    y = float_input("trapezoid", y)
    if x is not None and dx is not None:
        raise TypeError("trapezoid: give x or dx, not both")
    if y.ndim == 0:
        raise ValueError("trapezoid: y must have at least 1 dim, got a 0-d tensor")
    d = _dim("trapezoid", dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return _reduce.sum(y, dim=d)  # zeros, as PyTorch
    ends = _shape.narrow(y, d, 0, n - 1) + _shape.narrow(y, d, 1, n - 1)
    if x is None:
        return _reduce.sum(ends, dim=d) * (0.5 * (1.0 if dx is None else float(dx)))
    x = as_tensor(x)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ValueError(f"trapezoid: x has {x.shape[0]} points, y has {n} along dim {d}")
        x = _shape.reshape(x, tuple(n if i == d else 1 for i in range(y.ndim)))
    elif x.ndim != y.ndim:
        raise ValueError(f"trapezoid: x of shape {tuple(x.shape)} must be 1-d or have y's "
                         f"{y.ndim} dims")
    _broadcast("trapezoid", x.shape, y.shape)
    return _reduce.sum(diff(x, dim=d) * ends, dim=d) * 0.5


trapz = trapezoid


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over ``dim`` with NaN counted as 0 (their gradient is 0)."""
    x = check_tensor("nansum", input)
    if x.dtype.kind == "f":
        x = _ew.where(_ew.isnan(x), 0.0, x)
    return _reduce.sum(x, dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean over ``dim`` of the elements that are not NaN (NaN where all are)."""
    x = check_tensor("nanmean", input)
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"nanmean: expects a floating-point tensor, got dtype {x.dtype}")
    count = _reduce.sum(_ew.logical_not(_ew.isnan(x)), dim=dim, keepdim=keepdim, dtype=x.dtype)
    return nansum(x, dim, keepdim) / count


aminmax_type = namedtuple("aminmax", ["min", "max"])  # torch.return_types.aminmax


def aminmax(input, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all elements when None), a named tuple; ties share the
    gradient as in ``amin``/``amax``."""
    x = check_tensor("aminmax", input)
    if dim is not None:
        dim = _dim("aminmax", dim, x.ndim)
    if x.numel() == 0 or (dim is not None and x.ndim and x.shape[dim] == 0):
        raise ValueError(f"aminmax: cannot reduce an empty tensor (shape {tuple(x.shape)}) over "
                         f"dim {dim}")
    return aminmax_type(_reduce.amin(x, dim=dim, keepdim=keepdim),
                        _reduce.amax(x, dim=dim, keepdim=keepdim))


def msort(input) -> Tensor:
    """``input`` sorted along dim 0."""
    return _tn.sort(check_tensor("msort", input), 0).values


def sum_to_size(input, size, *more) -> Tensor:
    """``input`` summed to ``size``, which must broadcast to its shape (``Tensor.sum_to_size``:
    the inverse of ``expand``)."""
    x = check_tensor("sum_to_size", input)
    size = _ints("sum_to_size", "size", (size, *more) if more else size)
    if len(size) > x.ndim or any(s not in (1, n) for s, n in zip(size[::-1], x.shape[::-1])):
        raise ValueError(f"sum_to_size: size {size} is not expandable to the tensor's shape "
                         f"{tuple(x.shape)}")
    return _reduce.sum_to(x, size)


# -- elementwise -------------------------------------------------------------------------------


def reciprocal(input) -> Tensor:
    """1 / x (a float tensor for integer input)."""
    return _ew.div(1.0, float_input("reciprocal", input))


def _clamp_one(fname: str, x, bound, lower: bool) -> Tensor:
    x = check_tensor(fname, x)
    if not isinstance(bound, Tensor):
        return _ew.clip(x, bound, None) if lower else _ew.clip(x, None, bound)
    _broadcast(fname, x.shape, bound.shape)
    x, m = pair(x, bound)
    # x where it is inside the bound (a tie goes to x, NaN stays), the bound elsewhere
    keep = _ew.logical_or(_ew.greater_equal(x, m) if lower else _ew.less_equal(x, m),
                          _ew.isnan(x))
    return _ew.where(keep, x, m)


def clamp_min(input, min) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(x, min) elementwise; ``min`` is a number or a tensor broadcast with ``input``."""
    return _clamp_one("clamp_min", input, min, True)


def clamp_max(input, max) -> Tensor:  # noqa: A002 - PyTorch's name
    """min(x, max) elementwise; ``max`` is a number or a tensor broadcast with ``input``."""
    return _clamp_one("clamp_max", input, max, False)


logical_xor = _ew._compare(np.logical_xor)


def _query(name: str, fn, doc: str):
    """A boolean elementwise test of a tensor (no gradient)."""

    def f(input) -> Tensor:
        x = check_tensor(name, input)
        return _const(fn(x.xp, x.array))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


signbit = _query("signbit", lambda xp, a: xp.signbit(a),
                 "True where the sign bit is set: negative numbers and -0.0.")
isinf = _query("isinf", lambda xp, a: xp.isinf(a), "True where an element is +inf or -inf.")
isposinf = _query("isposinf", lambda xp, a: a == xp.inf, "True where an element is +inf.")
isneginf = _query("isneginf", lambda xp, a: a == -xp.inf, "True where an element is -inf.")
isreal = _query("isreal", lambda xp, a: xp.ones(a.shape, bool),
                "True for every element (a real tensor has no imaginary part).")


# -- integer-valued queries (int64 results, no gradient) ---------------------------------------


def count_nonzero(input, dim=None) -> Tensor:
    """The number of non-zero elements over ``dim`` (all when None)."""
    x = check_tensor("count_nonzero", input)
    axes = normalize_axis("count_nonzero", dim, x.ndim) if x.ndim else None
    return _const(x.xp.asarray(x.xp.count_nonzero(x.array, axis=axes), np.int64))


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an (N, ndim) tensor, one row per element, or
    with ``as_tuple`` one 1-d tensor per dim (a 0-d input counts as 1-d there)."""
    x = check_tensor("nonzero", input)
    a = x.array
    if as_tuple:
        return tuple(_const(i.astype(np.int64)) for i in x.xp.nonzero(a.reshape(-1) if
                                                                       x.ndim == 0 else a))
    return _const(x.xp.argwhere(a).astype(np.int64))


def argwhere(input) -> Tensor:
    """The indices of the non-zero elements, an (N, ndim) tensor (``nonzero``)."""
    return nonzero(check_tensor("argwhere", input))


def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-d tensor of non-negative ints (the sum of
    ``weights`` at its positions, when given); at least ``minlength`` bins."""
    x = check_tensor("bincount", input)
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise ValueError(f"bincount: input must be a 1-d integer tensor, got shape "
                         f"{tuple(x.shape)} and dtype {x.dtype}")
    if x.numel() and int(x.array.min()) < 0:
        raise ValueError(f"bincount: input must be non-negative, got {int(x.array.min())}")
    if not isinstance(minlength, (int, np.integer)) or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    if weights is None:
        return _const(x.xp.bincount(x.array, minlength=minlength).astype(np.int64))
    w = as_tensor(weights)
    if w.shape != x.shape:
        raise ValueError(f"bincount: weights of shape {tuple(w.shape)} for input of shape "
                         f"{tuple(x.shape)}")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _const(x.xp.bincount(x.array, w.array, minlength).astype(dtype))


def histc(input, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when min == max);
    elements outside are not counted."""
    x = check_tensor("histc", input)
    if x.dtype.kind != "f":
        raise TypeError(f"histc: expects a floating-point tensor, got dtype {x.dtype}")
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: min ({min}) must not exceed max ({max})")
    if lo == hi and x.numel():
        lo, hi = float(x.array.min()), float(x.array.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"histc: range [{lo}, {hi}] is not finite")
    counts, _ = x.xp.histogram(x.array, bins, range=(lo, hi))
    return _const(counts.astype(x.dtype))


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dim, whose
    leading dims match ``input``'s) to keep it sorted: the first such index, or the last with
    ``right=True`` or ``side="right"``. ``sorter`` holds the indices that sort the sequence."""
    s = check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    v = as_tensor(input)
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise ValueError("searchsorted: side='left' and right=True contradict each other")
    if s.ndim == 0 or (s.ndim > 1 and (v.ndim != s.ndim or v.shape[:-1] != s.shape[:-1])):
        raise ValueError(f"searchsorted: sorted_sequence of shape {tuple(s.shape)} must be 1-d "
                         f"or match input's leading dims (input shape {tuple(v.shape)})")
    a = s.array
    if sorter is not None:
        order = as_tensor(sorter)
        if order.shape != s.shape or order.dtype.kind not in "iu":
            raise ValueError(f"searchsorted: sorter must be an integer tensor of shape "
                             f"{tuple(s.shape)}, got {order.dtype} {tuple(order.shape)}")
        a = s.xp.take_along_axis(a, order.array, -1)
    how = "right" if right or side == "right" else "left"
    xp = s.xp
    if s.ndim == 1:
        out = xp.searchsorted(a, v.array, how)
    else:
        rows, vals = a.reshape(-1, a.shape[-1]), v.array.reshape(-1, v.shape[-1])
        out = xp.stack([xp.searchsorted(r, q, how) for r, q in zip(rows, vals)])
    return _const(xp.asarray(out).reshape(v.shape).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` among the sorted 1-d ``boundaries``: i with
    ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right=True``)."""
    b = check_tensor("bucketize", boundaries, "boundaries")
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-d, got shape {tuple(b.shape)}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def _tri_indices(fname, lower, row, col, offset, dtype, device):
    for name, v in (("row", row), ("col", col), ("offset", offset)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{fname}: {name} must be an int, got {v!r}")
    if row < 0 or col < 0:
        raise ValueError(f"{fname}: row and col must be non-negative, got {row} and {col}")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    a = np.stack([r, c]).astype(to_dtype(dtype, fname) or np.int64)
    return _const(a if device is None else to_device(a, device))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) indices of the lower triangle (on and below diagonal ``offset``) of a
    ``row`` x ``col`` matrix, row by row."""
    return _tri_indices("tril_indices", True, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) indices of the upper triangle (on and above diagonal ``offset``)."""
    return _tri_indices("triu_indices", False, row, col, offset, dtype, device)


__all__ = [
    "argwhere", "atleast_1d", "atleast_2d", "atleast_3d", "bincount", "block_diag",
    "broadcast_shapes", "broadcast_tensors", "bucketize", "cartesian_prod", "cdist",
    "clamp_max", "clamp_min", "column_stack", "count_nonzero", "cross", "diff", "dist",
    "dstack", "fliplr", "flipud", "histc", "hstack", "inner", "isinf", "isneginf", "isposinf",
    "isreal", "kron", "logical_xor", "masked_select", "movedim", "moveaxis", "msort", "mv",
    "nanmean", "nansum", "nonzero", "reciprocal", "repeat_interleave", "rot90",
    "row_stack", "searchsorted", "signbit", "tensordot", "tile",
    "trapezoid", "trapz", "tril_indices", "triu_indices", "vander", "vstack", "aminmax",
]  # fmt: skip

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
# The second line re-exports ops of other modules that PyTorch also has as methods.
TENSOR_METHODS: list[str] = [
    "tile", "movedim", "moveaxis", "repeat_interleave", "masked_select", "diff",
    "rot90", "fliplr", "flipud", "kron", "inner", "mv", "dist", "cross", "nansum", "nanmean",
    "aminmax", "msort", "signbit", "isinf", "isposinf", "isneginf",
    "isreal", "count_nonzero", "nonzero", "argwhere", "bincount", "histc", "clamp_min",
    "clamp_max", "logical_xor", "reciprocal",
    "erf", "erfinv", "outer", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_not",
]  # fmt: skip
INPLACE_TWINS: list[str] = ["logical_xor"]
