"""Resuming from a checkpoint continues exactly as an uninterrupted run."""

import numpy as np

import chainrule.optim as optim
from chainrule import nn
from chainrule.data import TensorDataset
from chainrule.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRScheduler,
    ModelCheckpoint,
    fit,
    load_checkpoint,
)

from .helpers import blobs, small_mlp, weights


def _objects(seed):
    # a dropout layer makes the run depend on the default generator, shuffling on fit's
    model = small_mlp(dropout=0.3, seed=seed)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    return model, opt, sched


def _run(tmp_path, epochs, resume=None, seed=0, init_seed=0):
    X, y = blobs(96)
    model, opt, sched = _objects(init_seed)
    history = fit(model, nn.CrossEntropyLoss(), opt, TensorDataset(X, y), epochs=epochs,
                  batch_size=16, validation_split=0.25, metrics=["accuracy"], seed=seed,
                  verbose=0, resume=resume,
                  callbacks=[LRScheduler(sched), EarlyStopping(patience=10),
                             CSVLogger(tmp_path / "log.csv"),
                             ModelCheckpoint(tmp_path / "ckpt.safetensors", monitor="loss")])
    return model, opt, history


def test_resume_equals_uninterrupted_run(tmp_path):
    straight, opt_a, hist_a = _run(tmp_path / "a", 4)
    _run(tmp_path / "b", 2)
    # new objects, initialised differently: everything must come from the checkpoint
    resumed, opt_b, hist_b = _run(tmp_path / "b", 4, resume=tmp_path / "b" / "ckpt.safetensors",
                                  init_seed=123)
    wa, wb = weights(straight), weights(resumed)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    assert opt_a.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"]
    assert hist_a.history == hist_b.history
    assert hist_b.epoch == [0, 1, 2, 3]
    rows_a = (tmp_path / "a" / "log.csv").read_text().splitlines()
    rows_b = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert rows_a == rows_b and len(rows_a) == 5


def test_same_seed_same_run_and_other_seed_differs(tmp_path):
    a, _, _ = _run(tmp_path / "a", 2, seed=5)
    b, _, _ = _run(tmp_path / "b", 2, seed=5)
    c, _, _ = _run(tmp_path / "c", 2, seed=6)
    wa, wb, wc = weights(a), weights(b), weights(c)
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert not all(np.array_equal(wa[k], wc[k]) for k in wa)


def test_resume_from_weights_only_file_is_refused(tmp_path):
    import pytest

    from chainrule.train import save_checkpoint

    model, opt, _ = _objects(0)
    save_checkpoint(tmp_path / "w.safetensors", model, weights_only=True)
    X, y = blobs(32)
    with pytest.raises(ValueError, match="holds only weights"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, verbose=0,
            resume=tmp_path / "w.safetensors")


class _Score(Callback):
    """Logs a made-up score whose best epoch is the second (before the resume point)."""

    order = -1

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = [1.0, 0.5, 2.0, 3.0, 4.0][epoch]


def _early_run(tmp_path, epochs, resume=None, init_seed=0):
    X, y = blobs(64)
    model = small_mlp(seed=init_seed)
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=16, seed=0,
        verbose=0, resume=resume,
        callbacks=[_Score(), EarlyStopping("score", mode="min", patience=10,
                                           restore_best_weights=True),
                   ModelCheckpoint(tmp_path / "ckpt.safetensors", monitor="loss")])
    return weights(model)


def test_resume_after_the_best_epoch_still_restores_the_best_weights(tmp_path):
    straight = _early_run(tmp_path / "a", 5)
    best = _early_run(tmp_path / "c", 2)  # the weights after the best (second) epoch
    _early_run(tmp_path / "b", 3)
    resumed = _early_run(tmp_path / "b", 5, resume=tmp_path / "b" / "ckpt.safetensors",
                         init_seed=7)
    for k in straight:
        np.testing.assert_array_equal(straight[k], best[k], err_msg=k)
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)


def test_every_callback_state_survives_a_checkpoint(tmp_path):
    stop = EarlyStopping("score", mode="min", patience=10, restore_best_weights=True)
    ckpt = ModelCheckpoint(tmp_path / "c.safetensors", monitor="loss")
    X, y = blobs(32)
    model = small_mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
        batch_size=16, seed=0, verbose=0, callbacks=[_Score(), stop, ckpt])
    info = load_checkpoint(tmp_path / "c.safetensors")
    states = {k.split(".", 1)[1]: v for k, v in info["callbacks"].items()}
    assert states["EarlyStopping"]["best_epoch"] == 1
    assert set(states["EarlyStopping"]["best_weights"]) == set(model.state_dict())
    assert states["ModelCheckpoint"]["last_path"] == str(tmp_path / "c.safetensors")
