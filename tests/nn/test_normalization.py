"""BatchNorm1d/2d and LayerNorm against PyTorch: outputs, gradients, running statistics,
eval mode, state_dict keys, repr and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.nn.torch_compare import assert_step_matches


def _load(cm, tm):
    cm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def _randomize(tm):
    import torch

    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype))


BN = [
    ("BatchNorm2d", {}, (4, 3, 5, 4)),
    ("BatchNorm2d", {"momentum": None}, (4, 3, 5, 4)),
    ("BatchNorm2d", {"affine": False, "momentum": 0.3, "eps": 1e-3}, (4, 3, 5, 4)),
    ("BatchNorm2d", {"bias": False}, (4, 3, 2, 2)),
    ("BatchNorm1d", {}, (8, 3)),
    ("BatchNorm1d", {}, (4, 3, 6)),
    ("BatchNorm1d", {"track_running_stats": False}, (4, 3, 6)),
]


@pytest.mark.parametrize("name,kwargs,shape", BN)
def test_batchnorm_matches_torch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(3, **kwargs).double()
    cm = getattr(nn, name)(3, **kwargs, dtype="float64")
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert repr(cm) == repr(tm)
    _randomize(tm)
    _load(cm, tm)
    rng = np.random.default_rng(0)
    for _ in range(3):  # a few training steps: outputs, gradients, running statistics
        x = rng.standard_normal(shape) * 2 + 1
        assert_step_matches(cm, tm, x, rng.standard_normal(shape))
    cm.eval()
    tm.eval()
    x = rng.standard_normal(shape)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cm(cx), tm(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-10)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-10)


def test_batchnorm_float32_and_counter():
    bn = nn.BatchNorm2d(4)
    x = cr.randn(8, 4, 3, 3)
    y = bn(x)
    assert y.dtype == np.float32 and bn.running_mean.dtype == np.float32
    assert int(bn.num_batches_tracked.item()) == 1
    np.testing.assert_allclose(y.numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               0.1 * x.numpy().mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-7)
    bn.eval()
    bn(x)
    assert int(bn.num_batches_tracked.item()) == 1


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}])
def test_layernorm_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    tm = torch.nn.LayerNorm((4, 5), **kwargs).double()
    cm = nn.LayerNorm((4, 5), **kwargs, dtype="float64")
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert repr(cm) == repr(tm)
    _randomize(tm)
    _load(cm, tm)
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cm(cx), tm(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(x.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-10)
    tparams = dict(tm.named_parameters())
    for k, p in cm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[k].grad.numpy(), rtol=1e-7)


def test_batchnorm_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2))
    w = np.array([0.5, 1.5, -1.0])
    cx, cw = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gx,) = cr.grad((F.batch_norm(cx, None, None, cw, None, True) ** 3).sum(), cx,
                    create_graph=True)
    (tgx,) = torch.autograd.grad((torch.nn.functional.batch_norm(
        tx, None, None, tw, None, True) ** 3).sum(), tx, create_graph=True)
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), rtol=1e-7, atol=1e-10)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_errors_name_layer_argument_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input with 3 channels, got "
                                         r"\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(cr.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a 4-d \(N, C, H, W\) input, "
                                         r"got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(cr.randn(2, 3))
    with pytest.raises(ValueError, match="BatchNorm1d: expected a 2-d"):
        nn.BatchNorm1d(3)(cr.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(cr.randn(1, 3))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm2d(3, momentum=2.0)
    with pytest.raises(ValueError, match=r"LayerNorm: expected an input whose last dimensions "
                                         r"are normalized_shape \(4, 5\), got \(2, 5, 4\)"):
        nn.LayerNorm((4, 5))(cr.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"layer_norm: expected weight of shape \(3,\)"):
        F.layer_norm(cr.randn(2, 3), 3, cr.randn(4))
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(cr.randn(2, 3), None, None, training=False)
