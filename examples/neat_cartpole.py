"""NEAT on CartPole-v1 (gymnasium): evolve a network that balances the pole.

Fitness is the mean return over ``--episodes`` episodes (seeds change every generation so
that a genome cannot memorise a start). When a generation's champion reaches 475 it is
tested on 100 fresh episodes: CartPole-v1 counts as solved at a mean return of 475 or more.
One output, push right when it is above 0.5.

    python examples/neat_cartpole.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from chainrule._optional import require
from chainrule.evolve.neat import GenomeModule, NEATConfig, Population, draw_genome

SOLVED = 475.0


def episode_returns(net, env, seeds) -> list[float]:
    """Returns of ``net`` (observations (1, 4) -> (1, 1)) on one episode per seed."""
    out = []
    for s in seeds:
        obs, _ = env.reset(seed=int(s))
        total, done = 0.0, False
        while not done:
            action = int(net(obs[None, :])[0, 0] > 0.5)
            obs, r, term, trunc, _ = env.step(action)
            total += r
            done = term or trunc
        out.append(total)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=150)
    parser.add_argument("--generations", type=int, default=50)
    parser.add_argument("--episodes", type=int, default=2, help="episodes per fitness")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draw", default=None, help="draw the winner (.svg/.png/.txt)")
    parser.add_argument("--save", default=None, help="save the winner's state_dict "
                        "(.safetensors) beside its genome (.json)")
    args = parser.parse_args(argv)
    gym = require("gymnasium", extra="evolve", feature="examples/neat_cartpole.py")
    env = gym.make("CartPole-v1")
    cfg = NEATConfig(num_inputs=4, num_outputs=1, population_size=args.population)
    pop = Population(cfg, seed=args.seed)
    seeds = np.random.default_rng(args.seed)
    episodes = 0
    start = time.perf_counter()

    def fitness(genomes):
        nonlocal episodes
        s = seeds.integers(2**31, size=args.episodes)
        episodes += len(genomes) * args.episodes
        return [np.mean(episode_returns(g.network(cfg), env, s)) for g in genomes]

    test = {}

    def solved(champ):
        if champ.fitness < SOLVED:
            return False
        nonlocal episodes
        returns = episode_returns(champ.network(cfg), env, seeds.integers(2**31, size=100))
        episodes += 100
        test["mean"] = float(np.mean(returns))
        print(f"  generation {pop.generation}: champion tested on 100 episodes: mean "
              f"{test['mean']:.1f}")
        return test["mean"] >= SOLVED

    best = pop.run(fitness, args.generations, solved=solved,
                   callback=lambda p: print(f"generation {p.generation}: best "
                                            f"{p.history[-1].best_fitness:.0f}, mean "
                                            f"{p.history[-1].mean_fitness:.1f}, "
                                            f"{len(p.species)} species"))
    wall = time.perf_counter() - start
    h, c = best.size()
    print(f"CartPole-v1: {'solved' if pop.solved else 'not solved'} after {len(pop.history)} "
          f"generations, {pop.evaluations:,} genome evaluations ({episodes:,} episodes), "
          f"{wall:.0f} s; winner {h} hidden nodes, {c} connections, 100-episode mean "
          f"{test.get('mean', float('nan')):.1f}")
    if args.draw:
        draw_genome(best, args.draw, cfg)
    if args.save:
        from chainrule.io import save

        save(GenomeModule(best, cfg).state_dict(), args.save)
        with open(args.save.rsplit(".", 1)[0] + ".json", "w") as f:
            f.write(best.to_json())
    return {"solved": pop.solved, "generations": len(pop.history),
            "evaluations": pop.evaluations, "episodes": episodes, "seconds": wall,
            "test_mean": test.get("mean")}


if __name__ == "__main__":
    main()
