"""check_model_gradients catches a layer whose backward is wrong."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnose, nn


class Cube(cr.Function):
    """y = x^3 with a backward that may be off by ``factor``."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        (x,) = self.inputs
        return gy * x * x * (3.0 * self.factor)


class CubeLayer(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return Cube(self.factor)(x)


def model(factor, hidden=30):
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(5, hidden), CubeLayer(factor), nn.Linear(hidden, 3))


def data():
    g = np.random.default_rng(0)
    return g.normal(size=(8, 5)).astype(np.float32), g.integers(0, 3, 8)


def test_correct_model_passes():
    r = diagnose.check_model_gradients(model(1.0), nn.CrossEntropyLoss(), *data())
    assert r.ok, str(r)
    assert [c.name for c in r.results] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    # 150 and 90 elements: random directions; 30 and 3 (<= max_full): element by element
    assert [c.method for c in r.results] == ["directional", "full", "directional", "full"]
    assert max(c.rel_error for c in r.results) < 1e-6
    assert "all gradients agree" in str(r)


def test_custom_function_with_a_wrong_backward_is_flagged():
    r = diagnose.check_model_gradients(model(1.1), nn.CrossEntropyLoss(), *data())
    assert not r.ok
    # the layers before the broken op get wrong gradients, the head after it does not
    assert [c.name for c in r.failed()] == ["0.weight", "0.bias"]
    assert all(c.rel_error > 0.01 for c in r.failed())
    assert "0.weight" in str(r) and "NO" in str(r)


def test_model_is_left_untouched():
    m = model(1.0)
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    diagnose.check_model_gradients(m, nn.CrossEntropyLoss(), *data())
    for k, v in m.state_dict().items():
        assert v.dtype == np.float32 and np.array_equal(v.numpy(), before[k])
        assert m.state_dict()[k].grad is None


def test_bad_input():
    X, y = data()
    fn = diagnose.check_model_gradients
    with pytest.raises(ValueError, match="check_model_gradients: the model Sequential has no "
                                         "parameters"):
        fn(nn.Sequential(nn.Tanh()), nn.MSELoss(), X, X)
    with pytest.raises(ValueError, match=r"check_model_gradients: loss_fn must return a scalar "
                                         r"tensor \(one element\), got shape \(8,\)"):
        fn(model(1.0), nn.CrossEntropyLoss(reduction="none"), X, y)
    with pytest.raises(ValueError, match=r"check_model_gradients: inputs and targets have "
                                         r"different batch sizes \(8 != 5"):
        fn(model(1.0), nn.CrossEntropyLoss(), X, y[:5])
    with pytest.raises(ValueError, match="check_model_gradients: tolerance must be a number"):
        fn(model(1.0), nn.CrossEntropyLoss(), X, y, tolerance=0)
    with pytest.raises(ValueError, match="check_model_gradients: directions must be an integer"):
        fn(model(1.0), nn.CrossEntropyLoss(), X, y, directions=0)
