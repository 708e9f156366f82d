"""``fit``, ``evaluate`` and ``predict``: the training loop that most models need.

>>> model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
>>> opt = cr.optim.Adam(model.parameters(), lr=1e-3)
>>> history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=20, batch_size=64,
...               validation_split=0.1, metrics=["accuracy"], seed=0)
>>> evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test), metrics=["accuracy"])
{'loss': 0.08, 'accuracy': 0.975}
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..backend import as_numpy, device_of
from ..random import Generator, default_generator, rng
from ..tensor import Tensor
from .callbacks import Callback
from .history import History
from .metrics import get_metric
from .progress import ProgressBar

__all__ = ["Loop", "evaluate", "fit", "predict"]

DataT = Any  # a Dataset, a DataLoader, or a tuple (X, y) of arrays or tensors


# -- data ------------------------------------------------------------------------------


def _as_array(fname: str, what: str, a) -> Any:
    """A tensor's or array's data, float64 turned float32 (the dtype of the weights)."""
    if isinstance(a, Tensor):
        a = a.array
    elif not hasattr(a, "shape"):
        try:
            a = np.asarray(a)
        except Exception:
            raise TypeError(f"{fname}: {what} must be an array or a Tensor, got "
                            f"{type(a).__name__}") from None
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    if a.ndim == 0:
        raise ValueError(f"{fname}: {what} must have a first (sample) dimension, got a scalar")
    return a


def _is_loader(data) -> bool:
    return not hasattr(data, "__getitem__") and hasattr(data, "__iter__")


def _dataset(fname: str, what: str, data):
    """A Dataset for ``data`` (a tuple (X, y) or a Dataset); None for a DataLoader."""
    from ..data import TensorDataset

    if isinstance(data, (tuple, list)):
        if len(data) != 2:
            raise ValueError(
                f"{fname}: {what} as a tuple must be (inputs, targets), got {len(data)} items"
            )
        X, y = (_as_array(fname, f"{what} inputs", data[0]),
                _as_array(fname, f"{what} targets", data[1]))
        if len(X) != len(y):
            raise ValueError(
                f"{fname}: {what} has {len(X)} inputs but {len(y)} targets"
            )
        if len(X) == 0:
            raise ValueError(f"{fname}: {what} is empty")
        from ..data.validate import check_finite

        check_finite(X, fname, f"{what} inputs")
        check_finite(y, fname, f"{what} targets")
        return TensorDataset(X, y)
    if _is_loader(data):
        return None
    if hasattr(data, "__getitem__") and hasattr(data, "__len__"):
        if len(data) == 0:
            raise ValueError(f"{fname}: {what} is empty")
        if isinstance(data, TensorDataset):  # its arrays are at hand: check them once
            from ..data.validate import check_finite

            for i, t in enumerate(data.tensors):
                check_finite(t.array, fname, f"{what} tensor {i}")
        return data
    raise TypeError(
        f"{fname}: {what} must be a tuple (X, y), a Dataset or a DataLoader, got "
        f"{type(data).__name__}"
    )


def _loader(fname: str, what: str, data, batch_size: int, shuffle: bool, generator):
    from ..data import DataLoader

    ds = _dataset(fname, what, data)
    if ds is None:
        return data
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _split(fname: str, dataset, fraction: float, generator) -> tuple:
    from ..data import Subset

    n = len(dataset)
    n_val = int(round(n * fraction))
    if n_val < 1 or n_val >= n:
        raise ValueError(
            f"{fname}: validation_split={fraction} leaves {n - n_val} training and {n_val} "
            f"validation samples of {n}; both need at least one"
        )
    order = rng(generator).permutation(n)
    return Subset(dataset, order[n_val:]), Subset(dataset, order[:n_val])


def _pair(fname: str, batch) -> tuple:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(
        f"{fname}: each batch must be a pair (inputs, targets), got "
        f"{type(batch).__name__}{f' of {len(batch)} items' if hasattr(batch, '__len__') else ''}"
    )


def _device(model) -> str:
    for p in model.parameters():
        return device_of(p.array)
    return "cpu"


def _to(x, device: str):
    if isinstance(x, Tensor):
        return x if device == "cpu" and device_of(x.array) == "cpu" else x.to(device)
    return Tensor(x).to(device) if device != "cpu" else Tensor(x)


def _num_samples(loader) -> int | None:
    ds = getattr(loader, "dataset", None)
    if ds is None or not hasattr(ds, "__len__"):
        return None
    n = len(ds)
    if getattr(loader, "drop_last", False):
        n -= n % loader.batch_size
    return n


# -- checks ----------------------------------------------------------------------------


def _check_int(fname: str, name: str, v, low: int) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
        raise ValueError(f"{fname}: {name} must be an int >= {low}, got {v!r}")
    return int(v)


def _check_model(fname: str, model) -> None:
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"{fname}: model must be a chainrule.nn.Module, got "
                        f"{type(model).__name__}")


def _metrics(metrics) -> list[tuple[str, Callable]]:
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    return [get_metric(m) for m in metrics]


def _scalar_loss(fname: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fname}: loss must return a Tensor, got {type(value).__name__}")
    if value.numel() != 1:
        raise ValueError(
            f"{fname}: loss must return a scalar, got shape {value.shape} (use reduction='mean')"
        )
    return value


class _Collector:
    """Gathers a pass's outputs and targets (only when metrics need them)."""

    def __init__(self, metrics: list[tuple[str, Callable]]):
        self.metrics = metrics
        self.outputs: list = []
        self.targets: list = []

    def add(self, out: Tensor, y) -> None:
        if self.metrics:
            self.outputs.append(as_numpy(out.array))
            self.targets.append(as_numpy(y.array if isinstance(y, Tensor) else np.asarray(y)))

    def results(self, prefix: str = "") -> dict[str, float]:
        if not self.metrics or not self.outputs:
            return {}
        out, y = np.concatenate(self.outputs), np.concatenate(self.targets)
        return {prefix + name: float(f(out, y)) for name, f in self.metrics}


