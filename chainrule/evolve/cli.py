"""``chainrule evolve``: train a policy or a classifier without backprop.

    chainrule evolve                                   # CMA-ES on CartPole-v1, 4-16-2 tanh
    chainrule evolve --env Acrobot-v1 --generations 200
    chainrule evolve --task digits --method openai-es  # the digits MLP 64-32-10
    chainrule evolve --method snes --workers 2 --out runs/evolve-cartpole

Writes, with ``--out``, ``checkpoint.safetensors`` (the run, for ``--resume``),
``model.safetensors`` (the solution's weights) and ``history.csv``.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "run"]

METHODS = ("cma", "openai-es", "snes", "pgpe", "xnes", "ga", "random")
TASKS = ("gym", "digits")
DIGITS_SPLIT_SEED = 0  # the same 1,437 / 360 split as 'chainrule train' on digits


class EvolveError(Exception):
    """A user error: one line, exit status 2."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``chainrule evolve``."""
    p.add_argument("--task", default="gym", choices=TASKS,
                   help="gym: a gymnasium environment (--env); digits: the 64-32-10 MLP "
                        "(default: gym)")
    p.add_argument("--env", default="CartPole-v1",
                   help="gymnasium environment id for --task gym (default: CartPole-v1)")
    p.add_argument("--method", choices=METHODS,
                   help="search strategy (default: cma for gym, openai-es for digits)")
    p.add_argument("--generations", type=int,
                   help="generations (default: 100 for gym, 1000 for digits)")
    p.add_argument("--popsize", type=int, help="population size (default: per method)")
    p.add_argument("--sigma", type=float, help="initial noise / step size (default: per "
                                               "method)")
    p.add_argument("--hidden", type=int, default=None,
                   help="hidden units (default: 16 for gym, 32 for digits)")
    p.add_argument("--episodes", type=int, default=1, help="episodes per candidate (gym)")
    p.add_argument("--obs-norm", action="store_true", help="normalise observations (gym)")
    p.add_argument("--workers", type=int, default=1, help="processes (default: 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", help="write checkpoint.safetensors, model.safetensors and "
                                 "history.csv here")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue a run from its "
                                                          "checkpoint.safetensors")
    p.add_argument("--quiet", action="store_true", help="print only the result")


def _strategy(method: str, model, maximize: bool, args, task: str):
    from . import CMAES, PGPE, SNES, XNES, GeneticAlgorithm, OpenAIES, RandomSearch

    gym = task == "gym"
    kw: dict = {"maximize": maximize, "seed": args.seed}
    if args.popsize is not None:
        kw["popsize"] = args.popsize
    sigma = args.sigma
    if method == "cma":
        return CMAES(model, sigma=sigma or 0.5, **kw)
    if method == "openai-es":
        return OpenAIES(model, sigma=sigma or (0.1 if gym else 0.05),
                        lr=0.05 if gym else 0.03, weight_decay=0.005 if gym else 0.0,
                        **{"popsize": 20 if gym else 100, **kw})
    if method == "snes":
        return SNES(model, sigma=sigma or (0.5 if gym else 0.05), **kw)
    if method == "pgpe":
        return PGPE(model, sigma=sigma or 0.1, **{"popsize": 20 if gym else 100, **kw})
    if method == "xnes":
        return XNES(model, sigma=sigma or 0.5, **kw)
    if method == "ga":
        return GeneticAlgorithm(model, sigma=sigma or 0.1, **{"popsize": 20 if gym else 100,
                                                            **kw})
    return RandomSearch(model, sigma=sigma or 1.0, **{"popsize": 20, **kw})


def _check_args(args) -> None:
    for name in ("generations", "popsize", "hidden", "episodes", "workers"):
        v = getattr(args, name)
        if v is not None and v < (0 if name == "generations" else 1):
            raise EvolveError(f"--{name.replace('_', '-')} must be >= "
                              f"{0 if name == 'generations' else 1}, got {v}")
    if args.sigma is not None and not (args.sigma > 0 and math.isfinite(args.sigma)):
        raise EvolveError(f"--sigma must be a positive number, got {args.sigma}")
    if args.resume and not Path(args.resume).is_file():
        raise EvolveError(f"--resume: no such checkpoint: {args.resume}")


