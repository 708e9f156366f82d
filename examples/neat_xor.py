"""NEAT on XOR with the paper's settings (Stanley & Miikkulainen 2002, section 4.1).

Population 150, the paper's parameters, fitness (4 - Σ|error|)², solved when all four
patterns are classified correctly (outputs rounded at 0.5). Prints solved runs, mean
generations and evaluations with their standard deviations (paper: 32 generations,
4,755 ± 2,553 evaluations, 0 of 100 runs failing).

    python examples/neat_xor.py --runs 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from chainrule.evolve.neat import (
    NEATConfig,
    Population,
    draw_genome,
    xor_fitness,
    xor_solved,
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--generations", type=int, default=500,
                        help="give up on a run after this many generations")
    parser.add_argument("--seed", type=int, default=0, help="run i uses seed + i")
    parser.add_argument("--draw", default=None, help="draw the last winner (.svg/.png/.txt)")
    args = parser.parse_args(argv)
    cfg = NEATConfig(num_inputs=2, num_outputs=1)
    solved, gens, evals, hidden, conns = 0, [], [], [], []
    start = time.perf_counter()
    best = None
    for i in range(args.runs):
        pop = Population(cfg, seed=args.seed + i)
        best = pop.run(lambda gs: xor_fitness(gs, cfg), args.generations,
                       solved=lambda g: xor_solved(g, cfg))
        if pop.solved:
            solved += 1
            gens.append(len(pop.history))
            evals.append(pop.evaluations)
            h, c = best.size()
            hidden.append(h)
            conns.append(c)
    wall = time.perf_counter() - start
    result = {"runs": args.runs, "solved": solved,
              "generations": (float(np.mean(gens)), float(np.std(gens))) if gens else None,
              "evaluations": (float(np.mean(evals)), float(np.std(evals))) if evals else None,
              "hidden": float(np.mean(hidden)) if hidden else None,
              "connections": float(np.mean(conns)) if conns else None,
              "seconds": wall}
    print(f"XOR, population {cfg.population_size}: solved {solved} of {args.runs} runs")
    if gens:
        print(f"  generations {np.mean(gens):.1f} ± {np.std(gens):.1f} (median "
              f"{np.median(gens):.0f}), evaluations {np.mean(evals):,.0f} ± "
              f"{np.std(evals):,.0f} (median {np.median(evals):,.0f})")
        print(f"  winners: {np.mean(hidden):.2f} hidden nodes, {np.mean(conns):.2f} enabled "
              f"connections on average")
    print(f"  {wall:.1f} s in all ({wall / max(args.runs, 1):.2f} s per run)")
    if args.draw and best is not None:
        print("drew", draw_genome(best, args.draw, cfg))
    return result


if __name__ == "__main__":
    main()
