"""Data-parallel training on MPI (mpi4py): ``torch.distributed``'s names on NumPy models.

Launch one process per replica with ``mpirun -n 4 python train.py`` (or ``srun``); each
process wraps its model, reads its share of the data and gets the averaged gradients:

>>> import chainrule.distributed as dist
>>> rank, size, local_rank = dist.init()          # size 1 without mpirun
>>> model = dist.DistributedDataParallel(model)   # rank 0's weights everywhere
>>> sampler = dist.DistributedSampler(dataset, shuffle=True, seed=0)
>>> loader = DataLoader(dataset, batch_size=64, sampler=sampler)
>>> for epoch in range(epochs):
...     sampler.set_epoch(epoch)
...     for xb, yb in loader:
...         opt.zero_grad(); F.cross_entropy(model(xb), yb).backward(); opt.step()

mpi4py is imported by ``init()`` (the ``mpi`` extra: ``pip install 'chainrule[mpi]'``).
docs/distributed.md describes the design.
"""

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    reduce,
    scatter,
)
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler
from .seeds import manual_seed, rank_seed
from .sync_batchnorm import SyncBatchNorm
from .world import (
    WorldInfo,
    get_local_rank,
    get_rank,
    get_world_size,
    init,
    install_except_hook,
    is_available,
    is_initialized,
    launched,
)

is_mpi_available = is_available


def init_process_group(backend: str = "mpi", **_ignored) -> None:
    """``torch.distributed.init_process_group`` for the MPI backend: same as ``init()``."""
    if backend not in ("mpi", None):
        raise ValueError(f"init_process_group: only the 'mpi' backend exists here, got "
                         f"{backend!r}")
    init()


def get_backend(group=None) -> str:
    """The backend's name: always ``"mpi"``."""
    return "mpi"


__all__ = [
    "DistributedDataParallel", "DistributedSampler", "ReduceOp", "SyncBatchNorm", "Work",
    "WorldInfo", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
    "broadcast_object_list", "gather", "get_backend", "get_local_rank", "get_rank",
    "get_world_size", "init", "init_process_group", "install_except_hook", "is_available",
    "is_initialized", "is_mpi_available", "launched", "manual_seed", "rank_seed", "reduce",
    "scatter",
]  # fmt: skip
