"""One ONNX converter per module type, kept in a registry (the skl2onnx design).

A converter is ``fn(graph, module, inputs, scope) -> list[str]``: it adds the nodes that
compute ``module(*inputs)`` and returns their output names. ``inputs`` are
:class:`~chainrule.onnx.graph.Value` pairs (name and example tensor); ``scope`` is the
module's dotted path, used for initializer names so that they match ``state_dict`` keys.
Containers convert their children through :func:`convert`, which also runs the child on
the example values so that every converter sees real shapes.

Register a converter for your own module type with::

    @register_converter(MyBlock)
    def _my_block(g, m, xs, scope):
        return [g.node("Relu", [xs[0].name], hint=scope)]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import nn
from ..nn import activation as _act
from ..ops.conv import _conv_pads
from .graph import Graph, Value

__all__ = ["CONVERTERS", "UnsupportedModuleError", "convert", "register_converter"]

Converter = Callable[[Graph, nn.Module, list[Value], str], list[str]]
CONVERTERS: dict[type, Converter] = {}


class UnsupportedModuleError(TypeError):
    """A module (or one of its options) has no ONNX converter."""


def register_converter(*types: type) -> Callable[[Converter], Converter]:
    """Decorator: use the function as the ONNX converter of these module types."""

    def add(fn: Converter) -> Converter:
        for t in types:
            CONVERTERS[t] = fn
        return fn

    return add


def _lookup(module: nn.Module) -> Converter:
    for cls in type(module).__mro__:  # a subclass that keeps forward uses its base's
        fn = CONVERTERS.get(cls)
        if fn is not None and (cls is type(module) or type(module).forward is cls.forward):
            return fn
        if cls is nn.Module:
            break
    raise UnsupportedModuleError(
        f"chainrule.onnx.export: no ONNX converter for module type {type(module).__name__} "
        f"({type(module).__module__}.{type(module).__qualname__}); register one with "
        f"@chainrule.onnx.register_converter({type(module).__name__}), or build the model "
        f"from supported layers ({', '.join(sorted(t.__name__ for t in CONVERTERS))})"
    )


def _unsupported(module: nn.Module, what: str) -> UnsupportedModuleError:
    return UnsupportedModuleError(
        f"chainrule.onnx.export: {type(module).__name__} with {what} has no ONNX converter"
    )


def _outputs(out) -> list:
    """A module's result as a flat list of tensors ((y, (h, c)) -> [y, h, c])."""
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat += _outputs(o)
        return flat
    return [] if out is None else [out]


def convert(g: Graph, module: nn.Module, inputs: list[Value], scope: str) -> list[Value]:
    """Add ``module(*inputs)`` to the graph; returns its outputs as Values."""
    names = _lookup(module)(g, module, inputs, scope)
    values = _outputs(module(*[v.value for v in inputs]))
    if len(values) < len(names):
        raise RuntimeError(f"chainrule.onnx.export: the converter of {type(module).__name__} "
                           f"gave {len(names)} outputs, the module {len(values)}")
    return [Value(n, v) for n, v in zip(names, values)]


