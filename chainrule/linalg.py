"""``cr.linalg``: vector and matrix norms with PyTorch's subgradients.

``sqrt((x * x).sum())`` has a NaN gradient at the zero vector (0 / 0); PyTorch's
``vector_norm`` gives 0 there, and so do these. ``cr.norm`` and ``Tensor.norm`` call them.

    ||x||_p = (sum |x_i|^p)^(1/p),   d/dx_i = sign(x_i) |x_i|^(p-1) / ||x||_p^(p-1)
"""

from __future__ import annotations

import math

import numpy as np

from ._errors import ShapeError
from .autograd import Function
from .backend import get_array_module
from .ops import elementwise as _ew
from .ops import matrix as _m
from .ops import reduce as _reduce
from .ops import shape as _shape
from .ops._convert import check_tensor, normalize_axis
from .ops.arrays import cross as _cross
from .ops.linalg import matmul
from .ops.matrix import LinAlgError, det, matrix_exp, matrix_power
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


def svdvals(A) -> Tensor:
    """The singular values of (a batch of) matrices, in descending order."""
    A = check_tensor("svdvals", A)
    if A.ndim < 2:
        raise ValueError(f"svdvals: expects at least 2 dims, got shape {tuple(A.shape)}")
    return _m.SVD("linalg.svdvals", False)(A)[1]


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


# -- decompositions, inverses and solvers (the ops are in chainrule/ops/matrix.py) --------

_LINALG_SLOGDET = _m.return_type("linalg_slogdet", "sign logabsdet")
_LINALG_QR = _m.return_type("linalg_qr", "Q R")
_LINALG_EIGH = _m.return_type("linalg_eigh", "eigenvalues eigenvectors")
_LINALG_SVD = _m.return_type("linalg_svd", "U S Vh")
_LINALG_LSTSQ = _m.return_type("linalg_lstsq", "solution residuals rank singular_values")


def slogdet(A) -> tuple:
    """``(sign, logabsdet)`` with det A = sign * exp(logabsdet); singular: (0, -inf)."""
    return _LINALG_SLOGDET(*_m.slogdet(A))


def inv(A) -> Tensor:
    """A^{-1} of (a batch of) square matrices; d(A^{-1}) = -A^{-1} dA A^{-1}. A singular
    matrix raises ``LinAlgError``."""
    return _m.Inv("linalg.inv")(_m.check_matrices("linalg.inv", A))


def _as_matrices(fname, A, B, left, vectors=True):
    """B as a batch of matrices for A X = B (or X A = B), and whether it was vectors: B of
    shape (n,) or A's batch dims + (n,) is a (batch of) vector(s), as in PyTorch (for
    A X = B, where ``vectors`` allows them)."""
    A = _m.check_matrices(fname, A)
    B = check_tensor(fname, B, "B")
    _m.check_same_dtype(fname, A, B)
    vector = left and vectors and (B.ndim == 1 or (B.ndim == A.ndim - 1
                                                   and B.shape == A.shape[:-1]))
    if vector:
        B = _shape.expand_dims(B, -1)
    if B.ndim < 2 or B.shape[-2 if left else -1] != A.shape[-1]:
        eq = "AX = B" if left else "XA = B"
        raise ShapeError(f"{fname}: A of shape {tuple(A.shape)} and B of shape "
                            f"{tuple(B.shape) if not vector else tuple(B.shape[:-1])} do not "
                            f"fit the equation {eq}")
    _m.batch_shape(fname, A, B)
    return A, B, vector


def solve(A, B, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B when ``left=False``) for square A; B a matrix, a vector,
    or a batch of either (batch dims broadcast). gB = A^{-T} gX, gA = -gB X^T.

    >>> cr.linalg.solve(cr.tensor([[2.0, 0.0], [0.0, 4.0]]), cr.tensor([2.0, 2.0]))  # [1, 0.5]
    """
    A, B, vector = _as_matrices("linalg.solve", A, B, left)
    X = _m.solve_matrices("linalg.solve", A, B, left)
    return X[..., 0] if vector else X


def solve_triangular(A, B, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with T X = B (or X T = B), T the upper or lower triangle of A (its diagonal taken
    as ones if ``unitriangular``); the rest of A is not read and gets no gradient."""
    A, B, _ = _as_matrices("linalg.solve_triangular", A, B, left, vectors=False)
    T = _m.triangular(A, upper, unitriangular)
    return _m.solve_matrices("linalg.solve_triangular", T, B, left)


def cholesky(A, *, upper: bool = False) -> Tensor:
    """L lower triangular with A = L L^T (U = L^T with ``upper``) for symmetric
    positive-definite A; otherwise ``LinAlgError``."""
    return _m.cholesky_factor("linalg.cholesky", _m.check_matrices("linalg.cholesky", A), upper)


