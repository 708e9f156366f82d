"""MNIST with a small ConvNet (11,274 parameters) trained by PGPE or OpenAI-ES, no
backprop: the model of EvoJAX's MNIST benchmark (published: PGPE 97.4 %, OpenES 96.7 %,
population 64-100, batch 1,024, 2,000 or more iterations).

The data are the 10,000 official test images split 8,000 train / 2,000 test (the split
``chainrule train --dataset mnist`` uses when only the test file is at hand). The ConvNet
is conv 5x5 (1->8) - ReLU - max-pool 2 - conv 5x5 (8->16) - ReLU - max-pool 2 - linear
(784->10), "same" padding. Convolutions are not batched over the population, so each
candidate runs through the model in turn: a generation of 64 candidates on a minibatch of
256 images costs 64 forward passes (about a second on 2 cores).

The defaults (population 64, minibatch 256, 500 generations, PGPE with ClipUp at speed
0.15 and sigma 0.04 adapted at rate 0.1) are smaller than EvoJAX's so that a run takes
minutes on a laptop, not hours; the run is fixed in length (the test images are looked at
only for the progress lines, never to stop or to choose).

    python examples/evolve_mnist.py --data-dir ../shared/datasets
    python examples/evolve_mnist.py --method openai-es --lr 0.01 --eval-every 50
    python examples/evolve_mnist.py --popsize 100 --batch-size 1024 --generations 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import load_mnist
from chainrule.evolve import PGPE, OpenAIES, SupervisedProblem, evolve


def convnet(seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )


def data(data_dir: str | None):
    X, y = load_mnist(data_dir, split="test", as_float=True)
    order = np.random.default_rng(0).permutation(len(X))
    test, train = order[:2000], order[2000:]
    X = X[:, None]
    return X[train], y[train], X[test], y[test]


def accuracy(model, X, y, batch: int = 500) -> float:
    right = 0
    with cr.no_grad():
        for i in range(0, len(X), batch):
            right += int((model(cr.tensor(X[i:i + batch])).numpy().argmax(1)
                          == y[i:i + batch]).sum())
    return right / len(X)


def run(method: str = "pgpe", generations: int = 500, popsize: int = 64,
        batch_size: int = 256, data_dir: str | None = None, seed: int = 0,
        workers: int = 1, verbose: int = 1, lr: float | None = None, sigma: float = 0.04,
        eval_every: int = 0) -> dict:
    """Train by ``method`` for ``generations`` generations; with ``eval_every``, print the
    test accuracy of the centre every that many. Returns the final test accuracy and the
    run's size and wall-clock."""
    X, y, Xt, yt = data(data_dir)
    model = convnet(seed)
    if method == "pgpe":
        # ClipUp's speed limit: how far the centre may move in one generation
        strategy = PGPE(model, maximize=False, sigma=sigma, popsize=popsize,
                        max_speed=0.15 if lr is None else lr, sigma_lr=0.1, seed=seed)
    elif method == "openai-es":
        strategy = OpenAIES(model, maximize=False, sigma=sigma, popsize=popsize,
                            lr=0.01 if lr is None else lr, weight_decay=0.0, seed=seed)
    else:
        raise ValueError(f"evolve_mnist: method must be 'pgpe' or 'openai-es', got {method!r}")
    problem = SupervisedProblem(model, nn.CrossEntropyLoss(), (X, y), batch_size=batch_size,
                                seed=seed)
    start = time.perf_counter()

    def report(generation: int, logs: dict) -> None:
        if eval_every and (generation + 1) % eval_every == 0:
            problem.space.set(strategy.center)
            print(f"generation {generation + 1}: test accuracy {accuracy(model, Xt, yt):.4f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)

    evolve(strategy, problem, generations, workers=workers, verbose=verbose, callback=report)
    problem.space.set(strategy.center)
    acc = accuracy(model, Xt, yt)
    seconds = time.perf_counter() - start
    if verbose:
        print(f"{method}: test accuracy {acc:.4f} on 2,000 images after {generations} "
              f"generations of {popsize}, {seconds:.0f} s")
    return {"method": method, "accuracy": acc, "generations": generations,
            "popsize": popsize, "batch_size": batch_size, "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", choices=["pgpe", "openai-es"], default="pgpe")
    ap.add_argument("--generations", type=int, default=500)
    ap.add_argument("--popsize", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--data-dir", default=None,
                    help="folder with mnist/t10k-*.gz (default: $CHAINRULE_DATA)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--lr", type=float, default=None,
                    help="Adam's learning rate (OpenAI-ES, default 0.01) or ClipUp's speed "
                         "limit (PGPE, default 0.15)")
    ap.add_argument("--sigma", type=float, default=0.04)
    ap.add_argument("--eval-every", type=int, default=0,
                    help="print the test accuracy every this many generations")
    ap.add_argument("--verbose", type=int, default=1)
    a = ap.parse_args(argv)
    return run(a.method, a.generations, a.popsize, a.batch_size, a.data_dir, a.seed,
               a.workers, a.verbose, lr=a.lr, sigma=a.sigma, eval_every=a.eval_every)


if __name__ == "__main__":
    main()
