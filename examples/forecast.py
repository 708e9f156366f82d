"""Time-series forecasting with a GRU or an LSTM against the naive last-value forecast.

The series is synthetic and reproducible: two seasonal cycles (periods 24 and 168, as in
hourly data with daily and weekly patterns), a slow random-walk level and noise. From the
last ``--window`` values the network predicts the value ``--horizon`` steps ahead; the
last 20% of the series is the test period.

    python examples/forecast.py --cell gru --epochs 30
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.models import SequenceClassifier
from chainrule.train import LRScheduler, fit, predict


def make_series(length: int, seed: int = 0) -> np.ndarray:
    """Daily and weekly cycles, a random-walk level and noise: float64 (length,)."""
    g = np.random.default_rng(seed)
    t = np.arange(length)
    level = np.cumsum(g.normal(0, 0.02, length))
    return (np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 168 + 1.0) + level
            + g.normal(0, 0.1, length))


def windows(series: np.ndarray, window: int, horizon: int):
    """Inputs (N, window) of past values and targets (N, 1), ``horizon`` steps ahead."""
    n = len(series) - window - horizon + 1
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]
    return series[idx], series[idx[:, -1] + horizon][:, None]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    parser.add_argument("--length", type=int, default=4000, help="length of the series")
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--horizon", type=int, default=6)
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    if args.length < 5 * (args.window + args.horizon):
        parser.error("--length must be at least 5 * (--window + --horizon)")

    series = make_series(args.length)
    split = int(0.8 * len(series))
    # scale with the training period's statistics only
    mean, std = series[:split].mean(), series[:split].std()
    z = ((series - mean) / std).astype(np.float32)
    X_train, y_train = windows(z[:split], args.window, args.horizon)
    X_test, y_test = windows(z[split - args.window - args.horizon + 1:], args.window,
                             args.horizon)

    cr.manual_seed(args.seed)
    model = SequenceClassifier((args.window,), 1, hidden_size=args.hidden_size, cell=args.cell)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    fit(model, nn.MSELoss(), opt, (X_train, y_train), epochs=args.epochs,
        batch_size=args.batch_size, validation_split=0.1, metrics=["mae"],
        callbacks=[LRScheduler(sched)], seed=args.seed, verbose=args.verbose)

    pred = predict(model, X_test) * std + mean
    truth = y_test * std + mean
    naive = X_test[:, -1:] * std + mean  # the last observed value
    result = {}
    for name, p in ((args.cell.upper(), pred), ("naive last value", naive)):
        mae = float(np.mean(np.abs(p - truth)))
        rmse = float(np.sqrt(np.mean((p - truth) ** 2)))
        result[name] = {"mae": mae, "rmse": rmse}
        print(f"{name:>16}: test MAE {mae:.4f}, RMSE {rmse:.4f} "
              f"({len(truth)} forecasts {args.horizon} steps ahead)")
    return result


if __name__ == "__main__":
    main()
