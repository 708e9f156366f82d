"""The graph under construction during an export: nodes, initializers, unique names.

A converter receives the :class:`Graph`, the module, and its inputs as :class:`Value`
pairs (the ONNX name and the chainrule tensor the example input produced there, so
converters know ranks and static sizes), and returns the output names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tensor import Tensor


@dataclass
class Value:
    """One tensor of the graph: its ONNX name and its value for the example input."""

    name: str
    value: Tensor

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


class Graph:
    """Nodes and initializers of the graph being exported, for opset ``opset``."""

    def __init__(self, onnx, opset: int) -> None:
        self.onnx = onnx
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._used: set[str] = set()

    def unique(self, hint: str) -> str:
        """A name not used yet in the graph, ``hint`` itself when free."""
        name, i = hint, 1
        while name in self._used:
            name, i = f"{hint}_{i}", i + 1
        self._used.add(name)
        return name

    def node(self, op: str, inputs: list[str], outputs: int | list[str] = 1,
             hint: str | None = None, **attrs: Any):
        """Add one node; returns its output name, or the list of them when ``outputs`` > 1
        or a list of names."""
        base = hint or op.lower()
        names = outputs if isinstance(outputs, list) else \
            [self.unique(f"{base}_out" if outputs == 1 else f"{base}_out{i}")
             for i in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(
            op, inputs, names, name=self.unique(f"{base}_{op}"), **attrs))
        return names[0] if len(names) == 1 and not isinstance(outputs, list) else names

    def initializer(self, array, hint: str) -> str:
        """Add a constant array (a weight, or int64 shape data) as an initializer."""
        array = np.ascontiguousarray(array)
        name = self.unique(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def weight(self, t: Tensor | np.ndarray, hint: str) -> str:
        return self.initializer(t.numpy() if isinstance(t, Tensor) else t, hint)

    def ints(self, values, hint: str = "shape") -> str:
        return self.initializer(np.asarray(values, dtype=np.int64), hint)

    def scalar(self, value: float, like: Value | np.dtype, hint: str = "const") -> str:
        """A scalar of the dtype of ``like``, as a Constant node: a fixed number of a formula
        (not a weight, so an importer does not make it a trainable parameter)."""
        dtype = like.value.numpy().dtype if isinstance(like, Value) else np.dtype(like)
        tensor = self.onnx.numpy_helper.from_array(np.asarray(value, dtype=dtype))
        return self.node("Constant", [], hint=hint, value=tensor)

    # -- ops whose form changed between opsets --------------------------------------------

    def reduce(self, op: str, x: str, axes: list[int], keepdims: int, hint: str) -> str:
        """ReduceMean/ReduceSum/...: axes became an input in opset 18 (13 for ReduceSum)."""
        axes_as_input = self.opset >= (13 if op == "ReduceSum" else 18)
        if axes_as_input:
            return self.node(op, [x, self.ints(axes, f"{hint}.axes")], hint=hint,
                             keepdims=keepdims)
        return self.node(op, [x], hint=hint, axes=list(axes), keepdims=keepdims)
