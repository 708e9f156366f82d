"""Transfer learning on digits: a CNN trained on 0-4, its convolutional features frozen,
a new linear head trained on 5-9 from a few labels, against the same CNN trained from
scratch on those labels. Averaged over ``--repeats`` draws of the labelled samples.

    python examples/transfer.py --labels-per-class 5 --repeats 5
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.data import load_digits
from chainrule.models import cnn
from chainrule.train import evaluate, fit


def few_labels(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` random samples of each class in ``y``."""
    g = np.random.default_rng(seed)
    return np.concatenate([g.choice(np.flatnonzero(y == c), per_class, replace=False)
                           for c in np.unique(y)])


def train(model, params, X, y, epochs: int, lr: float, seed: int, verbose: int) -> None:
    """Adam on ``params`` only (the others stay as they are)."""
    opt = optim.Adam(params, lr=lr)
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=32, seed=seed,
        verbose=verbose)


def frozen_features(model: nn.Sequential) -> nn.Sequential:
    """The layers up to and including ``Flatten``, with their parameters frozen."""
    end = next(i for i, layer in enumerate(model) if isinstance(layer, nn.Flatten))
    features = nn.Sequential(*list(model)[: end + 1])
    features.requires_grad_(False)
    return features


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels-per-class", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5, help="draws of the labelled set")
    parser.add_argument("--pretrain-epochs", type=int, default=15)
    parser.add_argument("--finetune-epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    X, y = load_digits(scale=True)
    X = X.reshape(-1, 1, 8, 8)
    X_src, y_src = X[y < 5], y[y < 5]
    X_tgt, y_tgt = X[y >= 5], y[y >= 5] - 5  # classes 5-9 relabelled 0-4

    # 1. pretrain on digits 0-4 with all their labels
    cr.manual_seed(args.seed)
    pretrained = cnn((1, 8, 8), 5)
    train(pretrained, pretrained.parameters(), X_src, y_src, args.pretrain_epochs, 1e-3,
          args.seed, args.verbose)
    features = frozen_features(pretrained)
    width = pretrained[len(features)].in_features

    results = {"transfer": [], "scratch": []}
    for r in range(args.repeats):
        seed = args.seed + r
        few = few_labels(y_tgt, args.labels_per_class, seed)
        test = np.setdiff1d(np.arange(len(y_tgt)), few)  # all the other 5-9 images
        # 2. a new linear head on the frozen features, trained on the few labels
        cr.manual_seed(seed)
        head = nn.Linear(width, 5)
        model = nn.Sequential(features, head)
        train(model, head.parameters(), X_tgt[few], y_tgt[few], args.finetune_epochs, 1e-2,
              seed, args.verbose)
        # 3. the whole CNN from scratch on the same labels
        cr.manual_seed(seed)
        scratch = cnn((1, 8, 8), 5)
        train(scratch, scratch.parameters(), X_tgt[few], y_tgt[few], args.finetune_epochs,
              3e-3, seed, args.verbose)
        for name, m in (("transfer", model), ("scratch", scratch)):
            acc = evaluate(m, None, (X_tgt[test], y_tgt[test]), metrics=["accuracy"])
            results[name].append(acc["accuracy"])
        print(f"draw {r + 1}: frozen features {results['transfer'][-1]:.4f}, "
              f"from scratch {results['scratch'][-1]:.4f}")
    t, s = np.array(results["transfer"]), np.array(results["scratch"])
    print(f"digits 5-9 from {args.labels_per_class} labels per class ({len(test)} test "
          f"images), mean over {args.repeats} draws: frozen features from 0-4 "
          f"{t.mean():.4f} +- {t.std():.4f}, from scratch {s.mean():.4f} +- {s.std():.4f}")
    return {"transfer": float(t.mean()), "scratch": float(s.mean()),
            "transfer_std": float(t.std()), "scratch_std": float(s.std())}


if __name__ == "__main__":
    main()
