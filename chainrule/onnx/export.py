"""``export``: write a chainrule model as an ONNX file, one converter per module type."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._optional import require
from ..autograd import no_grad
from ..tensor import Tensor
from .converters import _outputs, convert
from .graph import Graph, Value

__all__ = ["export"]

# The newest IR version each opset may be paired with, as onnxruntime reads them.
_IR_VERSION = {17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def _as_inputs(example) -> list[Tensor]:
    items = list(example) if isinstance(example, (tuple, list)) else [example]
    out = []
    for i, t in enumerate(items):
        if isinstance(t, np.ndarray):
            t = Tensor(t)
        if not isinstance(t, Tensor):
            raise TypeError(f"chainrule.onnx.export: example input {i} must be a Tensor or a "
                            f"NumPy array, got {type(t).__name__}")
        out.append(t)
    if not out:
        raise ValueError("chainrule.onnx.export: the example input is empty")
    return out


def _first_leaf(model):
    for m in model.modules():
        if not m._modules:
            return m
    return model


def _batch_axis(model) -> int:
    """Where the batch is in the input: axis 1 for sequence-first recurrent and attention
    layers (PyTorch's default, ``batch_first=False``), else axis 0."""
    from .. import nn

    seq_first = (nn.RNNBase, nn.MultiheadAttention, nn.TransformerEncoderLayer)
    for m in model.modules():
        if isinstance(m, seq_first):
            return 0 if m.batch_first else 1
        if not m._modules and not isinstance(m, (nn.Dropout, nn.Identity)):
            break
    return 0


def _grown(x: Tensor, axis: int) -> Tensor:
    """``x`` with one more sample along ``axis`` (a copy of its first)."""
    a = x.numpy()
    first = np.take(a, [0], axis=axis)
    return Tensor(np.concatenate([a, first], axis=axis))


def _value_info(onnx, name: str, t: np.ndarray, dynamic: dict[int, str]):
    elem = onnx.helper.np_dtype_to_tensor_dtype(t.dtype)
    shape = [dynamic.get(i, s) for i, s in enumerate(t.shape)]
    return onnx.helper.make_tensor_value_info(name, elem, shape)


def export(
    model,
    example_input: Any = None,
    path: str | os.PathLike | None = None,
    opset: int | None = None,
    dynamic_batch: bool = True,
    *,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    dynamic_axes: dict[str, dict[int, str]] | None = None,
    args: Any = None,
    f: str | os.PathLike | None = None,
    opset_version: int | None = None,
    export_params: bool = True,
    verbose: bool = False,
    do_constant_folding: bool = True,
    training: Any = None,
):
    """Write ``model`` as an ONNX graph to ``path``; returns the ``onnx.ModelProto``.

    The model is walked module by module (containers such as ``nn.Sequential`` and
    ``nn.TransformerEncoder`` are followed into), each module type converted by its
    registered converter (:func:`chainrule.onnx.register_converter`); a module type without
    one raises :class:`~chainrule.onnx.UnsupportedModuleError` naming it. The model is
    exported in eval mode (dropout is the identity, batch norm uses its running
    statistics) and put back in its mode afterwards.

    Args:
        model: the ``nn.Module``.
        example_input: a Tensor (or NumPy array), or a tuple of them for several inputs
            (``(query, key, value)`` for MultiheadAttention); it fixes every size except the
            batch.
        path: the file to write (None: only return the model).
        opset: the ONNX opset, 17 to 21 (default 17).
        dynamic_batch: leave the batch size free in the graph ("batch"), so that it runs on
            any batch size; the batch axis is 1 for sequence-first RNN and attention layers
            (``batch_first=False``), else 0.
        input_names, output_names: graph names (default ``input``/``input_1``...,
            ``output``/``output_1``...).
        dynamic_axes: ``{name: {axis: "label"}}`` for further free sizes, as in
            ``torch.onnx.export`` (e.g. the sequence length).

    ``args``, ``f`` and ``opset_version`` are accepted as ``torch.onnx.export``'s names for
    ``example_input``, ``path`` and ``opset``; ``export_params``, ``verbose``,
    ``do_constant_folding`` and ``training`` are accepted for that signature too.

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> chainrule.onnx.export(model, cr.randn(3, 4), "mlp.onnx")
    """
    onnx = require("onnx", extra="onnx", feature="chainrule.onnx.export")
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"chainrule.onnx.export: model must be an nn.Module, got "
                        f"{type(model).__name__}")
    for name, value, alias, given in (("example_input", example_input, "args", args),
                                      ("path", path, "f", f),
                                      ("opset", opset, "opset_version", opset_version)):
        if value is not None and given is not None:
            raise TypeError(f"chainrule.onnx.export: pass {name} or {alias}, not both")
    example_input = example_input if example_input is not None else args
    path = path if path is not None else f
    opset = opset if opset is not None else (opset_version if opset_version is not None
                                             else 17)
    if example_input is None:
        raise TypeError("chainrule.onnx.export: missing the example input")
    if opset not in _IR_VERSION:
        raise ValueError(f"chainrule.onnx.export: opset must be one of "
                         f"{sorted(_IR_VERSION)} (LayerNormalization needs 17), got {opset!r}")
    if not export_params:
        raise ValueError("chainrule.onnx.export: export_params=False is not supported; the "
                         "weights are stored as initializers")
    if training not in (None, False) and getattr(training, "name", "") != "EVAL":
        raise ValueError("chainrule.onnx.export: only eval-mode export is supported")
    inputs = _as_inputs(example_input)
    in_names = list(input_names or [])
    in_names += ["input" if i == 0 else f"input_{i}" for i in range(len(in_names), len(inputs))]

    was_training = model.training
    model.eval()
    try:
        with no_grad():
            g = Graph(onnx, opset)
            for n in in_names:
                g._used.add(n)
            values = convert(g, model, [Value(n, t) for n, t in zip(in_names, inputs)], "")
            axis = _batch_axis(model)
            if dynamic_batch:
                # Outputs whose size follows the batch: compare a run with one more sample.
                grown = _outputs(model(*[_grown(t, axis) for t in inputs]))
    finally:
        model.train(was_training)

    out_names = list(output_names or [])
    out_names += ["output" if i == 0 else f"output_{i}" for i in range(len(out_names),
                                                                         len(values))]
    dyn = {k: dict(v) for k, v in (dynamic_axes or {}).items()}
    ins, outs = [], []
    for n, t in zip(in_names, inputs):
        axes = dyn.get(n, {})
        if dynamic_batch:
            axes.setdefault(axis, "batch")
        ins.append(_value_info(onnx, n, t.numpy(), axes))
    for i, (n, v) in enumerate(zip(out_names, values)):
        axes = dyn.get(n, {})
        if dynamic_batch:
            for a, (s0, s1) in enumerate(zip(v.value.shape, grown[i].shape)):
                if s0 != s1:
                    axes.setdefault(a, "batch")
        # Rename the last node's output to the graph's output name.
        g.nodes.append(onnx.helper.make_node("Identity", [v.name], [n], name=g.unique(
            f"{n}_Identity")))
        outs.append(_value_info(onnx, n, v.value.numpy(), axes))

    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, ins, outs, g.initializers)
    proto = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="chainrule", ir_version=_IR_VERSION[opset])
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(graph))
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto
