"""What the gradient table cannot show: values at kinks and ties, indexing rules,
numerical stability, ops without gradients, and the errors ops raise for bad input."""

import numpy as np
import pytest

import chainrule as cr


def f64(data, requires_grad=True):
    return cr.tensor(np.asarray(data, np.float64), requires_grad=requires_grad)


def grad_of(fn, x):
    (g,) = cr.grad(fn(x).sum(), x)
    return g.numpy()


# -- gradients at kinks and ties (PyTorch's choices) --------------------------------------


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = f64([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(grad_of(cr.relu, x), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad_of(cr.abs, x), [-1.0, 0.0, 1.0])


def test_clip_gradient_at_bounds_passes():
    x = f64([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(-1.0, 1.0), x), [0, 1, 1, 1, 0])


def test_maximum_minimum_ties_split_gradient():
    a, b = f64([1.0, 2.0, 3.0]), f64([1.0, 1.0, 4.0])
    ga, gb = cr.grad(cr.maximum(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gb.numpy(), [0.5, 0.0, 1.0])
    ga, gb = cr.grad(cr.minimum(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [0.5, 0.0, 1.0])


def test_max_reduction_ties_share_gradient_like_torch_amax():
    x = f64([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(grad_of(lambda t: t.amax(axis=1), x),
                                  [[0, 0.5, 0.5], [1, 0, 0]])
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), x), [[0, 0.5, 0.5], [0, 0, 0]])


def test_prod_gradient_with_zeros():
    x = f64([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]])
    np.testing.assert_allclose(grad_of(lambda t: t.prod(axis=1), x),
                               [[0, 6, 0], [0, 0, 0], [8, 4, 2]])
    torch = pytest.importorskip("torch")
    t = torch.tensor(x.numpy(), requires_grad=True)
    t.prod(dim=1).sum().backward()
    np.testing.assert_allclose(grad_of(lambda t: t.prod(axis=1), x), t.grad.numpy())


def test_where_gradient_goes_to_the_chosen_side():
    a, b = f64([1.0, 2.0, 3.0]), f64([4.0, 5.0, 6.0])
    ga, gb = cr.grad(cr.where(cr.tensor([True, False, True]), a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [1, 0, 1])
    np.testing.assert_array_equal(gb.numpy(), [0, 1, 0])


def test_where_with_scalar_and_larger_condition():
    a = f64([1.0, 2.0])
    cond = np.array([[True, False], [False, True]])
    y = cr.where(cond, a, 0.0)
    assert y.shape == (2, 2)
    np.testing.assert_array_equal(grad_of(lambda t: cr.where(cond, t, 0.0), a), [1.0, 1.0])


# -- indexing -------------------------------------------------------------------------------


def test_getitem_repeated_indices_accumulate():
    x = f64([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad_of(lambda t: t[[0, 0, 2, 0]], x), [3, 0, 1])
    m = f64(np.zeros((2, 3)))
    np.testing.assert_array_equal(grad_of(lambda t: t[[1, 1], [2, 2]], m), [[0, 0, 0], [0, 0, 2]])


def test_getitem_boolean_mask_and_tensor_mask():
    x = f64([[1.0, -2.0], [-3.0, 4.0]])
    mask = x > 0
    assert x[mask].tolist() == [1.0, 4.0]
    np.testing.assert_array_equal(grad_of(lambda t: t[mask] * 2.0, x), [[2, 0], [0, 2]])


def test_getitem_values_match_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(a)
    for idx in [1, -1, (1, 2), slice(None, None, -1), (Ellipsis, 1), (None, 0),
                (slice(None), [2, 0]), ([1, 0], slice(1, 3)), (0, None, Ellipsis, 3)]:
        np.testing.assert_array_equal(x[idx].numpy(), a[idx])


def test_getitem_out_of_range():
    with pytest.raises(IndexError, match=r"getitem: .*\(2, 3\)"):
        cr.ones(2, 3)[5]


# -- numerical stability ------------------------------------------------------------------


def test_softmax_log_softmax_logsumexp_are_stable():
    x = cr.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    s = cr.softmax(x)
    assert np.isfinite(s.numpy()).all()
    np.testing.assert_allclose(s.numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)
    ls = cr.log_softmax(x)
    assert np.isfinite(ls.numpy()).all()
    np.testing.assert_allclose(ls.numpy()[1], np.log([1 / 3] * 3), rtol=1e-6)
    lse = cr.logsumexp(x, axis=1)
    np.testing.assert_allclose(lse.numpy(), [1001.0 + np.log1p(np.exp(-1) + np.exp(-2)),
                                             -1000.0 + np.log(3)], rtol=1e-6)


def test_log_softmax_gradient_stable_for_large_logits():
    x = f64([[1e4, 0.0, -1e4]])
    g = grad_of(lambda t: cr.log_softmax(t)[:, 0], x)
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0]], atol=1e-12)


def test_sigmoid_does_not_overflow():
    x = cr.tensor([-1000.0, 0.0, 1000.0])
    with np.errstate(all="raise"):
        y = cr.sigmoid(x)
    np.testing.assert_allclose(y.numpy(), [0.0, 0.5, 1.0])


def test_logsumexp_of_all_minus_inf():
    with np.errstate(divide="ignore"):  # log(0) is the right answer here
        assert cr.logsumexp(cr.tensor([-np.inf, -np.inf])).item() == -np.inf


# -- ops without gradients ------------------------------------------------------------------


def test_argmax_argmin():
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(axis=1).tolist() == [1, 0] and x.argmin(dim=0).tolist() == [0, 1, 0]
    assert x.argmax(axis=1, keepdims=True).shape == (2, 1)
    assert x.argmax().dtype == np.int64 and not x.argmax().requires_grad


def test_one_hot():
    y = cr.one_hot(cr.tensor([0, 2, 1]), 4)
    assert y.dtype == np.int64 and y.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert cr.one_hot(cr.tensor([[1], [2]])).shape == (2, 1, 3)
    with pytest.raises(ValueError, match=r"one_hot: class indices must be in \[0, 2\)"):
        cr.one_hot(cr.tensor([0, 2]), 2)
    with pytest.raises(TypeError, match="one_hot: indices must be integers"):
        cr.one_hot(cr.tensor([0.5]), 2)


def test_sign_any_all_isnan_isfinite():
    x = cr.tensor([-2.0, 0.0, np.nan, np.inf])
    assert cr.isnan(x).tolist() == [False, False, True, False]
    assert cr.isfinite(x).tolist() == [True, True, False, False]
    assert cr.sign(cr.tensor([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert cr.any(x > 0).item() and not cr.all(x > -3).item()


# -- reductions: values, dim= spelling, dtypes --------------------------------------------


def test_reductions_match_numpy():
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = cr.tensor(a)
    # NumPy's var/std are population statistics: PyTorch's correction=0.
    population = {"var": {"correction": 0}, "std": {"correction": 0}}
    for name in ["sum", "mean", "amax", "amin", "var", "std", "prod"]:
        for axis in [None, 0, -1, (0, 2)]:
            for keepdims in [False, True]:
                extra = population.get(name, {})
                got = getattr(x, name)(axis=axis, keepdims=keepdims, **extra).numpy()
                want = getattr(np, name)(a, axis=axis, keepdims=keepdims)
                np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{name} {axis}")


def test_dim_is_accepted_as_axis():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=1).tolist() == [3.0, 12.0]
    assert cr.mean(x, dim=0).tolist() == [1.5, 2.5, 3.5]
    assert cr.softmax(x, dim=0).shape == (2, 3)
    assert cr.concatenate([x, x], dim=1).shape == (2, 6)


def test_var_ddof_and_correction():
    x = cr.tensor([1.0, 2.0, 3.0, 4.0])
    # Unbiased by default, as in PyTorch; correction=0, unbiased=False, ddof=0: population.
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(ddof=0).item() == pytest.approx(1.25)
    assert x.var(correction=0).item() == pytest.approx(1.25)
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert cr.var(x, correction=1).item() == pytest.approx(5 / 3)
    with pytest.warns(UserWarning, match="var: correction=1 leaves no degree of freedom for 1"):
        assert np.isnan(cr.tensor([1.0]).var().item())


def test_sum_of_ints_and_bools():
    assert cr.tensor([1, 2]).sum().dtype == np.int64
    assert cr.tensor([True, True]).sum().item() == 2
    assert cr.tensor([1, 2]).sum(dtype="float64").dtype == np.float64


# -- shape ops: values --------------------------------------------------------------------


def test_split_and_pad_values():
    x = cr.tensor(np.arange(6.0))
    # torch.split: a size per piece; np.split's sections and cut points are
    # chunk and tensor_split.
    assert [p.tolist() for p in cr.split(x, 3)] == [[0, 1, 2], [3, 4, 5]]
    assert [p.tolist() for p in cr.chunk(x, 3)] == [[0, 1], [2, 3], [4, 5]]
    assert [p.shape for p in cr.split(x, [1, 5])] == [(1,), (5,)]
    assert [p.shape for p in cr.tensor_split(x, [1, 4])] == [(1,), (3,), (2,)]
    assert cr.pad(cr.ones(2), 1).tolist() == [0, 1, 1, 0]
    assert cr.pad(cr.ones(1, 1), ((1, 0), (0, 2)), constant_values=5).tolist() == [
        [5, 5, 5], [1, 5, 5]]


def test_shape_helpers():
    x = cr.ones(2, 1, 3)
    assert x.squeeze().shape == (2, 3) and x.unsqueeze(0).shape == (1, 2, 1, 3)
    assert x.flatten().shape == (6,) and cr.flatten(x, 1).shape == (2, 3)
    assert x.T.shape == (3, 1, 2) and x.permute(2, 0, 1).shape == (3, 2, 1)
    assert x.transpose(0, 2).shape == (3, 1, 2)
    assert x.reshape((3, 2)).shape == (3, 2) and x.reshape(-1, 2).shape == (3, 2)
    assert cr.stack([cr.ones(2), cr.zeros(2)], axis=1).tolist() == [[1, 0], [1, 0]]
    assert cr.cat([cr.ones(1), cr.zeros(2)]).tolist() == [1, 0, 0]
    assert cr.broadcast_to(cr.ones(3), (2, 3)).shape == (2, 3)


# -- bad input: each error names the op and the shapes or values ---------------------------


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: cr.ones(2, 3) + cr.ones(4), ValueError,
         r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
        (lambda: cr.ones(2, 3) * cr.ones(2), ValueError, r"mul: shapes \(2, 3\) and \(2,\)"),
        (lambda: cr.ones(2, 3) - cr.ones(3, 2), ValueError, r"sub: shapes"),
        (lambda: cr.ones(2, 3) / cr.ones(4), ValueError, r"div: shapes"),
        (lambda: cr.ones(2) ** cr.ones(3), ValueError, r"pow: shapes"),
        (lambda: cr.maximum(cr.ones(2), cr.ones(3)), ValueError, r"maximum: shapes"),
        (lambda: cr.ones(2) < cr.ones(3), ValueError, r"less: shapes \(2,\) and \(3,\)"),
        (lambda: cr.ones(32, 784) @ cr.ones(128, 10), ValueError,
         r"matmul: shapes \(32, 784\) and \(128, 10\) do not align \(784 != 128\)"),
        (lambda: cr.ones(3) @ cr.ones(4), ValueError, r"matmul: .*\(3 != 4\)"),
        (lambda: cr.ones(2, 2, 3) @ cr.ones(3, 3, 4), ValueError, r"matmul: batch dimensions"),
        (lambda: cr.tensor(2.0) @ cr.ones(2), ValueError, r"matmul: .*at least one dimension"),
        (lambda: cr.einsum("ij,jk->ik", cr.ones(2, 3), cr.ones(4, 5)), ValueError,
         r"einsum: subscript 'j' has size 3 in one operand and 4"),
        (lambda: cr.einsum("ij,jk", cr.ones(2, 3)), ValueError,
         r"einsum: 'ij,jk' names 2 operands but 1"),
        (lambda: cr.einsum("ijk", cr.ones(2, 3)), ValueError, r"einsum: subscripts 'ijk'"),
        (lambda: cr.ones(2, 3).reshape(4, 2), ValueError,
         r"reshape: cannot reshape .*\(2, 3\) \(6 elements\) into shape \(4, 2\)"),
        (lambda: cr.ones(2, 3).reshape(-1, -1), ValueError, r"reshape"),
        (lambda: cr.ones(2, 3).permute(0, 0), ValueError, r"permute: dims \(0, 0\)"),
        (lambda: cr.ones(2, 3).sum(axis=2), ValueError,
         r"sum: axis 2 is out of range for a tensor with 2 dimensions"),
        (lambda: cr.ones(2, 3).mean(axis=(0, 0)), ValueError, r"mean: repeated axis"),
        (lambda: cr.ones(2, 3).max(axis=1.5), TypeError, r"max: axis must be an int"),
        (lambda: cr.ones(0).max(), ValueError, r"max: cannot reduce an empty tensor"),
        (lambda: cr.ones(0).argmax(), ValueError, r"argmax: cannot reduce an empty tensor"),
        (lambda: cr.softmax(cr.ones(2, 3), axis=2), ValueError, r"softmax: axis 2"),
        (lambda: cr.ones(2, 3).squeeze(0), ValueError,
         r"squeeze: cannot remove axis 0 of length 2 .*\(2, 3\)"),
        (lambda: cr.broadcast_to(cr.ones(3), (2, 4)), ValueError,
         r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 4\)"),
        (lambda: cr.concatenate([cr.ones(2, 3), cr.ones(2, 4)]), ValueError,
         r"concatenate: shapes \[\(2, 3\), \(2, 4\)\] differ outside axis 0"),
        (lambda: cr.concatenate([]), ValueError, r"concatenate: need at least one"),
        (lambda: cr.stack([cr.ones(2), cr.ones(3)]), ValueError,
         r"stack: all tensors must have the same shape"),
        (lambda: cr.split(cr.ones(5), 0), ValueError, r"split: split_size must be positive"),
        (lambda: cr.pad(cr.ones(2), -1), ValueError, r"pad: invalid pad_width"),
        (lambda: cr.pad(cr.ones(2), 1, mode="reflect"), ValueError, r"pad: only mode='constant'"),
        (lambda: cr.clip(cr.ones(2)), ValueError, r"clip: at least one of min and max"),
        (lambda: cr.clip(cr.ones(2), 1.0, 0.0), ValueError, r"clip: min \(1.0\) is greater"),
        (lambda: cr.where(cr.ones(2), cr.ones(2), cr.ones(2)), TypeError,
         r"where: condition must be boolean"),
        (lambda: cr.where(cr.ones(2) > 0, cr.ones(3), cr.ones(2)), ValueError,
         r"where: condition \(2,\), a \(3,\) and b \(2,\) cannot be broadcast"),
        (lambda: cr.exp([1.0]), TypeError, r"exp: input must be a Tensor, got list"),
        (lambda: cr.ones(2, 3).swapaxes(0, 3), ValueError, r"swapaxes: axis 3"),
        (lambda: cr.ones(2, 3).flatten(1, 0), ValueError, r"flatten: start_dim 1 comes after"),
    ],
)
def test_bad_input_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_broadcast_error_inside_graph_names_op_and_shapes():
    x = cr.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(2,\)"):
        x + cr.ones(2)


@pytest.mark.parametrize("shape, dtype, transpose", [
    ((5000, 32), "float32", False), ((5000, 3), "float64", False),
    ((5000, 32), "float32", True), ((10, 4), "float32", False), ((3000, 5), "int64", False),
])
def test_sum_rows_equals_numpy_sum(shape, dtype, transpose):
    """The bias-gradient reduction: a GEMV for large contiguous float matrices, NumPy's sum
    for the rest; the same sums either way."""
    from chainrule.ops.linalg import sum_rows

    a = np.random.default_rng(0).standard_normal(shape) * 10
    a = (a.T.copy().T if transpose else a).astype(dtype)
    got = sum_rows(a)
    assert got.dtype == a.dtype and got.shape == (shape[1],)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, a.sum(axis=0, dtype="float64"), rtol=rtol, atol=rtol * 100)


