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

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.in_shape)


def reshape(x, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    x = check_tensor("reshape", x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (
        x.size != known if -1 not in shape else (known == 0 or x.size % known)
    ):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
            f"into shape {shape}"
        )
    return Reshape(shape)(x)._share_version(x)


class Transpose(Function):
    saves_inputs = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inv = tuple(np.argsort(self.axes)) if self.axes is not None else None
        return Transpose(inv)(gy)


def transpose(x, *axes) -> Tensor:
    """Permute axes (reverse them when none are given), as ``np.transpose``."""
    x = check_tensor("transpose", x)
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if axes is None or len(axes) == 0:
        axes = tuple(range(x.ndim - 1, -1, -1))
    axes = tuple(int(a) for a in axes)
    if (
        len(axes) != x.ndim
        or any(not -x.ndim <= a < x.ndim for a in axes)
        or sorted(a % x.ndim for a in axes) != list(range(x.ndim))
    ):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a tensor of "
            f"shape {tuple(x.shape)}"
        )
    axes = tuple(a % x.ndim for a in axes)
    if axes == tuple(range(x.ndim)):
        return x
    return Transpose(axes)(x)._share_version(x)


def permute(x, *axes) -> Tensor:
    """PyTorch's name for ``transpose`` with explicit axes."""
    return transpose(x, *axes)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = check_tensor("swapaxes", x)
    (a,) = normalize_axis("swapaxes", axis1, x.ndim)
    (b,) = normalize_axis("swapaxes", axis2, x.ndim)
    if x.ndim == 0:
        return x
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


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

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return _reduce.sum_to(gy, self.in_shape)


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
    return BroadcastTo(shape)(x)._share_version(x)


class Concatenate(Function):
    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        bounds = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(split(gy, bounds, axis=self.axis))


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

    def __init__(self, bounds, axis):
        self.bounds, self.axis = bounds, axis

    def forward(self, x):
        return tuple(get_array_module(x).split(x, self.bounds, axis=self.axis))

    def backward(self, *gys):
        return concatenate(list(gys), axis=self.axis)


def split(x, indices_or_sections, axis: int = 0, dim=None) -> list:
    """Split into pieces along ``axis``, as ``np.split``: an int gives that many equal
    pieces, a list of indices gives the cut points."""
    x = check_tensor("split", x)
    if x.ndim == 0:
        raise ValueError("split: a 0-d tensor has no axis to split")
    (axis,) = normalize_axis("split", pick_axis(axis, dim), x.ndim)
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(
                f"split: axis {axis} of length {n} cannot be split into {k} equal pieces"
            )
        bounds = [n // k * i for i in range(1, k)]
    else:
        bounds = [int(i) for i in indices_or_sections]
    return [y._share_version(x) for y in Split(bounds, axis)(x)] if bounds else [x]


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

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.index]

    def backward(self, gy):
        return ScatterAdd(self.index, self.in_shape)(gy)


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


def getitem(x, index) -> Tensor:
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks.

    The gradient adds up at repeated integer indices.
    """
    x = check_tensor("getitem", x)
    index = _normalize_index(index)
    try:
        return GetItem(index)(x)._share_version(x)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor shape {tuple(x.shape)})") from None
