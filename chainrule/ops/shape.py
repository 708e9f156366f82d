"""Shape and indexing ops: reshape, transpose, broadcast, concatenate, split, pad, getitem."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module, result_dtype
from ..tensor import Tensor
from . import reduce as _reduce
from ._convert import as_tensor, check_tensor, normalize_axis, pick_axis


def _shape_arg(shape):
    """Accept reshape(2, 3) and reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"reshape: shape must be ints, got {shape!r}")
    return tuple(int(s) for s in shape)


class Reshape(Function):
    saves_inputs = False
    makes_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.in_shape)

    # The view protocol of ``Tensor._rebase`` (ops with ``makes_view``): the view taken
    # again from its base, and the base with the view's elements replaced by ``v``.
    def view_again(self, base):
        return Reshape(self.shape)(base)

    def view_into(self, base, v):
        return Reshape(self.in_shape)(v)  # the view covers the whole base


def reshape(x, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    x = check_tensor("reshape", x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (
        x.numel() != known if -1 not in shape else (known == 0 or x.numel() % known)
    ):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.numel()} elements) "
            f"into shape {shape}"
        )
    op = Reshape(shape)
    return op(x)._share_version(x, op)


class Transpose(Function):
    saves_inputs = False
    makes_view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inv = tuple(np.argsort(self.axes)) if self.axes is not None else None
        return Transpose(inv)(gy)

    def view_again(self, base):
        return Transpose(self.axes)(base)

    def view_into(self, base, v):
        return self.backward(v)  # the inverse permutation; the view covers the whole base


def permute(x, *dims) -> Tensor:
    """The axes in the order ``dims`` (``permute(x, 2, 0, 1)`` or ``permute(x, (2, 0, 1))``),
    as ``torch.permute`` and ``np.transpose(x, axes)``."""
    x = check_tensor("permute", x)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    dims = tuple(int(a) for a in dims)
    if (
        len(dims) != x.ndim
        or any(not -x.ndim <= a < x.ndim for a in dims)
        or sorted(a % x.ndim for a in dims) != list(range(x.ndim))
    ):
        raise ValueError(
            f"permute: dims {dims} are not a permutation of the {x.ndim} dims of a tensor of "
            f"shape {tuple(x.shape)}"
        )
    dims = tuple(a % x.ndim for a in dims)
    if dims == tuple(range(x.ndim)):
        return x
    op = Transpose(dims)
    return op(x)._share_version(x, op)


def transpose(x, dim0: int | None = None, dim1: int | None = None) -> Tensor:
    """Swap two dims, as ``torch.transpose`` (``transpose(x, 1, 2)`` on a 4-d tensor swaps
    dims 1 and 2; for a full reordering use ``permute``)."""
    return _swap("transpose", x, dim0, dim1)


def swapaxes(x, axis0: int, axis1: int) -> Tensor:
    """Exchange two axes (NumPy's name for ``transpose``)."""
    return _swap("swapaxes", x, axis0, axis1)


def _swap(fname, x, axis0, axis1) -> Tensor:
    x = check_tensor(fname, x)
    if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
               for a in (axis0, axis1)):
        raise TypeError(
            f"{fname}: expects two dims (ints), got {axis0!r} and {axis1!r}; to reorder all "
            f"dims use permute"
        )
    (a,) = normalize_axis(fname, axis0, x.ndim)
    (b,) = normalize_axis(fname, axis1, x.ndim)
    if x.ndim == 0:
        return x
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return permute(x, perm)


def t(x) -> Tensor:
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is), as ``torch.t``."""
    x = check_tensor("t", x)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {tuple(x.shape)}")
    return x if x.ndim < 2 else permute(x, 1, 0)


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at ``axis`` (an int or a tuple)."""
    x = check_tensor("expand_dims", x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = x.ndim + len(axes)
    axes = normalize_axis("expand_dims", axes, nd)
    shape = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(shape) for i in range(nd)))


def unsqueeze(x, dim: int) -> Tensor:
    """PyTorch's name for ``expand_dims``."""
    return expand_dims(x, dim)


