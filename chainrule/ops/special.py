"""More elementwise math, as PyTorch names it: inverse trigonometric and hyperbolic
functions, expm1/exp2, erfc, sinc, logit, xlogy, atan2, hypot, copysign, logaddexp, fmax/fmin,
nan_to_num and the aliases PyTorch keeps (arcsin, absolute, multiply...).

Each op with its own rule is a ``Function`` whose forward is NumPy's function on the
input's dtype and whose backward is written with chainrule ops (second derivatives work);
the rest compose existing ops.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise as _ew
from ._convert import as_tensor, check_tensor, float_input, float_pair
from .nonlinear import _P, _Q, _T, _U, _polyval
from .rounding import trunc

__all__ = [
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "expm1", "exp2", "erfc", "sinc", "logit",
    "deg2rad", "rad2deg", "frac", "fix", "sgn", "absolute", "negative", "positive",
    "atan2", "arctan2", "hypot", "xlogy", "copysign", "logaddexp", "logaddexp2", "fmax",
    "fmin", "float_power", "heaviside", "nan_to_num", "ldexp", "multiply", "divide",
    "true_divide", "subtract", "renorm", "gcd", "lcm", "bitwise_left_shift",
    "bitwise_right_shift", "nextafter", "lgamma", "digamma", "polygamma", "mvlgamma",
]  # fmt: skip

# Ops of this module that are also Tensor methods (the tensor as first argument), and the
# ops whose in-place twin ``x.<op>_(...)`` Tensor has, recorded as the op applied to x.
TENSOR_METHODS: list[str] = [  # Tensor has its own multiply, divide, true_divide, subtract
    # and x.polygamma(n) takes n second
    n for n in __all__
    if n not in ("multiply", "divide", "true_divide", "subtract", "polygamma")]
INPLACE_TWINS: list[str] = [
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "expm1", "exp2", "erfc", "sinc", "logit",
    "deg2rad", "rad2deg", "frac", "fix", "sgn", "absolute", "negative", "atan2", "arctan2",
    "hypot", "xlogy", "copysign", "heaviside", "nan_to_num", "ldexp",
    "multiply", "divide", "true_divide", "subtract", "renorm", "gcd", "lcm",
    "bitwise_left_shift", "bitwise_right_shift", "nextafter", "lgamma", "digamma", "mvlgamma",
]  # fmt: skip

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2 = math.log(2.0)


class _Unary(Function):
    """An elementwise function computed by the array module's ``ufunc``, whose derivative
    ``derivative(x)`` is written with chainrule ops of the saved input."""

    elementwise = True
    ufunc = ""

    def forward(self, x):
        return getattr(get_array_module(x), self.ufunc)(x)

    def backward(self, gy):
        return gy * self.derivative(self.inputs[0])


class Asin(_Unary):
    ufunc = "arcsin"

    def derivative(self, x):
        return _ew.sqrt(1.0 - x * x) ** -1


class Acos(_Unary):
    ufunc = "arccos"

    def derivative(self, x):
        return -(_ew.sqrt(1.0 - x * x) ** -1)


class Atan(_Unary):
    ufunc = "arctan"
    saturates = (-math.pi / 2, math.pi / 2)

    def derivative(self, x):
        return (x * x + 1.0) ** -1


class Sinh(_Unary):
    ufunc = "sinh"

    def derivative(self, x):
        return cosh(x)


class Cosh(_Unary):
    ufunc = "cosh"

    def derivative(self, x):
        return sinh(x)


class Asinh(_Unary):
    ufunc = "arcsinh"

    def derivative(self, x):
        return _ew.sqrt(x * x + 1.0) ** -1


class Acosh(_Unary):
    ufunc = "arccosh"

    def derivative(self, x):
        return _ew.sqrt((x - 1.0) * (x + 1.0)) ** -1


class Atanh(_Unary):
    ufunc = "arctanh"

    def derivative(self, x):
        return (1.0 - x * x) ** -1


class _FromOutput(_Unary):
    """An elementwise function whose derivative reads only its output."""

    saves_inputs = False
    saves_output = True

    def backward(self, gy):
        return gy * self.derivative(self.output())


class Expm1(_FromOutput):
    """e^x - 1, accurate for small x; d/dx = y + 1."""

    ufunc = "expm1"

    def derivative(self, y):
        return y + 1.0


class Exp2(_FromOutput):
    """2^x; d/dx = y ln 2."""

    ufunc = "exp2"

    def derivative(self, y):
        return y * _LN2


def erfc_array(x):
    """erfc of an array, computed in float64 and returned in its dtype: 1 - erf below 1 in
    magnitude, Cephes' exp(-x^2) P(x)/Q(x) on [1, 8) and the asymptotic series beyond, so
    the far tail keeps its relative precision (1 - erf(x) would round to 0 from x ~ 6)."""
    xp = get_array_module(x)
    a = x.astype(np.float64)
    ax = xp.abs(a)
    z = xp.minimum(a * a, 1.0)
    near = 1.0 - xp.clip(a, -1.0, 1.0) * _polyval(_T, z) / _polyval(_U, z)
    b = xp.clip(ax, 1.0, 8.0)
    mid = xp.exp(-b * b) * _polyval(_P, b) / _polyval(_Q, b)
    c = xp.maximum(ax, 8.0)
    inv, term, series = 1.0 / (2.0 * c * c), xp.ones_like(c), xp.ones_like(c)
    for n in range(1, 19):  # the terms shrink below 2e-16 by n = 15 at x = 8
        term = term * -(2 * n - 1) * inv
        series = series + term
    far = xp.exp(-c * c) / (c * math.sqrt(math.pi)) * series
    tail = xp.where(ax < 8.0, mid, far)
    y = xp.where(ax < 1.0, near, xp.where(a < 0, 2.0 - tail, tail))
    return y.astype(x.dtype)


def erfcx_array(x):
    """exp(x^2) erfc(x) in float64, returned in x's dtype: the same pieces as
    ``erfc_array`` without their exp(-x^2) factor from 1 on, so it stays finite and precise
    in the tail (~ 1 / (x sqrt(pi))); exp(x^2) erfc(x) below 1 (inf far below 0)."""
    xp = get_array_module(x)
    a = x.astype(np.float64)
    b = xp.clip(a, 1.0, 8.0)
    mid = _polyval(_P, b) / _polyval(_Q, b)
    c = xp.maximum(a, 8.0)
    inv, term, series = 1.0 / (2.0 * c * c), xp.ones_like(c), xp.ones_like(c)
    for n in range(1, 19):
        term = term * -(2 * n - 1) * inv
        series = series + term
    far = series / (c * math.sqrt(math.pi))
    with np.errstate(over="ignore", invalid="ignore"):
        low = xp.exp(xp.minimum(a, 1.0) ** 2) * erfc_array(xp.minimum(a, 1.0))
    y = xp.where(a < 1.0, low, xp.where(a < 8.0, mid, far))
    return y.astype(x.dtype)


class Erfcx(Function):
    """exp(x^2) erfc(x); d/dx = 2 x erfcx(x) - 2 / sqrt(pi)."""

    elementwise = True
    saves_output = True

    def forward(self, x):
        return erfcx_array(x)

    def backward(self, gy):
        return gy * (self.inputs[0] * self.output() * 2.0 - _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """erfc(x) = 1 - erf(x); d/dx = -2/sqrt(pi) exp(-x^2)."""

    elementwise = True

    def forward(self, x):
        return erfc_array(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * _ew.exp(-(x * x)) * -_TWO_OVER_SQRT_PI


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0; d/dx = (cos(pi x) - sinc(x)) / x, 0 at 0 (as PyTorch)."""

    elementwise = True

    def forward(self, x):
        xp = get_array_module(x)
        px = x * math.pi
        safe = xp.where(x == 0, 1.0, px).astype(x.dtype)
        return xp.where(x == 0, 1.0, xp.sin(px) / safe).astype(x.dtype)

    def backward(self, gy):
        x = self.inputs[0]
        zero = Tensor._make(x.array == 0, False)
        safe = _ew.where(zero, 1.0, x)  # no 0/0 at 0, whose gradient is masked to 0
        return gy * _ew.where(zero, 0.0, (_ew.cos(safe * math.pi) - sinc(safe)) / safe)


