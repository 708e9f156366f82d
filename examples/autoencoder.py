"""An autoencoder on scikit-learn's 8x8 digits; writes a PNG of test reconstructions.

The 64 pixels are squeezed through a small code and decoded back; the test error is
compared with PCA keeping as many components as the code has.

    python examples/autoencoder.py --code-size 8 --epochs 200 --out autoencoder.png
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.data import load_digits
from chainrule.train import LRScheduler, fit, predict


def autoencoder(code_size: int, hidden: int = 128) -> nn.Sequential:
    """64 -> hidden -> code -> hidden -> 64, pixels in [0, 1] through a sigmoid."""
    return nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, code_size),
        nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, 64), nn.Sigmoid(),
    )


def pca_error(X_train: np.ndarray, X_test: np.ndarray, k: int) -> float:
    """Mean squared error of the best rank-``k`` linear reconstruction (PCA)."""
    mean = X_train.mean(0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    V = Vt[:k].T
    rec = (X_test - mean) @ V @ V.T + mean
    return float(np.mean((rec - X_test) ** 2))


def save_png(path: str, originals: np.ndarray, reconstructions: np.ndarray) -> None:
    """Two rows of images: originals on top, reconstructions below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(originals)
    fig = Figure(figsize=(n * 0.9, 2.1), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        for row, images in enumerate((originals, reconstructions)):
            ax = axes[row][i]
            ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_ylabel("input")
    axes[1][0].set_ylabel("output")
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", default="autoencoder.png", help="PNG of reconstructions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    X, _ = load_digits(scale=True)
    order = np.random.default_rng(0).permutation(len(X))
    X_test, X_train = X[order[:360]], X[order[360:]]

    cr.manual_seed(args.seed)
    model = autoencoder(args.code_size)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    fit(model, nn.MSELoss(), opt, (X_train, X_train), epochs=args.epochs,
        batch_size=args.batch_size, callbacks=[LRScheduler(sched)], seed=args.seed,
        verbose=args.verbose)
    rec = predict(model, X_test)
    error = float(np.mean((rec - X_test) ** 2))
    baseline = pca_error(X_train, X_test, args.code_size)
    print(f"test reconstruction MSE {error:.4f} with a {args.code_size}-number code "
          f"(PCA with {args.code_size} components: {baseline:.4f})")
    try:
        save_png(args.out, X_test[:12], rec[:12])
        print(f"wrote {args.out}")
    except ImportError:
        print("matplotlib is not installed: no PNG (pip install 'chainrule[train]')")
    return {"mse": error, "pca_mse": baseline}


if __name__ == "__main__":
    main()
