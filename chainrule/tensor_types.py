"""PyTorch's legacy typed constructors and type objects: ``torch.FloatTensor(2, 3)``,
``torch.LongTensor([1, 2])``, ``x.type(torch.FloatTensor)``,
``isinstance(x, torch.FloatTensor)``; and ``finfo``/``iinfo``.

Each is a ``Tensor`` subclass used only as a type: calling it returns a plain ``Tensor``
of its dtype (zeros for ``FloatTensor(2, 3)``, where PyTorch leaves memory uninitialised),
and ``isinstance`` checks the dtype.
"""

from __future__ import annotations

import numpy as np

from .backend import to_dtype
from .tensor import Tensor


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        from .creation import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = args[0]
            return tensor(data.array if isinstance(data, Tensor) else data, dtype=cls.dtype,
                          device=device)
        return zeros(*args, dtype=cls.dtype, device=device)

    def __repr__(cls) -> str:
        return f"<class 'chainrule.{cls.__name__}'>"


def _typed(name: str, dtype) -> type:
    return _TypedTensorMeta(name, (), {"dtype": np.dtype(dtype), "__doc__": (
        f"``torch.{name}``: ``{name}(sizes...)`` is zeros, ``{name}(data)`` a copy, both "
        f"of dtype {np.dtype(dtype)}.")})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)


def finfo(dtype=None) -> np.finfo:
    """Machine limits of a float dtype (``eps``, ``max``, ``min``, ``tiny``, ``bits``,
    ``resolution``), float32 when none is given."""
    return np.finfo(to_dtype(dtype, "finfo") or np.float32)


def iinfo(dtype) -> np.iinfo:
    """Limits of an integer dtype (``max``, ``min``, ``bits``)."""
    return np.iinfo(to_dtype(dtype, "iinfo"))


__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor", "finfo", "iinfo",
]  # fmt: skip
