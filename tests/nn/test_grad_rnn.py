"""Gradient table rows for the recurrent kernels and attention: first and second derivatives
against finite differences (float64, small sizes), and PyTorch as a second oracle."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.nn.attention import MultiheadAttention
from chainrule.nn.rnn import GRU, LSTM, RNN, LSTMCell
from chainrule.ops.rnn import GATES, recurrence
from tests.gradtable import Case, check_against_torch, check_case, check_float32

T, N, I, H = 3, 2, 3, 2


def _shapes(mode, bias=True):
    G = GATES[mode] * H
    shapes = [(T, N, I), (N, H)] + ([(N, H)] if mode == "LSTM" else []) + [(G, I), (G, H)]
    return shapes + ([(G,), (G,)] if bias else [])


def _layer(mode, reverse, fused):
    def f(x, h0, *rest):
        c0 = rest[0] if mode == "LSTM" else None
        params = rest[1:] if mode == "LSTM" else rest
        return recurrence(mode, x, h0, c0, *params, reverse=reverse, fused=fused)

    return f


def _scaled(rng, shape):
    """Moderate values: gates away from saturation, relu pre-activations rarely near 0."""
    return 0.8 * rng.standard_normal(shape)


RNN_CASES = [
    Case(f"{mode}{'_rev' if rev else ''}{'' if fused else '_composed'}",
         _layer(mode, rev, fused), _shapes(mode), sample=_scaled)
    for mode in GATES for rev, fused in ((False, True), (True, True), (False, False))
    if fused or mode == "LSTM"
] + [
    Case(f"{mode}_nobias", _layer(mode, False, True), _shapes(mode, bias=False),
         sample=_scaled, second_order=False)
    for mode in GATES
]


@pytest.mark.parametrize("case", RNN_CASES, ids=str)
def test_recurrence_gradients(case):
    check_case(case)


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_equals_composed(mode, reverse):
    rng = np.random.default_rng(0)
    xs = [cr.tensor(_scaled(rng, s), dtype="float64") for s in _shapes(mode)]
    for a, b in zip(_layer(mode, reverse, True)(*xs), _layer(mode, reverse, False)(*xs)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 3, 16])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_chunked_backward_equals_composed(chunk, reverse, bias, monkeypatch):
    """The fused LSTM's backward turns the gate gradients of ``chunk`` steps at a time into
    weight and input gradients: chunks that divide the sequence, chunks that do not, and
    one chunk longer than it all give the step-by-step gradients."""
    from chainrule.ops.rnn import _LSTMRecurrence

    monkeypatch.setattr(_LSTMRecurrence, "chunk", chunk)
    rng = np.random.default_rng(1)
    shapes = [(7, 3, 4), (3, 5), (3, 5), (20, 4), (20, 5)] + ([(20,), (20,)] if bias else [])
    arrays = [_scaled(rng, s) for s in shapes]
    gys = [rng.standard_normal(s) for s in [(7, 3, 5), (3, 5), (3, 5)]]
    grads = []
    for fused in (True, False):
        xs = [cr.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
        outs = recurrence("LSTM", *xs[:3], *xs[3:], reverse=reverse, fused=fused)
        total = sum(((o * g).sum() for o, g in zip(outs, gys)), cr.tensor(0.0, dtype="float64"))
        grads.append(cr.grad(total, xs))
    for name, a, b in zip(["x", "h0", "c0", "W_ih", "W_hh", "b_ih", "b_hh"], *grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("chunk", [1, 3, 16])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_backward_with_batch_major_output_gradient(chunk, reverse, monkeypatch):
    """The gradient of y as a batch_first model hands it back, (T, N, H) with each step's
    rows far apart, gives exactly the gradients of its contiguous copy."""
    from chainrule.ops.rnn import _LSTMRecurrence

    monkeypatch.setattr(_LSTMRecurrence, "chunk", chunk)
    rng = np.random.default_rng(4)
    arrays = [_scaled(rng, s) for s in [(7, 3, 4), (3, 5), (3, 5), (20, 4), (20, 5),
                                         (20,), (20,)]]
    gy = rng.standard_normal((3, 7, 5)).swapaxes(0, 1)  # batch-major storage
    assert not gy[0].flags.c_contiguous
    z = np.zeros((3, 5))
    grads = []
    for g in (gy, np.ascontiguousarray(gy)):
        xs = [cr.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
        y, _, _ = recurrence("LSTM", *xs[:3], *xs[3:], reverse=reverse)
        grads.append(y.creator._grads([g, z, z]))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_lstm_gradient_of_some_inputs_only():
    """Inputs that need no gradient get none, and the others are unchanged by that."""
    rng = np.random.default_rng(2)
    arrays = [_scaled(rng, s) for s in _shapes("LSTM")]
    full = [cr.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    y, h, c = _layer("LSTM", False, True)(*full)
    ref = cr.grad((y * y).sum() + h.sum() + c.sum(), full)
    for wanted in ([0], [1, 2], [4], [3, 5], [6]):
        xs = [cr.tensor(a, dtype="float64", requires_grad=i in wanted)
              for i, a in enumerate(arrays)]
        y, h, c = _layer("LSTM", False, True)(*xs)
        got = cr.grad((y * y).sum() + h.sum() + c.sum(), [xs[i] for i in wanted])
        for i, g in zip(wanted, got):
            np.testing.assert_allclose(g.numpy(), ref[i].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_batch_major_output(reverse):
    """``batch_major`` stores y batch-major (swapping the first two axes is free); the
    values and the gradients are those of the time-major layout."""
    rng = np.random.default_rng(3)
    arrays = [_scaled(rng, s) for s in _shapes("LSTM")]
    results = []
    for batch_major in (False, True):
        xs = [cr.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
        y, h, c = recurrence("LSTM", *xs[:3], *xs[3:], reverse=reverse,
                             batch_major=batch_major)
        assert y.shape == (T, N, H)
        assert y.numpy().swapaxes(0, 1).flags.c_contiguous == batch_major
        results.append([y.numpy(), *cr.grad((y * y).sum() + h.sum(), xs)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_third_derivative_raises():
    xs = [cr.tensor(_scaled(np.random.default_rng(0), s), dtype="float64", requires_grad=True)
          for s in _shapes("GRU")]
    y, h = _layer("GRU", False, True)(*xs)
    (g,) = cr.grad(h.sum(), xs[0], create_graph=True)
    (gg,) = cr.grad((g * g).sum(), xs[0])  # second derivatives work
    assert np.isfinite(gg.numpy()).all()
    (g,) = cr.grad(h.sum(), xs[0], create_graph=True)
    with pytest.raises(RuntimeError, match="third derivatives"):
        cr.grad((g * g).sum(), xs[0], create_graph=True)


MODULES = [
    ("lstm_2layer_bidir", lambda: LSTM(I, H, num_layers=2, bidirectional=True, dtype="float64")),
    ("gru_2layer_bidir", lambda: GRU(I, H, num_layers=2, bidirectional=True, dtype="float64")),
    ("rnn_2layer_bidir", lambda: RNN(I, H, num_layers=2, bidirectional=True, dtype="float64")),
    ("gru_batch_first", lambda: GRU(I, H, batch_first=True, dtype="float64")),
]


@pytest.mark.parametrize("name, make", MODULES, ids=[m[0] for m in MODULES])
def test_module_gradcheck(name, make):
    """Input, initial state and every parameter of a stacked, bidirectional layer."""
    m = make()
    rng = np.random.default_rng(1)
    D = m.num_directions * m.num_layers
    x_shape = (N, 2, I) if m.batch_first else (2, N, I)
    x = cr.tensor(rng.standard_normal(x_shape), dtype="float64", requires_grad=True)
    h0 = cr.tensor(rng.standard_normal((D, N, H)), dtype="float64", requires_grad=True)
    lstm = isinstance(m, LSTM)
    c0 = cr.tensor(rng.standard_normal((D, N, H)), dtype="float64", requires_grad=True)
    params = list(m.parameters())

    def f(x, h0, c0, *_):
        if lstm:
            y, (h, c) = m(x, (h0, c0))
            return y, h, c
        y, h = m(x, h0)
        return y, h

    inputs = [x, h0, c0, *params] if lstm else [x, h0, *params]
    if not lstm:
        f2 = f
        f = lambda x, h0, *rest: f2(x, h0, None, *rest)  # noqa: E731
    cr.gradcheck(f, inputs)
    cr.gradgradcheck(lambda x: f(x, h0, c0), [x])


def test_cell_double_backward():
    m = LSTMCell(I, H, dtype="float64")
    rng = np.random.default_rng(2)
    xs = [cr.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True)
          for s in [(N, I), (N, H), (N, H)]]
    cr.gradcheck(lambda x, h, c: m(x, (h, c)), xs)
    cr.gradgradcheck(lambda x, h, c: m(x, (h, c)), xs)


# -- attention ---------------------------------------------------------------------------

_bool_mask = np.array([[True, False, True, True], [True, True, False, True],
                       [False, True, True, True]])
_float_mask = np.random.default_rng(3).standard_normal((3, 4))


def _sdpa(**kw):
    return lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw)


def _sdpa_t(**kw):
    def f(q, k, v):
        import torch

        kw2 = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw2)

    return f


_QKV = [(2, 3, 5), (2, 4, 5), (2, 4, 3)]
ATTN_CASES = [
    Case("sdpa", _sdpa(), _QKV, torch_fn=_sdpa_t()),
    Case("sdpa_causal", _sdpa(is_causal=True), _QKV, torch_fn=_sdpa_t(is_causal=True)),
    Case("sdpa_bool_mask", _sdpa(attn_mask=cr.tensor(_bool_mask)), _QKV,
         torch_fn=_sdpa_t(attn_mask=_bool_mask)),
    Case("sdpa_float_mask_scale", _sdpa(attn_mask=cr.tensor(_float_mask, dtype="float64"),
                                        scale=0.7), _QKV,
         torch_fn=_sdpa_t(attn_mask=_float_mask, scale=0.7)),
    Case("sdpa_heads_broadcast", _sdpa(), [(2, 2, 3, 4), (1, 2, 4, 4), (2, 2, 4, 3)],
         torch_fn=_sdpa_t()),
]


@pytest.mark.parametrize("case", ATTN_CASES, ids=str)
def test_attention_gradients(case):
    check_case(case)


@pytest.mark.parametrize("case", ATTN_CASES, ids=str)
def test_attention_against_torch(case):
    pytest.importorskip("torch")
    check_against_torch(case)


def test_multihead_attention_gradcheck():
    m = MultiheadAttention(4, 2, kdim=3, vdim=5, dtype="float64")
    rng = np.random.default_rng(4)
    q, k, v = (cr.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True)
               for s in [(3, 2, 4), (4, 2, 3), (4, 2, 5)])
    kpm = cr.tensor(np.array([[False, False, False, True], [False] * 4]))

    def f(q, k, v, *_):
        return m(q, k, v, key_padding_mask=kpm, average_attn_weights=False)

    cr.gradcheck(f, [q, k, v, *m.parameters()])
    cr.gradgradcheck(f, [q, k, v])


@pytest.mark.parametrize("case", RNN_CASES, ids=str)
def test_float32_stays_float32(case):
    check_float32(case)
