"""Padding layers: ``ZeroPad2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``,
``ReplicationPad1d/2d`` — ``F.pad`` with a fixed mode and padding, as PyTorch's."""

from __future__ import annotations

from ..tensor import Tensor
from .flatten import pad
from .module import Module


class _Pad(Module):
    mode = "constant"
    dims = 2

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
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


def _layer(name, mode, dims, doc):
    def __init__(self, padding, *args) -> None:
        _Pad.__init__(self, padding, *args)

    return type(name, (_Pad,), {"mode": mode, "dims": dims, "__doc__": doc,
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
