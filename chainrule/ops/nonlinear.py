"""Nonlinear activations beyond the engine's basics: erf, softplus, elu, leaky_relu, gelu, silu.

Each forward runs on arrays in the input's dtype (no float64 promotion); each backward is
written with chainrule ops, so second derivatives work with ``create_graph=True``.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._convert import float_input
from .elementwise import exp, sigmoid, tanh, where

# Cephes (S. L. Moshier) rational approximations of erf and erfc, accurate to about 1e-16
# relative in float64: erf(x) = x T(x^2) / U(x^2) for |x| < 1,
# erfc(x) = exp(-x^2) P(x) / Q(x) for 1 <= x < 8 (erf is 1 to double precision beyond).
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


def _polyval(coefs, z):
    """Horner's rule; Python-float coefficients keep the array's dtype."""
    y = z * coefs[0] + coefs[1]
    for c in coefs[2:]:
        y *= z
        y += c
    return y


def erf_array(x):
    """erf of an array, in its own dtype (float64 accurate to ~1e-16 relative)."""
    xp = get_array_module(x)
    if x.dtype == np.float16:  # the polynomials pass 65504 above |x| ~ 4.5: float32 inside
        return erf_array(x.astype(np.float32)).astype(np.float16)
    ax = xp.abs(x)
    z = xp.minimum(x * x, 1.0)
    small = xp.minimum(ax, 1.0) * _polyval(_T, z) / _polyval(_U, z)
    a = xp.clip(ax, 1.0, 8.0)
    big = 1.0 - xp.exp(-a * a) * _polyval(_P, a) / _polyval(_Q, a)
    return xp.where(ax < 1.0, small, big) * xp.sign(x)


class Erf(Function):
    """erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt; d/dx = 2/sqrt(pi) exp(-x^2)."""

    elementwise = True

    def forward(self, x):
        return erf_array(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * exp(-(x * x)) * _TWO_OVER_SQRT_PI


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold;
    d/dx = sigmoid(beta x) (1 above the threshold)."""

    elementwise = True

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        bx = x * self.beta if self.beta != 1 else x
        y = xp.logaddexp(0.0, bx)  # log(1 + e^bx) without overflow
        if self.beta != 1:
            y /= self.beta
        return xp.where(bx > self.threshold, x, y)

    def backward(self, gy):
        x = self.inputs[0]
        bx = x * self.beta if self.beta != 1 else x
        linear = Tensor._make(bx.array > self.threshold, False)
        return gy * where(linear, 1.0, sigmoid(bx))


class ELU(Function):
    """y = x for x > 0, alpha (exp(x) - 1) otherwise; d/dx = 1 or alpha exp(x)."""

    elementwise = True

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0.0)) * self.alpha)

    def backward(self, gy):
        x = self.inputs[0]
        pos = Tensor._make(x.array > 0, False)
        # exp of min(x, 0): the unused branch must not overflow for large positive x.
        neg_part = exp(where(pos, 0.0, x)) * self.alpha
        return gy * where(pos, 1.0, neg_part)


class LeakyReLU(Function):
    """y = x for x > 0, slope x otherwise; d/dx is the constant 1 or slope."""

    elementwise = True
    saves_inputs = False

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = get_array_module(x)
        self.save(mask=x > 0)
        return xp.where(self.mask, x, x * self.slope)

    def backward(self, gy):
        xp = gy.xp
        d = xp.where(self.mask, xp.ones((), gy.dtype), xp.asarray(self.slope, gy.dtype))
        return gy * Tensor._make(d, False)


class GELU(Function):
    """Exact: y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2; d/dx = Phi(x) + x phi(x),
    phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""

    elementwise = True

    def forward(self, x):
        # float16: x Phi(x) in float32 (1 + erf rounds away the tail below -4), cast back.
        x32 = x.astype(np.float32) if x.dtype == np.float16 else x
        cdf = erf_array(x32 * _SQRT_HALF)
        cdf += 1.0
        cdf *= 0.5
        self.save(cdf=cdf.astype(x.dtype, copy=False))
        return (x32 * cdf).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0]
        cdf = (erf(x * _SQRT_HALF) + 1.0) * 0.5  # recomputed: part of the graph
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)

    def backward_array(self, gy):
        x = self.inputs[0].array
        g = get_array_module(x).exp(x * x * -0.5)
        g *= _INV_SQRT_2PI
        g *= x
        g += self.cdf
        g *= gy
        return g


class GELUTanh(Function):
    """y = x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3);
    d/dx = (1 + t) / 2 + x (1 - t^2) / 2 * sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u)."""

    elementwise = True

    def forward(self, x):
        xp = get_array_module(x)
        t = xp.tanh((x + x * x * x * _GELU_A) * _GELU_K)
        t += 1.0
        t *= 0.5
        return x * t

    def backward(self, gy):
        x = self.inputs[0]
        x2 = x * x
        t = tanh((x + x2 * x * _GELU_A) * _GELU_K)
        d = (t + 1.0) * 0.5 + x * (1.0 - t * t) * (x2 * (3.0 * _GELU_A) + 1.0) * (0.5 * _GELU_K)
        return gy * d


class SiLU(Function):
    """y = x sigmoid(x); d/dx = s (1 + x (1 - s)), s = sigmoid(x)."""

    elementwise = True

    def forward(self, x):
        xp = get_array_module(x)
        # float16 rounds tanh(-5) to -1, flushing silu(-10) to 0: float32 inside.
        s = xp.tanh(x.astype(np.float32) * 0.5) if x.dtype == np.float16 else xp.tanh(x * 0.5)
        s += 1.0
        s *= 0.5
        return (x * s).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0]
        s = sigmoid(x)
        return gy * s * (x * (1.0 - s) + 1.0)


def erf(x) -> Tensor:
    """The error function erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt."""
    return Erf()(float_input("erf", x))


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (as PyTorch)."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    return Softplus(beta, threshold)(float_input("softplus", x))


def elu(x, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise (``inplace`` is accepted, as PyTorch's,
    and computes out of place)."""
    return ELU(alpha)(float_input("elu", x))


def leaky_relu(x, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (``inplace`` computes out of place)."""
    return LeakyReLU(negative_slope)(float_input("leaky_relu", x))


def gelu(x, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x Phi(x); ``approximate='tanh'`` uses
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2."""
    x = float_input("gelu", x)
    if approximate == "none":
        return GELU()(x)
    if approximate == "tanh":
        return GELUTanh()(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish; ``inplace`` computes out of place)."""
    return SiLU()(float_input("silu", x))
