"""Activation modules against PyTorch (float32), erf accuracy, extremes and dtypes."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

MODULES = [
    ("ReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {"alpha": 0.7}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Softplus", (), {"beta": 2.0, "threshold": 5.0}),
    ("Softmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": -1}),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[m[0] + str(m[2]) for m in MODULES])
def test_module_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    m = getattr(nn, name)(*args, **kwargs)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    x = (np.random.default_rng(0).standard_normal((4, 6)) * 3).astype(np.float32)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xc), tm(xt)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    assert xc.grad.dtype == np.float32
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_erf_is_accurate_in_float64():
    x = np.concatenate([np.linspace(-7, 7, 2001), [1e-300, -1e-20, 0.0, 1.0, -1.0, 30.0]])
    y = F.erf(cr.tensor(x)).numpy()
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(y, ref, rtol=1e-14, atol=0)
    assert F.erf(cr.tensor([0.5], dtype="float32")).dtype == np.float32


def test_extreme_inputs_stay_finite():
    x = cr.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    for f in (F.softplus, F.elu, F.gelu, F.silu, F.sigmoid, F.tanh,
              lambda t: F.gelu(t, approximate="tanh"), F.leaky_relu):
        y = f(x)
        assert np.isfinite(y.numpy()).all()
        (g,) = cr.grad(y.sum(), x)
        assert np.isfinite(g.numpy()).all(), f
    np.testing.assert_allclose(F.softplus(x).numpy(), [0, 0, math.log(2), 50, 1e4], atol=1e-6)
    np.testing.assert_allclose(F.elu(x).numpy()[:2], [-1, -1])


def test_softmax_without_dim_uses_pytorch_legacy_choice():
    torch = pytest.importorskip("torch")
    for shape in [(5,), (2, 5), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        with pytest.warns(UserWarning, match="implicit dimension"):
            y = nn.Softmax()(cr.tensor(x))
        with pytest.warns(UserWarning):
            ty = torch.nn.Softmax()(torch.tensor(x))
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"softmax: dim 2 is out of range.*\(2, 3\)"):
        F.softmax(cr.zeros(2, 3), dim=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="gelu: approximate"):
        F.gelu(cr.zeros(2), approximate="erf")
    with pytest.raises(TypeError, match="relu: input must be a Tensor"):
        nn.ReLU()([1.0, 2.0])
    with pytest.raises(ValueError, match="softplus: beta must be positive"):
        F.softplus(cr.zeros(2), beta=0)


def test_double_backward_of_gelu_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-3, 3, 7)
    xc = cr.tensor(x, requires_grad=True)
    (g,) = cr.grad(F.gelu(xc).sum(), xc, create_graph=True)
    (gg,) = cr.grad(g.sum(), xc)
    xt = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.nn.functional.gelu(xt).sum(), xt, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), xt)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)
