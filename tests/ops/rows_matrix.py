"""Gradient-table rows for chainrule/ops/matrix.py and the ``cr.linalg`` functions built on
it (run by tests/ops/test_grad_table.py), and in-place rows (run by tests/test_inplace.py).

Each row's function is written once for both libraries (``lib_of`` picks chainrule or
torch). Inputs are kept well-conditioned: ``wellcond`` adds n*I to a random square matrix;
``_spd`` and ``_sym`` make the symmetric inputs of cholesky and eigh inside the row (both
read one triangle only, so finite differences of a raw input would see half the
gradient). Singular vectors and eigenvectors are defined up to sign: ``_signfree``
multiplies each by its first element, which PyTorch and chainrule agree on whatever sign
LAPACK picks.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from tests.gradtable import lib_of, normal, torch_op, variants


def wellcond(rng, shape):
    """A random matrix (batch) plus n*I where square: far from singular."""
    a = rng.standard_normal(shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        a += shape[-1] * np.eye(shape[-1])
    return a


def _spd(A):
    """A A^T + n I: symmetric positive-definite."""
    return A @ A.mT + lib_of(A).eye(A.shape[-1], dtype=A.dtype) * A.shape[-1]


def _sym(A):
    return A + A.mT


def _signfree(U, axis=-2):
    """Each column (axis=-2) or row (axis=-1) times its first element: sign-free."""
    return U * (U[..., :1, :] if axis == -2 else U[..., :, :1])


def _linalg(name):
    """``cr.linalg.<name>`` or ``torch.linalg.<name>``, whichever library made ``x``."""
    return lambda x, *a, **k: getattr(lib_of(x).linalg, name)(x, *a, **k)


def _both(name):
    """``cr.<name>`` or ``torch.<name>`` by the library of the first argument."""
    return lambda x, *a, **k: getattr(lib_of(x), name)(x, *a, **k)


def _svd_signfree(A):
    U, S, V = _both("svd")(A)
    return _signfree(U), S, _signfree(V)


def _linalg_svd_signfree(full):
    def f(A):
        U, S, Vh = _linalg("svd")(A, full_matrices=full)
        k = S.shape[-1]  # the extra columns of full factors are not unique
        return _signfree(U[..., :k]), S, _signfree(Vh[..., :k, :], axis=-1)

    return f


def _eigh_signfree(UPLO):
    def f(A):
        w, V = _linalg("eigh")(_sym(A), UPLO=UPLO)
        return w, _signfree(V)

    return f


def _cholesky_solve(B, A):
    return _both("cholesky_solve")(B, _both("cholesky")(_spd(A)))


def _cholesky_inverse(A):
    return _both("cholesky")(_spd(A)).cholesky_inverse()


def _multi_dot(*ts):
    return lib_of(ts[0]).linalg.multi_dot(list(ts))


def _qr(mode):
    return lambda A: tuple(_linalg("qr")(A, mode=mode))


SQUARE = [((3, 3),), ((2, 3, 3),)]
ANY = [((4, 3),), ((3, 4),), ((2, 3, 3),)]
ROWS = [((2, 4),), ((1, 3, 3),)]  # m < n and square

CASES = [
    # -- torch-level names: cr.<name> and Tensor methods -----------------------------------
    *variants("det", cr.det, SQUARE, wellcond, torch_op("det")),
    *variants("det_method", lambda A: A.det(), [((2, 2),)], wellcond, lambda A: A.det()),
    *variants("logdet", cr.logdet, SQUARE, wellcond, torch_op("logdet")),
    *variants("slogdet", lambda A: tuple(cr.slogdet(A)), SQUARE, wellcond,
              lambda A: tuple(torch_op("slogdet")(A))),
    *variants("inverse", cr.inverse, SQUARE, wellcond, torch_op("inverse")),
    *variants("pinverse", cr.pinverse, ANY, wellcond, torch_op("pinverse")),
    *variants("cholesky", lambda A: _both("cholesky")(_spd(A)), SQUARE, normal,
              lambda A: torch_op("linalg.cholesky")(_spd(A))),
    *variants("cholesky(upper)", lambda A: _spd(A).cholesky(upper=True), [((3, 3),)], normal,
              lambda A: torch_op("linalg.cholesky")(_spd(A), upper=True)),
    *variants("cholesky_solve", _cholesky_solve, [((3, 2), (3, 3)), ((2, 3, 1), (3, 3))],
              normal, _cholesky_solve),
    *variants("cholesky_solve(upper)", lambda B, A: B.cholesky_solve(
        _linalg("cholesky")(_spd(A), upper=True), upper=True), [((3, 2), (3, 3))], normal,
        lambda B, A: B.cholesky_solve(_linalg("cholesky")(_spd(A), upper=True), upper=True)),
    *variants("cholesky_inverse", _cholesky_inverse, SQUARE, normal, _cholesky_inverse),
    *variants("matrix_power(n=3)", lambda A: A.matrix_power(3), SQUARE, normal,
              lambda A: A.matrix_power(3)),
    *variants("matrix_power(n=-2)", lambda A: cr.matrix_power(A, -2), [((3, 3),)], wellcond,
              lambda A: torch_op("matrix_power")(A, -2)),
    *variants("matrix_power(n=0)", lambda A: cr.matrix_power(A, 0), [((3, 3),)], normal,
              lambda A: torch_op("matrix_power")(A, 0)),
    *variants("matrix_exp", cr.matrix_exp, SQUARE + [((1, 1),)], normal,
              torch_op("matrix_exp")),
    # a 1-norm past theta_13 = 5.37: scaled down and squared back
    *variants("matrix_exp(scaled)", lambda A: (A * 4).matrix_exp(), [((3, 3),)], normal,
              lambda A: (A * 4).matrix_exp()),
    *variants("qr", lambda A: tuple(A.qr()), ANY, normal, _qr("reduced")),
    *variants("qr(some=False)", lambda A: tuple(cr.qr(A, some=False)), ROWS, normal,
              _qr("complete")),
    *variants("svd", _svd_signfree, ANY, normal, _svd_signfree),
    *variants("svd(compute_uv=False)", lambda A: A.svd(compute_uv=False)[1], ANY, normal,
              lambda A: A.svd(compute_uv=False)[1]),
    # -- cr.linalg ---------------------------------------------------------------------------
    *variants("linalg.det", _linalg("det"), SQUARE, wellcond, torch_op("linalg.det")),
    *variants("linalg.slogdet", lambda A: _linalg("slogdet")(A).logabsdet, SQUARE, wellcond,
              lambda A: torch_op("linalg.slogdet")(A).logabsdet),
    *variants("linalg.inv", _linalg("inv"), SQUARE, wellcond, torch_op("linalg.inv")),
    *variants("linalg.solve", _linalg("solve"),
              [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 1)),
               ((3, 3), (2, 3, 2))], wellcond, torch_op("linalg.solve")),
    *variants("linalg.solve(left=False)", lambda A, B: _linalg("solve")(A, B, left=False),
              [((3, 3), (2, 3)), ((2, 3, 3), (1, 3))], wellcond,
              lambda A, B: torch_op("linalg.solve")(A, B, left=False)),
    *variants("linalg.solve_triangular", lambda A, B: _linalg("solve_triangular")(
        A, B, upper=True), [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))], wellcond,
        lambda A, B: torch_op("linalg.solve_triangular")(A, B, upper=True)),
    *variants("linalg.solve_triangular(lower, right, unit)",
              lambda A, B: _linalg("solve_triangular")(A, B, upper=False, left=False,
                                                       unitriangular=True),
              [((3, 3), (2, 3))], normal,
              lambda A, B: torch_op("linalg.solve_triangular")(A, B, upper=False, left=False,
                                                               unitriangular=True)),
    *variants("linalg.cholesky", lambda A: _linalg("cholesky")(_spd(A), upper=True),
              SQUARE, normal, lambda A: torch_op("linalg.cholesky")(_spd(A), upper=True)),
    *variants("linalg.qr", _qr("reduced"), ANY, normal, _qr("reduced")),
    *variants("linalg.qr(complete)", _qr("complete"), ROWS, normal, _qr("complete")),
    *variants("linalg.qr(r)", lambda A: _linalg("qr")(A, mode="r").R, [((4, 3),)], normal),
    *variants("linalg.eigh", _eigh_signfree("L"), SQUARE, normal, _eigh_signfree("L")),
    *variants("linalg.eigh(U)", _eigh_signfree("U"), [((3, 3),)], normal, _eigh_signfree("U")),
    *variants("linalg.eigvalsh", lambda A: _linalg("eigvalsh")(_sym(A)), SQUARE, normal,
              lambda A: torch_op("linalg.eigvalsh")(_sym(A))),
    *variants("linalg.svd", _linalg_svd_signfree(False), ANY, normal,
              _linalg_svd_signfree(False)),
    *variants("linalg.svdvals", cr.linalg.svdvals, ANY, normal, torch_op("linalg.svdvals")),
    *variants("linalg.matrix_norm(nuc)", lambda A: cr.linalg.matrix_norm(A, "nuc"), ANY,
              normal, lambda A: torch_op("linalg.matrix_norm")(A, "nuc")),
    *variants("linalg.svd(full_matrices)", _linalg_svd_signfree(True), ANY, normal,
              _linalg_svd_signfree(True)),
    *variants("linalg.pinv", _linalg("pinv"), ANY, normal, torch_op("linalg.pinv")),
    *variants("linalg.pinv(hermitian)", lambda A: _linalg("pinv")(_sym(A), hermitian=True),
              [((3, 3),)], normal,
              lambda A: torch_op("linalg.pinv")(_sym(A), hermitian=True)),
    *variants("linalg.matrix_power", lambda A: _linalg("matrix_power")(A, 2), [((3, 3),)],
              normal, lambda A: torch_op("linalg.matrix_power")(A, 2)),
    *variants("linalg.matrix_exp", _linalg("matrix_exp"), [((2, 3, 3),)], normal,
              torch_op("linalg.matrix_exp")),
    *variants("linalg.cross", _linalg("cross"), [((3,), (3,)), ((2, 3), (1, 3)),
                                                  ((4, 1, 3), (1, 2, 3))], normal,
              torch_op("linalg.cross")),
    *variants("linalg.cross(dim=0)", lambda a, b: _linalg("cross")(a, b, dim=0),
              [((3, 2), (3, 2))], normal, lambda a, b: torch_op("linalg.cross")(a, b, dim=0)),
    *variants("linalg.vecdot", _linalg("vecdot"), [((3,), (3,)), ((2, 3), (3,))], normal,
              torch_op("linalg.vecdot")),
    *variants("linalg.multi_dot", _multi_dot,
              [((3,), (3, 4), (4, 2)), ((2, 3), (3, 4), (4,)), ((2, 3), (3, 3), (3, 2))],
              normal, _multi_dot),
    *variants("linalg.cond", _linalg("cond"), [((3, 3),), ((4, 3),)], normal,
              torch_op("linalg.cond")),
    # (PyTorch 2.13 cannot differentiate cond with p='fro': an in-place op in its graph)
    *variants("linalg.cond(p=fro)", lambda A: _linalg("cond")(A, "fro"), [((3, 3),)],
              wellcond),
    *variants("linalg.lstsq", lambda A, B: _linalg("lstsq")(A, B).solution,
              [((5, 3), (5, 2)), ((2, 4, 2), (2, 4, 1))], normal,
              lambda A, B: torch_op("linalg.lstsq")(A, B).solution),
]  # fmt: skip

# Ops of the module without a gradient (integer or boolean results).
NO_GRADIENT: set[str] = set()
INPLACE_CASES: list = []
