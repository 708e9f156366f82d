"""``Strategy``: the ask/tell interface every search method shares.

    strategy = SNES(model, maximize=False, sigma=0.1, seed=0)
    for generation in range(100):
        X = strategy.ask()                    # (popsize, dim) candidates
        strategy.tell(fitness_of(X))          # (popsize,) fitness values

Every strategy states whether it maximises or minimises (``maximize=`` has no default),
draws its random numbers from its own seeded NumPy generator, and saves its whole state,
random generator and pending candidates included, in ``state_dict()`` (plain numbers,
strings and arrays, so ``cr.save(strategy.state_dict(), path)`` writes it).

``x0``, where a search starts, is a vector or a model (or its parameters): given a model,
the strategy writes its current solution into the model's parameters after every ``tell``,
so the model is always the search's best guess.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from ...tensor import Tensor
from ..params import ParameterVector

__all__ = ["Strategy", "check_positive", "check_popsize"]


def check_popsize(name: str, popsize, *, even: bool = False) -> int:
    """``popsize`` as an int >= 2 (even when ``even``), or a ValueError naming ``name``."""
    if not isinstance(popsize, (int, np.integer)) or isinstance(popsize, bool):
        raise TypeError(f"{name}: popsize must be an int, got {type(popsize).__name__}")
    if popsize < 2:
        raise ValueError(f"{name}: popsize must be at least 2, got {popsize}")
    if even and popsize % 2:
        raise ValueError(f"{name}: popsize must be even for antithetic (mirrored) sampling, "
                         f"got {popsize}")
    return int(popsize)


def check_positive(name: str, arg: str, value, *, allow_zero: bool = False):
    """A positive finite number (or array of them), or a ValueError naming the argument."""
    a = np.asarray(value, dtype=np.float64)
    ok = np.all(a >= 0) if allow_zero else np.all(a > 0)
    if a.size == 0 or not ok or not np.all(np.isfinite(a)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: {arg} must be finite and {bound}, got {value!r}")
    return float(a) if a.ndim == 0 else a.copy()


def _start(name: str, x0) -> tuple[np.ndarray, ParameterVector | None]:
    """The starting vector, and the parameters to keep in step with it (or None).

    Numbers, sequences of numbers and arrays are a vector; a Module, a tensor or an
    iterable of tensors are parameters."""
    numeric = isinstance(x0, (np.ndarray, float, int, np.number)) or (
        isinstance(x0, (list, tuple)) and not any(isinstance(v, Tensor) for v in x0))
    if not numeric:
        space = ParameterVector(x0)
        return space.get(), space
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError(f"{name}: x0 is empty; nothing to search")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x0 has non-finite values")
    return x, None


class Strategy:
    """Base class: seeded sampling, fitness checks, best-so-far, state saving.

    Subclasses implement ``_sample() -> (popsize, dim)`` and ``_update(utilities, X)``,
    where ``utilities`` are the fitness values turned so that higher is better, and
    ``center`` (the current solution). ``_state_keys`` names the attributes ``state_dict``
    saves beyond the common ones.
    """

    _state_keys: tuple[str, ...] = ()

    def __init__(self, x0, *, popsize: int, maximize: bool, seed: int = 0,
                 even: bool = False) -> None:
        name = type(self).__name__
        if not isinstance(maximize, (bool, np.bool_)):
            raise TypeError(f"{name}: maximize must be True or False (state whether fitness "
                            f"is maximised or minimised), got {maximize!r}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"{name}: seed must be an int, got {type(seed).__name__}")
        self.popsize = check_popsize(name, popsize, even=even)
        self.maximize = bool(maximize)
        self.seed = int(seed)
        x, self.space = _start(name, x0)
        self.dim = x.size
        self._x0 = x
        self.rng = np.random.default_rng(self.seed)
        self.generation = 0
        self.evaluations = 0
        self.best_fitness = -math.inf if self.maximize else math.inf
        self.best_solution: np.ndarray | None = None
        self._asked: np.ndarray | None = None

    # -- what subclasses provide --------------------------------------------------------

    @property
    def center(self) -> np.ndarray:
        """The current solution (the distribution's mean; a GA's best individual)."""
        raise NotImplementedError

    def _sample(self) -> np.ndarray:
        raise NotImplementedError

    def _update(self, utilities: np.ndarray, X: np.ndarray, injected: bool) -> None:
        raise NotImplementedError

    # -- ask and tell -------------------------------------------------------------------

    def ask(self) -> np.ndarray:
        """This generation's candidates, ``(popsize, dim)`` float64 (the same array again
        until ``tell``)."""
        if self._asked is None:
            self._asked = np.asarray(self._sample(), dtype=np.float64)
        return self._asked.copy()

    def tell(self, fitness, solutions=None) -> None:
        """Update the search with the fitness of the candidates ``ask`` gave.

        Args:
            fitness: ``(popsize,)`` finite numbers, in the order of ``ask``'s rows.
            solutions: the candidates actually evaluated, when they differ from ``ask``'s
                (Lamarckian learning writes the learned weights back this way).
        """
        name = type(self).__name__
        if self._asked is None:
            raise RuntimeError(f"{name}.tell: call ask() first (tell answers the candidates "
                               f"ask gave)")
        f = np.asarray(fitness.array if isinstance(fitness, Tensor) else fitness,
                       dtype=np.float64).reshape(-1)
        if f.shape != (self.popsize,):
            raise ValueError(f"{name}.tell: expected {self.popsize} fitness values, got "
                             f"shape {np.shape(fitness)}")
        bad = np.flatnonzero(~np.isfinite(f))
        if bad.size:
            raise ValueError(f"{name}.tell: fitness must be finite; candidates "
                             f"{bad[:10].tolist()} have {f[bad[:10]].tolist()}")
        X = self._asked
        injected = solutions is not None
        if injected:
            X = np.asarray(solutions, dtype=np.float64)
            if X.shape != self._asked.shape:
                raise ValueError(f"{name}.tell: solutions must have shape "
                                 f"{self._asked.shape}, got {X.shape}")
        i = int(np.argmax(f) if self.maximize else np.argmin(f))
        if (f[i] > self.best_fitness) if self.maximize else (f[i] < self.best_fitness):
            self.best_fitness = float(f[i])
            self.best_solution = X[i].copy()
        u = f if self.maximize else -f
        self._update(u, X, injected)
        self._asked = None
        self.generation += 1
        self.evaluations += self.popsize
        if self.space is not None:
            self._write_center()

    def _write_center(self) -> None:
        self.space.set(self.center)

    # -- saving -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The whole state as numbers, strings, lists and arrays (``cr.save`` writes it)."""
        state = {
            "strategy": type(self).__name__,
            "dim": self.dim,
            "popsize": self.popsize,
            "maximize": self.maximize,
            "seed": self.seed,
            "generation": self.generation,
            "evaluations": self.evaluations,
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "best_fitness": self.best_fitness,
            "best_solution": None if self.best_solution is None else self.best_solution.copy(),
            "asked": None if self._asked is None else self._asked.copy(),
            "x0": self._x0.copy(),
        }
        for k in self._state_keys:
            v = getattr(self, k)
            state[k] = v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a ``state_dict()`` of the same strategy and dimension."""
        name = type(self).__name__
        if state.get("strategy") != name:
            raise ValueError(f"{name}.load_state_dict: the state is of "
                             f"{state.get('strategy')!r}, not {name}")
        for k in ("dim", "popsize", "maximize"):
            if state[k] != getattr(self, k):
                raise ValueError(f"{name}.load_state_dict: the state has {k}={state[k]!r}, "
                                 f"this strategy {getattr(self, k)!r}")
        self.seed = int(state["seed"])
        self.generation = int(state["generation"])
        self.evaluations = int(state["evaluations"])
        self.rng.bit_generator.state = _plain(state["rng"])
        self.best_fitness = float(state["best_fitness"])
        self.best_solution = _array(state["best_solution"])
        self._asked = _array(state["asked"])
        self._x0 = _array(state["x0"])
        for k in self._state_keys:
            v = state[k]
            setattr(self, k, _array(v) if isinstance(v, (np.ndarray, Tensor)) else
                    copy.deepcopy(v))
        if self.space is not None:
            self._write_center()

    def __repr__(self) -> str:
        goal = "maximize" if self.maximize else "minimize"
        return (f"{type(self).__name__}(dim={self.dim}, popsize={self.popsize}, {goal}, "
                f"generation={self.generation})")


def _array(v):
    if v is None:
        return None
    return np.array(v.array if isinstance(v, Tensor) else v, dtype=np.float64)


def _plain(v):
    """A bit-generator state back from a loaded checkpoint (tuples may come back as
    lists, NumPy scalars as ints)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    return v
