"""Constructor argument checks shared by the layers, so every layer refuses a bad size or
rate when it is built, naming itself and the argument (not at the first forward pass).

Wrong types raise ``TypeError``, wrong values ``ValueError``.
"""

from __future__ import annotations

import math
import numbers


def integer(owner: str, arg: str, value, low: int = 1) -> int:
    """An int >= ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{owner}: {arg} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{owner}: {arg} must be >= {low}, got {value}")
    return int(value)


def sizes(owner: str, arg: str, value, nd: int, low: int = 1, allow_none: bool = False):
    """An int or a tuple of ``nd`` ints, each >= ``low`` (None entries where allowed)."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    if isinstance(value, (tuple, list)) and len(value) != nd:
        raise ValueError(f"{owner}: {arg} must be an int or {nd} ints, got {value!r}")
    for v in items:
        if not (allow_none and v is None):
            integer(owner, arg, v, low)
    return value


def real(owner: str, arg: str, value, low: float | None = None, high: float | None = None,
         low_open: bool = False):
    """A real number, not NaN, in [low, high] (or (low, high] with ``low_open``); returned
    as given (an int stays an int, as PyTorch keeps it)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: {arg} must be a number, got {type(value).__name__} "
                        f"{value!r}")
    if math.isnan(value):
        raise ValueError(f"{owner}: {arg} must be a number, got NaN")
    if (low is not None and (value < low or (low_open and value == low))) \
            or (high is not None and value > high):
        interval = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}" \
                   f"{']' if high is not None else ')'}"
        raise ValueError(f"{owner}: {arg} must be in {interval}, got {value!r}")
    return value


def probability(owner: str, arg: str, value) -> float:
    """A probability in [0, 1]."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {arg} must be between 0 and 1, got {value!r}")
    return real(owner, arg, value, 0.0, 1.0)
