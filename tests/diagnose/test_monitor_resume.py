"""GradientMonitor's record survives an exact resume: a run stopped and resumed ends with
the same measurements as a run that was never interrupted."""

import numpy as np

import chainrule as cr
from chainrule import diagnose, nn, optim
from chainrule.train import ModelCheckpoint, fit


def _run(tmp_path, epochs, resume=None):
    g = np.random.default_rng(0)
    X = g.standard_normal((96, 6)).astype(np.float32)
    y = g.integers(0, 3, 96)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Sigmoid(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    monitor = diagnose.GradientMonitor(every=2, window=5)
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=16, seed=0,
        verbose=0, resume=resume,
        callbacks=[monitor, ModelCheckpoint(tmp_path / "ck.safetensors", monitor="loss")])
    return monitor


def test_gradient_monitor_record_survives_resume(tmp_path):
    whole = _run(tmp_path / "a", 4)
    _run(tmp_path / "b", 2)
    resumed = _run(tmp_path / "b", 4, resume=tmp_path / "b" / "ck.safetensors")
    assert resumed.steps == whole.steps and resumed._step == whole._step
    np.testing.assert_allclose(resumed.losses, whole.losses, rtol=1e-6)
    assert resumed.findings_by_epoch == whole.findings_by_epoch
    for name, s in whole.probe.layers.items():
        r = resumed.probe.layers[name]
        np.testing.assert_allclose(r.grad_norm, s.grad_norm, rtol=1e-5)
        np.testing.assert_allclose(r.update_ratio, s.update_ratio, rtol=1e-5)
    assert [f.kind for f in resumed.report().findings] == \
        [f.kind for f in whole.report().findings]
