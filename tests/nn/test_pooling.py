"""MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d against PyTorch; indices, ties, layouts,
dtypes and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

MODULES = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 7)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 8, 7)),
    ("MaxPool2d", ((2, 3),), {"stride": 1, "dilation": 2}, (3, 9, 8)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 10)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 7)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True,
                         "count_include_pad": False}, (2, 3, 8, 7)),
    ("AvgPool1d", (4,), {"stride": 3, "padding": 2, "ceil_mode": True}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, 5),), {}, (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 8, 7)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES)
def test_module_matches_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    cm, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(cm) == repr(tm)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cm(cx), tm(tx)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(ty.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_max_pool_ties_go_to_the_first_maximum():
    """After a ReLU whole windows are 0: the gradient goes to one element, as PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.maximum(np.random.default_rng(0).standard_normal((2, 2, 6, 6)), 0)
    x[0, 0, :2, :2] = 1.0
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(cx, 2).sum().backward()
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())
    cx.grad = None
    F.max_pool2d(cx, 3, stride=1).sum().backward()
    tx.grad = None
    torch.nn.functional.max_pool2d(tx, 3, stride=1).sum().backward()
    np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())


def test_return_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    y, idx = F.max_pool2d(cr.tensor(x), 3, stride=2, padding=1, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, stride=2, padding=1,
                                              return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _, idx1 = nn.MaxPool1d(2, return_indices=True)(cr.tensor(x[0]))
    _, tidx1 = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(idx1.numpy(), tidx1.numpy())


def test_channels_last_input_matches_contiguous():
    """A conv output is channels-last in memory; pooling gives the same numbers for it."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    nhwc = cr.tensor(a.transpose(0, 3, 1, 2), requires_grad=True)
    nchw = cr.tensor(np.ascontiguousarray(a.transpose(0, 3, 1, 2)), requires_grad=True)
    for f in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1)):
        y1, y2 = f(nhwc), f(nchw)
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())
        (y1 * y1).sum().backward()
        (y2 * y2).sum().backward()
        np.testing.assert_allclose(nhwc.grad.numpy(), nchw.grad.numpy(), rtol=1e-6)
        nhwc.grad = nchw.grad = None


def test_stride_defaults_to_kernel():
    assert F.max_pool2d(cr.randn(1, 1, 8, 8), 2).shape == (1, 1, 4, 4)
    assert F.avg_pool1d(cr.randn(1, 1, 9), 3).shape == (1, 1, 3)
    assert nn.MaxPool2d(2).stride == 2


def test_errors_name_layer_argument_and_shapes():
    with pytest.raises(ValueError, match=r"MaxPool2d: kernel 3x3 is larger than the padded "
                                         r"input 2x2"):
        nn.MaxPool2d(3)(cr.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"MaxPool2d: expected a 4-d input \(N, C, H, W\) or "
                                         r"3-d \(C, H, W\), got shape \(5,\)"):
        nn.MaxPool2d(2)(cr.randn(5))
    with pytest.raises(ValueError, match="AvgPool2d: padding .* at most half of the kernel"):
        nn.AvgPool2d(2, padding=2)(cr.randn(1, 1, 8, 8))
    with pytest.raises(ValueError, match="max_pool1d: kernel_size must be >= 1"):
        F.max_pool1d(cr.randn(1, 2, 5), 0)
    with pytest.raises(TypeError, match="avg_pool2d: expected a floating-point input"):
        F.avg_pool2d(cr.tensor(np.ones((1, 1, 4, 4), np.int64)), 2)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(cr.randn(1, 1, 4, 4), 0)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_max_pool_2x2_every_tie_pattern_matches_torch(channels_last, requires_grad):
    """2x2 windows take a shortcut: every pattern of equal values in a window (values from
    {0, 1}, all 16 of them), odd sizes with a remainder, either memory layout; the output,
    the indices and the gradient go to the first maximum in row-major order, as PyTorch."""
    torch = pytest.importorskip("torch")
    pats = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(np.float32)  # (16, 4)
    x = np.zeros((2, 16, 5, 7), np.float32)
    x[:, :, :4, :6] = np.random.default_rng(0).standard_normal((2, 16, 4, 6))
    x[0, :, :2, :2] = pats.reshape(16, 2, 2)
    x[1, :, 2:4, 4:6] = pats.reshape(16, 2, 2) - 1
    data = (np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            if channels_last else x)
    cx = cr.tensor(data, requires_grad=requires_grad)
    tx = torch.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(cx, 2, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    if requires_grad:
        g = np.random.default_rng(1).standard_normal(ty.shape).astype(np.float32)
        y.backward(cr.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())
    with cr.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(cx, 2).numpy(), ty.detach().numpy())
