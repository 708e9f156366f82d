"""Loss modules against PyTorch (float32), stability on extreme logits, and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 5)).astype(np.float32)
Y = rng.standard_normal((6, 5)).astype(np.float32)
P = rng.uniform(0.05, 0.95, (6, 5)).astype(np.float32)
B = (rng.uniform(size=(6, 5)) > 0.5).astype(np.float32)
T = np.array([0, 4, 2, 2, 1, 3])
W = np.array([1.0, 2.0, 0.5, 1.5, 3.0], np.float32)


def _run(m, tm, x, target):
    import torch

    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tgt = torch.tensor(target)
    y, ty = m(xc, cr.tensor(target)), tm(xt, tgt)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.ones(y.shape, np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    assert xc.grad.dtype == np.float32
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    return y, xc.grad


def _modules():
    import torch

    def both(name, *args, **kw):
        conv = {k: (cr.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        tconv = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return getattr(nn, name)(*args, **conv), getattr(torch.nn, name)(*args, **tconv)

    out = []
    for red in ("mean", "sum", "none"):
        out += [
            (both("MSELoss", reduction=red), X, Y), (both("L1Loss", reduction=red), X, Y),
            (both("SmoothL1Loss", reduction=red, beta=0.5), X, Y),
            (both("HuberLoss", reduction=red, delta=0.5), X, Y),
            (both("CrossEntropyLoss", reduction=red), X, T),
            (both("CrossEntropyLoss", weight=W, reduction=red, label_smoothing=0.1), X, T),
            (both("CrossEntropyLoss", reduction=red), X, P / P.sum(1, keepdims=True)),
            (both("NLLLoss", weight=W, reduction=red), X, T),
            (both("BCELoss", reduction=red), P, B),
            (both("BCEWithLogitsLoss", reduction=red, pos_weight=W), X, B),
            (both("KLDivLoss", reduction=red), X, P),
        ]
    out += [
        (both("CrossEntropyLoss", ignore_index=2), X, T),
        (both("KLDivLoss", reduction="batchmean", log_target=True), X, Y),
        (both("BCELoss", weight=W), P, B),
    ]
    return out


def test_loss_modules_match_torch():
    pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note about KLDivLoss 'mean'
        for (m, tm), x, t in _modules():
            assert repr(m) == repr(tm)
            assert list(m.state_dict()) == list(tm.state_dict())
            _run(m, tm, x, t)


def test_cross_entropy_stable_on_huge_logits():
    torch = pytest.importorskip("torch")
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [0.0, 0.0, 1e4]], np.float32)
    t = np.array([1, 1, 2])
    for ls in (0.0, 0.2):
        y, g = _run(nn.CrossEntropyLoss(label_smoothing=ls),
                    torch.nn.CrossEntropyLoss(label_smoothing=ls), x, t)
        assert np.isfinite(y.numpy()) and np.isfinite(g.numpy()).all()
        assert y.item() > 1000


def test_bce_with_logits_stable_on_huge_logits():
    torch = pytest.importorskip("torch")
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], np.float32)
    t = np.array([1.0, 0.0, 1.0, 1.0, 0.0], np.float32)
    y, g = _run(nn.BCEWithLogitsLoss(reduction="none"),
                torch.nn.BCEWithLogitsLoss(reduction="none"), x, t)
    np.testing.assert_allclose(y.numpy()[[0, 4]], [1000, 1000])


def test_bce_clamps_log_like_pytorch():
    torch = pytest.importorskip("torch")
    p = np.array([0.0, 1.0, 0.5, 1e-30], np.float32)
    t = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    y, g = _run(nn.BCELoss(reduction="none"), torch.nn.BCELoss(reduction="none"), p, t)
    np.testing.assert_allclose(y.numpy()[:2], [100, 100])
    assert np.isfinite(g.numpy()).all()


def test_class_targets_spatial_and_unbatched():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    t = rng.integers(0, 4, (2, 3, 3))
    t[0, 0, 0] = -100
    _run(nn.CrossEntropyLoss(reduction="none"), torch.nn.CrossEntropyLoss(reduction="none"),
         x, t)
    _run(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), X[0], np.array(3))
    _run(nn.NLLLoss(), torch.nn.NLLLoss(), x, t)


def test_cross_entropy_errors():
    x = cr.zeros(4, 10)
    with pytest.raises(IndexError, match="cross_entropy: target class 10 is out of range for 10"):
        F.cross_entropy(x, cr.tensor([0, 10, 1, 2]))
    with pytest.raises(IndexError, match="target class -3 is out of range"):
        F.cross_entropy(x, cr.tensor([0, -3, 1, 2]))
    F.cross_entropy(x, cr.tensor([0, -100, 1, 2]))  # ignore_index is allowed
    with pytest.raises(ValueError, match=r"expected target of shape \(4,\).*got \(4, 1\)"):
        F.cross_entropy(x, cr.tensor([[0], [1], [2], [3]]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, cr.tensor([0, 1, 2, 3]), reduction="avg")
    with pytest.raises(ValueError, match=r"weight must have shape \(10,\)"):
        F.cross_entropy(x, cr.tensor([0, 1, 2, 3]), weight=cr.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(IndexError, match="nll_loss: target class 12"):
        F.nll_loss(x, cr.tensor([0, 12, 1, 2]))


def test_elementwise_loss_errors():
    with pytest.raises(ValueError, match=r"mse_loss: target shape \(4, 1\) differs from input "
                                         r"shape \(4,\)"):
        F.mse_loss(cr.zeros(4), cr.zeros(4, 1))
    with pytest.raises(ValueError, match="binary_cross_entropy: input values must be"):
        F.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(cr.zeros(2), cr.zeros(2), reduction="avg")


def test_legacy_reduction_arguments():
    m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"
    y = F.mse_loss(cr.ones(3), cr.zeros(3), size_average=False)
    assert y.item() == 3.0