def _unary(cls, fname, x) -> Tensor:
    return cls()(float_input(fname, x))


def _float_op(cls, name: str, doc: str):
    """The function ``name(input)``: ``cls`` applied to ``input`` (integers as float32)."""

    def op(input) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return _unary(cls, name, input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


asin = _float_op(Asin, "asin", "arcsin on [-1, 1]; d/dx = 1 / sqrt(1 - x^2).")
acos = _float_op(Acos, "acos", "arccos on [-1, 1]; d/dx = -1 / sqrt(1 - x^2).")
atan = _float_op(Atan, "atan", "arctan; d/dx = 1 / (1 + x^2).")
sinh = _float_op(Sinh, "sinh", "Hyperbolic sine; d/dx = cosh(x).")
cosh = _float_op(Cosh, "cosh", "Hyperbolic cosine; d/dx = sinh(x).")
asinh = _float_op(Asinh, "asinh", "Inverse hyperbolic sine; d/dx = 1 / sqrt(x^2 + 1).")
acosh = _float_op(Acosh, "acosh", "arccosh on [1, inf); d/dx = 1 / sqrt(x^2 - 1).")
atanh = _float_op(Atanh, "atanh", "arctanh on (-1, 1); d/dx = 1 / (1 - x^2).")
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh
expm1 = _float_op(Expm1, "expm1", "e^x - 1, accurate for small x.")
exp2 = _float_op(Exp2, "exp2", "2^x.")
erfc = _float_op(Erfc, "erfc", "The complementary error function 1 - erf(x), precise in "
                 "the tails.")
sinc = _float_op(Sinc, "sinc", "The normalized sinc, sin(pi x) / (pi x), with sinc(0) = 1.")


def logit(input, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(x / (1 - x)); with ``eps`` the input is first clamped to [eps, 1 - eps] (the
    gradient is 0 where it was clamped)."""
    x = float_input("logit", input)
    if eps is not None:
        if not 0 <= eps <= 0.5:
            raise ValueError(f"logit: eps must be in [0, 0.5], got {eps!r}")
        x = _ew.clip(x, eps, 1.0 - eps)
    return _ew.log(x) - _ew.log1p(-x)


def deg2rad(input) -> Tensor:  # noqa: A002
    return float_input("deg2rad", input) * (math.pi / 180.0)


def rad2deg(input) -> Tensor:  # noqa: A002
    return float_input("rad2deg", input) * (180.0 / math.pi)


def frac(input) -> Tensor:  # noqa: A002
    """The fractional part x - trunc(x), with the sign of x; d/dx = 1."""
    x = check_tensor("frac", input)
    if x.dtype.kind != "f":
        raise TypeError(f"frac: input must be a float tensor, got {x.dtype}")
    return x - trunc(x)


def fix(input) -> Tensor:  # noqa: A002
    """``trunc``: round towards zero."""
    return trunc(input)


def sgn(input) -> Tensor:  # noqa: A002
    """``sign`` (for real tensors sgn and sign agree)."""
    return _ew.sign(input)


def absolute(input) -> Tensor:  # noqa: A002
    return _ew.abs(input)


def negative(input) -> Tensor:  # noqa: A002
    return _ew.neg(input)


def positive(input) -> Tensor:  # noqa: A002
    """The input itself (as ``torch.positive``); booleans are refused, as there."""
    x = check_tensor("positive", input)
    if x.dtype.kind == "b":
        raise TypeError("positive: not defined for bool tensors")
    return x


# -- binary --------------------------------------------------------------------------------


class Atan2(Function):
    """atan2(y, x), the angle of (x, y); d/dy = x / r^2, d/dx = -y / r^2."""

    elementwise = True

    def forward(self, y, x):
        return get_array_module(y).arctan2(y, x)

    def backward(self, g):
        y, x = self.inputs
        g = g / (y * y + x * x)
        return g * x, -(g * y)


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / h, d/db = b / h."""

    elementwise = True
    saves_output = True

    def forward(self, a, b):
        return get_array_module(a).hypot(a, b)

    def backward(self, g):
        a, b = self.inputs
        g = g / self.output()
        return g * a, g * b


class Xlogy(Function):
    """x log y, and 0 where x == 0 (even where y is 0, but NaN where y is NaN);
    d/dx = log y (0 where x == 0 and y <= 0), d/dy = x / y (PyTorch's rules)."""

    elementwise = True

    def forward(self, x, y):
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), 0.0, x * xp.log(y)).astype(x.dtype)

    def backward(self, g):
        x, y = self.inputs
        if self.needs_grad[0]:
            undefined = Tensor._make((x.array == 0) & (y.array <= 0), False)
            gx = _ew.where(undefined, 0.0, xlogy(g, y))
        return (gx if self.needs_grad[0] else None,
                g * x / y if self.needs_grad[1] else None)