def test_add_family_scales_like_pytorch_and_names_bad_shapes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    i, a, b = rng.standard_normal((4,)), rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    i[0] = np.nan  # beta=0 ignores input, NaN included
    got = cr.addmm(cr.tensor(i), cr.tensor(a), cr.tensor(b), beta=0, alpha=3).numpy()
    want = torch.addmm(torch.tensor(i), torch.tensor(a), torch.tensor(b), beta=0,
                       alpha=3).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"addmm: input of shape \(3,\) does not broadcast "
                                         r"to the product's shape \(2, 4\)"):
        cr.addmm(cr.zeros(3), cr.tensor(a), cr.tensor(b))
    with pytest.raises(ValueError, match=r"addmv: vec must be 1-d, got shape \(3, 1\)"):
        cr.addmv(cr.zeros(2), cr.tensor(a), cr.zeros(3, 1))
    with pytest.raises(ValueError, match=r"addmv: mat of shape \(2, 3\) and vec of shape"):
        cr.addmv(cr.zeros(2), cr.tensor(a), cr.zeros(4))
    with pytest.raises(TypeError, match="addcdiv: integer division"):
        cr.addcdiv(cr.zeros(2), cr.tensor([1, 2]), cr.tensor([3, 4]))
    x = cr.zeros(2, 4)
    with pytest.raises(Exception, match=r"addmm_: the result has shape \(2, 4\)"):
        cr.zeros(4).addmm_(cr.tensor(a, dtype="float32"), cr.tensor(b, dtype="float32"))
    assert x.addmm_(cr.ones(2, 3), cr.ones(3, 4), alpha=0.5) is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 4), 1.5))


