"""ONNX operators written with chainrule ops, so that an imported graph is differentiable.

Each entry of :data:`OPS` is ``fn(node, inputs, opset) -> Tensor or list``: ``inputs`` are
Tensors (None for an omitted optional input), ``node.attrs`` the attributes. Inputs that
ONNX uses as data about shapes (Reshape's shape, Slice's starts...) are read as arrays.
Where an operator changed between opsets (axes as an attribute or an input, Softmax's
2-D coercion before opset 13) both forms are read.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import ops
from ..nn import functional as F
from ..ops import rnn as _rnn
from ..tensor import Tensor

__all__ = ["OPS", "Node", "UnsupportedOperatorError"]


class UnsupportedOperatorError(NotImplementedError):
    """An ONNX operator (or one of its attributes) that the importer does not run."""


@dataclass
class Node:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    domain: str = ""


OPS: dict[str, Any] = {}


def op(*names: str):
    def add(fn):
        for n in names:
            OPS[n] = fn
        return fn

    return add


def _unsupported(node: Node, what: str) -> UnsupportedOperatorError:
    return UnsupportedOperatorError(f"chainrule.onnx.load: {node.op_type} with {what} is not "
                                    f"supported")


def _arr(t) -> np.ndarray:
    return np.asarray(t.numpy() if isinstance(t, Tensor) else t)


def _ints(t) -> list[int]:
    return [int(v) for v in _arr(t).reshape(-1)]


def _const(a, like: Tensor | None = None) -> Tensor:
    a = np.asarray(a)
    if like is not None and a.dtype.kind == "f":
        a = a.astype(like.dtype)
    return Tensor(a)


def _axes(node: Node, inputs, index: int, opset_from: int, opset: int):
    """Axes from the input ``index`` (from ``opset_from`` on) or the ``axes`` attribute."""
    if opset >= opset_from:
        t = inputs[index] if len(inputs) > index else None
        return None if t is None else _ints(t)
    axes = node.attrs.get("axes")
    return None if axes is None else [int(a) for a in axes]


def _norm_axes(axes, ndim: int) -> list[int]:
    return sorted(a % ndim for a in axes)


# -- elementwise ---------------------------------------------------------------------------


def _binary(fn):
    def run(node, xs, opset):
        return fn(xs[0], xs[1])

    return run


OPS.update({
    "Add": _binary(ops.add), "Sub": _binary(ops.sub), "Mul": _binary(ops.mul),
})


@op("Pow")
def _pow(node, xs, opset):
    a, b = xs
    if a.dtype.kind != "f":  # the result has the base's type
        return _const(np.power(_arr(a), _arr(b).astype(a.dtype)))
    return ops.pow(a, b if b.dtype == a.dtype else b.astype(a.dtype))


@op("Div")
def _div(node, xs, opset):
    a, b = xs
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":  # integer division truncates
        return _const(np.trunc(_arr(a) / _arr(b)).astype(a.dtype))
    return ops.div(a, b)


def _unary(fn):
    def run(node, xs, opset):
        return fn(xs[0])

    return run


OPS.update({
    "Neg": _unary(ops.neg), "Abs": _unary(ops.abs), "Exp": _unary(ops.exp),
    "Log": _unary(ops.log), "Sqrt": _unary(ops.sqrt), "Sin": _unary(ops.sin),
    "Cos": _unary(ops.cos), "Tanh": _unary(ops.tanh), "Sigmoid": _unary(ops.sigmoid),
    "Relu": _unary(ops.relu), "Erf": _unary(F.erf),
    "Reciprocal": _unary(lambda x: ops.div(_const(1.0, x), x)),
    "Softsign": _unary(lambda x: ops.div(x, ops.add(_const(1.0, x), ops.abs(x)))),
    "Identity": _unary(lambda x: x),
})


def _no_grad_unary(fn):
    # Piecewise-constant functions: zero gradient almost everywhere, so computed on arrays.
    def run(node, xs, opset):
        return _const(fn(_arr(xs[0])))

    return run


OPS.update({"Floor": _no_grad_unary(np.floor), "Ceil": _no_grad_unary(np.ceil),
            "Sign": _no_grad_unary(np.sign), "Round": _no_grad_unary(np.round),
            "IsNaN": _no_grad_unary(np.isnan),
            "Not": _no_grad_unary(np.logical_not)})


def _compare(fn):
    def run(node, xs, opset):
        return _const(fn(_arr(xs[0]), _arr(xs[1])))

    return run


OPS.update({"Equal": _compare(np.equal), "Less": _compare(np.less),
            "Greater": _compare(np.greater), "LessOrEqual": _compare(np.less_equal),
            "GreaterOrEqual": _compare(np.greater_equal), "And": _compare(np.logical_and),
            "Or": _compare(np.logical_or), "Xor": _compare(np.logical_xor),
            "BitwiseAnd": _compare(np.bitwise_and), "BitwiseOr": _compare(np.bitwise_or),
            "BitwiseXor": _compare(np.bitwise_xor)})


@op("Mod")
def _mod(node, xs, opset):
    fn = np.fmod if node.attrs.get("fmod", 0) else np.mod
    return _const(fn(_arr(xs[0]), _arr(xs[1])))


@op("IsInf")
def _isinf(node, xs, opset):
    a = _arr(xs[0])
    pos, neg = node.attrs.get("detect_positive", 1), node.attrs.get("detect_negative", 1)
    return _const((np.isposinf(a) & bool(pos)) | (np.isneginf(a) & bool(neg)))


@op("BitShift")
def _bit_shift(node, xs, opset):
    fn = np.left_shift if node.attrs["direction"] == "LEFT" else np.right_shift
    return _const(fn(_arr(xs[0]), _arr(xs[1])))


@op("BitwiseNot")
def _bitwise_not(node, xs, opset):
    return _const(np.invert(_arr(xs[0])))


@op("LeakyRelu")
def _leaky_relu(node, xs, opset):
    return F.leaky_relu(xs[0], float(node.attrs.get("alpha", 0.01)))


@op("Elu")
def _elu(node, xs, opset):
    return F.elu(xs[0], float(node.attrs.get("alpha", 1.0)))


@op("Selu")
def _selu(node, xs, opset):
    alpha = float(node.attrs.get("alpha", 1.67326319217681884765625))
    gamma = float(node.attrs.get("gamma", 1.05070102214813232421875))
    return ops.mul(F.elu(xs[0], alpha), _const(gamma, xs[0]))


@op("Softplus")
def _softplus(node, xs, opset):
    return F.softplus(xs[0])


@op("HardSigmoid")
def _hard_sigmoid(node, xs, opset):
    x = xs[0]
    a, b = float(node.attrs.get("alpha", 0.2)), float(node.attrs.get("beta", 0.5))
    return ops.clip(ops.add(ops.mul(x, _const(a, x)), _const(b, x)), 0.0, 1.0)


@op("Gelu")
def _gelu(node, xs, opset):
    return F.gelu(xs[0], node.attrs.get("approximate", "none"))


@op("PRelu")
def _prelu(node, xs, opset):
    x, slope = xs
    if slope.ndim == 1 and x.ndim > 2 and slope.shape[0] == x.shape[1]:
        # Old exporters give one slope per channel as (C,); ONNX broadcasts from the right.
        slope = ops.reshape(slope, (slope.shape[0],) + (1,) * (x.ndim - 2))
    return ops.where(_const(_arr(x) < 0), ops.mul(x, slope), x)


@op("Clip")
def _clip(node, xs, opset):
    x = xs[0]
    if opset >= 11:
        lo = None if len(xs) < 2 or xs[1] is None else _arr(xs[1]).item()
        hi = None if len(xs) < 3 or xs[2] is None else _arr(xs[2]).item()
    else:
        lo, hi = node.attrs.get("min"), node.attrs.get("max")
    if lo is None and hi is None:
        return x
    if x.dtype.kind != "f" or (lo is not None and hi is not None and lo > hi):
        # ONNX: integers stay integers; min > max gives max everywhere (NumPy's rule).
        return _const(np.clip(_arr(x), lo, hi).astype(x.dtype))
    return ops.clip(x, lo, hi)


def _variadic(fn):
    def run(node, xs, opset):
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out

    return run


OPS.update({"Max": _variadic(ops.maximum), "Min": _variadic(ops.minimum),
            "Sum": _variadic(ops.add)})


@op("Mean")
def _mean(node, xs, opset):
    return ops.div(_variadic(ops.add)(node, xs, opset), _const(float(len(xs)), xs[0]))


@op("Where")
def _where(node, xs, opset):
    return ops.where(_const(_arr(xs[0]).astype(bool)), xs[1], xs[2])


@op("Cast")
def _cast(node, xs, opset):
    from onnx import helper

    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(node.attrs["to"]))
    x = xs[0]
    if dtype.name.startswith(("float8", "float4")) and node.attrs.get("saturate", 1):
        # ONNX clamps out-of-range values to the largest finite value here; a plain
        # conversion gives NaN or infinity instead, so it serves only values in range.
        import ml_dtypes

        a = _arr(x).astype(np.float64)
        if "e8m0" in dtype.name or np.any(np.isinf(a)) or \
                np.any(np.abs(a[np.isfinite(a)]) > float(ml_dtypes.finfo(dtype).max)):
            raise _unsupported(node, f"a saturating cast to {dtype} of values out of range")
    if x.dtype.kind == "f" and np.dtype(dtype).kind == "f":
        return x.astype(dtype)
    return _const(_arr(x).astype(dtype))


# -- linear algebra ------------------------------------------------------------------------


@op("MatMul")
def _matmul(node, xs, opset):
    return ops.matmul(xs[0], xs[1])


@op("Gemm")
def _gemm(node, xs, opset):
    a, b = xs[0], xs[1]
    c = xs[2] if len(xs) > 2 else None
    alpha, beta = float(node.attrs.get("alpha", 1.0)), float(node.attrs.get("beta", 1.0))
    ta, tb = node.attrs.get("transA", 0), node.attrs.get("transB", 0)
    if ta:
        a = ops.permute(a, 1, 0)
    if tb and alpha == 1.0 and beta == 1.0 and (c is None or c.ndim == 1):
        return F.linear(a, b, c)  # the same computation as nn.Linear
    y = ops.matmul(a, ops.permute(b, 1, 0) if tb else b)
    if alpha != 1.0:
        y = ops.mul(y, _const(alpha, y))
    if c is not None:
        y = ops.add(y, c if beta == 1.0 else ops.mul(c, _const(beta, c)))
    return y


@op("Einsum")
def _einsum(node, xs, opset):
    return ops.einsum(node.attrs["equation"].replace(" ", ""), *xs)


# -- convolution and pooling ---------------------------------------------------------------


def _pads(node, x: Tensor, kernel, strides, dilations) -> list[tuple[int, int]]:
    """Per spatial axis (before, after), from ``pads`` or ``auto_pad``."""
    nd = len(kernel)
    auto = node.attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = []
        for i in range(nd):
            size = x.shape[2 + i]
            o = -(-size // strides[i])
            total = max(0, (o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size)
            small = total // 2
            out.append((small, total - small) if auto == "SAME_UPPER" else
                       (total - small, small))
        return out
    if auto == "VALID":
        return [(0, 0)] * nd
    p = [int(v) for v in node.attrs.get("pads", [0] * (2 * nd))]
    return [(p[i], p[i + nd]) for i in range(nd)]


def _pad_spatial(x: Tensor, pads, value: float) -> Tensor:
    if all(a == 0 and b == 0 for a, b in pads):
        return x
    return ops.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads], constant_values=value)


def _symmetric(pads) -> tuple[int, ...] | None:
    return tuple(a for a, _ in pads) if all(a == b for a, b in pads) else None


def _spatial_attrs(node, x: Tensor, kernel=None):
    nd = x.ndim - 2
    kernel = [int(k) for k in (kernel or node.attrs["kernel_shape"])]
    strides = [int(s) for s in node.attrs.get("strides", [1] * nd)]
    dilations = [int(d) for d in node.attrs.get("dilations", [1] * nd)]
    return kernel, strides, dilations, _pads(node, x, kernel, strides, dilations)


def _conv_nd(x: Tensor, W: Tensor, b, strides, dilations, group: int) -> Tensor:
    """Convolution over any number of spatial axes from 2-D ones: the first spatial axis is
    unrolled, each output slice summing the 2-D convolutions of the kernel's slices."""
    nd = x.ndim - 2
    if nd == 1:
        return F.conv1d(x, W, b, strides[0], 0, dilations[0], group)
    if nd == 2:
        return F.conv2d(x, W, b, tuple(strides), 0, tuple(dilations), group)
    k, s, d = W.shape[2], strides[0], dilations[0]
    n_out = (x.shape[2] - d * (k - 1) - 1) // s + 1
    slices = []
    for o in range(n_out):
        acc = None
        for j in range(k):
            part = _conv_nd(ops.getitem(x, (slice(None), slice(None), o * s + j * d)),
                            ops.getitem(W, (slice(None), slice(None), j)), None, strides[1:],
                            dilations[1:], group)
            acc = part if acc is None else ops.add(acc, part)
        slices.append(acc)
    y = ops.stack(slices, axis=2)
    if b is not None:
        y = ops.add(y, ops.reshape(b, (b.shape[0],) + (1,) * nd))
    return y


