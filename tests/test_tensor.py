"""Tensor: properties, conversion, dtype rules, in-place ops, operators, repr."""

import re

import numpy as np
import pytest

import chainrule as cr

# -- properties and conversion ------------------------------------------------------------


def test_properties():
    x = cr.zeros(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.numel() == 6 and x.dtype == np.float32
    assert x.size() == (2, 3) and x.size(1) == 3  # PyTorch: size() is the shape
    assert x.grad is None and not x.requires_grad and x.device == "cpu"
    assert len(x) == 2 and x.dim() == 2 and x.numel() == 6


def test_numpy_shares_memory_and_tolist():
    x = cr.tensor([1.0, 2.0])
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


def test_item():
    assert cr.tensor(2.5).item() == 2.5
    assert cr.tensor([[7]]).item() == 7
    assert isinstance(cr.tensor(3).item(), int)
    assert float(cr.tensor([1.5])) == 1.5 and int(cr.tensor(4)) == 4


def test_item_on_multi_element_raises():
    with pytest.raises(ValueError, match=r"item: .*one-element.*shape \(2, 2\)"):
        cr.ones(2, 2).item()


def test_bool_of_multi_element_raises():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.ones(2))
    assert bool(cr.tensor(1.0))


def test_len_and_iter_of_0d_raise():
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(cr.tensor(1.0)).__next__()


def test_iter_gives_rows_in_graph():
    x = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert [r.shape for r in rows] == [(2,)] * 3
    (rows[0] + rows[2] * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


def test_detach_shares_data_and_cuts_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.creator is None
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.numpy())


def test_requires_grad_():
    x = cr.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="requires_grad_: only floating-point.*int64"):
        cr.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        cr.tensor([True], requires_grad=True)


def test_requires_grad_false_on_non_leaf_raises():
    y = cr.ones(2, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_astype_and_shortcuts():
    x = cr.tensor([1.7, -2.2])
    assert x.astype("float64").dtype == np.float64
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, -2]
    assert x.astype(cr.int32).dtype == np.int32
    assert x.astype(np.float32) is x
    assert x.to(dtype="float64").dtype == np.float64 and x.to("float64").dtype == np.float64


def test_astype_is_differentiable_between_floats():
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x.astype("float32") * 3.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_astype_to_integer_carries_no_gradient():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    assert not x.astype("int64").requires_grad


def test_astype_unknown_dtype():
    with pytest.raises(TypeError, match="unknown dtype 'floatx'"):
        cr.ones(1).astype("floatx")


# -- dtype rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        lambda x: x * 0.5,
        lambda x: 0.5 * x,
        lambda x: x + 1,
        lambda x: x / 3,
        lambda x: 2 - x,
        lambda x: x**2.0,
        lambda x: 2.0**x,
        lambda x: x * np.float64(0.5),
        lambda x: np.float64(0.5) * x,
        lambda x: x + np.float64(1.0),
        lambda x: np.float64(3.0) / x,
        lambda x: x * np.array(2.0),
        lambda x: cr.maximum(x, 0.0),
        lambda x: cr.where(x > 0, x, 0.0),
        lambda x: x.mean(),
        lambda x: x.var(),
    ],
)
def test_scalars_do_not_promote_float32(expr):
    assert expr(cr.ones(3)).dtype == np.float32


def test_integer_rules():
    i = cr.tensor([1, 2, 3])
    assert i.dtype == np.int64
    assert (i / 2).dtype == np.float32
    assert (i / i).dtype == np.float32
    assert (i * 2).dtype == np.int64
    assert (i * 2.5).dtype == np.float32
    assert (i + cr.ones(3)).dtype == np.float32
    assert (i.astype("int32") + 1).dtype == np.int32
    assert i.mean().dtype == np.float32
    assert (i**2).dtype == np.int64


def test_integer_to_negative_power_raises():
    with pytest.raises(ValueError, match="pow: an integer tensor.*-1"):
        cr.tensor([1, 2]) ** -1


def test_bool_rules():
    b = cr.tensor([True, False])
    assert b.dtype == np.bool_
    assert (b + b).dtype == np.bool_ and (b + 1).dtype == np.int64 and (b * 1.5).dtype == np.float32
    assert b.sum().dtype == np.int64 and b.sum().item() == 1


def test_float64_stays_float64():
    x = cr.ones(2, dtype="float64")
    assert (x * 0.5).dtype == np.float64
    assert (x + cr.ones(2)).dtype == np.float64


def test_comparisons_give_bool_without_grad():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for m in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert m.dtype == np.bool_ and not m.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert ((x < 1.5) | (x > 2.5)).tolist() == [True, False, True]
    assert (~(x > 1.5)).tolist() == [True, False, False]


# -- in-place ops ---------------------------------------------------------------------------


def test_inplace_ops_and_versions():
    x = cr.zeros(3)
    x.fill_(2.0)
    x.add_(1.0)
    x.sub_(cr.ones(3), alpha=0.5)
    x.mul_(2.0)
    x.div_(5.0)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0, 1.0])
    x.copy_(np.array([1.0, -5.0, 5.0]))
    x.clamp_(-1.0, 1.0)
    np.testing.assert_allclose(x.numpy(), [1.0, -1.0, 1.0])
    x[0] = 9.0
    x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    assert x._version == 9


def test_copy_bad_shape():
    with pytest.raises(ValueError, match=r"copy_: .*\(4,\).*\(3,\)"):
        cr.zeros(3).copy_(np.ones(4))


