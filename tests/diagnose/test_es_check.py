"""es_gradient_check: the ES estimate's cosine to backprop's gradient is sqrt(n/(n+D))."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diagnose import ESGradientCheck, es_gradient_check


def digits_mlp():
    pytest.importorskip("sklearn")
    from chainrule.data import load_digits

    X, y = load_digits(scale=True)
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)), X[:256], y[:256]


@pytest.mark.parametrize("directions", [
    (100, 1000), pytest.param((100, 1000, 10000), marks=pytest.mark.slow)])
def test_digits_mlp_cosine_matches_the_expected_value(directions):
    model, X, y = digits_mlp()
    r = es_gradient_check(model, nn.CrossEntropyLoss(), X, y, directions=directions)
    assert isinstance(r, ESGradientCheck) and r.dim == 64 * 32 + 32 + 32 * 10 + 10
    np.testing.assert_allclose(r.expected, [np.sqrt(n / (n + r.dim)) for n in directions])
    for c, e in zip(r.cosine, r.expected):
        assert abs(c - e) <= 0.05
    assert r.ok(0.05)
    assert np.all(np.diff(r.cosine) > 0)
    text = str(r)
    assert "1,000" in text and "sqrt(n/(n+D))" in text


def test_a_wrong_gradient_is_caught():
    """A layer whose backward is wrong (here: a sign flipped) gives a cosine far from the
    expected value; es_gradient_check sees it where a model's training loss would not."""

    class Flipped(cr.Function):
        def forward(self, x):
            return np.tanh(x)

        def backward(self, gy):
            y = cr.tanh(self.inputs[0])
            return -gy * (1 - y * y)  # the wrong sign

    class BadTanh(nn.Module):
        def forward(self, x):
            return Flipped()(x)

    model, X, y = digits_mlp()
    bad = nn.Sequential(model[0], BadTanh(), model[2])
    r = es_gradient_check(bad, nn.CrossEntropyLoss(), X[:64], y[:64], directions=400)
    assert not r.ok(0.05)
    good = es_gradient_check(model, nn.CrossEntropyLoss(), X[:64], y[:64], directions=400)
    assert good.ok(0.05)


def test_bad_arguments_are_named():
    model = nn.Linear(2, 1)
    X, y = np.zeros((3, 2), np.float32), np.zeros((3, 1), np.float32)
    with pytest.raises(ValueError, match="es_gradient_check: sigma must be finite and > 0"):
        es_gradient_check(model, nn.MSELoss(), X, y, sigma=0.0)
    with pytest.raises(ValueError, match="es_gradient_check: directions must be ints >= 1"):
        es_gradient_check(model, nn.MSELoss(), X, y, directions=[0])
