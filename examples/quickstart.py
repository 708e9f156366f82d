"""Train a small MLP on scikit-learn's handwritten digits and print its test accuracy.

Without scikit-learn it says so and trains on a synthetic two-spirals set instead.
``python examples/quickstart.py [--epochs N]``
"""

import argparse
import sys

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.train import evaluate, fit


def two_spirals(n: int = 1000, seed: int = 0):
    """Two interleaved spirals, classes 0 and 1: X (n, 2) float32, y (n,) int64."""
    g = np.random.default_rng(seed)
    t = np.sqrt(g.uniform(0, 1, n)) * 3 * np.pi
    y = g.integers(0, 2, n)
    r = np.where(y == 1, -1, 1)[:, None] * np.stack([t * np.cos(t), t * np.sin(t)], 1)
    return (r / 10 + g.normal(0, 0.05, (n, 2))).astype(np.float32), y.astype(np.int64)


def main(epochs: int = 20) -> float:
    try:
        from chainrule.data import load_digits
        X, y = load_digits(scale=True)  # 1,797 images of 8x8 pixels, values in [0, 1]
    except ImportError:
        print("quickstart: scikit-learn is not installed, so the digits are not at hand; "
              "training on a synthetic two-spirals set instead (pip install "
              "'chainrule[train]' for the digits)", file=sys.stderr)
        X, y = two_spirals()
    order = np.random.default_rng(0).permutation(len(X))
    test, train = order[: len(X) // 5], order[len(X) // 5 :]
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(X.shape[1], 128), nn.ReLU(), nn.Linear(128, 128),
                          nn.ReLU(), nn.Linear(128, int(y.max()) + 1))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    fit(model, nn.CrossEntropyLoss(), opt, (X[train], y[train]), epochs=epochs,
        batch_size=32, validation_split=0.1, metrics=["accuracy"], seed=0)
    acc = evaluate(model, None, (X[test], y[test]), metrics=["accuracy"])["accuracy"]
    print(f"test accuracy: {acc:.3f}")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default: 20)")
    main(parser.parse_args().epochs)