def test_setitem_bumps_version_and_is_seen_by_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()
    with cr.no_grad():
        h[0] = 5.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


# -- repr ---------------------------------------------------------------------------------


def test_repr():
    assert repr(cr.tensor([[1.0, 2.0]])) == "Tensor([[1., 2.]])"
    assert repr(cr.tensor([1, 2])) == "Tensor([1, 2], dtype=int64)"
    assert repr(cr.tensor(1.5, requires_grad=True)) == "Tensor(1.5, requires_grad=True)"
    y = cr.tensor([1.0], requires_grad=True) * 2.0
    assert re.fullmatch(r"Tensor\(\[2\.\], grad_fn=<Mul\w*>\)", repr(y))
    assert "dtype=float64" in repr(cr.zeros(2, dtype="float64"))


def test_repr_of_large_tensor_is_summarised():
    r = repr(cr.zeros(1000))
    assert "..." in r and len(r) < 200


# -- operators ------------------------------------------------------------------------------


def test_operators_match_numpy():
    a = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    b = np.array([0.5, 4.0], np.float32)
    x, y = cr.tensor(a), cr.tensor(b)
    np.testing.assert_allclose((x + y).numpy(), a + b)
    np.testing.assert_allclose((x - y).numpy(), a - b)
    np.testing.assert_allclose((x * y).numpy(), a * b)
    np.testing.assert_allclose((x / y).numpy(), a / b)
    np.testing.assert_allclose((x @ y).numpy(), a @ b)
    np.testing.assert_allclose((-x).numpy(), -a)
    np.testing.assert_allclose(abs(x).numpy(), abs(a))
    np.testing.assert_allclose((+x).numpy(), a)
    np.testing.assert_allclose((y**2).numpy(), b**2)
    np.testing.assert_allclose(x.T.numpy(), a.T)


def test_tensor_is_hashable_by_identity():
    a, b = cr.ones(2), cr.ones(2)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_pickle_and_deepcopy_keep_data_not_graph():
    import copy
    import pickle

    from chainrule import nn

    # a model whose forward took views of its buffers still pickles (the views' bookkeeping
    # is not part of a tensor's state)
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                      nn.Linear(32, 3))
    x = cr.randn(4, 1, 6, 6)
    m(x).sum().backward()
    m.eval()
    y = m(x).numpy()
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        np.testing.assert_array_equal(clone(x).numpy(), y)
        assert type(clone[0].weight) is nn.Parameter and clone[0].weight.requires_grad
    assert copy.deepcopy(m)[0].weight.grad is not None  # deepcopy keeps .grad, as PyTorch

    # a view pickles as its data; a non-leaf comes back as a leaf that requires grad
    buf = cr.zeros(2, 3)
    row = buf[0]
    buf[0] = cr.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
    back = pickle.loads(pickle.dumps(row))
    np.testing.assert_array_equal(back.numpy(), [2.0, 4.0, 6.0])
    assert back.requires_grad and back.grad_fn is None
    with pytest.raises(RuntimeError, match="deepcopy: only tensors created by the user"):
        copy.deepcopy(row)

    # shared tensors stay shared within one deepcopy
    w = cr.ones(2, requires_grad=True)
    a, b = copy.deepcopy([w, w])
    assert a is b and a is not w


def test_pytorch_tensor_properties():
    w = cr.randn(3, 4, requires_grad=True)
    y = w * 1
    y.retain_grad()
    assert y.retains_grad and not w.retains_grad
    assert (w.itemsize, w.nbytes, w.is_cpu) == (4, 48, True)
    assert w.H.shape == (4, 3) and w.mH.shape == (4, 3)
    assert w[1:].storage_offset() == 4 and w.storage_offset() == 0


def test_resize_keeps_the_first_elements_and_the_memory_when_it_can():
    x = cr.arange(6.0)
    whole = x[:]
    x.resize_(2, 2)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    x[0, 0] = 9.0
    assert whole[0].item() == 9.0  # shrinking kept the memory: views still see changes
    x.resize_(3, 3)
    assert x.flatten().tolist()[:4] == [9.0, 1.0, 2.0, 3.0] and x.shape == (3, 3)
    assert cr.zeros(2).resize_as_(cr.ones(1, 4)).shape == (1, 4)
    with pytest.raises(RuntimeError, match="resize_: cannot resize a tensor that requires grad"):
        cr.zeros(2, requires_grad=True).resize_(3)
    with pytest.raises(ValueError, match="resize_: sizes must be non-negative"):
        cr.zeros(2).resize_(-1)


def test_apply_and_map_call_python_per_element():
    x = cr.tensor([1.0, 2.0, 3.0])
    assert x.apply_(lambda v: v * v + 1) is x and x.tolist() == [2.0, 5.0, 10.0]
    x.map_(cr.tensor([10.0, 20.0, 30.0]), lambda a, b: a + b)
    assert x.tolist() == [12.0, 25.0, 40.0]
    x.map2_(cr.tensor([1.0, 1.0, 1.0]), cr.tensor(2.0), lambda a, b, c: a * b * c)
    assert x.tolist() == [24.0, 50.0, 80.0]
    with pytest.raises(RuntimeError, match="apply_: a Python function has no gradient"):
        cr.ones(2, requires_grad=True).apply_(abs)
    with pytest.raises(TypeError, match="map_: expected a callable, got int"):
        x.map_(x, 3)
