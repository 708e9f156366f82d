"""``chainrule doctor``: train a model for a few steps and diagnose its gradient flow.

    chainrule doctor                              # the MLP on digits: no findings
    chainrule doctor --model deep-sigmoid         # 10 sigmoid layers, small weights: vanishing
    chainrule doctor --model deep-relu --out doc  # the fix: ReLU + He init; writes the plots
    python -m chainrule.diagnose.doctor --model mlp --lr 50   # exploding

Prints the per-layer table and the findings of ``gradient_report``; with ``--out``, writes
``gradient_flow.png`` and ``gradient_norms.png`` there.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

from ..optim.presets import OPTIMIZERS, default_lr, make_optimizer

__all__ = ["MODELS", "add_arguments", "build", "deep_mlp", "main", "run"]

DATASETS = ("digits", "mnist1d")
MODELS = ("mlp", "deep-sigmoid", "deep-relu", "deep-tanh")


class DoctorError(Exception):
    """A user error: printed as one line, exit status 2."""


def deep_mlp(in_features: int, num_classes: int, depth: int = 10, width: int = 64,
             activation: str = "sigmoid", init: str = "small"):
    """``depth`` x (Linear(width) -> activation), then a linear head.

    ``init``: "small" draws weights from N(0, 0.05^2) (the classic vanishing-gradient
    setup), "he" uses kaiming_normal_ (for ReLU), "xavier" xavier_normal_ (for tanh); biases
    start at 0.
    """
    from .. import nn

    acts = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
    if activation not in acts:
        raise ValueError(f"deep_mlp: activation must be one of {sorted(acts)}, got "
                         f"{activation!r}")
    if init not in ("small", "he", "xavier"):
        raise ValueError(f"deep_mlp: init must be 'small', 'he' or 'xavier', got {init!r}")
    for name, v in (("in_features", in_features), ("num_classes", num_classes),
                    ("depth", depth), ("width", width)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"deep_mlp: {name} must be a positive integer, got {v!r}")
    layers, n = [], in_features
    for _ in range(depth):
        lin = nn.Linear(n, width)
        if init == "small":
            nn.init.normal_(lin.weight, 0.0, 0.05)
        elif init == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers += [lin, acts[activation]()]
        n = width
    layers.append(nn.Linear(n, num_classes))
    return nn.Sequential(*layers)


def build(name: str, in_features: int, num_classes: int, depth: int = 10, width: int = 64):
    """The model ``name`` (one of MODELS) for vectors of ``in_features``."""
    if name == "mlp":
        from ..models import mlp

        return mlp((in_features,), num_classes)
    if name == "deep-sigmoid":
        return deep_mlp(in_features, num_classes, depth, width, "sigmoid", "small")
    if name == "deep-relu":
        return deep_mlp(in_features, num_classes, depth, width, "relu", "he")
    if name == "deep-tanh":
        return deep_mlp(in_features, num_classes, depth, width, "tanh", "xavier")
    raise DoctorError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def _load(name: str):
    from .. import data

    if name == "digits":
        return data.load_digits(scale=True)
    if name == "mnist1d":
        X, y, _, _ = data.load_mnist1d()
        return X, y
    raise DoctorError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``doctor`` options to ``parser`` (a subcommand's parser); returns it."""
    parser.add_argument("--dataset", default="digits", choices=DATASETS,
                        help="dataset (default: digits, scaled to [0, 1])")
    parser.add_argument("--model", default="mlp", choices=MODELS,
                        help="mlp (2 hidden ReLU layers), deep-sigmoid (small-init sigmoid "
                             "layers), deep-relu (He-initialised ReLU layers), deep-tanh "
                             "(Xavier-initialised tanh layers) (default: mlp)")
    parser.add_argument("--depth", type=int, default=10,
                        help="hidden layers of the deep-* models (default: 10)")
    parser.add_argument("--width", type=int, default=64,
                        help="units per hidden layer of the deep-* models (default: 64)")
    parser.add_argument("--steps", type=int, default=20, help="training steps (default: 20)")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="samples per step (default: 256)")
    parser.add_argument("--optimizer", default="sgd", choices=list(OPTIMIZERS),
                        help="optimizer (default: sgd)")
    parser.add_argument("--lr", type=float,
                        help="learning rate (default: 0.05 for sgd, with momentum 0.9; else "
                             "1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", help="folder for gradient_flow.png and gradient_norms.png")
    return parser


def _check(args) -> None:
    for name in ("steps", "batch_size", "depth", "width"):
        v = getattr(args, name)
        if v < 1:
            raise DoctorError(f"--{name.replace('_', '-')} must be a positive integer, got {v}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise DoctorError(f"--lr must be a positive number, got {args.lr}")
    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise DoctorError(f"--out {args.out} exists and is not a folder")


def _diagnose(args) -> int:
    import chainrule as cr

    from .. import nn
    from .plots import plot_gradient_flow, plot_gradient_norms
    from .report import gradient_report

    _check(args)
    if args.out is not None:  # before training: a bad folder fails at once
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise DoctorError(f"cannot create the folder --out {args.out}: {e.strerror}") \
                from None
    X, y = _load(args.dataset)
    X = np.asarray(X, np.float32).reshape(len(X), -1)
    cr.manual_seed(args.seed)
    model = build(args.model, X.shape[1], int(y.max()) + 1, args.depth, args.width)
    lr = default_lr(args.optimizer) if args.lr is None else args.lr
    opt = make_optimizer(args.optimizer, model.parameters(), lr)
    print(f"chainrule doctor: {args.model} on {args.dataset} ({len(X)} samples), "
          f"{args.steps} steps of {args.optimizer} lr={lr:g}, batch {args.batch_size}, "
          f"seed {args.seed}\n")
    report = gradient_report(model, nn.CrossEntropyLoss(), X, y, steps=args.steps,
                             optimizer=opt, batch_size=args.batch_size, generator=args.seed)
    print(report)
    if args.out is not None:
        if any(s.grad_norm for s in report.layers):
            print()
            for name, plot in (("gradient_flow.png", plot_gradient_flow),
                               ("gradient_norms.png", plot_gradient_norms)):
                print(f"wrote {plot(report, os.path.join(args.out, name))}")
    return 0


def run(args) -> int:
    """Run ``chainrule doctor`` with parsed ``args``; returns the exit status (0, or 2 with
    a one-line message on stderr for a user error; ``CHAINRULE_DEBUG=1`` re-raises)."""
    try:
        return _diagnose(args)
    except (DoctorError, ValueError, TypeError, OSError, ImportError, RuntimeError) as e:
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        print(f"chainrule doctor: {e}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """``python -m chainrule.diagnose.doctor [options]``."""
    parser = argparse.ArgumentParser(
        prog="chainrule doctor",
        description="Train a model for a few steps and diagnose its gradient flow: "
                    "vanishing or exploding gradients, dead ReLUs, saturated units, NaN.")
    return run(add_arguments(parser).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
