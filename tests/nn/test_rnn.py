"""RNN, LSTM, GRU and their cells against PyTorch (weights copied by state_dict key), plus
the errors a user can run into."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

torch = pytest.importorskip("torch")

LAYERS = {
    "lstm": (LSTM, "LSTM", {}),
    "gru": (GRU, "GRU", {}),
    "rnn_tanh": (RNN, "RNN", {}),
    "rnn_relu": (RNN, "RNN", {"nonlinearity": "relu"}),
}


def _copy(module, tmodule):
    """Load the PyTorch module's weights into ``module``; the keys must be the same."""
    sd = tmodule.state_dict()
    assert list(module.state_dict()) == list(sd)
    for k, v in module.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape), k
    module.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in sd.items()})


def _pair(kind, dtype="float64", **kw):
    cls, tname, extra = LAYERS[kind]
    tm = getattr(torch.nn, tname)(3, 4, **extra, **kw)
    tm = tm.double() if dtype == "float64" else tm
    m = cls(3, 4, **extra, **kw, dtype=dtype)
    _copy(m, tm)
    return m, tm


def _leaves(arrays, dtype="float64"):
    cs = [cr.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    return cs, ts


def _compare(m, tm, xs, ts, outs, touts, atol=1e-10):
    """Values of every output, then gradients of a random projection of all of them with
    respect to the inputs and every parameter."""
    rng = np.random.default_rng(1)
    loss, tloss = 0.0, 0.0
    for a, b in zip(outs, touts):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=atol, rtol=1e-5)
        w = rng.standard_normal(a.shape).astype(a.numpy().dtype)
        loss = loss + (a * cr.tensor(w)).sum()
        tloss = tloss + (b * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    for a, b in zip(xs, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=1e-5)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), atol=atol,
                                   rtol=1e-5, err_msg=name)


