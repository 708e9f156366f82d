"""3-d pooling, adaptive max pooling, LP pooling, max unpooling, fold, pixel unshuffle,
channel shuffle, the 3-d and circular paddings, grid_sample and affine_grid: gradient-table
rows (float64 first and second derivatives, PyTorch as oracle, float32), the layers against
PyTorch (outputs, gradients, repr) and the errors they raise."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import (
    Case,
    distinct,
    lib_of,
    like,
    positive,
    table_tests,
)
from tests.nn.test_grad_conv import _case


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _unpool_indices(shape, out, seed=0):
    """Distinct flat indices into each (out) plane for an input of ``shape``, as a max pool
    with non-overlapping windows gives (no two values written to one place)."""
    rng = np.random.default_rng(seed)
    n, plane = int(np.prod(shape[2:])), int(np.prod(out))
    idx = [rng.choice(plane, n, replace=False) for _ in range(shape[0] * shape[1])]
    return np.stack(idx).reshape(shape)


IDX1 = _unpool_indices((2, 3, 4), (9,))
IDX2 = _unpool_indices((1, 2, 3, 2), (6, 5))


def _fn(name, *args, **kw):
    """F.<name>(*inputs, *args, **kw) in whichever library made the inputs: one row
    function for both; an array among ``args`` (indices) becomes that library's tensor."""
    def f(*xs):
        lib = lib_of(xs[0])
        mod = F if lib is cr else lib.nn.functional
        extra = [like(xs[0], a) if isinstance(a, np.ndarray) else a for a in args]
        return getattr(mod, name)(*xs, *extra, **kw)
    return f


def _row(name, fn, shapes, **kw):
    return Case(name, fn, shapes, torch_fn=fn, **kw)


