"""Fitness functions for NEAT: XOR (the paper's experiment), 2-D classification tasks,
and backprop-tuned fitness (structure by evolution, weights by gradient descent)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.random import rng as _rng

from .config import NEATConfig
from .genome import Genome
from .network import GenomeModule

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def xor_fitness(genomes: list[Genome], config: NEATConfig) -> np.ndarray:
    """The paper's XOR fitness (4 - Σ|output - target|)², one value per genome."""
    out = np.empty(len(genomes))
    for i, g in enumerate(genomes):
        err = np.abs(g.network(config)(XOR_X)[:, 0] - XOR_Y).sum()
        out[i] = (4.0 - err) ** 2
    return out


def xor_solved(genome: Genome, config: NEATConfig) -> bool:
    """The paper's criterion: all four patterns classified correctly (outputs rounded at 0.5)."""
    return bool(np.array_equal(genome.network(config)(XOR_X)[:, 0] >= 0.5, XOR_Y == 1))


# -- 2-D classification tasks ---------------------------------------------------------------

TASKS = ("xor", "circle", "spirals", "gaussians")


def make_task(name: str, n: int = 200, noise: float = 0.1, seed=0
              ) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D binary classification set ``(X float64 (n, 2), y int64 (n,))``.

    ``xor``: quadrant signs; ``circle``: inside a circle of radius 0.5 vs a ring outside;
    ``spirals``: two interleaved spirals (Lang & Witbrock's benchmark); ``gaussians``: two
    Gaussian clusters. Coordinates lie roughly in [-1, 1].
    """
    if name not in TASKS:
        raise ValueError(f"make_task: name must be one of {TASKS}, got {name!r}")
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"make_task: n must be an int >= 2, got {n!r}")
    r = _rng(seed)
    half = n // 2
    y = np.r_[np.zeros(n - half, np.int64), np.ones(half, np.int64)]
    if name == "xor":
        X = r.uniform(-1, 1, (n, 2))
        X += np.sign(X) * 0.05  # a margin around the axes
        y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    elif name == "circle":
        radius = np.r_[r.uniform(0, 0.5, n - half), r.uniform(0.7, 1.0, half)]
        angle = r.uniform(0, 2 * np.pi, n)
        X = radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    elif name == "spirals":
        t = np.r_[r.uniform(0, 1, n - half), r.uniform(0, 1, half)]
        radius = 0.1 + 0.9 * t
        angle = 1.75 * 2 * np.pi * t + np.pi * y
        X = radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    else:
        centres = np.where(y[:, None] == 1, 0.5, -0.5)
        X = centres + r.normal(0, 0.35, (n, 2))
    X = X + r.normal(0, noise, X.shape) * (name != "gaussians")
    return X.astype(np.float64), y


class BackpropFitness:
    """Fitness after k steps of backprop on each genome's weights (backprop-tuned NEAT).

    Each genome becomes a :class:`GenomeModule` (one output: a logit), trained for
    ``steps`` full-batch Adam steps on binary cross-entropy; fitness is
    ``accuracy - size_penalty * enabled connections`` on the training set (floored at 0).
    ``lamarckian=True`` writes the trained weights back into the genome, so offspring
    inherit them; ``False`` (Baldwinian) leaves the genome's weights as they were, so only
    the ability to learn is selected.

    >>> fit = BackpropFitness(X, y, config, steps=50)
    >>> pop.run(fit, generations=30)
    """

    def __init__(self, X, y, config: NEATConfig, steps: int = 50, lr: float = 0.05,
                 lamarckian: bool = True, size_penalty: float = 0.0):
        X, y = np.asarray(X, np.float64), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != config.num_inputs:
            raise ValueError(f"BackpropFitness: X must have shape (n, {config.num_inputs}), "
                             f"got {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"BackpropFitness: y must have shape ({X.shape[0]},), got {y.shape}")
        if config.num_outputs != 1:
            raise ValueError(f"BackpropFitness: the config needs num_outputs=1 (a logit), "
                             f"got {config.num_outputs}")
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"BackpropFitness: steps must be an int >= 0, got {steps!r}")
        self.X, self.y = cr.tensor(X, dtype=cr.float32), cr.tensor(y[:, None], dtype=cr.float32)
        self.labels = y.astype(bool)
        self.config, self.steps, self.lr = config, steps, lr
        self.lamarckian, self.size_penalty = lamarckian, size_penalty
        self.loss = nn.BCEWithLogitsLoss()

    def train(self, genome: Genome) -> GenomeModule:
        """A module for ``genome`` after ``steps`` Adam steps (the genome is not changed)."""
        model = GenomeModule(genome, self.config, dtype=cr.float32)
        if self.steps and len(model.weight):
            opt = cr.optim.Adam(model.parameters(), lr=self.lr)
            for _ in range(self.steps):
                opt.zero_grad()
                self.loss(model(self.X), self.y).backward()
                opt.step()
        return model

    def __call__(self, genomes: list[Genome]) -> np.ndarray:
        out = np.empty(len(genomes))
        for i, g in enumerate(genomes):
            model = self.train(g)
            with cr.no_grad():
                pred = model(self.X).numpy()[:, 0] > 0
            if self.lamarckian and self.steps:
                model.write_back(g)
            acc = float(np.mean(pred == self.labels))
            out[i] = max(0.0, acc - self.size_penalty * g.size()[1])
        return out