def test_fill_diagonal_and_where_method_follow_pytorch():
    torch = pytest.importorskip("torch")
    for shape, wrap in [((7, 3), True), ((7, 3), False), ((3, 7), True), ((3, 3, 3), False)]:
        x, t = cr.zeros(*shape), torch.zeros(*shape)
        x.fill_diagonal_(2.0, wrap=wrap)
        t.fill_diagonal_(2.0, wrap=wrap)
        np.testing.assert_array_equal(x.numpy(), t.numpy())
    with pytest.raises(ValueError, match=r"fill_diagonal_: beyond 2 dims all lengths must be "
                                         r"equal, got shape \(2, 3, 3\)"):
        cr.zeros(2, 3, 3).fill_diagonal_(1.0)
    a, b = cr.tensor([1.0, 2.0, 3.0]), cr.tensor([-1.0, -2.0, -3.0])
    np.testing.assert_array_equal(a.where(cr.tensor([True, False, True]), b).numpy(),
                                  [1.0, -2.0, 3.0])


def test_tensor_split_with_cut_points_out_of_order_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = cr.arange(5.0)
    for cuts in ([3, 1], [-1, 2, 9], [4, 2, 3], [1, 3]):
        got = [t.tolist() for t in cr.tensor_split(x, cuts)]
        assert got == [t.tolist() for t in torch.tensor_split(torch.arange(5.0), cuts)], cuts
    w = cr.arange(5.0, requires_grad=True)
    sum(p.sum() for p in cr.tensor_split(w, [4, 2, 3])).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1, 1, 2, 2, 1])  # the pieces overlap
