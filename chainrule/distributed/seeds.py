"""Per-rank seeds: the same model initialisation everywhere, different dropout masks."""

from __future__ import annotations

import numpy as np

from ..random import Generator
from ..random import manual_seed as _manual_seed

__all__ = ["manual_seed", "rank_seed"]


def rank_seed(seed: int, rank: int | None = None) -> int:
    """A seed for rank ``rank`` (default: this process's) derived from ``seed``.

    Distinct ranks get independent streams (NumPy's ``SeedSequence`` with the rank as
    spawn key), and rank 0 of a one-process world gets the same seed as any other run of
    that rank: ``rank_seed(s, r)`` depends only on ``s`` and ``r``.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"rank_seed: seed must be an int >= 0, got {seed!r}")
    if rank is None:
        from .world import init

        rank = init().rank
    if not isinstance(rank, (int, np.integer)) or isinstance(rank, bool) or rank < 0:
        raise ValueError(f"rank_seed: rank must be an int >= 0, got {rank!r}")
    state = np.random.SeedSequence(int(seed), spawn_key=(int(rank),)).generate_state(2,
                                                                                    np.uint32)
    return int(state[0]) << 32 | int(state[1])


def manual_seed(seed: int) -> Generator:
    """Seed chainrule's default generator with ``rank_seed(seed)``: each rank draws its own
    dropout masks and random augmentations. Build the model before calling it (or rely on
    DistributedDataParallel's broadcast of rank 0's weights). Returns the generator."""
    return _manual_seed(rank_seed(seed))
