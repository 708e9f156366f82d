"""A hybrid beating both parents: Lamarckian evolution (GA + gradient descent) on
Rastrigin's function, a loss with a local minimum in every unit cell around the global
one at 0.

- GA alone: truncation selection and Gaussian mutation, population 20, 40 generations;
- gradient descent alone: from the same start, as many gradient steps as the hybrid
  takes in all (40 x 20 x 5);
- Lamarckian: the same GA, each candidate takes 5 gradient steps before it is scored and
  the learned weights replace its genome.

    python examples/evolve_hybrid.py --dim 6 --seeds 5
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule.evolve import FunctionProblem, GeneticAlgorithm, Lamarckian, evolve, learn


def rastrigin(X):
    """10 d + sum(x^2 - 10 cos(2 pi x)): written for arrays and Tensors (differentiable)."""
    cos = cr.cos if isinstance(X, cr.Tensor) else np.cos
    return 10 * X.shape[1] + (X * X - 10 * cos(2 * np.pi * X)).sum(1)


def main(dim: int = 6, seeds: int = 5, generations: int = 40, popsize: int = 20,
         steps: int = 5, lr: float = 0.002) -> dict:
    problem = FunctionProblem(rastrigin, dim=dim, maximize=False)
    x0 = np.full(dim, 2.6)
    rows = {"GA": [], "gradient descent": [], "Lamarckian GA + descent": []}
    for seed in range(seeds):
        ga = GeneticAlgorithm(x0, maximize=False, sigma=0.3, popsize=popsize, seed=seed)
        evolve(ga, problem, generations, verbose=0)
        hybrid = GeneticAlgorithm(x0, maximize=False, sigma=0.3, popsize=popsize, seed=seed)
        evolve(hybrid, Lamarckian(problem, steps=steps, lr=lr), generations, verbose=0)
        x = learn(problem, x0, 0, steps=generations * popsize * steps, lr=lr)
        rows["GA"].append(ga.best_fitness)
        rows["gradient descent"].append(float(problem.evaluate(x[None])[0]))
        rows["Lamarckian GA + descent"].append(hybrid.best_fitness)
    print(f"Rastrigin {dim}-D from x0 = 2.6, best loss over {seeds} seeds "
          f"(global minimum 0):")
    for name, v in rows.items():
        print(f"{name:>24}: median {np.median(v):.3f}, worst {max(v):.3f}")
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    main(a.dim, a.seeds)
