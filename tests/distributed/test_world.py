"""chainrule.distributed in one process: the singleton world, where every collective is the
identity and DDP and SyncBatchNorm are the plain model and BatchNorm."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.distributed import world


@pytest.fixture(params=["mpi", "no-mpi"])
def single(request, monkeypatch):
    """A world of one: MPI's singleton, or (mpi4py absent, no launcher) no MPI at all."""
    monkeypatch.delenv("CHAINRULE_DISTRIBUTED", raising=False)
    if request.param == "mpi":
        pytest.importorskip("mpi4py")
    else:
        monkeypatch.setattr(world, "_world", world._World())
        monkeypatch.setattr(world, "is_available", lambda: False)
        monkeypatch.setattr(world, "launched", lambda: False)
    return dist.init()


def test_init_gives_a_world_of_one(single):
    assert tuple(single) == (0, 1, 0)
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_local_rank()) == (0, 1, 0)
    assert dist.init() is dist.init()


def test_collectives_are_the_identity(single):
    t = cr.tensor([1.0, 2.0])
    for op in dist.ReduceOp:
        if op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
            continue
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    parts = [cr.zeros(2)]
    dist.all_gather(parts, t)
    np.testing.assert_array_equal(parts[0].numpy(), [1.0, 2.0])
    dist.broadcast(t, 0)
    dist.reduce(t, 0)
    got = [cr.zeros(2)]
    dist.gather(t, got)
    np.testing.assert_array_equal(got[0].numpy(), [1.0, 2.0])
    out = cr.zeros(2)
    dist.scatter(out, [cr.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(out.numpy(), [3.0, 4.0])
    assert dist.barrier() is None
    assert dist.all_reduce(t, async_op=True).wait()
    objs = [1, "a"]
    dist.broadcast_object_list(objs)
    assert objs == [1, "a"]


def test_ddp_of_one_process_is_the_model(single):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ref = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ref.load_state_dict(model.state_dict())
    ddp = dist.DistributedDataParallel(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    x = cr.randn(5, 3)
    with ddp.no_sync():
        F.mse_loss(ddp(x), cr.zeros(5, 2)).backward()
    F.mse_loss(ref(x), cr.zeros(5, 2)).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    from chainrule.nn.parallel import DistributedDataParallel

    assert DistributedDataParallel is dist.DistributedDataParallel


def test_ddp_arguments_are_checked(single):
    with pytest.raises(ValueError, match="bucket_cap_mb must be > 0"):
        dist.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)
    with pytest.raises(TypeError, match="module must be a chainrule.nn.Module"):
        dist.DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="only the world group"):
        dist.DistributedDataParallel(nn.Linear(2, 2), process_group="gloo")


def test_buckets_hold_reverse_parameter_order_within_the_cap(single):
    from chainrule.distributed.ddp import _buckets

    params = list(nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 10)).parameters())
    one = _buckets(params, 25 * 2**20)
    assert len(one) == 1 and one[0].params == params[::-1]
    small = _buckets(params, 1100 * 4)  # 1,100 float32 a bucket: a larger tensor is alone
    assert [b.params for b in small] == [[params[3], params[2]], [params[1]], [params[0]]]


def test_sync_batchnorm_of_one_process_is_batchnorm(single):
    cr.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.BatchNorm1d(4)))
    ref = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),
                        nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.BatchNorm1d(4)))
    ref.load_state_dict(model.state_dict())
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert conv is model
    assert isinstance(model[1], nn.SyncBatchNorm) and isinstance(model[3][2], nn.SyncBatchNorm)
    assert list(model.state_dict()) == list(ref.state_dict())
    x = cr.randn(6, 1, 4, 4)
    np.testing.assert_allclose(model(x).numpy(), ref(x).numpy(), rtol=1e-6)
    alone = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3, momentum=None))
    assert isinstance(alone, nn.SyncBatchNorm) and alone.momentum is None


def test_sync_batchnorm_forward_and_backward_match_batchnorm():
    """The synchronized op itself (its allreduces are sums over one rank here)."""
    from chainrule.distributed.sync_batchnorm import _SyncNormalize

    g = np.random.default_rng(0)
    x = g.standard_normal((5, 3, 2)).astype(np.float64)
    w, b = g.standard_normal((1, 3, 1)), g.standard_normal((1, 3, 1))
    xs = [cr.tensor(x, requires_grad=True) for _ in range(2)]
    ws = [cr.tensor(w, requires_grad=True) for _ in range(2)]
    bs = [cr.tensor(b, requires_grad=True) for _ in range(2)]
    gy = g.standard_normal(x.shape)
    ys = [_SyncNormalize(1e-5)(xs[0], ws[0], bs[0]),
          F.batch_norm(xs[1], None, None, ws[1].reshape(3), bs[1].reshape(3), training=True)]
    np.testing.assert_allclose(ys[0].numpy(), ys[1].numpy(), rtol=1e-10)
    for y in ys:
        y.backward(cr.tensor(gy))
    for a in (xs, ws, bs):
        np.testing.assert_allclose(a[0].grad.numpy(), a[1].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_rank_seeds_differ_by_rank_and_repeat():
    seeds = [dist.rank_seed(0, r) for r in range(4)]
    assert len(set(seeds)) == 4
    assert dist.rank_seed(0, 2) == seeds[2]
    assert dist.rank_seed(1, 0) != seeds[0]
    with pytest.raises(ValueError, match="rank_seed: seed"):
        dist.rank_seed(-1)


def test_launched_reads_the_launcher_environment(monkeypatch):
    for var in world._LAUNCHER_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("CHAINRULE_DISTRIBUTED", raising=False)
    assert not dist.launched()
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert dist.launched()
    monkeypatch.setenv("CHAINRULE_DISTRIBUTED", "0")
    assert not dist.launched()


def test_queue_callback_runs_once_backward_has_finished():
    from chainrule.autograd import queue_callback

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: queue_callback(lambda: seen.append(x.grad.numpy().copy())))
    (x * x).sum().backward()  # x reaches the loss twice: the hook runs twice
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])  # .grad was already written
    (x * 3).sum().backward()
    assert len(seen) == 3
    np.testing.assert_array_equal(seen[2], [5.0, 7.0])


def test_tensor_collectives_and_process_group_of_one(single):
    out = cr.zeros(2, 3)
    dist.all_gather_into_tensor(out, cr.ones(2, 3))
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 3)))
    dist.reduce_scatter_tensor(out, cr.full((2, 3), 2.0), op="avg")
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 2.0))
    dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="unknown backend"):
        dist.init_process_group("smoke-signals")
    dist.destroy_process_group()
    assert not dist.is_initialized()
    assert dist.get_world_size() == 1 and dist.is_initialized()
