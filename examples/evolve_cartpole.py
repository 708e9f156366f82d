"""Neuroevolution on gymnasium's classic control: a 4-16-2 tanh policy for CartPole-v1.

For each method and seed the run stops when solved: the search's current solution (the
CMA-ES or ES mean, the GA's elite, random search's best) averages at least the threshold
over 10 fresh episodes (seeds never used in training). It is checked whenever a candidate
of the generation reaches the threshold; the count of training episodes at that moment is
the cost. Checking episodes are not counted.

    python examples/evolve_cartpole.py                          # CartPole-v1, 10 seeds
    python examples/evolve_cartpole.py --env Acrobot-v1 --threshold -100 --budget 5000
    python examples/evolve_cartpole.py --methods cma --seeds 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.evolve import (
    CMAES,
    GeneticAlgorithm,
    GymProblem,
    OpenAIES,
    RandomSearch,
    evolve,
)

METHODS = ("cma", "openai-es", "ga", "random")


def policy(obs_size: int, n_actions: int, hidden: int = 16, seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(obs_size, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))


def make_strategy(method: str, model: nn.Module, seed: int):
    """The settings used for the README table (maximising the return)."""
    if method == "cma":
        return CMAES(model, maximize=True, sigma=0.5, seed=seed)
    if method == "openai-es":
        return OpenAIES(model, maximize=True, sigma=0.1, popsize=20, lr=0.05, seed=seed)
    if method == "ga":
        return GeneticAlgorithm(model, maximize=True, sigma=0.1, popsize=20, truncation=5,
                                seed=seed)
    if method == "random":
        return RandomSearch(model, maximize=True, sigma=1.0, popsize=20, seed=seed)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def solve(env_id: str, method: str, seed: int, budget: int, threshold: float,
          hidden: int = 16, obs_norm: bool = False) -> dict:
    """One run: episodes used when solved (None if not within ``budget``), and seconds."""
    import gymnasium

    env = gymnasium.make(env_id)
    model = policy(int(np.prod(env.observation_space.shape)), int(env.action_space.n),
                   hidden, seed)
    problem = GymProblem(env_id, model, seed=seed, obs_norm=obs_norm)
    strategy = make_strategy(method, model, seed)
    result = {"episodes": None, "fresh": None}

    def check(generation, logs):
        if logs["best"] >= threshold:
            fresh = problem.rollout(strategy.center, episodes=10, seed=10**6 + 1000 * seed)
            if fresh.mean() >= threshold:
                result.update(episodes=strategy.evaluations, fresh=float(fresh.mean()))
                return True
        return None

    start = time.perf_counter()
    evolve(strategy, problem, budget // strategy.popsize, verbose=0, callback=check)
    result["seconds"] = time.perf_counter() - start
    return result


def main(env_id: str = "CartPole-v1", methods=METHODS, seeds: int = 10, budget: int = 2000,
         threshold: float = 475.0, hidden: int = 16) -> dict:
    table = {}
    print(f"{env_id}: {hidden}-unit tanh policy, solved = mean >= {threshold:g} over 10 fresh "
          f"episodes, budget {budget} episodes")
    for method in methods:
        runs = [solve(env_id, method, s, budget, threshold, hidden) for s in range(seeds)]
        used = [r["episodes"] for r in runs if r["episodes"] is not None]
        table[method] = runs
        median = f"{int(np.median(used))}" if used else "-"
        print(f"{method:>10}: solved {len(used)}/{seeds}, median episodes {median}, "
              f"episodes {[r['episodes'] for r in runs]}, "
              f"{sum(r['seconds'] for r in runs):.0f} s", flush=True)
    return table


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="CartPole-v1")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=2000, help="training episodes per run")
    ap.add_argument("--threshold", type=float, default=475.0)
    ap.add_argument("--hidden", type=int, default=16)
    a = ap.parse_args()
    main(a.env, a.methods, a.seeds, a.budget, a.threshold, a.hidden)