class Xlog1py(Function):
    """x log(1 + y), and 0 where x == 0 (NaN where y is NaN); d/dx = log1p(y) (0 where
    x == 0 and y <= -1), d/dy = x / (1 + y)."""

    elementwise = True

    def forward(self, x, y):
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), 0.0, x * xp.log1p(y)).astype(x.dtype)

    def backward(self, g):
        x, y = self.inputs
        if self.needs_grad[0]:
            undefined = Tensor._make((x.array == 0) & (y.array <= -1), False)
            gx = _ew.where(undefined, 0.0, xlog1py(g, y))
        return (gx if self.needs_grad[0] else None,
                g * x / (y + 1.0) if self.needs_grad[1] else None)


class Copysign(Function):
    """|a| with the sign of b; d/da = +-1 (0 where a == 0), d/db = 0."""

    elementwise = True
    saves_inputs = False

    def forward(self, a, b):
        xp = get_array_module(a)
        y = xp.copysign(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.save(ratio=xp.where(a == 0, 0.0, y / a).astype(y.dtype))
        return y

    def backward(self, g):
        return (g * Tensor._make(self.ratio, False) if self.needs_grad[0] else None,
                g * 0.0 if self.needs_grad[1] else None)


class LogAddExp(Function):
    """log(e^a + e^b) without overflow; d/da = e^(a - y), d/db = e^(b - y)."""

    elementwise = True
    saves_output = True
    base_e = True

    def forward(self, a, b):
        xp = get_array_module(a)
        return xp.logaddexp(a, b) if self.base_e else xp.logaddexp2(a, b)

    def backward(self, g):
        a, b = self.inputs
        y = self.output()
        power = _ew.exp if self.base_e else exp2
        return g * power(a - y), g * power(b - y)


class LogAddExp2(LogAddExp):
    """log2(2^a + 2^b); d/da = 2^(a - y), d/db = 2^(b - y)."""

    base_e = False


def _float_binary(cls, name, a, b) -> Tensor:
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}: expected a tensor, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    return _ew._binary(cls, name, a, b, float_pair)