def _flat(out, lstm):
    """(output, h_n[, c_n]) as a list whatever the mode."""
    y, h = out
    return [y, *h] if lstm else [y, h]


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_layer_matches_torch(kind, batch_first, bidirectional, num_layers):
    m, tm = _pair(kind, num_layers=num_layers, batch_first=batch_first,
                  bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    N, T = 2, 5
    x = rng.standard_normal((N, T, 3) if batch_first else (T, N, 3))
    D = 2 if bidirectional else 1
    states = [rng.standard_normal((num_layers * D, N, 4)) for _ in range(2)]
    lstm = kind == "lstm"
    if not lstm:
        states = states[:1]
    xs, ts = _leaves([x, *states])
    hx = tuple(xs[1:]) if lstm else xs[1]
    thx = tuple(ts[1:]) if lstm else ts[1]
    outs, touts = _flat(m(xs[0], hx), lstm), _flat(tm(ts[0], thx), lstm)
    assert outs[0].shape == ((N, T, D * 4) if batch_first else (T, N, D * 4))
    _compare(m, tm, xs, ts, outs, touts)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_without_initial_state_or_bias(kind):
    m, tm = _pair(kind, bias=False, num_layers=2)
    assert "bias_ih_l0" not in m.state_dict()
    x = np.random.default_rng(2).standard_normal((4, 3, 3))
    xs, ts = _leaves([x])
    lstm = kind == "lstm"
    _compare(m, tm, xs, ts, _flat(m(xs[0]), lstm), _flat(tm(ts[0]), lstm))


@pytest.mark.parametrize("kind", list(LAYERS))
def test_unbatched_input(kind):
    m, tm = _pair(kind, bidirectional=True)
    rng = np.random.default_rng(3)
    lstm = kind == "lstm"
    arrays = [rng.standard_normal((6, 3))] + [rng.standard_normal((2, 4))] * (2 if lstm else 1)
    xs, ts = _leaves(arrays)
    hx = tuple(xs[1:]) if lstm else xs[1]
    thx = tuple(ts[1:]) if lstm else ts[1]
    outs, touts = _flat(m(xs[0], hx), lstm), _flat(tm(ts[0], thx), lstm)
    assert outs[0].shape == (6, 8) and outs[1].shape == (2, 4)
    _compare(m, tm, xs, ts, outs, touts)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_float32_matches_torch(kind):
    """The fused float32 kernel (sigmoid through tanh, pre-scaled weights) stays accurate."""
    m, tm = _pair(kind, dtype="float32", batch_first=True)
    x = np.random.default_rng(4).standard_normal((8, 20, 3)).astype(np.float32)
    xs, ts = _leaves([x], dtype="float32")
    lstm = kind == "lstm"
    out = m(xs[0])
    assert out[0].dtype == np.float32
    _compare(m, tm, xs, ts, _flat(out, lstm), _flat(tm(ts[0]), lstm), atol=1e-5)


CELLS = {
    "lstm": (LSTMCell, "LSTMCell", {}),
    "gru": (GRUCell, "GRUCell", {}),
    "rnn_tanh": (RNNCell, "RNNCell", {}),
    "rnn_relu": (RNNCell, "RNNCell", {"nonlinearity": "relu"}),
}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(kind, batched):
    cls, tname, extra = CELLS[kind]
    tm = getattr(torch.nn, tname)(3, 4, **extra).double()
    m = cls(3, 4, **extra, dtype="float64")
    _copy(m, tm)
    rng = np.random.default_rng(5)
    lead = (2,) if batched else ()
    lstm = kind == "lstm"
    arrays = [rng.standard_normal(lead + (3,))]
    arrays += [rng.standard_normal(lead + (4,)) for _ in range(2 if lstm else 1)]
    xs, ts = _leaves(arrays)
    if lstm:
        outs, touts = list(m(xs[0], tuple(xs[1:]))), list(tm(ts[0], tuple(ts[1:])))
    else:
        outs, touts = [m(xs[0], xs[1])], [tm(ts[0], ts[1])]
    _compare(m, tm, xs, ts, outs, touts)
    default = m(xs[0])  # zero initial state
    tdefault = tm(ts[0])
    first = default[0] if lstm else default
    tfirst = tdefault[0] if lstm else tdefault
    np.testing.assert_allclose(first.numpy(), tfirst.detach().numpy(), atol=1e-10)


def test_parameters_names_shapes_and_init():
    m = LSTM(10, 20, num_layers=2, bidirectional=True)
    tm = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in tm.state_dict().items()
    ]
    bound = 1 / np.sqrt(20)
    for p in m.parameters():
        a = p.numpy()
        assert a.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.8 * bound
    a = LSTM(10, 20, generator=cr.Generator(7)).weight_hh_l0.numpy()
    b = LSTM(10, 20, generator=cr.Generator(7)).weight_hh_l0.numpy()
    np.testing.assert_array_equal(a, b)


def test_gate_order_is_torch_order():
    """A forget gate forced open and input gate shut keeps c_0 (i, f, g, o order)."""
    m = LSTM(1, 1, dtype="float64")
    with cr.no_grad():
        for p in m.parameters():
            p.array[...] = 0
        m.bias_ih_l0.array[...] = [-50.0, 50.0, 0.0, 50.0]  # i shut, f open, o open
    c0 = cr.tensor([[[0.7]]], dtype="float64")
    _, (h, c) = m(cr.zeros(3, 1, 1, dtype="float64"), (c0 * 0, c0))
    np.testing.assert_allclose(c.numpy(), 0.7)
    np.testing.assert_allclose(h.numpy(), np.tanh(0.7))


def test_dropout_between_layers():
    m = LSTM(3, 4, num_layers=2, dropout=0.5, generator=cr.Generator(0), dtype="float64")
    x = cr.tensor(np.random.default_rng(6).standard_normal((5, 2, 3)), dtype="float64")
    y1, _ = m(x)
    y2, _ = m(x)
    assert not np.allclose(y1.numpy(), y2.numpy())  # a new mask at every call
    m.eval()
    e1, _ = m(x)
    e2, _ = m(x)
    np.testing.assert_array_equal(e1.numpy(), e2.numpy())
    seeded = [LSTM(3, 4, num_layers=2, dropout=0.5, generator=cr.Generator(1),
                   dtype="float64")(x)[0].numpy() for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    tm = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5).double().eval()
    _copy(m, tm)
    np.testing.assert_allclose(m(x)[0].numpy(), tm(torch.tensor(x.numpy()))[0].detach().numpy(),
                               atol=1e-10)


