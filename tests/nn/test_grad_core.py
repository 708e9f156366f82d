"""Gradient table rows for chainrule.nn.functional: activations, linear, embedding, pad,
dropout and every loss (each reduction, weights, ignore_index, label smoothing)."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from tests.gradtable import (
    Case,
    away_from_zero,
    check_against_torch,
    check_case,
    check_float32,
    positive,
)

rng = np.random.default_rng(42)
T_IDX = np.array([0, 2, 1, 3, 2])  # targets for 5 samples, 4 classes
T_IDX_IGN = np.array([0, -100, 1, 3, -100])
T_SPATIAL = rng.integers(0, 3, (2, 2, 2))  # (N, d1, d2) targets for input (2, 3, 2, 2)
W4 = np.array([0.5, 1.0, 2.0, 1.5])
W12 = rng.uniform(0.5, 2.0, (3, 4))
EMB_IDX = np.array([[1, 3, 3], [0, 2, 1]])


def unit(rng, shape):
    """Values in (0.1, 0.9): probabilities away from 0 and 1."""
    return rng.uniform(0.1, 0.9, shape)


def probs(rng, shape):
    """Rows of a probability distribution along axis 1."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=1, keepdims=True)


def _t(a):
    return cr.tensor(a)


def _tt(a):
    import torch

    return torch.tensor(a)


def _tf(name):
    def f(*xs, **kw):
        import torch.nn.functional as tF

        return getattr(tF, name)(*xs, **kw)

    return f


def _tw():
    return _tt(W4)


CASES = [
    # activations
    Case("erf", F.erf, [(3, 4)], torch_fn=lambda x: x.erf()),
    Case("erf_wide", F.erf, [(50,)], sample=lambda r, s: r.uniform(-6, 6, s),
         torch_fn=lambda x: x.erf()),
    Case("softplus", F.softplus, [(3, 4)], torch_fn=_tf("softplus")),
    Case("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0), [(3, 4)],
         sample=lambda r, s: r.uniform(-3, 3, s) + 0.05,
         torch_fn=lambda x: _tf("softplus")(x, beta=2.0, threshold=3.0)),
    Case("elu", F.elu, [(3, 4)], sample=away_from_zero, torch_fn=_tf("elu")),
    Case("elu_alpha", lambda x: F.elu(x, 0.5), [(2, 3)], sample=away_from_zero,
         torch_fn=lambda x: _tf("elu")(x, 0.5)),
    Case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [(3, 4)], sample=away_from_zero,
         torch_fn=lambda x: _tf("leaky_relu")(x, 0.1)),
    Case("gelu", F.gelu, [(3, 4)], torch_fn=_tf("gelu")),
    Case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), [(3, 4)],
         torch_fn=lambda x: _tf("gelu")(x, approximate="tanh")),
    Case("silu", F.silu, [(3, 4)], torch_fn=_tf("silu")),
    Case("relu", F.relu, [(3, 4)], sample=away_from_zero, torch_fn=_tf("relu")),
    Case("sigmoid", F.sigmoid, [(3, 4)], torch_fn=lambda x: x.sigmoid()),
    Case("tanh", F.tanh, [(3, 4)], torch_fn=lambda x: x.tanh()),
    Case("softmax", lambda x: F.softmax(x, dim=1), [(3, 4)],
         torch_fn=lambda x: _tf("softmax")(x, dim=1)),
    Case("log_softmax", lambda x: F.log_softmax(x, dim=0), [(3, 4)],
         torch_fn=lambda x: _tf("log_softmax")(x, dim=0)),
    # layers as functions
    Case("linear", F.linear, [(5, 4), (3, 4), (3,)], torch_fn=_tf("linear")),
    Case("linear_nobias", F.linear, [(2, 5, 4), (3, 4)], torch_fn=_tf("linear")),
    Case("linear_3d", F.linear, [(2, 2, 4), (3, 4), (3,)], torch_fn=_tf("linear")),
    Case("bilinear", F.bilinear, [(3, 2), (3, 4), (5, 2, 4), (5,)], torch_fn=_tf("bilinear")),
    Case("embedding", lambda w: F.embedding(_t(EMB_IDX), w), [(4, 3)],
         torch_fn=lambda w: _tf("embedding")(_tt(EMB_IDX), w)),
    Case("pad_constant", lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), [(2, 3, 4)],
         torch_fn=lambda x: _tf("pad")(x, (1, 2, 0, 1), value=0.5)),
    Case("pad_reflect", lambda x: F.pad(x, (2, 1), mode="reflect"), [(2, 3, 4)],
         torch_fn=lambda x: _tf("pad")(x, (2, 1), mode="reflect")),
    Case("pad_replicate", lambda x: F.pad(x, (2, 1, 1, 1), mode="replicate"), [(1, 2, 3, 4)],
         torch_fn=lambda x: _tf("pad")(x, (2, 1, 1, 1), mode="replicate")),
    Case("pad_circular", lambda x: F.pad(x, (2, 1), mode="circular"), [(1, 2, 4)],
         torch_fn=lambda x: _tf("pad")(x, (2, 1), mode="circular")),
    Case("dropout_seeded", lambda x: F.dropout(x, 0.3, generator=7), [(4, 5)]),
]

