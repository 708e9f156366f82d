"""``cr.linalg``: vector and matrix norms with PyTorch's subgradients.

``sqrt((x * x).sum())`` has a NaN gradient at the zero vector (0 / 0); PyTorch's
``vector_norm`` gives 0 there, and so do these. ``cr.norm`` and ``Tensor.norm`` call them.

    ||x||_p = (sum |x_i|^p)^(1/p),   d/dx_i = sign(x_i) |x_i|^(p-1) / ||x||_p^(p-1)
"""

from __future__ import annotations

import math

from .autograd import Function
from .backend import get_array_module
from .ops import elementwise as _ew
from .ops import reduce as _reduce
from .ops import shape as _shape
from .ops._convert import check_tensor, normalize_axis
from .ops.linalg import matmul
from .tensor import Tensor

_INF = float("inf")


def _reduced(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class VectorNorm(Function):
    """||x||_ord over ``axes``. Backward (with chainrule ops, so it differentiates again):

    - ord = inf / -inf: the gradient goes to the elements of largest / smallest |x|, split
      evenly among ties, times sign(x);
    - ord = 0 (the count of non-zeros): no gradient;
    - otherwise sign(x) |x|^(ord-1) / ||x||^(ord-1), and 0 where ||x|| = 0 (PyTorch's
      subgradient; a plain formula would give 0/0 = NaN).
    """

    saves_output = True

    def __init__(self, ord, axes, keepdim):
        self.ord, self.axes, self.keepdim = ord, axes, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        a, p, ax = xp.abs(x), self.ord, self.axes
        if p == _INF:
            return a.max(axis=ax, keepdims=self.keepdim)
        if p == -_INF:
            return a.min(axis=ax, keepdims=self.keepdim)
        if p == 0:
            return (a != 0).sum(axis=ax, keepdims=self.keepdim).astype(x.dtype)
        if p == 1:
            return a.sum(axis=ax, keepdims=self.keepdim)
        if p == 2:
            return xp.sqrt((a * a).sum(axis=ax, keepdims=self.keepdim))
        return ((a**p).sum(axis=ax, keepdims=self.keepdim)) ** (1.0 / p)

    def backward(self, gy):
        x = self.inputs[0]
        p = self.ord
        kept = tuple(1 if i in self.axes else n for i, n in enumerate(x.shape))
        n = _shape.reshape(self.output(), kept)
        gy = _shape.reshape(gy, kept)
        sign = _ew.sign(x)
        if p == 0:
            return x * 0.0
        if p in (_INF, -_INF):
            a = abs(x.array)
            mask = a == n.array
            w = mask / mask.sum(axis=self.axes, keepdims=True)
            return gy * sign * Tensor._make(w.astype(x.dtype), False)
        if p == 1:
            return gy * sign
        zero = Tensor._make(n.array == 0, False)
        safe = _ew.where(zero, 1.0, n)
        if p == 2:
            g = gy * x / safe
        else:
            g = gy * sign * _ew.abs(x) ** (p - 1) / safe ** (p - 1)
        return _ew.where(zero, 0.0, g)


def _ord(fname, ord) -> float:
    try:
        return float(ord)
    except (TypeError, ValueError):
        raise ValueError(f"{fname}: ord must be a number (or inf), got {ord!r}") from None


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None) as a vector norm,
    as ``torch.linalg.vector_norm``. Its gradient at the zero vector is 0.

    >>> x = cr.zeros(3, requires_grad=True)
    >>> cr.linalg.vector_norm(x).backward()   # x.grad is [0, 0, 0], not NaN
    """
    x = check_tensor("vector_norm", x)
    p = _ord("vector_norm", ord)
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind not in "fc":
        raise TypeError(f"vector_norm: expects a floating-point tensor, got dtype {x.dtype}")
    axes = normalize_axis("vector_norm", dim, x.ndim)
    if axes is None or x.ndim == 0:
        axes = tuple(range(x.ndim))
    if math.isnan(p):
        raise ValueError(f"vector_norm: invalid ord {ord!r}")
    if x.numel() == 0 and p in (_INF, -_INF):
        raise ValueError(f"vector_norm: ord={ord} of an empty tensor is undefined")
    return VectorNorm(p, axes, keepdim)(x)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """A matrix norm over the two dims ``dim`` (``torch.linalg.matrix_norm``): ``'fro'``,
    ``'nuc'`` (sum of singular values), ``2``/``-2`` (largest/smallest singular value),
    ``1``/``-1`` (max/min column sum of |A|), ``inf``/``-inf`` (max/min row sum)."""
    A = check_tensor("matrix_norm", A)
    if dtype is not None:
        A = A.astype(dtype)
    if A.ndim < 2:
        raise ValueError(f"matrix_norm: expects at least 2 dims, got shape {tuple(A.shape)}")
    if len(dim) != 2:
        raise ValueError(f"matrix_norm: dim must name two dims, got {dim!r}")
    r, c = normalize_axis("matrix_norm", tuple(dim), A.ndim)
    if r == c:
        raise ValueError(f"matrix_norm: dim must name two different dims, got {dim!r}")
    if ord == "fro":
        return vector_norm(A, 2, (r, c), keepdim)
    if ord in ("nuc", 2, -2):
        # Move the two dims last, take the singular values, reduce them.
        rest = [i for i in range(A.ndim) if i not in (r, c)]
        s = svdvals(_shape.permute(A, (*rest, r, c)))
        if ord == "nuc":
            out = _reduce.sum(s, -1)
        else:
            out = _reduce.amax(s, -1) if ord == 2 else _reduce.amin(s, -1)
        return _shape.reshape(out, _reduced(A.shape, (r, c), True)) if keepdim else out
    if ord in (1, -1, _INF, -_INF):
        along, across = (r, c) if ord in (1, -1) else (c, r)
        sums = vector_norm(A, 1, along, keepdim=True)
        ext = _reduce.amax if ord > 0 else _reduce.amin
        out = ext(sums, across, keepdims=True)
        return out if keepdim else _shape.reshape(out, _reduced(A.shape, (r, c), False))
    raise ValueError(
        f"matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}"
    )


class SVDVals(Function):
    """Singular values (descending) of the last two dims; d s_k = u_k^T dA v_k."""

    def forward(self, A):
        xp = get_array_module(A)
        U, S, Vh = xp.linalg.svd(A, full_matrices=False)
        self.U, self.Vh = U, Vh
        return S

    def backward(self, gS):
        U = Tensor._make(self.U, False)
        Vh = Tensor._make(self.Vh, False)
        return matmul(U * _shape.expand_dims(gS, -2), Vh)


def svdvals(A) -> Tensor:
    """The singular values of (a batch of) matrices, in descending order."""
    A = check_tensor("svdvals", A)
    if A.ndim < 2:
        raise ValueError(f"svdvals: expects at least 2 dims, got shape {tuple(A.shape)}")
    return SVDVals()(A)


def norm(x, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm for a 1-d ``dim`` (or all of a 1-d tensor),
    a matrix norm for two dims; ``ord=None`` is the 2-norm / Frobenius norm."""
    x = check_tensor("norm", x)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and x.ndim == 2):
        return matrix_norm(x, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype)
    if ord is not None and dim is None and x.ndim != 1:
        raise ValueError(
            f"norm: ord={ord!r} needs a 1-d or 2-d input or dim=, got shape {tuple(x.shape)}"
        )
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def torch_norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``torch.norm`` / ``Tensor.norm``: ``p='fro'`` or a number is a vector norm over
    ``dim`` (all elements when None); ``p='nuc'`` is the nuclear norm of a matrix."""
    x = check_tensor("norm", x)
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return matrix_norm(x, "nuc", dim or (-2, -1), keepdim, dtype=dtype)
    if p == "fro" or p is None:
        p = 2
    return vector_norm(x, p, dim, keepdim, dtype=dtype)


__all__ = ["matrix_norm", "norm", "svdvals", "vector_norm"]
