"""Callbacks: early stopping, checkpoints, schedulers, CSV logs, clipping, progress."""

import io
import math

import numpy as np
import pytest

import chainrule.optim as optim
from chainrule import nn
from chainrule.io import load
from chainrule.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    LRScheduler,
    ModelCheckpoint,
    ProgressBar,
    fit,
    load_checkpoint,
    read_config,
)

from .helpers import blobs, small_mlp, weights


class _Scripted(Callback):
    """Overwrites the logged ``score`` with a scripted sequence (an easy monitor)."""

    order = -50

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]


def _fit(callbacks, epochs=10, model=None, lr=0.02, **kw):
    model = model or small_mlp()
    X, y = blobs(64)
    opt = optim.Adam(model.parameters(), lr=lr)
    kw.setdefault("verbose", 0)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=16,
            callbacks=callbacks, seed=0, **kw)
    return model, opt, h


def test_early_stopping_patience_and_min_delta():
    scores = [5, 4, 3.95, 3.9, 3.97, 2, 1, 1, 1, 1]
    _, _, h = _fit([_Scripted(scores), EarlyStopping("score", patience=2, min_delta=0.1)])
    # epoch index 1 (4) is the last improvement by more than 0.1; two more epochs and stop
    assert h.epoch == [0, 1, 2, 3]
    _, _, h = _fit([_Scripted(scores), EarlyStopping("score", patience=0)])
    assert h.epoch == [0, 1, 2, 3, 4]  # stops at the first non-improvement


def test_early_stopping_target_baseline_and_max_mode():
    _, _, h = _fit([_Scripted([5, 3, 0.5, 0.1, 0.1, 0.1, 0, 0, 0, 0]),
                    EarlyStopping("score", target=0.5, patience=100)])
    assert h.epoch == [0, 1, 2]  # reached the target loss at the third epoch
    _, _, h = _fit([_Scripted([0.1, 0.2, 0.95, 0.2, 0, 0, 0, 0, 0, 0]),
                    EarlyStopping("score", mode="max", target=0.9, patience=99)])
    assert h.epoch == [0, 1, 2]
    _, _, h = _fit([_Scripted([3, 2.5, 2.2, 2.1, 1, 1, 1, 1, 1, 1]),
                    EarlyStopping("score", baseline=2.0, patience=3)])
    assert h.epoch == [0, 1, 2]  # never beat the baseline within patience


def test_early_stopping_restores_best_weights():
    snapshots = []

    class Snap(Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(weights(self.model))

    model, _, h = _fit([_Scripted([5, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
                        EarlyStopping("score", patience=3, restore_best_weights=True), Snap()])
    assert len(h.epoch) == 5
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, snapshots[1][k])


def test_early_stopping_errors():
    with pytest.raises(KeyError, match="monitor 'val_loss' is not in the logs .*validation"):
        _fit([EarlyStopping()])
    with pytest.raises(ValueError, match="patience must be an int >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")


def test_model_checkpoint_best_only_and_formatted_paths(tmp_path):
    scores = [5, 3, 4, 2, 6]
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="score", save_best_only=True,
                           save_weights_only=True)
    each = ModelCheckpoint(tmp_path / "e{epoch:02d}-{score:.1f}.safetensors", monitor="score")
    saved = []

    class Spy(Callback):
        order = 20  # after the checkpoints

        def on_epoch_end(self, epoch, logs=None):
            saved.append((best.last_path, weights(self.model)))

    model, _, _ = _fit([_Scripted(scores), best, each, Spy()], epochs=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.safetensors", "e01-5.0.safetensors", "e02-3.0.safetensors",
        "e03-4.0.safetensors", "e04-2.0.safetensors", "e05-6.0.safetensors"]
    flat = load(tmp_path / "best.safetensors")  # weights only: a plain state dict
    assert set(flat) == set(model.state_dict())
    for k, v in flat.items():
        np.testing.assert_array_equal(v.numpy(), saved[3][1][k])  # epoch 4 had the best score
    info = load_checkpoint(tmp_path / "e03-4.0.safetensors", small_mlp())
    assert info["full"] and info["epoch"] == 3 and "optimizer" in info


def test_model_checkpoint_metadata_config(tmp_path):
    from chainrule.train.checkpoint import CONFIG_KEY
    ck = ModelCheckpoint(tmp_path / "c.safetensors", monitor="loss",
                         metadata={CONFIG_KEY: '{"model": "mlp"}'})
    _fit([ck], epochs=1)
    assert read_config(tmp_path / "c.safetensors") == {"model": "mlp"}


def test_checkpoint_into_the_wrong_model_names_the_keys(tmp_path):
    from chainrule.train import save_checkpoint
    save_checkpoint(tmp_path / "m.safetensors", small_mlp(hidden=8), weights_only=True)
    with pytest.raises(ValueError, match=r"does not fit the model: shape mismatch"
                                         r" .*0.weight \(8, 4\) vs \(16, 4\)"):
        load_checkpoint(tmp_path / "m.safetensors", small_mlp(hidden=16))
    with pytest.raises(ValueError, match="missing keys 3.weight, 3.bias"):
        load_checkpoint(tmp_path / "m.safetensors", nn.Sequential(
            nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Linear(3, 3)))
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_lr_scheduler_steps_and_logs_lr():
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    X, y = blobs(32)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, callbacks=[LRScheduler(sched)],
            verbose=0)
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)  # 5 steps: 0.1 * 0.5 ** (5 // 2)


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    X, y = blobs(32)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=6, verbose=0,
            callbacks=[_Scripted([3, 3, 3, 3, 3, 3]), LRScheduler(sched, monitor="score")])
    # no improvement after the first epoch: halved once more than `patience` epochs are bad
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    with pytest.raises(ValueError, match="ReduceLROnPlateau steps once per epoch"):
        LRScheduler(sched, interval="batch")


