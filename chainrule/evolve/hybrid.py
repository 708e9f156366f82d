"""Evolution and learning together: each candidate learns by backprop before it is scored.

- ``Lamarckian(problem, steps, lr)``: the learned weights are written back into the genome
  (``collect()["solutions"]``, which ``evolve`` passes to ``strategy.tell``): acquired
  traits are inherited.
- ``Baldwinian(problem, steps, lr)``: the fitness is measured after learning, the genome is
  left as it was: evolution selects for weights that *learn* well.

Both wrap a problem with a ``gradient(x, generation)`` (``SupervisedProblem``, a
differentiable ``FunctionProblem``); learning is ``steps`` of plain gradient descent
(ascent when the problem maximises) at rate ``lr``. Guided ES, the third hybrid, is a
strategy: ``GuidedES``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .problems import Problem

__all__ = ["Baldwinian", "Lamarckian", "learn"]


def learn(problem, x, generation: int, steps: int, lr: float) -> np.ndarray:
    """``x`` after ``steps`` gradient steps of rate ``lr`` on ``problem`` (towards better
    fitness)."""
    x = np.array(x, dtype=np.float64)
    sign = 1.0 if problem.maximize else -1.0
    for _ in range(steps):
        x += sign * lr * problem.gradient(x, generation)
    return x


class _Learning(Problem):
    write_back = False

    def __init__(self, problem: Problem, steps: int = 1, lr: float = 0.01) -> None:
        name = type(self).__name__
        if not callable(getattr(problem, "gradient", None)):
            raise TypeError(f"{name}: the problem {type(problem).__name__} has no "
                            f"gradient(x, generation) to learn with")
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{name}: steps must be an int >= 0, got {steps!r}")
        if not (lr > 0 and np.isfinite(lr)):
            raise ValueError(f"{name}: lr must be finite and > 0, got {lr!r}")
        self.problem, self.steps, self.lr = problem, steps, float(lr)
        self.dim, self.maximize = problem.dim, problem.maximize
        self._learned: np.ndarray | None = None

    def evaluate(self, X, generation: int = 0) -> np.ndarray:
        X = self._check(X)
        learned = np.stack([learn(self.problem, x, generation, self.steps, self.lr)
                            for x in X])
        self._learned = learned
        return self.problem.evaluate(learned, generation)

    def gradient(self, x, generation: int = 0) -> np.ndarray:
        return self.problem.gradient(x, generation)

    def collect(self) -> dict[str, np.ndarray]:
        inner = self.problem.collect()
        if self.write_back and self._learned is not None:
            return {**inner, "solutions": self._learned}
        return inner

    def absorb(self, collected: dict[str, np.ndarray]) -> None:
        self.problem.absorb({k: v for k, v in collected.items() if k != "solutions"})

    def state_dict(self) -> dict[str, Any]:
        return self.problem.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.problem.load_state_dict(state)


class Lamarckian(_Learning):
    """Fitness after ``steps`` gradient steps per candidate; the learned weights replace
    the genome (``evolve`` tells the strategy the learned vectors)."""

    write_back = True


class Baldwinian(_Learning):
    """Fitness after ``steps`` gradient steps per candidate; the genome is unchanged."""

    write_back = False