@op("Conv")
def _conv(node, xs, opset):
    x, W = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    kernel, strides, dilations, pads = _spatial_attrs(node, x, W.shape[2:])
    group = int(node.attrs.get("group", 1))
    sym = _symmetric(pads)
    nd = x.ndim - 2
    if sym is not None and nd in (1, 2):  # the same call as nn.Conv1d/2d
        conv = F.conv1d if nd == 1 else F.conv2d
        args = (strides[0], sym[0], dilations[0]) if nd == 1 else \
            (tuple(strides), sym, tuple(dilations))
        return conv(x, W, b, *args, group)
    return _conv_nd(_pad_spatial(x, pads, 0.0), W, b, strides, dilations, group)


@op("ConvTranspose")
def _conv_transpose(node, xs, opset):
    x, W = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    nd = x.ndim - 2
    if nd not in (1, 2):
        raise _unsupported(node, f"{nd} spatial dimensions")
    kernel = list(W.shape[2:])
    strides = [int(s) for s in node.attrs.get("strides", [1] * nd)]
    dil = [int(d) for d in node.attrs.get("dilations", [1] * nd)]
    out_pad = [int(p) for p in node.attrs.get("output_padding", [0] * nd)]
    group = int(node.attrs.get("group", 1))
    if "output_shape" in node.attrs or node.attrs.get("auto_pad", "NOTSET") != "NOTSET":
        shape = [int(s) for s in node.attrs["output_shape"]][-nd:] \
            if "output_shape" in node.attrs else [x.shape[2 + i] * strides[i]
                                                  for i in range(nd)]
        pads = []
        for i in range(nd):
            full = strides[i] * (x.shape[2 + i] - 1) + out_pad[i] + (kernel[i] - 1) * dil[i] + 1
            total = full - shape[i]
            pads.append((total // 2, total - total // 2)
                        if node.attrs.get("auto_pad") != "SAME_LOWER" else
                        (total - total // 2, total // 2))
    else:
        p = [int(v) for v in node.attrs.get("pads", [0] * (2 * nd))]
        pads = [(p[i], p[i + nd]) for i in range(nd)]
    # An asymmetric crop: pad by the smaller side, then crop the rest off the end.
    before = [min(a, c) for a, c in pads]
    extra = [(a - m, c - m) for (a, c), m in zip(pads, before)]
    conv = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
    if nd == 1:
        y = conv(x, W, b, strides[0], before[0], out_pad[0], group, dil[0])
    else:
        y = conv(x, W, b, tuple(strides), tuple(before), tuple(out_pad), group, tuple(dil))
    if any(e != (0, 0) for e in extra):
        idx = (slice(None), slice(None)) + tuple(slice(a, y.shape[2 + i] - c)
                                                 for i, (a, c) in enumerate(extra))
        y = ops.getitem(y, idx)
    return y


def _windows(x: Tensor, kernel, strides, dilations):
    """Each kernel offset's strided view of (padded) ``x``: the pooled windows, unrolled."""
    nd = len(kernel)
    outs = [(x.shape[2 + i] - dilations[i] * (kernel[i] - 1) - 1) // strides[i] + 1
            for i in range(nd)]
    for offset in itertools.product(*[range(k) for k in kernel]):
        idx = (slice(None), slice(None)) + tuple(
            slice(o * dilations[i], o * dilations[i] + (outs[i] - 1) * strides[i] + 1,
                  strides[i]) for i, o in enumerate(offset))
        yield ops.getitem(x, idx)


def _ceil_pads(x: Tensor, kernel, strides, dilations, pads, ceil_mode: bool):
    """Extra padding at the end so that a ceil-mode pool sees its last partial window."""
    if not ceil_mode:
        return pads
    out = []
    for i, (a, b) in enumerate(pads):
        size = x.shape[2 + i] + a + b
        span = dilations[i] * (kernel[i] - 1) + 1
        n = -(-(size - span) // strides[i]) + 1
        if (n - 1) * strides[i] >= x.shape[2 + i] + a:  # PyTorch: last window starts inside
            n -= 1
        out.append((a, b + max(0, (n - 1) * strides[i] + span - size)))
    return out


@op("MaxPool")
def _max_pool(node, xs, opset):
    x = xs[0]
    if len(node.outputs) > 1 and node.outputs[1]:
        raise _unsupported(node, "the Indices output")
    kernel, strides, dilations, pads = _spatial_attrs(node, x)
    ceil = bool(node.attrs.get("ceil_mode", 0))
    nd = x.ndim - 2
    sym = _symmetric(pads)
    if nd in (1, 2) and sym is not None and all(p <= k // 2 for p, k in zip(sym, kernel)):
        pool = F.max_pool1d if nd == 1 else F.max_pool2d
        unpack = (lambda v: v[0]) if nd == 1 else tuple
        return pool(x, unpack(kernel), unpack(strides), unpack(list(sym)), unpack(dilations),
                    ceil_mode=ceil)
    pads = _ceil_pads(x, kernel, strides, dilations, pads, ceil)
    out = None
    for w in _windows(_pad_spatial(x, pads, -np.inf), kernel, strides, dilations):
        out = w if out is None else ops.maximum(out, w)
    return out


@op("AveragePool")
def _avg_pool(node, xs, opset):
    x = xs[0]
    kernel, strides, dilations, pads = _spatial_attrs(node, x)
    ceil = bool(node.attrs.get("ceil_mode", 0))
    include = bool(node.attrs.get("count_include_pad", 0))
    nd = x.ndim - 2
    sym = _symmetric(pads)
    if nd in (1, 2) and sym is not None and all(d == 1 for d in dilations) and \
            all(p <= k // 2 for p, k in zip(sym, kernel)) and not ceil:
        pool = F.avg_pool1d if nd == 1 else F.avg_pool2d
        unpack = (lambda v: v[0]) if nd == 1 else tuple
        return pool(x, unpack(kernel), unpack(strides), unpack(list(sym)),
                    count_include_pad=include)
    full = _ceil_pads(x, kernel, strides, dilations, pads, ceil)
    total = None
    for w in _windows(_pad_spatial(x, full, 0.0), kernel, strides, dilations):
        total = w if total is None else ops.add(total, w)
    # The divisor: the window's cells inside the input, and inside the explicit pads with
    # count_include_pad, never those of the ceil-mode overhang.
    region = np.pad(np.ones((1, 1) + tuple(x.shape[2:]), x.dtype),
                    [(0, 0), (0, 0)] + list(pads), constant_values=1.0 if include else 0.0)
    region = np.pad(region, [(0, 0), (0, 0)] + [(0, f[1] - p[1]) for f, p in zip(full, pads)])
    count = sum(_arr(w) for w in _windows(Tensor(region), kernel, strides, dilations))
    return ops.div(total, _const(np.maximum(count, 1), x))


@op("GlobalAveragePool")
def _global_avg_pool(node, xs, opset):
    x = xs[0]
    return ops.mean(x, axis=tuple(range(2, x.ndim)), keepdims=True)


@op("GlobalMaxPool")
def _global_max_pool(node, xs, opset):
    x = xs[0]
    return ops.amax(x, dim=tuple(range(2, x.ndim)), keepdim=True)


# -- normalization -------------------------------------------------------------------------


@op("BatchNormalization")
def _batch_norm(node, xs, opset):
    x, scale, bias, mean, var = xs[:5]
    eps = float(node.attrs.get("epsilon", 1e-5))
    if node.attrs.get("training_mode", 0):
        raise _unsupported(node, "training_mode=1")
    if x.ndim in (2, 3, 4):  # the same call as nn.BatchNorm1d/2d in eval mode
        return F.batch_norm(x, mean, var, scale, bias, False, 0.0, eps)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    inv = ops.div(_const(1.0, x), ops.sqrt(ops.add(ops.reshape(var, shape), _const(eps, x))))
    y = ops.mul(ops.sub(x, ops.reshape(mean, shape)), inv)
    return ops.add(ops.mul(y, ops.reshape(scale, shape)), ops.reshape(bias, shape))


@op("LayerNormalization")
def _layer_norm(node, xs, opset):
    x, scale = xs[0], xs[1]
    bias = xs[2] if len(xs) > 2 else None
    axis = int(node.attrs.get("axis", -1)) % x.ndim
    eps = float(node.attrs.get("epsilon", 1e-5))
    if x.ndim - axis == scale.ndim and tuple(scale.shape) == tuple(x.shape[axis:]) and (
            bias is None or tuple(bias.shape) == tuple(scale.shape)):
        y = F.layer_norm(x, tuple(x.shape[axis:]), scale, bias, eps)  # as nn.LayerNorm
    else:  # scale and bias that broadcast: the formula
        y = None
    if y is not None and not (len(node.outputs) > 1 and any(node.outputs[1:])):
        return y
    axes = tuple(range(axis, x.ndim))
    mean = ops.mean(x, axis=axes, keepdims=True)
    d = ops.sub(x, mean)
    inv_std = ops.div(_const(1.0, x), ops.sqrt(ops.add(ops.mean(ops.mul(d, d), axis=axes,
                                                                keepdims=True),
                                                       _const(eps, x))))
    if y is None:
        y = ops.mul(ops.mul(d, inv_std), scale)
        y = y if bias is None else ops.add(y, bias)
    return [y, mean, inv_std]


@op("InstanceNormalization")
def _instance_norm(node, xs, opset):
    x, scale, bias = xs
    eps = float(node.attrs.get("epsilon", 1e-5))
    axes = tuple(range(2, x.ndim))
    mu = ops.mean(x, axis=axes, keepdims=True)
    d = ops.sub(x, mu)
    var = ops.mean(ops.mul(d, d), axis=axes, keepdims=True)
    y = ops.div(d, ops.sqrt(ops.add(var, _const(eps, x))))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return ops.add(ops.mul(y, ops.reshape(scale, shape)), ops.reshape(bias, shape))


@op("Dropout")
def _dropout(node, xs, opset):
    # Inference: the identity (and an all-true mask when asked for).
    x = xs[0]
    training = xs[2] if len(xs) > 2 else None
    ratio = float(_arr(xs[1])) if len(xs) > 1 and xs[1] is not None else \
        float(node.attrs.get("ratio", 0.5))
    if training is not None and bool(_arr(training)) and ratio > 0:
        raise _unsupported(node, "training mode (random masks)")
    return [x, _const(np.ones(x.shape, bool))]


def _softmax_like(fn):
    def run(node, xs, opset):
        x = xs[0]
        if opset >= 13:
            return fn(x, axis=int(node.attrs.get("axis", -1)))
        # Before opset 13: the input is coerced to 2-D at ``axis`` (default 1).
        axis = int(node.attrs.get("axis", 1)) % max(x.ndim, 1)
        rows = int(np.prod(x.shape[:axis]))
        y = fn(ops.reshape(x, (rows, -1)), axis=1)
        return ops.reshape(y, tuple(x.shape))

    return run


OPS["Softmax"] = _softmax_like(ops.softmax)
OPS["LogSoftmax"] = _softmax_like(ops.log_softmax)


# -- shapes --------------------------------------------------------------------------------


@op("Reshape")
def _reshape(node, xs, opset):
    x = xs[0]
    shape = _ints(xs[1]) if opset >= 5 else [int(s) for s in node.attrs["shape"]]
    if not node.attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return ops.reshape(x, tuple(shape))


@op("Flatten")
def _flatten(node, xs, opset):
    x = xs[0]
    axis = int(node.attrs.get("axis", 1))
    axis = axis + x.ndim if axis < 0 else axis
    return ops.reshape(x, (int(np.prod(x.shape[:axis])), -1))


@op("Transpose")
def _transpose(node, xs, opset):
    x = xs[0]
    perm = node.attrs.get("perm") or list(range(x.ndim))[::-1]
    return ops.permute(x, *[int(p) for p in perm])


@op("Squeeze")
def _squeeze(node, xs, opset):
    x = xs[0]
    axes = _axes(node, xs, 1, 13, opset)
    if axes is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    return ops.reshape(x, tuple(s for i, s in enumerate(x.shape)
                                if i not in _norm_axes(axes, x.ndim)))


@op("Unsqueeze")
def _unsqueeze(node, xs, opset):
    x = xs[0]
    axes = _norm_axes(_axes(node, xs, 1, 13, opset), x.ndim + len(_axes(node, xs, 1, 13,
                                                                         opset)))
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return ops.reshape(x, tuple(shape))


@op("Concat")
def _concat(node, xs, opset):
    xs = [x for x in xs if x is not None]
    if all(x.dtype.kind != "f" for x in xs):
        return _const(np.concatenate([_arr(x) for x in xs], axis=int(node.attrs["axis"])))
    return ops.concatenate(xs, axis=int(node.attrs["axis"]))


@op("Split")
def _split(node, xs, opset):
    x = xs[0]
    axis = int(node.attrs.get("axis", 0)) % x.ndim
    sizes = None
    if opset >= 13 and len(xs) > 1 and xs[1] is not None:
        sizes = _ints(xs[1])
    elif "split" in node.attrs:
        sizes = [int(s) for s in node.attrs["split"]]
    n = len(node.outputs)
    if sizes is None:
        size = x.shape[axis]
        n = int(node.attrs.get("num_outputs", n))
        step = -(-size // n)
        sizes = [min(step, size - i * step) for i in range(n)]
    return ops.split(x, sizes, dim=axis)


@op("Slice")
def _slice(node, xs, opset):
    x = xs[0]
    if opset >= 10:
        starts, ends = _ints(xs[1]), _ints(xs[2])
        axes = _ints(xs[3]) if len(xs) > 3 and xs[3] is not None else list(range(len(starts)))
        steps = _ints(xs[4]) if len(xs) > 4 and xs[4] is not None else [1] * len(starts)
    else:
        starts, ends = list(node.attrs["starts"]), list(node.attrs["ends"])
        axes = list(node.attrs.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        n = x.shape[a]
        # ONNX clamps out-of-range bounds (INT_MAX means "to the end").
        s = max(-n - 1, min(n, s))
        e = max(-n - 1, min(n, e))
        if st < 0 and e < -n:
            e = None
        idx[a % x.ndim] = slice(s, e, st)
    return ops.getitem(x, tuple(idx))


@op("Gather")
def _gather(node, xs, opset):
    x, idx = xs
    axis = int(node.attrs.get("axis", 0)) % x.ndim
    i = _arr(idx).astype(np.int64)
    i = np.where(i < 0, i + x.shape[axis], i)
    if x.dtype.kind != "f":
        return _const(np.take(_arr(x), i, axis=axis))
    if axis == 0 and i.ndim >= 1 and x.ndim == 2:
        return F.embedding(_const(i), x)  # the same call as nn.Embedding
    return ops.getitem(x, (slice(None),) * axis + (i,))


@op("Shape")
def _shape(node, xs, opset):
    shape = np.array(xs[0].shape, dtype=np.int64)
    start, end = node.attrs.get("start", 0), node.attrs.get("end")
    return _const(shape[start:end])


@op("Size")
def _size(node, xs, opset):
    return _const(np.array(int(np.prod(xs[0].shape)), dtype=np.int64))


@op("Constant")
def _constant(node, xs, opset):
    a = node.attrs
    for key, dtype in (("value", None), ("value_float", np.float32),
                       ("value_floats", np.float32), ("value_int", np.int64),
                       ("value_ints", np.int64)):
        if key in a:
            return _const(np.asarray(a[key], dtype=dtype))
    raise _unsupported(node, f"attributes {sorted(a)}")


@op("ConstantOfShape")
def _constant_of_shape(node, xs, opset):
    value = node.attrs.get("value", np.zeros(1, np.float32))
    return _const(np.full(_ints(xs[0]), np.asarray(value).reshape(-1)[0],
                          dtype=np.asarray(value).dtype))


@op("Expand")
def _expand(node, xs, opset):
    x = xs[0]
    shape = np.broadcast_shapes(tuple(x.shape), tuple(_ints(xs[1])))
    return ops.broadcast_to(x, shape)


@op("Tile")
def _tile(node, xs, opset):
    x = xs[0]
    reps = _ints(xs[1]) if opset >= 6 else None
    out = x
    for axis, r in enumerate(reps):
        if r != 1:
            out = ops.concatenate([out] * r, axis=axis)
    return out


@op("Range")
def _range(node, xs, opset):
    start, limit, delta = (_arr(x) for x in xs)
    return _const(np.arange(start, limit, delta, dtype=start.dtype))


@op("Pad")
def _pad(node, xs, opset):
    x = xs[0]
    mode = node.attrs.get("mode", "constant")
    if opset >= 11:
        pads = _ints(xs[1])
        value = float(_arr(xs[2])) if len(xs) > 2 and xs[2] is not None else 0.0
        axes = _ints(xs[3]) if len(xs) > 3 and xs[3] is not None else list(range(x.ndim))
    else:
        pads = [int(p) for p in node.attrs["pads"]]
        value = float(node.attrs.get("value", 0.0))
        axes = list(range(x.ndim))
    n = len(axes)
    width = [(0, 0)] * x.ndim
    for i, a in enumerate(axes):
        width[a % x.ndim] = (pads[i], pads[i + n])
    if any(p < 0 for w in width for p in w):
        raise _unsupported(node, "negative pads")
    if mode == "constant":
        return ops.pad(x, width, constant_values=value)
    if mode not in ("reflect", "edge", "wrap"):
        raise _unsupported(node, f"mode {mode!r}")
    # Reflect/edge/wrap pick input cells: an index gather per axis, so it stays
    # differentiable (the gradient adds up where a cell is picked more than once).
    for axis, (a, b) in enumerate(width):
        if a or b:
            idx = np.pad(np.arange(x.shape[axis]), (a, b), mode=mode)
            x = ops.getitem(x, (slice(None),) * axis + (idx,))
    return x


@op("Shrink")
def _shrink(node, xs, opset):
    x = xs[0]
    lambd, bias = float(node.attrs.get("lambd", 0.5)), float(node.attrs.get("bias", 0.0))
    a = _arr(x)
    return ops.where(_const(a < -lambd), ops.add(x, _const(bias, x)),
                     ops.where(_const(a > lambd), ops.sub(x, _const(bias, x)),
                               _const(np.zeros_like(a))))


@op("DepthToSpace")
def _depth_to_space(node, xs, opset):
    x = xs[0]
    b = int(node.attrs["blocksize"])
    N, C, H, W = x.shape
    if node.attrs.get("mode", "DCR") == "DCR":
        y = ops.permute(ops.reshape(x, (N, b, b, C // (b * b), H, W)), 0, 3, 4, 1, 5, 2)
    else:
        y = ops.permute(ops.reshape(x, (N, C // (b * b), b, b, H, W)), 0, 1, 4, 2, 5, 3)
    return ops.reshape(y, (N, C // (b * b), H * b, W * b))


# -- reductions ----------------------------------------------------------------------------


def _reduce(fn, post=None, pre=None, axes_input_from: int = 18):
    def run(node, xs, opset):
        x = xs[0]
        axes = _axes(node, xs, 1, axes_input_from, opset)
        keep = bool(node.attrs.get("keepdims", 1))
        if not axes:
            if node.attrs.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.ndim))
        axes = tuple(_norm_axes(axes, x.ndim))
        y = fn(pre(x) if pre else x, axes, keep)
        return post(y) if post else y

    return run


OPS.update({
    "ReduceMean": _reduce(lambda x, a, k: ops.mean(x, axis=a, keepdims=k)),
    "ReduceSum": _reduce(lambda x, a, k: ops.sum(x, axis=a, keepdims=k), axes_input_from=13),
    "ReduceMax": _reduce(lambda x, a, k: ops.amax(x, dim=a, keepdim=k)),
    "ReduceMin": _reduce(lambda x, a, k: ops.amin(x, dim=a, keepdim=k)),
    "ReduceProd": _reduce(lambda x, a, k: ops.prod(x, axis=a, keepdims=k)),
    "ReduceL1": _reduce(lambda x, a, k: ops.sum(ops.abs(x), axis=a, keepdims=k)),
    "ReduceL2": _reduce(lambda x, a, k: ops.sqrt(ops.sum(ops.mul(x, x), axis=a, keepdims=k))),
    "ReduceSumSquare": _reduce(lambda x, a, k: ops.sum(ops.mul(x, x), axis=a, keepdims=k)),
    "ReduceLogSumExp": _reduce(lambda x, a, k: ops.logsumexp(x, axis=a, keepdims=k)),
    "ReduceLogSum": _reduce(lambda x, a, k: ops.log(ops.sum(x, axis=a, keepdims=k))),
})


def _arg(fn):
    def run(node, xs, opset):
        a = _arr(xs[0])
        axis = int(node.attrs.get("axis", 0))
        if node.attrs.get("select_last_index", 0):
            flipped = np.flip(a, axis=axis)
            i = a.shape[axis] - 1 - fn(flipped, axis=axis)
        else:
            i = fn(a, axis=axis)
        if node.attrs.get("keepdims", 1):
            i = np.expand_dims(i, axis)
        return _const(i.astype(np.int64))

    return run


OPS.update({"ArgMax": _arg(np.argmax), "ArgMin": _arg(np.argmin)})


# -- recurrent layers ----------------------------------------------------------------------

# PyTorch's gate order from ONNX's: LSTM i,o,f,c -> i,f,c,o; GRU z,r,h -> r,z,h.
_TO_TORCH = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}
_DEFAULT_ACTS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"]}


def _torch_gates(w: Tensor, op_type: str) -> Tensor:
    order = _TO_TORCH[op_type]
    if len(order) == 1:
        return w
    blocks = ops.chunk(w, len(order), dim=0)
    return ops.concatenate([blocks[i] for i in order], axis=0)


def _recurrent(node, xs, opset):
    op_type = node.op_type
    a = node.attrs
    x, W, R = xs[0], xs[1], xs[2]
    B, seq_lens, h0, c0, P = (xs[i] if len(xs) > i else None for i in range(3, 8))
    if seq_lens is not None and len(set(_ints(seq_lens))) > 1:
        raise _unsupported(node, "sequence_lens of different lengths")
    if P is not None:
        raise _unsupported(node, "peepholes P")
    if a.get("clip") is not None or a.get("input_forget", 0):
        raise _unsupported(node, "clip or input_forget")
    acts = [s.lower() for s in a.get("activations", [])]
    if op_type == "RNN":
        act = (acts or ["tanh"])[0]
        if act not in ("tanh", "relu"):
            raise _unsupported(node, f"activation {act}")
        mode = "RNN_TANH" if act == "tanh" else "RNN_RELU"
    else:
        mode = op_type
        default = _DEFAULT_ACTS[op_type]
        if acts and acts[: len(default)] != default:
            raise _unsupported(node, f"activations {acts}")
    reset_first = op_type == "GRU" and not a.get("linear_before_reset", 0)
    layout = int(a.get("layout", 0))
    if layout:
        x = ops.swapaxes(x, 0, 1)
    direction = a.get("direction", "forward")
    D = 2 if direction == "bidirectional" else 1
    H = int(a["hidden_size"])
    N = x.shape[1]
    if layout:
        h0 = None if h0 is None else ops.swapaxes(h0, 0, 1)
        c0 = None if c0 is None else ops.swapaxes(c0, 0, 1)
    zero = _const(np.zeros((N, H), x.dtype))
    ys, hs, cs = [], [], []
    for d in range(D):
        G = W.shape[1]
        w_ih = _torch_gates(ops.getitem(W, d), op_type)
        w_hh = _torch_gates(ops.getitem(R, d), op_type)
        b_ih = b_hh = None
        if B is not None:
            b = ops.getitem(B, d)
            b_ih = _torch_gates(ops.getitem(b, slice(0, G)), op_type)
            b_hh = _torch_gates(ops.getitem(b, slice(G, 2 * G)), op_type)
        else:
            b_ih = b_hh = _const(np.zeros(G, x.dtype))
        h = zero if h0 is None else ops.getitem(h0, d)
        c = (zero if c0 is None else ops.getitem(c0, d)) if op_type == "LSTM" else None
        reverse = direction == "reverse" or d == 1
        if reset_first:
            out = _gru_reset_first(x, h, w_ih, w_hh, b_ih, b_hh, reverse)
        else:
            out = _rnn.recurrence(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        ys.append(out[0])
        hs.append(out[1])
        if op_type == "LSTM":
            cs.append(out[2])
    y = ops.stack(ys, axis=1)       # (seq, directions, batch, H)
    h_n, c_n = ops.stack(hs), (ops.stack(cs) if cs else None)
    if layout:
        y = ops.permute(y, 2, 0, 1, 3)
        h_n = ops.swapaxes(h_n, 0, 1)
        c_n = None if c_n is None else ops.swapaxes(c_n, 0, 1)
    return [y, h_n] + ([c_n] if op_type == "LSTM" else [])


OPS.update({"LSTM": _recurrent, "GRU": _recurrent, "RNN": _recurrent})


def _gru_reset_first(x, h, W_ih, W_hh, b_ih, b_hh, reverse: bool):
    """ONNX's default GRU (``linear_before_reset=0``), gates r, z, n in PyTorch's order:
    n = tanh(x W_in^T + b_in + (r * h) W_hn^T + b_hn), the reset gate applied before the
    hidden product (PyTorch's GRU applies it after, so the fused kernel does not serve)."""
    H = h.shape[-1]
    W_hrz, W_hn = ops.getitem(W_hh, slice(0, 2 * H)), ops.getitem(W_hh, slice(2 * H, 3 * H))
    b_hrz, b_hn = ops.getitem(b_hh, slice(0, 2 * H)), ops.getitem(b_hh, slice(2 * H, 3 * H))
    xw = ops.add(ops.matmul(x, ops.permute(W_ih, 1, 0)), b_ih)       # (T, N, 3H)
    ys = []
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in steps:
        xt = ops.getitem(xw, t)
        rz = ops.sigmoid(ops.add(ops.getitem(xt, (slice(None), slice(0, 2 * H))),
                                 ops.add(ops.matmul(h, ops.permute(W_hrz, 1, 0)), b_hrz)))
        r = ops.getitem(rz, (slice(None), slice(0, H)))
        z = ops.getitem(rz, (slice(None), slice(H, 2 * H)))
        hn = ops.add(ops.matmul(ops.mul(r, h), ops.permute(W_hn, 1, 0)), b_hn)
        n = ops.tanh(ops.add(ops.getitem(xt, (slice(None), slice(2 * H, 3 * H))), hn))
        h = ops.add(ops.mul(ops.sub(_const(1.0, z), z), n), ops.mul(z, h))
        ys.append(h)
    if reverse:
        ys = ys[::-1]
    return ops.stack(ys, axis=0), h


# -- more elementwise functions, composed so that they stay differentiable ----------------


@op("CastLike")
def _cast_like(node, xs, opset):
    from onnx import helper

    to = helper.np_dtype_to_tensor_dtype(np.dtype(xs[1].dtype))
    return _cast(Node("Cast", node.inputs[:1], node.outputs, {"to": to}), xs[:1], opset)


@op("Tan")
def _tan(node, xs, opset):
    return ops.div(ops.sin(xs[0]), ops.cos(xs[0]))


@op("Sinh", "Cosh")
def _sinh_cosh(node, xs, opset):
    x = xs[0]
    e, inv = ops.exp(x), ops.exp(ops.neg(x))
    both = ops.sub(e, inv) if node.op_type == "Sinh" else ops.add(e, inv)
    return ops.mul(both, _const(0.5, x))


@op("Celu")
def _celu(node, xs, opset):
    x = xs[0]
    alpha = float(node.attrs.get("alpha", 1.0))
    neg = ops.mul(_const(alpha, x), ops.sub(ops.exp(ops.div(x, _const(alpha, x))),
                                           _const(1.0, x)))
    return ops.where(_const(_arr(x) > 0), x, neg)


@op("ThresholdedRelu")
def _thresholded_relu(node, xs, opset):
    x = xs[0]
    return ops.where(_const(_arr(x) > float(node.attrs.get("alpha", 1.0))), x,
                     _const(np.zeros(x.shape, x.dtype)))


@op("Swish")
def _swish(node, xs, opset):
    x = xs[0]
    alpha = float(node.attrs.get("alpha", 1.0))
    return ops.mul(x, ops.sigmoid(ops.mul(x, _const(alpha, x)) if alpha != 1.0 else x))


@op("HardSwish")
def _hard_swish(node, xs, opset):
    x = xs[0]
    gate = ops.clip(ops.add(ops.mul(x, _const(1 / 6, x)), _const(0.5, x)), 0.0, 1.0)
    return ops.mul(x, gate)


@op("Mish")
def _mish(node, xs, opset):
    return ops.mul(xs[0], ops.tanh(F.softplus(xs[0])))


@op("LpNormalization")
def _lp_normalization(node, xs, opset):
    x = xs[0]
    axis, p = int(node.attrs.get("axis", -1)), int(node.attrs.get("p", 2))
    norm = ops.sum(ops.abs(x), axis=axis, keepdims=True) if p == 1 else \
        ops.sqrt(ops.sum(ops.mul(x, x), axis=axis, keepdims=True))
    return ops.div(x, norm)


@op("CumSum")
def _cumsum(node, xs, opset):
    # A product with a triangular matrix of ones: one differentiable op for any flags.
    x = xs[0]
    axis = int(_arr(xs[1]).reshape(-1)[0]) % x.ndim
    n = x.shape[axis]
    i, j = np.indices((n, n))
    reverse, exclusive = node.attrs.get("reverse", 0), node.attrs.get("exclusive", 0)
    keep = (i >= j) if reverse else (i <= j)  # y[j] = sum over i of x[i] * M[i, j]
    if exclusive:
        keep &= i != j
    if x.dtype.kind != "f":
        return _const(np.moveaxis(np.moveaxis(_arr(x), axis, -1) @ keep.astype(x.dtype),
                                  -1, axis))
    moved = ops.swapaxes(x, axis, -1)
    return ops.swapaxes(ops.matmul(moved, _const(keep.astype(x.dtype))), axis, -1)


@op("CumProd")
def _cumprod(node, xs, opset):
    x = xs[0]
    axis = int(_arr(xs[1]).reshape(-1)[0]) % x.ndim
    n = x.shape[axis]
    reverse, exclusive = node.attrs.get("reverse", 0), node.attrs.get("exclusive", 0)
    parts = [ops.getitem(x, (slice(None),) * axis + (slice(i, i + 1),)) for i in range(n)]
    if reverse:
        parts = parts[::-1]
    out, acc = [], None
    for p in parts:  # a running product, one differentiable multiply per position
        if exclusive:
            out.append(acc if acc is not None else _const(np.ones(p.shape, x.dtype)))
        acc = p if acc is None else ops.mul(acc, p)
        if not exclusive:
            out.append(acc)
    if reverse:
        out = out[::-1]
    return ops.concatenate(out, axis=axis)


@op("Compress")
def _compress(node, xs, opset):
    x, cond = xs
    keep = np.nonzero(_arr(cond).astype(bool))[0]
    axis = node.attrs.get("axis")
    if axis is None:
        return ops.getitem(ops.reshape(x, (-1,)), keep)
    axis = int(axis) % x.ndim
    return ops.getitem(x, (slice(None),) * axis + (keep,))


@op("Trilu")
def _trilu(node, xs, opset):
    x = xs[0]
    k = int(_arr(xs[1])) if len(xs) > 1 and xs[1] is not None else 0
    rows, cols = x.shape[-2:]
    mask = np.triu(np.ones((rows, cols), bool), k) if node.attrs.get("upper", 1) else \
        np.tril(np.ones((rows, cols), bool), k)
    return ops.where(_const(mask), x, _const(np.zeros((), x.dtype)))


@op("GatherElements")
def _gather_elements(node, xs, opset):
    x, idx = xs
    axis = int(node.attrs.get("axis", 0)) % x.ndim
    i = _arr(idx).astype(np.int64)
    i = np.where(i < 0, i + x.shape[axis], i)
    grid = list(np.indices(i.shape, sparse=True))
    grid[axis] = i
    return ops.getitem(x, tuple(grid))


@op("GatherND")
def _gather_nd(node, xs, opset):
    x, idx = xs
    if node.attrs.get("batch_dims", 0):
        raise _unsupported(node, "batch_dims > 0")
    i = _arr(idx).astype(np.int64)
    return ops.getitem(x, tuple(i[..., k] for k in range(i.shape[-1])))


@op("TopK")
def _topk(node, xs, opset):
    x = xs[0]
    k = int(_arr(xs[1]).reshape(-1)[0]) if opset >= 10 else int(node.attrs["k"])
    axis = int(node.attrs.get("axis", -1)) % x.ndim
    a = _arr(x)
    # Stable sorts: equal values keep the lower index first, as ONNX asks. Largest first is
    # the ascending order of the reversed axis, reversed back (no negation, which wraps
    # unsigned integers).
    if node.attrs.get("largest", 1):
        n = a.shape[axis]
        order = n - 1 - np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    else:
        order = np.argsort(a, axis=axis, kind="stable")
    order = np.take(order, np.arange(k), axis=axis)
    grid = list(np.indices(order.shape, sparse=True))
    grid[axis] = order
    return [ops.getitem(x, tuple(grid)), _const(order.astype(np.int64))]


@op("Hardmax")
def _hardmax(node, xs, opset):
    a = _arr(xs[0])
    axis = int(node.attrs.get("axis", -1))
    if opset < 13:
        raise _unsupported(node, "opset < 13 (2-D coercion)")
    hot = np.zeros_like(a)
    np.put_along_axis(hot, np.expand_dims(np.argmax(a, axis=axis), axis), 1, axis=axis)
    return _const(hot)


@op("OneHot")
def _one_hot(node, xs, opset):
    idx, depth, values = (_arr(x) for x in xs)
    depth = int(depth.reshape(-1)[0])
    idx = np.where(idx < 0, idx + depth, idx).astype(np.int64)
    axis = int(node.attrs.get("axis", -1))
    hot = np.arange(depth) == idx[..., None]
    out = np.where(hot, values[1], values[0])
    return _const(np.moveaxis(out, -1, axis if axis >= 0 else out.ndim + axis))


@op("EyeLike")
def _eye_like(node, xs, opset):
    from onnx import helper

    a = _arr(xs[0])
    dtype = helper.tensor_dtype_to_np_dtype(node.attrs["dtype"]) if "dtype" in node.attrs \
        else a.dtype
    return _const(np.eye(a.shape[0], a.shape[1], int(node.attrs.get("k", 0)), dtype=dtype))


@op("SpaceToDepth")
def _space_to_depth(node, xs, opset):
    x = xs[0]
    b = int(node.attrs["blocksize"])
    N, C, H, W = x.shape
    y = ops.permute(ops.reshape(x, (N, C, H // b, b, W // b, b)), 0, 3, 5, 1, 2, 4)
    return ops.reshape(y, (N, C * b * b, H // b, W // b))


# -- losses --------------------------------------------------------------------------------


def _nll(node, x: Tensor, target: Tensor, weight):
    """ONNX's NegativeLogLikelihoodLoss on log-probabilities ``x`` (N, C, d1...)."""
    t = _arr(target).astype(np.int64)
    ignore = node.attrs.get("ignore_index")
    keep = np.ones(t.shape, bool) if ignore is None else t != ignore
    safe = np.where(keep, t, 0)
    grid = list(np.indices(t.shape, sparse=True))
    picked = ops.getitem(x, (grid[0], safe, *grid[1:]))          # x[n, t[n, d...], d...]
    if weight is not None:
        w = ops.mul(ops.getitem(weight, safe), _const(keep.astype(x.dtype)))
    else:
        w = _const(keep.astype(x.dtype))
    loss = ops.neg(ops.mul(picked, w))
    reduction = node.attrs.get("reduction", "mean")
    if reduction == "none":
        return loss
    if reduction == "sum":
        return ops.sum(loss)
    return ops.div(ops.sum(loss), ops.sum(w))


@op("NegativeLogLikelihoodLoss")
def _nll_loss(node, xs, opset):
    return _nll(node, xs[0], xs[1], xs[2] if len(xs) > 2 else None)


@op("SoftmaxCrossEntropyLoss")
def _softmax_cross_entropy(node, xs, opset):
    log_prob = ops.log_softmax(xs[0], axis=1)
    loss = _nll(node, log_prob, xs[1], xs[2] if len(xs) > 2 else None)
    return [loss, log_prob]


@op("RMSNormalization")
def _rms_norm(node, xs, opset):
    x, scale = xs[0], xs[1]
    axis = int(node.attrs.get("axis", -1)) % x.ndim
    eps = float(node.attrs.get("epsilon", 1e-5))
    ms = ops.mean(ops.mul(x, x), axis=tuple(range(axis, x.ndim)), keepdims=True)
    return ops.mul(ops.div(x, ops.sqrt(ops.add(ms, _const(eps, x)))), scale)


# -- attention (opset 23 on) ---------------------------------------------------------------


def _attention_bias(mask, q_len: int, kv_len: int, dtype, causal: bool, offset,
                    left: int, right: int, nonpad) -> np.ndarray:
    """The additive bias (0 where a query may attend a key, -inf elsewhere) of ONNX's
    Attention: the mask (padded to the keys), the causal and sliding-window frontiers
    (bottom-right aligned by ``offset``) and the per-batch key padding."""
    neg = dtype.type(-np.inf)
    bias = np.zeros((q_len, kv_len), dtype)
    if mask is not None:
        pad = kv_len - mask.shape[-1]
        if pad > 0:
            mask = np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, pad)],
                          constant_values=False if mask.dtype == bool else -np.inf)
        bias = bias + (np.where(mask, dtype.type(0), neg) if mask.dtype == bool
                       else mask.astype(dtype))
    i = np.arange(q_len).reshape(q_len, 1)
    j = np.arange(kv_len).reshape(1, kv_len)
    frontier = i + (np.reshape(offset, (-1, 1, 1)) if np.ndim(offset) else int(offset))
    allowed = np.ones(np.broadcast_shapes(frontier.shape, j.shape), bool)
    if causal:
        allowed &= j <= frontier
    if left >= 0:
        allowed &= frontier - j <= left
    if right >= 0:
        allowed &= j - frontier <= right
    extra = np.where(allowed, dtype.type(0), neg)
    if extra.ndim == 3:  # per batch: (batch, 1, q, kv) so that a rank-3 mask stays (h, q, kv)
        extra = extra.reshape(extra.shape[0], 1, q_len, kv_len)
    bias = bias + extra
    if nonpad is not None:
        keep = np.arange(kv_len) < nonpad.reshape(-1, 1)
        bias = bias + np.where(keep, dtype.type(0), neg).reshape(-1, 1, 1, kv_len)
    return bias


def _heads(t: Tensor, n: int) -> Tensor:
    """(B, S, n*d) -> (B, n, S, d)."""
    B, S, hidden = t.shape
    return ops.permute(ops.reshape(t, (B, S, n, hidden // n)), 0, 2, 1, 3)


@op("Attention")
def _attention(node, xs, opset):
    a = node.attrs
    Q, K, V = xs[:3]
    mask, past_k, past_v, nonpad = (xs[i] if len(xs) > i else None for i in range(3, 7))
    rank3 = Q.ndim == 3
    if rank3:
        Q, K, V = _heads(Q, a["q_num_heads"]), _heads(K, a["kv_num_heads"]), \
            _heads(V, a["kv_num_heads"])
    scale = a.get("scale")
    scale = 1 / math.sqrt(Q.shape[3]) if scale is None else float(scale)
    root = _const(np.asarray(math.sqrt(scale), dtype=Q.dtype))  # as the reference: both
    if past_k is not None:
        K, V = ops.concatenate([past_k, K], axis=2), ops.concatenate([past_v, V], axis=2)
    present_k, present_v = K, V
    q_len, kv_len = Q.shape[2], K.shape[2]
    nonpad_a = None if nonpad is None else _arr(nonpad).astype(np.int64)
    offset = past_k.shape[2] if past_k is not None else \
        (nonpad_a.reshape(-1) - q_len if nonpad_a is not None else 0)
    bias = _attention_bias(None if mask is None else _arr(mask), q_len, kv_len,
                           np.dtype(Q.dtype), bool(a.get("is_causal", 0)), offset,
                           int(a.get("left_window_size", -1)),
                           int(a.get("right_window_size", -1)), nonpad_a)
    if Q.shape[1] != K.shape[1]:  # grouped-query attention: each KV head serves a group
        reps = Q.shape[1] // K.shape[1]
        idx = np.repeat(np.arange(K.shape[1]), reps)
        K, V = ops.getitem(K, (slice(None), idx)), ops.getitem(V, (slice(None), idx))
    qk = ops.matmul(ops.mul(Q, root), ops.swapaxes(ops.mul(K, root), -1, -2))
    softcap = float(a.get("softcap", 0.0) or 0.0)
    if softcap > 0:
        qk = ops.mul(ops.tanh(ops.div(qk, _const(softcap, qk))), _const(softcap, qk))
    # A query row with no key to attend gives zeros (not NaN): its bias is taken as 0 for
    # the softmax and its probabilities are then selected away.
    dead = np.isneginf(np.max(bias, axis=-1, keepdims=True))
    scores = ops.add(qk, _const(np.where(dead, 0, bias).astype(Q.dtype)))
    p = ops.where(_const(np.broadcast_to(dead, scores.shape)),
                  _const(np.zeros((), Q.dtype)), ops.softmax(scores, axis=-1))
    mode = int(a.get("qk_matmul_output_mode", 0))
    qk_out = {0: qk, 1: qk, 2: ops.add(qk, _const(bias.astype(Q.dtype))), 3: p}.get(mode, qk)
    y = ops.matmul(p, V)
    if rank3:
        y = ops.permute(y, 0, 2, 1, 3)
        y = ops.reshape(y, (y.shape[0], y.shape[1], -1))
    return [y, present_k, present_v, qk_out]


# -- scatter: written as a selection, so that gradients reach both data and updates -------


def _scatter(x: Tensor, updates: Tensor, targets: tuple, reduction: str, node) -> Tensor:
    """``x`` with ``updates`` written at the positions ``targets``: replaced (the last write
    wins), added, or kept where larger/smaller. Written as selections and one product with a
    0/1 matrix, so that gradients reach both ``x`` and ``updates``."""
    flat = np.ravel_multi_index(targets, x.shape).reshape(-1)
    cells = int(np.prod(x.shape))
    u = ops.reshape(updates, (-1,))
    if reduction == "add":
        onto = np.zeros((cells, flat.size), x.dtype)
        onto[flat, np.arange(flat.size)] = 1  # column j adds update j to its cell
        return ops.add(x, ops.reshape(ops.matmul(_const(onto), u), tuple(x.shape)))
    if reduction not in ("none", "max", "min"):
        raise _unsupported(node, f"reduction={reduction!r}")
    source = np.full(cells, -1, np.int64)
    if reduction == "none":
        source[flat] = np.arange(flat.size)  # which update lands on each cell
    else:  # which value wins each cell: the data (-1) or one of the updates
        best = _arr(x).reshape(-1).copy()
        better = np.greater if reduction == "max" else np.less
        for j, (cell, v) in enumerate(zip(flat, _arr(updates).reshape(-1))):
            if better(v, best[cell]):
                best[cell], source[cell] = v, j
    hit = (source >= 0).reshape(x.shape)
    picked = ops.reshape(ops.getitem(u, np.maximum(source, 0)), tuple(x.shape))
    return ops.where(_const(hit), picked, x)


@op("ScatterElements", "Scatter")
def _scatter_elements(node, xs, opset):
    x, idx, updates = xs
    axis = int(node.attrs.get("axis", 0)) % x.ndim
    i = _arr(idx).astype(np.int64)
    i = np.where(i < 0, i + x.shape[axis], i)
    grid = [np.broadcast_to(g, i.shape) for g in np.indices(i.shape, sparse=True)]
    grid[axis] = i
    return _scatter(x, updates, tuple(grid), node.attrs.get("reduction", "none"), node)


@op("ScatterND")
def _scatter_nd(node, xs, opset):
    x, idx, updates = xs
    i = _arr(idx).astype(np.int64)
    k = i.shape[-1]
    lead = i.reshape(-1, k)
    rest = x.shape[k:]
    # Each index row addresses a slice x[i0, ..., ik-1, :, ...]: list all its cells.
    tail = np.indices(rest).reshape(len(rest), -1).T if rest else np.zeros((1, 0), np.int64)
    full = np.concatenate([np.repeat(lead, len(tail), axis=0),
                           np.tile(tail, (len(lead), 1))], axis=1)
    return _scatter(x, updates, tuple(full.T), node.attrs.get("reduction", "none"), node)


# -- resize: one interpolation matrix per resized axis, applied as a product ---------------


def _source_coordinates(mode: str, o: np.ndarray, scale: float, n: int, m: int):
    """Where output positions ``o`` sample the input (ONNX's coordinate_transformation_mode)."""
    if mode == "align_corners":  # ONNX uses the unrounded output width scale * n here
        w = scale * n
        return np.zeros(m) if w == 1 else o * (n - 1) / (w - 1)
    if mode == "asymmetric":
        return o / scale
    if mode == "pytorch_half_pixel":
        return np.full(m, -0.5) if scale * n == 1 else (o + 0.5) / scale - 0.5
    if mode == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = n / 2 * (1 - m / (scale * n))
        return offset + (o + 0.5) / scale - 0.5
    raise UnsupportedOperatorError(f"chainrule.onnx.load: Resize with "
                                   f"coordinate_transformation_mode={mode!r} is not supported")


def _resize_matrix(node, n: int, m: int, scale: float, opset: int) -> np.ndarray:
    """The (m, n) matrix that resizes one axis from n to m samples."""
    a = node.attrs
    mode = a.get("mode", "nearest")
    coord = a.get("coordinate_transformation_mode", "half_pixel" if opset >= 11 else
                  "asymmetric")
    x = _source_coordinates(coord, np.arange(m, dtype=np.float64), scale, n, m)
    A = np.zeros((m, n))
    cubic_a = float(a.get("cubic_coeff_a", -0.75))
    for o, xo in enumerate(x):
        left = math.ceil(xo) - 1            # the pixel left of xo (xo itself counts as right)
        r = xo - left                       # in (0, 1]
        if mode == "nearest":
            rule = a.get("nearest_mode", "round_prefer_floor" if opset >= 11 else "floor")
            right = r == 1 or {"round_prefer_floor": r > 0.5, "round_prefer_ceil": r >= 0.5,
                               "floor": False, "ceil": True}[rule]
            coeffs, first = np.array([0.0, 1.0] if right else [1.0, 0.0]), left
        elif mode == "linear":
            coeffs, first = np.array([1 - r, r]), left
        elif mode == "cubic":
            A_ = cubic_a
            coeffs = np.array([
                ((A_ * (r + 1) - 5 * A_) * (r + 1) + 8 * A_) * (r + 1) - 4 * A_,
                ((A_ + 2) * r - (A_ + 3)) * r * r + 1,
                ((A_ + 2) * (1 - r) - (A_ + 3)) * (1 - r) * (1 - r) + 1,
                ((A_ * (2 - r) - 5 * A_) * (2 - r) + 8 * A_) * (2 - r) - 4 * A_])
            first = left - 1
        else:
            raise _unsupported(node, f"mode={mode!r}")
        idx = first + np.arange(len(coeffs))
        if a.get("exclude_outside", 0):
            coeffs = np.where((idx < 0) | (idx >= n), 0.0, coeffs)
            coeffs = coeffs / coeffs.sum()
        np.add.at(A[o], np.clip(idx, 0, n - 1), coeffs)  # outside: the edge sample
    return A


@op("Resize", "Upsample")
def _resize(node, xs, opset):
    x = xs[0]
    a = node.attrs
    if a.get("antialias", 0) or a.get("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise _unsupported(node, "antialias or keep_aspect_ratio_policy")
    axes = [int(v) % x.ndim for v in a.get("axes", range(x.ndim))]
    if node.op_type == "Upsample" and opset < 9:
        scales = [float(s) for s in a["scales"]]
        sizes = None
    else:
        scale_in = xs[1] if node.op_type == "Upsample" or opset < 11 else \
            (xs[2] if len(xs) > 2 else None)
        size_in = xs[3] if node.op_type == "Resize" and opset >= 11 and len(xs) > 3 else None
        scales = None if scale_in is None or _arr(scale_in).size == 0 else \
            [float(s) for s in _arr(scale_in).reshape(-1)]
        sizes = None if size_in is None else _ints(size_in)
    y = x
    for k, axis in enumerate(axes):
        n = x.shape[axis]
        if sizes is not None:
            m, scale = sizes[k], sizes[k] / n
        else:
            scale = scales[k]
            m = int(np.floor(n * scale))
        if m == n and scale == 1.0:
            continue
        A = _resize_matrix(node, n, m, scale, opset).astype(x.dtype)
        y = ops.swapaxes(ops.matmul(ops.swapaxes(y, axis, -1), _const(A.T)), axis, -1)
    return y
