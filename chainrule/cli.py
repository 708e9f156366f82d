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
import csv
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .cli_checks import check_config, read_inputs
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


def _load_raw(config: dict, data_dir: str | None, download: bool = False) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` raw as the files hold them; fills in the
    config's ``input_shape``, ``num_classes``, ``task`` and ``divide``."""
    from . import data
    from .data.validate import check_labels

    name = config["dataset"]
    if name == "digits":
        X, y = data.load_digits()
        config.update(input_shape=[1, 8, 8], divide=16.0)
        return _split(X.reshape(-1, 1, 8, 8), y, 360)
    if name in ("mnist", "fashion-mnist"):
        load = data.load_mnist if name == "mnist" else data.load_fashion_mnist
        config.update(input_shape=[1, 28, 28], divide=255.0)
        try:
            X_test, y_test = load(data_dir, split="test", download=download)
        except FileNotFoundError as e:
            missing = str(e).split(": ", 1)[-1].split(";")[0]
            raise CLIError(f"--dataset {name}: {missing}; pass --data-dir DIR (the folder that "
                           f"holds {name.replace('-', '_')}/ or the .gz files), set "
                           f"CHAINRULE_DATA, or add --download to fetch the files (checked "
                           f"against their MD5 sums)") from None
        try:
            X_train, y_train = load(data_dir, split="train", download=download)
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
        X, y = _load_table(config)
        if y.dtype.kind == "i":
            check_labels(y, "train", f"{path} column {config['target']!r}", first_row=1)
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


def _load_table(config: dict) -> tuple[np.ndarray, np.ndarray]:
    """A csv dataset's X and y; records its columns, and the class names and one-hot
    categories of its text columns, in the config (a saved run's are applied instead)."""
    from .data import load_csv

    path, target = config["csv"], config["target"]
    X, y, config["columns"], classes, categories = load_csv(
        path, target, return_columns=True, return_classes=True, return_categories=True,
        classes=config.get("classes"), categories=config.get("categories"))
    if classes is not None:
        config["classes"] = classes
        if config.setdefault("num_classes", len(classes)) != len(classes):
            raise CLIError(f"{path} column {target!r} holds text labels but the model was "
                           f"trained on {config['num_classes']} numbered classes")
    if categories:
        config["categories"] = categories
    width = config.get("input_shape", [X.shape[1]])
    if [X.shape[1]] != width:
        raise CLIError(f"{path} now encodes {X.shape[1]} inputs (a text column was added?) "
                       f"but the model takes {width[0]}")
    return X, y


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


def _load_data(config: dict, data_dir: str | None,
               download: bool = False) -> dict[str, np.ndarray]:
    from .data.validate import check_finite, check_labels

    config.setdefault("task", "classification")
    X_train, y_train, X_test, y_test = _load_raw(config, data_dir, download)
    for what, a in (("training inputs", X_train), ("test inputs", X_test)):
        check_finite(a, "train", f"the {config['dataset']} {what}")
    if config["task"] == "classification":
        labels = np.concatenate([y_train, y_test])
        config.setdefault("num_classes", check_labels(labels, "train", "the labels"))
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
    state = obj["model"] if "model" in obj and isinstance(obj["model"], dict) else obj
    config = check_config(json.loads(meta[CONFIG_KEY]), state, f"checkpoint {path}")
    model = _build(config)
    try:
        check_state_dict(model, state, f"checkpoint {path} does not fit model "
                                       f"{config['model']!r}")
    except ValueError as e:
        raise CLIError(str(e)) from None
    model.load_state_dict(state)
    return model, config


def _cosine(epoch: int, start: int, lr0: float, end: int, lo: float) -> float:
    """The rate at ``epoch`` of a cosine from ``lr0`` at ``start`` down to ``lo`` at ``end``."""
    t = min(max(epoch - start, 0), max(end - start, 1))
    return lo + (lr0 - lo) * (1 + math.cos(math.pi * t / max(end - start, 1))) / 2


def CosineDecay(optimizer, lr: float, epochs: int):  # noqa: N802 - builds a Callback
    """The ``chainrule train`` schedule: cosine decay from ``lr`` to ``lr / 100`` over the
    run's epochs (not to 0, so a resumed run can train further).

    A run resumed with more ``--epochs`` decays from the rate it had reached down to
    ``lr / 100`` at the new last epoch; a periodic cosine (``CosineAnnealingLR`` with the
    old ``T_max``) would instead send the rate back up after its period.
    """
    from .train import Callback

    class _CosineDecay(Callback):
        order = -10  # before the history, so the logged lr is the one used

        def __init__(self) -> None:
            super().__init__()
            self.optimizer, self.lr, self.epochs = optimizer, lr, epochs
            self.start = (0, lr)  # (epoch, rate) the current decay starts from

        def rate(self, epoch: int) -> float:
            return _cosine(epoch, *self.start, self.epochs, self.lr / 100)

        def on_epoch_begin(self, epoch, logs=None) -> None:
            for group in self.optimizer.param_groups:
                group["lr"] = self.rate(epoch)

        def on_epoch_end(self, epoch, logs=None) -> None:
            if logs is not None:
                logs["lr"] = float(self.optimizer.param_groups[0]["lr"])

        def state_dict(self) -> dict:
            return {"start_epoch": self.start[0], "start_lr": self.start[1],
                    "epochs": self.epochs}

        def load_state_dict(self, state: dict) -> None:
            start = (int(state["start_epoch"]), float(state["start_lr"]))
            if int(state["epochs"]) == self.epochs:
                self.start = start
                return
            # Another length than the saved run's: decay from the rate of its last trained
            # epoch down to lr/100 at the new last epoch.
            last = (self.loop.initial_epoch if self.loop is not None else start[0]) - 1
            old = _cosine(last, *start, int(state["epochs"]), self.lr / 100)
            self.start = (last, old)

    return _CosineDecay()


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
    if args.data_dir:  # evaluate and --resume find the files again without --data-dir
        config["data_dir"] = str(Path(args.data_dir).resolve())
    return config


def _cmd_train(args) -> int:
    from .distributed.fit import main_process
    from .train import CSVLogger, ModelCheckpoint, evaluate, fit, save_checkpoint
    from .train.checkpoint import CONFIG_KEY

    if args.resume:
        if not Path(args.resume).is_file():
            raise CLIError(f"--resume: no such checkpoint: {args.resume}")
        from .io import load

        obj, meta = load(args.resume, return_metadata=True)
        if CONFIG_KEY not in meta:
            raise CLIError(f"--resume: {args.resume} has no chainrule config")
        state = obj["model"] if isinstance(obj.get("model"), dict) else obj
        config = check_config(json.loads(meta[CONFIG_KEY]), state, f"--resume: {args.resume}")
        if args.epochs is not None:
            config["epochs"] = args.epochs
        out = Path(args.out) if args.out else Path(args.resume).parent
    else:
        config = _train_config(args)
        default = f"{config['dataset']}-{config['model']}" if config["dataset"] != "csv" else \
            f"csv-{Path(config['csv']).stem}-{config['model']}"
        out = Path(args.out) if args.out else Path("runs") / default
        held = [n for n in ("model.safetensors", "checkpoint.safetensors") if (out / n).exists()]
        if held and not args.overwrite:
            raise CLIError(f"--out {out} already holds a run ({', '.join(held)}); continue it "
                           f"with --resume {out / 'checkpoint.safetensors'}, choose another "
                           f"--out, or pass --overwrite")
    data = _load_data(config, args.data_dir or config.get("data_dir"), args.download)
    out.mkdir(parents=True, exist_ok=True)

    model = _build(config)
    loss = _loss(config)
    opt = _optimizer(config, model)
    schedule = CosineDecay(opt, config["lr"], config["epochs"])
    meta = {CONFIG_KEY: json.dumps(config, sort_keys=True)}
    X, y = data["X_train"], data["y_train"]
    n_val = max(1, len(X) // 10)
    order = np.random.default_rng(SPLIT_SEED + 1).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    n_params = sum(p.numel() for p in model.parameters())
    main = main_process()  # under mpirun all ranks train; rank 0 alone prints and writes
    if not args.quiet and main:
        print(f"chainrule train: {config['dataset']} ({len(train):,} train / {n_val:,} val / "
              f"{len(data['X_test']):,} test), {config['model']} ({n_params:,} parameters), "
              f"{config['optimizer']} lr {config['lr']:g}, {config['epochs']} epochs, "
              f"seed {config['seed']}", flush=True)
    callbacks = [
        schedule,
        CSVLogger(out / "history.csv"),
        ModelCheckpoint(out / "checkpoint.safetensors", monitor="loss", metadata=meta),
    ]
    if args.tensorboard:
        from .train import TensorBoard

        callbacks.append(TensorBoard(args.tensorboard, hparams=config))
    try:
        history = fit(model, loss, opt, (X[train], y[train]), epochs=config["epochs"],
                      batch_size=config["batch_size"], validation_data=(X[val], y[val]),
                      metrics=_metrics(config), callbacks=callbacks, seed=config["seed"],
                      verbose=0 if args.quiet else 1, resume=args.resume)
    except KeyboardInterrupt:
        print(f"\nchainrule train: interrupted; continue with: chainrule train --resume "
              f"{out / 'checkpoint.safetensors'}", file=sys.stderr)
        return 130
    if not main:
        return 0
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
    data = _load_data(config, args.data_dir or config.get("data_dir"), args.download)
    results = evaluate(model, _loss(config), (data["X_test"], data["y_test"]),
                       metrics=_metrics(config) + (["f1"] if config["task"] != "regression"
                                                   else []),
                       batch_size=args.batch_size)
    if args.json:
        print(json.dumps(results))
    else:
        print(_results_line(config, results, len(data["X_test"])))
    return 0


def _cmd_predict(args) -> int:
    from .train import predict

    model, config = _load_model(args.checkpoint)
    X = read_inputs(args.input, config)
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
        # a run trained on text labels prints their names; csv quotes a name with a comma
        names = config.get("classes") or [str(c) for c in range(p.shape[1])]
        cols = ["prediction"] + ([f"p_{c}" if config.get("classes") else f"p{c}"
                                  for c in names] if args.probabilities else [])
        lines.append(cols)
        for row in p:
            cells = [names[int(row.argmax())]]
            if args.probabilities:
                cells += [f"{v:.4f}" for v in row]
            lines.append(cells)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(lines)
        lines = buffer.getvalue().splitlines()
    text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {len(out)} predictions to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# -- the parser ------------------------------------------------------------------------


def _threads_argument(parser) -> None:
    parser.add_argument("--threads", type=int, metavar="N",
                        help="BLAS threads (default: one per idle core, from the load average)")


def _thread_limit(args):
    """A context that applies --threads, or one BLAS thread per idle core (saying so when
    the machine is busy); the pools are restored when the command ends."""
    import contextlib

    if not hasattr(args, "threads"):
        return contextlib.nullcontext()
    from . import threads

    n = args.threads
    if n is not None and n < 1:
        raise CLIError(f"--threads must be >= 1, got {n}")
    try:
        limits = threads._threadpoolctl().threadpool_limits
    except ImportError:  # threadpoolctl missing: leave the pools as they are
        if n is not None:
            raise
        return contextlib.nullcontext()
    if n is None:
        n = threads.auto_threads()
        cores = threads.auto_threads(load=0.0)
        if n < cores and args.command == "train" and not args.quiet:
            # stdout: stderr carries only the one-line errors, and predict's stdout is data
            print(f"chainrule train: {cores - n} of {cores} cores are busy; using {n} BLAS "
                  f"thread{'s' * (n > 1)} (--threads N to choose)", flush=True)
    return limits(n)


def _version_line() -> str:
    import platform

    import numpy as np

    from . import __version__

    return (f"chainrule {__version__} (Python {platform.python_version()}, "
            f"NumPy {np.__version__})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, evaluate and use small neural networks with chainrule.",
    )
    parser.add_argument("--version", action="version", version=_version_line())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("train", help="train a model (default: an MLP on digits)",
                       description="Train a model; writes model.safetensors, "
                                   "checkpoint.safetensors, history.csv and loss.png.")
    t.add_argument("--dataset", default="digits",
                   help=f"one of {', '.join(DATASETS)} (default: digits)")
    t.add_argument("--target", help="the label column of a csv:PATH dataset (numbers or names)")
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
    t.add_argument("--download", action="store_true",
                   help="download a missing MNIST/Fashion-MNIST file (checked by MD5)")
    t.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue a run from its checkpoint.safetensors")
    t.add_argument("--overwrite", action="store_true",
                   help="train into an --out directory that already holds a run")
    t.add_argument("--quiet", action="store_true", help="print only the test result")
    _threads_argument(t)
    t.add_argument("--tensorboard", metavar="DIR", help="log the run for TensorBoard into DIR")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a checkpoint on its dataset's test split",
                       description="Rebuild the model a checkpoint describes and report its "
                                   "test loss and metrics.")
    e.add_argument("checkpoint", help="model.safetensors written by 'chainrule train'")
    e.add_argument("--data-dir", help="where dataset files are (default: the run's)")
    e.add_argument("--download", action="store_true",
                   help="download a missing MNIST/Fashion-MNIST file (checked by MD5)")
    e.add_argument("--batch-size", type=int, default=256, help="batch size (default: 256)")
    e.add_argument("--json", action="store_true", help="print the results as JSON")
    _threads_argument(e)
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
    _threads_argument(p)
    p.set_defaults(func=_cmd_predict)

    from .diagnose import doctor

    d = sub.add_parser("doctor", help="diagnose gradient flow in a model for a few steps",
                       description="Train a model for a few steps, print the per-layer "
                                   "gradient report and its findings, and write the plots.")
    doctor.add_arguments(d)
    d.set_defaults(func=doctor.run)

    from .playground import server as playground

    g = sub.add_parser("playground", help="train a network in the browser (a local web app)")
    playground.add_arguments(g).set_defaults(func=playground.run)

    from .evolve import cli as evolve_cli

    v = sub.add_parser("evolve", help="train without backprop: CMA-ES, ES, GA on gymnasium or "
                                      "digits", description=evolve_cli.__doc__.split("\n")[0])
    evolve_cli.add_arguments(v)
    v.set_defaults(func=evolve_cli.run)

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
        with _thread_limit(args):
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
        from .distributed.world import abort_if_parallel

        abort_if_parallel(2)  # under mpirun: end every rank rather than leave them waiting
        return 2
