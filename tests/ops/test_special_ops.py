"""chainrule/ops/special.py beyond the gradient table: the edge values each op defines
(erfc's tails, xlogy at 0, nan_to_num's replacements, fmax with NaN, copysign's -0.0,
sinc at 0), PyTorch's keyword arguments, and named errors for bad input."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule._errors import DtypeError


def f64(values, requires_grad=False):
    return cr.tensor(values, dtype="float64", requires_grad=requires_grad)


def test_erfc_keeps_relative_precision_in_both_tails():
    x = np.concatenate([np.linspace(-6, 26, 1601), [0.0, -0.0, 1.0, -1.0, 8.0]])
    want = np.array([math.erfc(v) for v in x])
    got = cr.erfc(f64(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    assert cr.erfc(cr.tensor([10.0])).dtype == np.float32
    assert float(cr.erfc(cr.tensor([10.0]))) == pytest.approx(2.088487583762545e-45, rel=1e-5)


def test_inverse_and_hyperbolic_functions_match_numpy():
    x = np.linspace(-0.99, 0.99, 41)
    for f, ref in [(cr.asin, np.arcsin), (cr.acos, np.arccos), (cr.atan, np.arctan),
                   (cr.sinh, np.sinh), (cr.cosh, np.cosh), (cr.asinh, np.arcsinh),
                   (cr.atanh, np.arctanh), (cr.expm1, np.expm1), (cr.exp2, np.exp2)]:
        np.testing.assert_array_equal(f(f64(x)).numpy(), ref(x))
    np.testing.assert_array_equal(cr.acosh(f64(x + 2)).numpy(), np.arccosh(x + 2))
    assert cr.asin(cr.tensor([0, 1])).dtype == np.float32  # integers give the default float
    with np.errstate(invalid="ignore"):
        assert np.isnan(cr.asin(f64([2.0])).numpy()).all()  # outside the domain, as NumPy


def test_xlogy_is_zero_where_x_is_zero_with_pytorch_gradients():
    torch = pytest.importorskip("torch")
    xv, yv = [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.5, float("nan")]
    x, y = f64(xv, True), f64(yv[:3] + [1.0], True)
    tx = torch.tensor(xv, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(yv[:3] + [1.0], dtype=torch.float64, requires_grad=True)
    with np.errstate(invalid="ignore"):  # d/dy = x / y is 0/0 at (0, 0), NaN in both
        cr.xlogy(x, y).sum().backward()
    torch.xlogy(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())
    np.testing.assert_array_equal(cr.xlogy(f64(xv), f64(yv)).numpy(),
                                  torch.xlogy(torch.tensor(xv, dtype=torch.float64),
                                              torch.tensor(yv, dtype=torch.float64)).numpy())
    assert float(cr.xlogy(0.0, f64(0.0))) == 0.0  # a number on either side


def test_nan_to_num_replaces_and_stops_the_gradient_there():
    x = f64([np.nan, np.inf, -np.inf, 1.5], True)
    y = cr.nan_to_num(x, nan=0.5, posinf=9.0)
    np.testing.assert_array_equal(y.numpy(), [0.5, 9.0, np.finfo(np.float64).min, 1.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1])
    big = cr.nan_to_num(cr.tensor([np.inf], dtype="float32"))
    assert big.dtype == np.float32 and float(big) == np.finfo(np.float32).max
    z = cr.tensor([1.0, np.nan]).nan_to_num_()
    np.testing.assert_array_equal(z.numpy(), [1.0, 0.0])


def test_fmax_and_fmin_ignore_nan_and_give_ties_to_the_first_input():
    a, b = f64([np.nan, 1.0, 2.0, np.nan], True), f64([3.0, np.nan, 2.0, np.nan], True)
    np.testing.assert_array_equal(cr.fmax(a, b).numpy(), [3.0, 1.0, 2.0, np.nan])
    np.testing.assert_array_equal(cr.fmin(a, b).numpy(), [3.0, 1.0, 2.0, np.nan])
    cr.fmax(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 0, 0, 0])


def test_copysign_reads_the_sign_bit_and_gives_no_gradient_to_the_sign():
    a, b = f64([1.0, -2.0, 0.0, 3.0], True), f64([-0.0, 1.0, -1.0, -5.0], True)
    y = cr.copysign(a, b)
    np.testing.assert_array_equal(y.numpy(), [-1.0, 2.0, -0.0, -3.0])
    assert np.signbit(y.numpy()[2])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [-1, -1, 0, -1])
    np.testing.assert_array_equal(b.grad.numpy(), [0, 0, 0, 0])


def test_sinc_is_one_at_zero_with_zero_slope():
    x = f64([0.0, 0.5, -1.0], True)
    y = cr.sinc(x)
    np.testing.assert_allclose(y.numpy(), np.sinc([0.0, 0.5, -1.0]), atol=1e-16)
    y.sum().backward()
    assert x.grad.numpy()[0] == 0.0 and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy()[1], -2 / math.pi * 2 / 1.0 * 0.5 * 2, rtol=1e-12)


def test_logit_eps_clamps_and_zeroes_the_gradient_outside():
    x = f64([0.05, 0.5, 0.99], True)
    y = cr.logit(x, eps=0.1)
    np.testing.assert_allclose(y.numpy(), np.log([0.1 / 0.9, 1.0, 0.9 / 0.1]), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 4.0, 0.0])
    with pytest.raises(ValueError, match="logit: eps"):
        cr.logit(x, eps=0.7)


def test_float_power_computes_in_float64():
    y = cr.float_power(cr.tensor([2.0, 3.0]), 2)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), [4.0, 9.0])
    assert cr.float_power(2, cr.tensor([0.5])).dtype == np.float64


def test_heaviside_and_the_aliases():
    x = f64([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(cr.heaviside(x, f64(0.5)).numpy(), [0.0, 0.5, 1.0])
    with pytest.raises(TypeError, match="heaviside: input .* values"):
        cr.heaviside(x, cr.tensor(0.5))  # float32 values for a float64 input
    assert cr.arcsin is cr.asin and cr.arctan2 is cr.atan2
    np.testing.assert_array_equal(cr.sgn(x).numpy(), [-1, 0, 1])
    np.testing.assert_array_equal(cr.fix(f64([-1.5, 2.7])).numpy(), [-1.0, 2.0])
    np.testing.assert_array_equal(cr.frac(f64([-1.5, 2.75])).numpy(), [-0.5, 0.75])
    np.testing.assert_array_equal(x.absolute().numpy(), [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(cr.ldexp(f64([1.0, 3.0]), cr.tensor([2, -1])).numpy(),
                                  [4.0, 1.5])
    np.testing.assert_allclose(cr.deg2rad(f64([180.0])).numpy(), [math.pi])


def test_pytorch_keywords_of_the_arithmetic():
    a, b = cr.tensor([7, -7]), cr.tensor([2, 2])
    np.testing.assert_array_equal(cr.div(a, b, rounding_mode="floor").numpy(), [3, -4])
    np.testing.assert_array_equal(cr.divide(a, b, rounding_mode="trunc").numpy(), [3, -3])
    assert cr.div(a, b, rounding_mode="floor").dtype == np.int64
    np.testing.assert_array_equal(cr.div(a, b).numpy(), [3.5, -3.5])
    np.testing.assert_array_equal(cr.add(a, b, alpha=3).numpy(), [13, -1])
    np.testing.assert_array_equal(cr.sub(a, b, alpha=3).numpy(), [1, -13])
    np.testing.assert_array_equal(cr.subtract(a, b, alpha=2).numpy(), [3, -11])
    x = cr.tensor([7.0, -7.0])
    x.div_(2.0, rounding_mode="floor")
    np.testing.assert_array_equal(x.numpy(), [3.0, -4.0])
    with pytest.raises(ValueError, match="div: rounding_mode"):
        cr.div(a, b, rounding_mode="round")


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="asin: input must be a Tensor"):
        cr.asin([0.5])
    with pytest.raises(TypeError, match="frac: input must be a float tensor"):
        cr.frac(cr.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"atan2: shapes \(2,\) and \(3,\)"):
        cr.atan2(cr.zeros(2), cr.zeros(3))
    with pytest.raises(TypeError, match="hypot: expected a tensor"):
        cr.hypot(1.0, 2.0)
    with pytest.raises(TypeError, match="positive: not defined for bool"):
        cr.positive(cr.tensor([True]))


def test_inplace_twin_cannot_change_the_dtype_or_shape():
    with pytest.raises(DtypeError, match="expm1_: the result would be float32 but the tensor "
                                         "is int64"):
        cr.tensor([1, 2]).expm1_()
    with pytest.raises(Exception, match=r"atan2_: the result has shape \(2, 3\)"):
        cr.zeros(3).atan2_(cr.ones(2, 3))
    x = cr.tensor([1.0, 2.0])
    assert x.sinh_() is x  # in place: the same tensor, changed
    np.testing.assert_allclose(x.numpy(), np.sinh([1.0, 2.0]).astype(np.float32))


def test_integer_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([12, -18, 0, 7]), np.array([8, 12, 0, 3])
    for name in ("gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"):
        got = getattr(cr, name)(cr.tensor(a), cr.tensor(b % 4)).numpy()
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b % 4)).numpy()
        np.testing.assert_array_equal(got, want, err_msg=name)
    x = cr.tensor(a)
    assert x.gcd_(cr.tensor(b)) is x
    np.testing.assert_array_equal(x.numpy(), [4, 6, 0, 1])
    with pytest.raises(TypeError, match="gcd: other must be an integer tensor, got float32"):
        cr.gcd(cr.tensor(a), cr.tensor([1.0]))
    up = cr.nextafter(cr.tensor([1.0]), cr.tensor([2.0]))
    assert float(up) == float(np.nextafter(np.float32(1), np.float32(2)))


def test_float_power_in_place_needs_a_float64_tensor():
    with pytest.raises(DtypeError, match="float_power_: the result is float64 but the tensor "
                                         "is float32"):
        cr.tensor([1.0, 2.0]).float_power_(2)
    x = f64([1.0, 3.0])
    x.float_power_(2)
    np.testing.assert_array_equal(x.numpy(), [1.0, 9.0])
