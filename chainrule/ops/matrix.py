"""Matrix functions and decompositions, as ``torch`` and ``torch.linalg`` name them: det,
slogdet, inv, solve, cholesky, qr, svd, eigh, pinv, matrix_power, matrix_exp and the
solvers built on them, each with its gradient.

Nine primitives carry gradient rules (``SlogDet``, ``Inv``, ``Solve``, ``Cholesky``,
``QR``, ``Eigh``, ``SVD``, ``Pinv``, ``MatrixExp``); every other function is composed from
them and from ``matmul``/``tril``/``where``, so it needs no rule of its own. Each rule is
written with chainrule ops on the saved outputs, so second derivatives work. All work on
the last two dims and batch over the leading ones, in float32 or float64 (as NumPy's
LAPACK calls do). ``cr.linalg`` (chainrule/linalg.py) holds the ``torch.linalg`` names.

Gradients are PyTorch's: those of eigh and svd assume distinct eigenvalues / singular
values (they divide by their differences), that of svd is for the reduced factors.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from .._errors import DtypeError, ShapeError
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise as _ew
from . import shape as _shape
from ._convert import check_tensor
from .linalg import matmul
from .torch_names import tril


class LinAlgError(RuntimeError):
    """A matrix for which the function is undefined (singular, not positive-definite), as
    ``torch.linalg.LinAlgError``; the message names the function and the batch."""


def return_type(name: str, fields: str) -> type:
    """A named tuple class like ``torch.return_types.<name>``."""
    return collections.namedtuple(name, fields)


_SLOGDET = return_type("slogdet", "sign logabsdet")
_QR = return_type("qr", "Q R")
_SVD = return_type("svd", "U S V")

SINGULAR = "the input matrix is singular"
NOT_PD = "the input is not positive-definite"


# -- argument checks and shared pieces ---------------------------------------------------


def check_matrices(fname: str, A, argname: str = "A", square: bool = True) -> Tensor:
    """``A`` checked to be a float32/float64 matrix or batch of them (square if asked)."""
    A = check_tensor(fname, A, argname)
    if A.dtype not in (np.float32, np.float64):
        raise DtypeError(f"{fname}: {argname} must be float32 or float64, got dtype {A.dtype}")
    if A.ndim < 2:
        raise ShapeError(f"{fname}: {argname} must be a matrix or a batch of matrices (at "
                         f"least 2 dims), got shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"{fname}: {argname} must be a square matrix or a batch of them, "
                         f"got shape {tuple(A.shape)} ({A.shape[-2]} by {A.shape[-1]})")
    return A


def check_same_dtype(fname: str, A: Tensor, B: Tensor, names=("A", "B")) -> None:
    if A.dtype != B.dtype:
        raise DtypeError(f"{fname}: {names[0]} and {names[1]} must have the same dtype, got "
                         f"{A.dtype} and {B.dtype}")


def batch_shape(fname, A, B, names=("A", "B")):
    """The broadcast of the batch dims of A and B, or a named error."""
    try:
        return np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ShapeError(f"{fname}: the batch dims of {names[0]} {tuple(A.shape)} and "
                         f"{names[1]} {tuple(B.shape)} cannot be broadcast together") from None


def lapack(fname: str, what: str, f, A, *args):
    """``f(A, *args)`` (a numpy.linalg call); its LinAlgError re-raised as ours, naming the
    function and the first matrix of the batch that fails (tried with the first matrix of
    an array argument)."""
    try:
        return f(A, *args)
    except np.linalg.LinAlgError:
        first = [a.reshape(-1, *a.shape[-2:])[0] if hasattr(a, "ndim") else a for a in args]
        batch = next((i for i, M in enumerate(A.reshape(-1, *A.shape[-2:]))
                      if _fails(f, M, first)), 0)
        raise LinAlgError(f"{fname}: {what} (batch {batch})") from None


def _fails(f, M, args) -> bool:
    try:
        f(M, *args)
    except np.linalg.LinAlgError:
        return True
    return False


def mT(x: Tensor) -> Tensor:
    """The transpose of the last two dims."""
    return _shape.swapaxes(x, -1, -2)


def _eye(n: int, like: Tensor) -> Tensor:
    return Tensor._make(like.xp.eye(n, dtype=like.dtype), False)


def _diag_embed(v: Tensor) -> Tensor:
    """A batch of diagonal matrices with ``v`` (..., k) on the diagonal."""
    return _shape.expand_dims(v, -1) * _eye(v.shape[-1], v)


def _pairwise_differences(v: Tensor) -> Tensor:
    """E[..., j, k] = v_k - v_j, with 1 on the diagonal (a safe divisor there)."""
    E = _shape.expand_dims(v, -2) - _shape.expand_dims(v, -1)
    return _ew.where(Tensor._make(v.xp.eye(v.shape[-1], dtype=bool), False), 1.0, E)


def _unused(g: Tensor) -> bool:
    """True for the zeros the engine gives an output nobody used (eigenvectors of
    eigvalsh): the terms they multiply are 0 and are left out, which also keeps out their
    0 / 0 at repeated eigenvalues or singular values (PyTorch's undefined gradient)."""
    return not g.requires_grad and not g.xp.any(g.array)


# -- the primitives ----------------------------------------------------------------------


class _Factors(Function):
    """A decomposition: several outputs, all read by backward."""

    saves_inputs = False
    saves_output = True


class SlogDet(Function):
    """(sign, log|det A|) by LU. d log|det A| = tr(A^{-1} dA), so gA = g A^{-T}; the sign
    is piecewise constant (no gradient)."""

    def forward(self, A):
        xp = get_array_module(A)
        sign, logabsdet = xp.linalg.slogdet(A)
        return xp.asarray(sign, A.dtype), xp.asarray(logabsdet, A.dtype)

    def backward(self, gsign, glogabsdet):
        g = _shape.expand_dims(glogabsdet, (-1, -2))
        return g * mT(Inv("slogdet")(self.inputs[0]))


class Inv(Function):
    """Y = A^{-1}. dY = -Y dA Y, so gA = -Y^T gY Y^T."""

    saves_inputs = False
    saves_output = True

    def __init__(self, fname: str):
        self.fname = fname

    def forward(self, A):
        return lapack(self.fname, SINGULAR, get_array_module(A).linalg.inv, A)

    def backward(self, gY):
        Yt = mT(self.output())
        return -matmul(Yt, matmul(gY, Yt))


class Solve(Function):
    """X = A^{-1} B for matrices B (..., n, k), batch dims broadcast. gB = A^{-T} gX and
    gA = -gB X^T."""

    saves_output = True

    def __init__(self, fname: str):
        self.fname = fname

    def forward(self, A, B):
        return lapack(self.fname, SINGULAR, get_array_module(A).linalg.solve, A, B)

    def backward(self, gX):
        gB = Solve(self.fname)(mT(self.inputs[0]), gX)
        gA = -matmul(gB, mT(self.output())) if self.needs_grad[0] else None
        return gA, gB


def solve_matrices(fname: str, A: Tensor, B: Tensor, left: bool = True) -> Tensor:
    """A^{-1} B (left) or B A^{-1} (X A = B, i.e. A^T X^T = B^T), B a batch of matrices."""
    if left:
        return Solve(fname)(A, B)
    return mT(Solve(fname)(mT(A), mT(B)))


class Cholesky(Function):
    """L lower triangular with A = L L^T, from the lower triangle of A. With
    P = tril(L^T gL) made symmetric (its strict lower part mirrored, the diagonal halved),
    gA = L^{-T} P L^{-1} (PyTorch's rule, symmetric)."""

    saves_inputs = False
    saves_output = True

    def __init__(self, fname: str):
        self.fname = fname

    def forward(self, A):
        return lapack(self.fname, NOT_PD, get_array_module(A).linalg.cholesky, A)

    def backward(self, gL):
        L = self.output()
        P = tril(matmul(mT(L), gL))
        P = (P + mT(tril(P, -1))) * 0.5
        return solve_matrices(self.fname, L, solve_matrices(self.fname, mT(L), P), left=False)


def _copyltu(M: Tensor) -> Tensor:
    """The symmetric matrix with M's lower triangle (strict lower part mirrored up)."""
    return tril(M) + mT(tril(M, -1))


def _qr_backward(fname, Q, R, gQ, gR):
    """gA of A = QR with R square (m >= n): (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q
    (Liao et al. 2019, as PyTorch)."""
    M = matmul(R, mT(gR)) - matmul(mT(gQ), Q)
    return solve_matrices(fname, mT(R), gQ + matmul(Q, _copyltu(M)), left=False)


class QR(_Factors):
    """A = QR, Q with orthonormal columns, R upper triangular (Householder, LAPACK's signs
    as PyTorch). For m < n, A = [X | Y] and R = [U | V] with X = QU: Y = QV gives
    gY = Q gV and X the square rule with gQ + Y gV^T."""

    def __init__(self, mode: str):
        self.mode = mode

    def forward(self, A):
        Q, R = get_array_module(A).linalg.qr(A, mode=self.mode)
        return Q, R

    def backward(self, gQ, gR):
        Q, R = self.output(0), self.output(1)
        m, n = Q.shape[-2], R.shape[-1]
        if m > n and self.mode == "complete":
            raise RuntimeError("qr: the QR decomposition is not differentiable when "
                              "mode='complete' and nrows > ncols; use mode='reduced'")
        if m >= n:
            return _qr_backward("qr", Q, R, gQ, gR)
        U, V, gU, gV = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
        gX = _qr_backward("qr", Q, U, gQ + matmul(matmul(Q, V), mT(gV)), gU)
        return _shape.concatenate([gX, matmul(Q, gV)], -1)


class Eigh(_Factors):
    """A = V diag(w) V^T for symmetric A (from its ``UPLO`` triangle), w ascending. With
    E_jk = w_k - w_j: gA = V (diag(gw) + skew(V^T gV) / 2E) V^T, symmetric (PyTorch's
    rule; it assumes distinct eigenvalues)."""

    def __init__(self, UPLO: str):
        self.UPLO = UPLO

    def forward(self, A):
        w, V = lapack("linalg.eigh", "the algorithm failed to converge",
                      get_array_module(A).linalg.eigh, A, self.UPLO)
        return w, V

    def backward(self, gw, gV):
        w, V = self.output(0), self.output(1)
        inner = _diag_embed(gw)
        if not _unused(gV):
            X = matmul(mT(V), gV)
            # skew(X) has a zero diagonal, where E is 1: no term there
            inner = inner + (X - mT(X)) * 0.5 / _pairwise_differences(w)
        return matmul(V, matmul(inner, mT(V)))


class SVD(_Factors):
    """A = U diag(S) Vh, S descending. With E_jk = S_k^2 - S_j^2 and skew(X) = X - X^T,
    on the reduced factors (the extra columns of full factors get no gradient, as in
    PyTorch):

        gA = U [skew(U^T gU) / E * S_k + S_j * skew(V^T gV) / E + diag(gS)] Vh
             + (I - U U^T) gU S^{-1} Vh + U S^{-1} gV^T (I - V V^T)

    (the last two terms only for non-square A); it assumes distinct singular values."""

    def __init__(self, fname: str, full_matrices: bool):
        self.fname, self.full_matrices = fname, full_matrices

    def forward(self, A):
        return tuple(lapack(self.fname, "the algorithm failed to converge",
                            get_array_module(A).linalg.svd, A, self.full_matrices))

    def backward(self, gU, gS, gVh):
        U, S, Vh = self.output(0), self.output(1), self.output(2)
        m, k, n = U.shape[-2], S.shape[-1], Vh.shape[-1]
        U, gU, Vh, gVh = U[..., :k], gU[..., :k], Vh[..., :k, :], gVh[..., :k, :]
        if _unused(gU) and _unused(gVh):
            return matmul(U * _shape.expand_dims(gS, -2), Vh)
        V, gV = mT(Vh), mT(gVh)
        UtgU, VtgV = matmul(mT(U), gU), matmul(Vh, gV)
        E = _pairwise_differences(S * S)
        row, col = _shape.expand_dims(S, -2), _shape.expand_dims(S, -1)
        inner = (UtgU - mT(UtgU)) / E * row + col * ((VtgV - mT(VtgV)) / E)
        inner = inner + _diag_embed(gS)  # the skew terms are 0 on the diagonal
        gA = matmul(U, matmul(inner, Vh))
        if m > k:
            gA = gA + matmul((gU - matmul(U, UtgU)) / row, Vh)
        if n > k:
            gA = gA + matmul(U, mT((gV - matmul(V, VtgV)) / row))
        return gA


def tolerance(S, shape, atol, rtol):
    """max(atol, rtol * S_max) per matrix, as torch.linalg.pinv/matrix_rank: without either,
    rtol = eps * max(m, n); with atol > 0 alone, rtol = 0. ``S`` (..., k) is descending
    (or any order: the max is taken)."""
    xp = get_array_module(S)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(S.dtype).eps * max(shape[-2:])
    smax = xp.abs(S).max(-1, keepdims=True) if S.shape[-1] else xp.zeros(S.shape[:-1] + (1,))
    return xp.maximum(0.0 if atol is None else atol, rtol * smax)


class Pinv(Function):
    """A^+ = V diag(1/s) U^T over the singular values s above the tolerance (eigh's for
    ``hermitian``). Backward is PyTorch's ``pinv_backward`` (written with A and A^+)."""

    saves_output = True

    def __init__(self, atol, rtol, hermitian: bool):
        self.atol, self.rtol, self.hermitian = atol, rtol, hermitian

    def forward(self, A):
        xp = get_array_module(A)
        if self.hermitian:
            w, V = lapack("linalg.pinv", "the algorithm failed to converge", xp.linalg.eigh, A)
            U, S, Vh = V, w, _mTa(V)
        else:
            U, S, Vh = lapack("linalg.pinv", "the algorithm failed to converge", xp.linalg.svd,
                              A, False)
        keep = abs(S) > tolerance(S, A.shape, self.atol, self.rtol)
        inv = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(S.dtype, copy=False)
        return _mTa(Vh) * inv[..., None, :] @ _mTa(U)

    def backward(self, gP):
        A, P = self.inputs[0], self.output()
        Pt, gPt = mT(P), mT(gP)
        if A.shape[-2] <= A.shape[-1]:
            K = matmul(gPt, P)
            KPt = matmul(K, Pt)
            return (-mT(matmul(P, K)) + KPt - matmul(matmul(A, P), KPt)
                    + matmul(matmul(Pt, P), gPt - matmul(K, A)))
        K = matmul(P, gPt)
        PtK = matmul(Pt, K)
        return (-mT(matmul(K, P)) + matmul(matmul(gPt - matmul(A, K), P), Pt) + PtK
                - matmul(matmul(PtK, P), A))


def _mTa(a):
    """The transpose of the last two dims of an array."""
    return a.swapaxes(-1, -2)


# Padé (13, 13) coefficients and the 1-norm up to which it is accurate to double precision
# (Higham 2005, "The scaling and squaring method for the matrix exponential revisited").
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def expm(A):
    """exp(A) of an array batch by scaling and squaring: A / 2^s has 1-norm <= theta_13,
    its Padé (13, 13) approximant r = (V - U)^{-1} (V + U) is squared s times. Computed in
    float64 (also for float32 input, cast back), s per matrix."""
    xp = get_array_module(A)
    X = A.astype(np.float64)
    norm = xp.abs(X).sum(-2).max(-1) if X.size else xp.zeros(X.shape[:-2])
    s = xp.ceil(xp.log2(xp.maximum(norm, 1e-300) / _THETA13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(np.int64)
    X = X / (2.0 ** s)[..., None, None]
    b, eye = _PADE13, xp.eye(X.shape[-1])
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X4 @ X2
    U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2)
             + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * eye)
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 \
        + b[0] * eye
    R = xp.linalg.solve(V - U, V + U)
    for i in range(int(s.max()) if s.size else 0):
        R = xp.where((i < s)[..., None, None], R @ R, R)
    return R.astype(A.dtype, copy=False)


class MatrixExp(Function):
    """exp(A). Its gradient is the Fréchet derivative at A^T in the direction G, the upper
    right block of exp([[A^T, G], [0, A^T]]) (Najfeld and Havel 1995): again a MatrixExp,
    so it differentiates any number of times."""

    def forward(self, A):
        return expm(A)

    def backward(self, gY):
        At = mT(self.inputs[0])
        n = At.shape[-1]
        zero = Tensor._make(At.xp.zeros(At.shape, At.dtype), False)
        M = _shape.concatenate([_shape.concatenate([At, gY], -1),
                                _shape.concatenate([zero, At], -1)], -2)
        return MatrixExp()(M)[..., :n, n:]


# -- PyTorch's functions -----------------------------------------------------------------


def slogdet(input) -> tuple:  # noqa: A002
    """``(sign, logabsdet)`` of (a batch of) square matrices: det = sign * exp(logabsdet);
    a singular matrix gives sign 0 and logabsdet -inf.

    >>> cr.slogdet(cr.tensor([[2.0, 0.0], [0.0, -3.0]]))   # sign -1, logabsdet log 6
    """
    return _SLOGDET(*SlogDet()(check_matrices("slogdet", input, "input")))


def det(input) -> Tensor:  # noqa: A002
    """The determinant of (a batch of) square matrices, sign * exp(log|det|);
    d det / dA = det A^{-T} (which needs A invertible)."""
    sign, logabsdet = SlogDet()(check_matrices("det", input, "input"))
    return sign * _ew.exp(logabsdet)


def logdet(input) -> Tensor:  # noqa: A002
    """log det A: NaN where det < 0, -inf where A is singular (as ``torch.logdet``)."""
    sign, logabsdet = SlogDet()(check_matrices("logdet", input, "input"))
    return _ew.where(Tensor._make(sign.array < 0, False), math.nan, logabsdet)


def inverse(input) -> Tensor:  # noqa: A002
    """A^{-1} of (a batch of) square matrices; a singular one raises ``LinAlgError``."""
    return Inv("inverse")(check_matrices("inverse", input, "input"))


def pinverse(input, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """The Moore-Penrose pseudoinverse, singular values below ``rcond`` * the largest
    treated as 0 (``torch.pinverse``)."""
    return Pinv(None, rcond, False)(check_matrices("pinverse", input, "input", square=False))


def cholesky(input, upper: bool = False) -> Tensor:  # noqa: A002
    """L with A = L L^T (lower, from A's lower triangle), or U = L^T with A = U^T U
    (``upper=True``, from A's upper triangle); A symmetric positive-definite, else
    ``LinAlgError``."""
    return cholesky_factor("cholesky", check_matrices("cholesky", input, "input"), upper)


def cholesky_factor(fname: str, A: Tensor, upper: bool) -> Tensor:
    """L (or U = L^T from A's upper triangle, as L of A^T) for a checked A."""
    return mT(Cholesky(fname)(mT(A))) if upper else Cholesky(fname)(A)


def triangular(A: Tensor, upper: bool, unitriangular: bool = False) -> Tensor:
    """The upper or lower triangle of A, with ones on the diagonal if ``unitriangular``."""
    if not unitriangular:
        return mT(tril(mT(A))) if upper else tril(A)
    n = A.shape[-1]
    return (mT(tril(mT(A), -1)) if upper else tril(A, -1)) + _eye(n, A)


def cholesky_solve(input, input2, upper: bool = False) -> Tensor:  # noqa: A002
    """X with A X = B for A = L L^T (L lower) or U^T U (``upper``), given the factor:
    two triangular solves, reading only the factor's triangle."""
    B = check_matrices("cholesky_solve", input, "input", square=False)
    L = check_matrices("cholesky_solve", input2, "input2")
    check_same_dtype("cholesky_solve", B, L, ("input", "input2"))
    if B.shape[-2] != L.shape[-1]:
        raise ShapeError(f"cholesky_solve: input of shape {tuple(B.shape)} has "
                         f"{B.shape[-2]} rows but the factor input2 {tuple(L.shape)} is "
                         f"{L.shape[-1]} by {L.shape[-1]}")
    batch_shape("cholesky_solve", B, L, ("input", "input2"))
    L = triangular(L, upper)
    if upper:
        L = mT(L)
    return Solve("cholesky_solve")(mT(L), Solve("cholesky_solve")(L, B))


def cholesky_inverse(input, upper: bool = False) -> Tensor:  # noqa: A002
    """A^{-1} for A = L L^T (or U^T U with ``upper``), given the Cholesky factor."""
    L = check_matrices("cholesky_inverse", input, "input")
    eye = _shape.broadcast_to(_eye(L.shape[-1], L), L.shape)
    return cholesky_solve(eye, L, upper)


def matrix_power(input, n: int) -> Tensor:  # noqa: A002
    """A^n for an integer n by repeated squaring: n = 0 is the identity, n < 0 the power
    of A^{-1}."""
    A = check_matrices("matrix_power", input, "input")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__} {n!r}")
    if n == 0:  # the identity, still a function of A (zero gradient), as in PyTorch
        eye = Tensor._make(A.xp.broadcast_to(A.xp.eye(A.shape[-1], dtype=A.dtype), A.shape),
                           False)
        return _ew.where(Tensor._make(A.xp.ones((), bool), False), eye, A)
    if n < 0:
        A, n = Inv("matrix_power")(A), -n
    out = None
    while True:
        if n & 1:
            out = A if out is None else matmul(out, A)
        n >>= 1
        if not n:
            return out
        A = matmul(A, A)


def matrix_exp(A) -> Tensor:
    """exp(A) = sum A^k / k! of (a batch of) square matrices (Padé scaling and squaring).

    >>> cr.matrix_exp(cr.tensor([[0.0, 1.0], [-1.0, 0.0]]))   # rotation by 1 radian
    """
    return MatrixExp()(check_matrices("matrix_exp", A))


def qr(input, some: bool = True) -> tuple:  # noqa: A002
    """``(Q, R)`` with A = QR (``torch.qr``): reduced (Q m x k, R k x n, k = min(m, n))
    when ``some``, else complete (Q m x m)."""
    A = check_matrices("qr", input, "input", square=False)
    return _QR(*QR("reduced" if some else "complete")(A))


def svd(input, some: bool = True, compute_uv: bool = True) -> tuple:  # noqa: A002
    """``(U, S, V)`` with A = U diag(S) V^T (``torch.svd``: V, not Vh): reduced when
    ``some``; without ``compute_uv``, U and V are zeros (m x m and n x n) and only S has a
    gradient."""
    A = check_matrices("svd", input, "input", square=False)
    m, n = A.shape[-2:]
    if not compute_uv:
        zeros = A.xp.zeros
        return _SVD(Tensor._make(zeros(A.shape[:-2] + (m, m), A.dtype), False),
                    SVD("svd", False)(A)[1],
                    Tensor._make(zeros(A.shape[:-2] + (n, n), A.dtype), False))
    U, S, Vh = SVD("svd", not some)(A)
    return _SVD(U, S, mT(Vh))


__all__ = [
    "cholesky", "cholesky_inverse", "cholesky_solve", "det", "inverse", "logdet",
    "matrix_exp", "matrix_power", "pinverse", "qr", "slogdet", "svd",
]  # fmt: skip

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = list(__all__)
INPLACE_TWINS: list[str] = []
