"""CMA-ES through the ``cma`` package (pycma, N. Hansen): the reference implementation,
not a copy."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np

from ..._optional import require
from .base import Strategy, check_positive
from .xnes import FULL_COVARIANCE_WARN_DIM

__all__ = ["CMAES"]


class CMAES(Strategy):
    """Covariance matrix adaptation evolution strategy (Hansen & Ostermeier 2001), by
    ``cma.CMAEvolutionStrategy``.

    Args:
        x0: the start mean (a vector, or a model whose parameters follow the mean).
        maximize: True to maximise fitness, False to minimise it (pycma minimises; the
            sign is handled here).
        sigma: the initial step size sigma0 (> 0).
        popsize: default pycma's 4 + 3 ln d.
        options: more pycma options (``{"CMA_diagonal": True}`` for large d, bounds...).
        seed: the seed of pycma's sampling, from a ``RandomState`` of its own (handed to
            pycma as its ``randn`` option), so NumPy's global generator is left alone.

    A full covariance is d x d with an O(d^3) eigendecomposition: above
    ``FULL_COVARIANCE_WARN_DIM`` dimensions it warns (pass ``CMA_diagonal``, or use SNES).
    The state dict holds pycma's object pickled into a uint8 array: load only states you
    wrote.
    """

    def __init__(self, x0, *, maximize: bool, sigma: float = 0.5, popsize: int | None = None,
                 options: dict | None = None, seed: int = 0) -> None:
        cma = require("cma", extra="evolve", feature="chainrule.evolve.CMAES")
        from .snes import _dim

        dim, x0 = _dim(x0, "CMAES")
        popsize = popsize if popsize is not None else 4 + int(3 * np.log(dim))
        super().__init__(x0, popsize=popsize, maximize=maximize, seed=seed)
        self.sigma0 = check_positive("CMAES", "sigma", sigma)
        # pycma samples with options["randn"]: give it a generator of its own (pickled with
        # it, so a restored run continues the same numbers)
        self._random = np.random.RandomState(self.seed)
        opts = {"popsize": self.popsize, "seed": self.seed + 1, "verbose": -9,
                "randn": self._random.randn,
                "verb_log": 0, "verb_disp": 0, "tolfun": 0, "tolx": 0,
                "tolfunhist": 0, "tolstagnation": np.inf, "tolflatfitness": np.inf}
        opts.update(options or {})
        if self.dim > FULL_COVARIANCE_WARN_DIM and not opts.get("CMA_diagonal"):
            warnings.warn(f"CMAES: {self.dim} dimensions; the full covariance ({self.dim}^2 "
                          f"numbers, O(d^3) updates) is impractical above "
                          f"{FULL_COVARIANCE_WARN_DIM}: pass options={{'CMA_diagonal': "
                          f"True}} or use SNES/PGPE", stacklevel=2)
        # pycma seeds NumPy's global generator with options["seed"]; keep that apart
        outside = np.random.get_state()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pycma's notes on options, not the user's
                self.es = cma.CMAEvolutionStrategy(self._x0, self.sigma0, opts)
        finally:
            np.random.set_state(outside)

    @property
    def center(self) -> np.ndarray:
        return np.array(self.es.mean, dtype=np.float64)

    @property
    def sigma(self) -> float:
        """pycma's current overall step size."""
        return float(self.es.sigma)

    def _sample(self) -> np.ndarray:
        return np.array(self.es.ask(), dtype=np.float64)

    def _update(self, utilities, X, injected) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # pycma minimises a cost; its own ask() list is passed back when not injected
            self.es.tell(list(X), (-utilities).tolist())

    def stop(self) -> dict:
        """pycma's termination conditions that hold now (``{}`` while running)."""
        return dict(self.es.stop())

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        blob = pickle.dumps(self.es, protocol=pickle.HIGHEST_PROTOCOL)
        state["pycma"] = np.frombuffer(blob, dtype=np.uint8).copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        blob = state["pycma"]
        blob = np.asarray(blob.array if hasattr(blob, "array") else blob, dtype=np.uint8)
        self.es = pickle.loads(blob.tobytes())
        super().load_state_dict(state)
