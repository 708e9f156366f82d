"""chainrule/ops/arrays.py beyond gradients: values and dtypes against PyTorch on edge cases
(empty, 0-d, negative dims, integer and bool inputs), Tensor methods and in-place twins,
the subgradients at NaN and at zero distance, and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4) % 7 - 3.0
S = np.array([-1.0, 0.5, 0.5, 2.0, 4.0])


def _to(lib, a):
    return lib.tensor(a) if isinstance(a, (np.ndarray, list)) else a


# (id, fn(lib, *tensors), inputs): run in both libraries, same values, shapes and dtypes
SAME = [
    ("tile_0d", lambda L, x: L.tile(x, (2, 3)), [np.array(1.5)]),
    ("tile_fewer_dims", lambda L, x: L.tile(x, (2,)), [X]),
    ("tile_empty", lambda L, x: x.tile(2, 1), [np.zeros((0, 3))]),
    ("movedim_neg", lambda L, x: L.movedim(x, -1, 0), [X]),
    ("movedim_0d", lambda L, x: L.movedim(x, 0, -1), [np.array(2.0)]),
    ("moveaxis", lambda L, x: L.moveaxis(x, (0, -1), (-1, 0)), [X]),
    ("repeat_interleave_none", lambda L, x: L.repeat_interleave(x, 2), [X]),
    ("repeat_interleave_0d", lambda L, x: L.repeat_interleave(x, 3), [np.array(2.0)]),
    ("repeat_interleave_counts", lambda L, r: L.repeat_interleave(r), [np.array([2, 0, 3])]),
    ("repeat_interleave_neg_dim", lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2, 1]), -1,
                                                                   output_size=4), [X]),
    ("repeat_interleave_empty", lambda L, x: L.repeat_interleave(x, 2, 0), [np.zeros((0, 2))]),
    ("masked_select_broadcast", lambda L, x: x.masked_select(x[0] > 0), [X]),
    ("masked_select_0d", lambda L, x: L.masked_select(x, x > 0), [np.array(1.0)]),
    ("diff_int", lambda L, x: L.diff(x, dim=0), [np.array([[1, 5], [2, 3]])]),
    ("diff_bool", lambda L, x: L.diff(x), [np.array([True, False, False, True])]),
    ("diff_n_too_big", lambda L, x: L.diff(x, 5, 1), [X]),
    ("diff_n0", lambda L, x: L.diff(x, 0), [X]),
    ("diff_empty", lambda L, x: L.diff(x, 2), [np.zeros((2, 0))]),
    ("rot90_0d_plane", lambda L, x: L.rot90(x, 3, (-1, -2)), [X]),
    ("rot90_k0", lambda L, x: L.rot90(x, 0), [X]),
    ("kron_int", lambda L, a, b: L.kron(a, b), [np.array([1, 2]), np.array([[1, 3], [2, 4]])]),
    ("kron_0d", lambda L, a, b: L.kron(a, b), [np.array(2.0), np.array(3.0)]),
    ("inner_0d", lambda L, a, b: L.inner(a, b), [np.array(2.0), X]),
    ("tensordot_0", lambda L, a, b: L.tensordot(a, b, 0), [np.array(2.0), np.ones(3)]),
    ("dist_0d", lambda L, a, b: L.dist(a, b), [np.array(2.0), np.array(-1.0)]),
    ("dist_p0", lambda L, a, b: L.dist(a, b, 0), [X, X[0]]),
    ("dist_neg_inf", lambda L, a, b: L.dist(a, b, -float("inf")), [X, X[0] + 0.5]),
    ("dist_empty", lambda L, a, b: L.dist(a, b), [np.zeros(0), np.zeros(0)]),
    ("cdist_p0", lambda L, a, b: L.cdist(a, b, 0), [X, X[:1, :2] + 1]),
    ("cdist_empty", lambda L, a, b: L.cdist(a, b), [np.zeros((0, 2)), np.zeros((3, 2))]),
    ("block_diag_none", lambda L: L.block_diag(), []),
    ("block_diag_int_float", lambda L, a, b: L.block_diag(a, b),
     [np.array([[1, 2]]), np.array([0.5, 1.5])]),
    ("block_diag_empty_rows", lambda L, a, b: L.block_diag(a, b), [np.zeros((0, 2)), X[0]]),
    ("cartesian_prod_one", lambda L, a: L.cartesian_prod(a), [np.array([1, 2])]),
    ("cartesian_prod_empty", lambda L, a, b: L.cartesian_prod(a, b), [np.zeros(0), S]),
    ("atleast_list", lambda L, a, b: L.atleast_2d([a, b]), [np.array(1.0), X]),
    ("atleast_none", lambda L: L.atleast_1d(), []),
    ("hstack_0d", lambda L, a, b: L.hstack((a, b)), [np.array(1.0), S]),
    ("vstack_1d", lambda L, a, b: L.vstack([a, b]), [S, S]),
    ("dstack_2d", lambda L, a, b: L.dstack([a, b]), [X[0], X[1]]),
    ("column_stack_mixed", lambda L, a, b: L.column_stack([a, b]), [np.ones(3), X[0]]),
    ("broadcast_tensors_one", lambda L, a: L.broadcast_tensors(a), [X]),
    ("trapezoid_empty", lambda L, y: L.trapezoid(y), [np.zeros((2, 0))]),
    ("trapezoid_one_point", lambda L, y: L.trapezoid(y, dim=0), [X]),
    ("trapezoid_int", lambda L, y: L.trapezoid(y), [np.array([1, 2, 4])]),
    ("trapezoid_x_neg_dim", lambda L, y, x: L.trapezoid(y, x, dim=-2), [X, np.array([0., 1, 3])]),
    ("trapz_dx", lambda L, y: L.trapz(y, dx=2.0), [X]),
    ("cross_int", lambda L, a, b: L.cross(a, b, dim=0), [np.array([1, 0, 0]), np.array([0, 1, 0])]),
    ("nansum_all_nan", lambda L, x: L.nansum(x), [np.full(3, np.nan)]),
    ("nansum_int", lambda L, x: L.nansum(x), [np.array([1, 2])]),
    ("nansum_bool", lambda L, x: L.nansum(x, 0), [np.array([True, True])]),
    ("nansum_empty", lambda L, x: L.nansum(x, -1), [np.zeros((2, 0))]),
    ("nanmean_all_nan", lambda L, x: L.nanmean(x, 1), [np.array([[np.nan, 1.0], [np.nan] * 2])]),
    ("aminmax_0d", lambda L, x: tuple(L.aminmax(x)), [np.array(3.0)]),
    ("aminmax_neg_dim", lambda L, x: tuple(x.aminmax(dim=-2)), [X]),
    ("aminmax_int", lambda L, x: tuple(x.aminmax(dim=0, keepdim=True)), [np.array([[3, 1]])]),
    ("msort_0d", lambda L, x: L.msort(x), [np.array(3.0)]),
    ("msort_int", lambda L, x: L.msort(x), [np.array([[3, 1], [2, 5]])]),
    ("sum_to_size_same", lambda L, x: x.sum_to_size(X.shape), [X]),
    ("sum_to_size_tuple", lambda L, x: x.sum_to_size((4,)), [X]),
    ("signbit", lambda L, x: x.signbit(), [np.array([-0.0, 0.0, -1.0, np.nan, -np.inf])]),
    ("signbit_int", lambda L, x: L.signbit(x), [np.array([-1, 0, 2])]),
    ("isinf", lambda L, x: x.isinf(), [np.array([np.inf, -np.inf, np.nan, 0.0])]),
    ("isinf_int", lambda L, x: L.isinf(x), [np.array([1, 2])]),
    ("isposinf", lambda L, x: x.isposinf(), [np.array([np.inf, -np.inf, np.nan, 0.0])]),
    ("isneginf", lambda L, x: x.isneginf(), [np.array([np.inf, -np.inf, np.nan, 0.0])]),
    ("isreal", lambda L, x: x.isreal(), [X]),
    ("count_nonzero_0d", lambda L, x: L.count_nonzero(x), [np.array(2.0)]),
    ("count_nonzero_neg_dim", lambda L, x: x.count_nonzero(-1), [X]),
    ("count_nonzero_empty", lambda L, x: L.count_nonzero(x, 0), [np.zeros((0, 3))]),
    ("nonzero_0d", lambda L, x: L.nonzero(x), [np.array(2.0)]),
    ("nonzero_0d_zero", lambda L, x: L.nonzero(x), [np.array(0.0)]),
    ("nonzero_0d_tuple", lambda L, x: L.nonzero(x, as_tuple=True), [np.array(2.0)]),
    ("nonzero_empty", lambda L, x: x.nonzero(), [np.zeros((0, 3))]),
    ("nonzero_tuple", lambda L, x: x.nonzero(as_tuple=True), [X]),
    ("argwhere_bool", lambda L, x: L.argwhere(x > 0), [X]),
    ("bincount_empty", lambda L, x: L.bincount(x), [np.zeros(0, np.int64)]),
    ("bincount_minlength", lambda L, x: x.bincount(minlength=6), [np.array([1, 1, 3])]),
    ("bincount_weights_f32", lambda L, x: x.bincount(L.tensor([0.5, 1.0, 2.0])),
     [np.array([1, 1, 3])]),
    ("bincount_weights_int", lambda L, x: x.bincount(L.tensor([1, 2, 3])), [np.array([0, 2, 2])]),
    ("histc_defaults", lambda L, x: x.histc(), [X]),
    ("histc_range", lambda L, x: L.histc(x, 4, -1, 2), [X]),
    ("histc_constant", lambda L, x: L.histc(x, 4), [np.ones(3)]),
    ("histc_empty", lambda L, x: L.histc(x, 3), [np.zeros(0)]),
    ("searchsorted_scalar", lambda L, s: L.searchsorted(s, 0.5), [S]),
    ("searchsorted_side", lambda L, s: L.searchsorted(s, s, side="right"), [S]),
    ("searchsorted_int32", lambda L, s: L.searchsorted(s, s, out_int32=True), [S]),
    ("searchsorted_rows", lambda L, s, v: L.searchsorted(s, v),
     [np.sort(X, -1), X[..., :2] + 0.5]),
    ("searchsorted_empty", lambda L, s, v: L.searchsorted(s, v), [np.zeros(0), S]),
    ("bucketize", lambda L, x, b: L.bucketize(x, b), [X, S]),
    ("bucketize_right", lambda L, x, b: L.bucketize(x, b, right=True), [S, S]),
    ("tril_indices_neg", lambda L: L.tril_indices(4, 3, -1), []),
    ("triu_indices_wide", lambda L: L.triu_indices(2, 5, 2), []),
    ("triu_indices_empty", lambda L: L.triu_indices(0, 3), []),
    ("vander", lambda L, x: L.vander(x), [S]),
    ("vander_int", lambda L, x: L.vander(x, 3), [np.array([1, 2, 3])]),
    ("vander_N0", lambda L, x: L.vander(x, 0), [S]),
    ("clamp_min_int", lambda L, x: L.clamp_min(x, 1), [np.array([0, 2])]),
    ("clamp_min_nan", lambda L, x: x.clamp_min(0.0), [np.array([np.nan, -1.0, 2.0])]),
    ("clamp_max_tensor_nan", lambda L, x, m: x.clamp_max(m),
     [np.array([np.nan, -1.0, 2.0]), np.array([0.0, np.nan, 1.0])]),
    ("logical_xor", lambda L, a, b: a.logical_xor(b), [X, X[0]]),
    ("reciprocal_int", lambda L, x: x.reciprocal(), [np.array([1, 2, -4])]),
    ("broadcast_shapes", lambda L: tuple(L.broadcast_shapes((2, 1), 3, (1, 1, 1))), []),
]  # fmt: skip


def _run(lib, fn, arrays_):
    out = fn(lib, *[_to(lib, a) for a in arrays_])
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # 0 / 0 of all-NaN nanmean
@pytest.mark.parametrize("fn, inputs", [pytest.param(f, a, id=i) for i, f, a in SAME])
def test_values_and_dtypes_match_torch(fn, inputs):
    got, want = _run(cr, fn, inputs), _run(torch, fn, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, int):
            assert g == w
            continue
        assert tuple(g.shape) == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == str(w.dtype).replace("torch.", ""), (g.dtype, w.dtype)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_queries_are_int64():
    x = cr.tensor(X.astype(np.float32))
    for y in (cr.cdist(x, x), cr.dist(x, x), cr.nanmean(x), cr.trapezoid(x), cr.histc(x),
              cr.kron(x, x[0]), cr.bincount(cr.tensor([0, 1]), x[0, 0, :2])):
        assert y.dtype == np.float32
    for y in (cr.nonzero(x), cr.argwhere(x), cr.count_nonzero(x), cr.bincount(cr.tensor([1])),
              cr.searchsorted(cr.tensor(S), x), cr.tril_indices(2, 2)):
        assert y.dtype == np.int64 and not y.requires_grad


def test_rot90_k0_is_a_copy():
    x = cr.ones(2, 2)
    y = cr.rot90(x, 4)
    y[0, 0] = 5.0
    assert x[0, 0].item() == 1.0


def test_nan_positions_get_zero_gradient():
    for f in (cr.nansum, cr.nanmean, lambda t: cr.nansum(t, 0)):
        x = cr.tensor([[np.nan, 1.0], [2.0, np.nan]], dtype="float64", requires_grad=True)
        f(x).sum().backward()
        tx = torch.tensor([[np.nan, 1.0], [2.0, np.nan]], dtype=torch.float64,
                          requires_grad=True)
        {cr.nansum: torch.nansum, cr.nanmean: torch.nanmean}.get(
            f, lambda t: torch.nansum(t, 0))(tx).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_zero_distance_has_zero_gradient(p):
    # row 0 of a is at zero distance from b; no ties elsewhere (the inf-norm's gradient at a
    # tie differs: PyTorch's cdist gives each tied element all of it, chainrule shares it)
    a = cr.tensor([[1.0, 2.0], [0.0, 1.5]], dtype="float64", requires_grad=True)
    b = cr.tensor([[1.0, 2.0]], dtype="float64", requires_grad=True)
    (cr.cdist(a, b, p).sum() + cr.dist(a[0], b[0], p)).backward()
    ta = torch.tensor(a.numpy(), requires_grad=True)
    tb = torch.tensor(b.numpy(), requires_grad=True)
    (torch.cdist(ta, tb, p).sum() + torch.dist(ta[0], tb[0], p)).backward()
    assert np.isfinite(a.grad.numpy()).all()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), atol=1e-12)


def test_aminmax_is_a_named_tuple():
    r = cr.tensor([[1.0, 3.0], [2.0, 0.0]]).aminmax(dim=1)
    assert r.min.tolist() == [1.0, 0.0] and r.max.tolist() == [3.0, 2.0]
    lo, hi = r
    assert lo is r.min and hi is r.max


A = cr.ones(2, 3)
I = cr.tensor([0, 2, 1])

# (id, call, exception type, regex the message must match)
BAD = [
    ("tile_type", lambda: cr.tile(A, 2.0), TypeError, r"tile: dims must be an int or a seq"),
    ("tile_not_tensor", lambda: cr.tile([1.0], (2,)), TypeError, r"tile: input must be a Tensor"),
    ("tile_negative", lambda: cr.tile(A, (-1,)), ValueError, r"tile: dims must be non-negative"),
    ("movedim_lengths", lambda: cr.movedim(A, (0, 1), 0), ValueError,
     r"movedim: source \(0, 1\) and destination \(0,\) have different lengths"),
    ("movedim_range", lambda: cr.movedim(A, 2, 0), ValueError, r"movedim: axis 2 is out of range"),
    ("movedim_repeated", lambda: cr.movedim(A, (0, 0), (0, 1)), ValueError,
     r"movedim: repeated axis"),
    ("repeat_interleave_len", lambda: cr.repeat_interleave(A, cr.tensor([1, 2]), 1), ValueError,
     r"repeat_interleave: repeats of shape \(2,\) for dim 1 of length 3"),
    ("repeat_interleave_neg", lambda: cr.repeat_interleave(A, -1), ValueError,
     r"repeat_interleave: repeats must be non-negative"),
    ("repeat_interleave_float", lambda: cr.repeat_interleave(A, 1.5), TypeError,
     r"repeat_interleave: repeats must be an int"),
    ("repeat_interleave_size", lambda: cr.repeat_interleave(A, 2, output_size=3), ValueError,
     r"repeat_interleave: output_size=3 but the repeats add up to 12"),
    ("masked_select_dtype", lambda: cr.masked_select(A, A), TypeError,
     r"masked_select: mask must be a bool tensor, got dtype float32"),
    ("masked_select_shape", lambda: cr.masked_select(A, cr.ones(4) > 0), ValueError,
     r"masked_select: shapes \(2, 3\), \(4,\) cannot be broadcast"),
    ("diff_0d", lambda: cr.diff(cr.tensor(1.0)), ValueError, r"diff: needs a tensor with at least"),
    ("diff_n", lambda: cr.diff(A, -1), ValueError, r"diff: n must be a non-negative int"),
    ("diff_prepend", lambda: cr.diff(A, prepend=cr.ones(3)), ValueError,
     r"diff: prepend of shape \(3,\) does not match input of shape \(2, 3\) outside dim 1"),
    ("rot90_1d", lambda: cr.rot90(cr.ones(3)), ValueError,
     r"rot90: needs 2 dims of a tensor with at least 2 dims, got dims \(0, 1\) for shape \(3,\)"),
    ("rot90_same", lambda: cr.rot90(A, 1, (1, 1)), ValueError, r"rot90: repeated axis"),
    ("fliplr_1d", lambda: cr.fliplr(cr.ones(3)), ValueError, r"fliplr: needs at least 2 dims"),
    ("flipud_0d", lambda: cr.flipud(cr.tensor(1.0)), ValueError, r"flipud: needs at least 1 dim"),
    ("kron_type", lambda: cr.kron(A, 2.0), TypeError, r"kron: other must be a Tensor"),
    ("tensordot_sizes", lambda: cr.tensordot(A, A, 1), ValueError,
     r"tensordot: contracted dims \(1,\) of \(2, 3\) and \(0,\) of \(2, 3\) differ in size"),
    ("tensordot_dims", lambda: cr.tensordot(A, A, 3), ValueError,
     r"tensordot: dims=3 for shapes \(2, 3\) and \(2, 3\)"),
    ("inner_sizes", lambda: cr.inner(A, cr.ones(4)), ValueError,
     r"inner: last dims of shapes \(2, 3\) and \(4,\) differ"),
    ("mv_shapes", lambda: cr.mv(A, cr.ones(2)), ValueError,
     r"mv: expects a matrix \(n, m\) and a vector \(m,\), got shapes \(2, 3\) and \(2,\)"),
    ("cross_size", lambda: cr.cross(A, A, dim=0), ValueError,
     r"cross: dim 0 of shape \(2, 3\) must have size 3"),
    ("cross_none", lambda: cr.cross(cr.ones(2), cr.ones(2)), ValueError,
     r"cross: no dim of size 3 in shape \(2,\)"),
    ("cross_ndim", lambda: cr.cross(cr.ones(2, 3), cr.ones(3)), ValueError,
     r"cross: input and other must have the same number of dims"),
    ("dist_shapes", lambda: cr.dist(A, cr.ones(4)), ValueError,
     r"dist: shapes \(2, 3\), \(4,\) cannot be broadcast"),
    ("dist_p", lambda: cr.dist(A, A, "fro"), TypeError, r"dist: p must be a number, got 'fro'"),
    ("cdist_shapes", lambda: cr.cdist(A, cr.ones(2, 4)), ValueError,
     r"cdist: expects x1 \(..., P, M\) and x2 \(..., R, M\), got shapes \(2, 3\) and \(2, 4\)"),
    ("cdist_p", lambda: cr.cdist(A, A, -1), ValueError, r"cdist: p must be non-negative"),
    ("cdist_batch", lambda: cr.cdist(cr.ones(2, 2, 3), cr.ones(3, 2, 3)), ValueError,
     r"cdist: shapes \(2,\), \(3,\) cannot be broadcast"),
    ("block_diag_3d", lambda: cr.block_diag(cr.ones(1, 1, 1)), ValueError,
     r"block_diag: tensors must have at most 2 dims, got shape \(1, 1, 1\)"),
    ("cartesian_prod_2d", lambda: cr.cartesian_prod(A), ValueError,
     r"cartesian_prod: expects one or more 1-d tensors, got shapes \[\(2, 3\)\]"),
    ("atleast_type", lambda: cr.atleast_2d(1.0), TypeError,
     r"atleast_2d: tensors must be a Tensor, got float"),
    ("hstack_shapes", lambda: cr.hstack([A, cr.ones(3, 3)]), ValueError,
     r"hstack: shapes \[\(2, 3\), \(3, 3\)\] differ outside axis 1"),
    ("vstack_shapes", lambda: cr.vstack([A, cr.ones(4)]), ValueError, r"vstack: shapes"),
    ("broadcast_tensors", lambda: cr.broadcast_tensors(A, cr.ones(4)), ValueError,
     r"broadcast_tensors: shapes \(2, 3\), \(4,\) cannot be broadcast"),
    ("broadcast_shapes_type", lambda: cr.broadcast_shapes((2, "a")), TypeError,
     r"broadcast_shapes: shapes must be ints"),
    ("trapezoid_both", lambda: cr.trapezoid(A, A, dx=1.0), TypeError,
     r"trapezoid: give x or dx, not both"),
    ("trapezoid_points", lambda: cr.trapezoid(A, cr.ones(2)), ValueError,
     r"trapezoid: x has 2 points, y has 3 along dim 1"),
    ("trapezoid_0d", lambda: cr.trapezoid(cr.tensor(1.0)), ValueError,
     r"trapezoid: y must have at least 1 dim"),
    ("trapezoid_dim", lambda: cr.trapezoid(A, dim=2), ValueError, r"trapezoid: axis 2 is out of"),
    ("nansum_dim", lambda: cr.nansum(A, 2), ValueError, r"sum: axis 2 is out of range"),
    ("nanmean_int", lambda: cr.nanmean(I), TypeError,
     r"nanmean: expects a floating-point tensor, got dtype int64"),
    ("aminmax_empty", lambda: cr.aminmax(cr.ones(0, 2), dim=0), ValueError,
     r"aminmax: cannot reduce an empty tensor \(shape \(0, 2\)\) over dim 0"),
    ("aminmax_dim", lambda: cr.aminmax(A, dim=(0, 1)), TypeError, r"aminmax: dim must be an int"),
    ("sum_to_size", lambda: A.sum_to_size(2), ValueError,
     r"sum_to_size: size \(2,\) is not expandable to the tensor's shape \(2, 3\)"),
    ("count_nonzero_dim", lambda: cr.count_nonzero(A, 3), ValueError,
     r"count_nonzero: axis 3 is out of range"),
    ("bincount_2d", lambda: cr.bincount(cr.ones(2, 2)), ValueError,
     r"bincount: input must be a 1-d integer tensor, got shape \(2, 2\) and dtype float32"),
    ("bincount_negative", lambda: cr.bincount(cr.tensor([1, -2])), ValueError,
     r"bincount: input must be non-negative, got -2"),
    ("bincount_weights", lambda: cr.bincount(I, cr.ones(2)), ValueError,
     r"bincount: weights of shape \(2,\) for input of shape \(3,\)"),
    ("bincount_minlength", lambda: cr.bincount(I, minlength=-1), ValueError,
     r"bincount: minlength must be a non-negative int, got -1"),
    ("histc_int", lambda: cr.histc(I), TypeError, r"histc: expects a floating-point tensor"),
    ("histc_bins", lambda: cr.histc(A, 0), ValueError, r"histc: bins must be a positive int"),
    ("histc_range", lambda: cr.histc(A, 3, 2, 1), ValueError, r"histc: min \(2\) must not exceed"),
    ("searchsorted_shapes", lambda: cr.searchsorted(A, cr.ones(3, 1)), ValueError,
     r"searchsorted: sorted_sequence of shape \(2, 3\) must be 1-d or match input's leading"),
    ("searchsorted_side", lambda: cr.searchsorted(I, I, side="up"), ValueError,
     r"searchsorted: side must be 'left' or 'right', got 'up'"),
    ("searchsorted_contradict", lambda: cr.searchsorted(I, I, side="left", right=True),
     ValueError, r"searchsorted: side='left' and right=True contradict"),
    ("searchsorted_sorter", lambda: cr.searchsorted(I, I, sorter=cr.tensor([0, 1])), ValueError,
     r"searchsorted: sorter must be an integer tensor of shape \(3,\)"),
    ("bucketize_2d", lambda: cr.bucketize(I, A), ValueError,
     r"bucketize: boundaries must be 1-d, got shape \(2, 3\)"),
    ("tril_indices_negative", lambda: cr.tril_indices(-1, 2), ValueError,
     r"tril_indices: row and col must be non-negative, got -1 and 2"),
    ("triu_indices_type", lambda: cr.triu_indices(2.0, 2), TypeError,
     r"triu_indices: row must be an int, got 2.0"),
    ("vander_2d", lambda: cr.vander(A), ValueError, r"vander: x must be 1-d, got shape \(2, 3\)"),
    ("vander_N", lambda: cr.vander(I, -1), ValueError, r"vander: N must be a non-negative int"),
    ("clamp_min_shapes", lambda: cr.clamp_min(A, cr.ones(4)), ValueError,
     r"clamp_min: shapes \(2, 3\), \(4,\) cannot be broadcast"),
    ("clamp_max_type", lambda: cr.clamp_max([1.0], 0.0), TypeError,
     r"clamp_max: input must be a Tensor"),
    ("logical_xor_shapes", lambda: cr.logical_xor(A, cr.ones(4)), ValueError,
     r"logical_xor: shapes \(2, 3\) and \(4,\)"),
    ("reciprocal_type", lambda: cr.reciprocal(2.0), TypeError,
     r"reciprocal: input must be a Tensor"),
]  # fmt: skip


@pytest.mark.parametrize("call, exc, match", [pytest.param(c, e, m, id=i) for i, c, e, m in BAD])
def test_bad_input_raises_a_named_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
