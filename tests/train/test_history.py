"""History: per-epoch logs and their plot."""

import math

import pytest

from chainrule.train import History


def _history(rows):
    h = History()
    for epoch, logs in enumerate(rows):
        h.on_epoch_end(epoch, dict(logs))
    return h


def test_logs_line_up_with_epochs_when_keys_come_and_go():
    h = _history([{"loss": 1.0}, {"loss": 0.5, "lr": 0.1}, {"lr": 0.05}])
    assert h.epoch == [0, 1, 2]
    assert h.history["loss"][:2] == [1.0, 0.5] and math.isnan(h.history["loss"][2])
    assert math.isnan(h.history["lr"][0]) and h.history["lr"][1:] == [0.1, 0.05]
    copy = History()
    copy.load_state_dict(h.state_dict())
    assert copy.epoch == h.epoch and copy.state_dict() == h.state_dict()


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    h = _history([{"loss": 1.0 / (e + 1), "accuracy": e / 10, "val_loss": 1.2 / (e + 1),
                   "val_accuracy": e / 11} for e in range(5)])
    path = h.plot(tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h.plot(tmp_path / "acc.png", keys=["accuracy"])
    assert (tmp_path / "acc.png").stat().st_size > 1000


def test_plot_errors(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot(tmp_path / "x.png")
    h = _history([{"loss": 1.0}])
    with pytest.raises(ValueError, match=r"unknown keys \['f1'\]"):
        h.plot(tmp_path / "x.png", keys=["f1"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        h.plot(tmp_path / "no" / "x.png")
