"""PyTorch's names for ops that are compositions of the primitives: comparisons (``eq``,
``lt``...), ``equal``/``allclose``, ``mm``/``bmm``, ``sort``/``topk``, ``gather``,
``index_select``, ``masked_fill``, ``unbind``, ``repeat``/``expand``, ``cumsum`` and the
elementwise functions written from the primitives (``square``, ``rsqrt``, ``log2``...).

Each has PyTorch's signature and result; the gradient comes from the ops it is built of.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise as _ew
from . import linalg as _linalg
from . import reduce as _reduce
from . import shape as _shape
from ._convert import as_tensor, check_tensor, normalize_axis

eq = _ew.equal
ne = _ew.not_equal
lt = _ew.less
le = _ew.less_equal
gt = _ew.greater
ge = _ew.greater_equal


def equal(a, b) -> bool:
    """True if ``a`` and ``b`` have the same shape and elements (``torch.equal``; the
    elementwise comparison is ``eq``)."""
    a, b = as_tensor(a), as_tensor(b)
    return a.shape == b.shape and bool((a.array == b.array).all())


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol * |b|, elementwise."""
    a, b = as_tensor(a), as_tensor(b)
    return Tensor._make(a.xp.isclose(a.array, b.array, rtol, atol, equal_nan), False)


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if every element of ``a`` is close to ``b``'s (see ``isclose``)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def mm(a, b) -> Tensor:
    """The product of two matrices (2-d only, as ``torch.mm``; ``matmul`` broadcasts)."""
    a, b = check_tensor("mm", a), check_tensor("mm", b, "mat2")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expects two 2-d tensors, got shapes {a.shape} and {b.shape}")
    return _linalg.matmul(a, b)


def bmm(a, b) -> Tensor:
    """Batched matrix product of (B, n, m) and (B, m, p) tensors (``torch.bmm``)."""
    a, b = check_tensor("bmm", a), check_tensor("bmm", b, "mat2")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(
            f"bmm: expects two 3-d tensors with the same batch size, got shapes {a.shape} "
            f"and {b.shape}"
        )
    return _linalg.matmul(a, b)


def _beta_input_plus(fname, input, product, beta, alpha) -> Tensor:  # noqa: A002
    """``beta * input + alpha * product`` with ``input`` broadcast to the product's shape
    (PyTorch's ``add*`` family); beta = 0 ignores input, NaN and inf included."""
    input = check_tensor(fname, input)  # noqa: A001
    try:
        fits = np.broadcast_shapes(input.shape, product.shape) == tuple(product.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{fname}: input of shape {tuple(input.shape)} does not broadcast to "
                         f"the product's shape {tuple(product.shape)}")
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # zeros in input's place, and a zero gradient to it, as PyTorch
        never = Tensor._make(input.xp.zeros((), bool), False)
        return _ew.where(never, input, 0.0) + scaled
    return (input if beta == 1 else input * beta) + scaled


