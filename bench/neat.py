"""NEAT on XOR: chainrule.evolve.neat against neat-python, side by side on one machine.

Both run population 150 under the paper's criterion (all four XOR patterns classified
correctly, outputs rounded at 0.5), each framework in its own process, alternating runs.
Reported per framework: generations per second (wall-clock, evaluation and reproduction
together), solved runs, and mean generations and evaluations to a solution.

    python bench/neat.py --runs 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# This file is named neat.py: take its folder off the path, or it would shadow neat-python.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, ROOT)

XOR_X = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_Y = [0.0, 1.0, 1.0, 0.0]

# neat-python's own XOR example configuration (examples/xor/config-feedforward), with the
# paper's population; termination is ours (the paper's criterion), not a fitness threshold.
NEAT_PYTHON_CONFIG = """
[NEAT]
fitness_criterion     = max
fitness_threshold     = 100.0
pop_size              = 150
reset_on_extinction   = True
no_fitness_termination = True

[DefaultGenome]
activation_default      = sigmoid
activation_mutate_rate  = 0.0
activation_options      = sigmoid
aggregation_default     = sum
aggregation_mutate_rate = 0.0
aggregation_options     = sum
bias_init_mean          = 0.0
bias_init_stdev         = 1.0
bias_max_value          = 30.0
bias_min_value          = -30.0
bias_mutate_power       = 0.5
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.5
conn_delete_prob        = 0.5
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = True
initial_connection      = full
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = 0
num_inputs              = 2
num_outputs             = 1
response_init_mean      = 1.0
response_init_stdev     = 0.0
response_max_value      = 30.0
response_min_value      = -30.0
response_mutate_power   = 0.0
response_mutate_rate    = 0.0
response_replace_rate   = 0.0
weight_init_mean        = 0.0
weight_init_stdev       = 1.0
weight_max_value        = 30
weight_min_value        = -30
weight_mutate_power     = 0.5
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
"""


class _Solved(Exception):
    pass


def run_neat_python(seed: int, generations: int) -> dict:
    import random

    import neat

    random.seed(seed)
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(NEAT_PYTHON_CONFIG)
    try:
        config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
                             neat.DefaultSpeciesSet, neat.DefaultStagnation, f.name)
    finally:
        os.unlink(f.name)
    pop = neat.Population(config)
    state = {"generations": 0, "evaluations": 0}

    def fitness(genomes, config):
        solved = False
        for _, g in genomes:
            net = neat.nn.FeedForwardNetwork.create(g, config)
            out = [net.activate(x)[0] for x in XOR_X]
            g.fitness = (4.0 - sum(abs(o - y) for o, y in zip(out, XOR_Y))) ** 2
            solved |= all((o >= 0.5) == (y == 1.0) for o, y in zip(out, XOR_Y))
        state["generations"] += 1
        state["evaluations"] += len(genomes)
        if solved:
            raise _Solved

    start = time.perf_counter()
    solved = False
    try:
        pop.run(fitness, generations)
    except _Solved:
        solved = True
    return {"seconds": time.perf_counter() - start, "solved": solved, **state}


def run_chainrule(seed: int, generations: int) -> dict:
    import numpy as np

    from chainrule.evolve.neat import NEATConfig, Population, xor_fitness

    cfg = NEATConfig(num_inputs=2, num_outputs=1)
    pop = Population(cfg, seed=seed)
    X, Y = np.array(XOR_X), np.array(XOR_Y) == 1.0
    state = {"solved": False}

    def fitness(genomes):
        f = xor_fitness(genomes, cfg)
        state["solved"] = any(np.array_equal(g.network(cfg)(X)[:, 0] >= 0.5, Y)
                              for g in genomes)
        return f

    start = time.perf_counter()
    pop.run(fitness, generations, solved=lambda g: state["solved"])
    return {"seconds": time.perf_counter() - start, "solved": state["solved"],
            "generations": len(pop.history), "evaluations": pop.evaluations}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--generations", type=int, default=300,
                        help="give up on a run after this many generations")
    parser.add_argument("--one", choices=["chainrule", "neat-python"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        fn = run_chainrule if args.one == "chainrule" else run_neat_python
        print(json.dumps(fn(args.seed, args.generations)))
        return
    results = {"chainrule": [], "neat-python": []}
    for i in range(args.runs):
        for name in results:  # alternate, each run in a fresh process
            out = subprocess.run([sys.executable, __file__, "--one", name, "--seed", str(i),
                                  "--generations", str(args.generations)],
                                 capture_output=True, text=True, check=True)
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"XOR, population 150, the paper's criterion, {args.runs} runs each "
          f"(load average {os.getloadavg()[0]:.1f})")
    print(f"{'':12s} {'gens/s':>8s} {'solved':>7s} {'mean gens':>10s} {'mean evals':>11s}")
    for name, rs in results.items():
        gens = sum(r["generations"] for r in rs)
        secs = sum(r["seconds"] for r in rs)
        ok = [r for r in rs if r["solved"]]
        mg = sum(r["generations"] for r in ok) / len(ok) if ok else float("nan")
        me = sum(r["evaluations"] for r in ok) / len(ok) if ok else float("nan")
        print(f"{name:12s} {gens / secs:8.1f} {len(ok):4d}/{len(rs):<2d} {mg:10.1f} {me:11,.0f}")


if __name__ == "__main__":
    main()
