"""Evaluate a population across processes, exchanging only fitness (Salimans et al. 2017).

Every worker process holds a replica of the strategy and the problem (forked from the
parent). In each generation all replicas take the same ``ask()`` (they share the seed and
every update), each evaluates its share of the candidates, and the fitness values (plus
any small per-candidate results of ``problem.collect()``) are gathered in candidate order
and handed to every replica's ``absorb`` and ``tell``. No parameter vector crosses a
process boundary; the run is bit-identical to one process, because every replica runs the
same arithmetic on the same numbers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback

import numpy as np

from .population import BLOCK

__all__ = ["ParallelEvaluator", "concat_collected"]


def concat_collected(parts: list[dict]) -> dict[str, np.ndarray]:
    """Per-candidate results of consecutive slices joined in candidate order."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}


def _worker(conn, strategy, problem, index) -> None:
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                return
            _, generation, told = msg
            if told is not None:
                fitness, collected = told
                problem.absorb(collected)
                strategy.tell(fitness, solutions=collected.get("solutions"))
            X = strategy.ask()[index]
            f = problem.evaluate(X, generation)
            conn.send(("ok", f, problem.collect()))
    except Exception:  # report to the parent rather than hang it
        conn.send(("error", traceback.format_exc(), None))
    finally:
        conn.close()


class ParallelEvaluator:
    """``workers`` processes (this one included) that evaluate one generation together.

    Each process takes whole blocks of ``population.BLOCK`` (16) consecutive candidates, so
    a population of P keeps at most ceil(P / 16) processes busy; more are not started.

    >>> with ParallelEvaluator(strategy, problem, workers=4) as pe:
    ...     fitness, collected = pe.evaluate(generation)   # then absorb + tell as usual

    Create it when the strategy and problem are in the state to continue from (after a
    resume); the caller must pass every generation's results to ``evaluate`` of the next
    generation through ``told`` (``evolve`` does this).
    """

    def __init__(self, strategy, problem, workers: int) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"ParallelEvaluator: workers must be an int >= 1, got {workers!r}")
        if workers > strategy.popsize:
            raise ValueError(f"ParallelEvaluator: {workers} workers for a population of "
                             f"{strategy.popsize}; use at most one per candidate")
        if "fork" not in mp.get_all_start_methods():
            raise RuntimeError("ParallelEvaluator: needs the 'fork' start method "
                               f"(not available on {os.name})")
        self.strategy, self.problem = strategy, problem
        # whole blocks of candidates per process: the batched forward rounds the same way
        # for the same block, whatever the rest of the population is
        blocks = np.array_split(np.arange(-(-strategy.popsize // BLOCK)), workers)
        self.slices = [np.arange(b[0] * BLOCK, min((b[-1] + 1) * BLOCK, strategy.popsize))
                       for b in blocks if len(b)]
        ctx = mp.get_context("fork")
        self._conns, self._procs = [], []
        for index in self.slices[1:]:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(child, strategy, problem, index), daemon=True)
            p.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(p)
        self._told = None

    def evaluate(self, generation: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The fitness of the strategy's current ``ask()`` and the problem's per-candidate
        results, gathered from all processes."""
        for c in self._conns:
            c.send(("gen", generation, self._told))
        X = self.strategy.ask()[self.slices[0]]
        fits = [self.problem.evaluate(X, generation)]
        parts = [self.problem.collect()]
        for c in self._conns:
            status, f, collected = c.recv()
            if status != "ok":
                self.close()
                raise RuntimeError(f"ParallelEvaluator: a worker failed:\n{f}")
            fits.append(f)
            parts.append(collected)
        fitness = np.concatenate(fits)
        collected = concat_collected(parts)
        self._told = (fitness, collected)
        return fitness, collected

    def close(self) -> None:
        """Stop the worker processes."""
        for c in self._conns:
            try:
                c.send(("stop",))
                c.close()
            except (BrokenPipeError, OSError):
                pass
        for p in self._procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        self._conns, self._procs = [], []

    def __enter__(self) -> ParallelEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