def atan2(input, other) -> Tensor:  # noqa: A002
    """The angle of the point (other, input) in (-pi, pi]; ``arctan2`` is the same."""
    return _float_binary(Atan2, "atan2", input, other)


arctan2 = atan2


def hypot(input, other) -> Tensor:  # noqa: A002
    return _float_binary(Hypot, "hypot", input, other)


def xlogy(input, other) -> Tensor:  # noqa: A002
    """input * log(other), 0 where input is 0 and other is not NaN (the entropy terms'
    convention)."""
    return _float_binary(Xlogy, "xlogy", input, other)


def xlog1py(input, other) -> Tensor:  # noqa: A002
    """input * log1p(other), 0 where input is 0 and other is not NaN."""
    return _float_binary(Xlog1py, "xlog1py", input, other)


erfcx = _float_op(Erfcx, "erfcx", "The scaled complementary error function exp(x^2) "
                  "erfc(x).")


def copysign(input, other) -> Tensor:  # noqa: A002
    """|input| with the sign of other (the sign bit: -0.0 counts as negative)."""
    return _float_binary(Copysign, "copysign", input, other)


def logaddexp(input, other) -> Tensor:  # noqa: A002
    return _float_binary(LogAddExp, "logaddexp", input, other)


def logaddexp2(input, other) -> Tensor:  # noqa: A002
    return _float_binary(LogAddExp2, "logaddexp2", input, other)


