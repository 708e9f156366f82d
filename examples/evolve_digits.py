"""The digits MLP 64-32-10 trained two ways: OpenAI-ES (no backprop) and Adam (backprop).

The same model, initialisation, data split (1,437 train / 360 test, as ``chainrule
train``) and minibatch size (256). OpenAI-ES: population 100 (50 mirrored pairs), sigma
0.05, centred ranks, its gradient estimate stepped by Adam at lr 0.03; every candidate is
scored on the generation's common minibatch through the batched population forward.

    python examples/evolve_digits.py                    # 1,000 ES generations, 60 Adam epochs
    python examples/evolve_digits.py --generations 200 --epochs 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import load_digits
from chainrule.evolve import OpenAIES, SupervisedProblem, evolve


def data():
    X, y = load_digits(scale=True)
    order = np.random.default_rng(0).permutation(len(X))
    test, train = order[:360], order[360:]
    return X[train], y[train], X[test], y[test]


def mlp(seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))


def accuracy(model, X, y) -> float:
    with cr.no_grad():
        return float((model(cr.tensor(X)).numpy().argmax(1) == y).mean())


def train_es(generations: int = 1000, seed: int = 0, workers: int = 1, verbose: int = 1):
    X, y, Xt, yt = data()
    model = mlp(seed)
    es = OpenAIES(model, maximize=False, sigma=0.05, popsize=100, lr=0.03, weight_decay=0.0,
                  seed=seed)
    problem = SupervisedProblem(model, nn.CrossEntropyLoss(), (X, y), batch_size=256,
                                seed=seed)
    start = time.perf_counter()
    evolve(es, problem, generations, workers=workers, verbose=verbose)
    return accuracy(model, Xt, yt), time.perf_counter() - start


def train_adam(epochs: int = 60, seed: int = 0):
    X, y, Xt, yt = data()
    model = mlp(seed)
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for i in range(0, len(X), 256):
            idx = order[i:i + 256]
            opt.zero_grad()
            loss_fn(model(cr.tensor(X[idx])), cr.tensor(y[idx])).backward()
            opt.step()
    return accuracy(model, Xt, yt), time.perf_counter() - start


def main(generations: int = 1000, epochs: int = 60, seed: int = 0, workers: int = 1):
    es_acc, es_s = train_es(generations, seed, workers)
    adam_acc, adam_s = train_adam(epochs, seed)
    print(f"OpenAI-ES: test accuracy {es_acc:.4f} after {generations} generations "
          f"({generations * 100:,} forward passes), {es_s:.1f} s")
    print(f"Adam:      test accuracy {adam_acc:.4f} after {epochs} epochs "
          f"({epochs * 6} steps), {adam_s:.1f} s")
    return es_acc, adam_acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    main(a.generations, a.epochs, a.seed, a.workers)
