"""gradcheck and gradgradcheck: they pass correct gradients and catch wrong ones."""

import numpy as np
import pytest

import chainrule as cr


def f64(shape, seed=0, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return cr.tensor(a, requires_grad=requires_grad)


class WrongSquare(cr.Function):
    """x^2 with a gradient that is wrong at one element (index 2 of the flattened input)."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        bump = np.zeros(x.shape)
        bump.reshape(-1)[2] = 1.0
        return gy * x * 2.0 + gy * cr.tensor(bump)


class DetachedBackwardSquare(cr.Function):
    """x^2 whose backward uses the raw input values: right first, wrong second derivative."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * cr.tensor(self.inputs[0].array * 2.0)


def test_passes_on_correct_gradients():
    x, w = f64((3, 4)), f64((4,), seed=1)
    assert cr.gradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert cr.gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert cr.gradcheck(lambda x: x.exp().sum(), x)


def test_fails_on_wrong_function_naming_worst_element():
    x = f64((2, 3))
    with pytest.raises(cr.GradcheckError) as e:
        cr.gradcheck(lambda x: WrongSquare()(x), x)
    msg = str(e.value)
    assert "gradcheck: Jacobian mismatch" in msg
    assert "output 0 (shape (2, 3)) element (0, 2)" in msg
    assert "input 0 (shape (2, 3)) element (0, 2)" in msg
    assert "numerical" in msg and "analytical" in msg


def test_raise_exception_false_returns_false():
    x = f64((2, 3))
    assert cr.gradcheck(lambda x: WrongSquare()(x), x, raise_exception=False) is False


def test_gradgradcheck_catches_wrong_second_derivative():
    x = f64((3,))
    assert cr.gradcheck(lambda x: DetachedBackwardSquare()(x), x)
    with pytest.raises(cr.GradcheckError, match="gradgradcheck: Jacobian mismatch"):
        cr.gradgradcheck(lambda x: DetachedBackwardSquare()(x), x)


def test_directional_mode_for_big_inputs():
    x = f64((200, 150))  # 30,000 x 1 Jacobian: checked along random directions
    assert cr.gradcheck(lambda x: (x.sin() * x).sum(), x)
    with pytest.raises(cr.GradcheckError, match="directional derivative.*random direction"):
        cr.gradcheck(lambda x: WrongSquare()(x).sum(), x)


def test_multiple_outputs_and_constant_inputs():
    x, c = f64((3,)), f64((3,), seed=1, requires_grad=False)
    assert cr.gradcheck(lambda x, c: cr.tensor_split(x * c, [1]), (x, c))


def test_rejects_float32_and_no_grad_inputs():
    with pytest.raises(TypeError, match=r"gradcheck: .*float64.*float32.*\(3,\)"):
        cr.gradcheck(lambda x: x * 2.0, cr.ones(3, requires_grad=True))
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        cr.gradcheck(lambda x: x * 2.0, cr.ones(3, dtype="float64"))
    with pytest.raises(ValueError, match="gradgradcheck: no input requires grad"):
        cr.gradgradcheck(lambda x: x * 2.0, cr.ones(3, dtype="float64"))


def test_rejects_non_tensor_output():
    with pytest.raises(TypeError, match="gradcheck: fn must return Tensors"):
        cr.gradcheck(lambda x: 1.0, f64((2,)))


def test_inputs_restored_after_check():
    x = f64((2, 2))
    before = x.numpy().copy()
    cr.gradcheck(lambda x: x * x, x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_gradgradcheck_with_given_grad_outputs():
    x = f64((3,))
    assert cr.gradgradcheck(lambda x: x**3, x, grad_outputs=np.ones(3))


def test_nan_gradient_is_a_failure_not_a_pass():
    """A comparison with NaN is False, so a NaN must be caught explicitly."""

    class NaNGrad(cr.Function):
        def forward(self, x):
            return x * 2.0

        def backward(self, gy):
            return gy * float("nan")

    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(cr.GradcheckError, match="analytical nan"):
        cr.gradcheck(lambda t: NaNGrad()(t), x)
    big = cr.tensor(np.ones(200), requires_grad=True)  # the random-direction mode
    with pytest.raises(cr.GradcheckError, match="directional"):
        cr.gradcheck(lambda t: NaNGrad()(t).sum() * NaNGrad()(t), big)