# regression losses, each reduction
for red in ("mean", "sum", "none"):
    CASES += [
        Case(f"mse_{red}", lambda x, y, r=red: F.mse_loss(x, y, reduction=r), [(3, 4), (3, 4)],
             torch_fn=lambda x, y, r=red: _tf("mse_loss")(x, y, reduction=r)),
        Case(f"l1_{red}", lambda x, y, r=red: F.l1_loss(x, y, reduction=r), [(3, 4), (3, 4)],
             torch_fn=lambda x, y, r=red: _tf("l1_loss")(x, y, reduction=r)),
        Case(f"smooth_l1_{red}", lambda x, y, r=red: F.smooth_l1_loss(x, y, reduction=r,
                                                                      beta=0.7),
             [(3, 4), (3, 4)],
             torch_fn=lambda x, y, r=red: _tf("smooth_l1_loss")(x, y, reduction=r, beta=0.7)),
        Case(f"huber_{red}", lambda x, y, r=red: F.huber_loss(x, y, reduction=r, delta=0.8),
             [(3, 4), (3, 4)],
             torch_fn=lambda x, y, r=red: _tf("huber_loss")(x, y, reduction=r, delta=0.8)),
        Case(f"bce_{red}", lambda x, y, r=red: F.binary_cross_entropy(x, y, reduction=r),
             [(3, 4), (3, 4)], sample=unit,
             torch_fn=lambda x, y, r=red: _tf("binary_cross_entropy")(x, y, reduction=r)),
        Case(f"bce_logits_{red}",
             lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, reduction=r),
             [(3, 4), (3, 4)], sample=unit,
             torch_fn=lambda x, y, r=red: _tf("binary_cross_entropy_with_logits")(
                 x, y, reduction=r)),
        Case(f"kl_div_{red}", lambda x, y, r=red: F.kl_div(x, y, reduction=r),
             [(3, 4), (3, 4)], sample=unit,
             torch_fn=lambda x, y, r=red: _tf("kl_div")(x, y, reduction=r)),
        Case(f"cross_entropy_{red}",
             lambda x, r=red: F.cross_entropy(x, _t(T_IDX), reduction=r), [(5, 4)],
             torch_fn=lambda x, r=red: _tf("cross_entropy")(x, _tt(T_IDX), reduction=r)),
        Case(f"cross_entropy_w_ign_ls_{red}",
             lambda x, r=red: F.cross_entropy(x, _t(T_IDX_IGN), weight=_t(W4), reduction=r,
                                              label_smoothing=0.2), [(5, 4)],
             torch_fn=lambda x, r=red: _tf("cross_entropy")(
                 x, _tt(T_IDX_IGN), weight=_tw(), reduction=r, label_smoothing=0.2)),
        Case(f"cross_entropy_probs_{red}",
             lambda x, y, r=red: F.cross_entropy(x, y, reduction=r, weight=_t(W4),
                                                 label_smoothing=0.1),
             [(5, 4), (5, 4)], sample=probs,
             torch_fn=lambda x, y, r=red: _tf("cross_entropy")(x, y, reduction=r, weight=_tw(),
                                                               label_smoothing=0.1)),
        Case(f"nll_{red}", lambda x, r=red: F.nll_loss(x, _t(T_IDX_IGN), weight=_t(W4),
                                                       reduction=r), [(5, 4)],
             torch_fn=lambda x, r=red: _tf("nll_loss")(x, _tt(T_IDX_IGN), weight=_tw(),
                                                       reduction=r)),
    ]

