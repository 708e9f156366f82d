"""Regularized evolution (Real et al. 2019) of MLP architectures on MNIST-1D or digits,
every candidate trained by backprop for the same budget, against hand-designed baselines
trained for that same budget.

The search scores candidates on a validation split carved from the training set; the test
set is used once, for the best architecture and the baselines. For MNIST-1D the baselines
are the README's MLP (512-512, dropout 0.5; 71 % after 100 epochs) and CNN (94 % after
150 epochs), here trained for ``--epochs`` epochs like every candidate.

    python examples/architecture_search.py --dataset mnist1d
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.evolve.architecture import (
    SearchSpace,
    accuracy,
    draw_architecture,
    regularized_evolution,
    save_architecture,
    train_model,
)

# Run as a script, this file's folder comes first on sys.path and would shadow the mnist1d
# package that generates the data.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def load(name: str):
    from chainrule.data import load_digits, load_mnist1d

    if name == "mnist1d":
        return load_mnist1d()
    X, y = load_digits(scale=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[1400:], y[1400:]


def baselines(dataset, X, y, Xt, yt, epochs, lr, seed) -> dict[str, float]:
    from chainrule.models import build_model

    out = {}
    names = {"mlp": {"hidden": (512, 512), "dropout": 0.5}}
    if dataset == "mnist1d":
        names["cnn"] = {}
    for name, options in names.items():
        cr.manual_seed(seed)
        model = build_model(name, (X.shape[1],), 10, **options)
        t = time.perf_counter()
        train_model(model, X, y, epochs, lr=lr if name == "mlp" else 1e-2,
                    weight_decay=0.05 if name == "mlp" else 0.0, generator=seed)
        out[name] = accuracy(model, Xt, yt)
        print(f"baseline {name}: test accuracy {out[name]:.4f} after {epochs} epochs "
              f"({time.perf_counter() - t:.0f} s)")
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["mnist1d", "digits"], default="mnist1d")
    parser.add_argument("--cycles", type=int, default=60, help="models trained in all")
    parser.add_argument("--population", type=int, default=12)
    parser.add_argument("--sample", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=15, help="training budget per model")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-width", type=int, default=256)
    parser.add_argument("--inherit", action="store_true", help="weight inheritance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="write the best model (.safetensors)")
    parser.add_argument("--draw", default=None, help="draw the best architecture (.svg)")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)

    X, y, Xt, yt = load(args.dataset)
    n_val = len(X) // 5
    Xs, ys, Xv, yv = X[n_val:], y[n_val:], X[:n_val], y[:n_val]
    space = SearchSpace(widths=tuple(w for w in (16, 32, 64, 128, 256, 512)
                                     if w <= args.max_width))
    start = time.perf_counter()
    res = regularized_evolution(Xs, ys, Xv, yv, cycles=args.cycles,
                                population_size=args.population, sample_size=args.sample,
                                epochs=args.epochs, lr=args.lr, space=space,
                                inherit_weights=args.inherit, seed=args.seed, verbose=True)
    best = res.best
    test = accuracy(best.model, Xt, yt)
    # The same budget again on the full training set (train + validation) for the test.
    cr.manual_seed(args.seed)
    full = best.architecture.build(X.shape[1], 10, generator=args.seed)
    train_model(full, X, y, args.epochs, lr=args.lr, generator=args.seed)
    test_full = accuracy(full, Xt, yt)
    search = time.perf_counter() - start
    print(f"{args.dataset}: best of {args.cycles} architectures ({args.epochs} epochs each): "
          f"{best.architecture.describe()} ({best.parameters:,} parameters); validation "
          f"{best.val_accuracy:.4f}, test {test:.4f}, test retrained on train+val "
          f"{test_full:.4f}; search wall-clock {search:.0f} s")
    result = {"architecture": best.architecture.describe(), "val": best.val_accuracy,
              "test": test, "test_full": test_full, "seconds": search}
    if not args.no_baselines:
        result["baselines"] = baselines(args.dataset, X, y, Xt, yt, args.epochs, 1e-3,
                                        args.seed)
    if args.save:
        save_architecture(best, args.save)
    if args.draw:
        draw_architecture(best.architecture, args.draw, X.shape[1], 10)
    return result


if __name__ == "__main__":
    main()
