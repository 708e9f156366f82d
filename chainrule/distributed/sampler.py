"""``DistributedSampler``: each rank's share of a dataset, with PyTorch's padding rules."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["DistributedSampler"]


def _count(fname: str, name: str, v, low: int) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
        raise ValueError(f"{fname}: {name} must be an int >= {low}, got {v!r}")
    return int(v)


class DistributedSampler:
    """The indices of rank ``rank``'s share of ``dataset``, as
    ``torch.utils.data.distributed.DistributedSampler``.

    Every epoch the ``n = len(dataset)`` indices are put in one order that all ranks agree
    on (a permutation drawn from ``seed + epoch`` when ``shuffle``, else ``0..n-1``) and
    dealt round-robin: rank r gets positions r, r + R, r + 2R, ... (R = ``num_replicas``).
    So that every rank gets the same number of samples (``num_samples``) and therefore the
    same number of batches (a rank with one batch more would wait forever in the gradient
    allreduce), the order is made a multiple of R long:

    - ``drop_last=False`` (default): padded by repeating indices from its start, so up to
      R - 1 samples are seen twice in an epoch; every example is seen at least once.
    - ``drop_last=True``: the last ``n % R`` positions of the order are dropped, so no
      sample repeats and up to R - 1 are left out (different ones each shuffled epoch).

    Call ``set_epoch(epoch)`` before each epoch to reshuffle; the same ``seed`` and epoch
    give the same order on every rank and in every run.

    >>> sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    >>> loader = DataLoader(dataset, batch_size=64, sampler=sampler)
    >>> for epoch in range(10):
    ...     sampler.set_epoch(epoch)
    ...     for xb, yb in loader: ...
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        name = "DistributedSampler"
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"{name}: dataset must have a length, got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from .world import init

            info = init()
            num_replicas = info.size if num_replicas is None else num_replicas
            rank = info.rank if rank is None else rank
        num_replicas = _count(name, "num_replicas", num_replicas, 1)
        rank = _count(name, "rank", rank, 0)
        if rank >= num_replicas:
            raise ValueError(f"{name}: rank must be in [0, {num_replicas - 1}] for "
                             f"num_replicas={num_replicas}, got {rank}")
        self.seed = _count(name, "seed", seed, 0)
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            self.num_samples = n // num_replicas
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (call it on every rank before each epoch)."""
        self.epoch = _count("DistributedSampler.set_epoch", "epoch", epoch, 0)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            # seed + epoch as PyTorch, so a run can be reproduced from the two numbers
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:  # pad with the order's first indices (repeated if needed)
            order = np.resize(order, self.total_size)
        return order[:self.total_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self._order()[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples
