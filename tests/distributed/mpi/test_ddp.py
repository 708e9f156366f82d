"""DistributedDataParallel under mpirun: N ranks x batch b equal one process x batch N*b."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist
import chainrule.nn as nn
import chainrule.nn.functional as F

B = 8  # local batch


def _mlp(seed):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def _data(n, steps, seed=1):
    g = np.random.default_rng(seed)
    X = g.standard_normal((steps, n, 6)).astype(np.float32)
    y = g.integers(0, 3, (steps, n))
    return X, y


def _gathered(model):
    """Every rank's flat weights, as a (size, n) array."""
    flat = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    rows = [cr.zeros(flat.size) for _ in range(dist.get_world_size())]
    dist.all_gather(rows, cr.tensor(flat))
    return np.stack([r.numpy() for r in rows])


def _train(model, opt, X, y, steps):
    for s in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(cr.tensor(X[s])), cr.tensor(y[s])).backward()
        opt.step()


@pytest.mark.parametrize("make_opt", [
    lambda p: cr.optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: cr.optim.Adam(p, lr=1e-2),
], ids=["sgd", "adam"])
def test_equals_one_process_with_the_global_batch(world, make_opt):
    steps, (rank, size, _) = 30, world
    X, y = _data(B * size, steps)
    ref = _mlp(100)  # rank 0's initial weights
    _train(ref, make_opt(ref.parameters()), X, y, steps)

    model = _mlp(100 + rank)  # different weights on every rank: the broadcast repairs them
    ddp = dist.DistributedDataParallel(model)
    lo, hi = rank * B, (rank + 1) * B
    _train(ddp, make_opt(model.parameters()), X[:, lo:hi], y[:, lo:hi], steps)

    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)
    rows = _gathered(model)
    assert (rows == rows[0]).all(), "replicas are not bit-identical"


def test_broadcast_at_construction_gives_rank_0_weights(world):
    rank, size, _ = world
    model = _mlp(rank)
    dist.DistributedDataParallel(model)
    rows = _gathered(model)
    assert (rows == rows[0]).all()
    np.testing.assert_array_equal(rows[0], np.concatenate(
        [p.numpy().ravel() for p in _mlp(0).parameters()]))


def test_no_sync_accumulation_equals_the_large_batch(world):
    rank, size, _ = world
    k = 3  # micro-batches per rank
    X, y = _data(B * size * k, 1, seed=5)
    ref = _mlp(0)
    F.cross_entropy(ref(cr.tensor(X[0])), cr.tensor(y[0])).backward()

    model = _mlp(0)
    ddp = dist.DistributedDataParallel(model)
    mine = np.arange(rank * B * k, (rank + 1) * B * k).reshape(k, B)
    with ddp.no_sync():
        for idx in mine[:-1]:
            (F.cross_entropy(ddp(cr.tensor(X[0, idx])), cr.tensor(y[0, idx])) / k).backward()
    local = [p.grad.numpy().copy() for p in model.parameters()]
    idx = mine[-1]
    (F.cross_entropy(ddp(cr.tensor(X[0, idx])), cr.tensor(y[0, idx])) / k).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
    # inside no_sync nothing was averaged: the ranks' partial sums differed
    parts = [cr.zeros(local[0].size) for _ in range(size)]
    dist.all_gather(parts, cr.tensor(local[0].ravel()))
    assert not np.array_equal(parts[0].numpy(), parts[1].numpy())


def test_small_buckets_give_the_same_gradients(world):
    rank, size, _ = world
    X, y = _data(B * size, 1, seed=7)
    grads = []
    for cap in (25, 1e-4):  # one bucket; one bucket per parameter
        model = _mlp(0)
        ddp = dist.DistributedDataParallel(model, bucket_cap_mb=cap)
        lo = rank * B
        F.cross_entropy(ddp(cr.tensor(X[0, lo:lo + B])), cr.tensor(y[0, lo:lo + B])).backward()
        grads.append([p.grad.numpy() for p in model.parameters()])
    assert len(ddp._buckets) == len(list(model.parameters()))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


class _Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(4, 2)
        self.never = nn.Linear(4, 2)

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


def test_unused_parameters_average_with_zeros_and_globally_unused_stay_none(world):
    rank, size, _ = world
    model = _Branches()
    ddp = dist.DistributedDataParallel(model)
    x = cr.ones(3, 4) * (rank + 1)
    ddp(x, use_b=rank == 0).sum().backward()
    assert model.never.weight.grad is None
    # only rank 0 used b: its gradient divided by the world size, on every rank
    expected = np.full((2, 4), 3.0 / size, np.float32)
    np.testing.assert_allclose(model.b.weight.grad.numpy(), expected, rtol=1e-6)
    total = sum(3.0 * (r + 1) for r in range(size)) / size
    np.testing.assert_allclose(model.a.weight.grad.numpy(), np.full((2, 4), total), rtol=1e-6)


def test_buffers_follow_rank_0_at_each_training_forward(world):
    rank, size, _ = world
    bn = nn.BatchNorm1d(4)
    ddp = dist.DistributedDataParallel(bn)
    x1 = [cr.randn(5, 4, generator=r) for r in range(size)]
    x2 = [cr.randn(5, 4, generator=r + 10) for r in range(size)]
    ddp(x1[rank])  # each rank's running mean follows its own batch ...
    ddp(x2[rank])  # ... until the next forward starts from rank 0's
    expected = 0.9 * 0.1 * x1[0].numpy().mean(0) + 0.1 * x2[rank].numpy().mean(0)
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5, atol=1e-7)
    assert int(bn.num_batches_tracked.item()) == 2


def test_state_dict_keys_and_module(world):
    model = _mlp(0)
    ddp = dist.DistributedDataParallel(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    ddp.load_state_dict(ddp.state_dict())


def test_models_that_differ_between_ranks_are_refused(world):
    rank, _, _ = world
    model = nn.Linear(3, 2 + rank)
    with pytest.raises(ValueError, match="differs from rank 0"):
        dist.DistributedDataParallel(model)