def _scope(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


# -- containers ----------------------------------------------------------------------------


@register_converter(nn.Sequential)
def _sequential(g, m, xs, scope):
    for name, child in m._modules.items():
        if len(xs) != 1:
            raise UnsupportedModuleError(
                f"chainrule.onnx.export: in Sequential {scope or '(top)'}, the module before "
                f"{name!r} returns {len(xs)} tensors; a Sequential passes one on"
            )
        xs = convert(g, child, xs, _scope(scope, name))
    return [v.name for v in xs]


@register_converter(nn.TransformerEncoder)
def _transformer_encoder(g, m, xs, scope):
    for i, layer in enumerate(m.layers):
        xs = convert(g, layer, xs, _scope(scope, f"layers.{i}"))
    if m.norm is not None:
        xs = convert(g, m.norm, xs, _scope(scope, "norm"))
    return [xs[0].name]


@register_converter(nn.Identity, nn.Dropout)
def _identity(g, m, xs, scope):
    # Dropout exports as in eval mode: the identity (export switches the model to eval).
    return [g.node("Identity", [xs[0].name], hint=scope or "identity")]


# -- linear, convolution, pooling ----------------------------------------------------------


def linear(g: Graph, x: Value, W, b, scope: str, hint_w: str = "weight",
           hint_b: str = "bias") -> str:
    """x @ W^T + b: Gemm for a matrix input, else MatMul by the transposed weight + Add."""
    w = g.weight(W, _scope(scope, hint_w))
    if x.ndim == 2:
        ins = [x.name, w] + ([g.weight(b, _scope(scope, hint_b))] if b is not None else [])
        return g.node("Gemm", ins, hint=scope, transB=1)
    wt = g.node("Transpose", [w], hint=_scope(scope, "weight_t"), perm=[1, 0])
    y = g.node("MatMul", [x.name, wt], hint=scope)
    if b is not None:
        y = g.node("Add", [y, g.weight(b, _scope(scope, hint_b))], hint=scope)
    return y


@register_converter(nn.Linear)
def _linear(g, m, xs, scope):
    return [linear(g, xs[0], m.weight, m.bias, scope)]


@register_converter(nn.Conv1d, nn.Conv2d)
def _conv(g, m, xs, scope):
    if m.padding_mode != "zeros":
        raise _unsupported(m, f"padding_mode={m.padding_mode!r}")
    nd = len(m.kernel_size)
    if xs[0].ndim != nd + 2:
        raise _unsupported(m, f"an unbatched input of shape {xs[0].shape}")
    pads = _conv_pads(type(m).__name__, m.padding, m.kernel_size, m.dilation, m.stride, nd)
    ins = [xs[0].name, g.weight(m.weight, _scope(scope, "weight"))]
    if m.bias is not None:
        ins.append(g.weight(m.bias, _scope(scope, "bias")))
    return [g.node("Conv", ins, hint=scope, kernel_shape=list(m.kernel_size),
                   strides=list(m.stride), dilations=list(m.dilation), group=m.groups,
                   pads=[p[0] for p in pads] + [p[1] for p in pads])]


@register_converter(nn.ConvTranspose1d, nn.ConvTranspose2d)
def _conv_transpose(g, m, xs, scope):
    nd = len(m.kernel_size)
    if xs[0].ndim != nd + 2:
        raise _unsupported(m, f"an unbatched input of shape {xs[0].shape}")
    ins = [xs[0].name, g.weight(m.weight, _scope(scope, "weight"))]
    if m.bias is not None:
        ins.append(g.weight(m.bias, _scope(scope, "bias")))
    return [g.node("ConvTranspose", ins, hint=scope, kernel_shape=list(m.kernel_size),
                   strides=list(m.stride), dilations=list(m.dilation), group=m.groups,
                   pads=list(m.padding) * 2, output_padding=list(m.output_padding))]


def _tuple(v, nd: int) -> list[int]:
    return [int(a) for a in v] if isinstance(v, (tuple, list)) else [int(v)] * nd


def _pool_nd(m) -> int:
    return 1 if "1d" in type(m).__name__ else 2


@register_converter(nn.MaxPool1d, nn.MaxPool2d)
def _max_pool(g, m, xs, scope):
    nd = _pool_nd(m)
    if m.return_indices:
        raise _unsupported(m, "return_indices=True")
    if xs[0].ndim != nd + 2:
        raise _unsupported(m, f"an unbatched input of shape {xs[0].shape}")
    return [g.node("MaxPool", [xs[0].name], hint=scope, kernel_shape=_tuple(m.kernel_size, nd),
                   strides=_tuple(m.stride, nd), pads=_tuple(m.padding, nd) * 2,
                   dilations=_tuple(m.dilation, nd), ceil_mode=int(m.ceil_mode))]


@register_converter(nn.AvgPool1d, nn.AvgPool2d)
def _avg_pool(g, m, xs, scope):
    nd = _pool_nd(m)
    if getattr(m, "divisor_override", None):
        raise _unsupported(m, "divisor_override")
    if xs[0].ndim != nd + 2:
        raise _unsupported(m, f"an unbatched input of shape {xs[0].shape}")
    return [g.node("AveragePool", [xs[0].name], hint=scope,
                   kernel_shape=_tuple(m.kernel_size, nd), strides=_tuple(m.stride, nd),
                   pads=_tuple(m.padding, nd) * 2, ceil_mode=int(m.ceil_mode),
                   count_include_pad=int(m.count_include_pad))]


@register_converter(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(g, m, xs, scope):
    nd = _pool_nd(m)
    x = xs[0]
    if x.ndim != nd + 2:
        raise _unsupported(m, f"an unbatched input of shape {x.shape}")
    size = x.shape[2:]
    out = [s if o is None else int(o) for s, o in
           zip(size, m.output_size if isinstance(m.output_size, (tuple, list))
               else [m.output_size] * nd)]
    if all(o == 1 for o in out):
        return [g.node("GlobalAveragePool", [x.name], hint=scope)]
    if any(s % o for s, o in zip(size, out)):
        raise _unsupported(m, f"output_size {tuple(out)} that does not divide the input "
                              f"size {size}")
    k = [s // o for s, o in zip(size, out)]  # equal windows: an ordinary average pool
    return [g.node("AveragePool", [x.name], hint=scope, kernel_shape=k, strides=k)]


# -- normalization, embedding --------------------------------------------------------------


@register_converter(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(g, m, xs, scope):
    if m.running_mean is None:
        raise _unsupported(m, "track_running_stats=False (eval mode normalizes by the batch)")
    C = m.num_features
    dtype = m.running_mean.numpy().dtype
    scale = m.weight if m.weight is not None else np.ones(C, dtype)
    bias = m.bias if m.bias is not None else np.zeros(C, dtype)
    ins = [xs[0].name, g.weight(scale, _scope(scope, "weight")),
           g.weight(bias, _scope(scope, "bias")),
           g.weight(m.running_mean, _scope(scope, "running_mean")),
           g.weight(m.running_var, _scope(scope, "running_var"))]
    return [g.node("BatchNormalization", ins, hint=scope, epsilon=float(m.eps))]


def layer_norm(g: Graph, x: Value, m: nn.LayerNorm, scope: str) -> str:
    shape = m.normalized_shape
    weight = m.weight if m.weight is not None else np.ones(shape, x.value.numpy().dtype)
    ins = [x.name, g.weight(weight, _scope(scope, "weight"))]
    if m.bias is not None:
        ins.append(g.weight(m.bias, _scope(scope, "bias")))
    return g.node("LayerNormalization", ins, hint=scope, axis=-len(shape),
                  epsilon=float(m.eps))


@register_converter(nn.LayerNorm)
def _layer_norm(g, m, xs, scope):
    return [layer_norm(g, xs[0], m, scope)]


@register_converter(nn.Embedding)
def _embedding(g, m, xs, scope):
    if m.max_norm is not None:
        raise _unsupported(m, "max_norm (it renormalizes the weights during the forward)")
    idx = xs[0].name
    if xs[0].value.numpy().dtype != np.int64:
        idx = g.node("Cast", [idx], hint=scope, to=g.onnx.TensorProto.INT64)
    return [g.node("Gather", [g.weight(m.weight, _scope(scope, "weight")), idx], hint=scope,
                   axis=0)]


# -- activations and shapes ----------------------------------------------------------------


def gelu(g: Graph, x: Value, approximate: str, scope: str) -> str:
    """Gelu is an ONNX op from opset 20; before it, its formula."""
    if g.opset >= 20:
        return g.node("Gelu", [x.name], hint=scope, approximate=approximate)
    half = g.scalar(0.5, x, f"{scope}.half")
    one = g.scalar(1.0, x, f"{scope}.one")
    if approximate == "tanh":
        x3 = g.node("Mul", [x.name, g.node("Mul", [x.name, x.name], hint=scope)], hint=scope)
        inner = g.node("Add", [x.name, g.node("Mul", [x3, g.scalar(0.044715, x)], hint=scope)],
                       hint=scope)
        t = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), x)],
                                   hint=scope)], hint=scope)
    else:
        t = g.node("Erf", [g.node("Mul", [x.name, g.scalar(1 / math.sqrt(2), x)], hint=scope)],
                   hint=scope)
    return g.node("Mul", [g.node("Mul", [x.name, half], hint=scope),
                          g.node("Add", [t, one], hint=scope)], hint=scope)