def _data_parallel():
    """chainrule.distributed's side of fit when mpirun started 2+ ranks, else None."""
    from ..distributed.fit import data_parallel

    return data_parallel()


# -- the loop --------------------------------------------------------------------------


class Loop:
    """The running fit that callbacks see: model, optimizer, epochs, history, flags."""

    def __init__(self, model, loss, optimizer, callbacks: list[Callback], epochs: int,
                 generator: Generator, verbose: int, loader=None) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.callbacks = callbacks
        self.epochs = epochs
        self.generator = generator
        self.verbose = verbose
        self.loader = loader
        self.initial_epoch = 0
        self.epoch = -1
        self.stop_training = False
        self.num_samples: int | None = None
        self.history = next(c for c in callbacks if isinstance(c, History))
        self.forward = model  # what a step calls: the model, or its DDP wrapper under mpirun
        self.dist = None  # chainrule.distributed.fit.DataParallelFit under mpirun

    def _call(self, hook: str, *args) -> None:
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def training_state(self) -> dict:
        """Everything a checkpoint needs to resume this run after the current epoch."""
        loader_gen = getattr(self.loader, "generator", None)
        rngs = {"shuffle": self.generator.get_state(),
                "default": default_generator().get_state()}
        if isinstance(loader_gen, Generator) and loader_gen is not self.generator:
            rngs["loader"] = loader_gen.get_state()
        return {
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch + 1,
            "rng": rngs,
            "history": self.history.state_dict(),
            "callbacks": {
                f"{i}.{type(c).__name__}": c.state_dict()
                for i, c in enumerate(self.callbacks) if c.state_dict()
            },
        }

    def save(self, path: str | os.PathLike, metadata: dict[str, str] | None = None) -> None:
        """Write a full training checkpoint (resumable with ``fit(..., resume=path)``)."""
        from .checkpoint import save_checkpoint

        state = self.training_state()
        save_checkpoint(path, self.model, epoch=state.pop("epoch"), metadata=metadata,
                        extra=state)

    def resume(self, path: str | os.PathLike) -> None:
        """Load a full checkpoint written by ``save`` and continue after its epoch."""
        from .checkpoint import load_checkpoint

        info = load_checkpoint(path, self.model, None)
        if not info["full"] or "rng" not in info:
            raise ValueError(
                f"fit: resume={str(path)!r} holds only weights, not a training state; save "
                f"with ModelCheckpoint(save_weights_only=False)"
            )
        if "optimizer" in info:
            self.optimizer.load_state_dict(info["optimizer"])
        self.initial_epoch = int(info["epoch"])
        rngs = info["rng"]
        self.generator.set_state(rngs["shuffle"])
        default_generator().set_state(rngs["default"])
        loader_gen = getattr(self.loader, "generator", None)
        if "loader" in rngs and isinstance(loader_gen, Generator):
            loader_gen.set_state(rngs["loader"])
        self.history.load_state_dict(info["history"])
        saved = info.get("callbacks", {})
        for i, c in enumerate(self.callbacks):
            key = f"{i}.{type(c).__name__}"
            if key in saved:
                c.load_state_dict(saved[key])


