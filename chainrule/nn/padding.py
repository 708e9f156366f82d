"""PyTorch's ``F.pad`` (constant, reflect, replicate and circular padding, built from the
``pad`` and indexing ops) and the padding layers: ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d`` — ``F.pad`` with
a fixed mode and padding."""

from __future__ import annotations

from .. import ops
from ..ops._convert import check_tensor
from ..tensor import Tensor
from .module import Module


def _pad_index(n: int, before: int, after: int, mode: str, xp):
    """Source index of each output position along one axis for a non-constant pad."""
    i = xp.arange(-before, n + after)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    # reflect: mirror at the edges without repeating the edge element
    period = 2 * (n - 1)
    i = xp.abs(i) % period
    return xp.where(i >= n, period - i, i)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims, PyTorch style: ``pad = (left, right, top, bottom,
    ...)`` starts from the last dim. Modes: 'constant' (with ``value``), 'reflect',
    'replicate', 'circular'."""
    check_tensor("pad", input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: padding {pad} must have an even length of at most 2 * ndim = "
            f"{2 * input.ndim} for an input of shape {tuple(input.shape)}"
        )
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    k = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in
                                            reversed(range(k))]
    if mode == "constant":
        return ops.pad(input, widths, constant_values=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    y = input
    for axis, (b, a) in enumerate(widths):
        if b == a == 0:
            continue
        n = input.shape[axis]
        if (mode == "reflect" and (b >= n or a >= n)) or (mode == "circular" and (b > n or a > n)):
            raise ValueError(
                f"pad: {mode} padding ({b}, {a}) must be smaller than the dim of size {n} of "
                f"an input of shape {tuple(input.shape)}"
            )
        if n == 0:
            raise ValueError(f"pad: cannot {mode}-pad an empty dim of input {tuple(input.shape)}")
        idx = _pad_index(n, b, a, mode, input.xp)
        y = ops.getitem(y, (slice(None),) * axis + (idx,))
    return y


class _Pad(Module):
    mode = "constant"
    dims = 2
    zero = False  # ZeroPad: a constant pad whose repr shows no value

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {2 * self.dims} ints, got "
                f"{padding!r}"
            )
        self.padding, self.value = padding, value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self) -> str:
        if self.mode == "constant" and not self.zero:
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _layer(name, mode, dims, doc):
    zero = name.startswith("Zero")
    if mode == "constant" and not zero:  # PyTorch's ConstantPad takes a value, the others don't
        def __init__(self, padding, value: float) -> None:
            _Pad.__init__(self, padding, value)
    else:
        def __init__(self, padding) -> None:
            _Pad.__init__(self, padding)

    return type(name, (_Pad,), {"mode": mode, "dims": dims, "__doc__": doc, "zero": zero,
                                "__init__": __init__, "__module__": __name__})


ZeroPad1d = _layer("ZeroPad1d", "constant", 1, "Pad the last dim with zeros.")
ZeroPad2d = _layer("ZeroPad2d", "constant", 2, "Pad the last two dims with zeros.")
ConstantPad1d = _layer("ConstantPad1d", "constant", 1, "Pad the last dim with ``value``.")
ConstantPad2d = _layer("ConstantPad2d", "constant", 2, "Pad the last two dims with ``value``.")
ReflectionPad1d = _layer("ReflectionPad1d", "reflect", 1, "Mirror the last dim at its edges.")
ReflectionPad2d = _layer("ReflectionPad2d", "reflect", 2,
                         "Mirror the last two dims at their edges.")
ReplicationPad1d = _layer("ReplicationPad1d", "replicate", 1, "Repeat the last dim's edges.")
ReplicationPad2d = _layer("ReplicationPad2d", "replicate", 2,
                          "Repeat the edges of the last two dims.")
ZeroPad3d = _layer("ZeroPad3d", "constant", 3, "Pad the last three dims with zeros.")
ConstantPad3d = _layer("ConstantPad3d", "constant", 3, "Pad the last three dims with ``value``.")
ReflectionPad3d = _layer("ReflectionPad3d", "reflect", 3,
                         "Mirror the last three dims at their edges.")
ReplicationPad3d = _layer("ReplicationPad3d", "replicate", 3,
                          "Repeat the edges of the last three dims.")
CircularPad1d = _layer("CircularPad1d", "circular", 1,
                       "Wrap the last dim around: the left pad copies its end.")
CircularPad2d = _layer("CircularPad2d", "circular", 2, "Wrap the last two dims around.")
CircularPad3d = _layer("CircularPad3d", "circular", 3, "Wrap the last three dims around.")
