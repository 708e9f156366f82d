"""MultiheadAttention, scaled_dot_product_attention and the Transformer encoder against
PyTorch (weights copied by state_dict key), plus the errors a user can run into."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")

E, HEADS, L, S, N = 8, 2, 4, 5, 3


def _copy(module, tmodule):
    sd = tmodule.state_dict()
    assert list(module.state_dict()) == list(sd)
    module.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in sd.items()})


def _leaves(arrays):
    return ([cr.tensor(a, dtype="float64", requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _check_grads(m, tm, y, ty, xs, ts):
    g = np.random.default_rng(9).standard_normal(y.shape)
    (y * cr.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    for a, b in zip(xs, ts):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), atol=1e-10,
                                   err_msg=name)


def _mha(**kw):
    tm = torch.nn.MultiheadAttention(E, HEADS, **kw).double()
    m = nn.MultiheadAttention(E, HEADS, **kw, dtype="float64")
    _copy(m, tm)
    return m, tm


def _qkv(batch_first, kdim=E, vdim=E, seed=0):
    rng = np.random.default_rng(seed)
    shape = (lambda n, f: (N, n, f)) if batch_first else (lambda n, f: (n, N, f))
    return [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kdim)),
            rng.standard_normal(shape(S, vdim))]


_bool_attn = np.random.default_rng(1).random((L, S)) < 0.3
_bool_attn[:, 0] = False  # every query keeps one key
_kpm = np.zeros((N, S), bool)
_kpm[0, -2:] = True

MASKS = {
    "none": {},
    "bool_attn": {"attn_mask": _bool_attn},
    "float_attn": {"attn_mask": np.random.default_rng(2).standard_normal((L, S))},
    "3d_attn": {"attn_mask": np.random.default_rng(3).random((N * HEADS, L, S)) < 0.3},
    "padding": {"key_padding_mask": _kpm},
    "both": {"attn_mask": _bool_attn, "key_padding_mask": _kpm},
    "float_padding": {"key_padding_mask": np.where(_kpm, -1e9, 0.0)},
}


@pytest.mark.parametrize("masks", list(MASKS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_mha_matches_torch(masks, batch_first, average):
    m, tm = _mha(batch_first=batch_first)
    kw = dict(MASKS[masks])
    if masks == "3d_attn":
        kw["attn_mask"] = kw["attn_mask"].copy()
        kw["attn_mask"][..., 0] = False
    xs, ts = _leaves(_qkv(batch_first))
    y, w = m(*xs, average_attn_weights=average, **{k: cr.tensor(v) for k, v in kw.items()})
    ty, tw = tm(*ts, average_attn_weights=average, **{k: torch.tensor(v) for k, v in kw.items()})
    assert w.shape == ((N, L, S) if average else (N, HEADS, L, S))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), atol=1e-10)
    _check_grads(m, tm, y, ty, xs, ts)


def test_mha_kdim_vdim_and_no_bias():
    m, tm = _mha(kdim=6, vdim=7, bias=False)
    assert m.in_proj_weight is None and "q_proj_weight" in m.state_dict()
    xs, ts = _leaves(_qkv(False, kdim=6, vdim=7))
    y, w = m(*xs)
    ty, tw = tm(*ts)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    _check_grads(m, tm, y, ty, xs, ts)


def test_mha_self_attention_causal_and_unbatched():
    m, tm = _mha()
    x = np.random.default_rng(4).standard_normal((L, E))  # unbatched
    xs, ts = _leaves([x])
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    y, w = m(xs[0], xs[0], xs[0], is_causal=True)
    ty, tw = tm(ts[0], ts[0], ts[0], attn_mask=causal, is_causal=True)
    assert y.shape == (L, E) and w.shape == (L, L)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), atol=1e-10)
    assert np.all(np.triu(w.numpy(), 1) == 0)
    _check_grads(m, tm, y, ty, xs, ts)
    y2, w2 = m(xs[0], xs[0], xs[0], need_weights=False)
    assert w2 is None


def test_mha_parameters_and_init():
    m = nn.MultiheadAttention(16, 4)
    tm = torch.nn.MultiheadAttention(16, 4)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    bound = np.sqrt(6 / (16 + 48))
    assert 0.8 * bound < np.abs(m.in_proj_weight.numpy()).max() <= bound


def test_mha_dropout_is_seeded_and_off_in_eval():
    q = cr.randn(L, N, E)
    outs = [nn.MultiheadAttention(E, HEADS, dropout=0.5, generator=cr.Generator(3))(q, q, q)[0]
            for _ in range(2)]
    np.testing.assert_array_equal(outs[0].numpy(), outs[1].numpy())  # same seed, same mask
    m = nn.MultiheadAttention(E, HEADS, dropout=0.5)
    a, b = m(q, q, q)[0], m(q, q, q)[0]
    assert not np.allclose(a.numpy(), b.numpy())
    m.eval()
    np.testing.assert_array_equal(m(q, q, q)[0].numpy(), m(q, q, q)[0].numpy())


SDPA = {
    "plain": {},
    "causal": {"is_causal": True},
    "bool_mask": {"attn_mask": np.random.default_rng(5).random((L, S)) < 0.7},
    "float_mask": {"attn_mask": np.random.default_rng(6).standard_normal((N, 1, L, S))},
    "scale": {"scale": 0.25},
}


@pytest.mark.parametrize("case", list(SDPA))
def test_sdpa_matches_torch(case):
    kw = dict(SDPA[case])
    if case == "bool_mask":
        kw["attn_mask"][:, 0] = True
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((N, 2, L, 6)), rng.standard_normal((N, 2, S, 6)),
              rng.standard_normal((N, 2, S, 3))]
    xs, ts = _leaves(arrays)
    conv = lambda f: {k: f(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}  # noqa: E731
    y = F.scaled_dot_product_attention(*xs, **conv(cr.tensor))
    ty = torch.nn.functional.scaled_dot_product_attention(*ts, **conv(torch.tensor))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    g = rng.standard_normal(y.shape)
    (y * cr.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    for a, b in zip(xs, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)


def test_sdpa_dropout():
    q = cr.randn(2, 4, 8)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, generator=cr.Generator(0))
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, generator=cr.Generator(0))
    c = F.scaled_dot_product_attention(q, q, q)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(activation, norm_first, batch_first):
    kw = dict(dim_feedforward=16, activation=activation, norm_first=norm_first,
              batch_first=batch_first)
    tm = torch.nn.TransformerEncoderLayer(E, HEADS, **kw).double().eval()
    m = nn.TransformerEncoderLayer(E, HEADS, **kw, dtype="float64").eval()
    _copy(m, tm)
    rng = np.random.default_rng(8)
    xs, ts = _leaves([rng.standard_normal((N, L, E) if batch_first else (L, N, E))])
    kpm = np.zeros((N, L), bool)
    kpm[1, -1] = True
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    y = m(xs[0], src_mask=cr.tensor(causal.numpy()),
          src_key_padding_mask=cr.tensor(np.where(kpm, -np.inf, 0.0)))
    ty = tm(ts[0], src_mask=causal, src_key_padding_mask=torch.tensor(np.where(kpm, -np.inf, 0)))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-9)
    _check_grads(m, tm, y, ty, xs, ts)


def test_encoder_stack_matches_torch():
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, HEADS, 16), 2,
                                     norm=torch.nn.LayerNorm(E),
                                     enable_nested_tensor=False).double().eval()
    m = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, HEADS, 16, dtype="float64"), 2,
                              norm=nn.LayerNorm(E, dtype="float64")).eval()
    assert m.layers[0].linear1.weight is not m.layers[1].linear1.weight
    _copy(m, tm)
    x = np.random.default_rng(10).standard_normal((L, N, E))
    np.testing.assert_allclose(m(cr.tensor(x, dtype="float64")).numpy(),
                               tm(torch.tensor(x)).detach().numpy(), atol=1e-9)


def test_encoder_layer_dropout_in_training():
    layer = nn.TransformerEncoderLayer(E, HEADS, 16, dropout=0.3)
    x = cr.randn(L, N, E)
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())


@pytest.mark.parametrize("call, match", [
    (lambda m: m(cr.randn(L, N, 6), cr.randn(S, N, E), cr.randn(S, N, E)),
     r"MultiheadAttention: expected query with 8 features .*\(4, 3, 6\)"),
    (lambda m: m(cr.randn(L, N, E), cr.randn(S, N, E), cr.randn(S + 1, N, E)),
     r"MultiheadAttention: key \(5, 3, 8\) and value \(6, 3, 8\)"),
    (lambda m: m(cr.randn(L, N, E), cr.randn(S, N + 1, E), cr.randn(S, N + 1, E)),
     r"different batch sizes"),
    (lambda m: m(cr.randn(L, N, E), cr.randn(S, N, E), cr.randn(S, N, E),
                 attn_mask=cr.zeros(L, L)),
     r"MultiheadAttention: attn_mask has shape \(4, 4\) but expected \(4, 5\) or \(6, 4, 5\)"),
    (lambda m: m(cr.randn(L, N, E), cr.randn(S, N, E), cr.randn(S, N, E),
                 key_padding_mask=cr.zeros(N, L)),
     r"MultiheadAttention: key_padding_mask has shape \(3, 4\) but expected \(3, 5\)"),
    (lambda m: nn.TransformerEncoderLayer(E, HEADS)(cr.randn(L, N, 6)),
     r"TransformerEncoderLayer: expected src with 8 features .*\(4, 3, 6\)"),
    (lambda m: F.scaled_dot_product_attention(cr.randn(2, L, 6), cr.randn(2, S, 5),
                                              cr.randn(2, S, 5)),
     r"scaled_dot_product_attention: query \(2, 4, 6\), key \(2, 5, 5\)"),
    (lambda m: nn.MultiheadAttention(10, 3), r"embed_dim \(10\) must be divisible by num_heads"),
    (lambda m: nn.TransformerEncoderLayer(E, HEADS, activation="swish"),
     r"activation must be 'relu', 'gelu'"),
])
def test_bad_input_errors(call, match):
    m = nn.MultiheadAttention(E, HEADS)
    with pytest.raises(ValueError, match=match):
        call(m)
