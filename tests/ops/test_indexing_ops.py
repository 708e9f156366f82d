"""chainrule/ops/indexing.py beyond the gradient table: values against PyTorch on edge cases
(repeats, ties, NaN, zeros, 0-d, empty and integer inputs), gradients at the points the
table's random inputs never hit (zeros of products, ties of extremes), and the errors for
what a user can get wrong."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def t64(values, requires_grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


def c64(values, requires_grad=False):
    return cr.tensor(values, dtype="float64", requires_grad=requires_grad)


def same(a, b):
    """chainrule result ``a`` equals torch result ``b``: values, dtype kind and shape."""
    b = b.detach().numpy()
    a = a.numpy()
    assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, (a, b)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


def grads(lib_fn, values, upstream, create_graph=False):
    """Gradients of ``lib_fn`` at ``values`` (a list of arrays) in both libraries."""
    xs = [c64(v, True) for v in values]
    ts = [t64(v, True) for v in values]
    ys, tys = lib_fn(cr, *xs), lib_fn(torch, *ts)
    g = cr.grad(ys, xs, c64(upstream), create_graph=create_graph)
    tg = torch.autograd.grad(tys, ts, t64(upstream), create_graph=create_graph)
    return xs, ts, g, tg


# -- values ---------------------------------------------------------------------------------

X = np.arange(6.0).reshape(2, 3)
I2 = [[1, 0, 1], [0, 0, 1]]
SRC = np.arange(12.0).reshape(3, 4) - 5

VALUES = [
    ("index_add_repeats_alpha",
     lambda lib, x: x.index_add(1, lib.tensor([0, 0, 2]), lib.ones(2, 3, dtype=x.dtype), alpha=2)),
    ("index_add_negative_dim", lambda lib, x: lib.index_add(x, -2, lib.tensor([1]), x[:1])),
    ("index_add_empty_index",
     lambda lib, x: x.index_add(0, lib.tensor([], dtype=lib.int64), x[:0])),
    ("index_add_0d", lambda lib, x: lib.index_add(x[0, 1], 0, lib.tensor([0]), x[1, 1])),
    ("index_copy_last_wins",
     lambda lib, x: x.index_copy(1, lib.tensor([2, 0]), lib.ones(2, 2, dtype=x.dtype))),
    ("index_fill_negative_index", lambda lib, x: x.index_fill(1, lib.tensor([-1, 0, 0]), 7.0)),
    ("index_fill_int_tensor_value", lambda lib, x: x.index_fill(0, lib.tensor([1]),
                                                                lib.tensor(3))),
    ("scatter_add_larger_src", lambda lib, x: x.scatter_add(0, lib.tensor(I2), lib.tensor(SRC))),
    ("scatter_add_0d", lambda lib, x: x[0, 0].scatter_add(0, lib.tensor(0), x[1, 2])),
    *[(f"scatter_reduce_{r}_{s}",
       lambda lib, x, r=r, s=s: x.scatter_reduce(0, lib.tensor(I2), lib.tensor(SRC), r,
                                                 include_self=s))
      for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)],
    ("scatter_reduce_dim1", lambda lib, x: x.scatter_reduce(1, lib.tensor([[2, 2], [0, 2]]),
                                                            lib.tensor(SRC[:2]), "amin")),
    ("masked_scatter", lambda lib, x: x.masked_scatter(lib.tensor([True, False, True]),
                                                       lib.tensor(SRC))),
    ("masked_scatter_broadcast_input",
     lambda lib, x: lib.masked_scatter(x[0], lib.tensor([[True, False, True], [False] * 3]),
                                       lib.tensor(SRC))),
    ("take_negative", lambda lib, x: lib.take(x, lib.tensor([[-1, 0], [5, -6]]))),
    ("put_negative", lambda lib, x: x.put(lib.tensor([-1, 0]), lib.tensor([9.0, 8.0],
                                                                         dtype=x.dtype))),
    ("put_accumulate_repeats", lambda lib, x: x.put(lib.tensor([4, 4, 4]), x[0], True)),
    ("cumprod_dim0", lambda lib, x: x.cumprod(0)),
    ("cumprod_0d", lambda lib, x: lib.cumprod(x[1, 1], 0)),
    ("logcumsumexp_0d", lambda lib, x: lib.logcumsumexp(x[1, 1], -1)),
    ("logcumsumexp_large", lambda lib, x: (x * 500 - 1000).logcumsumexp(1)),
    ("logcumsumexp_minus_inf",
     lambda lib, x: lib.logcumsumexp(x.masked_fill(x < 2, float("-inf")), 1)),
]  # fmt: skip


@pytest.mark.parametrize("fn", [v[1] for v in VALUES], ids=[v[0] for v in VALUES])
def test_values_match_torch(fn):
    out, tout = fn(cr, c64(X)), fn(torch, t64(X))
    same(out, tout)


INTEGER_VALUES = [
    ("index_add_alpha", lambda lib, x: x.index_add(0, lib.tensor([0, 0]), x[:2], alpha=3)),
    ("scatter_reduce_mean_floors", lambda lib, x: x.scatter_reduce(0, lib.tensor([0, 0]),
                                                                   x[1:3] + 4, "mean")),
    ("scatter_reduce_amax_noself", lambda lib, x: x.scatter_reduce(
        0, lib.tensor([0, 0]), x[1:3], "amax", include_self=False)),
    ("scatter_reduce_amin", lambda lib, x: x.scatter_reduce(0, lib.tensor([2, 2]), x[:2],
                                                            "amin")),
    ("cumprod_int64", lambda lib, x: x.cumprod(0)),
    ("cumprod_bool", lambda lib, x: (x > 1).cumprod(0)),
    ("cumprod_dtype", lambda lib, x: x.cumprod(0, dtype=lib.float64)),
    ("cummax", lambda lib, x: x.cummax(0).values),
]  # fmt: skip


@pytest.mark.parametrize("fn", [v[1] for v in INTEGER_VALUES], ids=[v[0] for v in INTEGER_VALUES])
def test_integer_inputs_match_torch(fn):
    same(fn(cr, cr.tensor([3, 1, 2, 5])), fn(torch, torch.tensor([3, 1, 2, 5])))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_pick_the_last_tie_and_every_nan(name):
    v = [1.0, 3.0, 3.0, 2.0, 3.0, np.nan, 5.0, np.nan, 1.0]
    v = v if name == "cummax" else [-a for a in v]
    r, tr = getattr(cr, name)(c64(v), 0), getattr(torch, name)(t64(v), 0)
    same(r.values, tr.values)
    same(r.indices, tr.indices)
    assert r.indices.dtype == np.int64 and repr(r).startswith(f"return_types.{name}(")
    values, indices = getattr(c64(X), name)(dim=-1)  # a named tuple that unpacks
    same(indices, getattr(t64(X), name)(dim=-1).indices)


def test_cummax_0d():
    r = cr.cummax(c64(2.0), 0)
    assert r.values.shape == () and r.indices.item() == 0


def test_float32_stays_float32_and_inputs_are_unchanged():
    x = cr.tensor(X, dtype="float32")
    src = cr.tensor(SRC, dtype="float32")
    outs = [
        x.index_add(0, [1], src[:1, :3]), x.index_copy(1, [0], src[:2, :1]),
        x.index_fill(0, [0], 2.0), x.scatter_add(0, I2, src),
        *[x.scatter_reduce(0, I2, src, r) for r in ("sum", "prod", "mean", "amax", "amin")],
        x.masked_scatter(x > 2, src), x.put([1], src[0, :1]), x.take([1]), x.cumprod(1),
        x.cummax(1).values, x.logcumsumexp(1),
    ]
    assert all(o.dtype == np.float32 for o in outs)
    np.testing.assert_array_equal(x.numpy(), X)
    np.testing.assert_array_equal(src.numpy(), SRC)


def test_index_as_numpy_array_or_list():
    x = c64(X)
    for index in (np.array([2, 0]), [2, 0], cr.tensor([2, 0], dtype="int32")):
        same(x.index_copy(1, index, c64(np.ones((2, 2)))),
             t64(X).index_copy(1, torch.tensor([2, 0]), torch.ones(2, 2, dtype=torch.float64)))


# -- in-place twins -------------------------------------------------------------------------


INPLACE = [
    ("index_add_", lambda lib, x: x.index_add_(1, lib.tensor([0, 0]), x[:, :2], alpha=0.5)),
    ("index_copy_", lambda lib, x: x.index_copy_(0, lib.tensor([1]), x[:1] * 3)),
    ("index_fill_", lambda lib, x: x.index_fill_(1, lib.tensor([1]), -2.0)),
    ("scatter_add_", lambda lib, x: x.scatter_add_(0, lib.tensor(I2), lib.tensor(SRC))),
    ("scatter_reduce_", lambda lib, x: x.scatter_reduce_(0, lib.tensor(I2), lib.tensor(SRC),
                                                         "amin", include_self=False)),
    ("masked_scatter_", lambda lib, x: x.masked_scatter_(x > 2, lib.tensor(SRC))),
    ("put_", lambda lib, x: x.put_(lib.tensor([5, 5]), lib.tensor([1.0, 2.0],
                                                                  dtype=x.dtype), True)),
    ("cumprod_", lambda lib, x: x.cumprod_(1)),
]  # fmt: skip


@pytest.mark.parametrize("fn", [v[1] for v in INPLACE], ids=[v[0] for v in INPLACE])
def test_inplace_twins_change_the_tensor_itself(fn):
    x, tx = c64(X), t64(X)
    assert fn(cr, x) is x
    fn(torch, tx)
    same(x, tx)
    assert x._version == 1


def test_inplace_twin_on_a_leaf_that_requires_grad_raises():
    x = c64(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.index_fill_(0, [0], 1.0)


# -- gradients at zeros and ties --------------------------------------------------------------


CUMPROD_AT_ZEROS = [
    [2.0, 0.0, 3.0, -1.5, 0.5],  # one zero
    [0.0, 2.0, 3.0, -1.5, 0.5],  # at the start
    [2.0, 3.0, -1.5, 0.5, 0.0],  # at the end
    [2.0, 0.0, 3.0, 0.0, 0.5],  # two zeros
    [0.0, 0.0, 0.0, 1.5, 2.0],  # three
]


@pytest.mark.parametrize("v", CUMPROD_AT_ZEROS, ids=["one", "first", "last", "two", "three"])
def test_cumprod_gradient_at_zeros_matches_torch_to_second_order(v):
    rows = np.array([v, v[::-1]])
    up = np.arange(10.0).reshape(2, 5) - 4
    xs, ts, (g,), (tg,) = grads(lambda lib, x: lib.cumprod(x, 1), [rows], up, create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = np.linspace(-1, 1, 10).reshape(2, 5)
    (gg,) = cr.grad([(g * c64(w)).sum()], xs)
    (tgg,) = torch.autograd.grad([(tg * t64(w)).sum()], ts)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12, atol=1e-12)
    # and against finite differences, for both orders
    x = c64(rows, True)
    assert cr.gradcheck(lambda x: cr.cumprod(x, 1), x)
    assert cr.gradgradcheck(lambda x: cr.cumprod(x, -1), x)


def test_cumprod_first_order_gradient_at_zeros_in_float32():
    x = cr.tensor([[2.0, 0.0, 3.0, 0.0]], requires_grad=True)
    cr.cumprod(x, 1).sum().backward()
    tx = torch.tensor([[2.0, 0.0, 3.0, 0.0]], requires_grad=True)
    torch.cumprod(tx, 1).sum().backward()
    assert x.grad.dtype == np.float32
    same(x.grad, tx.grad)


def test_scatter_reduce_extremes_split_the_gradient_among_ties():
    x = [[1.0, 5.0, 2.0], [0.0, 0.0, 0.0]]
    src = [[5.0, 5.0, 2.0], [3.0, 1.0, 2.0]]  # ties between src elements, and with self
    index = [[1, 0, 0], [1, 0, 0]]
    up = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    for reduce in ("amax", "amin"):
        def fn(lib, x, s, reduce=reduce):
            return x.scatter_reduce(0, lib.tensor(index), s, reduce)

        _, _, g, tg = grads(fn, [x, src], up)
        for a, b in zip(g, tg):
            same(a, b)
    # Without self, self takes no share even where it equals the result (PyTorch 2.13 still
    # counts it there, so the shares do not add up to the upstream gradient).
    xs = [c64(x, True), c64(src, True)]
    y = xs[0].scatter_reduce(0, cr.tensor(index), xs[1], "amax", include_self=False)
    gx, gs = cr.grad(y, xs, c64(up))
    np.testing.assert_array_equal(gx.numpy(), [[1, 0, 0], [0, 5, 6]])
    np.testing.assert_array_equal(gs.numpy(), [[4, 2, 1.5], [0, 0, 1.5]])


def test_scatter_reduce_prod_gradient_at_zeros():
    x = [[2.0, 0.0, 3.0], [1.5, -1.0, 0.5]]
    src = [[0.0, 2.0, 0.0], [4.0, 0.0, 0.0]]  # one zero, two zeros to one position
    index = [[0, 0, 1], [0, 0, 1]]
    up = [[1.0, -2.0, 3.0], [0.5, 1.0, -1.0]]

    def fn(lib, x, s):
        return x.scatter_reduce(0, lib.tensor(index), s, "prod")

    _, _, g, tg = grads(fn, [x, src], up)
    for a, b in zip(g, tg):
        same(a, b)
    # second order too (PyTorch refuses it where two zeros meet; finite differences decide)
    xs = [c64(x, True), c64(src, True)]
    assert cr.gradgradcheck(lambda a, b: a.scatter_reduce(0, cr.tensor(index), b, "prod"), xs)


def test_cummax_gradient_goes_to_the_arg_positions():
    v = [1.0, 3.0, 3.0, 2.0, 4.0]
    _, _, (g,), (tg,) = grads(lambda lib, x: lib.cummax(x, 0).values, [v], [1.0, 2, 3, 4, 5])
    same(g, tg)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_logcumsumexp_gradient_for_large_and_minus_inf_inputs():
    v = [[1000.0, -1000.0, 3.0, 999.0], [-np.inf, 0.0, -np.inf, 1.0]]
    up = [[1.0, -2.0, 0.0, 3.0], [1.0, 2.0, -1.0, 0.5]]
    _, _, (g,), (tg,) = grads(lambda lib, x: lib.logcumsumexp(x, 1), [v], up)
    assert np.isfinite(g.numpy()[0]).all()
    # NaN at a leading -inf, as PyTorch (exp(x - y) there is exp(-inf + inf))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)


def test_index_fill_value_tensor_gets_the_gradient_once_per_filled_element():
    v = c64(2.0, True)
    cr.index_fill(c64(X), 1, [0, 2, 0], v).sum().backward()
    assert v.grad.item() == 4.0  # 2 rows x 2 distinct columns


# -- errors ---------------------------------------------------------------------------------

A = cr.ones(2, 3)

BAD = [
    ("index_add_float_index", lambda: A.index_add(0, cr.tensor([0.0]), A[:1]), TypeError,
     r"index_add: index must be an integer tensor, got dtype float32"),
    ("index_add_bool_index", lambda: A.index_add(0, [True], A[:1]), TypeError,
     r"index_add: index must be an integer"),
    ("index_add_range", lambda: A.index_add(1, [0, 3], A[:, :2]), IndexError,
     r"index_add: index 3 is out of range for dim 1 of size 3"),
    ("index_add_negative", lambda: A.index_add(1, [-1], A[:, :1]), IndexError,
     r"index_add: index -1 is out of range for dim 1 of size 3"),
    ("index_add_2d_index", lambda: A.index_add(0, [[0]], A[:1]), ValueError,
     r"index_add: index must be 0-d or 1-d, got shape \(1, 1\)"),
    ("index_add_source_shape", lambda: A.index_add(1, [0, 1], A[:, :1]), ValueError,
     r"index_add: source of shape \(2, 1\) does not fit input of shape \(2, 3\) with 2 "
     r"indices along dim 1 \(expected \(2, 2\)\)"),
    ("index_add_source_type", lambda: A.index_add(0, [0], [[1.0, 2.0, 3.0]]), TypeError,
     r"index_add: source must be a Tensor, got list"),
    ("index_add_input_type", lambda: cr.index_add(np.ones(3), 0, [0], A[0, :1]), TypeError,
     r"index_add: input must be a Tensor, got ndarray"),
    ("index_add_dim", lambda: A.index_add(2, [0], A), ValueError,
     r"index_add: axis 2 is out of range for a tensor with 2 dimensions"),
    ("index_copy_range", lambda: A.index_copy(0, [2], A[:1]), IndexError,
     r"index_copy: index 2 is out of range for dim 0 of size 2"),
    ("index_fill_vector_value", lambda: A.index_fill(0, [0], cr.ones(1)), TypeError,
     r"index_fill: value must be a number or a 0-d tensor, got Tensor of shape \(1,\)"),
    ("index_fill_range", lambda: A.index_fill(1, [-4], 1.0), IndexError,
     r"index_fill: index -4 is out of range for dim 1 of size 3"),
    ("scatter_add_ndim", lambda: A.scatter_add(0, [0, 1], A), ValueError,
     r"scatter_add: index \(2,\), input \(2, 3\) and src \(2, 3\) must have the same number"),
    ("scatter_add_index_too_large", lambda: A.scatter_add(0, [[0, 1, 0, 1]], cr.ones(3, 4)),
     ValueError, r"scatter_add: index of shape \(1, 4\) must be no larger than src \(3, 4\) "
     r"in every dim, and no larger than input \(2, 3\) outside dim 0"),
    ("scatter_add_range", lambda: A.scatter_add(0, [[0, 2, 0]], A), IndexError,
     r"scatter_add: index 2 is out of range for dim 0 of size 2"),
    ("scatter_add_float_index", lambda: A.scatter_add(0, np.zeros((1, 3)), A), TypeError,
     r"scatter_add: index must be an integer tensor, got dtype float64"),
    ("scatter_add_src_type", lambda: A.scatter_add(0, [[0]], 1.0), TypeError,
     r"scatter_add: src must be a Tensor, got float"),
    ("scatter_reduce_reduce", lambda: A.scatter_reduce(0, [[0]], A, "max"), ValueError,
     r"scatter_reduce: reduce must be one of sum, prod, mean, amax, amin; got 'max'"),
    ("scatter_reduce_range", lambda: A.scatter_reduce(1, [[5]], A, "sum"), IndexError,
     r"scatter_reduce: index 5 is out of range for dim 1 of size 3"),
    ("masked_scatter_mask_dtype", lambda: A.masked_scatter(cr.ones(3), cr.ones(6)), TypeError,
     r"masked_scatter: mask must be a bool tensor, got dtype float32"),
    ("masked_scatter_mask_shape", lambda: A.masked_scatter(cr.ones(4) > 0, cr.ones(8)),
     ValueError, r"masked_scatter: mask of shape \(4,\) does not broadcast with input of "
     r"shape \(2, 3\)"),
    ("masked_scatter_short_source", lambda: A.masked_scatter(A > 0, cr.ones(2, 2)), ValueError,
     r"masked_scatter: mask selects 6 elements but source has only 4 \(shape \(2, 2\)\)"),
    ("take_range", lambda: A.take([6]), IndexError,
     r"take: index 6 is out of range for a flattened input of size 6"),
    ("take_float_index", lambda: A.take([0.5]), TypeError,
     r"take: index must be an integer tensor, got dtype float64"),
    ("put_range", lambda: A.put([-7], cr.ones(1)), IndexError,
     r"put: index -7 is out of range for a flattened input of size 6"),
    ("put_count", lambda: A.put([0, 1], cr.ones(3)), ValueError,
     r"put: index has 2 elements but source has 3"),
    ("cumprod_dim", lambda: A.cumprod(2), ValueError, r"cumprod: axis 2 is out of range"),
    ("cummax_dim", lambda: A.cummax(-3), ValueError, r"cummax: axis -3 is out of range"),
    ("cummin_input", lambda: cr.cummin([1.0, 2.0], 0), TypeError,
     r"cummin: input must be a Tensor, got list"),
    ("logcumsumexp_dim", lambda: A.logcumsumexp(5), ValueError,
     r"logcumsumexp: axis 5 is out of range"),
]  # fmt: skip


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
