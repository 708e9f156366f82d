"""Callbacks: code that ``fit`` calls at fixed points of training, like Keras' callbacks.

A callback overrides any of the hooks below; ``self.loop`` is the running fit (its
``model``, ``optimizer``, ``epoch``, ``epochs``, ``history``, ``stop_training``...).
Setting ``self.loop.stop_training = True`` ends training after the current epoch.

>>> fit(model, loss, opt, (X, y), epochs=100, validation_split=0.1,
...     callbacks=[EarlyStopping(patience=5, restore_best_weights=True),
...                ModelCheckpoint("best.safetensors", save_best_only=True)])
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Callback", "CSVLogger", "EarlyStopping", "GradientClipping", "LRScheduler",
    "ModelCheckpoint",
]  # fmt: skip

_MAX_WORDS = ("acc", "precision", "recall", "f1", "r2")


class Callback:
    """Base class of callbacks: every hook does nothing until overridden."""

    #: Callbacks run in increasing ``order`` at each hook: schedulers first (so the
    #: logged ``lr`` is the one used), then the history, then the rest, the progress
    #: bar last.
    order: int = 0
    #: Under mpirun, run on rank 0 only (callbacks that print or write files).
    rank_zero_only: bool = False

    def __init__(self) -> None:
        self.loop: Any = None

    def set_loop(self, loop) -> None:
        """Attach the running fit (called by ``fit`` before training starts)."""
        self.loop = loop

    @property
    def model(self):
        return self.loop.model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """After the last epoch (or an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """After an epoch's training and validation; ``logs`` holds its results."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Before a training step."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """After a training step; ``logs`` holds ``loss`` and ``size`` of the batch."""

    def on_before_optimizer_step(self, batch: int) -> None:
        """Between ``loss.backward()`` and ``optimizer.step()``: the gradients are ready."""

    def state_dict(self) -> dict:
        """What a training checkpoint keeps of this callback, to resume it."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned."""


def _snapshot(model) -> dict:
    """A copy of the model's state dict that later training steps leave alone."""
    from ..creation import tensor

    return {k: tensor(v) for k, v in model.state_dict().items()}


def _mode(fname: str, mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{fname}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if any(w in monitor for w in _MAX_WORDS) else "min"
    return mode


def _monitored(fname: str, logs: dict | None, monitor: str) -> float:
    logs = logs or {}
    if monitor not in logs:
        hint = " (pass validation_data or validation_split to fit)" \
            if monitor.startswith("val_") else ""
        raise KeyError(
            f"{fname}: monitor {monitor!r} is not in the logs {sorted(logs)}{hint}"
        )
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An improvement is a change of more than ``min_delta`` in the right direction
    (``mode``: 'min', 'max', or 'auto' from the name). ``baseline``: the value the first
    epochs must beat, else training stops after ``patience`` epochs. ``target``: stop as
    soon as the monitored value reaches it (a loss at or below, an accuracy at or above).
    ``restore_best_weights`` puts back the weights of the best epoch at the end.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        target: float | None = None,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        self.monitor = monitor
        self.mode = _mode("EarlyStopping", mode, monitor)
        self.min_delta = float(min_delta)
        self.patience = patience
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.target = target
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        worst = math.inf if self.mode == "min" else -math.inf
        self.best = worst if self.baseline is None else float(self.baseline)
        self.best_weights: dict | None = None

    def _better(self, a: float, b: float, delta: float) -> bool:
        return a < b - delta if self.mode == "min" else a > b + delta

    def on_train_begin(self, logs=None) -> None:
        if self.loop.initial_epoch == 0:
            self._reset()

    def on_epoch_end(self, epoch, logs=None) -> None:
        current = _monitored("EarlyStopping", logs, self.monitor)
        if epoch < self.start_from_epoch or math.isnan(current):
            return
        if self._better(current, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
        else:
            self.wait += 1
        reached = self.target is not None and not self._better(self.target, current, 0.0)
        if reached or self.wait >= max(self.patience, 1):
            self.stopped_epoch = epoch
            self.loop.stop_training = True

    def on_train_end(self, logs=None) -> None:
        last = self.loop.epoch
        if self.restore_best_weights and self.best_weights is not None \
                and self.best_epoch != last:
            self.model.load_state_dict(self.best_weights)
            if self.loop.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1} "
                      f"({self.monitor} {self.best:.4g})")

    def state_dict(self) -> dict:
        # The best weights travel with the checkpoint: a run resumed after its best epoch
        # must still be able to restore them at the end.
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.wait, self.best, self.best_epoch = state["wait"], state["best"], state["best_epoch"]
        self.stopped_epoch = state.get("stopped_epoch")
        self.best_weights = state.get("best_weights")


class ModelCheckpoint(Callback):
    """Save the model (and, unless ``save_weights_only``, the whole training state) after
    each epoch, as safetensors written atomically.

    ``path`` may hold fields filled from the epoch's logs: ``"ckpt-{epoch:02d}-
    {val_loss:.3f}.safetensors"`` (``epoch`` counted from 1). With ``save_best_only``
    the file is written only when ``monitor`` improves. A full checkpoint resumes a run
    exactly: ``fit(..., resume=path)``. A weights-only file is a plain state dict that
    PyTorch's ``safetensors.torch.load_file`` reads too.
    """

    order = 10
    rank_zero_only = True

    def __init__(
        self,
        path: str | os.PathLike,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        save_weights_only: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: path must be a str or a path, got {path!r}")
        self.path = str(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = _mode("ModelCheckpoint", mode, monitor)
        self.save_weights_only = save_weights_only
        self.metadata = metadata
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path: Path | None = None

    def on_train_begin(self, logs=None) -> None:
        directory = Path(self.path).parent
        if str(directory) and not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = _monitored("ModelCheckpoint", logs, self.monitor)
            improved = current < self.best if self.mode == "min" else current > self.best
            if not improved:
                return
            self.best = current
        try:
            path = Path(self.path.format(epoch=epoch + 1, **logs))
        except (KeyError, ValueError, IndexError) as e:
            raise ValueError(
                f"ModelCheckpoint: cannot fill path {self.path!r} from epoch and logs "
                f"{sorted(logs)}: {e}"
            ) from None
        from .checkpoint import save_checkpoint

        if self.save_weights_only:
            save_checkpoint(path, self.model, metadata=self.metadata, weights_only=True)
        else:
            self.loop.save(path, metadata=self.metadata)
        self.last_path = path

    def state_dict(self) -> dict:
        return {"best": self.best,
                "last_path": None if self.last_path is None else str(self.last_path)}

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
        last = state.get("last_path")
        self.last_path = None if last is None else Path(last)


def _is_plateau(scheduler) -> bool:
    return type(scheduler).__name__ == "ReduceLROnPlateau" or hasattr(scheduler, "num_bad_epochs")


class LRScheduler(Callback):
    """Step a learning-rate scheduler after every epoch (or batch) and log ``lr``.

    ``ReduceLROnPlateau`` is stepped with the monitored value (``monitor``; by default
    ``val_loss`` when there is validation data, else ``loss``).

    >>> sched = cr.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    >>> fit(..., callbacks=[LRScheduler(sched)])
    """

    order = -10

    def __init__(self, scheduler, monitor: str | None = None, interval: str = "epoch") -> None:
        super().__init__()
        if not hasattr(scheduler, "step"):
            raise TypeError(
                f"LRScheduler: scheduler must have a step() method, got "
                f"{type(scheduler).__name__}"
            )
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRScheduler: interval must be 'epoch' or 'batch', got {interval!r}")
        if interval == "batch" and _is_plateau(scheduler):
            raise ValueError("LRScheduler: ReduceLROnPlateau steps once per epoch, on a metric")
        self.scheduler = scheduler
        self.monitor = monitor
        self.interval = interval

    def _lr(self) -> float:
        return float(self.scheduler.optimizer.param_groups[0]["lr"])

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None) -> None:
        if logs is not None:
            logs["lr"] = self._lr()  # the rate this epoch trained with
        if self.interval != "epoch":
            return
        if _is_plateau(self.scheduler):
            monitor = self.monitor or ("val_loss" if "val_loss" in (logs or {}) else "loss")
            self.scheduler.step(_monitored("LRScheduler", logs, monitor))
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state["scheduler"])


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` then the logs) to a CSV file.

    The file is started afresh unless ``append`` or the run resumes a checkpoint.
    """

    order = 5
    rank_zero_only = True

    def __init__(self, path: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: path must be a str or a path, got {path!r}")
        self.path = Path(path)
        self.separator = separator
        self.append = append
        self.keys: list[str] | None = None

    def on_train_begin(self, logs=None) -> None:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keys = None
        if (self.append or self.loop.initial_epoch > 0) and self.path.is_file():
            with open(self.path) as f:
                header = f.readline().strip()
            if header:
                self.keys = header.split(self.separator)[1:]
            if self.loop.initial_epoch > 0:
                self._truncate_after(self.loop.initial_epoch)
        elif self.path.exists():
            self.path.unlink()

    def _truncate_after(self, epochs: int) -> None:
        """Drop rows past the resumed epoch (written after the checkpoint was saved)."""
        with open(self.path) as f:
            lines = f.readlines()
        with open(self.path, "w") as f:
            f.writelines(lines[: 1 + epochs])

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        new = self.keys is None
        if new:
            self.keys = list(logs)
        sep = self.separator
        with open(self.path, "a") as f:
            if new:
                f.write(sep.join(["epoch", *self.keys]) + "\n")
            row = [str(epoch + 1)] + [_fmt(logs.get(k, "")) for k in self.keys]
            f.write(sep.join(row) + "\n")


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


class GradientClipping(Callback):
    """Rescale the gradients so their total norm is at most ``max_norm`` before each step
    (``chainrule.nn.utils.clip_grad_norm_``); logs the mean pre-clip norm as
    ``grad_norm``."""

    order = -5  # before the history, which records the grad_norm it logs

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        super().__init__()
        if not isinstance(max_norm, (int, float)) or isinstance(max_norm, bool) \
                or not max_norm > 0:
            raise ValueError(f"GradientClipping: max_norm must be > 0, got {max_norm!r}")
        self.max_norm = float(max_norm)
        self.norm_type = norm_type
        self._norms: list[float] = []

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._norms = []

    def on_before_optimizer_step(self, batch) -> None:
        from ..nn.utils import clip_grad_norm_

        norm = clip_grad_norm_(self.model.parameters(), self.max_norm, self.norm_type)
        self._norms.append(float(norm))

    def on_epoch_end(self, epoch, logs=None) -> None:
        if logs is not None and self._norms:
            logs["grad_norm"] = float(np.mean(self._norms))

