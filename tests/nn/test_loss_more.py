"""The margin, embedding, likelihood and CTC losses, alpha dropout, dropout3d and
gumbel_softmax: gradient table rows, the layers against PyTorch, and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import (
    Case,
    away_from_zero,
    lib_of,
    like,
    positive,
    table_tests,
)

rng = np.random.default_rng(7)
SIGNS = rng.choice([-1, 1], (3, 4))  # +-1 labels, integers: they keep float32 float32
SIGNS3 = SIGNS[:, 0].copy()
T_MULTI = np.array([0, 3, 2])  # class indices for (3, 4) inputs
T_LABELS = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [2, 2, -1, 0]])  # lists ended by -1
W4 = np.array([0.5, 1.0, 2.0, 1.5])
# CTC: T = 6 frames, N = 3, C = 5 classes; targets padded (N, S) and concatenated
CTC_T = np.array([[1, 2, 2], [3, 0, 0], [4, 1, 0]])
CTC_CAT = np.array([1, 2, 2, 3, 4, 1])
CTC_IN, CTC_LEN = [6, 5, 4], [3, 1, 2]


def fn_of(t):
    """``chainrule.nn.functional`` or ``torch.nn.functional``, whichever made ``t``: each row
    is written once and serves as its own PyTorch oracle."""
    return lib_of(t).nn.functional


def row(name, fn, shapes, **kw):
    return Case(name, fn, shapes, torch_fn=fn, **kw)


def unit(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def _ctc(x, targets=CTC_T, red="mean", **kw):
    lengths = [like(x, CTC_IN), like(x, CTC_LEN)] if targets is CTC_CAT else [CTC_IN, CTC_LEN]
    return fn_of(x).ctc_loss(fn_of(x).log_softmax(x, 2), like(x, targets), *lengths,
                             reduction=red, **kw)


CASES = []
for red in ("mean", "sum", "none"):
    CASES += [
        row(f"margin_ranking_{red}", lambda a, b, r=red: fn_of(a).margin_ranking_loss(
            a, b, like(a, SIGNS), 0.3, reduction=r), [(3, 4), (3, 4)]),
        row(f"hinge_embedding_{red}", lambda x, r=red: fn_of(x).hinge_embedding_loss(
            x, like(x, SIGNS), 0.1, reduction=r), [(3, 4)], sample=away_from_zero),
        row(f"cosine_embedding_{red}", lambda a, b, r=red: fn_of(a).cosine_embedding_loss(
            a, b, like(a, SIGNS3), -0.5, reduction=r), [(3, 4), (3, 4)]),
        row(f"soft_margin_{red}", lambda x, r=red: fn_of(x).soft_margin_loss(
            x, like(x, SIGNS), reduction=r), [(3, 4)]),
        row(f"multilabel_soft_margin_{red}",
            lambda x, y, r=red: fn_of(x).multilabel_soft_margin_loss(x, y, reduction=r),
            [(3, 4), (3, 4)], sample=unit),
        row(f"multilabel_margin_{red}", lambda x, r=red: fn_of(x).multilabel_margin_loss(
            x, like(x, T_LABELS), reduction=r), [(3, 4)]),
        row(f"multi_margin_{red}", lambda x, r=red: fn_of(x).multi_margin_loss(
            x, like(x, T_MULTI), reduction=r), [(3, 4)]),
        row(f"triplet_margin_{red}", lambda a, p, n, r=red: fn_of(a).triplet_margin_loss(
            a, p, n, margin=2.0, reduction=r), [(3, 4), (3, 4), (3, 4)]),
        row(f"triplet_distance_{red}",
            lambda a, p, n, r=red: fn_of(a).triplet_margin_with_distance_loss(
                a, p, n, margin=2.0, reduction=r), [(3, 4), (3, 4), (3, 4)]),
        row(f"poisson_nll_{red}", lambda x, y, r=red: fn_of(x).poisson_nll_loss(
            x, y, reduction=r), [(3, 4), (3, 4)]),
        row(f"gaussian_nll_{red}", lambda x, y, v, r=red: fn_of(x).gaussian_nll_loss(
            x, y, v, reduction=r), [(3, 4), (3, 4), (3, 4)], sample=positive),
        row(f"ctc_{red}", lambda x, r=red: _ctc(x, red=r), [(6, 3, 5)], second_order=False),
    ]

CASES += [
    row("margin_ranking_broadcast", lambda a, b: fn_of(a).margin_ranking_loss(
        a, b, like(a, SIGNS3[:, None])), [(3, 4), (1, 4)]),
    row("cosine_embedding_1d", lambda a, b: fn_of(a).cosine_embedding_loss(
        a, b, like(a, np.array(-1)), margin=-0.5), [(5,), (5,)]),
    row("multilabel_soft_margin_weight", lambda x, y: fn_of(x).multilabel_soft_margin_loss(
        x, y, weight=like(x, W4)), [(3, 4), (3, 4)], sample=unit),
    row("multilabel_margin_1d", lambda x: fn_of(x).multilabel_margin_loss(
        x, like(x, T_LABELS[0])), [(4,)]),
    row("multi_margin_p2_weight", lambda x: fn_of(x).multi_margin_loss(
        x, like(x, T_MULTI), p=2, margin=0.7, weight=like(x, W4)), [(3, 4)]),
    row("multi_margin_1d", lambda x: fn_of(x).multi_margin_loss(
        x, like(x, np.array(2)), reduction="none"), [(4,)]),
    row("triplet_margin_p1_swap", lambda a, p, n: fn_of(a).triplet_margin_loss(
        a, p, n, margin=1.5, p=1, swap=True), [(3, 4), (3, 4), (3, 4)]),
    row("triplet_distance_cosine_swap",
        lambda a, p, n: fn_of(a).triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1.0 - fn_of(u).cosine_similarity(u, v),
            margin=1.5, swap=True), [(3, 4), (3, 4), (3, 4)]),
    row("poisson_nll_rate_full", lambda x, y: fn_of(x).poisson_nll_loss(
        x, y, log_input=False, full=True), [(3, 4), (3, 4)], sample=positive),
    row("gaussian_nll_var_per_row", lambda x, y, v: fn_of(x).gaussian_nll_loss(
        x, y, v, full=True), [(3, 4), (3, 4), (3,)], sample=positive),
    row("gaussian_nll_var_dim_1", lambda x, y, v: fn_of(x).gaussian_nll_loss(
        x, y, v, reduction="none"), [(2, 3, 4), (2, 3, 4), (2, 1, 4)], sample=positive),
    row("gaussian_nll_var_float", lambda x, y: fn_of(x).gaussian_nll_loss(x, y, 0.7),
        [(3, 4), (3, 4)]),
    row("ctc_concatenated", lambda x: _ctc(x, CTC_CAT, "sum"), [(6, 3, 5)], second_order=False),
    row("ctc_blank_last_zero_infinity", lambda x: _ctc(x, red="none", blank=4,
                                                       zero_infinity=True),
        [(6, 3, 5)], second_order=False),
    row("ctc_unbatched", lambda x: fn_of(x).ctc_loss(
        fn_of(x).log_softmax(x, 1), like(x, CTC_T[0]), like(x, 6), like(x, 3)), [(6, 5)],
        second_order=False),
    # PyTorch's CTC gradient is the one for logits, so without the log_softmax only finite
    # differences check the exact gradient with respect to the log-probabilities
    Case("ctc_log_probs", lambda x: F.ctc_loss(x, cr.tensor(CTC_T), CTC_IN, CTC_LEN),
         [(6, 3, 5)], second_order=False),
    # random ops with a seeded generator: the same mask at every call
    Case("alpha_dropout_seeded", lambda x: F.alpha_dropout(x, 0.3, True, generator=7),
         [(4, 5)]),
    Case("feature_alpha_dropout_seeded",
         lambda x: F.feature_alpha_dropout(x, 0.4, True, generator=7), [(4, 5, 3)]),
    Case("dropout3d_seeded", lambda x: F.dropout3d(x, 0.4, generator=7), [(2, 3, 2, 1, 2)]),
    Case("gumbel_softmax_seeded", lambda x: F.gumbel_softmax(x, tau=0.7, generator=3),
         [(3, 4)]),
]

# The variance's eps clamp changes values only (PyTorch clamps under no_grad): finite
# differences disagree there on purpose, so PyTorch is the only oracle for this row.
TORCH_ONLY = [
    row("gaussian_nll_eps", lambda x, y, v: fn_of(x).gaussian_nll_loss(x, y, v, eps=1.0),
        [(3, 4), (3, 4), (3, 4)], sample=positive),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES, TORCH_ONLY)


def test_every_new_function_has_a_row():
    names = " ".join(c.name for c in CASES + TORCH_ONLY)
    for fn in ("margin_ranking", "hinge_embedding", "cosine_embedding", "soft_margin",
               "multilabel_soft_margin", "multilabel_margin", "multi_margin", "triplet_margin",
               "triplet_distance", "poisson_nll", "gaussian_nll", "ctc", "alpha_dropout",
               "feature_alpha_dropout", "dropout3d", "gumbel_softmax"):
        assert fn in names, fn


# -- layers against PyTorch -------------------------------------------------------------------


def _layers():
    import torch

    def both(name, *args, **kw):
        conv = {k: (cr.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        tconv = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return getattr(nn, name)(*args, **conv), getattr(torch.nn, name)(*args, **tconv)

    r = np.random.default_rng(1)
    x, y, z = r.standard_normal((3, 6, 4)).astype(np.float32)
    pos = r.uniform(0.5, 2.0, (6, 4)).astype(np.float32)
    signs, t = r.choice([-1, 1], (6, 4)), r.integers(0, 4, 6)
    labels = np.where(r.uniform(size=(6, 4)) < 0.3, -1, r.integers(0, 4, (6, 4)))
    w = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
    lp = r.standard_normal((8, 2, 5)).astype(np.float32)
    out = []
    for red in ("mean", "sum", "none"):
        out += [
            (both("MarginRankingLoss", margin=0.2, reduction=red), (x, y, signs)),
            (both("HingeEmbeddingLoss", margin=0.5, reduction=red), (x, signs)),
            (both("CosineEmbeddingLoss", margin=0.1, reduction=red), (x, y, signs[:, 0])),
            (both("SoftMarginLoss", reduction=red), (x, signs)),
            (both("MultiLabelSoftMarginLoss", weight=w, reduction=red), (x, (signs > 0) * 1.0)),
            (both("MultiLabelMarginLoss", reduction=red), (x, labels)),
            (both("MultiMarginLoss", p=2, margin=0.5, weight=w, reduction=red), (x, t)),
            (both("TripletMarginLoss", margin=0.5, p=1.0, swap=True, reduction=red), (x, y, z)),
            (both("TripletMarginWithDistanceLoss", reduction=red), (x, y, z)),
            (both("PoissonNLLLoss", full=True, reduction=red), (x, pos * 2)),
            (both("GaussianNLLLoss", full=True, reduction=red), (x, y, pos)),
            (both("CTCLoss", blank=1, reduction=red, zero_infinity=True),
             (lp, np.array([[2, 3, 3], [0, 4, 0]]), np.array([8, 2]), np.array([3, 2]))),
        ]
    return out


def test_loss_layers_match_torch():
    torch = pytest.importorskip("torch")
    for (m, tm), args in _layers():
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
        xs = [cr.tensor(a) for a in args]
        ts = [torch.tensor(a) for a in args]
        xs[0].requires_grad = ts[0].requires_grad = True
        if isinstance(m, nn.CTCLoss):  # CTC is fed log-probabilities
            y = m(F.log_softmax(xs[0], 2), *xs[1:])
            ty = tm(torch.log_softmax(ts[0], 2), *ts[1:])
        else:
            y, ty = m(*xs), tm(*ts)
        assert y.dtype == np.float32, m
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=repr(m))
        g = np.ones(y.shape, np.float32)
        y.backward(cr.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=repr(m))


def test_layer_attributes_are_torchs():
    torch = pytest.importorskip("torch")
    for name, kw in [("MultiMarginLoss", dict(p=2, margin=0.3)),
                     ("TripletMarginLoss", dict(margin=0.4, p=1.0, eps=1e-3, swap=True)),
                     ("TripletMarginWithDistanceLoss", dict(margin=0.4, swap=True)),
                     ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-4)),
                     ("GaussianNLLLoss", dict(full=True, eps=1e-3)),
                     ("CTCLoss", dict(blank=3, zero_infinity=True)),
                     ("MarginRankingLoss", dict(margin=0.3)),
                     ("AlphaDropout", dict(p=0.2)), ("FeatureAlphaDropout", {}),
                     ("Dropout3d", dict(p=0.1))]:
        m, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(m) == repr(tm)
        for k, v in vars(tm).items():
            if not k.startswith("_") and k != "training":
                assert getattr(m, k) == v, (name, k)


# -- dropout variants and gumbel_softmax ----------------------------------------------------


def test_alpha_dropout_keeps_mean_and_variance():
    x = cr.randn(200_000, generator=0)
    for f in (F.alpha_dropout, F.feature_alpha_dropout):
        y = f(cr.reshape(x, (2000, 100)), 0.3, True, generator=1).numpy()
        assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02, f
    y = F.feature_alpha_dropout(cr.randn(4, 6, 5, generator=0), 0.5, True, generator=2).numpy()
    alpha = 1.7580993408473766
    value = -alpha * (1 - 0.5) / np.sqrt((alpha**2 * 0.5 + 1) * (1 - 0.5))
    dropped = np.isclose(y, value).all(axis=2)  # whole channels take the dropped value
    assert dropped.any() and not dropped.all()


def test_dropout_variants_identity_in_eval_and_seeded():
    x = cr.randn(2, 3, 2, 2, 2, generator=0)
    for m in (nn.AlphaDropout(0.4, generator=5), nn.FeatureAlphaDropout(0.4, generator=5),
              nn.Dropout3d(0.4, generator=5)):
        m.eval()
        assert m(x) is x or np.array_equal(m(x).numpy(), x.numpy())
        m.train()
        a = type(m)(0.4, generator=5)(x).numpy()
        np.testing.assert_array_equal(a, type(m)(0.4, generator=5)(x).numpy())
        assert not np.array_equal(a, x.numpy())
    assert np.array_equal(F.alpha_dropout(x, 0.5).numpy(), x.numpy())  # training=False default
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).numpy(), 0.0)
    y = F.dropout3d(x, 0.5, generator=3).numpy()
    per_channel = y.reshape(2, 3, -1)
    assert ((per_channel == 0).all(axis=2) | (per_channel != 0).all(axis=2)).all()
    y = F.dropout3d(x[0], 0.5, generator=3).numpy()  # unbatched (C, D, H, W)
    assert y.shape == (3, 2, 2, 2)


def test_gumbel_softmax_matches_its_formula_in_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 5))
    g = -np.log(np.random.default_rng(4).standard_exponential((3, 5)))
    y = F.gumbel_softmax(cr.tensor(x), tau=0.5, dim=0, generator=4)
    ty = torch.softmax((torch.tensor(x) + torch.tensor(g)) / 0.5, 0)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12)


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    x = cr.randn(4, 6, dtype="float64", requires_grad=True, generator=0)
    w = cr.randn(4, 6, dtype="float64", generator=1)
    y = F.gumbel_softmax(x, hard=True, generator=2)
    np.testing.assert_array_equal(y.numpy().sum(-1), 1.0)
    assert set(np.unique(y.numpy())) == {0.0, 1.0}
    (gh,) = cr.grad([(y * w).sum()], [x])
    (gs,) = cr.grad([(F.gumbel_softmax(x, generator=2) * w).sum()], [x])
    np.testing.assert_allclose(gh.numpy(), gs.numpy())


# -- CTC specifics ------------------------------------------------------------------------------


def test_ctc_matches_torch_on_a_longer_batch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    T, N, C = 30, 4, 7
    x = r.standard_normal((T, N, C))
    tl = np.array([10, 3, 0, 7])
    il = np.array([30, 12, 5, 25])
    tg = r.integers(1, C, (N, 10))
    tg[0, 3] = tg[0, 4]  # a repeat, which needs a blank in between
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.ctc_loss(F.log_softmax(xc, 2), cr.tensor(tg), il, tl, reduction="sum")
    ty = torch.nn.functional.ctc_loss(torch.log_softmax(xt, 2), torch.tensor(tg),
                                      torch.tensor(il), torch.tensor(tl), reduction="sum")
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-10)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), atol=1e-10)


def test_ctc_infinite_loss():
    lp = F.log_softmax(cr.randn(3, 1, 4, generator=0, requires_grad=True), 2)
    t = cr.tensor([[1, 1, 2]])  # needs 4 frames (a blank between the repeats), has 3
    assert F.ctc_loss(lp, t, [3], [3], reduction="sum").item() == np.inf
    y = F.ctc_loss(lp, t, [3], [3], reduction="sum", zero_infinity=True)
    assert y.item() == 0.0
    (g,) = cr.grad([y], [lp])
    np.testing.assert_array_equal(g.numpy(), 0.0)
    with pytest.raises(NotImplementedError, match="ctc_loss: the second derivative"):
        (g,) = cr.grad([F.ctc_loss(lp, cr.tensor([[1]]), [3], [1])], [lp], create_graph=True)


# -- errors -------------------------------------------------------------------------------------


def test_errors():
    x, t = cr.zeros(3, 4), cr.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1, input2 and target must "
                                         r"have the same number of dims, got shapes \(3, 4\), "
                                         r"\(3, 4\) and \(3,\)"):
        F.margin_ranking_loss(x, x, cr.ones(3))
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: target shape \(4,\) differs"):
        F.hinge_embedding_loss(x, cr.ones(4))
    with pytest.raises(ValueError, match="cosine_embedding_loss: target must be 0-d or 1-d"):
        F.cosine_embedding_loss(x, x, cr.ones(3, 1))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: a 1-d target needs 2-d "
                                         r"inputs, got shapes \(4,\) and \(4,\)"):
        F.cosine_embedding_loss(cr.ones(4), cr.ones(4), cr.ones(3))
    with pytest.raises(ValueError, match="soft_margin_loss: reduction must be one of"):
        F.soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"multilabel_margin_loss: target shape \(3,\) differs"):
        F.multilabel_margin_loss(x, t)
    with pytest.raises(IndexError, match="multilabel_margin_loss: target class 4 is out of "
                                         "range for 4 classes"):
        F.multilabel_margin_loss(x, cr.full((3, 4), 4))
    with pytest.raises(TypeError, match="multilabel_margin_loss: target must hold class"):
        F.multilabel_margin_loss(x, x)
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected target of shape \(3,\)"):
        F.multi_margin_loss(x, cr.tensor([0, 1]))
    with pytest.raises(IndexError, match="multi_margin_loss: target class 7 is out of range"):
        F.multi_margin_loss(x, cr.tensor([0, 1, 7]))
    with pytest.raises(ValueError, match="multi_margin_loss: p must be 1 or 2, got 3"):
        F.multi_margin_loss(x, t, p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must have shape \(4,\)"):
        F.multi_margin_loss(x, t, weight=cr.ones(3))
    with pytest.raises(ValueError, match="MultiMarginLoss: p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match=r"triplet_margin_with_distance_loss: anchor, positive "
                                         r"and negative must have the same number of dims"):
        F.triplet_margin_with_distance_loss(x, x, cr.zeros(4))
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: margin must be in"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match=r"poisson_nll_loss: target shape \(4,\) differs"):
        F.poisson_nll_loss(x, cr.ones(4))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3, 2\) must have "
                                         r"the input's shape \(3, 4\)"):
        F.gaussian_nll_loss(x, x, cr.ones(3, 2))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entries"):
        F.gaussian_nll_loss(x, x, -cr.ones(3, 4))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entries"):
        F.gaussian_nll_loss(x, x, -1.0)


def test_ctc_errors():
    lp = cr.zeros(5, 2, 4)
    tg = cr.tensor([[1, 2], [3, 3]])
    with pytest.raises(ValueError, match=r"ctc_loss: log_probs must be \(T, N, C\)"):
        F.ctc_loss(cr.zeros(5), tg, [5, 5], [2, 2])
    with pytest.raises(ValueError, match="ctc_loss: input_lengths must be at most T = 5, got 6"):
        F.ctc_loss(lp, tg, [6, 5], [2, 2])
    with pytest.raises(ValueError, match="ctc_loss: target_lengths must hold 2 integers"):
        F.ctc_loss(lp, tg, [5, 5], [2])
    with pytest.raises(ValueError, match=r"ctc_loss: padded targets of shape \(2, 2\) must be "
                                         r"\(N=2, S >= 3\)"):
        F.ctc_loss(lp, tg, [5, 5], [3, 2])
    with pytest.raises(ValueError, match="ctc_loss: concatenated targets hold 3 labels, fewer "
                                         "than the sum of target_lengths, 4"):
        F.ctc_loss(lp, cr.tensor([1, 2, 3]), [5, 5], [2, 2])
    with pytest.raises(IndexError, match="ctc_loss: target class 4 is out of range for 4"):
        F.ctc_loss(lp, cr.tensor([[1, 4], [3, 3]]), [5, 5], [2, 2])
    with pytest.raises(ValueError, match="ctc_loss: blank 4 is out of range for 4 classes"):
        F.ctc_loss(lp, tg, [5, 5], [2, 2], blank=4)
    with pytest.raises(ValueError, match="ctc_loss: input_lengths must be non-negative"):
        F.ctc_loss(lp, tg, [5, -1], [2, 2])
    with pytest.raises(ValueError, match="CTCLoss: blank must be >= 0"):
        nn.CTCLoss(blank=-1)
