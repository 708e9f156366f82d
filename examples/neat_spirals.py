"""Backprop-tuned NEAT on two spirals, against a fixed MLP with the same parameter count.

Evolution finds the structure (NEAT, tanh hidden nodes, a logit output); inside every
fitness evaluation the genome's weights are trained by ``--steps`` Adam steps of
backpropagation through the compiled genome (Lamarckian by default: the trained weights
are written back and inherited). The winner is then trained further for ``--final-steps``,
and a one-hidden-layer MLP with (about) as many parameters is trained by backprop alone for
the same number of steps. Both are scored on a held-out test set.

    python examples/neat_spirals.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.evolve.neat import (
    BackpropFitness,
    GenomeModule,
    NEATConfig,
    Population,
    draw_genome,
    make_task,
)


def train(model, X, y, steps, lr):
    opt = cr.optim.Adam(model.parameters(), lr=lr)
    loss = nn.BCEWithLogitsLoss()
    X, y = cr.tensor(X, dtype=cr.float32), cr.tensor(y[:, None], dtype=cr.float32)
    for _ in range(steps):
        opt.zero_grad()
        loss(model(X), y).backward()
        opt.step()
    return model


def test_accuracy(model, X, y) -> float:
    with cr.no_grad():
        return float(np.mean((model(cr.tensor(X, dtype=cr.float32)).numpy()[:, 0] > 0) == y))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="spirals", choices=["xor", "circle", "spirals",
                                                              "gaussians"])
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--steps", type=int, default=50, help="backprop steps per evaluation")
    parser.add_argument("--final-steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--baldwinian", action="store_true",
                        help="do not write trained weights back into the genomes")
    parser.add_argument("--size-penalty", type=float, default=0.001,
                        help="fitness = accuracy - penalty * connections")
    parser.add_argument("--target-species", type=int, default=None,
                        help="dynamic compatibility threshold aiming at this many species")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draw", default=None)
    args = parser.parse_args(argv)

    X, y = make_task(args.task, n=300, seed=args.seed)
    Xt, yt = make_task(args.task, n=1000, seed=args.seed + 1000)
    cfg = NEATConfig(num_inputs=2, num_outputs=1, activation="tanh",
                     output_activation="identity", population_size=args.population,
                     add_node_prob=0.2, add_link_prob=0.3,
                     target_species=args.target_species)
    fitness = BackpropFitness(X, y, cfg, steps=args.steps, lr=args.lr,
                              lamarckian=not args.baldwinian, size_penalty=args.size_penalty)
    pop = Population(cfg, seed=args.seed)
    start = time.perf_counter()
    best = pop.run(fitness, args.generations,
                   callback=lambda p: print(f"generation {p.generation}: best "
                                            f"{p.history[-1].best_fitness:.3f}, "
                                            f"{len(p.species)} species, best size "
                                            f"{p.history[-1].best_size}"))
    search = time.perf_counter() - start
    cr.manual_seed(args.seed)
    neat_model = train(GenomeModule(best, cfg), X, y, args.final_steps, args.lr)
    n_params = neat_model.weight.numel()
    # One hidden layer of h tanh units: 2h + h + h + 1 = 4h + 1 parameters.
    h = max(1, round((n_params - 1) / 4))
    mlp = nn.Sequential(nn.Linear(2, h), nn.Tanh(), nn.Linear(h, 1))
    train(mlp, X, y, args.final_steps, args.lr)
    mlp_params = sum(p.numel() for p in mlp.parameters())
    neat_acc, mlp_acc = test_accuracy(neat_model, Xt, yt), test_accuracy(mlp, Xt, yt)
    hidden, conns = best.size()
    print(f"{args.task}: backprop-NEAT ({'Baldwinian' if args.baldwinian else 'Lamarckian'}, "
          f"{args.steps} steps per evaluation) winner: {hidden} hidden nodes, {conns} "
          f"connections ({n_params} parameters), test accuracy {neat_acc:.3f} after "
          f"{args.final_steps} more steps; search {search:.0f} s, {pop.evaluations} evaluations")
    print(f"{args.task}: MLP 2-{h}-1 ({mlp_params} parameters) trained by backprop alone for "
          f"{args.final_steps} steps: test accuracy {mlp_acc:.3f}")
    if args.draw:
        draw_genome(best, args.draw, cfg)
    return {"neat_accuracy": neat_acc, "mlp_accuracy": mlp_acc, "neat_parameters": n_params,
            "mlp_parameters": mlp_params, "hidden": hidden, "seconds": search}


if __name__ == "__main__":
    main()
