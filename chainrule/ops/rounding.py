"""Rounding and integer arithmetic: floor, ceil, round, trunc, floor_divide, remainder, fmod,
and the bitwise ops. PyTorch's gradients: zero for the rounding functions (they are
piecewise constant), none for floor_divide and the bitwise ops; remainder passes the
gradient to its dividend."""

from __future__ import annotations

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._convert import check_tensor, pair


class _Rounding(Function):
    """A piecewise-constant function: the gradient is 0 almost everywhere."""

    saves_inputs = False
    fn = ""

    def forward(self, x):
        return getattr(get_array_module(x), self.fn)(x)

    def backward(self, gy):
        return gy * 0.0


def _rounding(fn):
    cls = type(fn.capitalize(), (_Rounding,), {"fn": fn, "__doc__": f"Elementwise {fn}."})

    def f(x) -> Tensor:
        x = check_tensor(fn, x)
        if x.dtype.kind in "iub":  # rounding an integer changes nothing, as in PyTorch
            return x
        return cls()(x)

    f.__name__ = fn
    f.__doc__ = f"Elementwise {fn} (the gradient is 0, as PyTorch's)."
    return f


floor = _rounding("floor")
ceil = _rounding("ceil")
trunc = _rounding("trunc")
_round_half_even = _rounding("rint")


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (as ``torch.round``), to ``decimals`` places."""
    if decimals == 0:
        return _round_half_even(x)
    return _round_half_even(x * 10.0**decimals) / 10.0**decimals


class Remainder(Function):
    """a - floor(a / b) * b (Python's %, the sign of b): d/da = 1, d/db = -floor(a / b)."""

    def __init__(self, fn):
        self.fn = fn

    def forward(self, a, b):
        return getattr(get_array_module(a), self.fn)(a, b)

    def backward(self, gy):
        a, b = self.inputs
        xp = a.xp
        q = xp.floor(a.array / b.array) if self.fn == "remainder" else xp.trunc(a.array / b.array)
        return gy, gy * Tensor._make(-q.astype(gy.dtype), False)


def remainder(a, b) -> Tensor:
    """a mod b with the sign of b (Python's ``%``, ``torch.remainder``)."""
    a, b = pair(a, b)
    return Remainder("remainder")(a, b)


def fmod(a, b) -> Tensor:
    """a mod b with the sign of a (C's ``fmod``, ``torch.fmod``)."""
    a, b = pair(a, b)
    return Remainder("fmod")(a, b)


def floor_divide(a, b) -> Tensor:
    """floor(a / b) (Python's ``//``); no gradient."""
    a, b = pair(a, b)
    return Tensor._make(a.xp.floor_divide(a.array, b.array), False)


def _bitwise(fn):
    def f(a, b) -> Tensor:
        a, b = pair(a, b)
        if a.dtype.kind not in "iub" or b.dtype.kind not in "iub":
            raise TypeError(
                f"{fn}: needs integer or bool tensors, got dtypes {a.dtype} and {b.dtype}"
            )
        return Tensor._make(getattr(a.xp, fn)(a.array, b.array), False)

    f.__name__ = fn
    f.__doc__ = f"Elementwise {fn} of integer or bool tensors (no gradient)."
    return f


bitwise_and = _bitwise("bitwise_and")
bitwise_or = _bitwise("bitwise_or")
bitwise_xor = _bitwise("bitwise_xor")


def bitwise_not(x) -> Tensor:
    """~x: logical not for bool tensors, bitwise not for integers."""
    x = check_tensor("bitwise_not", x)
    if x.dtype.kind not in "iub":
        raise TypeError(f"bitwise_not: needs an integer or bool tensor, got dtype {x.dtype}")
    return Tensor._make(x.xp.invert(x.array), False)