def squeeze(x, axis=None, dim=None) -> Tensor:
    """Remove axes of length 1 (only ``axis`` when given)."""
    x = check_tensor("squeeze", x)
    axes = normalize_axis("squeeze", pick_axis(axis, dim), x.ndim)
    if x.ndim == 0:
        return x
    if axes is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: cannot remove axis {a} of length {x.shape[a]} from a tensor of shape "
                f"{tuple(x.shape)}"
            )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (all of them by default, as NumPy)."""
    x = check_tensor("flatten", x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = normalize_axis("flatten", (start_dim,), x.ndim)[0], normalize_axis(
        "flatten", (end_dim,), x.ndim
    )[0]
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:s] + (math.prod(x.shape[s : e + 1]),) + x.shape[e + 1 :]
    return reshape(x, shape)


class BroadcastTo(Function):
    saves_inputs = False
    makes_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return _reduce.sum_to(gy, self.in_shape)

    # Taken again after its base changed in place; no ``view_into``: an expanded tensor
    # has elements sharing one memory location, which PyTorch refuses to write in place.
    def view_again(self, base):
        return BroadcastTo(self.shape)(base)


def broadcast_to(x, shape) -> Tensor:
    """``x`` repeated along new or length-1 axes to ``shape`` (a read-only view)."""
    x = as_tensor(x)
    shape = tuple(int(s) for s in shape)
    if shape == x.shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
        ok = len(shape) >= x.ndim and np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {shape}")
    op = BroadcastTo(shape)
    return op(x)._share_version(x, op)


class Concatenate(Function):
    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        return split(gy, self.sizes, self.axis)


def concatenate(tensors, axis: int = 0, dim=None) -> Tensor:
    """Join tensors along an existing axis (all other axes must match)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    ref = tensors[0]
    if ref.ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated; use stack")
    (axis,) = normalize_axis("concatenate", pick_axis(axis, dim), ref.ndim)
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != axis
        ):
            raise ValueError(
                f"concatenate: shapes {[tuple(t.shape) for t in tensors]} differ outside axis "
                f"{axis}"
            )
    dtype = result_dtype(*[t.dtype for t in tensors])
    tensors = [t.astype(dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Concatenate(axis)(*tensors)


cat = concatenate


def stack(tensors, axis: int = 0, dim=None) -> Tensor:
    """Join tensors of the same shape along a new axis."""
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"stack: tensors must be a sequence of tensors, got "
                        f"{type(tensors).__name__}")
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    axis = pick_axis(axis, dim)
    (axis,) = normalize_axis("stack", axis, tensors[0].ndim + 1)
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


class Split(Function):
    saves_inputs = False
    makes_view = True

    def __init__(self, bounds, axis):
        self.bounds, self.axis = bounds, axis

    def forward(self, x):
        return tuple(get_array_module(x).split(x, self.bounds, axis=self.axis))

    def backward(self, *gys):
        return concatenate(list(gys), axis=self.axis)

    def part(self, k: int) -> SplitPart:
        """Output ``k`` as a view op of its own."""
        lo = 0 if k == 0 else self.bounds[k - 1]
        hi = self.bounds[k] if k < len(self.bounds) else None
        return SplitPart((slice(None),) * self.axis + (slice(lo, hi),))


class SplitPart:
    """One output of a split as a view op: taken again from its base (as ``base[index]``)
    after the base changed in place. It has no ``view_into``: PyTorch forbids in-place
    changes of the outputs of a function that returns several views."""

    name = "Split"

    def __init__(self, index):
        self.index = index

    def view_again(self, base):
        return GetItem(self.index)(base)


def _split_at(fname, x, bounds, axis) -> list:
    if not bounds:
        return [x]
    op = Split(bounds, axis)
    return [y._share_version(x, op.part(k)) for k, y in enumerate(op(x))]


def _split_axis(fname, x, axis, dim) -> int:
    x = check_tensor(fname, x)
    if x.ndim == 0:
        raise ValueError(f"{fname}: a 0-d tensor has no dim to split")
    (axis,) = normalize_axis(fname, pick_axis(axis, dim), x.ndim)
    return axis


def split(x, split_size_or_sections, dim: int = 0, *, axis=None) -> tuple:
    """Split into pieces along ``dim``, as ``torch.split``: an int is the size of each piece
    (the last may be smaller), a list gives the size of every piece (they must add up to
    the length of ``dim``). NumPy's ``np.split`` (a number of pieces, or cut points) is
    ``tensor_split``.

    >>> a, b = cr.split(cr.arange(5), [2, 3])
    """
    x = check_tensor("split", x)
    d = _split_axis("split", x, axis, dim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        k = int(split_size_or_sections)
        if k <= 0 and not (k == 0 and n == 0):
            raise ValueError(f"split: split_size must be positive, got {k}")
        bounds = list(range(k, n, k)) if k else []
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} must be non-negative and add up to {n}, the length of "
                f"dim {d} of a tensor of shape {tuple(x.shape)}"
            )
        bounds = np.cumsum(sizes)[:-1].tolist()
    return tuple(_split_at("split", x, bounds, d))


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of ceil(n / chunks) along ``dim`` (the last may be
    smaller, and there may be fewer), as ``torch.chunk``."""
    x = check_tensor("chunk", x)
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = _split_axis("chunk", x, None, dim)
    n = x.shape[d]
    return split(x, max(-(-n // int(chunks)), 1), d)


def tensor_split(x, indices_or_sections, dim: int = 0, *, axis=None) -> tuple:
    """Split as ``np.array_split``/``torch.tensor_split``: an int gives that many pieces (the
    first ``n % k`` one longer), a list gives the cut points."""
    x = check_tensor("tensor_split", x)
    d = _split_axis("tensor_split", x, axis, dim)
    n = x.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"tensor_split: number of sections must be positive, got {k}")
        q, r = divmod(n, k)
        bounds = np.cumsum([q + 1] * r + [q] * (k - r))[:-1].tolist()
    else:
        bounds = [int(i) for i in indices_or_sections]
    bounds = [min(max(b if b >= 0 else b + n, 0), n) for b in bounds]
    if any(b < a for a, b in zip(bounds, bounds[1:])):
        # cut points out of order: each piece is x[start:end] on its own (empty where end <
        # start, overlapping the others where the next start goes back), as PyTorch's
        ends = [0, *bounds, n]
        return tuple(getitem(x, (slice(None),) * d + (slice(a, max(a, b)),))
                     for a, b in zip(ends, ends[1:]))
    return tuple(_split_at("tensor_split", x, bounds, d))


def narrow(x, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` (a view), as ``torch.narrow``."""
    x = check_tensor("narrow", x)
    (d,) = normalize_axis("narrow", dim, x.ndim)
    n = x.shape[d]
    start = int(start) + (n if int(start) < 0 else 0)
    if not (0 <= start <= n and 0 <= int(length) and start + int(length) <= n):
        raise IndexError(
            f"narrow: start {start} and length {length} exceed dim {d} of length {n}"
        )
    index = (slice(None),) * d + (slice(start, start + int(length)),)
    return getitem(x, index)