def _ndim(fname, argname, t, ndim) -> Tensor:
    t = check_tensor(fname, t, argname)
    if t.ndim != ndim:
        raise ValueError(f"{fname}: {argname} must be {ndim}-d, got shape {tuple(t.shape)}")
    return t


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    return _beta_input_plus("addmm", input, mm(_ndim("addmm", "mat1", mat1, 2), mat2),
                            beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    mat, vec = _ndim("addmv", "mat", mat, 2), _ndim("addmv", "vec", vec, 1)
    if mat.shape[1] != vec.shape[0]:
        raise ValueError(f"addmv: mat of shape {tuple(mat.shape)} and vec of shape "
                         f"{tuple(vec.shape)} cannot be multiplied")
    return _beta_input_plus("addmv", input, _linalg.matmul(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2)."""
    vec1, vec2 = _ndim("addr", "vec1", vec1, 1), _ndim("addr", "vec2", vec2, 1)
    return _beta_input_plus("addr", input, _linalg.outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (batch1 @ batch2), batched over the first dim."""
    return _beta_input_plus("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (the batch summed away)."""
    return _beta_input_plus("addbmm", input, _reduce.sum(bmm(batch1, batch2), axis=0),
                            beta, alpha)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2 (broadcast)."""
    check_tensor("addcmul", input)
    return input + _ew.mul(tensor1, tensor2) * value


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2 (broadcast); integer tensors are refused, as
    PyTorch (the quotient would be rounded)."""
    check_tensor("addcdiv", input)
    for name, t in (("tensor1", tensor1), ("tensor2", tensor2)):
        if isinstance(t, Tensor) and t.dtype.kind != "f":
            raise TypeError(f"addcdiv: integer division of tensors is not supported; "
                            f"{name} is {t.dtype} (convert to float first)")
    return input + _ew.div(tensor1, tensor2) * value


def gather(x, dim: int, index) -> Tensor:
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``dim=1`` (``torch.gather``); the
    gradient adds up at repeated indices."""
    x = check_tensor("gather", x)
    idx = as_tensor(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ValueError(
            f"gather: index has {idx.ndim} dims, input of shape {tuple(x.shape)} has {x.ndim}"
        )
    return _reduce.take_along_dim(x, idx, dim)


def index_select(x, dim: int, index) -> Tensor:
    """The slices of ``x`` at ``index`` (1-d) along ``dim``."""
    x = check_tensor("index_select", x)
    (d,) = normalize_axis("index_select", dim, x.ndim)
    idx = as_tensor(index)
    if idx.ndim > 1 or idx.dtype.kind not in "iu":
        raise ValueError(f"index_select: index must be a 1-d integer tensor, got {idx!r}")
    return _shape.getitem(x, (slice(None),) * d + (idx.array.reshape(-1),))


def masked_fill(x, mask, value) -> Tensor:
    """``x`` with ``value`` where ``mask`` is True (the gradient there is 0)."""
    x = check_tensor("masked_fill", x)
    mask = as_tensor(mask)
    if mask.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
    if isinstance(value, Tensor):
        value = value.astype(x.dtype)
    return _ew.where(mask, value, x).astype(x.dtype)


def unbind(x, dim: int = 0) -> tuple:
    """The slices of ``x`` along ``dim``, that dim removed."""
    x = check_tensor("unbind", x)
    (d,) = normalize_axis("unbind", dim, x.ndim)
    return tuple(_shape.getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def select(x, dim: int, index: int) -> Tensor:
    """The slice ``index`` of ``dim`` (that dim removed)."""
    x = check_tensor("select", x)
    (d,) = normalize_axis("select", dim, x.ndim)
    return _shape.getitem(x, (slice(None),) * d + (int(index),))


def _sizes(fname, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def expand(x, *sizes) -> Tensor:
    """``x`` broadcast to ``sizes`` (-1 keeps a dim), a view as ``Tensor.expand``."""
    x = check_tensor("expand", x)
    sizes = _sizes("expand", sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor of {x.ndim} dims")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    return _shape.broadcast_to(x, shape)


def repeat(x, *sizes) -> Tensor:
    """``x`` tiled ``sizes[i]`` times along each dim (``Tensor.repeat``, ``np.tile``)."""
    x = check_tensor("repeat", x)
    sizes = _sizes("repeat", sizes)
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: {len(sizes)} repeats for a tensor of {x.ndim} dims; give at least one "
            f"per dim"
        )
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    # (r0, n0, r1, n1, ...) by broadcasting, then merged: the gradient sums the copies.
    y = _shape.reshape(x, tuple(v for n in shape for v in (1, n)))
    y = _shape.broadcast_to(y, tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return _shape.reshape(y, tuple(r * n for r, n in zip(sizes, shape)))


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False) -> tuple:
    """``(values, indices)`` sorted along ``dim`` (a stable sort)."""
    x = check_tensor("sort", x)
    idx = argsort(x, dim, descending)
    values = x if x.ndim == 0 else _reduce.take_along_dim(x, idx, dim)
    return _reduce.return_types("sort")(values, idx)


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (a stable sort)."""
    x = check_tensor("argsort", x)
    if x.ndim == 0:
        return Tensor._make(x.xp.zeros((), np.int64), False)
    (d,) = normalize_axis("argsort", dim, x.ndim)
    a = -x.array if descending and x.dtype.kind != "b" else x.array
    if descending and x.dtype.kind == "b":
        a = ~a
    idx = x.xp.argsort(a, axis=d, kind="stable")
    return Tensor._make(idx.astype(np.int64), False)


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> tuple:  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``."""
    x = check_tensor("topk", x)
    d = normalize_axis("topk", dim, x.ndim)[0] if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if not 0 <= int(k) <= n:
        raise ValueError(f"topk: k={k} is out of range for dim {d} of length {n}")
    idx = argsort(x, d, descending=largest)
    if x.ndim:
        idx = _shape.narrow(idx, d, 0, int(k))
        values = _reduce.take_along_dim(x, idx, d)
    else:
        values = x
    return _reduce.return_types("topk")(values, idx)


def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False) -> tuple:
    """The ``k``-th smallest element along ``dim`` (1-based): ``(values, indices)``."""
    v, i = sort(x, dim)
    d = normalize_axis("kthvalue", dim, x.ndim)[0] if x.ndim else 0
    if x.ndim and not 1 <= int(k) <= x.shape[d]:
        raise ValueError(f"kthvalue: k={k} is out of range for dim {d} of length {x.shape[d]}")
    if x.ndim:
        v, i = _shape.narrow(v, d, int(k) - 1, 1), _shape.narrow(i, d, int(k) - 1, 1)
        if not keepdim:
            v, i = _shape.squeeze(v, dim=d), _shape.squeeze(i, dim=d)
    return _reduce.return_types("kthvalue")(v, i)


def median(x, dim=None, keepdim: bool = False):
    """The lower median: of all elements (a 0-d tensor) or ``(values, indices)`` along
    ``dim``, as ``torch.median``."""
    x = check_tensor("median", x)
    if dim is None:
        flat = _shape.reshape(x, (-1,))
        return kthvalue(flat, (flat.numel() + 1) // 2, 0).values
    d = normalize_axis("median", dim, x.ndim)[0] if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    v, i = kthvalue(x, (n + 1) // 2, d, keepdim)
    return _reduce.return_types("median")(v, i)


class CumSum(Function):
    """Running sum along an axis; the gradient is the reversed running sum of gy."""

    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return x.cumsum(axis=self.axis)

    def backward(self, gy):
        rev = (slice(None),) * self.axis + (slice(None, None, -1),)
        return _shape.getitem(cumsum(_shape.getitem(gy, rev), self.axis), rev)


def cumsum(x, dim: int, dtype=None) -> Tensor:
    """Running sum along ``dim``."""
    x = check_tensor("cumsum", x)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    if x.ndim == 0:
        return x
    (d,) = normalize_axis("cumsum", dim, x.ndim)
    return CumSum(d)(x)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d tensors (``indexing="ij"``: matrix order, PyTorch's
    default; ``"xy"``: the first two swapped, as ``np.meshgrid``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor(t) for t in tensors]
    if any(t.ndim > 1 for t in ts):
        raise ValueError(f"meshgrid: expects 0-d or 1-d tensors, got {[t.shape for t in ts]}")
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [_shape.reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0, *range(2, len(ts))] if swap else list(range(len(ts)))
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for j, t in enumerate(ts):
        k = order.index(j)
        view = [1] * len(ts)
        view[k] = t.shape[0]
        out.append(_shape.broadcast_to(_shape.reshape(t, tuple(view)), shape))
    return tuple(out)


def _tri(fname, x, diagonal, lower):
    x = check_tensor(fname, x)
    if x.ndim < 2:
        raise ValueError(f"{fname}: expects at least 2 dims, got shape {tuple(x.shape)}")
    n, m = x.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((n, m), bool), int(diagonal))
    return _ew.where(Tensor._make(x.xp.asarray(keep), False), x, _zero_like(x))


def _zero_like(x):
    return Tensor._make(x.xp.zeros((), x.dtype), False)


def tril(x, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two dims; 0 elsewhere."""
    return _tri("tril", x, diagonal, True)


def triu(x, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two dims; 0 elsewhere."""
    return _tri("triu", x, diagonal, False)


def _diagonal_view(x, offset: int, a: int, b: int):
    """The diagonal of array ``x`` over axes (a, b), last, as a writable view of ``x`` (NumPy's
    ``diagonal`` gives a read-only one): the same shape and strides, from the first
    diagonal element."""
    xp = get_array_module(x)
    d = xp.diagonal(x, offset, a, b)
    if d.size == 0:
        return d.copy()
    start = [slice(None)] * x.ndim
    start[b if offset >= 0 else a] = slice(abs(offset), None)
    return xp.lib.stride_tricks.as_strided(x[tuple(start)], d.shape, d.strides)


class Diagonal(Function):
    """A view of the diagonal of dims (a, b) with ``offset``, as ``torch.diagonal``; the
    gradient is ``gy`` written on the diagonal of zeros."""

    saves_inputs = False
    makes_view = True

    def __init__(self, offset, a, b):
        self.offset, self.a, self.b = offset, a, b

    def forward(self, x):
        self.in_shape = x.shape
        return _diagonal_view(x, self.offset, self.a, self.b)

    def backward(self, gy):
        return DiagonalScatter(self)(gy)

    def view_again(self, base):
        return Diagonal(self.offset, self.a, self.b)(base)

    def view_into(self, base, v):
        mask = get_array_module(base.array).zeros(self.in_shape, bool)
        _diagonal_view(mask, self.offset, self.a, self.b)[...] = True
        return _ew.where(Tensor._make(mask, False), DiagonalScatter(self)(v), base)


class DiagonalScatter(Function):
    """Zeros of the diagonal's base shape with ``g`` on the diagonal (diagonal's gradient)."""

    saves_inputs = False

    def __init__(self, view: Diagonal):
        self.view = view

    def forward(self, g):
        v = self.view
        out = get_array_module(g).zeros(v.in_shape, g.dtype)
        _diagonal_view(out, v.offset, v.a, v.b)[...] = g
        return out

    def backward(self, gg):
        v = self.view
        return Diagonal(v.offset, v.a, v.b)(gg)


def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims (dim1, dim2), moved last: a view, as ``torch.diagonal``
    (``x.diagonal().fill_(0)`` changes ``x``)."""
    x = check_tensor("diagonal", x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: input needs at least 2 dims, got shape {tuple(x.shape)}")
    a, b = normalize_axis("diagonal", (dim1, dim2), x.ndim)
    if a == b:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    op = Diagonal(int(offset), a, b)
    return op(x)._share_version(x, op)


def diag(x, diagonal: int = 0) -> Tensor:
    """A 1-d tensor's square diagonal matrix, or a matrix's diagonal (``torch.diag``)."""
    x = check_tensor("diag", x)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    if x.ndim != 1:
        raise ValueError(f"diag: expects a 1-d or 2-d tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] + abs(int(diagonal))
    eye = np.eye(n, k=int(diagonal), dtype=bool)
    rows = np.arange(n)[:, None] if diagonal >= 0 else np.arange(n)[:, None] + int(diagonal)
    # Row r of the result holds x[r] (or x[r + diagonal]) on the diagonal: gather, then mask.
    cols = np.clip(np.broadcast_to(rows, (n, n)), 0, x.shape[0] - 1)
    return _ew.where(Tensor._make(x.xp.asarray(eye), False), _shape.getitem(x, cols),
                     _zero_like(x))


def trace(x) -> Tensor:
    """The sum of a matrix's diagonal."""
    x = check_tensor("trace", x)
    if x.ndim != 2:
        raise ValueError(f"trace: expects a 2-d tensor, got shape {tuple(x.shape)}")
    return _reduce.sum(diagonal(x))


def flip(x, dims) -> Tensor:
    """``x`` with the order of ``dims`` reversed."""
    x = check_tensor("flip", x)
    dims = normalize_axis("flip", tuple(dims) if isinstance(dims, (list, tuple)) else dims,
                          x.ndim)
    index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(x.ndim))
    return _shape.getitem(x, index)


def roll(x, shifts, dims=None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims`` (flattened when None), wrapping round."""
    x = check_tensor("roll", x)
    if dims is None:
        return _shape.reshape(roll(_shape.reshape(x, (-1,)), shifts, 0), x.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    for s, d in zip(shifts, dims):
        (d,) = normalize_axis("roll", d, x.ndim)
        n = x.shape[d]
        idx = (np.arange(n) - int(s)) % n if n else np.arange(0)
        x = _shape.getitem(x, (slice(None),) * d + (idx,))
    return x


def lerp(start, end, weight) -> Tensor:
    """start + weight * (end - start)."""
    return _ew.add(start, _ew.mul(weight, _ew.sub(end, start)))


def tan(x) -> Tensor:
    """sin(x) / cos(x)."""
    return _ew.div(_ew.sin(x), _ew.cos(x))


def unflatten(x, dim: int, sizes) -> Tensor:
    """Dim ``dim`` split into ``sizes`` (one may be -1)."""
    x = check_tensor("unflatten", x)
    (d,) = normalize_axis("unflatten", dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = tuple(x.shape[d] // max(known, 1) if s == -1 else s for s in sizes)
    if math.prod(sizes) != x.shape[d]:
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to {x.shape[d]}")
    return _shape.reshape(x, x.shape[:d] + sizes + x.shape[d + 1 :])


def unique(x, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    """The distinct values (sorted), and optionally the inverse indices and counts."""
    x = check_tensor("unique", x)
    r = x.xp.unique(x.array, return_inverse=True, return_counts=True, axis=dim)
    vals, inv, counts = r
    out = [Tensor._make(vals, False)]
    if return_inverse:
        shape = x.shape if dim is None else (x.shape[dim],)
        out.append(Tensor._make(inv.reshape(shape).astype(np.int64), False))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64), False))
    return out[0] if len(out) == 1 else tuple(out)


def mode(x, dim: int = -1, keepdim: bool = False) -> tuple:
    """The most frequent value along ``dim`` (the smallest among equally frequent ones)
    and an index where it occurs: ``(values, indices)``."""
    x = check_tensor("mode", x)
    (d,) = normalize_axis("mode", dim, x.ndim)
    a = np.moveaxis(x.numpy(), d, -1)
    flat = a.reshape(-1, a.shape[-1]) if a.size else a.reshape(0, a.shape[-1] if a.ndim else 1)
    idx = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        vals, counts = np.unique(row, return_counts=True)
        v = vals[np.argmax(counts)]
        idx[r] = np.flatnonzero(row == v)[-1]
    idx = x.xp.asarray(idx.reshape(a.shape[:-1] + (1,)))
    idx = x.xp.moveaxis(idx, -1, d)
    values = _reduce.take_along_dim(x, idx, d)
    if not keepdim:
        values, idx = _shape.squeeze(values, dim=d), idx.squeeze(d)
    return _reduce.return_types("mode")(values, Tensor._make(idx, False))


class ErfInv(Function):
    """y = erfinv(x): Giles's approximation (2010) refined by Newton steps on erf in float64;
    dy/dx = sqrt(pi) / 2 * exp(y^2). erfinv(+-1) = +-inf, NaN outside [-1, 1]."""

    saves_inputs = False
    saves_output = True

    def forward(self, x):
        from .nonlinear import _P, _Q, _polyval, erf_array

        xp = get_array_module(x)
        a = x.astype(np.float64)
        sign, b = xp.sign(a), xp.abs(a)
        q = 1.0 - b  # exact for float32 and float64 inputs in [0, 1]
        w = -xp.log(xp.maximum(q * (1.0 + b), 1e-300))
        small = w < 5.0
        ws, wb = w - 2.5, xp.sqrt(xp.maximum(w, 5.0)) - 3.0
        p1 = _horner(ws, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                          0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                          1.50140941))
        p2 = _horner(wb, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                          0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                          2.83297682))
        y = xp.where(small, p1, p2) * b
        inside = b < 1.0
        for _ in range(6):
            # Newton on erf(y) = b; in the tail (y >= 1) on log erfc(y) = log q, which keeps
            # the digits that 1 - erf(y) would lose and converges where erfc is tiny.
            yc = xp.clip(y, 1.0, 8.0)
            erfc_tail = xp.exp(-yc * yc) * _polyval(_P, yc) / _polyval(_Q, yc)
            slope = 2.0 / math.sqrt(math.pi) * xp.exp(-y * y)
            safe = xp.where(slope > 0, slope, 1.0)
            near = y - (erf_array(y) - b) / safe
            tail = y + (xp.log(xp.maximum(erfc_tail, 1e-300)) - xp.log(xp.maximum(q, 1e-300))) \
                * erfc_tail / xp.where(slope > 0, xp.exp(-yc * yc) * 2.0 / math.sqrt(math.pi),
                                       1.0)
            y = xp.where(inside, xp.where(y < 1.0, near, tail), y)
        y = xp.where(b == 1.0, xp.inf, y)
        y = xp.where(b > 1.0, xp.nan, y) * sign
        return y.astype(x.dtype)

    def backward(self, gy):
        y = self.output()
        return gy * _ew.exp(y * y) * (math.sqrt(math.pi) / 2.0)


def _horner(w, coeffs):
    p = np.float64(coeffs[0])
    for c in coeffs[1:]:
        p = p * w + c
    return p


def erfinv(x) -> Tensor:
    """The inverse error function on (-1, 1)."""
    x = check_tensor("erfinv", x)
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    return ErfInv()(x)


def square(x) -> Tensor:
    return _ew.mul(x, x)


def rsqrt(x) -> Tensor:
    """1 / sqrt(x)."""
    return _ew.div(1.0, _ew.sqrt(x))


def log2(x) -> Tensor:
    return _ew.log(x) * (1.0 / math.log(2.0))


def log10(x) -> Tensor:
    return _ew.log(x) * (1.0 / math.log(10.0))


def numel(x) -> int:
    return check_tensor("numel", x).numel()


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def is_floating_point(x) -> bool:
    return check_tensor("is_floating_point", x).dtype.kind == "f"


__all__ = [
    "allclose", "argsort", "bmm", "cumsum", "eq", "equal", "expand", "gather", "ge", "gt",
    "index_select", "is_floating_point", "is_tensor", "isclose", "kthvalue", "le", "log10",
    "log2", "lt", "masked_fill", "median", "mm", "ne", "numel", "repeat", "rsqrt", "select",
    "sort", "square", "topk", "unbind", "meshgrid", "tril", "triu", "diagonal", "diag",
    "trace", "flip", "roll", "lerp", "tan", "unflatten", "unique", "mode", "erfinv",
    "addmm", "addmv", "addr", "baddbmm", "addbmm", "addcmul", "addcdiv",
]  # fmt: skip
