"""The two PyTorch habits that used to fail silently on chainrule: a manual SGD update
with ``p -= lr * p.grad`` and ``_, pred = out.max(dim=1)``."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

from .conftest import same


def _data(n=64, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def test_manual_sgd_with_augmented_assignment_trains():
    # The PyTorch tutorial's loop: `for p in model.parameters(): p -= lr * p.grad`.
    cr.manual_seed(0)
    X, y = _data()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    ids = [id(p) for p in model.parameters()]
    first = None
    for _ in range(60):
        loss = F.cross_entropy(model(cr.tensor(X)), cr.tensor(y))
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with cr.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert [id(p) for p in model.parameters()] == ids  # the same tensors, changed in place
    assert loss.item() < 0.3 * first


def test_manual_sgd_matches_torch_step_by_step(torch):
    X, y = _data(16)
    W0 = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    w, tw = cr.tensor(W0, requires_grad=True), torch.tensor(W0, requires_grad=True)
    for _ in range(5):
        F.cross_entropy(cr.tensor(X) @ w.T, cr.tensor(y)).backward()
        torch.nn.functional.cross_entropy(torch.tensor(X) @ tw.T, torch.tensor(y)).backward()
        with cr.no_grad():
            w -= 0.1 * w.grad
        with torch.no_grad():
            tw -= 0.1 * tw.grad
        w.grad.zero_()
        tw.grad.zero_()
    same(w.detach(), tw, rtol=1e-5)


def test_augmented_assignment_on_a_leaf_outside_no_grad_raises_like_torch(torch):
    t = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        t -= 1
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x -= 1


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_max_dim_gives_values_and_indices(torch, batch):
    out = np.random.default_rng(batch).standard_normal((batch, 4)).astype(np.float32)
    _, pred = cr.tensor(out).max(dim=1)
    _, tpred = torch.tensor(out).max(dim=1)
    same(pred, tpred)
    values, indices = cr.max(cr.tensor(out), 1, keepdim=True)
    tv, ti = torch.max(torch.tensor(out), 1, keepdim=True)
    same(values, tv)
    same(indices, ti)
    r = cr.tensor(out).max(dim=1)
    assert r.values is r[0] and r.indices is r[1]


def test_max_without_dim_is_0d_and_with_other_is_maximum(torch):
    a = np.array([[1.0, 5.0], [7.0, 2.0]], np.float32)
    same(cr.tensor(a).max(), torch.tensor(a).max())
    same(cr.tensor(a).min(), torch.tensor(a).min())
    same(cr.max(cr.tensor(a), cr.tensor(a.T)), torch.max(torch.tensor(a), torch.tensor(a.T)))


def test_accuracy_from_max_dim_counts_correct_predictions():
    out = cr.tensor([[0.1, 0.9], [0.8, 0.2]])
    target = cr.tensor([1, 1])
    _, pred = out.max(1)
    assert (pred == target).sum().item() == 1
