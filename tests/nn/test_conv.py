"""Conv1d, Conv2d, ConvTranspose1d/2d: PyTorch's weights give PyTorch's outputs and
gradients; init, repr, dtypes and the errors a user can trigger."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.nn.torch_compare import assert_module_matches

MODULES = [
    ("Conv2d", (3, 8, 3), {}, (4, 3, 10, 9)),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": (1, 0), "dilation": (1, 2),
                                "groups": 2, "bias": False}, (2, 4, 9, 9)),
    ("Conv2d", (2, 4, 3), {"padding": "same"}, (2, 2, 6, 6)),
    ("Conv2d", (2, 4, 3), {"padding": "valid"}, (2, 6, 6)),
    ("Conv1d", (3, 5, 4), {"stride": 2, "padding": 1}, (2, 3, 11)),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                    "groups": 2}, (2, 4, 5, 4)),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 2}, (2, 3, 6)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kwargs,shape", MODULES)
def test_module_matches_torch(name, args, kwargs, shape, dtype):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    cm = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert cm.weight.shape == tuple(tm.weight.shape)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert_module_matches(cm, tm, x, rtol=tol, atol=tol)


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    for name, args, kwargs, _ in MODULES:
        assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
            getattr(torch.nn, name)(*args, **kwargs))
    assert repr(nn.Conv2d(1, 32, 3)) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"


def test_default_init_bounds():
    m = nn.Conv2d(4, 8, 3, groups=2, generator=0)
    bound = 1 / math.sqrt(2 * 9)  # fan_in = in/groups * kh * kw
    w, b = m.weight.numpy(), m.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    assert w.dtype == np.float32
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert np.abs(t.weight.numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_same_seed_same_weights():
    a = nn.Conv2d(2, 3, 3, generator=7).weight.numpy()
    b = nn.Conv2d(2, 3, 3, generator=7).weight.numpy()
    np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    m = nn.Conv2d(3, 4, 3)
    x = cr.randn(2, 3, 6, 6, requires_grad=True)
    y = m(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and m.weight.grad.dtype == np.float32


def test_conv_output_shapes():
    x = cr.randn(2, 3, 28, 28)
    assert F.conv2d(x, cr.randn(8, 3, 3, 3), stride=2, padding=1).shape == (2, 8, 14, 14)
    assert F.conv2d(x, cr.randn(8, 3, 4, 4), padding="same").shape == (2, 8, 28, 28)
    assert F.conv_transpose2d(cr.randn(2, 8, 7, 7), cr.randn(8, 3, 3, 3), stride=2,
                              padding=1, output_padding=1).shape == (2, 3, 14, 14)


def test_backward_twice_without_retain_graph_raises():
    m = nn.Conv2d(1, 2, 3)
    y = m(cr.randn(1, 1, 5, 5)).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_errors_name_layer_argument_and_shapes():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d: expected input with 3 channels, got "
                                         r"\(8, 1, 28, 28\)"):
        m(cr.randn(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"Conv2d: expected a 4-d input \(N, C, H, W\) or 3-d "
                                         r"\(C, H, W\), got shape \(28, 28\)"):
        m(cr.randn(28, 28))
    with pytest.raises(ValueError, match=r"Conv2d: kernel size 3 .*larger than the padded"):
        m(cr.randn(1, 3, 2, 5))
    with pytest.raises(ValueError, match="Conv1d: expected a 3-d input"):
        nn.Conv1d(2, 2, 3)(cr.randn(1, 2, 5, 5))
    with pytest.raises(TypeError, match="conv2d: input dtype float64 and weight dtype float32"):
        F.conv2d(cr.randn(1, 3, 5, 5, dtype="float64"), cr.randn(2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: expected a bias of shape \(2,\)"):
        F.conv2d(cr.randn(1, 3, 5, 5), cr.randn(2, 3, 3, 3), cr.randn(3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(cr.randn(1, 3, 5, 5), cr.randn(2, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels 3 must be divisible by groups 2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(TypeError, match="kernel_size must be an int or a tuple of 2"):
        nn.Conv2d(3, 4, (3, 3, 3))
    with pytest.raises(ValueError, match="output_padding .* must be smaller than stride"):
        F.conv_transpose2d(cr.randn(1, 2, 3, 3), cr.randn(2, 2, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: expected input with 4 channels"):
        nn.ConvTranspose2d(4, 2, 3)(cr.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