CASES = [
    # 3-d pooling (distinct values: no ties at a maximum)
    _case("max_pool3d", F.max_pool3d, "max_pool3d", [(2, 2, 4, 4, 6)], sample=distinct,
          kernel_size=2),
    _case("max_pool3d_overlap", F.max_pool3d, "max_pool3d", [(1, 2, 5, 4, 5)],
          sample=distinct, kernel_size=3, stride=2, padding=1, ceil_mode=True),
    _case("max_pool3d_dilation", F.max_pool3d, "max_pool3d", [(1, 2, 5, 4, 5)],
          sample=distinct, kernel_size=(2, 2, 3), stride=1, dilation=(2, 1, 1)),
    _case("avg_pool3d", F.avg_pool3d, "avg_pool3d", [(2, 2, 4, 4, 6)], kernel_size=2),
    _case("avg_pool3d_pad_ceil", F.avg_pool3d, "avg_pool3d", [(1, 2, 5, 4, 5)],
          kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    _case("avg_pool3d_divisor", F.avg_pool3d, "avg_pool3d", [(1, 2, 4, 4, 4)],
          kernel_size=(2, 1, 2), divisor_override=3),
    _case("adaptive_avg_pool3d", F.adaptive_avg_pool3d, "adaptive_avg_pool3d",
          [(2, 2, 5, 4, 7)], output_size=(3, None, 4)),
    # adaptive max pooling: windows of unequal sizes that overlap
    _case("adaptive_max_pool1d", F.adaptive_max_pool1d, "adaptive_max_pool1d", [(2, 3, 7)],
          sample=distinct, output_size=4),
    _case("adaptive_max_pool2d", F.adaptive_max_pool2d, "adaptive_max_pool2d",
          [(2, 2, 5, 7)], sample=distinct, output_size=(3, 4)),
    _case("adaptive_max_pool2d_unbatched", F.adaptive_max_pool2d, "adaptive_max_pool2d",
          [(2, 6, 5)], sample=distinct, output_size=(4, None)),
    _case("adaptive_max_pool3d", F.adaptive_max_pool3d, "adaptive_max_pool3d",
          [(1, 2, 5, 4, 6)], sample=distinct, output_size=(2, 3, 4)),
    # LP pooling on positive inputs (x^p and the 1/p power are smooth there)
    _case("lp_pool1d", F.lp_pool1d, "lp_pool1d", [(2, 3, 7)], sample=positive, norm_type=2,
          kernel_size=3, stride=2),
    _case("lp_pool2d", F.lp_pool2d, "lp_pool2d", [(2, 2, 5, 6)], sample=positive,
          norm_type=3, kernel_size=(2, 3), ceil_mode=True),
    _case("lp_pool2d_frac", F.lp_pool2d, "lp_pool2d", [(1, 2, 4, 4)], sample=positive,
          norm_type=1.5, kernel_size=2, stride=1),
    # max unpooling: a scatter of the input to fixed distinct indices
    _row("max_unpool1d", _fn("max_unpool1d", IDX1, kernel_size=2, stride=2,
                             output_size=(9,)), [(2, 3, 4)]),
    _row("max_unpool2d", _fn("max_unpool2d", IDX2, kernel_size=2, output_size=(6, 5)),
         [(1, 2, 3, 2)]),
    # fold (col2im): overlapping blocks add up
    _case("fold", F.fold, "fold", [(2, 12, 12)], output_size=(4, 5), kernel_size=2),
    _case("fold_strided", F.fold, "fold", [(1, 12, 24)], output_size=(7, 6),
          kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
    _case("fold_unbatched", F.fold, "fold", [(8, 4)], output_size=3, kernel_size=2, stride=1,
          padding=0),
    # rearrangements
    _case("pixel_unshuffle", F.pixel_unshuffle, "pixel_unshuffle", [(2, 3, 4, 6)],
          downscale_factor=2),
    _case("channel_shuffle", F.channel_shuffle, "channel_shuffle", [(2, 6, 2, 3)], groups=3),
    # F.pad on 5-d input, every mode
    _row("pad3d_constant", _fn("pad", (1, 0, 2, 1, 0, 1), "constant", value=0.5),
         [(1, 2, 3, 3, 4)]),
    _row("pad3d_reflect", _fn("pad", (1, 2, 2, 1, 1, 1), "reflect"), [(1, 2, 3, 3, 4)]),
    _row("pad3d_replicate", _fn("pad", (1, 2, 0, 3, 2, 1), "replicate"), [(1, 2, 3, 3, 4)]),
    _row("pad3d_circular", _fn("pad", (1, 2, 2, 1, 1, 3), "circular"), [(1, 2, 3, 3, 4)]),
    _row("pad1d_circular", _fn("pad", (2, 1), "circular"), [(2, 3, 4)]),
    # sampling: grid positions past the edges exercise the padding modes
    *[_row(f"grid_sample_bilinear_{pm}_{ac}",
           _fn("grid_sample", mode="bilinear", padding_mode=pm, align_corners=ac),
           [(2, 2, 4, 5), (2, 3, 4, 2)], sample=_uniform(-1.3, 1.3))
      for pm in ("zeros", "border", "reflection") for ac in (False, True)],
    # nearest: piecewise constant in the grid, so only the input is differentiated
    *[_row(f"grid_sample_nearest_{pm}",
           _fn("grid_sample", mode="nearest", padding_mode=pm, align_corners=False),
           [(1, 2, 4, 5), (1, 3, 4, 2)], sample=_uniform(-1.3, 1.3), grad=[0])
      for pm in ("zeros", "border", "reflection")],
    _row("affine_grid", _fn("affine_grid", (2, 3, 4, 5), align_corners=False), [(2, 2, 3)]),
    _row("affine_grid_align", _fn("affine_grid", (1, 1, 3, 1), align_corners=True),
         [(1, 2, 3)]),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES)


# -- layers ------------------------------------------------------------------------------------

MODULES = [
    ("MaxPool3d", (2,), {}, (2, 3, 4, 6, 5)),
    ("MaxPool3d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (3, 6, 5, 7)),
    ("AvgPool3d", (2,), {}, (2, 3, 4, 6, 5)),
    ("AvgPool3d", ((2, 3, 1),), {"stride": 1, "padding": (1, 1, 0), "ceil_mode": True,
                                 "count_include_pad": False}, (2, 3, 4, 6, 5)),
    ("AvgPool3d", (2,), {"divisor_override": 3}, (2, 3, 4, 6, 5)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 3, 4, 6, 5)),
    ("AdaptiveAvgPool3d", (1,), {}, (3, 4, 6, 5)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveMaxPool3d", (2,), {}, (2, 3, 5, 6, 5)),
    ("LPPool1d", (2, 3), {}, (2, 3, 10)),
    ("LPPool2d", (2.5, (2, 3)), {"stride": 1, "ceil_mode": True}, (2, 3, 6, 7)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Fold", (4, (2, 3)), {"dilation": 2, "padding": 1, "stride": 1}, (2, 18, 8)),
    ("PixelUnshuffle", (2,), {}, (2, 3, 4, 6)),
    ("ChannelShuffle", (2,), {}, (2, 6, 3, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (2, 3, 4, 5)),
    ("UpsamplingNearest2d", ((5, 7),), {}, (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", (), {"scale_factor": 2}, (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", ((3, 7),), {}, (2, 3, 4, 5)),
    ("ZeroPad3d", ((1, 2, 0, 1, 2, 0),), {}, (2, 3, 4, 5, 3)),
    ("ConstantPad3d", (1, 1.5), {}, (2, 3, 4, 5, 3)),
    ("ReflectionPad3d", ((1, 2, 0, 1, 2, 1),), {}, (2, 3, 4, 5, 3)),
    ("ReplicationPad3d", (2,), {}, (2, 3, 4, 5, 3)),
    ("CircularPad1d", ((2, 1),), {}, (2, 3, 4)),
    ("CircularPad2d", ((1, 2, 3, 0),), {}, (2, 3, 4, 5)),
    ("CircularPad3d", (1,), {}, (2, 3, 4, 5, 3)),
    ("ZeroPad2d", (1,), {}, (2, 3, 4, 5)),
    ("ConstantPad1d", (2, 3.0), {}, (2, 3, 4)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES)
def test_module_matches_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    if name.startswith("LP"):
        x = np.abs(x) + 0.5
    cm, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(cm) == repr(tm)
    assert list(cm.state_dict()) == list(tm.state_dict()) == []
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cm(cx), tm(tx)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(ty.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nd,shape,size", [(1, (2, 3, 11), 4), (2, (2, 3, 7, 9), (3, 4)),
                                           (2, (3, 8, 5), (None, 2)),
                                           (3, (2, 2, 5, 6, 7), (2, 3, 4))])
def test_adaptive_max_pool_indices_match_torch(nd, shape, size):
    """The indices (flat in each input plane) of both the functional forms and the layer,
    ties included: inputs after a ReLU have whole windows of zeros."""
    torch = pytest.importorskip("torch")
    x = np.maximum(np.random.default_rng(0).standard_normal(shape), 0)
    name = f"adaptive_max_pool{nd}d"
    y, idx = getattr(F, name)(cr.tensor(x), size, return_indices=True)
    ty, tidx = getattr(torch.nn.functional, name)(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    y2, idx2 = getattr(F, name + "_with_indices")(cr.tensor(x), size)
    np.testing.assert_array_equal(idx2.numpy(), tidx.numpy())
    layer = getattr(nn, f"AdaptiveMaxPool{nd}d")(size, return_indices=True)
    np.testing.assert_array_equal(layer(cr.tensor(x))[1].numpy(), tidx.numpy())
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    getattr(F, name)(cx, size).sum().backward()
    getattr(torch.nn.functional, name)(tx, size).sum().backward()
    np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("nd,shape,kw", [
    (1, (2, 3, 10), {"kernel_size": 2}),
    (2, (2, 3, 8, 10), {"kernel_size": 2}),
    (2, (3, 7, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (3, (1, 2, 4, 6, 6), {"kernel_size": 2}),
])  # fmt: skip
def test_max_pool_then_unpool_matches_torch(nd, shape, kw):
    """MaxPoolNd(return_indices=True) then MaxUnpoolNd, with and without output_size (the
    3-d max pool's indices are PyTorch's too)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    pool, tpool = (getattr(m, f"MaxPool{nd}d")(**kw, return_indices=True)
                   for m in (nn, torch.nn))
    unpool, tunpool = (getattr(m, f"MaxUnpool{nd}d")(**kw) for m in (nn, torch.nn))
    assert repr(unpool) == repr(tunpool)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, idx), (ty, tidx) = pool(cx), tpool(tx)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    for size in (None, (1, 1) + x.shape[-nd:], x.shape[-nd:]):
        u, tu = unpool(y, idx, output_size=size), tunpool(ty, tidx, output_size=size)
        np.testing.assert_array_equal(u.numpy(), tu.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(tu.shape))
    u.backward(cr.tensor(g))
    tu.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_fold_inverts_unfold_where_blocks_tile():
    x = cr.randn(2, 3, 6, 8, dtype="float64", generator=0)
    cols = F.unfold(x, (2, 4), stride=(2, 4))
    np.testing.assert_array_equal(F.fold(cols, (6, 8), (2, 4), stride=(2, 4)).numpy(),
                                  x.numpy())
    np.testing.assert_array_equal(nn.Fold((6, 8), (2, 4), stride=(2, 4))(cols).numpy(),
                                  x.numpy())


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = cr.randn(2, 12, 3, 4, generator=0)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(),
                                  x.numpy())


def test_upsample_repr_keeps_scale_factor_as_float():
    torch = pytest.importorskip("torch")
    for args in [(None, 2), (None, (2, 3)), ((4, 5),)]:
        assert repr(nn.Upsample(*args)) == repr(torch.nn.Upsample(*args))


def test_errors_name_function_argument_and_shapes():
    with pytest.raises(ValueError, match=r"MaxPool3d: kernel 3x3x3 is larger than the padded "
                                         r"input 2x4x4"):
        nn.MaxPool3d(3)(cr.randn(1, 1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"AvgPool3d: expected a 5-d input \(N, C, D, H, W\) "
                                         r"or 4-d \(C, D, H, W\), got shape \(4, 4\)"):
        nn.AvgPool3d(2)(cr.randn(4, 4))
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be positive"):
        F.adaptive_max_pool2d(cr.randn(1, 1, 4, 4), (0, 2))
    with pytest.raises(ValueError, match="adaptive_max_pool3d: output_size must be an int or "
                                         "a tuple of 3"):
        F.adaptive_max_pool3d(cr.randn(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match="AdaptiveMaxPool1d: output_size must be >= 1"):
        nn.AdaptiveMaxPool1d(0)
    with pytest.raises(ValueError, match="lp_pool2d: norm_type must be a non-zero number"):
        F.lp_pool2d(cr.randn(1, 1, 4, 4), 0, 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices of shape \(1, 1, 2, 1\) "
                                         r"must have the input's shape \(1, 1, 2, 2\)"):
        F.max_unpool2d(cr.randn(1, 1, 2, 2), cr.tensor(np.zeros((1, 1, 2, 1), np.int64)), 2)
    with pytest.raises(ValueError, match=r"max_unpool1d: indices must lie in \[0, 4\) for "
                                         r"output size \(4,\), got values from 0 to 7"):
        F.max_unpool1d(cr.randn(1, 1, 2), cr.tensor(np.array([[[0, 7]]])), 2)
    with pytest.raises(ValueError, match=r"MaxUnpool2d: output_size \(9, 4\) must be within "
                                         r"one stride \(2, 2\) of the default size \(4, 4\)"):
        nn.MaxUnpool2d(2)(cr.randn(1, 1, 2, 2), cr.tensor(np.zeros((1, 1, 2, 2), np.int64)),
                          output_size=(9, 4))
    with pytest.raises(ValueError, match=r"fold: output_size \(4, 4\), kernel_size \(2, 2\).* "
                                         r"give 3 x 3 blocks, but the input \(shape "
                                         r"\(1, 8, 5\)\) has 5"):
        F.fold(cr.randn(1, 8, 5), 4, 2)
    with pytest.raises(ValueError, match=r"fold: the input's 6 channels .* not divisible by "
                                         r"the kernel size 2 \* 2 = 4"):
        F.fold(cr.randn(1, 6, 9), 4, 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: height and width of input "
                                         r"\(1, 2, 3, 4\) must divide by the downscale_factor"):
        F.pixel_unshuffle(cr.randn(1, 2, 3, 4), 2)
    with pytest.raises(ValueError, match=r"channel_shuffle: expected input \(N, C, \*\) with C "
                                         r"divisible by groups 4, got shape \(1, 6, 2\)"):
        nn.ChannelShuffle(4)(cr.randn(1, 6, 2))
    with pytest.raises(ValueError, match=r"pad: reflect padding \(3, 3\) must be smaller than "
                                         r"the dim of size 3"):
        nn.ReflectionPad3d(3)(cr.randn(1, 1, 3, 3, 3))
    with pytest.raises(ValueError, match="ZeroPad3d: padding must be an int or 6 ints"):
        nn.ZeroPad3d((1, 2))
    with pytest.raises(ValueError, match=r"grid_sample: expected a grid of shape \(2, Ho, Wo, "
                                         r"2\) for input \(2, 1, 4, 4\), got \(2, 3, 3\)"):
        F.grid_sample(cr.randn(2, 1, 4, 4), cr.randn(2, 3, 3))
    with pytest.raises(ValueError, match="grid_sample: mode must be 'bilinear' or 'nearest', "
                                         "got 'bicubic'"):
        F.grid_sample(cr.randn(1, 1, 4, 4), cr.randn(1, 2, 2, 2), mode="bicubic")
    with pytest.raises(ValueError, match="grid_sample: padding_mode must be"):
        F.grid_sample(cr.randn(1, 1, 4, 4), cr.randn(1, 2, 2, 2), padding_mode="wrap")
    with pytest.raises(ValueError, match=r"affine_grid: expected theta of shape \(2, 2, 3\) "
                                         r"for size \(2, 1, 4, 4\), got \(2, 3, 3\)"):
        F.affine_grid(cr.randn(2, 3, 3), (2, 1, 4, 4))
