"""The NEAT generation loop: evaluate, speciate, share fitness, reproduce.

One generation (Stanley & Miikkulainen 2002, section 3.3):

1. every genome is evaluated (``fitness_fn`` receives the whole list, so it can batch);
2. genomes are placed in species: the first species whose representative (a random member
   of the previous generation) is within δt; otherwise a new species;
3. explicit fitness sharing: f'_i = f_i / |species|; each species gets offspring in
   proportion to the sum of its members' f'_i (a species that has not improved for
   ``stagnation`` generations gets none, and after ``population_stagnation`` generations
   without a new population best only the two best species reproduce);
4. in each species the worst are removed (``survival_threshold`` survive), the champion of
   a species with more than five members is copied unchanged, 25 % of the other offspring
   come from mutation alone and the rest from crossover (0.001 of those with a parent from
   another species), followed by mutation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from chainrule.random import rng as _rng

from .config import NEATConfig
from .genome import Genome, InnovationTracker, crossover, distance, mutate


@dataclass
class Species:
    """Members of one species and its stagnation record."""

    key: int
    representative: Genome
    created: int
    members: list[Genome] = field(default_factory=list)
    best_fitness: float = -math.inf
    last_improved: int = 0

    def adjusted_fitness_sum(self) -> float:
        # Explicit fitness sharing: each member's fitness divided by the species size.
        return sum(g.fitness for g in self.members) / len(self.members)


@dataclass
class GenerationStats:
    """What one generation looked like (``Population.history`` holds one per generation)."""

    generation: int
    evaluations: int
    best_fitness: float
    mean_fitness: float
    species_sizes: dict[int, int]
    best_size: tuple[int, int]


class Population:
    """A NEAT population.

    Args:
        config: a :class:`NEATConfig` (the paper's values by default).
        seed: an int seed, ``cr.Generator`` or NumPy Generator (None: chainrule's default
            generator, which ``cr.manual_seed`` seeds); the same seed and fitness function
            give the same run.

    >>> pop = Population(NEATConfig(num_inputs=2, num_outputs=1), seed=0)
    >>> best = pop.run(xor_fitness, generations=100, solved=xor_solved)
    """

    def __init__(self, config: NEATConfig, seed=None):
        if not isinstance(config, NEATConfig):
            raise TypeError(f"Population: config must be a NEATConfig, got "
                            f"{type(config).__name__}")
        self.config = config
        self.rng = _rng(seed)
        self._next_key = 0
        self.genomes = [Genome.initial(self._key(), config, self.rng)
                        for _ in range(config.population_size)]
        first = self.genomes[0]
        self.tracker = InnovationTracker(len(first.connections), max(first.nodes) + 1)
        self.species: dict[int, Species] = {}
        self._next_species = 0
        self.generation = 0
        self.evaluations = 0
        self.best: Genome | None = None
        self.history: list[GenerationStats] = []
        self._best_ever = -math.inf
        self.compatibility_threshold = config.compatibility_threshold
        self._population_improved = 0

    def _key(self) -> int:
        self._next_key += 1
        return self._next_key - 1

    # -- one generation -----------------------------------------------------------------

    def evaluate(self, fitness_fn: Callable[[list[Genome]], Sequence[float]]) -> None:
        """Set every genome's fitness from ``fitness_fn(genomes)`` and record the best."""
        values = fitness_fn(self.genomes)
        try:
            f = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Population.evaluate: fitness_fn must return numbers, got "
                            f"{type(values).__name__}") from None
        if f.shape != (len(self.genomes),):
            raise ValueError(f"Population.evaluate: fitness_fn returned shape {f.shape} for "
                             f"{len(self.genomes)} genomes; expected ({len(self.genomes)},)")
        bad = np.flatnonzero(~np.isfinite(f) | (f < 0))
        if bad.size:
            raise ValueError(f"Population.evaluate: fitness must be finite and >= 0 (fitness "
                             f"sharing divides it), got {f[bad[0]]!r} for genome "
                             f"{self.genomes[bad[0]].key}")
        for g, v in zip(self.genomes, f):
            g.fitness = float(v)
        self.evaluations += len(self.genomes)
        best = self.genomes[int(np.argmax(f))]
        if self.best is None or best.fitness > self.best.fitness:
            self.best = best
        self.speciate()
        self.history.append(GenerationStats(
            self.generation, self.evaluations, float(f.max()), float(f.mean()),
            {k: len(s.members) for k, s in self.species.items()}, best.size()))

    def speciate(self) -> None:
        """Place each genome in the first species whose representative is within δt."""
        cfg = self.config
        for s in self.species.values():
            s.members = []
        for g in self.genomes:
            for s in self.species.values():
                if distance(g, s.representative, cfg) < self.compatibility_threshold:
                    s.members.append(g)
                    break
            else:
                k = self._next_species
                self._next_species += 1
                self.species[k] = Species(k, g, self.generation, [g],
                                          last_improved=self.generation)
        self.species = {k: s for k, s in self.species.items() if s.members}
        target = cfg.target_species
        if target is not None and len(self.species) != target:
            step = cfg.threshold_step
            up = len(self.species) > target
            self.compatibility_threshold = max(step, self.compatibility_threshold
                                               + (step if up else -step))
        for s in self.species.values():
            top = max(g.fitness for g in s.members)
            if top > s.best_fitness:
                s.best_fitness, s.last_improved = top, self.generation

    def reproduce(self) -> None:
        """Replace the population with the next generation (after :meth:`evaluate`)."""
        cfg, rng = self.config, self.rng
        top = max(g.fitness for g in self.genomes)
        if top > self._best_ever:
            self._best_ever, self._population_improved = top, self.generation
        ranked = sorted(self.species.values(), key=lambda s: -max(g.fitness for g in s.members))
        if self.generation - self._population_improved >= cfg.population_stagnation:
            # Paper: only the two best species reproduce; the clock restarts.
            alive = ranked[:2]
            self._population_improved = self.generation
        else:
            alive = [s for s in ranked
                     if self.generation - s.last_improved < cfg.stagnation] or ranked[:1]
        counts = self._offspring_counts(alive)
        self.tracker.new_generation()
        children: list[Genome] = []
        for s, n in zip(alive, counts):
            if n == 0:
                continue
            members = sorted(s.members, key=lambda g: -g.fitness)
            if len(members) > cfg.elitism_min_size:
                children.append(members[0].copy(self._key()))
                n -= 1
            parents = members[: max(1, math.ceil(cfg.survival_threshold * len(members)))]
            for _ in range(n):
                children.append(self._offspring(parents, alive, s))
        # Representatives for the next generation: a random member of this one (paper).
        self.species = {s.key: s for s in alive}
        for s in self.species.values():
            s.representative = s.members[rng.integers(len(s.members))]
        self.genomes = children
        self.generation += 1

    def _offspring_counts(self, alive: list[Species]) -> list[int]:
        shares = np.array([s.adjusted_fitness_sum() for s in alive])
        total = shares.sum()
        n = self.config.population_size
        if total <= 0:
            shares, total = np.ones(len(alive)), float(len(alive))
        exact = shares / total * n
        counts = np.floor(exact).astype(int)
        # Largest remainders get the seats that rounding down left over.
        for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
            counts[i] += 1
        return counts.tolist()

    def _offspring(self, parents: list[Genome], alive: list[Species], own: Species) -> Genome:
        cfg, rng = self.config, self.rng
        mom = parents[rng.integers(len(parents))]
        if rng.random() < cfg.mutate_only_prob:
            child = mom.copy(self._key())
            mutate(child, cfg, self.tracker, rng)
            return child
        if len(alive) > 1 and rng.random() < cfg.interspecies_mating_rate:
            others = [s for s in alive if s is not own]
            pool = others[rng.integers(len(others))].members
            dad = pool[rng.integers(len(pool))]
        else:
            dad = parents[rng.integers(len(parents))]
        child = crossover(mom, dad, self._key(), cfg, rng)
        if dad is mom or not rng.random() < cfg.mate_only_prob:
            mutate(child, cfg, self.tracker, rng)
        return child

    # -- the loop -----------------------------------------------------------------------

    def run(self, fitness_fn: Callable[[list[Genome]], Sequence[float]],
            generations: int, solved: Callable[[Genome], bool] | None = None,
            fitness_threshold: float | None = None,
            callback: Callable[[Population], None] | None = None) -> Genome:
        """Evolve for up to ``generations`` generations; returns the best genome found.

        Stops early when ``solved(best_of_generation)`` is true or its fitness reaches
        ``fitness_threshold``. ``self.evaluations`` then counts the genomes evaluated,
        including the generation that solved the task. ``callback(self)`` runs after each
        evaluation.
        """
        if not isinstance(generations, int) or generations < 1:
            raise ValueError(f"Population.run: generations must be an int >= 1, got "
                             f"{generations!r}")
        self.solved = False
        for _ in range(generations):
            self.evaluate(fitness_fn)
            if callback is not None:
                callback(self)
            champ = max(self.genomes, key=lambda g: g.fitness)
            if (solved is not None and solved(champ)) or (
                    fitness_threshold is not None and champ.fitness >= fitness_threshold):
                self.best, self.solved = champ, True
                break
            self.reproduce()
        return self.best
