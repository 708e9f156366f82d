"""Collectives on Tensors under mpirun, against what NumPy computes from every rank's data."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist


def _value(rank, dtype=np.float32):
    return (np.arange(6).reshape(2, 3) + 1 + rank).astype(dtype)


@pytest.mark.parametrize("op,fn", [
    (dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean), (dist.ReduceOp.MAX, np.max),
    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.PRODUCT, np.prod),
])
def test_all_reduce_ops(world, op, fn):
    rank, size, _ = world
    t = cr.tensor(_value(rank))
    assert dist.all_reduce(t, op=op) is None
    expected = fn(np.stack([_value(r) for r in range(size)]), axis=0)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)


def test_all_reduce_integers_bools_and_non_contiguous(world):
    rank, size, _ = world
    t = cr.tensor(_value(rank, np.int64))
    dist.all_reduce(t, op=dist.ReduceOp.BOR)
    expected = np.bitwise_or.reduce(np.stack([_value(r, np.int64) for r in range(size)]))
    np.testing.assert_array_equal(t.numpy(), expected)
    b = cr.tensor(np.array([rank == 0, True, False]))
    dist.all_reduce(b, op=dist.ReduceOp.MIN)  # logical and
    np.testing.assert_array_equal(b.numpy(), [False, True, False])
    base = cr.tensor(_value(rank).T.copy())
    view = base.T  # not contiguous: reduced through a copy, written back
    dist.all_reduce(view)
    np.testing.assert_allclose(view.numpy(), sum(_value(r) for r in range(size)))
    with pytest.raises(TypeError, match="AVG needs a floating"):
        dist.all_reduce(cr.tensor([1, 2]), op=dist.ReduceOp.AVG)


def test_async_all_reduce_and_broadcast(world):
    rank, size, _ = world
    t = cr.tensor(_value(rank))
    work = dist.all_reduce(t, async_op=True)
    assert work.wait()
    assert work.is_completed()
    np.testing.assert_allclose(t.numpy(), sum(_value(r) for r in range(size)))
    s = cr.tensor(_value(rank))
    dist.broadcast(s, src=size - 1, async_op=True).wait()
    np.testing.assert_array_equal(s.numpy(), _value(size - 1))


def test_broadcast_all_gather_reduce_gather_scatter(world):
    rank, size, _ = world
    t = cr.tensor(_value(rank))
    dist.broadcast(t, src=1)
    np.testing.assert_array_equal(t.numpy(), _value(1))

    parts = [cr.zeros(2, 3) for _ in range(size)]
    dist.all_gather(parts, cr.tensor(_value(rank)))
    for r, p in enumerate(parts):
        np.testing.assert_array_equal(p.numpy(), _value(r))

    t = cr.tensor(_value(rank))
    dist.reduce(t, dst=1, op=dist.ReduceOp.MAX)
    np.testing.assert_array_equal(t.numpy(), _value(size - 1) if rank == 1 else _value(rank))

    dst = size - 1
    out = [cr.zeros(2, 3) for _ in range(size)] if rank == dst else None
    dist.gather(cr.tensor(_value(rank)), out, dst=dst)
    if rank == dst:
        for r, p in enumerate(out):
            np.testing.assert_array_equal(p.numpy(), _value(r))

    got = cr.zeros(2, 3)
    pieces = [cr.tensor(_value(10 * r)) for r in range(size)] if rank == 0 else None
    dist.scatter(got, pieces, src=0)
    np.testing.assert_array_equal(got.numpy(), _value(10 * rank))
    dist.barrier()


def test_objects_and_argument_errors(world):
    rank, size, _ = world
    objs = [{"rank": rank}, rank]
    dist.broadcast_object_list(objs, src=1)
    assert objs == [{"rank": 1}, 1]
    everyone = [None] * size
    dist.all_gather_object(everyone, ("r", rank))
    assert everyone == [("r", r) for r in range(size)]
    with pytest.raises(ValueError, match="src must be a rank"):
        dist.broadcast(cr.zeros(2), src=size)
    with pytest.raises(ValueError, match="tensor_list must be a list of"):
        dist.all_gather([cr.zeros(2)], cr.zeros(2))
    with pytest.raises(TypeError, match="must be a Tensor"):
        dist.all_reduce(np.zeros(3))


def test_tensor_forms_of_all_gather_and_reduce_scatter(world):
    rank, size, _ = world
    out = cr.zeros(2 * size, 3)
    dist.all_gather_into_tensor(out, cr.tensor(_value(rank)))
    np.testing.assert_array_equal(out.numpy(), np.concatenate([_value(r) for r in range(size)]))
    whole = np.concatenate([_value(rank + 10 * k) for k in range(size)])  # block k for rank k
    mine = cr.zeros(2, 3)
    dist.reduce_scatter_tensor(mine, cr.tensor(whole), op=dist.ReduceOp.AVG)
    expected = np.mean([_value(r + 10 * rank) for r in range(size)], axis=0)
    np.testing.assert_allclose(mine.numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="larger tensor must have shape"):
        dist.all_gather_into_tensor(cr.zeros(3, 3), cr.tensor(_value(rank)))


def test_init_process_group_checks_what_the_launcher_gave(world):
    rank, size, _ = world
    dist.init_process_group("gloo", world_size=size, rank=rank)
    with pytest.raises(ValueError, match="world_size=99"):
        dist.init_process_group("mpi", world_size=99)
    assert dist.get_backend() == "mpi"
