"""``TensorBoard``: a callback that logs a ``fit`` run for TensorBoard, as Keras' does.

The event files are written by chainrule's own writer
(:class:`chainrule.utils.tensorboard.SummaryWriter`: TFRecord framing with masked
CRC-32C and hand-encoded Event protobufs), so logging adds no dependency; the
``tensorboard`` package is needed only to look: ``tensorboard --logdir logs``.

>>> fit(model, loss, opt, (X, y), epochs=10, validation_split=0.1, metrics=["accuracy"],
...     callbacks=[TensorBoard("logs/run1", histogram_freq=1, hparams={"lr": 1e-3})])
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from .callbacks import Callback

__all__ = ["TensorBoard"]


class TensorBoard(Callback):
    """Log losses, metrics, the learning rate and optionally weights, gradients, gradient
    norms, hyperparameters and the model graph to ``log_dir``.

    Runs and tags follow Keras: ``log_dir/train`` holds ``epoch_loss``, ``epoch_<metric>``
    and ``epoch_learning_rate`` (step: the epoch) and ``batch_loss`` (step: the global
    batch number); ``log_dir/validation`` holds the ``val_*`` results under the same
    ``epoch_*`` tags, so that TensorBoard draws train and validation on one chart.

    Args:
        log_dir: the directory of the runs.
        update_freq: ``"batch"`` (the default: every training step's loss), ``"epoch"``
            (no batch scalars) or an int N (every N-th step).
        histogram_freq: every this many epochs (0: never), a histogram of each parameter
            (``weights/<name>``) and of its gradient from the epoch's last step
            (``gradients/<name>``), in the train run.
        gradient_norms: every N-th step (``True``: every 10th), each layer's gradient norm
            as measured by :class:`chainrule.diagnose.GradientMonitor`
            (``gradient_norm/<layer>``).
        write_graph: write the model's graph (through the ONNX exporter, with the first
            training batch as the example; needs ``onnx``).
        hparams: hyperparameters for TensorBoard's HPARAMS tab (values other than numbers,
            strings and bools are written as their text), with the final epoch's results
            as its metrics (``hparams/<name>``), in the run ``log_dir/hparams`` at the end
            of training.
    """

    order = 20  # after the schedulers and the history: the logs are complete

    def __init__(self, log_dir: str | os.PathLike = "logs", update_freq: str | int = "batch",
                 histogram_freq: int = 0, gradient_norms: bool | int = False,
                 write_graph: bool = False, hparams: dict | None = None) -> None:
        super().__init__()
        if update_freq not in ("batch", "epoch") and (
                not isinstance(update_freq, int) or isinstance(update_freq, bool)
                or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'batch', 'epoch' or a positive "
                             f"int, got {update_freq!r}")
        if not isinstance(histogram_freq, int) or isinstance(histogram_freq, bool) or \
                histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, got "
                             f"{histogram_freq!r}")
        if not isinstance(gradient_norms, (bool, int)) or (
                not isinstance(gradient_norms, bool) and gradient_norms < 1):
            raise ValueError(f"TensorBoard: gradient_norms must be a bool or a positive int, "
                             f"got {gradient_norms!r}")
        if hparams is not None and not isinstance(hparams, dict):
            raise TypeError(f"TensorBoard: hparams must be a dict, got "
                            f"{type(hparams).__name__}")
        self.log_dir = str(log_dir)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.histogram_freq = histogram_freq
        every = 10 if gradient_norms is True else int(gradient_norms)
        self.gradient_norms = every if gradient_norms else 0
        self.write_graph = write_graph
        self.hparams = dict(hparams) if hparams else None
        self.step = 0
        self._writers: dict = {}
        self._monitor = None
        self._graph_hook = None

    # -- writers ------------------------------------------------------------------------

    def _writer(self, run: str):
        from ..utils.tensorboard import SummaryWriter

        if run not in self._writers:
            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}

    # -- hooks --------------------------------------------------------------------------

    def on_train_begin(self, logs=None) -> None:
        self._close()
        self.step = 0
        self._writer("train")
        if self.gradient_norms:
            from ..diagnose import GradientMonitor

            self._monitor = GradientMonitor(every=self.gradient_norms)
            self._monitor.set_loop(self.loop)
            self._monitor.on_train_begin(logs)
        if self.write_graph:
            from .._optional import require

            require("onnx", extra="onnx", feature="TensorBoard(write_graph=True)")
            self._graph_hook = self.model.register_forward_pre_hook(self._capture_input)

    def _capture_input(self, module, inputs) -> None:
        self._graph_input = inputs
        self._graph_hook.remove()
        self._graph_hook = None

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if self._monitor is not None:
            self._monitor.on_train_batch_begin(batch, logs)

    def on_before_optimizer_step(self, batch: int) -> None:
        if self._monitor is not None:
            self._monitor.on_before_optimizer_step(batch)

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        logs = logs or {}
        if self.update_freq != "epoch" and self.step % self.update_freq == 0 and "loss" in logs:
            self._writer("train").add_scalar("batch_loss", logs["loss"], self.step)
        if self._monitor is not None:
            measured = self.step % self._monitor.every == 0
            self._monitor.on_train_batch_end(batch, logs)
            if measured:
                w = self._writer("train")
                for name, stats in self._monitor.probe.layers.items():
                    if stats.grad_norm:
                        w.add_scalar(f"gradient_norm/{name}", stats.grad_norm[-1], self.step)
        if getattr(self, "_graph_input", None) is not None:
            self._add_graph(self._graph_input)
            self._graph_input = None
        self.step += 1

    def _add_graph(self, inputs) -> None:
        from ..onnx import UnsupportedModuleError

        try:
            self._writer("train").add_graph(self.model, tuple(inputs))
        except UnsupportedModuleError as exc:
            warnings.warn(f"TensorBoard: no graph written: {exc}", RuntimeWarning,
                          stacklevel=2)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        train, val = self._writer("train"), None
        for key, value in logs.items():
            if not isinstance(value, (int, float, np.number)):
                continue
            if key.startswith("val_"):
                val = val or self._writer("validation")
                val.add_scalar(f"epoch_{key[4:]}", value, epoch)
            elif key != "lr":
                train.add_scalar(f"epoch_{key}", value, epoch)
        groups = getattr(self.loop.optimizer, "param_groups", [])
        for i, group in enumerate(groups):
            if "lr" in group:
                tag = "epoch_learning_rate" if len(groups) == 1 else \
                    f"epoch_learning_rate/group{i}"
                train.add_scalar(tag, float(group["lr"]), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                train.add_histogram(f"weights/{name}", p.numpy(), epoch)
                if p.grad is not None:
                    train.add_histogram(f"gradients/{name}", p.grad.numpy(), epoch)
        for w in self._writers.values():
            w.flush()
        self._last_logs = dict(logs)

    def on_train_end(self, logs=None) -> None:
        if self._graph_hook is not None:
            self._graph_hook.remove()
            self._graph_hook = None
        if self.hparams is not None:
            final = getattr(self, "_last_logs", None) or logs or {}
            metrics = {f"hparams/{k}": float(v) for k, v in final.items()
                       if isinstance(v, (int, float, np.number))}
            # TensorBoard's hparams are numbers, strings or bools: others are shown as text.
            hparams = {k: v if isinstance(v, (bool, int, float, str, np.number)) else str(v)
                       for k, v in self.hparams.items()}
            self._writer("train").add_hparams(hparams, metrics, run_name="../hparams")
        self._close()
