"""Gradient table rows for convolution, pooling and normalization in chainrule.nn.functional:
first and second derivatives against finite differences, values and gradients against
PyTorch."""

import numpy as np
import pytest

import chainrule.nn.functional as F
from tests.gradtable import Case, check_against_torch, check_case, check_float32, distinct


def _tf(name, **fixed):
    def f(*xs, **kw):
        import torch.nn.functional as tF

        return getattr(tF, name)(*xs, **fixed, **kw)

    return f


def _cf(fn, **fixed):
    return lambda *xs: fn(*xs, **fixed)


def _case(name, fn, tname, shapes, **kw):
    """A row whose chainrule and PyTorch functions take the same keyword arguments."""
    sample = kw.pop("sample", None)
    second = kw.pop("second_order", True)
    return Case(name, _cf(fn, **kw), shapes, sample=sample, torch_fn=_tf(tname, **kw),
                second_order=second)


def _bn_train(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True)


def _bn_train_torch(x, w, b):
    import torch.nn.functional as tF

    return tF.batch_norm(x, None, None, w, b, training=True)


CASES = [
    # convolution
    _case("conv2d", F.conv2d, "conv2d", [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]),
    _case("conv2d_stride_pad", F.conv2d, "conv2d", [(2, 2, 6, 5), (3, 2, 3, 2)],
          stride=(2, 1), padding=(1, 2)),
    _case("conv2d_dilation", F.conv2d, "conv2d", [(1, 2, 7, 6), (3, 2, 2, 3), (3,)],
          dilation=(2, 1), padding=1),
    _case("conv2d_groups", F.conv2d, "conv2d", [(2, 4, 5, 4), (6, 2, 3, 3), (6,)],
          groups=2, padding=1, stride=2),
    _case("conv2d_depthwise", F.conv2d, "conv2d", [(1, 3, 4, 4), (3, 1, 2, 2)], groups=3),
    _case("conv2d_same", F.conv2d, "conv2d", [(1, 2, 5, 4), (2, 2, 2, 3)], padding="same",
          dilation=2),
    _case("conv2d_unbatched", F.conv2d, "conv2d", [(2, 4, 4), (3, 2, 2, 2)]),
    _case("conv1d", F.conv1d, "conv1d", [(2, 3, 7), (4, 3, 3), (4,)], stride=2, padding=1),
    _case("conv1d_groups_dil", F.conv1d, "conv1d", [(2, 4, 8), (2, 2, 3)], groups=2,
          dilation=2, padding="same"),
    _case("conv_transpose2d", F.conv_transpose2d, "conv_transpose2d",
          [(2, 3, 3, 4), (3, 2, 3, 3), (2,)], stride=2, padding=1, output_padding=1),
    _case("conv_transpose2d_groups", F.conv_transpose2d, "conv_transpose2d",
          [(1, 4, 3, 3), (4, 1, 2, 3), (2,)], groups=2, dilation=(1, 2), stride=(1, 2)),
    _case("conv_transpose1d", F.conv_transpose1d, "conv_transpose1d",
          [(2, 2, 4), (2, 3, 3)], stride=3, padding=1, output_padding=2),
    # pooling (distinct values: no ties at the maximum)
    _case("max_pool2d", F.max_pool2d, "max_pool2d", [(2, 2, 4, 6)], sample=distinct,
          kernel_size=2),
    _case("max_pool2d_overlap", F.max_pool2d, "max_pool2d", [(1, 2, 5, 5)], sample=distinct,
          kernel_size=3, stride=2, padding=1, ceil_mode=True),
    _case("max_pool2d_dilation", F.max_pool2d, "max_pool2d", [(1, 2, 6, 5)], sample=distinct,
          kernel_size=(2, 2), stride=1, dilation=(2, 1)),
    _case("max_pool1d", F.max_pool1d, "max_pool1d", [(2, 3, 7)], sample=distinct,
          kernel_size=3, stride=2, padding=1),
    _case("avg_pool2d", F.avg_pool2d, "avg_pool2d", [(2, 2, 4, 6)], kernel_size=2),
    _case("avg_pool2d_pad", F.avg_pool2d, "avg_pool2d", [(1, 2, 5, 5)], kernel_size=3,
          stride=2, padding=1, ceil_mode=True),
    _case("avg_pool2d_nopadcount", F.avg_pool2d, "avg_pool2d", [(1, 2, 5, 5)], kernel_size=3,
          stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    _case("avg_pool2d_divisor", F.avg_pool2d, "avg_pool2d", [(1, 2, 4, 4)], kernel_size=2,
          divisor_override=3),
    _case("avg_pool1d", F.avg_pool1d, "avg_pool1d", [(2, 3, 7)], kernel_size=3, stride=2,
          padding=1, count_include_pad=False),
    _case("adaptive_avg_pool2d", F.adaptive_avg_pool2d, "adaptive_avg_pool2d",
          [(2, 2, 5, 7)], output_size=(3, 4)),
    _case("adaptive_avg_pool1d", F.adaptive_avg_pool1d, "adaptive_avg_pool1d",
          [(2, 2, 7)], output_size=3),
    # normalization
    Case("batch_norm_train", _bn_train, [(4, 3, 2, 2), (3,), (3,)], torch_fn=_bn_train_torch),
    Case("batch_norm_train_2d", _bn_train, [(5, 3), (3,), (3,)], torch_fn=_bn_train_torch),
    Case("batch_norm_eval",
         lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
         [(3, 2, 4), (2,), (2,), (2,), (2,)],
         sample=lambda r, s: r.uniform(0.5, 2.0, s), grad=[0, 3, 4],
         torch_fn=lambda x, rm, rv, w, b: _tf("batch_norm")(x, rm, rv, w, b,
                                                            training=False)),
    _case("layer_norm", F.layer_norm, "layer_norm", [(3, 4, 5)], normalized_shape=(4, 5)),
    Case("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (5,), w, b),
         [(2, 3, 5), (5,), (5,)], torch_fn=lambda x, w, b: _tf("layer_norm")(x, (5,), w, b)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradients(case):
    check_case(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch(case):
    pytest.importorskip("torch")
    check_against_torch(case)


def test_conv_second_derivative_against_torch():
    """A gradient penalty through conv2d (double backward) matches PyTorch's."""
    torch = pytest.importorskip("torch")
    import chainrule as cr

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    cx, cw = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gx,) = cr.grad((F.conv2d(cx, cw, stride=2, groups=2, padding=1) ** 2).sum(), cx,
                    create_graph=True)
    (tgx,) = torch.autograd.grad((torch.nn.functional.conv2d(tx, tw, stride=2, groups=2,
                                                             padding=1) ** 2).sum(), tx,
                                 create_graph=True)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_stays_float32(case):
    check_float32(case)