def test_long_sequence_and_second_backward():
    m = GRU(2, 3)
    x = cr.randn(3000, 1, 2, requires_grad=True)
    y, h = m(x)
    h.sum().backward()
    assert x.grad.shape == x.shape and np.isfinite(x.grad.numpy()).all()
    with pytest.raises(RuntimeError, match="second time"):
        h.sum().backward()


def test_repr():
    assert repr(LSTM(3, 4, num_layers=2, batch_first=True)) == \
        "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert "nonlinearity='relu'" in repr(RNN(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("call, match", [
    (lambda: LSTM(3, 4)(cr.randn(5, 2, 6)), r"LSTM: expected input with 3 features .*\(5, 2, 6\)"),
    (lambda: GRU(3, 4)(cr.randn(2, 5, 2, 3)), r"GRU: expected input .* \(2, 5, 2, 3\)"),
    (lambda: LSTM(3, 4)(cr.randn(5, 2, 3), (cr.zeros(1, 3, 4), cr.zeros(1, 2, 4))),
     r"LSTM: h_0 has shape \(1, 3, 4\) but expected \(1, 2, 4\)"),
    (lambda: LSTM(3, 4, num_layers=2)(cr.randn(5, 2, 3), (cr.zeros(2, 2, 4), cr.zeros(1, 2, 4))),
     r"LSTM: c_0 has shape \(1, 2, 4\) but expected \(2, 2, 4\)"),
    (lambda: RNN(3, 4, bidirectional=True)(cr.randn(5, 2, 3), cr.zeros(1, 2, 4)),
     r"RNN: h_0 has shape \(1, 2, 4\) but expected \(2, 2, 4\)"),
    (lambda: GRU(3, 4)(cr.randn(5, 3), cr.zeros(1, 2, 4)),
     r"GRU: h_0 has shape \(1, 2, 4\) but expected \(1, 4\)"),
    (lambda: LSTMCell(3, 4)(cr.randn(2, 3), (cr.zeros(2, 5), cr.zeros(2, 4))),
     r"LSTMCell: h_0 has shape \(2, 5\) but expected \(2, 4\)"),
    (lambda: GRUCell(3, 4)(cr.randn(2, 7)), r"GRUCell: expected input with 3 features"),
])
def test_bad_input_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_arguments_and_types():
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
        LSTM(3, 4)(cr.randn(5, 2, 3), cr.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="LSTM: input has dtype float64 but the weights have "
                                        "float32"):
        LSTM(3, 4)(cr.randn(5, 2, 3, dtype="float64"))
    with pytest.raises(TypeError, match="GRU: input must be a Tensor"):
        GRU(3, 4)(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu'"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: dropout must be a number in"):
        LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="GRU: hidden_size must be a positive int"):
        GRU(3, 0)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_interleaved_calls_and_retained_graph(kind):
    """The kernels reuse scratch arrays between calls: two graphs alive at once, backward
    in either order and a second backward through a retained graph all match PyTorch."""
    m, tm = _pair(kind)
    lstm = kind == "lstm"
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((5, 2, 3)) for _ in range(2)]
    outs = [_flat(m(cr.tensor(x)), lstm) for x in xs]
    touts = [_flat(tm(torch.tensor(x)), lstm) for x in xs]
    w = [rng.standard_normal(o.shape) for o in outs[0]]

    def loss(out, lib):
        return sum((o * lib.tensor(a)).sum() for o, a in zip(out, w))

    for k in (1, 0, 0):  # backward of the second graph first, then the first one twice
        for p in m.parameters():
            p.grad = None
        tm.zero_grad()
        loss(outs[k], cr).backward(retain_graph=True)
        loss(touts[k], torch).backward(retain_graph=True)
        tparams = dict(tm.named_parameters())
        for name, p in m.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(),
                                       atol=1e-10, rtol=1e-5, err_msg=name)
    for a, b in zip(outs[0], touts[0]):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-10)
