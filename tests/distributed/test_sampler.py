"""DistributedSampler in one process (explicit num_replicas and rank), with PyTorch's
DistributedSampler as the oracle for the padding and dealing rules."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, DistributedSampler, TensorDataset


def _ds(n):
    return TensorDataset(cr.arange(n))


@pytest.mark.parametrize("n,replicas", [(10, 3), (12, 4), (2, 4), (7, 1), (1, 3)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shares_match_pytorch_without_shuffle(n, replicas, drop_last):
    tdata = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(_ds(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = tdata.DistributedSampler(list(range(n)), replicas, rank, shuffle=False,
                                          drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n,replicas", [(37, 4), (40, 4), (5, 2)])
def test_every_example_once_per_epoch_plus_padding(n, replicas):
    for epoch in (0, 1):
        shares = []
        for rank in range(replicas):
            s = DistributedSampler(_ds(n), replicas, rank, shuffle=True, seed=7)
            s.set_epoch(epoch)
            shares.append(list(s))
        assert len({len(s) for s in shares}) == 1  # equal shares: no rank waits for another
        seen = sum(shares, [])
        assert set(seen) == set(range(n))
        assert len(seen) == n + (-n) % replicas


def test_drop_last_leaves_out_fewer_than_replicas_and_repeats_none():
    shares = [list(DistributedSampler(_ds(37), 4, r, seed=1, drop_last=True)) for r in range(4)]
    seen = sum(shares, [])
    assert len(seen) == len(set(seen)) == 36


def test_set_epoch_reshuffles_reproducibly():
    s = DistributedSampler(_ds(50), 2, 0, seed=3)
    first = list(s)
    s.set_epoch(1)
    second = list(s)
    s.set_epoch(0)
    assert list(s) == first and second != first
    other_seed = DistributedSampler(_ds(50), 2, 0, seed=4)
    assert list(other_seed) != first


def test_with_the_dataloader_every_rank_gets_the_same_number_of_batches():
    counts = []
    for rank in range(3):
        s = DistributedSampler(_ds(31), 3, rank, seed=0)
        loader = DataLoader(_ds(31), batch_size=4, sampler=s)
        batches = [xb.numpy() for (xb,) in loader]
        counts.append(len(batches))
        assert np.concatenate(batches).tolist() == list(s)
    assert counts == [3, 3, 3]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="rank must be in"):
        DistributedSampler(_ds(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1"):
        DistributedSampler(_ds(4), num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="set_epoch: epoch"):
        DistributedSampler(_ds(4), 1, 0).set_epoch(-1)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(_ds(4), sampler=DistributedSampler(_ds(4), 1, 0), shuffle=True)