class Pad(Function):
    saves_inputs = False

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        return get_array_module(x).pad(x, self.pad_width, constant_values=self.value)

    def backward(self, gy):
        idx = tuple(slice(b, gy.shape[i] - a) for i, (b, a) in enumerate(self.pad_width))
        return gy[idx]


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    """Pad with a constant, as ``np.pad``: ``pad_width`` is an int, a (before, after) pair,
    or one pair per axis."""
    x = check_tensor("pad", x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if x.ndim == 0:
        raise ValueError("pad: a 0-d tensor has no axis to pad")
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except (TypeError, ValueError):
        pw = None
    if pw is None or (pw < 0).any():
        raise ValueError(f"pad: invalid pad_width {pad_width!r} for a tensor of shape {x.shape}")
    return Pad(tuple((int(b), int(a)) for b, a in pw), constant_values)(x)


# -- indexing ------------------------------------------------------------------------------


def _normalize_index(index):
    """Turn Tensors and lists inside an index into arrays, so NumPy sees a plain index."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _no_repeats(index) -> bool:
    """True when no element can be selected twice (no integer-array indices)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice))
        or i is None
        or i is Ellipsis
        or (hasattr(i, "dtype") and i.dtype == np.bool_)
        for i in items
    )


class GetItem(Function):
    saves_inputs = False
    makes_view = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.in_shape = x.shape
        y = x[self.index]
        if isinstance(y, np.generic):
            # One element: a 0-d view of x, as PyTorch (NumPy gives a detached scalar),
            # so an in-place change of x[i] reaches x.
            index = self.index if isinstance(self.index, tuple) else (self.index,)
            y = x[(*index, Ellipsis)]
        return y

    def backward(self, gy):
        return ScatterAdd(self.index, self.in_shape)(gy)

    def view_again(self, base):
        return GetItem(self.index)(base)

    def view_into(self, base, v):
        return SetItem(self.index)(base, v)


class ScatterAdd(Function):
    """The gradient of getitem: ``gy`` added into zeros at ``index`` (repeated indices add up)."""

    saves_inputs = False

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.shape, gy.dtype)
        if _no_repeats(self.index):
            gx[self.index] = gy
        elif xp is np:
            np.add.at(gx, self.index, gy)
        else:  # pragma: no cover - GPU only
            xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