def fit(
    model,
    loss: Callable,
    optimizer,
    train_data: DataT,
    epochs: int = 1,
    batch_size: int | None = None,
    *,
    validation_data: DataT | None = None,
    validation_split: float | None = None,
    shuffle: bool = True,
    metrics: Sequence[str | Callable] | None = None,
    callbacks: Iterable[Callback] | None = None,
    seed: int | None = None,
    verbose: int = 1,
    resume: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs; returns the ``History`` of per-epoch logs.

    ``train_data``: a tuple ``(X, y)`` of arrays or tensors, a Dataset (batched with
    ``batch_size``, default 32, reshuffled each epoch) or a DataLoader (used as it is).
    ``loss(output, target)`` must return a scalar Tensor. ``metrics`` are names or
    functions (``chainrule.train.metrics``), computed over each whole epoch and, with
    validation data (``validation_data``, or a random ``validation_split`` fraction of
    ``train_data``), on it too as ``val_<name>``. ``seed`` seeds the shuffling and, with
    ``cr.manual_seed``, the default generator (dropout): the same seed gives the same run.
    ``verbose``: 0 silent, 1 progress bar (one line per epoch when stdout is not a
    terminal), 2 one line per epoch. ``resume``: a full checkpoint written by
    ``ModelCheckpoint``; training continues after its epoch up to ``epochs``.
    """
    _check_model("fit", model)
    if not callable(loss):
        raise TypeError(f"fit: loss must be callable (e.g. nn.CrossEntropyLoss()), got {loss!r}")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got "
                        f"{type(optimizer).__name__}")
    epochs = _check_int("fit", "epochs", epochs, 1)
    if batch_size is not None:
        batch_size = _check_int("fit", "batch_size", batch_size, 1)
        if _is_loader(train_data):
            raise ValueError("fit: batch_size is set by the DataLoader; do not pass batch_size")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        raise TypeError(f"fit: seed must be an int or None, got {seed!r}")
    if validation_split is not None:
        if validation_data is not None:
            raise ValueError("fit: pass validation_data or validation_split, not both")
        if not isinstance(validation_split, (int, float)) or not 0 < validation_split < 1:
            raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split!r}")
        if _is_loader(train_data):
            raise ValueError("fit: validation_split needs a tuple (X, y) or a Dataset, not a "
                             "DataLoader; pass validation_data")
    metric_fns = _metrics(metrics)
    callbacks = list(callbacks or [])
    for c in callbacks:
        if not isinstance(c, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got {c!r}")

    dist = _data_parallel()
    if dist is not None:
        seed = dist.common_seed(seed)
    if seed is not None:
        default_generator().manual_seed(dist.dropout_seed(seed) if dist else int(seed))
        generator = Generator(int(seed))
    else:
        generator = Generator(int(rng(None).integers(2**63)))
    batch_size = batch_size or 32

    if validation_split is not None:
        train_data, validation_data = _split(
            "fit", _dataset("fit", "train_data", train_data), validation_split, generator)
    if dist is not None and not _is_loader(train_data):
        loader = dist.train_loader(_dataset("fit", "train_data", train_data), batch_size,
                                   shuffle, seed)
    else:
        loader = _loader("fit", "train_data", train_data, batch_size, shuffle, generator)
    val_loader = None
    if dist is not None and validation_data is not None and not _is_loader(validation_data):
        val_loader = dist.eval_loader(_dataset("fit", "validation_data", validation_data),
                                      max(batch_size, 256))
    elif validation_data is not None:
        val_loader = _loader("fit", "validation_data", validation_data, max(batch_size, 256),
                             False, None)

    history = History()
    all_callbacks = [history, *callbacks]
    if verbose and not any(isinstance(c, ProgressBar) for c in callbacks):
        all_callbacks.append(ProgressBar(verbose))
    if dist is not None:  # the progress bar, logs, checkpoints and messages: rank 0 alone
        all_callbacks = [c for c in all_callbacks if dist.keeps(c)]
        verbose = verbose if dist.main else 0
    all_callbacks.sort(key=lambda c: c.order)  # stable: equal orders keep the user's order
    loop = Loop(model, loss, optimizer, all_callbacks, epochs, generator, verbose, loader)
    loop.num_samples = _num_samples(loader)
    for c in all_callbacks:
        c.set_loop(loop)
    if resume is not None:
        loop.resume(resume)
    if dist is not None:
        loop.dist, loop.forward = dist, dist.wrap(model)
        default_generator().manual_seed(dist.dropout_seed(seed, loop.initial_epoch))
    device = _device(model)

    loop._call("on_train_begin", {})
    logs: dict[str, float] = {}
    try:
        for epoch in range(loop.initial_epoch, epochs):
            loop.epoch = epoch
            loop._call("on_epoch_begin", epoch, {})
            if dist is not None:
                dist.begin_epoch(loader, epoch)
            logs = _train_epoch(loop, loader, metric_fns, device)
            if val_loader is not None:
                val = _evaluate(model, loss, val_loader, metric_fns, device, "fit", dist)
                logs.update({"val_" + k: v for k, v in val.items()})
            loop._call("on_epoch_end", epoch, logs)
            if dist is not None:  # a callback on one rank may stop: all must stop together
                loop.stop_training = dist.agree(loop.stop_training)
            if loop.stop_training:
                break
    finally:
        model.train()
    loop._call("on_train_end", logs)
    return history


def _train_epoch(loop: Loop, loader, metric_fns, device: str) -> dict[str, float]:
    model, loss_fn, opt, dist = loop.model, loop.loss, loop.optimizer, loop.dist
    model.train()
    collector = _Collector(metric_fns)
    total, seen = 0.0, 0
    for i, batch in enumerate(loader):
        x, y = _pair("fit", batch)
        x, y = _to(x, device), _to(y, device)
        loop._call("on_train_batch_begin", i, {})
        out = loop.forward(x)
        value = _scalar_loss("fit", loss_fn(out, y))
        v = float(value.item())
        bad = not math.isfinite(v)
        if dist is not None:  # under mpirun every rank raises at the same step, or none
            bad = dist.agree(bad)
        if bad:  # before the step, so the weights stay as they were
            raise _nonfinite_loss(loop, x, y, v, i)
        opt.zero_grad()
        value.backward()
        loop._call("on_before_optimizer_step", i)
        opt.step()
        n = len(x)
        stop = loop.stop_training
        if dist is not None:  # this step's global loss; stop when any rank asks
            v, n, stop = dist.step(v, n, stop)
            loop.stop_training = stop
        total += v * n
        seen += n
        collector.add(out, y)
        loop._call("on_train_batch_end", i, {"loss": v, "size": n})
        # Under mpirun only the agreed stop ends the epoch here (every rank must take the
        # same steps); a stop that a callback asked just now is agreed at the next step.
        if stop if dist is not None else loop.stop_training:
            break
    if seen == 0:
        raise ValueError("fit: the training data gave no batches")
    return {"loss": total / seen,
            **(collector.results() if dist is None else dist.results(collector))}


def _nonfinite_loss(loop: Loop, x, y, v: float, batch: int) -> FloatingPointError:
    """The error for a loss that became NaN or infinite, with its cause and a fitting hint.

    Runs only once training has already failed: it looks at the batch and the weights,
    then re-runs the batch's forward pass under ``detect_anomaly`` to name the first op
    that produced a non-finite value.
    """
    from ..autograd import detect_anomaly

    where = f"fit: the loss became {v} at epoch {loop.epoch + 1}, batch {batch + 1}"
    if math.isfinite(v):  # under mpirun: this rank's loss is fine, another rank's is not
        return FloatingPointError(f"fit: the loss became non-finite on another rank at epoch "
                                  f"{loop.epoch + 1}, batch {batch + 1}; that rank's error "
                                  f"names the cause")
    for name, t in (("inputs", x), ("targets", y)):
        a = as_numpy(t.array if isinstance(t, Tensor) else np.asarray(t))
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            return FloatingPointError(f"{where}: the batch's {name} hold NaN or infinite "
                                      f"values; clean the data before training")
    bad = [k for k, p in loop.model.named_parameters()
           if not np.isfinite(as_numpy(p.array)).all()]
    if bad:
        return FloatingPointError(
            f"{where}: some weights ({', '.join(bad[:3])}) are already non-finite (an "
            f"earlier step diverged, or they were loaded so); lower the learning rate or "
            f"clip the gradients (GradientClipping(max_norm=1.0))")
    try:
        with no_grad(), detect_anomaly():
            loop.loss(loop.model(x), y)
        cause = "re-running the batch under detect_anomaly found no non-finite op (the " \
                "model is not deterministic?)"
    except FloatingPointError as e:
        cause = str(e).split("\n")[0].replace("detect_anomaly: ", "").rstrip(".")
    lr = loop.optimizer.param_groups[0].get("lr") if hasattr(loop.optimizer, "param_groups") \
        else None
    hint = (f"lower the learning rate (now {lr:g}), scale the inputs to about unit size"
            if isinstance(lr, (int, float)) else "scale the inputs to about unit size")
    return FloatingPointError(f"{where}: {cause}; {hint}, or use a loss that takes logits "
                              f"(CrossEntropyLoss, BCEWithLogitsLoss) rather than "
                              f"probabilities")


def _evaluate(model, loss, loader, metric_fns, device: str, fname: str,
              dist=None) -> dict[str, float]:
    was_training = model.training
    model.eval()
    collector = _Collector(metric_fns)
    total, seen = 0.0, 0
    try:
        with no_grad():
            for batch in loader:
                x, y = _pair(fname, batch)
                x, y = _to(x, device), _to(y, device)
                out = model(x)
                if loss is not None:
                    total += float(_scalar_loss(fname, loss(out, y)).item()) * len(x)
                seen += len(x)
                collector.add(out, y)
    finally:
        model.train(was_training)
    if dist is not None:  # this rank's share may be empty; the sums over ranks are not
        total, seen = dist.sums(total, seen)
    if seen == 0:
        raise ValueError(f"{fname}: the data gave no batches")
    logs = {"loss": total / seen} if loss is not None else {}
    logs.update(collector.results() if dist is None else dist.results(collector))
    return logs


def evaluate(
    model,
    loss: Callable | None,
    data: DataT,
    metrics: Sequence[str | Callable] | None = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """The mean ``loss`` and the ``metrics`` of ``model`` on ``data``, in eval mode and
    without recording gradients.

    >>> evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test), metrics=["accuracy"])
    {'loss': 0.081, 'accuracy': 0.975}
    """
    _check_model("evaluate", model)
    if loss is not None and not callable(loss):
        raise TypeError(f"evaluate: loss must be callable or None, got {loss!r}")
    batch_size = _check_int("evaluate", "batch_size", batch_size, 1)
    metric_fns = _metrics(metrics)
    if loss is None and not metric_fns:
        raise ValueError("evaluate: nothing to compute; pass a loss or metrics")
    loader = _loader("evaluate", "data", data, batch_size, False, None)
    return _evaluate(model, loss, loader, metric_fns, _device(model), "evaluate")


def predict(model, X, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for the inputs ``X`` (an array, a Tensor, a Dataset or a
    DataLoader whose batches are inputs or (inputs, targets)), as one NumPy array."""
    _check_model("predict", model)
    batch_size = _check_int("predict", "batch_size", batch_size, 1)
    if isinstance(X, (Tensor, np.ndarray)) or (hasattr(X, "shape") and hasattr(X, "dtype")):
        from ..data import DataLoader, TensorDataset

        loader = DataLoader(TensorDataset(_as_array("predict", "X", X)), batch_size=batch_size)
    elif isinstance(X, (list, tuple)):
        raise TypeError("predict: X must be an array, a Tensor, a Dataset or a DataLoader, got "
                        f"a {type(X).__name__}; pass np.asarray(X)")
    else:
        loader = _loader("predict", "X", X, batch_size, False, None) \
            if not _is_loader(X) else X
    device = _device(model)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            for batch in loader:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                outputs.append(as_numpy(model(_to(x, device)).array))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: X holds no samples")
    return np.concatenate(outputs)