def _mlp(sizes: list[int], seed: int):
    from .. import nn, random

    random.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def _write_history(path: Path, history) -> None:
    keys = list(history.history)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["generation", *keys])
        for i, g in enumerate(history.generation):
            w.writerow([g, *(history.history[k][i] for k in keys)])


def run(args) -> int:
    """Run ``chainrule evolve`` with parsed ``args``; returns the exit status."""
    from .. import io, nn
    from .._optional import MissingDependencyError
    from .loop import evolve
    from .problems import GymProblem, SupervisedProblem

    _check_args(args)
    task = args.task
    method = args.method or ("cma" if task == "gym" else "openai-es")
    generations = args.generations if args.generations is not None else \
        (100 if task == "gym" else 1000)
    try:
        if task == "gym":
            hidden = args.hidden or 16
            from .._optional import require

            gymnasium = require("gymnasium", extra="evolve", feature="chainrule evolve")
            if args.env not in gymnasium.envs.registry:
                # GymProblem words the error (with close matches); build it to raise
                GymProblem(args.env, nn.Identity())
            env = gymnasium.make(args.env)
            obs = int(np.prod(env.observation_space.shape))
            if not hasattr(env.action_space, "n"):
                raise EvolveError(f"--env {args.env}: only Discrete action spaces are "
                                  f"supported by the CLI, got {env.action_space}")
            model = _mlp([obs, hidden, int(env.action_space.n)], args.seed)
            problem = GymProblem(args.env, model, episodes=args.episodes,
                                 obs_norm=args.obs_norm, seed=args.seed)
            maximize = True
        else:
            from ..data import load_digits

            hidden = args.hidden or 32
            X, y = load_digits(scale=True)
            order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(X))
            test, train = order[:360], order[360:]
            model = _mlp([64, hidden, 10], args.seed)
            problem = SupervisedProblem(model, nn.CrossEntropyLoss(), (X[train], y[train]),
                                        batch_size=256, seed=args.seed)
            maximize = False
        strategy = _strategy(method, model, maximize, args, task)
    except MissingDependencyError as e:
        raise EvolveError(str(e)) from None
    if not args.quiet:
        what = args.env if task == "gym" else "digits 64-32-10 MLP"
        print(f"chainrule evolve: {method} on {what}, {strategy.dim:,} parameters, "
              f"population {strategy.popsize}, {generations} generations, seed {args.seed}",
              flush=True)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    try:
        history = evolve(strategy, problem, generations, workers=args.workers,
                         verbose=0 if args.quiet else 1, resume=args.resume,
                         checkpoint=out / "checkpoint.safetensors" if out else None)
    except KeyboardInterrupt:
        if out is not None:
            print(f"chainrule evolve: interrupted; continue with --resume "
                  f"{out / 'checkpoint.safetensors'}")
        return 130
    if task == "gym":
        fresh = problem.rollout(strategy.center, episodes=10, seed=10**6)
        print(f"mean return over 10 fresh episodes {fresh.mean():.1f} (min {fresh.min():.1f},"
              f" max {fresh.max():.1f}) after {strategy.evaluations} evaluations")
    else:
        from ..autograd import no_grad
        from ..tensor import Tensor

        problem.space.set(strategy.center)
        with no_grad():
            pred = model(Tensor(X[test])).numpy().argmax(1)
        acc = float((pred == y[test]).mean())
        print(f"test accuracy {acc:.4f} ({int(round(acc * len(test)))}/{len(test)}) after "
              f"{strategy.evaluations} evaluations")
    if out is not None:
        problem.space.set(strategy.center)
        io.save(model.state_dict(), out / "model.safetensors")
        _write_history(out / "history.csv", history)
        if not args.quiet:
            print(f"wrote {out / 'checkpoint.safetensors'}, {out / 'model.safetensors'}, "
                  f"{out / 'history.csv'}")
    return 0