def qr(A, mode: str = "reduced") -> tuple:
    """``(Q, R)`` with A = QR: ``mode`` 'reduced' (Q m x k), 'complete' (Q m x m) or 'r'
    (R only, Q empty)."""
    A = _m.check_matrices("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    Q, R = _m.QR("reduced" if mode == "r" else mode)(A)
    if mode == "r":
        Q = Tensor._make(A.xp.zeros((0,), A.dtype), False)
    return _LINALG_QR(Q, R)


def _uplo(fname, UPLO):
    if UPLO not in ("L", "U"):
        raise ValueError(f"{fname}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(A, UPLO: str = "L") -> tuple:
    """``(eigenvalues, eigenvectors)`` of symmetric A (read from its ``UPLO`` triangle),
    eigenvalues ascending, A = V diag(w) V^T. Eigenvectors are defined up to sign; their
    gradient assumes distinct eigenvalues."""
    A = _m.check_matrices("linalg.eigh", A)
    return _LINALG_EIGH(*_m.Eigh(_uplo("linalg.eigh", UPLO))(A))


def eigvalsh(A, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric A; gA = V diag(gw) V^T."""
    A = _m.check_matrices("linalg.eigvalsh", A)
    return _m.Eigh(_uplo("linalg.eigvalsh", UPLO))(A)[0]


def svd(A, full_matrices: bool = True, *, driver=None) -> tuple:
    """``(U, S, Vh)`` with A = U diag(S) Vh, S descending; U m x m and Vh n x n with
    ``full_matrices``, else m x k and k x n. Singular vectors are defined up to sign; the
    gradient is that of the reduced factors and assumes distinct singular values."""
    A = _m.check_matrices("linalg.svd", A, square=False)
    if driver is not None:
        raise ValueError(f"linalg.svd: driver= is for CUDA inputs only, got {driver!r}")
    return _LINALG_SVD(*_m.SVD("linalg.svd", full_matrices)(A))


def pinv(A, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The Moore-Penrose pseudoinverse V diag(1/s) U^T over the singular values s above
    max(atol, rtol * s_max) (rtol defaults to eps * max(m, n); ``rcond`` is the old name
    of rtol); ``hermitian`` uses eigh for symmetric A."""
    A = _m.check_matrices("linalg.pinv", A, square=hermitian)
    return _m.Pinv(atol, rtol if rcond is None else rcond, hermitian)(A)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) (as ``pinv``), int64;
    no gradient."""
    A = _m.check_matrices("linalg.matrix_rank", A, square=hermitian)
    la = A.xp.linalg
    S = (abs(la.eigvalsh(A.array)) if hermitian else
         _m.lapack("linalg.matrix_rank", "the algorithm failed to converge", la.svd, A.array,
                   False, False))
    rank = (S > _m.tolerance(S, A.shape, atol, rtol)).sum(-1)
    return Tensor._make(A.xp.asarray(rank, A.xp.int64), False)


def cond(A, p=None) -> Tensor:
    """The condition number ||A||_p ||A^{-1}||_p: for p None or 2 (-2) the ratio of the
    largest (smallest) to the smallest (largest) singular value, for any matrix; for
    'fro', 'nuc', 1, -1, inf, -inf, of a square invertible A."""
    A = _m.check_matrices("linalg.cond", A, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        S = _m.SVD("linalg.cond", False)(A)[1]
        big, small = S[..., 0], S[..., -1]
        return big / small if p != -2 else small / big
    return matrix_norm(A, p) * matrix_norm(_m.Inv("linalg.cond")(A), p)


def lstsq(A, B, rcond=None, *, driver=None) -> tuple:
    """The least-squares (minimum-norm) solution X of A X = B, as the pseudoinverse times
    B: ``(solution, residuals, rank, singular_values)`` as PyTorch's CPU default driver
    gives them (residuals and singular_values empty)."""
    A = _m.check_matrices("linalg.lstsq", A, square=False)
    B = check_tensor("linalg.lstsq", B, "B")
    _m.check_same_dtype("linalg.lstsq", A, B)
    if B.ndim < 2 or B.shape[-2] != A.shape[-2]:
        raise ShapeError(f"linalg.lstsq: B must have as many rows as A ({A.shape[-2]}), "
                            f"got A {tuple(A.shape)} and B {tuple(B.shape)}")
    _m.batch_shape("linalg.lstsq", A, B)
    X = matmul(_m.Pinv(None, rcond, False)(A), B)
    empty = Tensor._make(A.xp.zeros((0,), A.dtype), False)
    return _LINALG_LSTSQ(X, empty, matrix_rank(A, rtol=rcond), empty)


def cross(input, other, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (the last by default, where
    ``torch.cross`` takes the first of size 3); inputs of the same number of dims,
    broadcast together."""
    return _cross(input, other, dim)


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """sum(x * y) along ``dim``, the inputs broadcast together."""
    x, y = check_tensor("linalg.vecdot", x, "x"), check_tensor("linalg.vecdot", y, "y")
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ShapeError(f"linalg.vecdot: shapes {tuple(x.shape)} and {tuple(y.shape)} "
                            f"cannot be broadcast together") from None
    return _reduce.sum(x * y, dim)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices, left to right; the first may be a (row) vector
    and the last a (column) vector."""
    ts = [check_tensor("linalg.multi_dot", t, f"tensors[{i}]") for i, t in enumerate(tensors)]
    if len(ts) < 2:
        raise ValueError(f"linalg.multi_dot: expects at least 2 tensors, got {len(ts)}")
    for i, t in enumerate(ts):
        if t.ndim != 2 and not (t.ndim == 1 and i in (0, len(ts) - 1)):
            raise ShapeError(f"linalg.multi_dot: tensors[{i}] must be 2-d (the first and "
                                f"last may be 1-d), got shape {tuple(t.shape)}")
    for i, (a, b) in enumerate(zip(ts, ts[1:])):
        if a.shape[-1] != b.shape[0]:
            raise ShapeError(f"linalg.multi_dot: tensors[{i}] {tuple(a.shape)} and "
                                f"tensors[{i + 1}] {tuple(b.shape)} do not align")
    out = ts[0]
    for t in ts[1:]:
        out = matmul(out, t)
    return out


__all__ = [
    "LinAlgError", "cholesky", "cond", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq",
    "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
    "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot",
    "vector_norm",
]  # fmt: skip
