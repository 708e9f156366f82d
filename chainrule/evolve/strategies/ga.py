"""A genetic algorithm for neural-network weights (Such et al. 2017, "Deep
Neuroevolution")."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..seeding import normal
from .base import Strategy, check_positive

__all__ = ["GeneticAlgorithm"]

_SEED_BOUND = 2**31 - 1


class GeneticAlgorithm(Strategy):
    """Truncation selection, elitism and Gaussian mutation, without crossover.

    Each generation the ``truncation`` best individuals are the parents; the next
    population is the ``elites`` best unchanged, then children ``parent + sigma * eps``
    of parents drawn uniformly. The first population is ``x0 + sigma * eps``.

    Every individual is also kept as a *seed list* (Such et al.): ``x0`` plus one mutation
    per seed, ``decode(seeds) = x0 + sigma * sum_j N(0, I; seed_j)``, so an individual
    travels between processes, or into a file, as a few integers. ``encode(i)`` gives
    individual ``i``'s seeds; ``decode`` rebuilds its vector. A Lamarckian ``tell(f,
    solutions=...)`` replaces individuals by vectors that no seed list describes: their
    seed lists become None.

    Args:
        x0: the start (a vector, or a model whose parameters follow the best individual).
        maximize: True to maximise fitness, False to minimise it.
        sigma: the mutation's standard deviation (> 0).
        popsize: individuals per generation (>= 2).
        truncation: how many of the best become parents (default popsize // 5, >= 1).
        elites: how many of the best pass unchanged (default 1).
        seed: the seed of the mutations.
    """

    _state_keys = ("population", "seeds", "elite")

    def __init__(self, x0, *, maximize: bool, sigma: float = 0.02, popsize: int = 100,
                 truncation: int | None = None, elites: int = 1, seed: int = 0) -> None:
        super().__init__(x0, popsize=popsize, maximize=maximize, seed=seed)
        self.sigma = check_positive("GeneticAlgorithm", "sigma", sigma)
        truncation = truncation if truncation is not None else max(1, popsize // 5)
        if not 1 <= truncation <= popsize:
            raise ValueError(f"GeneticAlgorithm: truncation must be in [1, popsize="
                             f"{popsize}], got {truncation}")
        if not 0 <= elites <= truncation:
            raise ValueError(f"GeneticAlgorithm: elites must be in [0, truncation="
                             f"{truncation}], got {elites}")
        self.truncation, self.elites = int(truncation), int(elites)
        self.seeds: list[list[int] | None] = [[int(s)] for s in self._draw(self.popsize)]
        self.population = np.stack([self.decode(s) for s in self.seeds])
        self.elite = self._x0.copy()  # the best individual so far (x0 before any tell)

    def _draw(self, n: int) -> np.ndarray:
        return self.rng.integers(0, _SEED_BOUND, size=n)

    def _mutation(self, seed: int) -> np.ndarray:
        return self.sigma * normal(seed, self.dim)

    def decode(self, seeds: list[int]) -> np.ndarray:
        """The vector a seed list describes: x0 plus one mutation per seed."""
        x = self._x0.copy()
        for s in seeds:
            x += self._mutation(int(s))
        return x

    def encode(self, index: int) -> list[int] | None:
        """Individual ``index``'s seed list (None if Lamarckian learning changed it)."""
        s = self.seeds[index]
        return None if s is None else list(s)

    @property
    def center(self) -> np.ndarray:
        return self.elite.copy()

    def _sample(self) -> np.ndarray:
        return self.population.copy()

    def _update(self, utilities, X, injected) -> None:
        if injected:
            self.seeds = [None if not np.array_equal(x, p) else s
                          for x, p, s in zip(X, self.population, self.seeds)]
        order = np.argsort(-utilities, kind="stable")  # best first
        parents = order[: self.truncation]
        self.elite = X[order[0]].copy()
        new_pop = [X[i].copy() for i in order[: self.elites]]
        new_seeds = [self.seeds[i] for i in order[: self.elites]]
        n = self.popsize - self.elites
        choice = parents[self.rng.integers(0, self.truncation, size=n)]
        for i, s in zip(choice, self._draw(n)):
            new_pop.append(X[i] + self._mutation(int(s)))
            new_seeds.append(None if self.seeds[i] is None else self.seeds[i] + [int(s)])
        self.population = np.stack(new_pop)
        self.seeds = new_seeds

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["seeds"] = [[] if s is None else list(s) for s in self.seeds]
        state["has_seeds"] = [s is not None for s in self.seeds]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.seeds = [[int(x) for x in s] if ok else None
                      for s, ok in zip(state["seeds"], state["has_seeds"])]
