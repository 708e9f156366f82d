"""``load``: an ONNX graph as a chainrule ``nn.Module`` that runs it with chainrule ops.

Floating-point initializers become Parameters (their ``state_dict`` keys are the
initializer names, so a model exported by chainrule loads back under its own keys), so
an imported model can be fine-tuned by backprop. Integer initializers (shapes, indices)
stay constants. Each node runs through the function registered for its op type in
:data:`chainrule.onnx.ops.OPS`.
"""

from __future__ import annotations

import os
import re

import numpy as np

from .. import nn
from .._optional import require
from ..nn.parameter import Parameter
from ..tensor import Tensor
from .ops import OPS, Node, UnsupportedOperatorError

__all__ = ["OnnxModule", "UnsupportedOperatorError", "load"]

_SEGMENT = re.compile(r"^[A-Za-z0-9_]+$")


def _attrs(onnx, node) -> dict:
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        elif a.type == onnx.AttributeProto.TENSOR:
            v = onnx.numpy_helper.to_array(v)
        out[a.name] = v
    return out


class OnnxModule(nn.Module):
    """An ONNX graph run with chainrule ops; ``forward`` takes the graph inputs in order.

    Returns one Tensor for a single-output graph, else a tuple. ``input_names`` and
    ``output_names`` list the graph's names; ``opset`` is its default-domain opset.
    """

    def __init__(self, model) -> None:
        super().__init__()
        onnx = require("onnx", extra="onnx", feature="chainrule.onnx.load")
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          1)
        self._constants: dict[str, np.ndarray] = {}
        self._params: dict[str, tuple[str, ...]] = {}
        for init in graph.initializer:
            a = onnx.numpy_helper.to_array(init)
            if a.dtype.kind == "f":
                self._add_parameter(init.name, a)
            else:
                self._constants[init.name] = a
        known = set(self._constants) | set(self._params)
        self.input_names = [i.name for i in graph.input if i.name not in known]
        self.output_names = [o.name for o in graph.output]
        self._nodes = [Node(n.op_type, list(n.input), list(n.output), _attrs(onnx, n),
                            n.domain) for n in graph.node]
        for n in self._nodes:
            if n.domain not in ("", "ai.onnx"):
                raise UnsupportedOperatorError(
                    f"chainrule.onnx.load: operator {n.domain}::{n.op_type} (a custom domain) "
                    f"is not supported")
            if n.op_type not in OPS:
                raise UnsupportedOperatorError(
                    f"chainrule.onnx.load: ONNX operator {n.op_type!r} is not supported yet "
                    f"(supported: {', '.join(sorted(OPS))})")

    def _add_parameter(self, name: str, a: np.ndarray) -> None:
        """Register under the dotted path of ``name`` (``0.weight`` -> child ``0``), so the
        state_dict keys are the initializer names; other names are made attribute-safe."""
        parts = name.split(".")
        if not all(_SEGMENT.match(p) for p in parts):
            parts = [re.sub(r"\W", "_", name) or "param"]
        owner = self
        for p in parts[:-1]:
            child = owner._modules.get(p)
            if child is None:
                child = nn.Module()
                owner.add_module(p, child)
            owner = child
        leaf = parts[-1]
        while leaf in owner._parameters or leaf in owner._modules:
            leaf += "_"
        owner.register_parameter(leaf, Parameter(Tensor(np.array(a))))
        self._params[name] = tuple(parts[:-1]) + (leaf,)

    def _parameter(self, name: str) -> Tensor:
        m = self
        *path, leaf = self._params[name]
        for p in path:
            m = m._modules[p]
        return m._parameters[leaf]

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise TypeError(f"OnnxModule: the graph takes {len(self.input_names)} inputs "
                            f"{self.input_names}, got {len(inputs)}")
        env: dict[str, Tensor] = {}
        for name, x in zip(self.input_names, inputs):
            env[name] = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        for name, a in self._constants.items():
            env[name] = Tensor(a)
        for name in self._params:
            env[name] = self._parameter(name)
        for node in self._nodes:
            args = [env[i] if i else None for i in node.inputs]
            try:
                outs = OPS[node.op_type](node, args, self.opset)
            except UnsupportedOperatorError:
                raise
            except Exception as exc:
                raise type(exc)(f"chainrule.onnx: node {node.op_type} ({node.inputs} -> "
                                f"{node.outputs}): {exc}") from exc
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, t in zip(node.outputs, outs):
                if name:
                    env[name] = t
        results = tuple(env[n] for n in self.output_names)
        return results[0] if len(results) == 1 else results

    def extra_repr(self) -> str:
        return (f"opset={self.opset}, inputs={self.input_names}, outputs={self.output_names}, "
                f"nodes={len(self._nodes)}")


def load(path) -> OnnxModule:
    """Read an ONNX model (a path, bytes or an ``onnx.ModelProto``) as an
    :class:`OnnxModule`; unsupported operators raise :class:`UnsupportedOperatorError`
    naming them.

    >>> net = chainrule.onnx.load("model.onnx")
    >>> out = net(cr.tensor(x))            # chainrule ops: out.sum().backward() works
    """
    onnx = require("onnx", extra="onnx", feature="chainrule.onnx.load")
    if isinstance(path, onnx.ModelProto):
        model = path
    elif isinstance(path, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(path))
    elif isinstance(path, (str, os.PathLike)):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"chainrule.onnx.load: no file {os.fspath(path)!r}")
        model = onnx.load(os.fspath(path))
    else:
        raise TypeError(f"chainrule.onnx.load: path must be a file path, bytes or an "
                        f"onnx.ModelProto, got {type(path).__name__}")
    return OnnxModule(model)
