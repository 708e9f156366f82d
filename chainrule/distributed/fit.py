"""What ``chainrule.train.fit`` and ``chainrule train`` do differently under ``mpirun``.

``fit`` asks ``data_parallel()`` once; outside an MPI job of two or more ranks it gets None
and nothing changes. Inside one it gets a ``DataParallelFit``, and then:

- ``batch_size`` is the *global* batch (as Keras' distribution strategies): each rank
  takes ``batch_size // size`` samples per step from its ``DistributedSampler`` share, so
  the same command line trains with the same hyperparameters on any number of ranks;
- the model runs inside ``DistributedDataParallel`` (rank 0's weights, averaged gradients);
- every step's loss, the epoch's metrics (computed on all ranks' outputs gathered
  together) and the validation results are the global ones, identical on every rank, so
  callbacks such as EarlyStopping take the same decision everywhere;
- callbacks marked ``rank_zero_only`` (the progress bar, CSVLogger, ModelCheckpoint) run
  on rank 0 only: one process prints and writes files;
- dropout gets a different seed on every rank (``rank_seed``).
"""

from __future__ import annotations

import numpy as np

from ..random import rng
from ..tensor import Tensor
from .collectives import all_reduce, broadcast_object_list
from .world import _world, init, launched

__all__ = ["DataParallelFit", "data_parallel", "main_process"]


def main_process() -> bool:
    """True unless this process is a rank other than 0 of an MPI job: the process that
    prints and writes files."""
    return not launched() or init().rank == 0


def data_parallel() -> DataParallelFit | None:
    """The MPI side of ``fit`` when an MPI launcher started two or more ranks, else None."""
    if not launched():
        return None
    info = init()
    return DataParallelFit(info.rank, info.size) if info.size > 1 else None


def _all_gather_rows(a: np.ndarray | None) -> np.ndarray | None:
    """Every rank's rows of ``a`` (None: no rows here), concatenated in rank order."""
    comm = _world.comm
    meta = comm.allgather(None if a is None else (a.shape[1:], a.dtype.str, len(a)))
    known = [m for m in meta if m is not None]
    if not known:
        return None
    tail, dtype = known[0][0], np.dtype(known[0][1])
    if a is None:
        a = np.empty((0, *tail), dtype)
    counts = [0 if m is None else m[2] * int(np.prod(tail, dtype=np.int64)) for m in meta]
    out = np.empty((sum(0 if m is None else m[2] for m in meta), *tail), dtype)
    comm.Allgatherv(np.ascontiguousarray(a, dtype=dtype), [out, counts])
    return out


class DataParallelFit:
    """The collectives and data sharding that ``fit`` uses on rank ``rank`` of ``size``."""

    def __init__(self, rank: int, size: int) -> None:
        self.rank, self.size = rank, size
        self.main = rank == 0

    # -- seeds and data ------------------------------------------------------------------

    def common_seed(self, seed: int | None) -> int:
        """``seed``, or (when None) a random one drawn by rank 0: shuffling and the
        validation split must agree across ranks."""
        box = [int(seed) if seed is not None else int(rng(None).integers(2**62))]
        broadcast_object_list(box, src=0)
        return box[0]

    def dropout_seed(self, seed: int, epoch: int = 0) -> int:
        """A seed of this rank's own for the default generator (dropout), per resume point."""
        state = np.random.SeedSequence(int(seed), spawn_key=(self.rank, int(epoch)))
        return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))

    def train_loader(self, dataset, batch_size: int, shuffle: bool, seed: int):
        from ..data import DataLoader
        from .sampler import DistributedSampler

        if batch_size < self.size:
            raise ValueError(f"fit: batch_size={batch_size} is the global batch and must be at "
                             f"least the number of ranks ({self.size})")
        sampler = DistributedSampler(dataset, self.size, self.rank, shuffle=shuffle, seed=seed)
        return DataLoader(dataset, batch_size=batch_size // self.size, sampler=sampler)

    def eval_loader(self, dataset, batch_size: int):
        """This rank's every ``size``-th sample, without padding: evaluation has no
        collective per batch, so ranks may run different numbers of batches."""
        from ..data import DataLoader, Subset

        part = Subset(dataset, np.arange(self.rank, len(dataset), self.size))
        return DataLoader(part, batch_size=batch_size)

    @staticmethod
    def begin_epoch(loader, epoch: int) -> None:
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)

    def wrap(self, model):
        from .ddp import DistributedDataParallel

        return DistributedDataParallel(model)

    def keeps(self, callback) -> bool:
        return self.main or not getattr(callback, "rank_zero_only", False)

    # -- reductions ------------------------------------------------------------------------

    def _sum(self, *values: float) -> np.ndarray:
        t = Tensor._make(np.array(values, np.float64), False)
        all_reduce(t)
        return t.array

    def step(self, loss: float, n: int, stop: bool) -> tuple[float, int, bool]:
        """The global mean loss of this step, its global sample count, and whether any
        rank wants to stop (one allreduce of three numbers)."""
        total, count, stops = self._sum(loss * n, n, float(stop))
        return float(total / count), int(count), bool(stops)

    def sums(self, total: float, seen: int) -> tuple[float, int]:
        total, seen = self._sum(total, seen)
        return float(total), int(seen)

    def agree(self, flag: bool) -> bool:
        """True on every rank when it is True on any."""
        return bool(self._sum(float(flag))[0])

    def results(self, collector, prefix: str = "") -> dict[str, float]:
        """The metrics over all ranks' outputs and targets."""
        if not collector.metrics:
            return {}
        parts = [np.concatenate(a) if a else None for a in (collector.outputs,
                                                             collector.targets)]
        out, y = (_all_gather_rows(p) for p in parts)
        if out is None or len(out) == 0:
            return {}
        return {prefix + name: float(f(out, y)) for name, f in collector.metrics}