def activation(g: Graph, fn, x: Value, scope: str) -> str:
    """The ONNX nodes of a TransformerEncoderLayer activation (relu or gelu)."""
    if fn is _act.relu:
        return g.node("Relu", [x.name], hint=scope)
    if fn is _act.gelu:
        return gelu(g, x, "none", scope)
    if isinstance(fn, nn.Module):
        return convert(g, fn, [x], scope)[0].name
    raise UnsupportedModuleError(f"chainrule.onnx.export: activation {fn!r} has no ONNX "
                                 f"converter (use 'relu', 'gelu' or a supported module)")


_SIMPLE = {nn.ReLU: "Relu", nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh"}


@register_converter(*_SIMPLE)
def _simple(g, m, xs, scope):
    op = next(_SIMPLE[c] for c in type(m).__mro__ if c in _SIMPLE)  # subclasses too
    return [g.node(op, [xs[0].name], hint=scope)]


@register_converter(nn.LeakyReLU)
def _leaky_relu(g, m, xs, scope):
    return [g.node("LeakyRelu", [xs[0].name], hint=scope, alpha=float(m.negative_slope))]


@register_converter(nn.ELU)
def _elu(g, m, xs, scope):
    return [g.node("Elu", [xs[0].name], hint=scope, alpha=float(m.alpha))]


@register_converter(nn.GELU)
def _gelu(g, m, xs, scope):
    return [gelu(g, xs[0], m.approximate, scope)]


@register_converter(nn.SiLU)
def _silu(g, m, xs, scope):
    return [g.node("Mul", [xs[0].name, g.node("Sigmoid", [xs[0].name], hint=scope)],
                   hint=scope)]


@register_converter(nn.Softplus)
def _softplus(g, m, xs, scope):
    # PyTorch: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
    x = xs[0]
    bx = x.name if m.beta == 1 else g.node("Mul", [x.name, g.scalar(m.beta, x)], hint=scope)
    sp = g.node("Softplus", [bx], hint=scope)
    if m.beta != 1:
        sp = g.node("Div", [sp, g.scalar(m.beta, x)], hint=scope)
    linear_part = g.node("Greater", [bx, g.scalar(m.threshold, x)], hint=scope)
    return [g.node("Where", [linear_part, x.name, sp], hint=scope)]


@register_converter(nn.Softmax, nn.LogSoftmax)
def _softmax(g, m, xs, scope):
    x = xs[0]
    dim = m.dim if m.dim is not None else (0 if x.ndim in (0, 1, 3) else 1)
    op = "Softmax" if isinstance(m, nn.Softmax) else "LogSoftmax"
    return [g.node(op, [x.name], hint=scope, axis=int(dim))]


@register_converter(nn.Flatten)
def _flatten(g, m, xs, scope):
    x = xs[0]
    start, end = m.start_dim % x.ndim, m.end_dim % x.ndim
    if start == 1 and end == x.ndim - 1:
        return [g.node("Flatten", [x.name], hint=scope, axis=1)]
    # 0 keeps a leading (batch) size as it is at run time; -1 is the flattened block.
    shape = [0] * start + [-1] + list(x.shape[end + 1:])
    return [g.node("Reshape", [x.name, g.ints(shape, f"{scope}.shape")], hint=scope)]


@register_converter(nn.Unflatten)
def _unflatten(g, m, xs, scope):
    x = xs[0]
    dim = m.dim % x.ndim
    shape = [0] * dim + list(m.unflattened_size) + list(x.shape[dim + 1:])
    return [g.node("Reshape", [x.name, g.ints(shape, f"{scope}.shape")], hint=scope)]


# -- recurrent layers ----------------------------------------------------------------------

# ONNX gate order from PyTorch's: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h.
_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _gates(w: np.ndarray, mode: str) -> np.ndarray:
    blocks = np.split(w, len(_GATES[mode]), axis=0)
    return np.concatenate([blocks[i] for i in _GATES[mode]], axis=0)


@register_converter(nn.RNN, nn.LSTM, nn.GRU)
def _rnn(g, m, xs, scope):
    x = xs[0]
    if x.ndim != 3:
        raise _unsupported(m, f"an unbatched input of shape {x.shape} (export with a batch)")
    if len(xs) > 1:
        raise _unsupported(m, "an initial state hx (the exported graph starts from zeros)")
    mode, H, D = m.mode, m.hidden_size, m.num_directions
    op = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    seq = x.name
    if m.batch_first:  # ONNX's recurrent ops read (seq, batch, features)
        seq = g.node("Transpose", [seq], hint=scope, perm=[1, 0, 2])
    hs, cs = [], []
    for layer in range(m.num_layers):
        Ws, Rs, Bs = [], [], []
        for d in range(D):
            names = m._flat_weights_names[layer * D + d]
            ps = [getattr(m, n).numpy() for n in names]
            Ws.append(_gates(ps[0], mode))
            Rs.append(_gates(ps[1], mode))
            G = ps[0].shape[0]
            b = np.concatenate([_gates(ps[2], mode), _gates(ps[3], mode)]) if m.bias \
                else np.zeros(2 * G, ps[0].dtype)
            Bs.append(b)
        sfx = f"_l{layer}"
        ins = [seq, g.weight(np.stack(Ws), _scope(scope, "W" + sfx)),
               g.weight(np.stack(Rs), _scope(scope, "R" + sfx)),
               g.weight(np.stack(Bs), _scope(scope, "B" + sfx))]
        attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
        if op == "RNN":
            attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * D
        if op == "GRU":
            attrs["linear_before_reset"] = 1  # PyTorch applies r after the hidden GEMM
        n_out = 3 if op == "LSTM" else 2
        outs = g.node(op, ins, n_out, hint=f"{scope}{sfx}" if scope else f"rnn{sfx}", **attrs)
        # Y is (seq, directions, batch, H): directions next to H, then merged with it.
        y = g.node("Transpose", [outs[0]], hint=scope, perm=[0, 2, 1, 3])
        seq = g.node("Reshape", [y, g.ints([0, 0, D * H], f"{scope}.y_shape")], hint=scope)
        hs.append(outs[1])
        if op == "LSTM":
            cs.append(outs[2])
    y = seq
    if m.batch_first:
        y = g.node("Transpose", [y], hint=scope, perm=[1, 0, 2])

    def stack(states):
        return states[0] if len(states) == 1 else g.node("Concat", states, hint=scope, axis=0)

    return [y, stack(hs)] + ([stack(cs)] if op == "LSTM" else [])


# -- attention and transformer -------------------------------------------------------------


def attention(g: Graph, m: nn.MultiheadAttention, q: Value, k: Value, v: Value, scope: str,
              need_weights: bool) -> list[str]:
    """MultiheadAttention without masks, from MatMul, Reshape, Transpose and Softmax."""
    if q.ndim != 3:
        raise _unsupported(m, f"an unbatched input of shape {q.shape} (export with a batch)")
    E, h, d = m.embed_dim, m.num_heads, m.head_dim
    b = m.in_proj_bias.numpy() if m.in_proj_bias is not None else None
    if m._qkv_same_embed_dim:
        Ws = np.split(m.in_proj_weight.numpy(), 3)
    else:
        Ws = [m.q_proj_weight.numpy(), m.k_proj_weight.numpy(), m.v_proj_weight.numpy()]
    bs = np.split(b, 3) if b is not None else [None] * 3

    def batch_major(t: Value) -> Value:
        if m.batch_first:
            return t
        return Value(g.node("Transpose", [t.name], hint=scope, perm=[1, 0, 2]), t.value)

    heads = g.ints([0, 0, h, d], f"{scope}.heads_shape")
    proj = []
    for t, W, bb, n in zip((q, k, v), Ws, bs, "qkv"):
        p = linear(g, batch_major(t), W, bb, scope, f"{n}_proj_weight", f"{n}_proj_bias")
        proj.append(g.node("Reshape", [p, heads], hint=scope))  # (N, L, h, d)
    qh = g.node("Transpose", [proj[0]], hint=scope, perm=[0, 2, 1, 3])   # (N, h, L, d)
    kt = g.node("Transpose", [proj[1]], hint=scope, perm=[0, 2, 3, 1])   # (N, h, d, S)
    vh = g.node("Transpose", [proj[2]], hint=scope, perm=[0, 2, 1, 3])   # (N, h, S, d)
    qh = g.node("Mul", [qh, g.scalar(1.0 / math.sqrt(d), q, f"{scope}.scale")], hint=scope)
    w = g.node("Softmax", [g.node("MatMul", [qh, kt], hint=scope)], hint=scope, axis=-1)
    out = g.node("Transpose", [g.node("MatMul", [w, vh], hint=scope)], hint=scope,
                 perm=[0, 2, 1, 3])
    out = g.node("Reshape", [out, g.ints([0, 0, E], f"{scope}.merge_shape")], hint=scope)
    out = linear(g, Value(out, q.value), m.out_proj.weight, m.out_proj.bias,
                 _scope(scope, "out_proj"))
    if not m.batch_first:
        out = g.node("Transpose", [out], hint=scope, perm=[1, 0, 2])
    if not need_weights:
        return [out]
    return [out, g.reduce("ReduceMean", w, [1], 0, f"{scope}.weights")]


@register_converter(nn.MultiheadAttention)
def _multihead_attention(g, m, xs, scope):
    if len(xs) != 3:
        raise UnsupportedModuleError(
            f"chainrule.onnx.export: MultiheadAttention takes (query, key, value) as the "
            f"example input; got {len(xs)} tensors (masks are not exported)"
        )
    return attention(g, m, *xs, scope, need_weights=True)


@register_converter(nn.TransformerEncoderLayer)
def _transformer_encoder_layer(g, m, xs, scope):
    if len(xs) != 1:
        raise UnsupportedModuleError("chainrule.onnx.export: TransformerEncoderLayer is "
                                     "exported without masks; pass src alone")
    x = xs[0]

    def run(fn, v: Value) -> Value:
        return Value(fn(v), v.value)  # the example value only lends rank and dtype here

    def sa(v: Value) -> str:
        return attention(g, m.self_attn, v, v, v, _scope(scope, "self_attn"), False)[0]

    def ff(v: Value) -> str:
        hid = linear(g, v, m.linear1.weight, m.linear1.bias, _scope(scope, "linear1"))
        act = activation(g, m.activation, Value(hid, v.value), _scope(scope, "activation"))
        return linear(g, Value(act, v.value), m.linear2.weight, m.linear2.bias,
                      _scope(scope, "linear2"))

    def norm(i: int, v: Value) -> str:
        return layer_norm(g, v, getattr(m, f"norm{i}"), _scope(scope, f"norm{i}"))

    def add(a: str, b: str) -> Value:
        return Value(g.node("Add", [a, b], hint=scope), x.value)

    if m.norm_first:
        x = add(x.name, sa(run(lambda v: norm(1, v), x)))
        x = add(x.name, ff(run(lambda v: norm(2, v), x)))
        return [x.name]
    x = run(lambda v: norm(1, v), add(x.name, sa(x)))
    return [norm(2, add(x.name, ff(x)))]
