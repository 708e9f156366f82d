"""MNIST with a small ConvNet (11,274 parameters) trained by PGPE or OpenAI-ES, no
backprop: the setting of EvoJAX's MNIST benchmark (published: PGPE 97.4 %, OpenES 96.7 %,
population 64-100, batch 1,024).

The data are the 10,000 official test images split 8,000 train / 2,000 test (the split
``chainrule train --dataset mnist`` uses when only the test file is at hand). The ConvNet
is conv 5x5 (1->8) - ReLU - max-pool 2 - conv 5x5 (8->16) - ReLU - max-pool 2 - linear
(784->10), "same" padding. Convolutions are not batched over the population, so each
candidate runs through the model in turn: a generation of 100 candidates on 1,024 images
costs about 100 forward passes.

    python examples/evolve_mnist.py --data-dir ../shared/datasets --method pgpe
    python examples/evolve_mnist.py --method openai-es --generations 2000 --workers 2
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


def main(method: str = "pgpe", generations: int = 2000, popsize: int = 100,
         batch_size: int = 1024, data_dir: str | None = None, seed: int = 0,
         workers: int = 1, verbose: int = 1) -> float:
    X, y, Xt, yt = data(data_dir)
    model = convnet(seed)
    if method == "pgpe":
        # EvoJAX's settings: centre step 0.006 (here the ClipUp speed), sigma 0.04
        strategy = PGPE(model, maximize=False, sigma=0.04, popsize=popsize, max_speed=0.006,
                        sigma_lr=0.089, seed=seed)
    else:
        strategy = OpenAIES(model, maximize=False, sigma=0.04, popsize=popsize, lr=0.01,
                            weight_decay=0.0, seed=seed)
    problem = SupervisedProblem(model, nn.CrossEntropyLoss(), (X, y), batch_size=batch_size,
                                seed=seed)
    start = time.perf_counter()
    evolve(strategy, problem, generations, workers=workers, verbose=verbose)
    problem.space.set(strategy.center)
    acc = accuracy(model, Xt, yt)
    print(f"{method}: test accuracy {acc:.4f} on 2,000 images after {generations} generations "
          f"of {popsize}, {time.perf_counter() - start:.0f} s")
    return acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", choices=["pgpe", "openai-es"], default="pgpe")
    ap.add_argument("--generations", type=int, default=2000)
    ap.add_argument("--popsize", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    main(a.method, a.generations, a.popsize, a.batch_size, a.data_dir, a.seed, a.workers)
