"""chainrule.train.TensorBoard: what fit logs, read back through TensorBoard's own
EventAccumulator."""

import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.train import TensorBoard, fit

tb = pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def read(path):
    ea = EventAccumulator(str(path), size_guidance={"histograms": 0, "scalars": 0})
    ea.Reload()
    return ea


def data(n=64):
    g = np.random.default_rng(0)
    X = g.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def test_fit_logs_keras_tags_and_steps(tmp_path):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cb = TensorBoard(tmp_path, histogram_freq=2, gradient_norms=3,
                     hparams={"lr": 0.1, "optimizer": "sgd"})
    fit(model, nn.CrossEntropyLoss(), opt, data(), epochs=3, batch_size=16,
        validation_split=0.25, metrics=["accuracy"], callbacks=[cb], seed=0, verbose=0)
    train, val = read(tmp_path / "train"), read(tmp_path / "validation")
    steps_per_epoch = 3  # 48 training samples in batches of 16
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= \
        set(train.Tags()["scalars"])
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert [e.step for e in train.Scalars("batch_loss")] == list(range(3 * steps_per_epoch))
    assert all(e.value == pytest.approx(0.1) for e in train.Scalars("epoch_learning_rate"))
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    assert [e.step for e in val.Scalars("epoch_loss")] == [0, 1, 2]
    # Histograms every 2 epochs: epochs 0 and 2, weights and their gradients.
    hist = train.Tags()["histograms"]
    assert {"weights/0.weight", "weights/2.bias", "gradients/0.weight"} <= set(hist)
    assert [e.step for e in train.Histograms("weights/0.weight")] == [0, 2]
    # Gradient norms from GradientMonitor every 3rd step, per layer.
    norms = [t for t in train.Tags()["scalars"] if t.startswith("gradient_norm/")]
    assert norms and [e.step for e in train.Scalars(norms[0])] == [0, 3, 6]
    assert all(e.value > 0 for e in train.Scalars(norms[0]))
    hp = read(tmp_path / "hparams")
    assert "_hparams_/session_start_info" in hp.PluginTagToContent("hparams")
    assert "hparams/val_accuracy" in hp.Tags()["scalars"]


def test_update_freq_epoch_and_n(tmp_path):
    model = nn.Linear(4, 2)
    for freq, expected in (("epoch", None), (2, [0, 2, 4, 6])):
        d = tmp_path / str(freq)
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), data(),
            epochs=2, batch_size=16, callbacks=[TensorBoard(d, update_freq=freq)], verbose=0)
        ea = read(d / "train")
        if expected is None:
            assert "batch_loss" not in ea.Tags()["scalars"]
        else:
            assert [e.step for e in ea.Scalars("batch_loss")] == expected


def test_graph_from_the_first_batch(tmp_path):
    pytest.importorskip("onnx")
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), data(),
        epochs=1, batch_size=32, callbacks=[TensorBoard(tmp_path, write_graph=True)],
        verbose=0)
    ops = {n.op for n in read(tmp_path / "train").Graph().node}
    assert {"Gemm", "Tanh"} <= ops


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(histogram_freq=-1)
    with pytest.raises(TypeError, match="hparams"):
        TensorBoard(hparams=[1])


def test_cli_train_tensorboard_flag(tmp_path):
    X, y = data(80)
    csv = tmp_path / "tiny.csv"
    rows = ["a,b,c,d,label"] + [",".join(f"{v:.4f}" for v in x) + f",{t}" for x, t in zip(X, y)]
    csv.write_text("\n".join(rows) + "\n")
    logs = tmp_path / "tb"
    r = subprocess.run([sys.executable, "-m", "chainrule", "train", "--dataset", f"csv:{csv}",
                        "--target", "label", "--epochs", "1", "--out", str(tmp_path / "run"),
                        "--tensorboard", str(logs), "--quiet"], capture_output=True, text=True,
                       env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert r.returncode == 0, r.stderr
    train = read(logs / "train")
    assert [e.step for e in train.Scalars("epoch_loss")] == [0]
    assert "epoch_loss" in read(logs / "validation").Tags()["scalars"]
    assert "hparams/loss" in read(logs / "hparams").Tags()["scalars"]
