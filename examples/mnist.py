"""MNIST digits with an MLP and a CNN, offline, from the 10,000 official test images.

Only the MNIST test files are needed (``t10k-*.gz``); they are split 8,000 / 2,000 with a
fixed seed. Training images are randomly shifted by up to 2 pixels.

    python examples/mnist.py --data-dir ../shared/datasets --model both
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.data import TensorDataset, load_mnist
from chainrule.data.transforms import RandomShift
from chainrule.models import cnn, mlp
from chainrule.train import LRScheduler, evaluate, fit

SPLIT_SEED = 0


def load(data_dir: str | None, train_size: int, test_size: int):
    """The 10,000 MNIST test images split into train and test parts (fixed seed)."""
    X, y = load_mnist(data_dir, split="test", as_float=True)
    if train_size + test_size > len(X):
        raise SystemExit(f"mnist.py: --train-size + --test-size must be <= {len(X)}")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))
    train, test = order[:train_size], order[train_size:train_size + test_size]
    X = X[:, None]  # (N, 1, 28, 28)
    return X[train], y[train], X[test], y[test]


def run(name: str, data, epochs: int, batch_size: int, lr: float, seed: int,
        augment: bool, verbose: int) -> float:
    """Train model ``name`` ('mlp' or 'cnn'); returns its test accuracy."""
    X_train, y_train, X_test, y_test = data
    cr.manual_seed(seed)
    model = mlp((1, 28, 28), 10, hidden=(512, 256), dropout=0.2) if name == "mlp" \
        else cnn((1, 28, 28), 10, channels=(32, 64), hidden=128, dropout=0.3)
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    transform = RandomShift(2) if augment else None  # draws from the generator fit seeds
    train = TensorDataset(X_train, y_train, transform=transform)
    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), opt, train, epochs=epochs, batch_size=batch_size,
        metrics=["accuracy"], callbacks=[LRScheduler(sched)], seed=seed, verbose=verbose)
    result = evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test), metrics=["accuracy"])
    print(f"{name}: test accuracy {result['accuracy']:.4f} on {len(X_test)} images "
          f"({time.perf_counter() - start:.0f} s, {epochs} epochs)")
    return result["accuracy"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    parser.add_argument("--data-dir", default=None,
                        help="folder with mnist/t10k-*.gz (default: $CHAINRULE_DATA)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs (default: 30 for the MLP, 12 for the CNN)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--train-size", type=int, default=8000)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--no-augment", action="store_true", help="no random shifts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    data = load(args.data_dir, args.train_size, args.test_size)
    results = {}
    for name in (["mlp", "cnn"] if args.model == "both" else [args.model]):
        epochs = args.epochs or {"mlp": 30, "cnn": 12}[name]
        results[name] = run(name, data, epochs, args.batch_size, args.lr, args.seed,
                            not args.no_augment, args.verbose)
    return results


if __name__ == "__main__":
    main()
