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


def run(args, seed: int, env, verbose: bool = True) -> tuple[dict, object, NEATConfig]:
    """One NEAT run from ``seed``: (result, best genome, config)."""
    cfg = NEATConfig(num_inputs=4, num_outputs=1, population_size=args.population)
    pop = Population(cfg, seed=seed)
    seeds = np.random.default_rng(seed)
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
        if verbose:
            print(f"  generation {pop.generation}: champion tested on 100 episodes: mean "
                  f"{test['mean']:.1f}")
        return test["mean"] >= SOLVED

    def report(p):
        if verbose:
            h = p.history[-1]
            print(f"generation {p.generation}: best {h.best_fitness:.0f}, mean "
                  f"{h.mean_fitness:.1f}, {len(p.species)} species")

    best = pop.run(fitness, args.generations, solved=solved, callback=report)
    wall = time.perf_counter() - start
    h, c = best.size()
    print(f"CartPole-v1, seed {seed}: {'solved' if pop.solved else 'not solved'} after "
          f"{len(pop.history)} generations, {pop.evaluations:,} genome evaluations "
          f"({episodes:,} episodes), {wall:.0f} s; winner {h} hidden nodes, {c} connections, "
          f"100-episode mean {test.get('mean', float('nan')):.1f}")
    return ({"solved": pop.solved, "generations": len(pop.history),
             "evaluations": pop.evaluations, "episodes": episodes, "seconds": wall,
             "test_mean": test.get("mean")}, best, cfg)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="run i uses seed + i")
    parser.add_argument("--population", type=int, default=150)
    parser.add_argument("--generations", type=int, default=50)
    parser.add_argument("--episodes", type=int, default=2, help="episodes per fitness")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draw", default=None, help="draw the last winner (.svg/.png/.txt)")
    parser.add_argument("--save", default=None, help="save the last winner's state_dict "
                        "(.safetensors) beside its genome (.json)")
    args = parser.parse_args(argv)
    gym = require("gymnasium", extra="evolve", feature="examples/neat_cartpole.py")
    env = gym.make("CartPole-v1")
    results = []
    for i in range(args.runs):
        result, best, cfg = run(args, args.seed + i, env, verbose=args.runs == 1)
        results.append(result)
    ok = [r for r in results if r["solved"]]
    summary = {"runs": results, "solved": len(ok),
               "evaluations": (float(np.mean([r["evaluations"] for r in ok])),
                               float(np.std([r["evaluations"] for r in ok]))) if ok else None,
               "episodes": float(np.mean([r["episodes"] for r in ok])) if ok else None}
    if ok:
        print(f"CartPole-v1: solved {len(ok)} of {args.runs} runs; genome evaluations "
              f"{summary['evaluations'][0]:,.0f} ± {summary['evaluations'][1]:,.0f}, "
              f"episodes {summary['episodes']:,.0f} on average (the 100-episode tests "
              f"included)")
    if args.draw:
        draw_genome(best, args.draw, cfg)
    if args.save:
        from chainrule.io import save

        save(GenomeModule(best, cfg).state_dict(), args.save)
        with open(args.save.rsplit(".", 1)[0] + ".json", "w") as f:
            f.write(best.to_json())
    return summary


if __name__ == "__main__":
    main()