def test_batch_interval_scheduler():
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    X, y = blobs(32)
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=16, verbose=0,
        callbacks=[LRScheduler(sched, interval="batch")])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 4)


def test_csv_logger(tmp_path):
    path = tmp_path / "sub" / "log.csv"
    _fit([CSVLogger(path)], epochs=3, metrics=["accuracy"])
    rows = [r.split(",") for r in path.read_text().splitlines()]
    assert rows[0] == ["epoch", "loss", "accuracy"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert all(0 <= float(r[2]) <= 1 for r in rows[1:])
    _fit([CSVLogger(path)], epochs=2)  # a new run starts the file afresh
    assert len(path.read_text().splitlines()) == 3
    _fit([CSVLogger(path, append=True)], epochs=2)
    assert len(path.read_text().splitlines()) == 5


def test_gradient_clipping_bounds_the_norm():
    norms = []

    class Probe(Callback):
        order = 50  # after the clipping

        def on_before_optimizer_step(self, batch):
            g = [p.grad.numpy() for p in self.model.parameters()]
            norms.append(math.sqrt(sum(float((a ** 2).sum()) for a in g)))

    _, _, h = _fit([GradientClipping(0.01), Probe()], epochs=2)
    assert max(norms) <= 0.01 * (1 + 1e-4)
    assert h.history["grad_norm"][0] > 0.01  # the unclipped norms were larger
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        GradientClipping(0)


def test_progress_lines_when_not_a_terminal():
    out = io.StringIO()
    _fit([ProgressBar(1, file=out)], epochs=3, metrics=["accuracy"])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3 - loss ") and "accuracy" in lines[0]
    assert "samples/s" in lines[0]


def test_verbose_zero_prints_nothing(capsys):
    _fit([], epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    _fit([], epochs=2, verbose=2)
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_progress_bar_on_a_terminal():
    pytest.importorskip("tqdm")

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    _fit([ProgressBar(1, file=out)], epochs=2)
    text = out.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "sample/s" in text
    assert "loss" in text


def test_progress_bar_keeps_every_metric_visible_at_80_columns(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setenv("COLUMNS", "80")

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    X, y = blobs(32, seed=1)
    _fit([ProgressBar(1, file=out)], epochs=1, metrics=["accuracy"],
         validation_data=(X, y))
    metric_lines = [ln for ln in out.getvalue().replace("\r", "\n").splitlines()
                    if ln.startswith("  ")]
    assert metric_lines, out.getvalue()
    joined = " ".join(metric_lines)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "samples/s"):
        assert f"{name} " in joined or name in joined
    assert all(len(ln) <= 80 for ln in metric_lines)


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match="callbacks must be Callback instances"):
        _fit([lambda: None])
