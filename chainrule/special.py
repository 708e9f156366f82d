"""``torch.special``: the special functions under PyTorch's names (``cr.special.gammaln``,
``cr.special.expit``...), each the op of the same meaning in ``chainrule.ops`` with its
gradient, and the few that exist only here (entr, ndtr, ndtri, log_ndtr, zeta).

Not here (yet): the Bessel and Airy functions, i0/i1, the incomplete gamma functions.
"""

from __future__ import annotations

import math

import numpy as np

from .ops import elementwise as _ew
from .ops import special as _sp
from .ops._convert import float_input, float_pair
from .ops.nonlinear import erf
from .ops.reduce import logsumexp
from .ops.softmax import log_softmax, softmax
from .ops.torch_names import erfinv
from .tensor import Tensor

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
]  # fmt: skip

digamma = psi = _sp.digamma
erfc, erfcx, exp2, expm1 = _sp.erfc, _sp.erfcx, _sp.exp2, _sp.expm1
gammaln, multigammaln, polygamma = _sp.lgamma, _sp.mvlgamma, _sp.polygamma
logit, sinc, xlog1py, xlogy = _sp.logit, _sp.sinc, _sp.xlog1py, _sp.xlogy
expit = _ew.sigmoid
log1p = _ew.log1p
_SQRT_HALF = math.sqrt(0.5)


def round(input, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    """Round half to even, to ``decimals`` places (as ``torch.round``)."""
    return float_input("special.round", input).round(decimals=decimals)


def entr(input) -> Tensor:  # noqa: A002
    """The elementwise entropy -x log x: 0 at 0, -inf below 0."""
    x = float_input("special.entr", input)
    negative = Tensor._make(x.array < 0, False)
    return _ew.where(negative, -math.inf, -_sp.xlogy(x, x))


def ndtr(input) -> Tensor:  # noqa: A002
    """The standard normal distribution function P(Z <= x)."""
    return _sp.erfc(float_input("special.ndtr", input) * -_SQRT_HALF) * 0.5


def ndtri(input) -> Tensor:  # noqa: A002
    """The inverse of ``ndtr``: the x with P(Z <= x) = p (-inf at 0, inf at 1)."""
    return erfinv(float_input("special.ndtri", input) * 2.0 - 1.0) * math.sqrt(2.0)


def log_ndtr(input) -> Tensor:  # noqa: A002
    """log P(Z <= x), finite far into the lower tail: log(erfcx(-x / sqrt 2) / 2) - x^2 / 2
    below 0, where erfc itself would underflow."""
    x = float_input("special.log_ndtr", input)
    low = Tensor._make(x.array < 0, False)
    t = _ew.where(low, x, 0.0) * -_SQRT_HALF
    lower = _ew.log(_sp.erfcx(t) * 0.5) - t * t
    upper = _ew.log1p(-_sp.erfc(_ew.where(low, 0.0, x) * _SQRT_HALF) * 0.5)
    return _ew.where(low, lower, upper)


def zeta(input, other) -> Tensor:  # noqa: A002
    """The Hurwitz zeta function sum_k (other + k)^-input (no gradient, as PyTorch)."""
    s, q = float_pair(input, other)
    try:
        shape = np.broadcast_shapes(s.shape, q.shape)
    except ValueError:
        raise _ew._broadcast_error("special.zeta", s, q) from None
    return Tensor._make(_sp._zeta_array(s.array, q.array).reshape(shape).astype(q.dtype), False)
