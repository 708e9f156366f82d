"""nn.init: PyTorch's gains, fans and distributions; in place, float32, seeded."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init


def _param(*shape):
    return nn.Parameter(cr.zeros(*shape))


def test_calculate_gain_and_fans_match_torch():
    torch = pytest.importorskip("torch")
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                  ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p))
    for shape in [(3, 4), (8, 3, 5, 5), (6, 2, 3)]:
        assert init._calculate_fan_in_and_fan_out(cr.zeros(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.zeros(5))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fn,kwargs,check", [
    (init.uniform_, {"a": -2.0, "b": 3.0}, ("bound", -2.0, 3.0)),
    (init.normal_, {"mean": 1.0, "std": 0.5}, ("moments", 1.0, 0.5)),
    (init.xavier_uniform_, {"gain": 2.0}, ("bound", -2 * math.sqrt(6 / 700),
                                             2 * math.sqrt(6 / 700))),
    (init.xavier_normal_, {}, ("moments", 0.0, math.sqrt(2 / 700))),
    (init.kaiming_uniform_, {"nonlinearity": "relu"},
     ("bound", -math.sqrt(6 / 400), math.sqrt(6 / 400))),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, ("bound", -1 / 20, 1 / 20)),
    (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"},
     ("moments", 0.0, math.sqrt(2 / 300))),
    (init.trunc_normal_, {"std": 0.02, "a": -0.04, "b": 0.04}, ("bound", -0.04, 0.04)),
])
def test_distributions(fn, kwargs, check):
    w = _param(300, 400)
    data = w.array
    out = fn(w, generator=cr.Generator(0), **kwargs)
    assert out is w and w.array is data  # in place
    assert w.dtype == np.float32 and w.requires_grad and w.is_leaf
    x = w.numpy()
    kind, a, b = check
    if kind == "bound":
        assert x.min() >= a and x.max() <= b
        assert x.min() < a + 0.01 * (b - a) and x.max() > b - 0.01 * (b - a)
    else:
        assert abs(x.mean() - a) < 0.01 * max(b, 1e-3) + 1e-3 * b
        assert abs(x.std() - b) < 0.01 * b
    again = _param(300, 400)
    fn(again, generator=cr.Generator(0), **kwargs)
    np.testing.assert_array_equal(again.numpy(), x)


def test_constant_zeros_ones_eye():
    w = _param(3, 4)
    init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    init.ones_(w)
    assert (w.numpy() == 1).all()
    init.zeros_(w)
    assert (w.numpy() == 0).all()
    init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), np.eye(3, 4))


@pytest.mark.parametrize("shape", [(4, 7), (7, 4), (6, 2, 3)])
def test_orthogonal(shape):
    w = _param(*shape)
    init.orthogonal_(w, gain=2.0, generator=1)
    m = w.numpy().reshape(shape[0], -1).astype(np.float64)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more"):
        init.orthogonal_(_param(3))


def test_bad_arguments():
    with pytest.raises(TypeError, match="init.uniform_: expected a Tensor"):
        init.uniform_(np.zeros(3))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(_param(3, 4), mode="fan")
