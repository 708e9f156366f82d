"""How many threads the BLAS and OpenMP pools use: PyTorch's ``set_num_threads`` and a
default that suits a busy machine.

NumPy's matrix products run on OpenBLAS's (or MKL's) thread pool, one thread per core by
default. On a machine whose cores are already busy that default collapses: a `chainrule
train` run took 7.5 s with one busy process beside it on 2 cores and 3.1 s with one BLAS
thread, because BLAS threads spin waiting for cores that another process holds.
:func:`auto_threads` picks one thread per *idle* core (at least one), from the load
average; the ``chainrule`` command uses it unless ``--threads`` says otherwise.

Needs ``threadpoolctl`` (``pip install 'chainrule[train]'``).
"""

from __future__ import annotations

import os

__all__ = ["auto_threads", "get_num_threads", "set_num_threads"]


def _threadpoolctl():
    from ._optional import require

    return require("threadpoolctl", extra="train", feature="chainrule.set_num_threads")


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads in the BLAS and OpenMP pools of this process.

    >>> cr.set_num_threads(1)
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_num_threads: num_threads must be a positive integer, "
                         f"got {num_threads!r}")
    _threadpoolctl().threadpool_limits(num_threads)


def get_num_threads() -> int:
    """The number of threads the BLAS pool uses now (the largest pool if there are several)."""
    info = _threadpoolctl().threadpool_info()
    blas = [p["num_threads"] for p in info if p.get("user_api") == "blas"]
    return max(blas or [p["num_threads"] for p in info] or [1])


def auto_threads(cores: int | None = None, load: float | None = None) -> int:
    """One thread per idle core, at least one: ``cores - round(load)``, clipped to [1, cores].

    ``cores`` defaults to the cores this process may run on, ``load`` to the 1-minute load
    average (other processes' runnable threads).
    """
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cores = os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    return max(1, min(cores, cores - round(load)))
