"""DistributedSampler and SyncBatchNorm under mpirun."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist
import chainrule.nn as nn
from chainrule.data import DataLoader, TensorDataset


def _everyone(obj, size):
    out = [None] * size
    dist.all_gather_object(out, obj)
    return out


@pytest.mark.parametrize("n", [40, 37])
def test_sampler_covers_every_example_once_per_epoch(world, n):
    rank, size, _ = world
    ds = TensorDataset(cr.arange(n), cr.arange(n))
    sampler = dist.DistributedSampler(ds, shuffle=True, seed=3)
    loader = DataLoader(ds, batch_size=4, sampler=sampler)
    orders = []
    for epoch in (0, 1, 0):
        sampler.set_epoch(epoch)
        mine = [int(v) for xb, _ in loader for v in xb.numpy()]
        shares = _everyone(mine, size)
        assert len({len(s) for s in shares}) == 1  # same batch count on every rank
        seen = np.concatenate(shares)
        assert sorted(set(seen.tolist())) == list(range(n))  # every example ...
        assert len(seen) - n == (-n) % size  # ... once, plus the documented padding
        orders.append(seen)
    assert not np.array_equal(orders[0], orders[1])  # set_epoch reshuffles
    np.testing.assert_array_equal(orders[0], orders[2])  # and the same epoch repeats


def _bn_model(cls):
    cr.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 3, 3), cls(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))


def test_sync_batchnorm_equals_batchnorm_on_the_global_batch(world):
    rank, size, _ = world
    b = 3
    g = np.random.default_rng(0)
    X = g.standard_normal((b * size, 2, 4, 4)).astype(np.float32) * 3 + 1
    T = g.standard_normal((b * size, 2)).astype(np.float32)

    ref = _bn_model(nn.BatchNorm2d)
    xr = cr.tensor(X, requires_grad=True)
    ((ref(xr) - cr.tensor(T)) ** 2).mean().backward()

    model = nn.SyncBatchNorm.convert_sync_batchnorm(_bn_model(nn.BatchNorm2d))
    assert isinstance(model[1], nn.SyncBatchNorm)
    ddp = dist.DistributedDataParallel(model)
    lo, hi = rank * b, (rank + 1) * b
    x = cr.tensor(X[lo:hi], requires_grad=True)
    h = model[0](x)
    y_sync = model[1](h)
    y_ref = ref[1](ref[0](cr.tensor(X)))
    np.testing.assert_allclose(y_sync.numpy(), y_ref.numpy()[lo:hi], rtol=1e-4, atol=1e-5)

    model.zero_grad()
    ((ddp(x) - cr.tensor(T[lo:hi])) ** 2).mean().backward()
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    # the input gradient of this rank's loss is size x its share of the global one
    np.testing.assert_allclose(x.grad.numpy(), size * xr.grad.numpy()[lo:hi], rtol=1e-4,
                               atol=1e-6)
    # running statistics: the global batch's (two forwards in training mode each)
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(model[1].state_dict()[k].numpy(),
                                   ref[1].state_dict()[k].numpy(), rtol=1e-5, atol=1e-6)


def test_sync_batchnorm_with_a_different_batch_on_every_rank(world):
    rank, size, _ = world
    sizes = [2 + r for r in range(size)]  # uneven: the counts are summed too
    starts = np.cumsum([0] + sizes)
    X = np.random.default_rng(1).standard_normal((starts[-1], 3, 5)).astype(np.float64)
    ref = nn.BatchNorm1d(3).double()
    xr = cr.tensor(X, requires_grad=True)
    yr = ref(xr)
    (yr * cr.tensor(X)).sum().backward()  # a sum: each rank's share is its own loss

    bn = nn.SyncBatchNorm(3).double()
    x = cr.tensor(X[starts[rank]:starts[rank + 1]], requires_grad=True)
    y = bn(x)
    (y * cr.tensor(X[starts[rank]:starts[rank + 1]])).sum().backward()
    lo, hi = starts[rank], starts[rank + 1]
    np.testing.assert_allclose(y.numpy(), yr.numpy()[lo:hi], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xr.grad.numpy()[lo:hi], rtol=1e-9, atol=1e-12)
    for name in ("weight", "bias"):  # local sums: together they are BatchNorm's
        g = cr.tensor(getattr(bn, name).grad.numpy())
        dist.all_reduce(g)
        np.testing.assert_allclose(g.numpy(), getattr(ref, name).grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.running_var.numpy(), ref.running_var.numpy(), rtol=1e-10)
