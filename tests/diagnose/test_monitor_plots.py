"""GradientMonitor as a fit callback, and the PNG plots."""

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnose, nn
from chainrule.train import fit

from .conftest import mlp

PNG = b"\x89PNG\r\n\x1a\n"


def train(model, X, y, lr, monitor, epochs=2):
    opt = cr.optim.SGD(model.parameters(), lr=lr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=64,
            callbacks=[monitor], seed=0, verbose=0)
    return [str(w.message) for w in caught if "GradientMonitor" in str(w.message)]


def test_monitor_records_every_nth_step_and_warns_once_per_kind(digits):
    monitor = diagnose.GradientMonitor(every=2)
    warned = train(mlp(nn.Sigmoid, "small"), *digits, 0.1, monitor, epochs=2)
    # 256 samples / 64 = 4 steps per epoch, 8 in all: measured at 0, 2, 4, 6
    assert monitor.steps == [0, 2, 4, 6]
    assert len(monitor.losses) == 4
    assert len(monitor.report().layer("0").grad_norm) == 4
    assert monitor.findings_by_epoch == [["vanishing"], ["vanishing"]]
    assert len(warned) == 1 and "[vanishing] 0 (Linear)" in warned[0]
    assert "epoch 1" in warned[0]


def test_monitor_stays_quiet_on_a_healthy_net(digits):
    monitor = diagnose.GradientMonitor(every=1)
    warned = train(mlp(nn.ReLU, depth=2, width=64), *digits, 0.05, monitor)
    assert warned == [] and monitor.findings == []
    assert len(monitor.steps) == 8
    r = monitor.report()
    assert all(0 < u < 1 for s in r.layers for u in s.update_ratio)


def test_monitor_warns_when_training_explodes(digits):
    monitor = diagnose.GradientMonitor(every=1)
    warned = train(mlp(nn.ReLU, "he", depth=3), *digits, 50.0, monitor, epochs=1)
    assert any("[exploding]" in w or "[nan]" in w for w in warned), warned


def test_monitor_bad_settings_and_use_before_fit():
    with pytest.raises(ValueError, match="GradientMonitor: every must be a positive integer"):
        diagnose.GradientMonitor(every=0)
    with pytest.raises(ValueError, match="GradientMonitor: window must be a positive integer"):
        diagnose.GradientMonitor(window=-2)
    with pytest.raises(RuntimeError, match="GradientMonitor.report: the monitor has not been"):
        diagnose.GradientMonitor().report()


def test_plots_are_pngs(digits, tmp_path):
    monitor = diagnose.GradientMonitor(every=1)
    train(mlp(nn.ReLU, depth=2), *digits, 0.05, monitor, epochs=1)
    p = monitor.plot(tmp_path / "norms.png")
    assert open(p, "rb").read(8) == PNG
    X, y = digits
    r = diagnose.gradient_report(mlp(nn.Sigmoid, "small"), nn.CrossEntropyLoss(), X, y, steps=2)
    for plot, name in ((diagnose.plot_gradient_flow, "flow.png"),
                       (diagnose.plot_gradient_norms, "norms2.png")):
        out = plot(r, tmp_path / name)
        data = open(out, "rb").read()
        assert data[:8] == PNG and len(data) > 5000


def test_plots_refuse_a_path_that_cannot_be_written(digits, tmp_path):
    r = diagnose.gradient_report(mlp(nn.ReLU, depth=1), nn.CrossEntropyLoss(), *digits, steps=1)
    missing = tmp_path / "no" / "such" / "flow.png"
    with pytest.raises(OSError, match=r"plot_gradient_flow: cannot write .*flow.png: folder .* "
                                      r"does not exist"):
        diagnose.plot_gradient_flow(r, missing)
    with pytest.raises(OSError, match="plot_gradient_norms: cannot write .*: it is a folder"):
        diagnose.plot_gradient_norms(r, tmp_path)
    with pytest.raises(TypeError, match="plot_gradient_flow: expected a GradientReport"):
        diagnose.plot_gradient_flow({"layers": []}, tmp_path / "x.png")
    empty = diagnose.GradientReport([], [float("nan")], [])
    with pytest.raises(ValueError, match="plot_gradient_norms: the report holds no gradient"):
        diagnose.plot_gradient_norms(empty, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_plot_tolerates_zero_gradients(tmp_path):
    s = diagnose.LayerStats("fc", "Linear", grad_norm=[0.0, 1.0], mean_abs_grad=[0.0, 0.5])
    r = diagnose.GradientReport([s], [1.0, 1.0], [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagnose.plot_gradient_flow(r, tmp_path / "f.png")
    assert np.isfinite(s.grad_norm).all()