def _nan_aware(name, a, b, pick_a) -> Tensor:
    a, b = _ew.pair(a, b)
    try:
        cond = pick_a(a.array, b.array) | a.xp.isnan(b.array)
    except ValueError:
        raise _ew._broadcast_error(name, a, b) from None
    return _ew.where(Tensor._make(cond, False), a, b)


def fmax(input, other) -> Tensor:  # noqa: A002
    """Elementwise maximum that ignores NaN (NaN only where both are); on ties the
    gradient goes to ``input``, as PyTorch's."""
    return _nan_aware("fmax", input, other, np.greater_equal)


def fmin(input, other) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN; on ties the gradient goes to ``input``."""
    return _nan_aware("fmin", input, other, np.less_equal)


def float_power(input, exponent) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64 (the result is float64, as PyTorch's)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power: expected a tensor for input or exponent")

    def double(v):
        return v.astype(np.float64) if isinstance(v, Tensor) else as_tensor(v, np.float64)

    return _ew.pow(double(input), double(exponent))


def heaviside(input, values) -> Tensor:  # noqa: A002
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0 (no gradient)."""
    x = check_tensor("heaviside", input)
    v = check_tensor("heaviside", values, "values")
    if x.dtype != v.dtype:
        raise TypeError(f"heaviside: input ({x.dtype}) and values ({v.dtype}) must have the "
                        f"same dtype")
    try:
        return Tensor._make(x.xp.heaviside(x.array, v.array).astype(x.dtype), False)
    except ValueError:
        raise _ew._broadcast_error("heaviside", x, v) from None


def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the
    dtype's largest and lowest finite values); the gradient is 0 where a value was
    replaced."""
    x = check_tensor("nan_to_num", input)
    if x.dtype.kind != "f":
        return x.clone()
    fixed = x.xp.nan_to_num(x.array, nan=nan, posinf=posinf, neginf=neginf)
    return _ew.where(Tensor._make(x.xp.isfinite(x.array), False), x,
                     Tensor._make(fixed, False))


def ldexp(input, other) -> Tensor:  # noqa: A002
    """input * 2 ** other (a float result)."""
    a, b = float_pair(input, other)
    return a * exp2(b)


def renorm(input, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (by maxnorm / (norm + 1e-7), as PyTorch); the others unchanged."""
    from ..linalg import vector_norm
    from ._convert import normalize_axis

    x = check_tensor("renorm", input)
    if x.dtype.kind != "f":
        raise TypeError(f"renorm: input must be a float tensor, got {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"renorm: input needs at least 2 dims, got shape {tuple(x.shape)}")
    if not p > 0:
        raise ValueError(f"renorm: p must be positive, got {p!r}")
    if not maxnorm >= 0:
        raise ValueError(f"renorm: maxnorm must be non-negative, got {maxnorm!r}")
    (d,) = normalize_axis("renorm", dim, x.ndim)
    norm = vector_norm(x, p, tuple(a for a in range(x.ndim) if a != d), keepdim=True)
    over = Tensor._make(norm.array > maxnorm, False)
    return x * _ew.where(over, maxnorm / (norm + 1e-7), 1.0)


# -- the gamma function's logarithm and its derivatives -------------------------------------

# Lanczos's approximation with g = 7 and nine terms (relative error about 1e-15):
# Gamma(z + 1) = sqrt(2 pi) t^(z + 1/2) e^-t A(z), t = z + g + 1/2, A(z) = p0 + sum pk / (z + k).
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)  # fmt: skip
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _lgamma_array(x):
    """log |Gamma(x)| in float64: Lanczos for x >= 1/2, the reflection
    Gamma(x) Gamma(1 - x) = pi / sin(pi x) below (inf at 0, -1, -2...)."""
    xp = get_array_module(x)
    a = x.astype(np.float64)
    small = a < 0.5
    z = xp.where(small, -a, a - 1.0)  # the Lanczos argument of x or of 1 - x
    acc = xp.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        acc += c / (z + k)
    t = z + _LANCZOS_G + 0.5
    big = _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(acc)
    with np.errstate(divide="ignore"):
        s = xp.abs(xp.sin(math.pi * (a - xp.floor(a))))  # exact zeros at the integers
        reflected = math.log(math.pi) - xp.log(s) - big
    return xp.where(small, reflected, big).astype(x.dtype)


