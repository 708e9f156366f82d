"""Ops at special points: zeros in prod and pow, zero spread in std, 0-d tensors given an
axis, empty tensors, and dtype promotion of ops that join several tensors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def leaf(a):
    return cr.tensor(np.asarray(a, np.float64), requires_grad=True)


WITH_ZEROS = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [0.5, -1.0, 2.0]])


@pytest.mark.parametrize(
    "axis, keepdims", [(None, False), (1, False), (0, True), ((0, 1), False)]
)
def test_prod_with_zeros_first_and_second_order(axis, keepdims):
    x = leaf(WITH_ZEROS)

    def f(t):
        return t.prod(axis=axis, keepdims=keepdims)

    assert cr.gradcheck(f, x)
    assert cr.gradgradcheck(f, x)


def test_prod_with_zeros_matches_torch_second_order():
    torch = pytest.importorskip("torch")
    t = torch.tensor(WITH_ZEROS, requires_grad=True)
    (g,) = torch.autograd.grad(t.prod(1).sum(), t, create_graph=True)
    (h,) = torch.autograd.grad((g * g).sum(), t)
    x = leaf(WITH_ZEROS)
    (g2,) = cr.grad(x.prod(axis=1).sum(), x, create_graph=True)
    (h2,) = cr.grad((g2 * g2).sum(), x)
    np.testing.assert_allclose(g2.numpy(), g.detach().numpy())
    np.testing.assert_allclose(h2.numpy(), h.numpy())


def test_pow_exponent_gradient_at_zero_base_is_zero():
    a, b = leaf([0.0, 2.0]), leaf([2.0, 3.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        (a**b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 8.0 * np.log(2.0)])
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 12.0])


def test_pow_second_order_at_zero_base_has_no_nan():
    a, b = leaf([0.0, 2.0]), leaf([2.0, 3.0])
    (gb,) = cr.grad((a**b).sum(), b, create_graph=True)
    (ga,) = cr.grad(gb.sum(), a)
    assert np.isfinite(ga.numpy()).all()
    # d/da (a^b log a) = a^(b-1) (b log a + 1) at a = 2, b = 3
    np.testing.assert_allclose(ga.numpy()[1], 4.0 * (3 * np.log(2.0) + 1))


def test_std_gradient_is_zero_where_spread_is_zero():
    x = leaf([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    x.std(axis=1, correction=0).sum().backward()
    g = x.grad.numpy()
    np.testing.assert_array_equal(g[0], 0.0)
    assert np.isfinite(g).all() and np.abs(g[1]).sum() > 0


def test_std_zero_spread_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[3.0, 3.0], [1.0, 2.0]])
    t = torch.tensor(a, requires_grad=True)
    t.std(dim=1, correction=0).sum().backward()
    x = leaf(a)
    x.std(axis=1, correction=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


REDUCE_0D = [
    ("sum", lambda t, ax: t.sum(axis=ax)),
    ("mean", lambda t, ax: t.mean(axis=ax, keepdims=True)),
    ("max", lambda t, ax: t.amax(axis=ax)),
    ("min", lambda t, ax: t.amin(axis=ax)),
    ("prod", lambda t, ax: t.prod(axis=ax)),
    ("logsumexp", lambda t, ax: t.logsumexp(axis=ax)),
    ("var", lambda t, ax: t.var(axis=ax, correction=0)),
    ("softmax", lambda t, ax: cr.softmax(t, axis=ax)),
    ("log_softmax", lambda t, ax: cr.log_softmax(t, axis=ax)),
    ("squeeze", lambda t, ax: t.squeeze(axis=ax)),
]


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name, f", REDUCE_0D, ids=[r[0] for r in REDUCE_0D])
def test_0d_tensor_accepts_axis_0_and_minus_1(name, f, axis):
    """As in PyTorch: a 0-d tensor's only axis is 0 (or -1); reducing over it changes
    nothing."""
    x = leaf(1.5)
    y = f(x, axis)
    assert y.shape == ()
    torch = pytest.importorskip("torch") if name != "squeeze" else None
    if torch is not None:
        t = torch.tensor(1.5, dtype=torch.float64)
        tf = {
            "sum": lambda: t.sum(dim=axis), "mean": lambda: t.mean(dim=axis, keepdim=True),
            "max": lambda: t.amax(dim=axis), "min": lambda: t.amin(dim=axis),
            "prod": lambda: t.prod(dim=axis), "logsumexp": lambda: t.logsumexp(dim=axis),
            "var": lambda: t.var(dim=axis, correction=0),
            "softmax": lambda: t.softmax(dim=axis), "log_softmax": lambda: t.log_softmax(dim=axis),
        }[name]
        np.testing.assert_allclose(y.numpy(), tf().numpy())
    assert cr.gradcheck(lambda t: f(t, axis), x)


@pytest.mark.parametrize("axis", [1, -2])
def test_0d_tensor_rejects_other_axes(axis):
    with pytest.raises(ValueError, match=rf"sum: axis {axis} is out of range .* 0 dimensions"):
        cr.tensor(1.0).sum(axis=axis)


def test_0d_split_and_pad_raise():
    with pytest.raises(ValueError, match="split: a 0-d tensor"):
        cr.split(cr.tensor(1.0), 1)
    with pytest.raises(ValueError, match="pad: a 0-d tensor"):
        cr.pad(cr.tensor(1.0), 1)


def test_softmax_axis_must_be_int():
    with pytest.raises(TypeError, match="softmax: axis must be an int, got None"):
        cr.softmax(cr.ones(3), axis=None)


@pytest.mark.parametrize(
    "name, f",
    [
        ("sum", lambda t: t.sum(axis=0)),
        ("matmul", lambda t: t @ cr.ones(3, 2, dtype="float64")),
        ("softmax", lambda t: cr.softmax(t)),
        ("logsumexp", lambda t: t.logsumexp(axis=1)),
        ("getitem", lambda t: t[1:]),
        ("concatenate", lambda t: cr.concatenate([t, t])),
    ],
)
def test_empty_tensors_flow_through(name, f):
    x = cr.zeros(0, 3, dtype="float64", requires_grad=True)
    y = f(x)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_sum_of_empty_is_zero_and_prod_is_one():
    assert cr.zeros(0).sum().item() == 0.0
    assert cr.zeros(0).prod().item() == 1.0


JOIN = [
    ("concatenate", lambda a, b: cr.concatenate([a, b])),
    ("stack", lambda a, b: cr.stack([a, b])),
    ("einsum", lambda a, b: cr.einsum("i,i->i", a, b)),
    ("add", lambda a, b: a + b),
    ("where", lambda a, b: cr.where(cr.tensor([True, False]), a, b)),
    ("maximum", cr.maximum),
]


@pytest.mark.parametrize("name, f", JOIN, ids=[j[0] for j in JOIN])
def test_float32_with_integers_stays_float32(name, f):
    """PyTorch's promotion: a float tensor meeting an integer or bool tensor keeps its dtype
    (NumPy's rules would give float64)."""
    x = cr.tensor([1.0, 2.0])
    for other in (cr.tensor([1, 2]), cr.tensor([1, 2], dtype="int32"), cr.tensor([True, False])):
        assert f(x, other).dtype == np.float32, (name, other.dtype)
        assert f(other, x).dtype == np.float32, (name, other.dtype)


@pytest.mark.parametrize("name, f", JOIN, ids=[j[0] for j in JOIN])
def test_float32_with_float64_gives_float64_and_float32_gradient(name, f):
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    y = f(a, b)
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_float64_seed_for_float32_leaf_gives_float32_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.backward(gradient=cr.tensor([1.0, 2.0], dtype="float64"))
    assert x.grad.dtype == np.float32
    y = x * 2.0
    y.backward(gradient=np.array([1.0, 1.0]))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
