"""cr.detect_anomaly: the first NaN/Inf names the op, the shapes and the user's line."""

import inspect

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


def here() -> int:
    return inspect.currentframe().f_back.f_lineno


def test_forward_nan_names_op_shapes_and_this_line():
    x = cr.tensor([[1.0, -1.0, 4.0]], requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as e, \
            np.errstate(invalid="ignore"):
        line = here() + 1
        x.sqrt()
    msg = str(e.value)
    assert "detect_anomaly: Sqrt produced NaN in its forward pass" in msg
    assert "input shapes (1, 3), output shape (1, 3)" in msg
    assert f'File "{__file__}", line {line}' in msg


def test_backward_inf_names_the_line_that_created_the_op():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        line = here() + 1
        y = x.sqrt()
        loss = y.sum()
        with pytest.raises(FloatingPointError) as e, np.errstate(divide="ignore"):
            loss.backward()
    msg = str(e.value)
    assert "Sqrt produced Inf in its backward pass" in msg
    assert f'File "{__file__}", line {line}' in msg and "y = x.sqrt()" in msg


def test_nan_inside_a_model_points_at_the_model_call():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = cr.tensor([[1.0, float("inf"), 0.0]])
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as e, \
            np.errstate(invalid="ignore"):
        line = here() + 1
        model(x)
    assert f"line {line}" in str(e.value)


def test_finite_graphs_run_unchanged_and_the_mode_is_restored():
    x = cr.tensor([1.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        x.sqrt().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])
    with np.errstate(invalid="ignore"):
        y = cr.tensor([-1.0]).sqrt()  # outside: no error
    assert np.isnan(y.numpy()).all()