def _digamma_array(x):
    """The digamma function psi = Gamma'/Gamma in float64: the recurrence psi(x) =
    psi(x + 1) - 1/x up to 10, then the asymptotic series; psi(1 - x) - pi / tan(pi x)
    below 1/2; -inf at 0 and NaN at the negative integers, as PyTorch."""
    xp = get_array_module(x)
    a = x.astype(np.float64)
    small = a < 0.5
    y = xp.where(small, 1.0 - a, a)
    acc = xp.zeros_like(y)
    while True:
        low = y < 10.0
        if not low.any():
            break
        acc -= xp.where(low, 1.0 / xp.where(low, y, 1.0), 0.0)
        y = xp.where(low, y + 1.0, y)
    r = 1.0 / (y * y)
    series = r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132 - r * (
        691 / 32760 - r / 12))))))
    psi = acc + xp.log(y) - 0.5 / y - series
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = a - xp.floor(a)
        reflected = psi - math.pi / xp.tan(math.pi * frac)
        reflected = xp.where(frac == 0, xp.where(a == 0, -xp.inf, xp.nan), reflected)
    return xp.where(small, reflected, psi).astype(x.dtype)


# Bernoulli numbers B2, B4, ... B18 for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798)  # fmt: skip


def _zeta_array(s, q):
    """The Hurwitz zeta function sum_k (q + k)^-s for s > 1, in float64: the sum's first
    terms up to q + k >= 20, then Euler-Maclaurin; inf at the poles q = 0, -1, -2..."""
    xp = get_array_module(q)
    s, y = xp.asarray(s, np.float64), q.astype(np.float64)
    s, y = xp.broadcast_arrays(s, y)
    acc = xp.zeros(y.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while True:
            low = y < 20.0
            if not low.any():
                break
            acc += xp.where(low, xp.abs(y) ** -s * xp.where(y < 0, (-1.0) ** s, 1.0), 0.0)
            y = xp.where(low, y + 1.0, y)
        tail = y ** (1.0 - s) / (s - 1.0) + 0.5 * y ** -s
        rising, power, fact = s, y ** (-s - 1.0), 2.0  # (s)_(2k-1), y^(-s-2k+1), (2k)!
        for k, b in enumerate(_BERNOULLI, 1):
            tail = tail + b / fact * rising * power
            rising = rising * (s + 2 * k - 1) * (s + 2 * k)
            power = power / (y * y)
            fact *= (2 * k + 1) * (2 * k + 2)
        out = acc + tail
    pole = (q <= 0) & (q == xp.floor(q))
    return xp.where(pole, xp.inf, xp.where(s < 1, xp.nan, xp.where(s == 1, xp.inf, out)))


def _polygamma_array(n: int, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; at the poles 0, -1, -2...
    +inf for odd n (a pole of even order) and NaN for even n."""
    xp = get_array_module(x)
    out = (-1.0) ** (n + 1) * math.factorial(n) * _zeta_array(n + 1.0, x)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole, xp.inf if n % 2 else xp.nan, out).astype(x.dtype)


class Lgamma(Function):
    """log |Gamma(x)|; d/dx = digamma(x)."""

    elementwise = True

    def forward(self, x):
        return _lgamma_array(x)

    def backward(self, gy):
        return gy * digamma(self.inputs[0])


class Digamma(Function):
    """psi(x) = d/dx log Gamma(x); d/dx = polygamma(1, x)."""

    elementwise = True

    def forward(self, x):
        return _digamma_array(x)

    def backward(self, gy):
        return gy * polygamma(1, self.inputs[0])


class Polygamma(Function):
    """The n-th derivative of digamma; d/dx = polygamma(n + 1, x)."""

    elementwise = True

    def __init__(self, n):
        self.n = n

    def forward(self, x):
        return _polygamma_array(self.n, x)

    def backward(self, gy):
        return gy * polygamma(self.n + 1, self.inputs[0])


lgamma = _float_op(Lgamma, "lgamma", "log |Gamma(x)| (inf at 0 and the negative integers).")
digamma = _float_op(Digamma, "digamma", "The digamma function Gamma'(x) / Gamma(x) (-inf at "
                    "0, NaN at the negative integers).")


def polygamma(n: int, input) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma (``polygamma(0, x)`` is digamma)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative int, got {n!r}")
    x = float_input("polygamma", input)
    return Digamma()(x) if n == 0 else Polygamma(int(n))(x)


def mvlgamma(input, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma function of dimension ``p``:
    p (p - 1) / 4 log pi + sum_j lgamma(x + (1 - j) / 2); every element must exceed
    (p - 1) / 2."""
    x = float_input("mvlgamma", input)
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"mvlgamma: p must be a positive int, got {p!r}")
    if x.numel() and not bool((x.array > (p - 1) / 2).all()):
        raise ValueError(f"mvlgamma: all elements must be greater than (p-1)/2 = "
                         f"{(p - 1) / 2}")
    out = lgamma(x)
    for j in range(2, p + 1):
        out = out + lgamma(x + (1 - j) / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def _integer_pair(fname, a, b, ufunc) -> Tensor:
    for name, t in (("input", a), ("other", b)):
        kind = t.dtype.kind if isinstance(t, Tensor) else np.asarray(t).dtype.kind
        if kind not in "biu":
            dtype = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"{fname}: {name} must be an integer tensor, got {dtype}")
    a, b = _ew.pair(a, b)
    try:
        return Tensor._make(getattr(a.xp, ufunc)(a.array, b.array), False)
    except ValueError:
        raise _ew._broadcast_error(fname, a, b) from None


def gcd(input, other) -> Tensor:  # noqa: A002
    """Greatest common divisor of integer tensors (non-negative; gcd(0, 0) = 0)."""
    return _integer_pair("gcd", input, other, "gcd")


def lcm(input, other) -> Tensor:  # noqa: A002
    """Least common multiple of integer tensors (non-negative)."""
    return _integer_pair("lcm", input, other, "lcm")


def bitwise_left_shift(input, other) -> Tensor:  # noqa: A002
    return _integer_pair("bitwise_left_shift", input, other, "left_shift")


def bitwise_right_shift(input, other) -> Tensor:  # noqa: A002
    return _integer_pair("bitwise_right_shift", input, other, "right_shift")


def nextafter(input, other) -> Tensor:  # noqa: A002
    """The next representable float after ``input`` towards ``other`` (no gradient)."""
    a, b = float_pair(input, other)
    try:
        return Tensor._make(a.xp.nextafter(a.array, b.array), False)
    except ValueError:
        raise _ew._broadcast_error("nextafter", a, b) from None


# -- PyTorch's other names for the arithmetic ---------------------------------------------


def multiply(input, other) -> Tensor:  # noqa: A002
    return _ew.mul(input, other)


def divide(input, other, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    return _ew.div(input, other, rounding_mode=rounding_mode)


def true_divide(input, other) -> Tensor:  # noqa: A002
    return _ew.div(input, other)


def subtract(input, other, *, alpha=1) -> Tensor:  # noqa: A002
    return _ew.sub(input, other, alpha=alpha)
