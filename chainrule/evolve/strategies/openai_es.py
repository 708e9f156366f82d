"""OpenAI-ES (Salimans et al. 2017): a gradient estimate that any ``cr.optim`` optimizer
applies."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import optim
from ...nn import Parameter
from ..params import ParameterVector
from ..shaping import centered_ranks
from .base import Strategy, check_positive

__all__ = ["OpenAIES"]


def es_gradient(weights: np.ndarray, eps: np.ndarray, sigma: float) -> np.ndarray:
    """The search-gradient estimate sum_i w_i eps_i / (n sigma) of the weighted noise."""
    return weights @ eps / (len(weights) * sigma)


class OpenAIES(Strategy):
    """Evolution strategy of Salimans et al. (2017), "Evolution Strategies as a Scalable
    Alternative to Reinforcement Learning".

    Candidates are ``theta + sigma * eps`` with ``eps ~ N(0, I)`` drawn in mirrored pairs
    (``antithetic``: the second half of the population is the first half's ``-eps``).
    Fitness is shaped to centred ranks, and the estimate of the fitness gradient

        g = sum_i w_i eps_i / (n sigma)

    becomes the descent direction ``grad = -g + weight_decay * theta`` (``+g`` when
    minimising), written into each parameter's ``.grad``; the optimizer (Adam at ``lr`` by
    default, or the one given, with any scheduler) then takes the step. ``tell(f,
    step=False)`` only writes ``.grad``, for a caller that steps the optimizer itself.

    Args:
        x0: a model (its trainable parameters are the search point and receive ``.grad``),
            its parameters, or a start vector.
        maximize: True to maximise fitness, False to minimise it.
        sigma: the noise standard deviation (> 0).
        popsize: candidates per generation (even when ``antithetic``).
        lr: the default Adam's learning rate (ignored when ``optimizer`` is given).
        optimizer: a ``cr.optim`` optimizer over the same parameters, or a function that
            makes one from them (``lambda ps: cr.optim.SGD(ps, lr=0.1)``; needed when
            ``x0`` is a vector, whose parameter the strategy creates).
        weight_decay: the L2 coefficient added to the gradient (0.005 in the paper).
        antithetic: mirrored sampling.
        rank_shaping: centred ranks (else the fitness standardised to mean 0, std 1).
        seed: the seed of the noise.

    >>> es = OpenAIES(model, maximize=True, sigma=0.02, popsize=100, seed=0)
    >>> sched = cr.optim.lr_scheduler.StepLR(es.optimizer, step_size=100)
    """

    _state_keys = ("sigma",)

    def __init__(self, x0, *, maximize: bool, sigma: float = 0.02, popsize: int = 100,
                 lr: float = 0.01, optimizer: optim.Optimizer | None = None,
                 weight_decay: float = 0.005, antithetic: bool = True,
                 rank_shaping: bool = True, seed: int = 0) -> None:
        super().__init__(x0, popsize=popsize, maximize=maximize, seed=seed, even=antithetic)
        self.sigma = check_positive(type(self).__name__, "sigma", sigma)
        self.weight_decay = check_positive(type(self).__name__, "weight_decay", weight_decay,
                                           allow_zero=True)
        self.antithetic = bool(antithetic)
        self.rank_shaping = bool(rank_shaping)
        if self.space is None:  # a plain vector: the search point is a float64 Parameter
            self._own = Parameter(self._x0.copy())
            self.space = ParameterVector([self._own])
        #: the trainable parameters whose ``.grad`` receives the estimate
        self.parameters = self.space.params
        if optimizer is None:
            check_positive(type(self).__name__, "lr", lr)
            optimizer = optim.Adam(self.parameters, lr=lr)
        elif callable(optimizer) and not isinstance(optimizer, optim.Optimizer):
            optimizer = optimizer(self.parameters)  # a factory: cr.optim.SGD's signature
        if not isinstance(optimizer, optim.Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a cr.optim.Optimizer "
                            f"(or a function of the parameters that makes one), got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.gradient: np.ndarray | None = None  # the last estimate (ascent of fitness)
        self._step = True

    @property
    def center(self) -> np.ndarray:
        return self.space.get()

    def _write_center(self) -> None:
        pass  # the parameters are the search point: the optimizer moved them

    def _noise(self) -> np.ndarray:
        if self.antithetic:
            half = self.rng.standard_normal((self.popsize // 2, self.dim))
            return np.concatenate([half, -half])
        return self.rng.standard_normal((self.popsize, self.dim))

    def _sample(self) -> np.ndarray:
        return self.center + self.sigma * self._noise()

    def _update(self, utilities, X, injected) -> None:
        theta = self.center
        eps = (X - theta) / self.sigma
        if self.rank_shaping:
            w = centered_ranks(utilities)
        else:
            w = (utilities - utilities.mean()) / (utilities.std() + 1e-12)
        # utilities are -fitness when minimising, so g always points to better fitness
        self.gradient = es_gradient(w, eps, self.sigma)
        grad = -self.gradient + self.weight_decay * theta
        self.space.set_grad(grad)
        if self._step:
            self.optimizer.step()

    def tell(self, fitness, solutions=None, *, step: bool = True) -> None:
        """As ``Strategy.tell``; ``step=False`` writes ``.grad`` without stepping the
        optimizer."""
        self._step = bool(step)
        try:
            super().tell(fitness, solutions)
        finally:
            self._step = True

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["center"] = self.center
        state["optimizer"] = _copy_state(self.optimizer.state_dict())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.space.set(np.asarray(_to_array(state["center"]), dtype=np.float64))
        self.optimizer.load_state_dict(state["optimizer"])


def _to_array(v):
    return v.array if hasattr(v, "array") else v


def _copy_state(obj):
    """A deep copy of an optimizer state dict (its tensors share the live buffers)."""
    if isinstance(obj, dict):
        return {k: _copy_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy_state(v) for v in obj]
    if hasattr(obj, "array"):
        return np.array(obj.array)
    return obj
