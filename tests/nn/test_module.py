"""Module and containers: registration, state_dict, load_state_dict errors, modes, freezing,
apply, zero_grad, repr and hooks, against PyTorch where it applies."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.register_buffer("running", cr.zeros(3))
        self.register_buffer("scratch", cr.ones(2), persistent=False)

    def forward(self, x):
        return self.act(self.fc(x)) + self.running


def _model():
    return nn.Sequential(Block(), nn.Linear(3, 2), nn.Dropout(0.5))


def test_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Tanh()),
                      nn.Embedding(5, 8), nn.Linear(8, 2, bias=False))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                             torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh()),
                             torch.nn.Embedding(5, 8), torch.nn.Linear(8, 2, bias=False))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [tuple(p.shape) for p in m.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert repr(m) == repr(tm)


def test_buffers_in_state_dict():
    m = _model()
    keys = list(m.state_dict())
    # as PyTorch: a module's own parameters and buffers come before its children's
    assert keys == ["0.running", "0.fc.weight", "0.fc.bias", "1.weight", "1.bias"]
    assert [n for n, _ in m.named_buffers()] == ["0.running", "0.scratch"]
    assert "0.running" not in [n for n, _ in m.named_parameters()]


def test_load_state_dict_round_trip_and_strict_errors():
    a, b = _model(), _model()
    b.load_state_dict(a.state_dict())
    x = cr.randn(2, 4)
    np.testing.assert_array_equal(a.eval()(x).numpy(), b.eval()(x).numpy())
    sd = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    del sd["1.bias"]
    sd["extra.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError,
                       match=r"missing keys: 1\.bias.*unexpected keys: extra\.weight"):
        b.load_state_dict(sd)
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["1.bias"] and res.unexpected_keys == ["extra.weight"]
    sd = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    sd["1.weight"] = np.zeros((3, 2), np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for 1\.weight: checkpoint has shape "
                                           r"\(3, 2\), the model \(2, 3\)"):
        b.load_state_dict(sd, strict=False)


def test_load_state_dict_keeps_float32_and_memory():
    m = nn.Linear(3, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert m.weight is w and w.dtype == np.float32 and (w.numpy() == 1).all()


def test_train_eval_propagates():
    m = _model()
    assert all(s.training for s in m.modules())
    m.eval()
    assert not any(s.training for s in m.modules())
    m.train()
    assert m[2].training and m[0].act.training


def test_requires_grad_freezing():
    m = _model()
    m[0].requires_grad_(False)
    y = m.eval()(cr.randn(5, 4)).sum()
    y.backward()
    assert m[0].fc.weight.grad is None and m[0].fc.bias.grad is None
    assert m[1].weight.grad is not None


def test_zero_grad_and_apply():
    m = _model()
    m(cr.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda s: seen.append(type(s).__name__))
    assert seen == ["Linear", "ReLU", "Block", "Linear", "Dropout", "Sequential"]
    m.apply(lambda s: nn.init.zeros_(s.weight) if isinstance(s, nn.Linear) else None)
    assert (m[1].weight.numpy() == 0).all()


def test_shared_parameters_are_listed_once():
    torch = pytest.importorskip("torch")
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = emb.weight  # weight tying
    m = nn.Sequential(emb, head)
    temb = torch.nn.Embedding(10, 4)
    thead = torch.nn.Linear(4, 10, bias=False)
    thead.weight = temb.weight
    tm = torch.nn.Sequential(temb, thead)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(m.state_dict()) == list(tm.state_dict())
    out = m(cr.tensor([[1, 2, 3]]))
    out.sum().backward()
    assert emb.weight.grad is not None and len(list(m.parameters())) == 1


def test_forward_hooks():
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0.0)
    y = m(cr.ones(1, 3))
    assert calls == ["pre"] and (y.numpy() == 0).all()
    h1.remove()
    h2.remove()
    y = m(cr.ones(1, 3))
    assert calls == ["pre"] and not (y.numpy() == 0).all()


def test_registration_errors():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="call super\\(\\).__init__\\(\\)"):
        Bad()
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign ndarray to parameter 'weight'"):
        m.weight = np.zeros((2, 2))
    with pytest.raises(TypeError, match="Sequential: argument 1 must be a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_containers():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 3 and [n for n, _ in ml.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    md = nn.ModuleDict({"a": nn.Linear(2, 2)})
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(s[-1], nn.Linear) and len(s[:2]) == 2
    del s[1]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
