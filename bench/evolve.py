"""Generations per second for the digits MLP 64-32-10 at population 100.

    python bench/evolve.py [--generations 20] [--repeats 3]

Rows (each timed over ``--generations`` generations, best of ``--repeats`` blocks, every
row in its own block so BLAS threads of one do not slow the next):

- chainrule OpenAI-ES, batched population forward (``SupervisedProblem``, the default);
- chainrule OpenAI-ES, one candidate at a time through the model (``batched=False``);
- chainrule CMA-ES (pycma, diagonal covariance), batched population forward;
- pycma's own ask/tell loop (the same options) over a flattened NumPy MLP, one candidate
  at a time: what a user of pycma writes by hand;
- chainrule PGPE with ClipUp, batched population forward, against EvoTorch's PGPE with
  ClipUp on the same MLP in PyTorch (``SupervisedNE``, common minibatch, no Ray actors),
  with the same population, noise and step settings.

Every row scores the population on a common minibatch of 256 digits per generation.

EvoTorch's row needs ``pip install evotorch`` (it brings Ray, which ``import evotorch``
loads; it keeps the installed torch) and is left out, saying so, where it does not import.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.data import load_digits  # noqa: E402
from chainrule.evolve import CMAES, PGPE, OpenAIES, SupervisedProblem  # noqa: E402

POPSIZE, BATCH = 100, 256


def mlp() -> nn.Module:
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))


def chainrule_rate(X, y, strategy: str, batched: bool | None, generations: int) -> float:
    model = mlp()
    if strategy == "openai-es":
        s = OpenAIES(model, maximize=False, sigma=0.05, popsize=POPSIZE, seed=0)
    elif strategy == "pgpe":
        s = PGPE(model, maximize=False, sigma=0.05, popsize=POPSIZE, max_speed=0.15,
                 sigma_lr=0.1, seed=0)
    else:
        s = CMAES(model, maximize=False, sigma=0.05, popsize=POPSIZE, seed=0,
                  options={"CMA_diagonal": True})
    prob = SupervisedProblem(model, nn.CrossEntropyLoss(), (X, y), batch_size=BATCH,
                             batched=batched)
    start = time.perf_counter()
    for g in range(generations):
        s.tell(prob.evaluate(s.ask(), g))
    return generations / (time.perf_counter() - start)


def pycma_rate(X, y, generations: int) -> float:
    """pycma's ask/tell with a hand-flattened NumPy MLP, as its documentation suggests."""
    import cma

    shapes = [(32, 64), (32,), (10, 32), (10,)]
    sizes = [int(np.prod(s)) for s in shapes]
    x0 = np.concatenate([p.numpy().reshape(-1) for p in mlp().parameters()]).astype(np.float64)

    def loss(v, xb, yb):
        parts, i = [], 0
        for shape, n in zip(shapes, sizes):
            parts.append(v[i:i + n].reshape(shape).astype(np.float32))
            i += n
        W1, b1, W2, b2 = parts
        z = np.tanh(xb @ W1.T + b1) @ W2.T + b2
        z = z - z.max(1, keepdims=True)
        return float((np.log(np.exp(z).sum(1)) - z[np.arange(len(yb)), yb]).mean())

    es = cma.CMAEvolutionStrategy(x0, 0.05, {"popsize": POPSIZE, "CMA_diagonal": True,
                                             "seed": 1, "verbose": -9})
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(generations):
        idx = rng.choice(len(X), BATCH, replace=False)
        xb, yb = X[idx], y[idx]
        sols = es.ask()
        es.tell(sols, [loss(v, xb, yb) for v in sols])
    return generations / (time.perf_counter() - start)


def evotorch_rate(X, y, generations: int) -> float:
    """EvoTorch's PGPE (ClipUp) on the same MLP in PyTorch, chainrule's initial weights."""
    import torch
    from evotorch.algorithms import PGPE as EvoPGPE
    from evotorch.neuroevolution import SupervisedNE

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    with torch.no_grad():
        for t, p in zip(net.parameters(), mlp().parameters()):
            t.copy_(torch.from_numpy(p.numpy()))
    data = torch.utils.data.TensorDataset(torch.from_numpy(X),
                                          torch.from_numpy(y.astype(np.int64)))
    problem = SupervisedNE(data, net, torch.nn.CrossEntropyLoss(), minibatch_size=BATCH,
                           common_minibatch=True)
    center = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    s = EvoPGPE(problem, popsize=POPSIZE, center_learning_rate=0.075, stdev_learning_rate=0.1,
                stdev_init=0.05, optimizer="clipup", optimizer_config={"max_speed": 0.15},
                center_init=center)
    start = time.perf_counter()
    for _ in range(generations):
        s.step()
    return generations / (time.perf_counter() - start)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    X, y = load_digits(scale=True)
    rows = {
        "chainrule OpenAI-ES, batched forward": lambda: chainrule_rate(X, y, "openai-es", None,
                                                                       a.generations),
        "chainrule OpenAI-ES, one candidate at a time": lambda: chainrule_rate(
            X, y, "openai-es", False, a.generations),
        "chainrule CMA-ES (diagonal), batched forward": lambda: chainrule_rate(
            X, y, "cma", None, a.generations),
        "pycma ask/tell (diagonal), NumPy MLP loop": lambda: pycma_rate(X, y, a.generations),
        "chainrule PGPE (ClipUp), batched forward": lambda: chainrule_rate(
            X, y, "pgpe", None, a.generations),
        "EvoTorch PGPE (ClipUp), SupervisedNE": lambda: evotorch_rate(X, y, a.generations),
    }
    try:
        import evotorch  # noqa: F401
    except ImportError as e:
        print(f"EvoTorch row left out: {e} (pip install evotorch)")
        del rows["EvoTorch PGPE (ClipUp), SupervisedNE"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"digits MLP 64-32-10 (2,410 parameters), population {POPSIZE}, minibatch {BATCH}; "
          f"load average {load:.1f}")
    best = {name: 0.0 for name in rows}
    for _ in range(a.repeats):
        for name, f in rows.items():
            best[name] = max(best[name], f())
    for name, rate in best.items():
        print(f"{name:<46} {rate:8.1f} generations/s")


if __name__ == "__main__":
    main()
