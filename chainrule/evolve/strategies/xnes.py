"""xNES: exponential natural evolution strategies (Glasmachers et al. 2010)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..shaping import nes_utilities
from .base import Strategy, check_positive
from .snes import _dim, default_popsize, sample_normal

__all__ = ["XNES", "FULL_COVARIANCE_WARN_DIM"]

#: Above this many dimensions a full covariance (d x d, an O(d^3) matrix function per
#: generation) costs more than the fitness evaluations it saves: xNES and CMA-ES warn.
FULL_COVARIANCE_WARN_DIM = 2000


def _expm_sym(A: np.ndarray) -> np.ndarray:
    """exp(A) of a symmetric matrix through its eigendecomposition."""
    lam, Q = np.linalg.eigh(A)
    return (Q * np.exp(lam)) @ Q.T


class XNES(Strategy):
    """Exponential NES: a full-covariance Gaussian x = mu + sigma B z, det B = 1.

    With NES utilities w,

        G_d = sum w_i z_i,  G_M = sum w_i (z_i z_i^T - I),  G_s = tr(G_M) / d,
        G_B = G_M - G_s I,
        mu <- mu + lr_mean sigma B G_d,  sigma <- sigma exp(lr_sigma / 2 G_s),
        B <- B expm(lr_B / 2 G_B).

    Meant for small dimensions: the d x d matrix exponential costs O(d^3) per generation,
    and above ``FULL_COVARIANCE_WARN_DIM`` dimensions it warns (use SNES or PGPE).

    Args:
        x0: the start mean. maximize: True to maximise, False to minimise.
        sigma: the initial step size (> 0). popsize: default 4 + 3 ln d.
        lr_mean: 1 by default; lr_sigma, lr_B: 3 (3 + ln d) / (5 d sqrt d) by default.
        antithetic: mirrored sampling. seed: the seed of the noise.
    """

    _state_keys = ("mean", "sigma", "B")

    def __init__(self, x0, *, maximize: bool, sigma: float = 1.0, popsize: int | None = None,
                 lr_mean: float = 1.0, lr_sigma: float | None = None,
                 lr_B: float | None = None, antithetic: bool = False, seed: int = 0) -> None:
        dim, x0 = _dim(x0, "XNES")
        super().__init__(x0, popsize=popsize or default_popsize(dim), maximize=maximize,
                         seed=seed, even=antithetic)
        if self.dim > FULL_COVARIANCE_WARN_DIM:
            warnings.warn(f"XNES: {self.dim} dimensions; the full covariance costs O(d^3) "
                          f"per generation above {FULL_COVARIANCE_WARN_DIM}: prefer SNES or "
                          f"PGPE", stacklevel=2)
        d = self.dim
        default = 3 * (3 + math.log(d)) / (5 * d * math.sqrt(d))
        self.mean = self._x0.copy()
        self.sigma = check_positive("XNES", "sigma", sigma)
        self.B = np.eye(d)
        self.lr_mean = check_positive("XNES", "lr_mean", lr_mean)
        self.lr_sigma = check_positive("XNES", "lr_sigma", lr_sigma or default)
        self.lr_B = check_positive("XNES", "lr_B", lr_B or default)
        self.antithetic = bool(antithetic)

    @property
    def center(self) -> np.ndarray:
        return self.mean.copy()

    def _sample(self) -> np.ndarray:
        z = sample_normal(self.rng, self.popsize, self.dim, self.antithetic)
        return self.mean + self.sigma * z @ self.B.T

    def _update(self, utilities, X, injected) -> None:
        d = self.dim
        z = np.linalg.solve(self.B, ((X - self.mean) / self.sigma).T).T
        w = nes_utilities(utilities)
        G_d = w @ z
        G_M = (z * w[:, None]).T @ z - w.sum() * np.eye(d)
        G_s = np.trace(G_M) / d
        G_B = G_M - G_s * np.eye(d)
        self.mean = self.mean + self.lr_mean * self.sigma * self.B @ G_d
        self.sigma = self.sigma * math.exp(self.lr_sigma / 2 * G_s)
        self.B = self.B @ _expm_sym(self.lr_B / 2 * G_B)
