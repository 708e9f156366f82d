"""Matrix functions beyond their gradients (those are rows of tests/ops/rows_matrix.py):
values and result types against PyTorch, batches, singular and indefinite matrices, and
the named errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _pair(a):
    """The same float64 values as a chainrule and a torch tensor."""
    return cr.tensor(a, dtype="float64"), torch.tensor(a, dtype=torch.float64)


def _close(ours, theirs, **kw):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=kw.get("rtol", 1e-7),
                               atol=kw.get("atol", 1e-9))


SQ = RNG.standard_normal((2, 4, 4)) + 4 * np.eye(4)
TALL = RNG.standard_normal((2, 5, 3))
WIDE = RNG.standard_normal((3, 5))
SYM = SQ + SQ.swapaxes(-1, -2)
SPD = SQ @ SQ.swapaxes(-1, -2) + np.eye(4)


# -- values and result types ---------------------------------------------------------------

# (id, chainrule call, torch call, input): outputs compared element by element
SAME = [
    ("det", cr.det, torch.det, SQ),
    ("linalg.det", cr.linalg.det, torch.linalg.det, SQ),
    ("logdet", cr.logdet, torch.logdet, SPD),
    ("inverse", cr.inverse, torch.inverse, SQ),
    ("linalg.inv", cr.linalg.inv, torch.linalg.inv, SQ),
    ("pinverse", cr.pinverse, torch.pinverse, TALL),
    ("linalg.pinv", cr.linalg.pinv, torch.linalg.pinv, WIDE),
    ("linalg.pinv_hermitian", lambda A: cr.linalg.pinv(A, hermitian=True),
     lambda A: torch.linalg.pinv(A, hermitian=True), SYM),
    ("cholesky", cr.cholesky, torch.linalg.cholesky, SPD),
    ("cholesky_upper", lambda A: A.cholesky(upper=True),
     lambda A: torch.linalg.cholesky(A, upper=True), SPD),
    ("cholesky_inverse", lambda A: cr.cholesky_inverse(cr.linalg.cholesky(A)),
     lambda A: torch.cholesky_inverse(torch.linalg.cholesky(A)), SPD),
    ("matrix_power_5", lambda A: cr.matrix_power(A, 5), lambda A: torch.matrix_power(A, 5), SQ),
    ("matrix_power_-3", lambda A: A.matrix_power(-3), lambda A: A.matrix_power(-3), SQ),
    ("matrix_power_0", lambda A: cr.linalg.matrix_power(A, 0),
     lambda A: torch.linalg.matrix_power(A, 0), SQ),
    ("matrix_exp", cr.matrix_exp, torch.matrix_exp, SQ),
    ("matrix_exp_small", cr.matrix_exp, torch.matrix_exp, SQ * 1e-3),
    ("matrix_exp_large", cr.matrix_exp, torch.matrix_exp, SQ * 3),
    ("eigvalsh", cr.linalg.eigvalsh, torch.linalg.eigvalsh, SYM),
    ("eigvalsh_upper", lambda A: cr.linalg.eigvalsh(A, "U"),
     lambda A: torch.linalg.eigvalsh(A, "U"), SQ),  # reads the upper triangle only
    ("svd_values", lambda A: cr.linalg.svd(A).S, lambda A: torch.linalg.svd(A).S, TALL),
    ("svd_no_uv", lambda A: cr.svd(A, compute_uv=False).S,
     lambda A: torch.svd(A, compute_uv=False).S, TALL),
    ("qr_r", lambda A: cr.linalg.qr(A, mode="r").R.abs(),
     lambda A: torch.linalg.qr(A, mode="r").R.abs(), TALL),
]


@pytest.mark.parametrize("ours, theirs, a", [s[1:] for s in SAME], ids=[s[0] for s in SAME])
def test_values_match_torch(ours, theirs, a):
    x, t = _pair(a)
    _close(ours(x), theirs(t), rtol=1e-6)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_matches_torch(p):
    x, t = _pair(SQ)
    _close(cr.linalg.cond(x, p), torch.linalg.cond(t, p), rtol=1e-6)


def test_slogdet_is_a_named_tuple_like_torch():
    A = np.diag([2.0, -3.0, 1.0])
    r = cr.linalg.slogdet(cr.tensor(A))
    assert type(r).__name__ == "linalg_slogdet" and r._fields == ("sign", "logabsdet")
    assert r.sign.item() == -1 and r.logabsdet.item() == pytest.approx(math.log(6))
    sign, logabsdet = cr.slogdet(cr.tensor(A))
    assert type(cr.slogdet(cr.tensor(A))).__name__ == "slogdet"
    assert cr.tensor(A).slogdet().sign.item() == -1


@pytest.mark.parametrize("a", [TALL, WIDE, SQ], ids=["tall", "wide", "square"])
@pytest.mark.parametrize("full", [True, False])
def test_svd_factors_rebuild_the_matrix_and_match_torch_up_to_sign(a, full):
    x, t = _pair(a)
    U, S, Vh = cr.linalg.svd(x, full_matrices=full)
    tU, tS, tVh = torch.linalg.svd(t, full_matrices=full)
    assert type(cr.linalg.svd(x)).__name__ == "linalg_svd"
    assert U.shape == tuple(tU.shape) and Vh.shape == tuple(tVh.shape)
    k = S.shape[-1]
    _close(S, tS)
    _close((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :], a)
    _close(U[..., :k].abs(), tU[..., :k].abs())
    _close(Vh[..., :k, :].abs(), tVh[..., :k, :].abs())


def test_torch_svd_returns_V_not_Vh():
    x, t = _pair(TALL)
    U, S, V = cr.svd(x)
    assert cr.svd(x)._fields == ("U", "S", "V") and V.shape == (2, 3, 3)
    _close((U * S.unsqueeze(-2)) @ V.mT, TALL)
    _close(V.abs(), torch.svd(t).V.abs())
    U, S, V = x.svd(some=False)
    assert U.shape == (2, 5, 5) and V.shape == (2, 3, 3)
    U, S, V = cr.svd(x, compute_uv=False)
    assert U.shape == (2, 5, 5) and V.shape == (2, 3, 3) and not U.numpy().any()


@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("a", [TALL, WIDE], ids=["tall", "wide"])
def test_qr_rebuilds_the_matrix_and_matches_torch(mode, a):
    x, t = _pair(a)
    Q, R = cr.linalg.qr(x, mode=mode)
    tQ, tR = torch.linalg.qr(t, mode=mode)
    assert type(cr.linalg.qr(x)).__name__ == "linalg_qr"
    assert Q.shape == tuple(tQ.shape) and R.shape == tuple(tR.shape)
    _close(Q @ R, a)
    _close(Q.abs(), tQ.abs())
    _close(R.abs(), tR.abs())
    _close(cr.tril(R, -1), np.zeros(R.shape))
    Q2, R2 = x.qr(some=mode == "reduced")
    _close(Q2, Q)
    assert cr.linalg.qr(x, mode="r").Q.shape == (0,)


def test_eigh_is_ascending_and_rebuilds_the_matrix():
    x, t = _pair(SYM)
    w, V = cr.linalg.eigh(x)
    tw, tV = torch.linalg.eigh(t)
    assert cr.linalg.eigh(x)._fields == ("eigenvalues", "eigenvectors")
    _close(w, tw)
    _close(V.abs(), tV.abs())
    assert (np.diff(w.numpy(), axis=-1) > 0).all()
    _close((V * w.unsqueeze(-2)) @ V.mT, SYM)


@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_and_cholesky_gradients_of_an_unsymmetric_input_are_torchs(UPLO):
    """Both read one triangle; the gradient is PyTorch's (symmetric), not the one-sided
    derivative of that triangle."""
    a = SQ[0]
    x = cr.tensor(a, dtype="float64", requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    g = RNG.standard_normal((4, 4))
    w, V = cr.linalg.eigh(x, UPLO)
    tw, tV = torch.linalg.eigh(t, UPLO)
    (w.sum() + (V * V[:1] * cr.tensor(g)).sum()).backward()
    (tw.sum() + (tV * tV[:1] * torch.tensor(g)).sum()).backward()
    _close(x.grad, t.grad, rtol=1e-6)
    x.grad, t.grad = None, None
    (cr.linalg.cholesky(x @ x.mT) * cr.tensor(g)).sum().backward()
    (torch.linalg.cholesky(t @ t.mT) * torch.tensor(g)).sum().backward()
    _close(x.grad, t.grad, rtol=1e-6)


def test_eigvalsh_and_svdvals_gradients_are_finite_at_repeated_values():
    x = cr.eye(3, dtype="float64", requires_grad=True)
    cr.linalg.eigvalsh(x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.eye(3))
    x.grad = None
    cr.svd(x, compute_uv=False).S.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3))


def test_matrix_exp_known_values():
    rot = cr.matrix_exp(cr.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype="float64"))
    np.testing.assert_allclose(rot.numpy(), [[math.cos(1), math.sin(1)],
                                             [-math.sin(1), math.cos(1)]], rtol=1e-14)
    np.testing.assert_array_equal(cr.matrix_exp(cr.zeros(2, 3, 3)).numpy(),
                                  np.broadcast_to(np.eye(3), (2, 3, 3)))
    # a batch whose matrices need different scalings, each as if alone
    a = np.stack([SQ[0] * 1e-3, SQ[0] * 10])
    got = cr.matrix_exp(cr.tensor(a)).numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], cr.matrix_exp(cr.tensor(a[i])).numpy(), rtol=1e-12)
    assert cr.matrix_exp(cr.tensor(SQ, dtype="float32")).dtype == np.float32


def test_matrix_power_zero_is_the_identity_with_a_zero_gradient():
    x = cr.tensor(SQ, requires_grad=True)
    y = cr.matrix_power(x, 0)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(np.eye(4), SQ.shape))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(SQ.shape))


@pytest.mark.parametrize("b_shape, x_shape", [((4,), (2, 4)), ((2, 4), (2, 4)),
                                              ((4, 3), (2, 4, 3)), ((1, 4, 2), (2, 4, 2))])
def test_solve_vectors_and_broadcast_batches_like_torch(b_shape, x_shape):
    b = RNG.standard_normal(b_shape)
    X = cr.linalg.solve(cr.tensor(SQ), cr.tensor(b))
    tX = torch.linalg.solve(torch.tensor(SQ), torch.tensor(b))
    assert X.shape == x_shape == tuple(tX.shape)
    _close(X, tX)


def test_solve_triangular_and_cholesky_solve_match_torch():
    a, b = _pair(SQ)
    B = RNG.standard_normal((2, 4, 3))
    for kw in (dict(upper=True), dict(upper=False, unitriangular=True),
               dict(upper=True, left=False)):
        rhs = B.swapaxes(-1, -2) if kw.get("left") is False else B
        _close(cr.linalg.solve_triangular(a, cr.tensor(rhs), **kw),
               torch.linalg.solve_triangular(b, torch.tensor(rhs), **kw))
    L, tL = cr.linalg.cholesky(cr.tensor(SPD)), torch.linalg.cholesky(torch.tensor(SPD))
    for upper in (False, True):
        f = L.mT if upper else L
        _close(cr.cholesky_solve(cr.tensor(B), f, upper=upper),
               torch.cholesky_solve(torch.tensor(B), tL.mT if upper else tL, upper=upper))


def test_rank_lstsq_and_tolerances_like_torch():
    low = RNG.standard_normal((2, 5, 2)) @ RNG.standard_normal((2, 2, 4))  # rank 2
    x, t = _pair(low)
    assert cr.linalg.matrix_rank(x).tolist() == [2, 2] == torch.linalg.matrix_rank(t).tolist()
    assert cr.linalg.matrix_rank(x).dtype == np.int64
    for kw in (dict(atol=1.0), dict(rtol=0.5), dict(atol=0.1, rtol=0.2)):
        assert (cr.linalg.matrix_rank(x, **kw).tolist()
                == torch.linalg.matrix_rank(t, **kw).tolist())
        _close(cr.linalg.pinv(x, **kw), torch.linalg.pinv(t, **kw))
    _close(cr.linalg.pinv(x), torch.linalg.pinv(t))  # the rank-deficient pseudoinverse
    sym, tsym = _pair(low @ low.swapaxes(-1, -2))
    assert (cr.linalg.matrix_rank(sym, hermitian=True).tolist()
            == torch.linalg.matrix_rank(tsym, hermitian=True).tolist())
    B = RNG.standard_normal((2, 5, 3))
    r = cr.linalg.lstsq(cr.tensor(TALL), cr.tensor(B))
    tr = torch.linalg.lstsq(torch.tensor(TALL), torch.tensor(B))
    assert r._fields == ("solution", "residuals", "rank", "singular_values")
    _close(r.solution, tr.solution)
    assert r.rank.tolist() == tr.rank.tolist() and r.residuals.shape == (0,)


def test_cross_vecdot_multi_dot_match_torch():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((1, 3))
    _close(cr.linalg.cross(cr.tensor(a), cr.tensor(b)),
           torch.linalg.cross(torch.tensor(a), torch.tensor(b)))
    _close(cr.linalg.vecdot(cr.tensor(a), cr.tensor(b)),
           torch.linalg.vecdot(torch.tensor(a), torch.tensor(b)))
    ms = [RNG.standard_normal(s) for s in [(3,), (3, 4), (4, 2), (2,)]]
    _close(cr.linalg.multi_dot([cr.tensor(m) for m in ms]),
           torch.linalg.multi_dot([torch.tensor(m) for m in ms]))


def test_float32_in_float32_out_and_methods_exist():
    x = cr.tensor(SPD, dtype="float32")
    for name in ("det", "logdet", "inverse", "pinverse", "cholesky", "matrix_exp"):
        assert getattr(x, name)().dtype == np.float32, name
    assert x.slogdet().logabsdet.dtype == np.float32
    assert all(t.dtype == np.float32 for t in (*x.qr(), *x.svd(), *cr.linalg.eigh(x)))
    assert x.matrix_power(2).dtype == np.float32
    assert x.cholesky().cholesky_inverse().dtype == np.float32
    assert x.cholesky_solve(x.cholesky()).dtype == np.float32


def test_inputs_are_not_modified():
    a = SQ.copy()
    x = cr.tensor(a)
    for f in (cr.det, cr.inverse, cr.matrix_exp, cr.linalg.eigh, cr.linalg.svd, cr.qr,
              lambda A: cr.linalg.solve(A, A), cr.pinverse):
        f(x)
    np.testing.assert_array_equal(x.numpy(), SQ)


# -- singular and indefinite matrices ----------------------------------------------------

SINGULAR = np.stack([np.eye(3), [[1.0, 2, 3], [2, 4, 6], [0, 1, 1]]])


def test_singular_matrices_have_det_0_and_logabsdet_minus_inf():
    x, t = _pair(SINGULAR)
    np.testing.assert_allclose(cr.det(x).numpy(), [1.0, 0.0], atol=1e-12)
    sign, logabsdet = cr.linalg.slogdet(x)
    assert sign.tolist() == [1.0, 0.0] == torch.linalg.slogdet(t).sign.tolist()
    assert logabsdet.tolist()[1] == -math.inf
    assert cr.logdet(x).tolist()[1] == -math.inf
    assert math.isnan(cr.logdet(cr.tensor(np.diag([1.0, -1.0]))).item())  # det < 0


@pytest.mark.parametrize("call, message", [
    (lambda A: cr.linalg.inv(A), r"linalg\.inv: the input matrix is singular \(batch 1\)"),
    (lambda A: cr.inverse(A), r"inverse: the input matrix is singular \(batch 1\)"),
    (lambda A: A.matrix_power(-1), r"matrix_power: the input matrix is singular \(batch 1\)"),
    (lambda A: cr.linalg.solve(A, cr.ones(3, dtype="float64")),
     r"linalg\.solve: the input matrix is singular \(batch 1\)"),
    (lambda A: cr.linalg.cholesky(A), r"linalg\.cholesky: the input is not positive-definite "
     r"\(batch 1\)"),
    (lambda A: cr.cholesky(-A), r"cholesky: the input is not positive-definite \(batch 0\)"),
])
def test_singular_and_indefinite_matrices_raise_LinAlgError(call, message):
    with pytest.raises(cr.linalg.LinAlgError, match=message) as e:
        call(cr.tensor(SINGULAR))
    assert isinstance(e.value, RuntimeError)


# -- bad input -------------------------------------------------------------------------------

M23, V3 = cr.ones(2, 3, dtype="float64"), cr.ones(3, dtype="float64")
I3 = cr.eye(3, dtype="float64")

BAD = [
    ("inv_not_square", lambda: cr.linalg.inv(M23), ValueError,
     r"linalg\.inv: A must be a square matrix or a batch of them, got shape \(2, 3\)"),
    ("det_vector", lambda: cr.det(V3), ValueError,
     r"det: input must be a matrix or a batch of matrices \(at least 2 dims\), got shape \(3,\)"),
    ("det_int", lambda: cr.det(cr.tensor([[1, 2], [3, 4]])), TypeError,
     r"det: input must be float32 or float64, got dtype int64"),
    ("det_not_tensor", lambda: cr.det([[1.0]]), TypeError, r"det: input must be a Tensor"),
    ("solve_rows", lambda: cr.linalg.solve(I3, cr.ones(4, dtype="float64")), ValueError,
     r"linalg\.solve: A of shape \(3, 3\) and B of shape \(4,\) do not fit .* AX = B"),
    ("solve_right", lambda: cr.linalg.solve(I3, cr.ones(3, 2, dtype="float64"), left=False),
     ValueError, r"linalg\.solve: A of shape \(3, 3\) and B of shape \(3, 2\) .* XA = B"),
    ("solve_batch", lambda: cr.linalg.solve(cr.ones(2, 3, 3, dtype="float64"),
                                            cr.ones(4, 3, 1, dtype="float64")), ValueError,
     r"linalg\.solve: the batch dims of A \(2, 3, 3\) and B \(4, 3, 1\) cannot be broadcast"),
    ("solve_dtype", lambda: cr.linalg.solve(I3, cr.ones(3)), TypeError,
     r"linalg\.solve: A and B must have the same dtype, got float64 and float32"),
    ("solve_triangular_vector", lambda: cr.linalg.solve_triangular(I3, V3, upper=True),
     ValueError, r"linalg\.solve_triangular: A of shape \(3, 3\) and B of shape \(3,\)"),
    ("cholesky_solve_rows", lambda: cr.cholesky_solve(cr.ones(4, 1, dtype="float64"), I3),
     ValueError, r"cholesky_solve: input of shape \(4, 1\) has 4 rows but the factor input2"),
    ("qr_mode", lambda: cr.linalg.qr(I3, mode="full"), ValueError,
     r"linalg\.qr: mode must be 'reduced', 'complete' or 'r', got 'full'"),
    ("eigh_uplo", lambda: cr.linalg.eigh(I3, "X"), ValueError,
     r"linalg\.eigh: UPLO must be 'L' or 'U', got 'X'"),
    ("eigh_not_square", lambda: cr.linalg.eigh(M23), ValueError,
     r"linalg\.eigh: A must be a square matrix .* \(2, 3\)"),
    ("matrix_power_float", lambda: cr.matrix_power(I3, 2.0), TypeError,
     r"matrix_power: n must be an int, got float 2\.0"),
    ("matrix_exp_not_square", lambda: cr.matrix_exp(M23), ValueError,
     r"matrix_exp: A must be a square matrix"),
    ("svd_driver", lambda: cr.linalg.svd(I3, driver="gesvd"), ValueError,
     r"linalg\.svd: driver= is for CUDA"),
    ("multi_dot_one", lambda: cr.linalg.multi_dot([I3]), ValueError,
     r"linalg\.multi_dot: expects at least 2 tensors, got 1"),
    ("multi_dot_3d", lambda: cr.linalg.multi_dot([I3, cr.ones(1, 3, 3), I3]), ValueError,
     r"linalg\.multi_dot: tensors\[1\] must be 2-d"),
    ("multi_dot_align", lambda: cr.linalg.multi_dot([I3, M23]), ValueError,
     r"linalg\.multi_dot: tensors\[0\] \(3, 3\) and tensors\[1\] \(2, 3\) do not align"),
    ("vecdot_shapes", lambda: cr.linalg.vecdot(V3, cr.ones(4)), ValueError,
     r"linalg\.vecdot: shapes \(3,\) and \(4,\) cannot be broadcast"),
    ("lstsq_rows", lambda: cr.linalg.lstsq(M23, cr.ones(3, 1, dtype="float64")), ValueError,
     r"linalg\.lstsq: B must have as many rows as A \(2\)"),
    ("cross_size", lambda: cr.linalg.cross(M23[:, :2], M23[:, :2]), ValueError,
     r"cross: dim -1 of shape \(2, 2\) must have size 3"),
    ("qr_complete_grad", lambda: cr.linalg.qr(cr.ones(3, 2, dtype="float64", requires_grad=True),
                                              mode="complete").Q.sum().backward(),
     RuntimeError, r"qr: the QR decomposition is not differentiable when mode='complete'"),
]


@pytest.mark.parametrize("call, exc, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_a_named_error(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
