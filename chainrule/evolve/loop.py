"""``evolve``: the generation loop, with progress lines, history and checkpoints."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..io import load, save
from .parallel import ParallelEvaluator
from .strategies import GuidedES

__all__ = ["EvolutionHistory", "evolve"]


class EvolutionHistory:
    """Per-generation logs of a run: ``history["best"]`` (this generation's best fitness),
    ``"mean"``, ``"best_so_far"``, ``"evaluations"``, ``"seconds"``; ``generation`` lists
    the generation numbers (from 1)."""

    def __init__(self) -> None:
        self.generation: list[int] = []
        self.history: dict[str, list[float]] = {}

    def append(self, generation: int, logs: dict[str, float]) -> None:
        self.generation.append(generation)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.generation)

    def state_dict(self) -> dict[str, Any]:
        return {"generation": list(self.generation),
                "history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generation = [int(g) for g in state["generation"]]
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}

    def plot(self, path: str | os.PathLike, keys: tuple[str, ...] = ("best", "mean")) -> Path:
        """Fitness against evaluations, saved to ``path`` (needs matplotlib)."""
        from .._optional import require

        require("matplotlib", extra="train", feature="EvolutionHistory.plot")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for k in keys:
            ax.plot(self.history["evaluations"], self.history[k], label=k)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("fitness")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        return Path(path)

    def __repr__(self) -> str:
        return f"EvolutionHistory(generations={len(self)}, keys={list(self.history)})"


def save_checkpoint(path, strategy, problem, history: EvolutionHistory) -> None:
    """Write the strategy's, the problem's and the history's state to ``path``."""
    save({"strategy": strategy.state_dict(), "problem": problem.state_dict(),
          "history": history.state_dict()}, path)


def load_checkpoint(path, strategy, problem, history: EvolutionHistory) -> None:
    """Restore what ``save_checkpoint`` wrote into existing objects."""
    state = load(path)
    if not isinstance(state, dict) or "strategy" not in state:
        raise ValueError(f"evolve: {path} is not an evolve checkpoint (no 'strategy' entry)")
    strategy.load_state_dict(state["strategy"])
    problem.load_state_dict(state["problem"])
    history.load_state_dict(state["history"])


def _reached(value: float, target: float | None, maximize: bool) -> bool:
    if target is None:
        return False
    return value >= target if maximize else value <= target


def evolve(strategy, problem, generations: int, *, workers: int = 1, verbose: int = 1,
           print_every: int | None = None, checkpoint: str | os.PathLike | None = None,
           checkpoint_every: int = 10, resume: str | os.PathLike | None = None,
           target: float | None = None, max_evaluations: int | None = None,
           callback: Callable[[int, dict], bool | None] | None = None,
           file: TextIO | None = None) -> EvolutionHistory:
    """Run ``strategy`` on ``problem`` for ``generations`` generations (the ``fit`` of
    gradient-free training).

    Each generation: ``X = strategy.ask()``, ``f = problem.evaluate(X, g)``, the problem
    absorbs its per-candidate results, and ``strategy.tell(f)`` (with the learned vectors
    when a Lamarckian problem wrote them back). A ``GuidedES`` without a surrogate gets
    the problem's backprop gradient.

    Args:
        strategy: a ``Strategy``; its ``maximize`` must match the problem's.
        problem: a ``Problem``.
        generations: how many generations to run in all (a resumed run counts the ones
            already done).
        workers: processes that evaluate each generation (1: this one only).
        verbose: 0 silent, 1 a progress line every ``print_every`` generations (default:
            about 10 lines a run) and at the end.
        checkpoint: a path to save the run to every ``checkpoint_every`` generations and at
            the end; ``resume``: a path to continue from.
        target: stop when the best fitness so far reaches it; ``max_evaluations``: stop
            when this many candidates were evaluated.
        callback: ``callback(generation, logs)`` after each generation; True stops.

    Returns:
        an ``EvolutionHistory``.

    >>> history = evolve(OpenAIES(model, maximize=False), SupervisedProblem(...), 200)
    """
    if not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"evolve: workers must be an int >= 1, got {workers!r}")
    if not isinstance(generations, (int, np.integer)) or generations < 0:
        raise ValueError(f"evolve: generations must be an int >= 0, got {generations!r}")
    if strategy.maximize != problem.maximize:
        goal = "maximises" if problem.maximize else "minimises"
        raise ValueError(f"evolve: the problem {goal} its fitness but the strategy has "
                         f"maximize={strategy.maximize}")
    if strategy.dim != problem.dim:
        raise ValueError(f"evolve: the strategy searches {strategy.dim} dimensions, the "
                         f"problem has {problem.dim}")
    out = file if file is not None else sys.stdout
    history = EvolutionHistory()
    if resume is not None:
        load_checkpoint(resume, strategy, problem, history)
    if isinstance(strategy, GuidedES) and strategy.surrogate is None:
        if not callable(getattr(problem, "gradient", None)):
            raise ValueError("evolve: GuidedES needs a surrogate gradient and the problem has "
                             "no gradient(x, generation)")
        strategy.surrogate = lambda x: problem.gradient(x, strategy.generation)
    every = print_every or max(1, generations // 10)
    pool = ParallelEvaluator(strategy, problem, workers) if workers > 1 else None
    start = time.perf_counter() - (history["seconds"][-1] if len(history) else 0.0)
    try:
        while strategy.generation < generations:
            g = strategy.generation
            if pool is not None:
                f, collected = pool.evaluate(g)
            else:
                f = problem.evaluate(strategy.ask(), g)
                collected = problem.collect()
            problem.absorb(collected)
            strategy.tell(f, solutions=collected.get("solutions"))
            f = np.asarray(f)
            logs = {"best": f.max() if strategy.maximize else f.min(), "mean": f.mean(),
                    "best_so_far": strategy.best_fitness,
                    "evaluations": strategy.evaluations,
                    "seconds": time.perf_counter() - start}
            history.append(strategy.generation, logs)
            done = _reached(strategy.best_fitness, target, strategy.maximize) or (
                max_evaluations is not None and strategy.evaluations >= max_evaluations)
            if callback is not None and callback(strategy.generation, logs):
                done = True
            last = done or strategy.generation >= generations
            if verbose and (strategy.generation % every == 0 or last):
                rate = strategy.generation / max(logs["seconds"], 1e-9)
                print(f"generation {strategy.generation}/{generations} - evaluations "
                      f"{strategy.evaluations} - best {logs['best']:.6g} - mean "
                      f"{logs['mean']:.6g} - best so far {strategy.best_fitness:.6g} - "
                      f"{rate:.3g} gen/s", file=out, flush=True)
            if checkpoint is not None and (strategy.generation % checkpoint_every == 0
                                           or last):
                save_checkpoint(checkpoint, strategy, problem, history)
            if done:
                break
    finally:
        if pool is not None:
            pool.close()
    return history