CASES += [
    Case("mse_weighted", lambda x, y: F.mse_loss(x, y, weight=_t(W12)), [(3, 4), (3, 4)],
         torch_fn=lambda x, y: _tf("mse_loss")(x, y, weight=_tt(W12))),
    Case("l1_weighted", lambda x, y: F.l1_loss(x, y, weight=_t(W12), reduction="sum"),
         [(3, 4), (3, 4)], sample=away_from_zero,
         torch_fn=lambda x, y: _tf("l1_loss")(x, y, weight=_tt(W12), reduction="sum")),
    Case("huber_weighted", lambda x, y: F.huber_loss(x, y, weight=_t(W12)), [(3, 4), (3, 4)],
         torch_fn=lambda x, y: _tf("huber_loss")(x, y, weight=_tt(W12))),
    Case("cross_entropy_weight", lambda x: F.cross_entropy(x, _t(T_IDX), weight=_t(W4)),
         [(5, 4)], torch_fn=lambda x: _tf("cross_entropy")(x, _tt(T_IDX), weight=_tw())),
    Case("cross_entropy_ignore", lambda x: F.cross_entropy(x, _t(T_IDX_IGN)), [(5, 4)],
         torch_fn=lambda x: _tf("cross_entropy")(x, _tt(T_IDX_IGN))),
    Case("cross_entropy_smoothing", lambda x: F.cross_entropy(x, _t(T_IDX),
                                                              label_smoothing=0.3), [(5, 4)],
         torch_fn=lambda x: _tf("cross_entropy")(x, _tt(T_IDX), label_smoothing=0.3)),
    Case("cross_entropy_spatial", lambda x: F.cross_entropy(x, _t(T_SPATIAL)), [(2, 3, 2, 2)],
         torch_fn=lambda x: _tf("cross_entropy")(x, _tt(T_SPATIAL))),
    Case("cross_entropy_spatial_ls_none",
         lambda x: F.cross_entropy(x, _t(T_SPATIAL), weight=_t(W4[:3]), label_smoothing=0.1,
                                   reduction="none"), [(2, 3, 2, 2)],
         torch_fn=lambda x: _tf("cross_entropy")(x, _tt(T_SPATIAL), weight=_tt(W4[:3]),
                                                 label_smoothing=0.1, reduction="none")),
    Case("cross_entropy_unbatched", lambda x: F.cross_entropy(x, _t(np.array(2))), [(4,)],
         torch_fn=lambda x: _tf("cross_entropy")(x, _tt(np.array(2)))),
    Case("nll_spatial", lambda x: F.nll_loss(x, _t(T_SPATIAL)), [(2, 3, 2, 2)],
         torch_fn=lambda x: _tf("nll_loss")(x, _tt(T_SPATIAL))),
    Case("bce_weight", lambda x, y: F.binary_cross_entropy(x, y, weight=_t(W4)),
         [(3, 4), (3, 4)], sample=unit,
         torch_fn=lambda x, y: _tf("binary_cross_entropy")(x, y, weight=_tw())),
    Case("bce_logits_pos_weight",
         lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=_t(W4),
                                                         pos_weight=_t(W4[::-1].copy())),
         [(3, 4), (3, 4)], sample=unit,
         torch_fn=lambda x, y: _tf("binary_cross_entropy_with_logits")(
             x, y, weight=_tw(), pos_weight=_tt(W4[::-1].copy()))),
    Case("kl_div_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
         [(3, 4), (3, 4)], sample=unit,
         torch_fn=lambda x, y: _tf("kl_div")(x, y, reduction="batchmean")),
    Case("kl_div_log_target", lambda x, y: F.kl_div(x, y, log_target=True, reduction="sum"),
         [(3, 4), (3, 4)],
         torch_fn=lambda x, y: _tf("kl_div")(x, y, log_target=True, reduction="sum")),
    Case("kl_div_positive", lambda x, y: F.kl_div(x, y), [(3, 4), (3, 4)], sample=positive,
         torch_fn=lambda x, y: _tf("kl_div")(x, y)),
]

# Attention: the same machinery (q (2, 3, 4), k and v (2, 5, 4); causal with L = S).
CASES += [
    Case("sdpa", F.scaled_dot_product_attention, [(2, 3, 4), (2, 5, 4), (2, 5, 4)],
         torch_fn=_tf("scaled_dot_product_attention")),
    Case("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
         [(2, 4, 4), (2, 4, 4), (2, 4, 3)],
         torch_fn=lambda q, k, v: _tf("scaled_dot_product_attention")(q, k, v, is_causal=True)),
]


# The padding row is read by the forward pass but gets no gradient by definition, so finite
# differences disagree there on purpose: PyTorch is the only oracle for this row.
TORCH_ONLY = [
    Case("embedding_pad", lambda w: F.embedding(_t(EMB_IDX), w, padding_idx=3), [(4, 3)],
         torch_fn=lambda w: _tf("embedding")(_tt(EMB_IDX), w, padding_idx=3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradients(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES + TORCH_ONLY if c.torch_fn], ids=str)
@pytest.mark.filterwarnings("ignore:reduction. .mean. divides")
def test_against_torch(case):
    pytest.importorskip("torch")
    check_against_torch(case)


def test_every_functional_op_has_a_row():
    names = {c.name.split("_")[0] for c in CASES}
    for fn in ("erf", "softplus", "elu", "leaky", "gelu", "silu", "linear", "embedding", "pad",
               "dropout", "mse", "l1", "smooth", "huber", "cross", "nll", "bce", "kl"):
        assert fn in names, fn


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_stays_float32(case):
    check_float32(case)
