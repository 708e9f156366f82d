"""gradient_report on the classic failure modes of backpropagation, and on bad input."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnose, nn
from chainrule.diagnose import KINDS, GradientReport

from .conftest import mlp


def report(model, X, y, lr=0.05, steps=10, **kw):
    opt = cr.optim.SGD(model.parameters(), lr=lr)
    return diagnose.gradient_report(model, nn.CrossEntropyLoss(), X, y, steps=steps,
                                    optimizer=opt, **kw)


def test_deep_sigmoid_with_small_weights_is_vanishing(digits):
    r = report(mlp(nn.Sigmoid, "small"), *digits, lr=0.1)
    assert r.kinds == ["vanishing"]
    f = r.findings[0]
    assert f.layer == "0" and f.module == "Linear"  # the input side starves first
    assert "Sigmoid" in f.message and "He" in f.message
    first, last = r.layer("0"), r.layer("20")
    assert first.mean_abs_grad[-1] < 1e-6 * last.mean_abs_grad[-1]


def test_same_net_with_relu_and_he_init_is_not_vanishing(digits):
    r = report(mlp(nn.ReLU, "he"), *digits, lr=0.01)
    assert r.findings == [], str(r)
    grads = [s.mean_abs_grad[-1] for s in r.layers if s.grad_norm]
    assert min(grads) > 1e-2 * max(grads)


def test_learning_rate_far_too_high_is_exploding(digits):
    r = report(mlp(nn.ReLU, "he", depth=3), *digits, lr=50.0)
    assert "exploding" in r.kinds
    f = next(f for f in r.findings if f.kind == "exploding")
    assert "learning rate" in f.message.lower()
    assert "vanishing" not in r.kinds  # a blow-up is not also reported as vanishing


def test_strongly_negative_relu_biases_give_dead_units(digits):
    r = report(mlp(nn.ReLU, "he", depth=3, bias=-5.0), *digits, lr=0.01)
    dead = [f for f in r.findings if f.kind == "dead_units"]
    # one finding for all the dead layers, not one paragraph per layer
    assert len(dead) == 1 and dead[0].layers == ["1", "3", "5"]
    assert dead[0].layer == "1" and dead[0].module == "ReLU"
    assert "3 of 3 ReLU layers (1: " in dead[0].message
    assert r.layer("1").dead_fraction[-1] > 0.9
    assert "negative biases" in dead[0].message
    # what the vanishing gradient before them comes from is named
    vanishing = [f for f in r.findings if f.kind == "vanishing"]
    assert all("dead ReLU" in f.message for f in vanishing)


def test_tanh_on_unscaled_inputs_is_saturated(digits):
    X, y = digits
    r = report(mlp(nn.Tanh, depth=3), X * 300, y, lr=0.01)
    sat = [f for f in r.findings if f.kind == "saturation"]
    assert sat and sat[0].layer == "1" and sat[0].module == "Tanh"
    assert "Standardise the inputs" in sat[0].message
    assert r.layer("1").saturated_fraction[-1] > 0.5
    # the same net on the scaled inputs is fine
    assert report(mlp(nn.Tanh, depth=3), X, y, lr=0.01).findings == []


def test_healthy_mlp_on_digits_has_no_finding(digits):
    r = report(mlp(nn.ReLU, depth=2, width=64), *digits, lr=0.05, steps=15)
    assert r.ok and r.findings == []
    assert r.losses[-1] < r.losses[0]
    assert "no findings" in str(r)


def test_printed_table_has_one_row_per_layer_in_module_order(digits):
    r = report(mlp(nn.ReLU, depth=2), *digits, steps=3)
    lines = str(r).splitlines()
    assert lines[0].split() == ["layer", "type", "grad", "norm", "mean|grad|", "update/W",
                                "dead", "saturated"]
    rows = [ln.split()[:2] for ln in lines[2:7]]
    assert rows == [["0", "Linear"], ["1", "ReLU"], ["2", "Linear"], ["3", "ReLU"],
                    ["4", "Linear"]]
    s = r.layer("2")
    assert len(s.grad_norm) == len(s.update_ratio) == 3
    row = lines[4].split()
    assert float(row[2]) == pytest.approx(s.grad_norm[-1], rel=1e-2)
    assert float(row[4]) == pytest.approx(s.update_ratio[-1], rel=5e-2)
    # the update ratio is ||W_after - W_before|| / ||W_before||, measured independently
    m = mlp(nn.ReLU, depth=1)
    w0 = np.concatenate([p.numpy().ravel() for p in m[0].parameters()])
    r1 = report(m, *digits, steps=1)
    w1 = np.concatenate([p.numpy().ravel() for p in m[0].parameters()])
    expected = np.linalg.norm(w1 - w0) / np.linalg.norm(w0)
    assert r1.layer("0").update_ratio[0] == pytest.approx(expected, rel=1e-4)


def test_without_optimizer_probes_and_leaves_weights_alone(digits):
    m = mlp(nn.ReLU, depth=2)
    before = [p.numpy().copy() for p in m.parameters()]
    r = diagnose.gradient_report(m, nn.CrossEntropyLoss(), *digits, steps=2, batch_size=64,
                                 generator=0)
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, m.parameters()))
    assert len(r.layer("0").grad_norm) == 2 and r.layer("0").update_ratio == []
    assert all(f.kind in KINDS for f in r.findings)


def test_nan_in_the_inputs_is_a_nan_finding(digits):
    X, y = digits
    X[3, 5] = np.nan
    r = report(mlp(nn.ReLU, depth=2), X, y)
    assert r.kinds == ["nan"]
    assert "first step" in r.findings[0].message and "detect_anomaly" in r.findings[0].message
    assert math.isnan(r.losses[-1])


def test_zero_initialised_layer_is_not_a_false_alarm(digits):
    m = mlp(nn.ReLU, depth=2, width=64)
    nn.init.zeros_(m[4].weight)
    nn.init.zeros_(m[4].bias)
    r = report(m, *digits, steps=5)
    assert "nan" not in r.kinds and "exploding" not in r.kinds, str(r)


def test_model_with_no_parameters_is_an_error(digits):
    with pytest.raises(ValueError, match="gradient_report: the model Sequential has no param"):
        diagnose.gradient_report(nn.Sequential(nn.ReLU()), nn.MSELoss(), *digits)


def test_loss_that_is_not_a_scalar_is_an_error(digits):
    X, y = digits
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(ValueError, match=r"gradient_report: loss_fn must return a scalar.*"
                                         r"shape \(256,\)"):
        diagnose.gradient_report(mlp(nn.ReLU, depth=1), loss, X, y, steps=1)


def test_inputs_and_targets_of_different_batch_sizes_are_an_error(digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"gradient_report: inputs and targets have different "
                                         r"batch sizes \(256 != 100"):
        diagnose.gradient_report(mlp(nn.ReLU, depth=1), nn.CrossEntropyLoss(), X, y[:100])


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps must be a positive integer, got 0"),
    ({"steps": True}, "steps must be a positive integer, got True"),
    ({"batch_size": -1}, "batch_size must be a positive integer, got -1"),
])
def test_bad_settings_are_errors(digits, kwargs, match):
    with pytest.raises(ValueError, match=f"gradient_report: {match}"):
        diagnose.gradient_report(mlp(nn.ReLU, depth=1), nn.CrossEntropyLoss(), *digits,
                                 **kwargs)


def test_bad_types_are_errors(digits):
    X, y = digits
    m = mlp(nn.ReLU, depth=1)
    with pytest.raises(TypeError, match="gradient_report: model must be an nn.Module, got"):
        diagnose.gradient_report(lambda x: x, nn.CrossEntropyLoss(), X, y)
    with pytest.raises(TypeError, match="gradient_report: loss_fn must be callable"):
        diagnose.gradient_report(m, "mse", X, y)
    with pytest.raises(TypeError, match="gradient_report: optimizer must be an optimizer"):
        diagnose.gradient_report(m, nn.CrossEntropyLoss(), X, y, optimizer=0.1)
    with pytest.raises(ValueError, match="gradient_report: inputs must hold at least one"):
        diagnose.gradient_report(m, nn.CrossEntropyLoss(), X[:0], y[:0])


def test_report_layer_lookup_names_the_layers():
    r = GradientReport([], [], [])
    with pytest.raises(KeyError, match="no layer named 'fc'"):
        r.layer("fc")


def test_probe_watches_layers_by_their_op_class_attributes():
    """Which layers are watched comes from the op classes (saturates, rectifier), not from
    a list of names: a user layer computing tanh is watched like nn.Tanh."""
    from chainrule.diagnose.report import Probe
    from chainrule.ops.elementwise import Tanh

    class MyTanh(cr.nn.Module):
        function = Tanh

        def forward(self, x):
            return cr.tanh(x)

    model = cr.nn.Sequential(cr.nn.Linear(3, 4), MyTanh(), cr.nn.Sigmoid(), cr.nn.ReLU(),
                             cr.nn.GELU())
    probe = Probe(model)
    assert set(probe.layers) == {"0", "1", "2", "3"}  # GELU neither saturates nor rectifies
    model(cr.randn(5, 3))
    probe.activations()
    assert probe.layers["1"].saturated_fraction and probe.layers["2"].saturated_fraction
    assert probe.layers["3"].dead_fraction and not probe.layers["3"].saturated_fraction
    probe.close()
