"""SNES: separable natural evolution strategies (Schaul, Glasmachers, Schmidhuber 2011)."""

from __future__ import annotations

import math

import numpy as np

from ..shaping import nes_utilities
from .base import Strategy, check_positive

__all__ = ["SNES", "default_popsize"]


def default_popsize(dim: int) -> int:
    """The NES default population 4 + floor(3 ln d), rounded up to even."""
    n = 4 + int(3 * math.log(dim))
    return n + n % 2


def sample_normal(rng: np.random.Generator, popsize: int, dim: int,
                  antithetic: bool) -> np.ndarray:
    """``(popsize, dim)`` standard normal draws; mirrored halves when ``antithetic``."""
    if antithetic:
        half = rng.standard_normal((popsize // 2, dim))
        return np.concatenate([half, -half])
    return rng.standard_normal((popsize, dim))


class SNES(Strategy):
    """Separable NES: a Gaussian with a diagonal covariance, x = mu + sigma * z.

    With NES utilities w (ranks, best first),

        mu    <- mu + lr_mean * sigma * sum_i w_i z_i
        sigma <- sigma * exp(lr_sigma / 2 * sum_i w_i (z_i^2 - 1))

    Args:
        x0: the start mean (a vector, or a model whose parameters follow the mean).
        maximize: True to maximise fitness, False to minimise it.
        sigma: the initial standard deviation (> 0; a number or one per dimension).
        popsize: default 4 + 3 ln d (even).
        lr_mean: 1.0 by default. lr_sigma: (3 + ln d) / (5 sqrt d) by default.
        antithetic: mirrored sampling (needs an even popsize).
        seed: the seed of the noise.
    """

    _state_keys = ("mean", "sigma")

    def __init__(self, x0, *, maximize: bool, sigma=1.0, popsize: int | None = None,
                 lr_mean: float = 1.0, lr_sigma: float | None = None,
                 antithetic: bool = False, seed: int = 0) -> None:
        dim, x0 = _dim(x0, "SNES")
        super().__init__(x0, popsize=popsize or default_popsize(dim), maximize=maximize,
                         seed=seed, even=antithetic)
        self.mean = self._x0.copy()
        self.sigma = np.broadcast_to(check_positive("SNES", "sigma", sigma),
                                     (self.dim,)).astype(np.float64)
        self.lr_mean = check_positive("SNES", "lr_mean", lr_mean)
        self.lr_sigma = check_positive("SNES", "lr_sigma", lr_sigma if lr_sigma is not None
                                       else (3 + math.log(self.dim)) / (5 * math.sqrt(self.dim)))
        self.antithetic = bool(antithetic)

    @property
    def center(self) -> np.ndarray:
        return self.mean.copy()

    def _sample(self) -> np.ndarray:
        z = sample_normal(self.rng, self.popsize, self.dim, self.antithetic)
        return self.mean + self.sigma * z

    def _update(self, utilities, X, injected) -> None:
        z = (X - self.mean) / self.sigma
        w = nes_utilities(utilities)
        self.mean = self.mean + self.lr_mean * self.sigma * (w @ z)
        self.sigma = self.sigma * np.exp(self.lr_sigma / 2 * (w @ (z * z - 1)))


def _dim(x0, name: str) -> tuple[int, object]:
    """The dimension of a start point, before the base class has checked it, and the start
    point again (a generator of parameters, read here, is returned as a list)."""
    from .base import _start

    if not isinstance(x0, (np.ndarray, list, tuple)) and hasattr(x0, "__next__"):
        x0 = list(x0)
    return _start(name, x0)[0].size, x0
