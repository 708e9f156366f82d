"""Turning op arguments into tensors, with PyTorch's dtype rules for scalars."""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import DEFAULT_FLOAT, get_array_module, infer_dtype, to_device
from ..tensor import Tensor


def as_tensor(x, dtype=None) -> Tensor:
    """``x`` as a Tensor (constants get no gradient)."""
    if isinstance(x, Tensor):
        return x
    if dtype is None and not hasattr(x, "dtype"):
        try:
            dtype = infer_dtype(x)
        except TypeError:
            raise TypeError(f"operand: expected a number or a tensor, got {type(x).__name__} "
                            f"{str(x)[:40]!r}") from None
    xp = get_array_module(x)
    a = xp.asarray(x, dtype=dtype)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"operand: expected a number or a tensor, got {a.dtype} data")
    return Tensor._make(a, False)


def _is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) or (
        isinstance(x, np.ndarray) and x.ndim == 0
    )


def _scalar_for(s, t: Tensor) -> Tensor:
    """A Python or NumPy scalar as a 0-d tensor of ``t``'s dtype (no float64 promotion)."""
    kind = t.dtype.kind
    skind = np.asarray(s).dtype.kind
    if kind == "f" or (kind in "iu" and skind in "iub") or (kind == "b" and skind == "b"):
        dtype = t.dtype
    elif kind == "b" and skind in "iu":
        dtype = np.dtype(np.int64)
    else:  # an integer or bool tensor meets a float scalar
        dtype = DEFAULT_FLOAT
    return Tensor._make(t.xp.asarray(s, dtype=dtype), False)


def pair(a, b):
    """Two op arguments as Tensors whose dtypes combine as in PyTorch.

    A scalar takes the tensor's dtype (``x * 0.5`` stays float32); an integer tensor meeting
    a float takes the float's dtype.
    """
    if a.__class__ is Tensor and b.__class__ is Tensor and a.array.dtype == b.array.dtype:
        return a, b
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            a, b = as_tensor(a), as_tensor(b)
        elif _is_scalar(a):
            a = _scalar_for(a, b)
        else:
            a = _on(as_tensor(a), b)
    if not isinstance(b, Tensor):
        b = _scalar_for(b, a) if _is_scalar(b) else _on(as_tensor(b), a)
    ka, kb = a.dtype.kind, b.dtype.kind
    if ka != kb:
        if ka == "f" and kb != "f":
            b = b.astype(a.dtype)
        elif kb == "f" and ka != "f":
            a = a.astype(b.dtype)
        elif ka == "b":
            a = a.astype(b.dtype)
        elif kb == "b":
            b = b.astype(a.dtype)
    return a, b


def _on(x: Tensor, t: Tensor) -> Tensor:
    """``x``, made from a list or an array, on the device of the tensor ``t`` it meets."""
    if get_array_module(x.array) is not get_array_module(t.array):
        return Tensor._make(to_device(x.array, t.device), False)
    return x


def float_pair(a, b):
    """Like ``pair``, but integer results become the default float (true division)."""
    a, b = pair(a, b)
    if a.dtype.kind != "f":
        a = a.astype(DEFAULT_FLOAT)
    if b.dtype.kind != "f":
        b = b.astype(DEFAULT_FLOAT)
    return a, b


def check_tensor(fname: str, x, argname: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}: {argname} must be a Tensor, got {type(x).__name__}")
    return x


def float_input(fname: str, x) -> Tensor:
    """``x`` checked to be a Tensor, as float32 if it is not a float already (integer input
    to a float-valued function, as PyTorch)."""
    x = check_tensor(fname, x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def normalize_axis(fname: str, axis, ndim: int):
    """An axis (int, tuple or None) with negatives resolved, as a tuple (None stays None)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{fname}: axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{fname}: axis must be an int or a tuple of ints, got {axis!r}")
        # A 0-d tensor accepts axis 0 and -1, as in PyTorch (reducing it changes nothing).
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(
                f"{fname}: axis {a} is out of range for a tensor with {ndim} dimensions"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: repeated axis in {axis!r}")
    return tuple(out)


def pick_axis(axis, dim):
    """Accept PyTorch's ``dim=`` spelling beside NumPy's ``axis=``."""
    return axis if dim is None else dim


def pick_keep(keepdims, keepdim) -> bool:
    """Accept PyTorch's ``keepdim=`` spelling beside NumPy's ``keepdims=``."""
    return bool(keepdims if keepdim is None else keepdim)
