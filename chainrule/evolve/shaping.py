"""Fitness shaping: rank-based weights, so only the order of the fitness values matters.

Both functions take *utilities* (higher is better) and are invariant to any strictly
increasing transform of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["centered_ranks", "nes_utilities"]


def _ranks(u: np.ndarray) -> np.ndarray:
    """Rank of each entry, 0 for the lowest; ties take their order of appearance."""
    r = np.empty(len(u), dtype=np.int64)
    r[np.argsort(u, kind="stable")] = np.arange(len(u))
    return r


def centered_ranks(utilities) -> np.ndarray:
    """Ranks scaled into [-0.5, 0.5] (Salimans et al. 2017): r / (n - 1) - 0.5.

    >>> centered_ranks([3.0, 10.0, -1.0])
    array([ 0. ,  0.5, -0.5])
    """
    u = np.asarray(utilities, dtype=np.float64).reshape(-1)
    n = len(u)
    if n < 2:
        raise ValueError(f"centered_ranks: need at least 2 values, got {n}")
    return _ranks(u) / (n - 1) - 0.5


def nes_utilities(utilities) -> np.ndarray:
    """NES utility weights (Wierstra et al. 2014), the best first:
    w_k = max(0, log(n/2 + 1) - log k) / sum_j max(0, log(n/2 + 1) - log j) - 1/n
    for the k-th best of n; they sum to zero.
    """
    u = np.asarray(utilities, dtype=np.float64).reshape(-1)
    n = len(u)
    if n < 2:
        raise ValueError(f"nes_utilities: need at least 2 values, got {n}")
    k = np.arange(1, n + 1)
    w = np.maximum(0.0, np.log(n / 2 + 1) - np.log(k))
    w = w / w.sum() - 1.0 / n
    # rank n-1 is the best: it gets w[0]
    return w[n - 1 - _ranks(u)]
