"""Seeds derived from seeds: how a run names its random numbers without sending them.

A generation's episode seeds, a GA individual's mutations, a worker's share of the noise:
each is a function of a base seed and a few integers, so any process can recompute it.

>>> derive_seed(0, 12, 3)          # e.g. (run seed, generation, episode)
>>> normal(derive_seed(7, 1), 10)  # the same 10 numbers in every process
"""

from __future__ import annotations

import numpy as np

__all__ = ["derive_seed", "normal"]


def derive_seed(seed: int, *keys: int) -> int:
    """A 32-bit seed that is a function of ``seed`` and the integer ``keys`` (NumPy's
    SeedSequence: nearby inputs give unrelated outputs)."""
    words = [int(seed), *(int(k) for k in keys)]
    if any(w < 0 for w in words):
        raise ValueError(f"derive_seed: seeds and keys must be >= 0, got {words}")
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def normal(seed: int, shape) -> np.ndarray:
    """Standard normal float64 numbers of ``shape`` from a generator seeded with ``seed``."""
    return np.random.default_rng(int(seed)).standard_normal(shape)