class SetItem(Function):
    """``x`` with ``v`` written at ``index``, out of place: what ``x[index] = v`` records in
    the graph. The gradient of ``x`` is zero at the written positions; that of ``v`` is
    gathered from them (summed back to ``v``'s shape where it was broadcast)."""

    saves_inputs = False

    def __init__(self, index, inplace: bool = False):
        self.index, self.inplace = index, inplace

    def forward(self, x, v):
        self.v_shape = v.shape
        # In place only for ``Tensor._rebase``, which has ``x`` stand for the memory being
        # written (so ``x[i] = v`` in a loop costs the row, not the whole tensor).
        y = x if self.inplace else x.copy()
        y[self.index] = v
        return y

    def backward(self, gy):
        gx = gv = None
        if self.needs_grad[0]:
            gx = SetItem(self.index)(gy, Tensor(gy.xp.zeros((), gy.dtype)))
        if self.needs_grad[1]:
            gv = GetItem(self.index)(gy)
            if gv.ndim < len(self.v_shape):  # v had leading 1s that NumPy dropped
                gv = Reshape((1,) * (len(self.v_shape) - gv.ndim) + gv.shape)(gv)
        return gx, gv

    def backward_array(self, gy):
        gx = gv = None
        if self.needs_grad[0]:
            gx = gy.copy()
            gx[self.index] = 0
        if self.needs_grad[1]:
            # a copy, not a view of gy: a view would keep the whole gradient alive until v's
            # history runs (a buffer filled row by row would hold one full gradient per row)
            gv = gy[self.index].copy()
            if gv.ndim < len(self.v_shape):
                gv = gv.reshape((1,) * (len(self.v_shape) - gv.ndim) + gv.shape)
        return gx, gv


def setitem(x, index, v, *, _inplace: bool = False) -> Tensor:
    """A copy of ``x`` with ``v`` (a tensor or a number, broadcast) written at ``index``: the
    out-of-place form of ``x[index] = v``, differentiable with respect to both."""
    x = check_tensor("setitem", x)
    index = _normalize_index(index)
    if not isinstance(v, Tensor):
        v = Tensor(x.xp.asarray(v, dtype=x.dtype))
    elif v.dtype != x.dtype:
        v = v.astype(x.dtype)
    return SetItem(index, _inplace)(x, v)


def getitem(x, index) -> Tensor:
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks.

    The gradient adds up at repeated integer indices.
    """
    x = check_tensor("getitem", x)
    index = _normalize_index(index)
    try:
        op = GetItem(index)
        return op(x)._share_version(x, op)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor shape {tuple(x.shape)})") from None


class Unfold(Function):
    """All windows of ``size`` elements along ``dim``, ``step`` apart, as a new last dim: a
    strided view of the input (``Tensor.unfold``). The gradient adds up where windows
    overlap; overlapping windows cannot be changed in place inside a graph (no
    ``view_into``: which write wins is undefined)."""

    saves_inputs = False
    makes_view = True

    def __init__(self, dim, size, step):
        self.dim, self.size, self.step = dim, size, step
        if step < size:
            self.view_into = None

    def windows(self, x):
        d, n = self.dim, x.shape[self.dim]
        shape = (*x.shape[:d], (n - self.size) // self.step + 1, *x.shape[d + 1:], self.size)
        strides = (*x.strides[:d], x.strides[d] * self.step, *x.strides[d + 1:], x.strides[d])
        return get_array_module(x).lib.stride_tricks.as_strided(x, shape, strides)

    def forward(self, x):
        self.in_shape = x.shape
        return self.windows(x)

    def backward(self, gy):
        return UnfoldAdd(self)(gy)

    def view_again(self, base):
        return Unfold(self.dim, self.size, self.step)(base)

    def view_into(self, base, v):
        mask = get_array_module(base.array).zeros(self.in_shape, bool)
        self.windows(mask)[...] = True
        return where_constant(mask, UnfoldAdd(self)(v), base)


class UnfoldAdd(Function):
    """The windows ``g`` added back into zeros of the unfolded input's shape."""

    saves_inputs = False

    def __init__(self, view: Unfold):
        self.view = view

    def forward(self, g):
        v = self.view
        out = get_array_module(g).zeros(v.in_shape, g.dtype)
        w = g.shape[v.dim]
        for k in range(v.size):  # the k-th element of every window, all windows at once
            at = (slice(None),) * v.dim + (slice(k, k + v.step * (w - 1) + 1, v.step),)
            out[at] += g[..., k]
        return out

    def backward(self, gg):
        v = self.view
        return Unfold(v.dim, v.size, v.step)(gg)


def where_constant(mask, a: Tensor, b: Tensor) -> Tensor:
    from .elementwise import where

    return where(Tensor._make(mask, False), a, b)


def unfold(x, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dim: a view of ``x``, as ``Tensor.unfold``."""
    x = check_tensor("unfold", x)
    (d,) = normalize_axis("unfold", dimension, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if isinstance(size, bool) or isinstance(step, bool) or size < 0 or step <= 0 or size > n:
        raise ValueError(f"unfold: size {size} and step {step} do not fit dim {d} of length {n}")
    if x.ndim == 0:
        return reshape(x, 1)
    op = Unfold(d, int(size), int(step))
    return op(x)._share_version(x, op)

