"""Conv3d and ConvTranspose3d (F.conv3d, F.conv_transpose3d): gradient-table rows, PyTorch's
weights giving PyTorch's outputs and gradients, state_dict keys, repr and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import table_tests
from tests.nn.test_grad_conv import _case
from tests.nn.torch_compare import assert_module_matches

CASES = [
    _case("conv3d", F.conv3d, "conv3d", [(2, 2, 4, 4, 3), (3, 2, 2, 2, 2), (3,)]),
    _case("conv3d_stride_pad_dil_groups", F.conv3d, "conv3d",
          [(1, 4, 5, 6, 5), (4, 2, 2, 3, 2), (4,)], stride=(2, 1, 2), padding=(1, 0, 1),
          dilation=(1, 2, 1), groups=2),
    _case("conv3d_same", F.conv3d, "conv3d", [(1, 2, 4, 3, 4), (2, 2, 2, 3, 2)],
          padding="same"),
    _case("conv3d_valid", F.conv3d, "conv3d", [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2)],
          padding="valid"),
    _case("conv3d_unbatched", F.conv3d, "conv3d", [(2, 3, 3, 3), (2, 2, 2, 2, 2)]),
    _case("conv_transpose3d", F.conv_transpose3d, "conv_transpose3d",
          [(1, 2, 3, 2, 3), (2, 3, 2, 2, 2), (3,)], stride=2, padding=1, output_padding=1),
    _case("conv_transpose3d_groups_dil", F.conv_transpose3d, "conv_transpose3d",
          [(1, 4, 2, 3, 2), (4, 1, 2, 2, 2)], groups=2, dilation=(1, 2, 1),
          stride=(1, 2, 1)),
    _case("conv_transpose3d_unbatched", F.conv_transpose3d, "conv_transpose3d",
          [(2, 2, 2, 3), (2, 2, 2, 1, 2)], stride=(2, 1, 1)),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES)


MODULES = [
    ("Conv3d", (3, 4, 3), {}, (2, 3, 5, 6, 5)),
    ("Conv3d", (4, 6, (2, 3, 2)), {"stride": (1, 2, 2), "padding": (1, 0, 1),
                                   "dilation": (2, 1, 1), "groups": 2, "bias": False},
     (2, 4, 6, 7, 6)),
    ("Conv3d", (2, 4, 3), {"padding": "same"}, (2, 2, 4, 5, 4)),
    ("Conv3d", (2, 4, 2), {"padding": "valid"}, (2, 4, 3, 4)),
    ("ConvTranspose3d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                    "groups": 2}, (2, 4, 3, 4, 3)),
    ("ConvTranspose3d", (3, 2, (2, 1, 3)), {"dilation": (1, 1, 2), "bias": False},
     (3, 3, 2, 4)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kwargs,shape", MODULES)
def test_module_matches_torch(name, args, kwargs, shape, dtype):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    cm = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert {k: tuple(v.shape) for k, v in cm.state_dict().items()} == {
        k: tuple(v.shape) for k, v in tm.state_dict().items()}
    assert repr(cm) == repr(tm)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert_module_matches(cm, tm, x, rtol=tol, atol=tol)


def test_default_init_bounds_and_shapes():
    m = nn.Conv3d(4, 8, 3, groups=2, generator=0)
    assert m.weight.shape == (8, 2, 3, 3, 3) and m.bias.shape == (8,)
    assert np.abs(m.weight.numpy()).max() <= 1 / np.sqrt(2 * 27)
    t = nn.ConvTranspose3d(4, 6, (1, 2, 3), groups=2)
    assert t.weight.shape == (4, 3, 1, 2, 3)
    assert nn.Conv3d(1, 2, 3)(cr.randn(2, 1, 5, 5, 5)).shape == (2, 2, 3, 3, 3)


def test_channels_last_input_matches_contiguous():
    """A 5-d input with channels innermost in memory takes the other im2col layout."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 5, 3, 6))  # (N, D, H, W, C)
    w = cr.tensor(rng.standard_normal((4, 3, 2, 2, 2)), requires_grad=True)
    xl = cr.tensor(a.transpose(0, 4, 1, 2, 3), requires_grad=True)
    xc = cr.tensor(np.ascontiguousarray(a.transpose(0, 4, 1, 2, 3)), requires_grad=True)
    y1, y2 = F.conv3d(xl, w, groups=2, padding=1), F.conv3d(xc, w, groups=2, padding=1)
    np.testing.assert_allclose(y1.numpy(), y2.numpy(), rtol=1e-12, atol=1e-12)
    g1 = cr.grad((y1 * y1).sum(), [xl, w])
    g2 = cr.grad((y2 * y2).sum(), [xc, w])
    for a1, a2 in zip(g1, g2):
        np.testing.assert_allclose(a1.numpy(), a2.numpy(), rtol=1e-12, atol=1e-12)


def test_errors_name_layer_argument_and_shapes():
    m = nn.Conv3d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv3d: expected input with 3 channels, got "
                                         r"\(2, 1, 5, 5, 5\)"):
        m(cr.randn(2, 1, 5, 5, 5))
    with pytest.raises(ValueError, match=r"Conv3d: expected a 5-d input \(N, C, D, H, W\) or "
                                         r"4-d \(C, D, H, W\), got shape \(5, 5\)"):
        m(cr.randn(5, 5))
    with pytest.raises(ValueError, match=r"Conv3d: kernel size 3 .*larger than the padded "
                                         r"input size 2 along D"):
        m(cr.randn(1, 3, 2, 5, 5))
    with pytest.raises(ValueError, match=r"conv3d: expected a 5-d weight \(out, in/groups, "
                                         r"kd, kh, kw\), got shape \(2, 3, 3, 3\)"):
        F.conv3d(cr.randn(1, 3, 4, 4, 4), cr.randn(2, 3, 3, 3))
    with pytest.raises(ValueError, match="conv3d: padding='same' is not supported for strided"):
        F.conv3d(cr.randn(1, 3, 4, 4, 4), cr.randn(2, 3, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(TypeError, match="Conv3d: kernel_size must be an int or a tuple of 3"):
        nn.Conv3d(3, 4, (3, 3))
    with pytest.raises(ValueError, match="conv_transpose3d: output_padding .* must be smaller"):
        F.conv_transpose3d(cr.randn(1, 2, 3, 3, 3), cr.randn(2, 2, 3, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match=r"ConvTranspose3d: expected input with 4 channels"):
        nn.ConvTranspose3d(4, 2, 3)(cr.randn(1, 3, 5, 5, 5))
    with pytest.raises(ValueError, match="Conv3d: only padding_mode='zeros'"):
        nn.Conv3d(3, 4, 3, padding_mode="circular")
