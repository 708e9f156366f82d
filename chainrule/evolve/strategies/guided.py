"""Guided ES (Maheswaranathan et al. 2019): search a subspace that holds the backprop
gradient."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import check_positive
from .openai_es import OpenAIES

__all__ = ["GuidedES"]


class GuidedES(OpenAIES):
    """OpenAI-ES whose noise leans towards the span of recent surrogate gradients.

    With ``U`` (d x k) an orthonormal basis of the last ``k`` surrogate gradients (the
    model's backprop gradient, for instance), each direction is

        eps = sqrt(alpha) z + sqrt((1 - alpha) d / k) U z',   z ~ N(0, I_d), z' ~ N(0, I_k)

    (so E[eps eps^T] = alpha I + (1 - alpha) d / k U U^T keeps the trace d of plain ES).
    ``alpha = 1`` is OpenAI-ES; small ``alpha`` trusts the surrogate. The update is still
    built from *fitness* differences along the sampled directions, so a biased or noisy
    surrogate only steers where the search looks, not what it measures.

    Args:
        x0, maximize, sigma, popsize, lr, optimizer, weight_decay, rank_shaping, seed: as
            ``OpenAIES`` (sampling is always antithetic).
        surrogate: ``surrogate(x) -> (d,)`` a gradient at the search point ``x``
            (``evolve()`` fills it from the problem's backprop gradient when None).
        alpha: the weight of the full space (0 < alpha <= 1).
        k: how many recent surrogate gradients span the subspace.
    """

    _state_keys = ("sigma", "history")

    def __init__(self, x0, *, maximize: bool, surrogate: Callable | None = None,
                 alpha: float = 0.5, k: int = 1, sigma: float = 0.02, popsize: int = 100,
                 lr: float = 0.01, optimizer=None, weight_decay: float = 0.0,
                 rank_shaping: bool = True, seed: int = 0) -> None:
        super().__init__(x0, maximize=maximize, sigma=sigma, popsize=popsize, lr=lr,
                         optimizer=optimizer, weight_decay=weight_decay, antithetic=True,
                         rank_shaping=rank_shaping, seed=seed)
        alpha = check_positive("GuidedES", "alpha", alpha)
        if alpha > 1:
            raise ValueError(f"GuidedES: alpha must be in (0, 1], got {alpha}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"GuidedES: k must be an int >= 1, got {k!r}")
        self.alpha, self.k = alpha, k
        self.surrogate = surrogate
        self.history = np.zeros((0, self.dim))  # the last k surrogate gradients, as rows

    def _noise(self) -> np.ndarray:
        if self.surrogate is None:
            raise RuntimeError("GuidedES.ask: no surrogate gradient; pass surrogate= or run "
                               "it through evolve() with a problem that has a gradient")
        g = np.asarray(self.surrogate(self.center), dtype=np.float64).reshape(-1)
        if g.shape != (self.dim,):
            raise ValueError(f"GuidedES: the surrogate returned shape {g.shape}, expected "
                             f"({self.dim},)")
        self.history = np.concatenate([self.history, g[None]])[-self.k:]
        half = self.popsize // 2
        z = self.rng.standard_normal((half, self.dim))
        eps = np.sqrt(self.alpha) * z
        if self.alpha < 1 and np.any(self.history):
            U, _ = np.linalg.qr(self.history.T)  # (d, k') orthonormal
            zk = self.rng.standard_normal((half, U.shape[1]))
            eps += np.sqrt((1 - self.alpha) * self.dim / U.shape[1]) * zk @ U.T
        return np.concatenate([eps, -eps])

