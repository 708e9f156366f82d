"""Linear, Bilinear, Identity, Flatten, Unflatten, Embedding and Dropout against PyTorch,
their default initialisation and their error messages."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


def _load(m, tm):
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def _compare(m, tm, xs, rtol=1e-5, atol=1e-6):
    """Outputs, input gradients and parameter gradients of m and tm on the same inputs."""
    import torch

    ins = [cr.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    tins = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    y, ty = m(*ins), tm(*tins)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    assert y.dtype == np.float32
    seed = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(cr.tensor(seed))
    ty.backward(torch.tensor(seed))
    for a, b in zip(ins, tins):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    grads = {k: p.grad for k, p in m.named_parameters()}
    for k, tp in tm.named_parameters():
        np.testing.assert_allclose(grads[k].numpy(), tp.grad.numpy(), rtol=rtol, atol=atol)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Linear(6, 4)
    m = nn.Linear(6, 4)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight", "bias"]
    _load(m, tm)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    _compare(m, tm, [x])


def test_linear_batched_input_and_no_bias():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Linear(6, 3, bias=False)
    m = nn.Linear(6, 3, bias=False)
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    _load(m, tm)
    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype(np.float32)
    _compare(m, tm, [x])


def test_bilinear_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Bilinear(3, 4, 2)
    m = nn.Bilinear(3, 4, 2)
    _load(m, tm)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((5, 3)).astype(np.float32),
          rng.standard_normal((5, 4)).astype(np.float32)]
    _compare(m, tm, xs)


def test_linear_default_init_follows_pytorch_formula():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    w, b = m.weight.numpy(), m.bias.numpy()
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound


def test_linear_reset_parameters_is_seeded():
    a = nn.Linear(5, 3, generator=cr.Generator(3))
    b = nn.Linear(5, 3)
    b.reset_parameters(generator=cr.Generator(3))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    cr.manual_seed(11)
    c = nn.Linear(5, 3)
    cr.manual_seed(11)
    d = nn.Linear(5, 3)
    np.testing.assert_array_equal(c.weight.numpy(), d.weight.numpy())


def test_linear_float32_stays_float32():
    m = nn.Linear(4, 2)
    y = m(cr.randn(3, 4) * 0.5)
    assert y.dtype == np.float32
    y.sum().backward()
    assert m.weight.grad.dtype == np.float32


def test_linear_errors_name_the_layer_and_shapes():
    m = nn.Linear(784, 10)
    with pytest.raises(ValueError,
                       match=r"Linear: expected input with 784 features.*\(32, 28, 28\)"):
        m(cr.zeros(32, 28, 28))
    with pytest.raises(TypeError, match="Linear: input must be a Tensor"):
        m(np.zeros((2, 784)))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match=r"linear: expected input with 4 features"):
        F.linear(cr.zeros(2, 3), cr.zeros(5, 4))


def test_identity_flatten_unflatten():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for m, tm in [(nn.Identity(7, k=1), torch.nn.Identity(7, k=1)),
                  (nn.Flatten(), torch.nn.Flatten()),
                  (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
                  (nn.Unflatten(2, (2, 2)), torch.nn.Unflatten(2, (2, 2))),
                  (nn.Unflatten(-1, (5, -1)), torch.nn.Unflatten(-1, (5, -1)))]:
        y = m(cr.tensor(x, requires_grad=True))
        assert y.shape == tuple(tm(torch.tensor(x)).shape)
        np.testing.assert_array_equal(y.numpy(), tm(torch.tensor(x)).numpy())
        assert repr(m) == repr(tm)
    with pytest.raises(ValueError, match=r"Unflatten: sizes \(2, 3\) .* dim 1 .*\(2, 4\)"):
        nn.Unflatten(1, (2, 3))(cr.zeros(2, 4))
    with pytest.raises(ValueError, match="Flatten: dim 3 is out of range"):
        nn.Flatten(3)(cr.zeros(2, 4))


def test_embedding_matches_torch_with_padding():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Embedding(10, 4, padding_idx=2)
    m = nn.Embedding(10, 4, padding_idx=2)
    np.testing.assert_array_equal(m.weight.numpy()[2], 0)  # padding row starts at zero
    _load(m, tm)
    idx = np.array([[1, 2, 9], [2, 2, 0], [9, 9, 9]])
    y = m(cr.tensor(idx))
    ty = tm(torch.tensor(idx))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    g = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(m.weight.grad.numpy()[2], 0)
    assert repr(m) == repr(tm) == "Embedding(10, 4, padding_idx=2)"


def test_embedding_init_and_errors():
    m = nn.Embedding(2000, 50)
    w = m.weight.numpy()
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    with pytest.raises(IndexError, match="Embedding: index 12 is out of range for 10 embeddings"):
        nn.Embedding(10, 3)(cr.tensor([1, 12]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        nn.Embedding(10, 3)(cr.tensor([-1, 2]))
    with pytest.raises(TypeError, match="Embedding: indices must be integers"):
        nn.Embedding(10, 3)(cr.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="padding_idx 10 is out of range"):
        nn.Embedding(10, 3, padding_idx=10)
    frozen = nn.Embedding.from_pretrained(cr.ones(3, 2))
    assert not frozen.weight.requires_grad


def test_dropout_is_seeded_scaled_and_identity_in_eval():
    x = cr.ones(200, 100)
    a = nn.Dropout(0.3, generator=cr.Generator(5))(x)
    b = nn.Dropout(0.3, generator=cr.Generator(5))(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    kept = a.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(a.numpy()[kept], 1 / 0.7, rtol=1e-6)
    assert a.dtype == np.float32
    cr.manual_seed(4)
    c = F.dropout(x, 0.5)
    cr.manual_seed(4)
    d = F.dropout(x, 0.5)
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    m = nn.Dropout(0.5, generator=1)
    assert not np.array_equal(m(x).numpy(), m(x).numpy())  # a fresh mask at every call
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"


def test_dropout_gradient_is_the_mask():
    x = cr.randn(30, 20, requires_grad=True)
    y = F.dropout(x, 0.4, generator=cr.Generator(2))
    y.sum().backward()
    mask = (y.numpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-6)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="Dropout: p must be between 0 and 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dropout: p must be between 0 and 1"):
        F.dropout(cr.ones(2), -0.1)


def test_pad_and_one_hot():
    torch = pytest.importorskip("torch")
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = F.pad(cr.tensor(x), (1, 2, 2, 1), mode=mode)
        ty = torch.nn.functional.pad(torch.tensor(x), (1, 2, 2, 1), mode=mode)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
    with pytest.raises(ValueError, match="pad: padding"):
        F.pad(cr.tensor(x), (1, 2, 3))
    with pytest.raises(ValueError, match="reflect padding"):
        F.pad(cr.tensor(x), (4, 0), mode="reflect")
    oh = F.one_hot(cr.tensor([0, 2, 1]), 4)
    np.testing.assert_array_equal(oh.numpy(), torch.nn.functional.one_hot(
        torch.tensor([0, 2, 1]), 4).numpy())


def test_embedding_gradient_sums_repeated_indices():
    """The sort-and-reduceat scatter against np.add.at, on a batch with many repeats."""
    g = np.random.default_rng(0)
    idx = g.integers(0, 7, (5, 40))
    gy = g.standard_normal((5, 40, 3)).astype(np.float32)
    m = nn.Embedding(9, 3)
    (m(cr.tensor(idx)) * cr.tensor(gy)).sum().backward()
    expected = np.zeros((9, 3), np.float32)
    np.add.at(expected, idx.reshape(-1), gy.reshape(-1, 3))
    np.testing.assert_allclose(m.weight.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert np.all(m.weight.grad.numpy()[7:] == 0)  # rows never looked up get nothing
    e = nn.Embedding(4, 2)
    e(cr.tensor(np.zeros((0,), np.int64))).sum().backward()  # no index at all
    assert np.all(e.weight.grad.numpy() == 0)
