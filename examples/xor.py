"""XOR with a 2-2-1 sigmoid network and SGD with momentum (Rumelhart, Hinton, Williams 1986).

Trains one network per seed on the four XOR patterns (full batch, squared error) and
reports how many seeds solve the task (every output within 0.4 of its target) and the
median number of epochs they needed.

    python examples/xor.py --seeds 20 --max-epochs 1000
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.train import EarlyStopping, fit

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def max_error(output, target) -> float:
    """The largest |output - target| over the four patterns."""
    return float(np.max(np.abs(np.asarray(output) - np.asarray(target))))


def train_one(seed: int, max_epochs: int, lr: float, momentum: float, tolerance: float):
    """Train a 2-2-1 sigmoid net from ``seed``; returns (solved, epochs, final outputs)."""
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    stop = EarlyStopping(monitor="max_error", mode="min", target=tolerance, patience=max_epochs)
    history = fit(model, nn.MSELoss(), opt, (X, Y), epochs=max_epochs, batch_size=4,
                  shuffle=False, metrics=[max_error], callbacks=[stop], seed=seed, verbose=0)
    with cr.no_grad():
        out = model(cr.tensor(X)).numpy()
    solved = max_error(out, Y) < tolerance
    return solved, len(history.epoch), out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="networks to train (default 20)")
    parser.add_argument("--max-epochs", type=int, default=1000, help="epochs per seed")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--momentum", type=float, default=0.9, help="momentum (default 0.9)")
    parser.add_argument("--tolerance", type=float, default=0.4,
                        help="solved when every output is within this of its target")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.max_epochs < 1:
        parser.error("--seeds and --max-epochs must be >= 1")
    epochs = []
    for seed in range(args.seeds):
        solved, n, out = train_one(seed, args.max_epochs, args.lr, args.momentum,
                                   args.tolerance)
        status = f"solved in {n} epochs" if solved else f"not solved in {n} epochs"
        print(f"seed {seed:2d}: {status}; outputs {[round(float(v), 2) for v in out.ravel()]}")
        if solved:
            epochs.append(n)
    median = statistics.median(epochs) if epochs else None
    print(f"solved {len(epochs)}/{args.seeds} seeds; median epochs "
          f"{median if median is not None else '-'}")
    return {"solved": len(epochs), "seeds": args.seeds, "median_epochs": median}


if __name__ == "__main__":
    main()
