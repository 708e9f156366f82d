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
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    reduce,
    reduce_scatter_tensor,
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


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       world_size: int = -1, rank: int = -1, **_ignored) -> None:
    """``torch.distributed.init_process_group``: starts MPI (``init()``). Every backend
    name ("mpi", "gloo", "nccl") is carried by MPI here; ``world_size`` and ``rank``, when
    given, must be the ones the MPI launcher gave."""
    if backend not in (None, "mpi", "gloo", "nccl"):
        raise ValueError(f"init_process_group: unknown backend {backend!r}; MPI carries "
                         f"'mpi', 'gloo' and 'nccl' here")
    info = init()
    for name, given, actual in (("world_size", world_size, info.size),
                                ("rank", rank, info.rank)):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {name}={given} but the MPI launcher "
                             f"started this process with {name} {actual}")


def destroy_process_group(group=None) -> None:
    """Forget the process group (``is_initialized()`` becomes False). MPI itself stays up
    until the process exits (mpi4py finalizes it then)."""
    from . import world

    world._check_group("destroy_process_group", group)
    world._world.info = None


def get_backend(group=None) -> str:
    """The backend's name: always ``"mpi"``."""
    return "mpi"


__all__ = [
    "DistributedDataParallel", "DistributedSampler", "ReduceOp", "SyncBatchNorm", "Work",
    "WorldInfo", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
    "get_backend", "get_local_rank", "get_rank",
    "get_world_size", "init", "init_process_group", "install_except_hook", "is_available",
    "is_initialized", "is_mpi_available", "launched", "manual_seed", "rank_seed", "reduce",
    "reduce_scatter_tensor", "scatter",
]  # fmt: skip
