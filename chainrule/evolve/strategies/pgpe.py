"""PGPE (Sehnke et al. 2010) with the ClipUp optimizer (Toklu et al. 2020)."""

from __future__ import annotations

import numpy as np

from ..shaping import centered_ranks
from .base import Strategy, check_positive
from .snes import sample_normal

__all__ = ["PGPE", "clipup"]


def clipup(velocity: np.ndarray, g: np.ndarray, *, step_size: float, momentum: float,
           max_speed: float) -> np.ndarray:
    """One ClipUp step: the new velocity (add it to the parameters to ascend ``g``).

    v <- momentum v + step_size g / ||g||, then v <- max_speed v / ||v|| if ||v|| exceeds
    max_speed. Normalising the gradient makes the step size independent of the fitness
    scale; clipping the velocity bounds how far one generation moves.
    """
    norm = np.linalg.norm(g)
    v = momentum * velocity + (step_size * g / norm if norm > 0 else 0.0)
    speed = np.linalg.norm(v)
    if speed > max_speed:
        v = v * (max_speed / speed)
    return v


class PGPE(Strategy):
    """Policy gradients with parameter-based exploration, symmetric sampling.

    Candidates come in pairs ``mu +- eps`` with ``eps ~ N(0, diag(sigma^2))``. With fitness
    shaped to centred ranks ``w`` (``w+`` and ``w-`` of each pair, baseline their mean),

        g_mu    = sum_k (w+_k - w-_k) / 2 * eps_k / K
        g_sigma = sum_k ((w+_k + w-_k) / 2 - mean(w)) * (eps_k^2 - sigma^2) / sigma / K

    ``mu`` moves by ClipUp (``max_speed``, ``step_size`` = max_speed / 2 by default,
    ``momentum``); ``sigma`` by ``sigma_lr * g_sigma``, limited to a relative change of
    ``max_sigma_change`` per generation.

    Args:
        x0: the start mean (a vector, or a model whose parameters follow the mean).
        maximize: True to maximise fitness, False to minimise it.
        sigma: initial standard deviation (> 0; a number or one per dimension).
        popsize: even (pairs).
        max_speed, step_size, momentum: ClipUp's settings.
        sigma_lr: learning rate of sigma (0 keeps it fixed).
        max_sigma_change: the largest relative change of sigma in one generation.
        seed: the seed of the noise.
    """

    _state_keys = ("mean", "sigma", "velocity")

    def __init__(self, x0, *, maximize: bool, sigma=0.1, popsize: int = 100,
                 max_speed: float = 0.15, step_size: float | None = None,
                 momentum: float = 0.9, sigma_lr: float = 0.1, max_sigma_change: float = 0.2,
                 seed: int = 0) -> None:
        super().__init__(x0, popsize=popsize, maximize=maximize, seed=seed, even=True)
        self.mean = self._x0.copy()
        self.sigma = np.broadcast_to(check_positive("PGPE", "sigma", sigma),
                                     (self.dim,)).astype(np.float64)
        self.max_speed = check_positive("PGPE", "max_speed", max_speed)
        self.step_size = check_positive("PGPE", "step_size",
                                        step_size if step_size is not None else max_speed / 2)
        self.momentum = check_positive("PGPE", "momentum", momentum, allow_zero=True)
        self.sigma_lr = check_positive("PGPE", "sigma_lr", sigma_lr, allow_zero=True)
        self.max_sigma_change = check_positive("PGPE", "max_sigma_change", max_sigma_change)
        self.velocity = np.zeros(self.dim)

    @property
    def center(self) -> np.ndarray:
        return self.mean.copy()

    def _sample(self) -> np.ndarray:
        z = sample_normal(self.rng, self.popsize, self.dim, antithetic=True)
        return self.mean + self.sigma * z

    def _update(self, utilities, X, injected) -> None:
        K = self.popsize // 2
        eps = (X[:K] - X[K:]) / 2  # the pair's half-difference: mu +- eps
        w = centered_ranks(utilities)
        wp, wm = w[:K], w[K:]
        g_mu = (wp - wm) / 2 @ eps / K
        g_sigma = ((wp + wm) / 2 - w.mean()) @ ((eps * eps - self.sigma**2) / self.sigma) / K
        self.velocity = clipup(self.velocity, g_mu, step_size=self.step_size,
                               momentum=self.momentum, max_speed=self.max_speed)
        # a Lamarckian pair need not be symmetric: move from the pair's midpoint
        self.mean = ((X[:K] + X[K:]) / 2).mean(0) + self.velocity if injected else \
            self.mean + self.velocity
        c = self.max_sigma_change
        new = self.sigma + self.sigma_lr * g_sigma
        self.sigma = np.clip(new, self.sigma * (1 - c), self.sigma * (1 + c))
