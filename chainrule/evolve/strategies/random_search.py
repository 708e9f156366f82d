"""Random search: the baseline every other strategy has to beat."""

from __future__ import annotations

import numpy as np

from .base import Strategy, check_positive

__all__ = ["RandomSearch"]


class RandomSearch(Strategy):
    """Independent candidates ``x0 + sigma * N(0, I)``, every generation; nothing is
    learned. The solution (``center``) is the best candidate seen.

    Args:
        x0: the centre of the search (a vector, or a model whose parameters follow the
            best candidate). maximize: True to maximise, False to minimise.
        sigma: the spread (> 0). popsize: candidates per generation. seed: the seed.
    """

    def __init__(self, x0, *, maximize: bool, sigma: float = 1.0, popsize: int = 20,
                 seed: int = 0) -> None:
        super().__init__(x0, popsize=popsize, maximize=maximize, seed=seed)
        self.sigma = check_positive("RandomSearch", "sigma", sigma)

    @property
    def center(self) -> np.ndarray:
        return (self._x0 if self.best_solution is None else self.best_solution).copy()

    def _sample(self) -> np.ndarray:
        return self._x0 + self.sigma * self.rng.standard_normal((self.popsize, self.dim))

    def _update(self, utilities, X, injected) -> None:
        pass  # the best candidate is kept by Strategy.tell
