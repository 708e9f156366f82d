"""The MPI world: ``init``, rank and size, and the except hook that aborts the whole job.

``init()`` starts MPI through mpi4py (imported here and nowhere earlier, so that
``import chainrule`` stays NumPy-only). Without ``mpirun`` MPI runs as a *singleton*: a
world of one process, so the same script runs on a laptop, under ``mpirun -n 4`` and
under Slurm's ``srun``. Without mpi4py and outside any MPI launcher, ``init()`` gives a
world of one process without MPI; under a launcher a missing mpi4py is an error, since N
processes that each believed to be rank 0 would all write the same files.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from typing import Any, NamedTuple

from .._optional import require

__all__ = [
    "WorldInfo", "get_local_rank", "get_rank", "get_world_size", "init", "is_available",
    "is_initialized", "launched",
]  # fmt: skip

#: Environment variables that MPI launchers set in every process they start: MPICH and
#: Intel MPI (Hydra's PMI), Open MPI, PMIx (Slurm's srun --mpi=pmix), MVAPICH, Slurm.
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                  "MV2_COMM_WORLD_SIZE", "SLURM_STEP_ID")
#: Where launchers put the rank within the node.
_LOCAL_RANK_VARS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK",
                    "SLURM_LOCALID", "PMI_LOCAL_RANK", "LOCAL_RANK")


class WorldInfo(NamedTuple):
    """What ``init()`` returns: this process's ``rank``, the world ``size`` and the
    ``local_rank`` (the rank among the processes on this node, for picking a GPU)."""

    rank: int
    size: int
    local_rank: int


class _World:
    comm: Any = None  # mpi4py's COMM_WORLD, or None for a world of one without MPI
    MPI: Any = None
    info: WorldInfo | None = None


_world = _World()


def launched() -> bool:
    """True when an MPI launcher (``mpirun``, ``mpiexec``, ``srun``) started this process.

    Read from the environment only, without importing mpi4py. ``CHAINRULE_DISTRIBUTED=0``
    or ``1`` overrides the guess.
    """
    forced = os.environ.get("CHAINRULE_DISTRIBUTED")
    if forced in ("0", "1"):
        return forced == "1"
    return any(v in os.environ for v in _LAUNCHER_VARS)


def is_available() -> bool:
    """True when mpi4py can be imported (``pip install 'chainrule[mpi]'``)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def init() -> WorldInfo:
    """Start MPI (once) and return ``WorldInfo(rank, size, local_rank)``.

    Safe to call again: later calls return the same values. With more than one process it
    installs the global except hook: an uncaught exception on any rank prints that rank's
    traceback and aborts every rank (``MPI.COMM_WORLD.Abort``), instead of leaving the
    others waiting in a collective forever.

    >>> rank, size, local_rank = cr.distributed.init()
    """
    if _world.info is not None:
        return _world.info
    if not launched() and not is_available():
        _world.info = WorldInfo(0, 1, 0)
        return _world.info
    require("mpi4py", extra="mpi", feature="chainrule.distributed")
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    local = _local_rank(comm, MPI)
    _world.comm, _world.MPI = comm, MPI
    _world.info = WorldInfo(rank, size, local)
    if size > 1:
        install_except_hook()
        _share_cores(comm, MPI)
    return _world.info


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_cores(comm, MPI) -> None:
    """Give each rank's BLAS pool its share of this node's cores, unless the user set a
    thread count. As torchrun's OMP_NUM_THREADS=1 default: two ranks with a full-size
    OpenBLAS pool each on 2 cores made a digits MLP epoch 10-20x slower than with one
    thread each (136 against 2,766 samples/s, measured on a loaded 2-core machine)."""
    if any(v in os.environ for v in _THREAD_VARS):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn's dependency; without it, set OMP_NUM_THREADS
        return
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    try:
        on_node = node.Get_size()
    finally:
        node.Free()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    threadpool_limits(max(1, cores // on_node), user_api="blas")


def _local_rank(comm, MPI) -> int:
    for var in _LOCAL_RANK_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    if comm.Get_size() == 1:
        return 0
    # No launcher variable: the rank among the processes that share this node's memory.
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    try:
        return node.Get_rank()
    finally:
        node.Free()


def is_initialized() -> bool:
    """True once ``init()`` has run, as ``torch.distributed.is_initialized``."""
    return _world.info is not None


def _info() -> WorldInfo:
    return _world.info if _world.info is not None else init()


def get_rank(group=None) -> int:
    """This process's rank, 0 to ``get_world_size() - 1`` (starts MPI if needed)."""
    _check_group("get_rank", group)
    return _info().rank


def get_world_size(group=None) -> int:
    """The number of processes (1 without ``mpirun``)."""
    _check_group("get_world_size", group)
    return _info().size


def get_local_rank() -> int:
    """The rank among the processes on this node (0 without ``mpirun``)."""
    return _info().local_rank


def _check_group(fname: str, group) -> None:
    if group is not None and group is not _world.comm:
        raise ValueError(f"{fname}: only the world group is supported (group=None), got "
                         f"{group!r}")


def comm():
    """mpi4py's ``COMM_WORLD`` once ``init()`` has run, or None in a world without MPI."""
    _info()
    return _world.comm


# -- the global except hook ---------------------------------------------------------------


def _abort(kind: str, exc_type, exc, tb) -> None:
    info = _world.info
    rank = info.rank if info else "?"
    size = info.size if info else "?"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    # One write, so that the lines of two failing ranks do not interleave.
    sys.stderr.write(f"chainrule.distributed: {kind} on rank {rank} of {size}; aborting all "
                     f"ranks\n{text}")
    sys.stderr.flush()
    sys.stdout.flush()
    _world.comm.Abort(1)


def _except_hook(exc_type, exc, tb) -> None:
    _abort("uncaught exception", exc_type, exc, tb)


def _thread_hook(args) -> None:
    if args.exc_type is SystemExit:
        return
    _abort(f"uncaught exception in thread {args.thread.name if args.thread else '?'}",
           args.exc_type, args.exc_value, args.exc_traceback)


def abort_if_parallel(code: int = 1) -> None:
    """End every rank with exit status ``code`` when this is an MPI job of 2+ ranks (a
    rank that merely returned would leave the others waiting in a collective); else do
    nothing. For error paths that handle an exception themselves, as the CLI's."""
    if _world.info is not None and _world.info.size > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        _world.comm.Abort(code)


def install_except_hook() -> None:
    """Make an uncaught exception on this rank abort every rank (ChainerMN's global except
    hook): the error is printed with the rank, then ``MPI.COMM_WORLD.Abort(1)`` ends the
    job, so no rank waits forever in a collective that the failed one never reaches."""
    sys.excepthook = _except_hook
    threading.excepthook = _thread_hook
