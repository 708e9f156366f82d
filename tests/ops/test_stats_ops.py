"""chainrule/ops/stats.py beyond gradients: values and dtypes against PyTorch on edge cases
(NaN, empty, 0-d, negative dims, integer inputs, every interpolation), the dtype queries,
the Tensor-only methods and properties, and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import stats

torch = pytest.importorskip("torch")

NAN = float("nan")
X = np.arange(24, dtype=np.float64).reshape(2, 3, 4) % 7 - 3.0
R = np.random.default_rng(0).standard_normal((3, 5))
NANS = np.array([[1.0, NAN, 3.0, 2.0], [NAN, NAN, NAN, NAN], [4.0, -1.0, NAN, 0.5]])


def _to(lib, a):
    return lib.tensor(a) if isinstance(a, (np.ndarray, list)) else a


def _q(L, x, values):
    return L.tensor(values, dtype=x.dtype)


# (id, fn(lib, *tensors), inputs): run in both libraries, same values, shapes and dtypes
SAME = [
    # std_mean, var_mean
    ("std_mean_all", lambda L, x: L.std_mean(x), [X]),
    ("std_mean_unbiased_positional", lambda L, x: L.std_mean(x, False), [X]),
    ("std_mean_dim_unbiased", lambda L, x: L.std_mean(x, 1, True, True), [X]),
    ("var_mean_dims", lambda L, x: L.var_mean(x, [0, -1], correction=0, keepdim=True), [X]),
    ("var_mean_float32", lambda L, x: L.var_mean(x.float(), -1), [X]),
    ("var_mean_one_element", lambda L, x: L.var_mean(x, 0), [np.ones((1, 2))]),
    # quantile, nanquantile
    *[(f"quantile_{m}", lambda L, x, m=m: L.quantile(x, _q(L, x, [0, 0.1, 0.5, 0.55, 1]), 1,
                                                     interpolation=m), [X])
      for m in ("linear", "lower", "higher", "midpoint", "nearest")],
    ("quantile_half_ranks_round_even", lambda L, x: L.quantile(
        x, _q(L, x, [0.125, 0.375, 0.625]), interpolation="nearest"), [np.arange(5.0)]),
    ("quantile_0d_q_tensor", lambda L, x: L.quantile(x, _q(L, x, 0.3), -1, True), [X]),
    ("quantile_0d_input", lambda L, x: L.quantile(x, 0.5, 0, keepdim=True), [np.array(2.0)]),
    ("quantile_nan_slice", lambda L, x: L.quantile(x, 0.5, dim=1), [NANS]),
    ("quantile_nan_all", lambda L, x: L.quantile(x, _q(L, x, [0.2, 0.8])), [NANS]),
    ("quantile_float32", lambda L, x: L.quantile(x.float(), 0.3, 0), [R]),
    ("quantile_keepdim_all", lambda L, x: L.quantile(x, _q(L, x, [0.2, 0.8]), keepdim=True),
     [X]),
    *[(f"nanquantile_{m}", lambda L, x, m=m: L.nanquantile(x, _q(L, x, [0.0, 0.4, 1.0]), 1,
                                                           interpolation=m), [NANS])
      for m in ("linear", "lower", "higher", "midpoint", "nearest")],
    ("nanquantile_all", lambda L, x: L.nanquantile(x, 0.3), [NANS]),
    ("nanquantile_dim0_keepdim", lambda L, x: L.nanquantile(x, 0.5, 0, True), [NANS]),
    # nanmedian
    ("nanmedian_all", lambda L, x: L.nanmedian(x), [NANS]),
    ("nanmedian_all_nan", lambda L, x: L.nanmedian(x), [np.full(3, NAN)]),
    ("nanmedian_empty", lambda L, x: L.nanmedian(x), [np.zeros(0)]),
    ("nanmedian_0d", lambda L, x: tuple(L.nanmedian(x, 0)), [np.array(1.5)]),
    ("nanmedian_dim", lambda L, x: tuple(L.nanmedian(x, 1)), [NANS[[0, 2]]]),
    ("nanmedian_dim_all_nan", lambda L, x: L.nanmedian(x, 1).values, [NANS]),
    ("nanmedian_dim_keepdim", lambda L, x: tuple(L.nanmedian(x, -2, keepdim=True)), [NANS]),
    ("nanmedian_int", lambda L, x: tuple(L.nanmedian(x, 0)), [np.array([[3, 1], [2, 5], [1, 4]])]),
    # cov, corrcoef
    ("cov_1d", lambda L, x: L.cov(x), [R[0]]),
    ("cov_2d", lambda L, x: L.cov(x), [R]),
    ("cov_int", lambda L, x: L.cov(x), [np.array([[1, 2, 4], [3, 1, 0]])]),
    ("cov_one_variable", lambda L, x: L.cov(x), [R[:1]]),
    ("cov_float32_weights", lambda L, x: L.cov(x.float(), fweights=L.tensor([1, 0, 2, 3, 1]),
                                               aweights=L.tensor([0.5, 1, 2, 1, 0.1])), [R]),
    ("cov_aweights_correction0", lambda L, x: L.cov(x, correction=0,
                                                    aweights=L.tensor([0.5, 1, 2, 1, 0.1],
                                                                      dtype=L.float64)), [R]),
    ("corrcoef", lambda L, x: L.corrcoef(x), [R]),
    ("corrcoef_1d", lambda L, x: L.corrcoef(x), [R[0]]),
    ("corrcoef_constant_row", lambda L, x: L.corrcoef(x), [np.array([[1.0, 1, 1], [1, 2, 4]])]),
    # creation
    ("logspace", lambda L: L.logspace(0, 2, 5), []),
    ("logspace_base2_float64", lambda L: L.logspace(-1, 3.5, 7, 2, dtype=L.float64), []),
    ("logspace_int", lambda L: L.logspace(0, 2, 5, dtype=L.int64), []),
    ("logspace_one_and_none", lambda L: (L.logspace(3, 9, 1), L.logspace(0, 1, 0)), []),
    ("clone", lambda L, x: L.clone(x), [X]),
    # writes
    ("scatter_value", lambda L, x: L.scatter(x, 1, L.tensor([[0], [2]]), 7.0), [X[0, :2]]),
    ("scatter_add", lambda L, x: L.scatter(x, 0, L.tensor([[1, 1, 0]]), x[:1] + 1,
                                           reduce="add"), [X[0]]),
    ("index_put_mask", lambda L, x: L.index_put(x, (x > 0,), L.tensor(9.0, dtype=x.dtype)),
     [X]),
    ("index_put_int", lambda L, x: x.index_put((L.tensor([0, 1]), L.tensor([1, 1])),
                                               L.tensor([5, 6]), True),
     [np.arange(6).reshape(2, 3)]),
    *[(f"index_reduce_{r}_{s}", lambda L, x, r=r, s=s: L.index_reduce(
        x, 1, L.tensor([0, 2, 0]), x[:, :3] * 2 - 1, r, include_self=s), [X])
      for r in ("prod", "mean", "amax", "amin") for s in (True, False)],
    ("index_reduce_int_mean", lambda L, x: x.index_reduce(0, L.tensor([1, 1]), x * 3, "mean"),
     [np.array([[1, 2], [5, 7]])]),
    ("index_reduce_0d", lambda L, x: x.index_reduce(0, L.tensor([0]), x * 2, "prod"),
     [np.array(3.0)]),
    ("select_scatter_neg", lambda L, x: L.select_scatter(x, x[:, -1] * 0 + 5, 1, -1), [X]),
    ("slice_scatter_step", lambda L, x: L.slice_scatter(x, x[..., ::3] + 1, -1, None, None, 3),
     [X]),
    ("slice_scatter_empty", lambda L, x: L.slice_scatter(x, x[3:], 0, 3), [X[0]]),
    ("diagonal_scatter_offset", lambda L, x: L.diagonal_scatter(x, x.diagonal(2) + 1, 2), [X[0]]),
    ("diagonal_scatter_dims", lambda L, x: L.diagonal_scatter(x, x.diagonal(-1, -1, 0) * 0, -1,
                                                              -1, 0), [X]),
    ("diag_embed", lambda L, x: L.diag_embed(x), [X]),
    ("diag_embed_int_offset", lambda L, x: x.diag_embed(-1, 0, -1), [np.arange(6).reshape(2, 3)]),
    ("diagflat_2d_offset", lambda L, x: L.diagflat(x, 2), [X[0, :2]]),
    ("diagflat_0d", lambda L, x: L.diagflat(x), [np.array(4.0)]),
    # splits
    ("split_with_sizes", lambda L, x: L.split_with_sizes(x, [1, 0, 3], -1), [X]),
    ("hsplit_1d", lambda L, x: L.hsplit(x, 2), [np.arange(6.0)]),
    ("hsplit_indices", lambda L, x: L.hsplit(x, [1, 10]), [X]),
    ("vsplit", lambda L, x: x.vsplit(2), [X]),
    ("dsplit", lambda L, x: L.dsplit(x, [1, 3]), [X]),
    # integer results
    ("unique_consecutive", lambda L, x: L.unique_consecutive(x, True, True),
     [np.array([[1, 1, 2], [2, 3, 3]])]),
    ("unique_consecutive_plain", lambda L, x: x.unique_consecutive(), [np.array([1.0, 1.0, 2])]),
    ("unique_consecutive_nan", lambda L, x: L.unique_consecutive(x, return_counts=True),
     [np.array([NAN, NAN, 1.0, 1.0])]),
    ("unique_consecutive_dim0", lambda L, x: L.unique_consecutive(x, True, True, dim=0),
     [np.array([[1, 2], [1, 2], [0, 2], [1, 2]])]),
    ("unique_consecutive_dim1", lambda L, x: L.unique_consecutive(x, True, True, dim=1),
     [np.array([[1, 1, 2], [3, 3, 3]])]),
    ("unique_consecutive_empty", lambda L, x: L.unique_consecutive(x, True, True),
     [np.zeros(0)]),
    ("histogram", lambda L, x: tuple(L.histogram(x, 4)), [X]),
    ("histogram_float32_range", lambda L, x: tuple(L.histogram(x.float(), 5, range=(-1., 2.))),
     [R]),
    ("histogram_edges_weight_density", lambda L, x: tuple(L.histogram(
        x, L.tensor([-3.0, -1, 0, 2.5, 4], dtype=x.dtype), weight=x * 0 + 2, density=True)), [X]),
    ("histogram_constant", lambda L, x: tuple(x.histogram(3)), [np.full(4, 2.0)]),
    ("histogram_empty", lambda L, x: tuple(L.histogram(x, 2)), [np.zeros(0)]),
    ("unravel_index", lambda L, i: L.unravel_index(i, (2, 3, 4)), [np.array([0, 5, 23, 13])]),
    ("unravel_index_wraps", lambda L, i: L.unravel_index(i, (2, 3)), [np.array([[7, -1], [6, 2]])]),
    ("unravel_index_0d_int_shape", lambda L, i: L.unravel_index(i, 4), [np.array(3)]),
    # methods that are functions too
    ("swapdims", lambda L, x: L.swapdims(x, 0, -1), [X]),
    ("swapdims_method", lambda L, x: x.swapdims(1, 1), [X]),
    ("adjoint", lambda L, x: L.adjoint(x), [X]),
    ("narrow_copy_neg", lambda L, x: L.narrow_copy(x, -1, -3, 2), [X]),
    ("hardshrink", lambda L, x: L.hardshrink(x, 1.0), [np.array([-2, -1.0, 0.5, 1, 1.5, NAN])]),
    ("hardshrink_method", lambda L, x: x.float().hardshrink(), [X / 4]),
    ("prelu", lambda L, x: L.prelu(x, L.tensor([0.1, -2, 0.5], dtype=x.dtype)), [X]),
]  # fmt: skip


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [v for o in out for v in _flat(o)]
    return [out]


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
@pytest.mark.parametrize("fn, inputs", [pytest.param(f, a, id=i) for i, f, a in SAME])
def test_values_and_dtypes_match_torch(fn, inputs):
    got = _flat(fn(cr, *[_to(cr, a) for a in inputs]))
    want = _flat(fn(torch, *[_to(torch, a) for a in inputs]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == str(w.dtype).replace("torch.", ""), (g.dtype, w.dtype)
        tol = 1e-6 if g.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=tol, atol=tol)


def test_results_are_named_tuples_and_queries_have_no_history():
    x = cr.tensor(NANS, requires_grad=True)
    m = cr.nanmedian(x, 1)
    assert m.values is m[0] and m.indices is m[1] and "nanmedian" in repr(m)
    h = cr.histogram(cr.tensor(X), 2)
    assert h.hist is h[0] and h.bin_edges is h[1]
    for t in (m.indices, h.hist, *cr.unravel_index(cr.tensor([3]), (2, 2)),
              *cr.unique_consecutive(x, return_inverse=True)):
        assert not t.requires_grad
    std, mean = cr.std_mean(x)
    assert isinstance(cr.std_mean(x), tuple) and std.requires_grad and mean.requires_grad


def test_tensor_only_names_are_pytorch_tensor_attributes():
    for name in stats.TENSOR_ONLY + stats.TENSOR_PROPERTIES:
        assert hasattr(torch.Tensor, name), name


def test_index_reduce_in_place_changes_the_tensor():
    x, tx = cr.tensor(X[0]), torch.tensor(X[0])
    for t in (x, tx):
        assert t.index_reduce_(1, _to(type(t) is cr.Tensor and cr or torch, [3, 0]),
                               t[:, :2] + 10, "amax") is t
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a", DTYPES)
def test_promote_types_and_can_cast_match_torch(a):
    for b in DTYPES:
        got = cr.promote_types(getattr(cr, a), getattr(cr, b))
        assert str(got) == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]
        assert cr.can_cast(getattr(cr, a), b) == torch.can_cast(getattr(torch, a),
                                                                getattr(torch, b)), (a, b)


OPERANDS = [np.array([1, 2], np.int32), np.array(1, np.int64), np.array([1], np.uint8),
            np.array(2.0, np.float64), np.array([1.0], np.float16), np.array([True]),
            np.array(False), 1, -1.5, True]


@pytest.mark.parametrize("a", range(len(OPERANDS)))
def test_result_type_matches_torch(a):
    for b in OPERANDS:
        if not (isinstance(OPERANDS[a], np.ndarray) or isinstance(b, np.ndarray)):
            continue  # torch needs a tensor among the two
        got = cr.result_type(_to(cr, OPERANDS[a]), _to(cr, b))
        want = torch.result_type(_to(torch, OPERANDS[a]), _to(torch, b))
        assert str(got) == str(want)[6:], (OPERANDS[a], b)


def test_small_queries_match_torch():
    for a in (np.array([0.0]), np.array(2), np.array([[True]])):
        assert cr.is_nonzero(cr.tensor(a)) == torch.is_nonzero(torch.tensor(a))
    for a in (np.zeros(2, np.uint8), np.zeros(2, np.int8), np.array(True), X):
        assert cr.tensor(a).is_signed() == torch.tensor(a).is_signed()
    assert cr.is_same_size(cr.ones(2, 3), cr.zeros(2, 3)) and not cr.ones(2).is_same_size(
        cr.ones(1, 2))
    assert cr.ones(2).is_inference() is False


def test_empty_like_has_the_shape_dtype_and_flags():
    x = cr.tensor(X.astype(np.float32))
    y = cr.empty_like(x)
    assert y.shape == x.shape and y.dtype == np.float32 and not y.requires_grad
    z = cr.empty_like(x, dtype=cr.int64, requires_grad=False)
    assert z.dtype == np.int64
    assert cr.empty_like(x, requires_grad=True).requires_grad


def test_tensor_only_methods_and_properties_match_torch():
    for a in (X, X.astype(np.float16), np.arange(5)):
        x, t = cr.tensor(a), torch.tensor(a)
        assert stats.itemsize(x) == t.itemsize and stats.nbytes(x) == t.nbytes
        assert stats.is_cpu(x) is t.is_cpu and stats.get_device(x) == t.get_device() == -1
    x, t = cr.tensor(X), torch.tensor(X)
    for f in (lambda v: v[1, 1:], lambda v: v[:, 2], lambda v: v, lambda v: v[1:].select(1, 2),
              lambda v: v * 1):
        assert stats.storage_offset(f(x)) == f(t).storage_offset()
    m, tm = cr.tensor(X[0]), torch.tensor(X[0])
    np.testing.assert_array_equal(stats.H(m).numpy(), tm.H.numpy())
    np.testing.assert_array_equal(stats.mH(x).numpy(), t.mH.numpy())
    w = cr.ones(2, requires_grad=True)
    y, z = w * 2, w * 3
    y.retain_grad()
    assert stats.retains_grad(y) and not stats.retains_grad(z) and not stats.retains_grad(w)


def test_hsplit_and_narrow_copy_differ_from_views_as_torch():
    x = cr.tensor(X)
    c = cr.narrow_copy(x, 0, 0, 1)
    c.add_(100.0)
    assert x.numpy()[0, 0, 0] == X[0, 0, 0]
    parts = cr.hsplit(x, 3)
    assert [p.shape for p in parts] == [(2, 1, 4)] * 3


def test_quantile_gradient_goes_where_torch_sends_it_at_ties():
    a = np.array([[1.0, 2.0, 2.0, 5.0], [0.5, 0.5, 0.5, 0.5]])
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    cr.quantile(x, 0.5, dim=1).sum().backward()
    torch.quantile(t, 0.5, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(1), t.grad.numpy().sum(1))


A = cr.ones(2, 3)
I = cr.tensor([0, 2, 1])

# (id, call, exception type, regex the message must match)
BAD = [
    ("std_mean_int", lambda: cr.std_mean(cr.tensor([1, 2])), TypeError,
     r"std_mean: expects a floating-point tensor, got dtype int64"),
    ("var_mean_dim", lambda: cr.var_mean(A, 2), ValueError, r"var: axis 2 is out of range"),
    ("quantile_int", lambda: cr.quantile(cr.tensor([1, 2]), 0.5), TypeError,
     r"quantile: input must be a floating-point tensor, got dtype int64"),
    ("quantile_q_range", lambda: cr.quantile(A, 1.5), ValueError,
     r"quantile: q values must be in \[0, 1\], got 1.5"),
    ("quantile_q_dtype", lambda: cr.quantile(A, cr.tensor([0.5], dtype=cr.float64)), TypeError,
     r"quantile: q must have the input's dtype float32, got float64"),
    ("quantile_q_2d", lambda: cr.quantile(A, cr.ones(1, 1) / 2), ValueError,
     r"quantile: q must be a number or a 0-d or 1-d tensor, got shape \(1, 1\)"),
    ("quantile_q_type", lambda: cr.quantile(A, "0.5"), TypeError,
     r"quantile: q must be a number or a tensor, got str"),
    ("quantile_interp", lambda: cr.quantile(A, 0.5, interpolation="cubic"), ValueError,
     r"quantile: interpolation must be one of linear, lower.*got 'cubic'"),
    ("quantile_empty", lambda: cr.quantile(cr.ones(0), 0.5), ValueError,
     r"quantile: input must be non-empty, got shape \(0,\)"),
    ("nanquantile_dim", lambda: cr.nanquantile(A, 0.5, dim=5), ValueError,
     r"nanquantile: axis 5 is out of range"),
    ("nanquantile_dim_type", lambda: cr.nanquantile(A, 0.5, dim=(0, 1)), TypeError,
     r"nanquantile: dim must be an int"),
    ("nanmedian_empty_dim", lambda: cr.nanmedian(cr.ones(2, 0), 1), IndexError,
     r"nanmedian: cannot reduce dim 1 of length 0 \(shape \(2, 0\)\)"),
    ("cov_3d", lambda: cr.cov(cr.ones(2, 2, 2)), ValueError,
     r"cov: expects a 0-d, 1-d or 2-d input, got shape \(2, 2, 2\)"),
    ("cov_correction", lambda: cr.cov(A, correction=0.5), TypeError,
     r"cov: correction must be an int, got 0.5"),
    ("cov_fweights_float", lambda: cr.cov(A, fweights=cr.ones(3)), TypeError,
     r"cov: fweights must be an integer tensor, got dtype float32"),
    ("cov_aweights_int", lambda: cr.cov(A, aweights=cr.tensor([1, 1, 1])), TypeError,
     r"cov: aweights must be a floating-point tensor, got dtype int64"),
    ("cov_fweights_len", lambda: cr.cov(A, fweights=cr.tensor([1, 1])), ValueError,
     r"cov: fweights must be 0-d or 1-d with one weight per observation \(3\), got shape \(2,\)"),
    ("cov_aweights_negative", lambda: cr.cov(A, aweights=cr.tensor([1.0, -1, 1])), ValueError,
     r"cov: aweights cannot be negative"),
    ("corrcoef_type", lambda: cr.corrcoef([[1.0]]), TypeError,
     r"corrcoef: input must be a Tensor"),
    ("logspace_steps", lambda: cr.logspace(0, 1, -1), ValueError,
     r"logspace: steps must be non-negative, got -1"),
    ("logspace_steps_type", lambda: cr.logspace(0, 1, 2.0), TypeError,
     r"logspace: steps must be an int, got float"),
    ("logspace_start", lambda: cr.logspace("0", 1, 2), TypeError,
     r"logspace: start must be a number, got str"),
    ("logspace_dtype", lambda: cr.logspace(0, 1, 2, dtype="floaty"), TypeError,
     r"logspace: unknown dtype 'floaty'"),
    ("empty_like_type", lambda: cr.empty_like([1.0]), TypeError,
     r"empty_like: input must be a Tensor"),
    ("clone_type", lambda: cr.clone(np.ones(2)), TypeError, r"clone: input must be a Tensor"),
    ("scatter_no_src", lambda: cr.scatter(A, 0, I[None]), TypeError,
     r"scatter: give src \(a tensor or a number\) or value="),
    ("scatter_index_dtype", lambda: cr.scatter(A, 0, A, 1.0), TypeError,
     r"scatter_: index must be an integer tensor, got dtype float32"),
    ("index_put_indices", lambda: cr.index_put(A, I, 1.0), TypeError,
     r"index_put: indices must be a tuple of index tensors, got Tensor"),
    ("index_reduce_sum", lambda: cr.index_reduce(A, 0, I, A, "sum"), ValueError,
     r"index_reduce: reduce must be one of prod, mean, amax, amin; got 'sum'"),
    ("index_reduce_range", lambda: A.index_reduce(0, cr.tensor([0, 2]), A, "amax"), IndexError,
     r"index_reduce: index 2 is out of range for dim 0 of size 2"),
    ("index_reduce_source", lambda: A.index_reduce(1, I, cr.ones(2, 2), "prod"), ValueError,
     r"index_reduce: source of shape \(2, 2\) does not fit input of shape \(2, 3\)"),
    ("index_reduce_index_dtype", lambda: A.index_reduce(1, A[0], A, "prod"), TypeError,
     r"index_reduce: index must be an integer tensor, got dtype float32"),
    ("select_scatter_shape", lambda: cr.select_scatter(A, cr.ones(3), 1, 0), ValueError,
     r"select_scatter: src of shape \(3,\) does not fit index 0 of dim 1 of input of shape "
     r"\(2, 3\) \(expected \(2,\)\)"),
    ("select_scatter_index", lambda: cr.select_scatter(A, cr.ones(3), 0, 2), IndexError,
     r"select_scatter: index 2 is out of range for dim 0 of size 2"),
    ("select_scatter_0d", lambda: cr.select_scatter(cr.tensor(1.0), cr.tensor(1.0), 0, 0),
     ValueError, r"select_scatter: input must have at least 1 dim"),
    ("slice_scatter_step", lambda: cr.slice_scatter(A, A, 1, step=0), ValueError,
     r"slice_scatter: step must be positive, got 0"),
    ("slice_scatter_shape", lambda: cr.slice_scatter(A, A, 1, 1), ValueError,
     r"slice_scatter: src of shape \(2, 3\) does not fit slice 1:None:1 of dim 1"),
    ("slice_scatter_start_type", lambda: cr.slice_scatter(A, A, 1, 0.5), TypeError,
     r"slice_scatter: start must be an int, got 0.5"),
    ("diagonal_scatter_1d", lambda: cr.diagonal_scatter(cr.ones(3), cr.ones(3)), ValueError,
     r"diagonal_scatter: input needs at least 2 dims, got shape \(3,\)"),
    ("diagonal_scatter_same_dims", lambda: cr.diagonal_scatter(A, A[0], 0, 1, -1), ValueError,
     r"diagonal_scatter: repeated axis in \(1, -1\)"),
    ("diagonal_scatter_src", lambda: cr.diagonal_scatter(A, cr.ones(3)), ValueError,
     r"diagonal_scatter: src of shape \(3,\) does not fit diagonal 0 of dims \(0, 1\) of "
     r"input of shape \(2, 3\) \(expected \(2,\)\)"),
    ("diag_embed_0d", lambda: cr.diag_embed(cr.tensor(1.0)), ValueError,
     r"diag_embed: input must have at least 1 dim"),
    ("diag_embed_dims", lambda: cr.diag_embed(A, 0, 3, 1), ValueError,
     r"diag_embed: axis 3 is out of range for a tensor with 3 dimensions"),
    ("diagflat_offset", lambda: cr.diagflat(A, 1.5), TypeError,
     r"diagflat: offset must be an int, got 1.5"),
    ("split_with_sizes_sum", lambda: cr.split_with_sizes(A, [1, 1], 1), ValueError,
     r"split_with_sizes: sizes \[1, 1\] must be non-negative and add up to 3"),
    ("split_with_sizes_0d", lambda: cr.split_with_sizes(cr.tensor(1.0), [1]), ValueError,
     r"split_with_sizes: a 0-d tensor has no dim to split"),
    ("hsplit_0d", lambda: cr.hsplit(cr.tensor(1.0), 1), ValueError,
     r"hsplit: needs a tensor of at least 1 dims, got shape \(\)"),
    ("hsplit_divisible", lambda: cr.hsplit(A, 2), ValueError,
     r"hsplit: dim 1 of size 3 cannot be split into 2 equal sections"),
    ("vsplit_1d", lambda: cr.vsplit(cr.ones(4), 2), ValueError,
     r"vsplit: needs a tensor of at least 2 dims, got shape \(4,\)"),
    ("dsplit_type", lambda: cr.dsplit(cr.ones(1, 1, 2), 1.0), TypeError,
     r"dsplit: indices_or_sections must be an int or a sequence of ints"),
    ("unique_consecutive_dim", lambda: cr.unique_consecutive(A, dim=2), ValueError,
     r"unique_consecutive: axis 2 is out of range"),
    ("promote_types_none", lambda: cr.promote_types(None, cr.float32), TypeError,
     r"promote_types: type1 must be a dtype, got None"),
    ("can_cast_name", lambda: cr.can_cast("floaty", cr.float32), TypeError,
     r"can_cast: unknown dtype 'floaty'"),
    ("result_type_str", lambda: cr.result_type(A, "x"), TypeError,
     r"result_type: operands must be tensors or numbers, got str"),
    ("is_nonzero_many", lambda: cr.is_nonzero(A), ValueError,
     r"is_nonzero: expects a tensor with exactly one element, got shape \(2, 3\)"),
    ("is_same_size_type", lambda: cr.is_same_size(A, (2, 3)), TypeError,
     r"is_same_size: other must be a Tensor"),
    ("histogram_int", lambda: cr.histogram(cr.tensor([1, 2])), TypeError,
     r"histogram: input must be a floating-point tensor, got dtype int64"),
    ("histogram_bins", lambda: cr.histogram(A, 0), ValueError,
     r"histogram: bins must be a positive int, got 0"),
    ("histogram_bins_type", lambda: cr.histogram(A, 2.5), TypeError,
     r"histogram: bins must be an int or a 1-d tensor, got 2.5"),
    ("histogram_edges", lambda: cr.histogram(A, cr.tensor([1.0, 0.0])), ValueError,
     r"histogram: bin edges must increase"),
    ("histogram_range", lambda: cr.histogram(A, 2, range=(1.0, 0.0)), ValueError,
     r"histogram: range must be finite with min <= max, got \(1.0, 0.0\)"),
    ("histogram_nan", lambda: cr.histogram(cr.tensor([NAN, 1.0])), ValueError,
     r"histogram: the data's range \[nan, nan\] is not finite; give range="),
    ("histogram_weight", lambda: cr.histogram(A, 2, weight=cr.ones(3)), ValueError,
     r"histogram: weight of shape \(3,\) for input of shape \(2, 3\)"),
    ("unravel_index_float", lambda: cr.unravel_index(A, (2, 3)), TypeError,
     r"unravel_index: indices must be integers, got dtype float32"),
    ("unravel_index_negative_shape", lambda: cr.unravel_index(I, (2, -3)), ValueError,
     r"unravel_index: shape cannot have negative sizes, got \(2, -3\)"),
    ("unravel_index_empty_shape", lambda: cr.unravel_index(I, (2, 0)), ValueError,
     r"unravel_index: no index fits in shape \(2, 0\)"),
    ("swapdims_range", lambda: cr.swapdims(A, 0, 2), ValueError,
     r"swapdims: axis 2 is out of range"),
    ("adjoint_1d", lambda: cr.adjoint(cr.ones(3)), ValueError,
     r"adjoint: expects a matrix or a batch of matrices, got shape \(3,\)"),
    ("narrow_copy_type", lambda: cr.narrow_copy([1.0], 0, 0, 1), TypeError,
     r"narrow_copy: input must be a Tensor"),
    ("hardshrink_lambd", lambda: cr.hardshrink(A, "0.5"), TypeError,
     r"hardshrink: lambd must be a number"),
    ("prelu_weights", lambda: cr.prelu(A, cr.ones(2)), ValueError,
     r"prelu: 2 weights for input of shape \(2, 3\)"),
    ("H_3d", lambda: stats.H(cr.ones(1, 2, 3)), ValueError,
     r"H: only supported on matrices \(2-d tensors\), got shape \(1, 2, 3\)"),
]  # fmt: skip


@pytest.mark.parametrize("call, exc, match", [pytest.param(c, e, m, id=i) for i, c, e, m in BAD])
def test_bad_input_raises_a_named_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
