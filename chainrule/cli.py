"""The ``chainrule`` command: train, evaluate and predict with the model zoo.

    chainrule train                      # an MLP on scikit-learn's digits, offline
    chainrule train --dataset mnist --model cnn --data-dir ../shared/datasets
    chainrule evaluate runs/digits-mlp/model.safetensors
    chainrule predict runs/digits-mlp/model.safetensors samples.csv

Every error is one line on stderr and exit status 2 (set ``CHAINRULE_DEBUG=1`` for the
traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .optim.presets import OPTIMIZERS, default_lr, make_optimizer

__all__ = ["main"]

DATASETS = ("digits", "mnist", "fashion-mnist", "mnist1d", "csv:PATH")
#: Epochs when --epochs is not given, by dataset then model.
DEFAULT_EPOCHS = {
    "digits": {"mlp": 30, "cnn": 15, "gru": 30},
    "mnist": {"mlp": 15, "cnn": 8, "gru": 10},
    "fashion-mnist": {"mlp": 15, "cnn": 8, "gru": 10},
    "mnist1d": {"mlp": 60, "cnn": 60, "gru": 60},
    "csv": {"mlp": 50, "cnn": 50, "gru": 50},
}
SPLIT_SEED = 0  # the train/test split is fixed, whatever --seed is


class CLIError(Exception):
    """A user error: printed as one line, exit status 2."""


# -- data ------------------------------------------------------------------------------


def _permutation(n: int) -> np.ndarray:
    return np.random.default_rng(SPLIT_SEED).permutation(n)


def _split(X, y, n_test: int):
    order = _permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def _load_raw(config: dict, data_dir: str | None) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` raw as the files hold them; fills in the
    config's ``input_shape``, ``num_classes``, ``task`` and ``divide``."""
    from . import data

    name = config["dataset"]
    if name == "digits":
        X, y = data.load_digits()
        config.update(input_shape=[1, 8, 8], divide=16.0)
        return _split(X.reshape(-1, 1, 8, 8), y, 360)
    if name in ("mnist", "fashion-mnist"):
        load = data.load_mnist if name == "mnist" else data.load_fashion_mnist
        config.update(input_shape=[1, 28, 28], divide=255.0)
        X_test, y_test = load(data_dir, split="test")
        try:
            X_train, y_train = load(data_dir, split="train")
        except FileNotFoundError:
            # only the 10,000 test images at hand: split them 8,000 / 2,000
            X_train, y_train, X_test, y_test = _split(X_test, y_test, 2000)
            config["split"] = "test set split 8000/2000"
        return X_train[:, None], y_train, X_test[:, None], y_test
    if name == "mnist1d":
        config.update(input_shape=[40], divide=None)
        return data.load_mnist1d()
    if name == "csv":
        path = config["csv"]
        if not config.get("target"):
            raise CLIError("--dataset csv:PATH needs --target COLUMN")
        X, y = data.load_csv(path, config["target"])
        if len(X) < 5:
            raise CLIError(f"{path} has {len(X)} rows; need at least 5 to split off a test set")
        config.update(input_shape=[X.shape[1]], divide=None)
        X_train, y_train, X_test, y_test = _split(X, y, max(1, len(X) // 5))
        if "mean" not in config:  # standardise with the training rows' statistics
            config["mean"] = X_train.mean(axis=0).tolist()
            config["std"] = np.where(X_train.std(axis=0) > 0, X_train.std(axis=0), 1).tolist()
        if y.dtype.kind == "f":
            config.update(task="regression", num_classes=1)
        return X_train, y_train, X_test, y_test
    raise CLIError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def _prepare(config: dict, X: np.ndarray) -> np.ndarray:
    """Scale raw inputs as in training: divide, then standardise (csv)."""
    X = np.asarray(X, dtype=np.float32)
    if config.get("divide"):
        X = X / np.float32(config["divide"])
    if config.get("mean") is not None:
        X = (X - np.asarray(config["mean"], np.float32)) / np.asarray(config["std"], np.float32)
    return X


def _targets(config: dict, y: np.ndarray) -> np.ndarray:
    if config["task"] == "regression":
        return np.asarray(y, dtype=np.float32).reshape(-1, 1)
    return np.asarray(y, dtype=np.int64)


def _load_data(config: dict, data_dir: str | None) -> dict[str, np.ndarray]:
    config.setdefault("task", "classification")
    X_train, y_train, X_test, y_test = _load_raw(config, data_dir)
    if config["task"] == "classification":
        labels = np.concatenate([y_train, y_test])
        if labels.min() < 0:
            raise CLIError(f"class labels must be >= 0, found {labels.min()}")
        config.setdefault("num_classes", int(labels.max()) + 1)
    return {"X_train": _prepare(config, X_train), "y_train": _targets(config, y_train),
            "X_test": _prepare(config, X_test), "y_test": _targets(config, y_test)}


# -- models, losses, optimizers --------------------------------------------------------


def _build(config: dict):
    from . import random
    from .models import build_model

    random.manual_seed(config["seed"])
    return build_model(config["model"], config["input_shape"], config["num_classes"])


def _loss(config: dict):
    from . import nn

    return nn.MSELoss() if config["task"] == "regression" else nn.CrossEntropyLoss()


def _metrics(config: dict) -> list[str]:
    return ["mae", "r2"] if config["task"] == "regression" else ["accuracy"]


def _optimizer(config: dict, model):
    return make_optimizer(config["optimizer"], model.parameters(), config["lr"])


def _load_model(path: str):
    """The model a checkpoint describes, with its weights, and the checkpoint's config."""
    from .io import load
    from .train import check_state_dict
    from .train.checkpoint import CONFIG_KEY

    if not Path(path).is_file():
        raise CLIError(f"no such checkpoint: {path}")
    try:
        obj, meta = load(path, return_metadata=True)
    except ValueError as e:
        raise CLIError(f"{path} is not a safetensors checkpoint ({e})") from None
    if CONFIG_KEY not in meta:
        raise CLIError(f"checkpoint {path} has no chainrule config (was it written by "
                       f"'chainrule train'?)")
    config = json.loads(meta[CONFIG_KEY])
    state = obj["model"] if "model" in obj and isinstance(obj["model"], dict) else obj
    model = _build(config)
    try:
        check_state_dict(model, state, f"checkpoint {path} does not fit model "
                                       f"{config['model']!r}")
    except ValueError as e:
        raise CLIError(str(e)) from None
    model.load_state_dict(state)
    return model, config


# -- commands --------------------------------------------------------------------------


def _train_config(args) -> dict:
    dataset = args.dataset
    config: dict[str, Any] = {"model": args.model, "seed": args.seed}
    if dataset.startswith("csv:"):
        path = dataset[4:]
        if not path:
            raise CLIError("--dataset csv:PATH needs a file path after 'csv:'")
        if not Path(path).is_file():
            raise CLIError(f"--dataset: no such file: {path}")
        config.update(dataset="csv", csv=str(Path(path).resolve()), target=args.target)
    elif dataset in DATASETS:
        config["dataset"] = dataset
    else:
        raise CLIError(f"--dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
    if args.target and config["dataset"] != "csv":
        raise CLIError("--target is only for --dataset csv:PATH")
    epochs = args.epochs if args.epochs is not None else \
        DEFAULT_EPOCHS[config["dataset"]][args.model]
    if epochs < 1:
        raise CLIError(f"--epochs must be >= 1, got {epochs}")
    if args.batch_size < 1:
        raise CLIError(f"--batch-size must be >= 1, got {args.batch_size}")
    lr = args.lr if args.lr is not None else default_lr(args.optimizer)
    if not lr > 0 or not math.isfinite(lr):
        raise CLIError(f"--lr must be a positive number, got {lr}")
    config.update(epochs=epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=lr)
    return config


def _cmd_train(args) -> int:
    from . import optim
    from .train import CSVLogger, LRScheduler, ModelCheckpoint, evaluate, fit, save_checkpoint
    from .train.checkpoint import CONFIG_KEY

    if args.resume:
        if not Path(args.resume).is_file():
            raise CLIError(f"--resume: no such checkpoint: {args.resume}")
        from .io import load

        _, meta = load(args.resume, return_metadata=True)
        if CONFIG_KEY not in meta:
            raise CLIError(f"--resume: {args.resume} has no chainrule config")
        config = json.loads(meta[CONFIG_KEY])
        if args.epochs is not None:
            config["epochs"] = args.epochs
        out = Path(args.out) if args.out else Path(args.resume).parent
    else:
        config = _train_config(args)
        default = f"{config['dataset']}-{config['model']}" if config["dataset"] != "csv" else \
            f"csv-{Path(config['csv']).stem}-{config['model']}"
        out = Path(args.out) if args.out else Path("runs") / default
    data = _load_data(config, args.data_dir)
    out.mkdir(parents=True, exist_ok=True)

    model = _build(config)
    loss = _loss(config)
    opt = _optimizer(config, model)
    # cosine decay to 1% of the rate (not to 0, so a resumed run can train further)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"],
                                                     eta_min=config["lr"] / 100)
    meta = {CONFIG_KEY: json.dumps(config, sort_keys=True)}
    X, y = data["X_train"], data["y_train"]
    n_val = max(1, len(X) // 10)
    order = np.random.default_rng(SPLIT_SEED + 1).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    n_params = sum(p.size for p in model.parameters())
    if not args.quiet:
        print(f"chainrule train: {config['dataset']} ({len(train):,} train / {n_val:,} val / "
              f"{len(data['X_test']):,} test), {config['model']} ({n_params:,} parameters), "
              f"{config['optimizer']} lr {config['lr']:g}, {config['epochs']} epochs, "
              f"seed {config['seed']}", flush=True)
    callbacks = [
        LRScheduler(scheduler),
        CSVLogger(out / "history.csv"),
        ModelCheckpoint(out / "checkpoint.safetensors", monitor="loss", metadata=meta),
    ]
    try:
        history = fit(model, loss, opt, (X[train], y[train]), epochs=config["epochs"],
                      batch_size=config["batch_size"], validation_data=(X[val], y[val]),
                      metrics=_metrics(config), callbacks=callbacks, seed=config["seed"],
                      verbose=0 if args.quiet else 1, resume=args.resume)
    except KeyboardInterrupt:
        print(f"\nchainrule train: interrupted; continue with: chainrule train --resume "
              f"{out / 'checkpoint.safetensors'}", file=sys.stderr)
        return 130
    save_checkpoint(out / "model.safetensors", model, config=config, weights_only=True)
    results = evaluate(model, loss, (data["X_test"], data["y_test"]), metrics=_metrics(config))
    print(_results_line(config, results, len(data["X_test"])))
    written = ["model.safetensors", "checkpoint.safetensors", "history.csv"]
    try:
        history.plot(out / "loss.png")
        written.append("loss.png")
    except ImportError:
        print("chainrule train: matplotlib is not installed; no loss.png "
              "(pip install 'chainrule[train]')", file=sys.stderr)
    if not args.quiet:
        print(f"wrote {', '.join(str(out / w) for w in written)}")
    return 0


def _results_line(config: dict, results: dict, n: int) -> str:
    if config["task"] == "regression":
        return (f"test mse {results['loss']:.4f}, mae {results['mae']:.4f}, "
                f"r2 {results['r2']:.4f} ({n} samples)")
    acc = results["accuracy"]
    return f"test accuracy {acc:.4f} ({round(acc * n)}/{n}), test loss {results['loss']:.4f}"


def _cmd_evaluate(args) -> int:
    from .train import evaluate

    model, config = _load_model(args.checkpoint)
    data = _load_data(config, args.data_dir)
    results = evaluate(model, _loss(config), (data["X_test"], data["y_test"]),
                       metrics=_metrics(config) + (["f1"] if config["task"] != "regression"
                                                   else []),
                       batch_size=args.batch_size)
    if args.json:
        print(json.dumps(results))
    else:
        print(_results_line(config, results, len(data["X_test"])))
    return 0


def _read_inputs(path: str, config: dict) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"no such input file: {path}")
    if p.suffix == ".npy":
        try:
            X = np.load(p, allow_pickle=False)
        except ValueError as e:
            raise CLIError(f"{path} is not a readable .npy array ({e})") from None
        if X.dtype.kind not in "iuf":
            raise CLIError(f"{path} holds {X.dtype} values; expected numbers")
        return X
    if p.suffix != ".csv":
        raise CLIError(f"INPUT must be a .csv or .npy file, got {path}")
    with open(p, encoding="utf-8") as f:
        first = f.readline()
    cells = [c.strip() for c in first.split(",")]
    try:
        [float(c) for c in cells]
        header = None
    except ValueError:
        header = cells
    try:
        X = np.loadtxt(p, delimiter=",", skiprows=1 if header else 0, ndmin=2,
                       dtype=np.float64)
    except ValueError as e:
        raise CLIError(f"{path}: {e}") from None
    target = config.get("target")
    if header and target in header:  # the file has the label column: drop it
        X = np.delete(X, header.index(target), axis=1)
    return X


def _cmd_predict(args) -> int:
    from .train import predict

    model, config = _load_model(args.checkpoint)
    X = _read_inputs(args.input, config)
    shape = tuple(config["input_shape"])
    size = math.prod(shape)
    if X.ndim < 1 or X.size == 0 or X.size % size or \
            (X.shape[1:] != shape and math.prod(X.shape[1:]) != size):
        raise CLIError(
            f"{args.input}: samples of shape {X.shape[1:]} do not fit the model's input "
            f"{shape} ({size} values each)"
        )
    X = _prepare(config, X.reshape(-1, *shape))
    out = predict(model, X, batch_size=args.batch_size)
    lines = []
    if config["task"] == "regression":
        lines.append("prediction")
        lines += [f"{v:.6g}" for v in out.reshape(-1)]
    else:
        z = out - out.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        cols = ["prediction"] + ([f"p{c}" for c in range(p.shape[1])] if args.probabilities
                                 else [])
        lines.append(",".join(cols))
        for row in p:
            cells = [str(int(row.argmax()))]
            if args.probabilities:
                cells += [f"{v:.4f}" for v in row]
            lines.append(",".join(cells))
    text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {len(out)} predictions to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# -- the parser ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, evaluate and use small neural networks with chainrule.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("train", help="train a model (default: an MLP on digits)",
                       description="Train a model; writes model.safetensors, "
                                   "checkpoint.safetensors, history.csv and loss.png.")
    t.add_argument("--dataset", default="digits",
                   help=f"one of {', '.join(DATASETS)} (default: digits)")
    t.add_argument("--target", help="the label column of a csv:PATH dataset")
    t.add_argument("--model", default="mlp", choices=["mlp", "cnn", "gru"],
                   help="model architecture (default: mlp)")
    t.add_argument("--epochs", type=int, help="epochs (default: depends on dataset and model)")
    t.add_argument("--batch-size", type=int, default=32, help="batch size (default: 32)")
    t.add_argument("--optimizer", default="adam", choices=list(OPTIMIZERS),
                   help="optimizer (default: adam)")
    t.add_argument("--lr", type=float, help="learning rate (default: 0.05 for sgd, else 1e-3)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    t.add_argument("--out", help="output directory (default: runs/<dataset>-<model>)")
    t.add_argument("--data-dir", help="where dataset files are (default: $CHAINRULE_DATA or "
                                      "~/.cache/chainrule)")
    t.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue a run from its checkpoint.safetensors")
    t.add_argument("--quiet", action="store_true", help="print only the test result")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a checkpoint on its dataset's test split",
                       description="Rebuild the model a checkpoint describes and report its "
                                   "test loss and metrics.")
    e.add_argument("checkpoint", help="model.safetensors written by 'chainrule train'")
    e.add_argument("--data-dir", help="where dataset files are")
    e.add_argument("--batch-size", type=int, default=256, help="batch size (default: 256)")
    e.add_argument("--json", action="store_true", help="print the results as JSON")
    e.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("predict", help="predict for the samples in a .csv or .npy file",
                       description="Predict with a checkpoint. INPUT holds one raw sample per "
                                   "row (.csv) or along the first axis (.npy), scaled like "
                                   "the dataset's files (digits 0-16, MNIST 0-255).")
    p.add_argument("checkpoint", help="model.safetensors written by 'chainrule train'")
    p.add_argument("input", help="INPUT.csv or INPUT.npy")
    p.add_argument("--output", help="write the predictions to this CSV file (default: stdout)")
    p.add_argument("--probabilities", action="store_true",
                   help="add the class probabilities")
    p.add_argument("--batch-size", type=int, default=256, help="batch size (default: 256)")
    p.set_defaults(func=_cmd_predict)

    from .diagnose import doctor

    d = sub.add_parser("doctor", help="diagnose gradient flow in a model for a few steps",
                       description="Train a model for a few steps, print the per-layer "
                                   "gradient report and its findings, and write the plots.")
    doctor.add_arguments(d)
    d.set_defaults(func=doctor.run)

    # Listed for --help; main() hands "chainrule bench ..." to chainrule.benchmark.
    sub.add_parser("bench", help="time chainrule against PyTorch on this machine "
                                 "(chainrule bench --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default: the process's arguments)."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["bench"]:  # the benchmark parses its own options (--help included)
        from .benchmark import main as bench_main

        return bench_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line, no traceback: these are the user's errors
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        message = str(e) if isinstance(e, CLIError) else f"{e}"
        if isinstance(e, KeyError):
            message = str(e.args[0]) if e.args else repr(e)
        if not message:
            message = type(e).__name__
        print(f"chainrule {args.command}: {message}", file=sys.stderr)
        return 2
