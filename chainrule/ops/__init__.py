"""The primitive ops, each a ``Function`` with its gradient, and the functions that call them.

Grouped by kind: ``elementwise`` (arithmetic, math, activations, comparisons),
``nonlinear`` (erf, softplus, elu, leaky_relu, gelu, silu), ``reduce``, ``shape`` (reshape,
transpose, concatenate, indexing), ``linalg`` (matmul, einsum), ``softmax``; and the
network ops that ``nn`` layers call: ``linear``, ``conv``, ``pool``, ``norm``, ``rnn``,
``embedding``, ``dropout``, ``loss``.
"""

from .elementwise import (
    abs,
    add,
    all,
    any,
    clip,
    cos,
    div,
    equal,
    exp,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    mul,
    neg,
    not_equal,
    pow,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from .linalg import dot, einsum, matmul, outer
from .nonlinear import elu, erf, gelu, leaky_relu, silu, softplus
from .reduce import argmax, argmin, logsumexp, max, mean, min, prod, std, sum, sum_to, var
from .shape import (
    broadcast_to,
    cat,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)
from .softmax import log_softmax, one_hot, softmax

clamp = clip

# Ops that are also Tensor methods, called with the tensor as first argument.
TENSOR_METHODS = [
    "abs", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "clip",
    "clamp", "maximum", "minimum", "sum", "mean", "max", "min", "var", "std", "logsumexp",
    "prod", "argmax", "argmin", "reshape", "transpose", "permute", "swapaxes", "expand_dims",
    "unsqueeze", "squeeze", "broadcast_to", "flatten", "softmax", "log_softmax", "matmul",
    "sign", "any", "all", "isnan", "isfinite", "pad",
]  # fmt: skip

__all__ = [
    "abs", "add", "all", "any", "argmax", "argmin", "broadcast_to", "cat", "clamp", "clip",
    "concatenate", "cos", "div", "dot", "einsum", "elu", "equal", "erf", "exp", "expand_dims",
    "flatten", "gelu", "getitem", "greater", "greater_equal", "isfinite", "isnan", "leaky_relu",
    "less", "less_equal", "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "not_equal",
    "one_hot", "outer", "pad", "permute", "pow", "prod", "relu", "reshape", "sigmoid", "sign",
    "silu", "sin", "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum",
    "sum_to", "swapaxes", "tanh", "transpose", "unsqueeze", "var", "where",
]  # fmt: skip
