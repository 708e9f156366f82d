"""The primitive ops, each a ``Function`` with its gradient, and the functions that call them.

Grouped by kind: ``elementwise`` (arithmetic, math, activations, comparisons),
``nonlinear`` (erf, softplus, elu, leaky_relu, gelu, silu), ``reduce``, ``shape`` (reshape,
transpose, concatenate, indexing), ``linalg`` (matmul, einsum), ``softmax``; and the
network ops that ``nn`` layers call: ``linear``, ``conv``, ``pool``, ``norm``, ``rnn``,
``embedding``, ``dropout``, ``loss``.
"""

from . import arrays as _arrays  # noqa: E402
from . import indexing as _indexing
from . import matrix as _matrix
from . import special as _special
from . import stats as _stats
from .arrays import *  # noqa: F403, E402
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
from .indexing import *  # noqa: F403, E402
from .linalg import dot, einsum, matmul, outer
from .matrix import *  # noqa: F403, E402
from .nonlinear import elu, erf, gelu, leaky_relu, silu, softplus
from .reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    sum_to,
    take_along_dim,
    var,
)
from .rounding import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    ceil,
    floor,
    floor_divide,
    fmod,
    remainder,
    round,
    trunc,
)
from .shape import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    narrow,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    tensor_split,
    transpose,
    unsqueeze,
)
from .softmax import log_softmax, one_hot, softmax
from .special import *  # noqa: F403, E402
from .stats import *  # noqa: F403, E402
from .torch_names import *  # noqa: F403, E402 - PyTorch's names for composed ops

clamp = clip

# Ops that are also Tensor methods, called with the tensor as first argument.
TENSOR_METHODS = [
    "abs", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "clip",
    "clamp", "maximum", "minimum", "sum", "mean", "max", "min", "var", "std", "logsumexp",
    "prod", "argmax", "argmin", "reshape", "transpose", "permute", "swapaxes", "expand_dims",
    "unsqueeze", "squeeze", "broadcast_to", "flatten", "softmax", "log_softmax", "matmul",
    "sign", "any", "all", "isnan", "isfinite", "pad", "amax", "amin", "chunk", "split",
    "tensor_split", "narrow", "t", "take_along_dim", "floor", "ceil", "round", "trunc",
    "floor_divide", "remainder", "fmod", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "eq", "ne", "lt", "le", "gt", "ge", "mm", "bmm", "gather", "index_select",
    "masked_fill", "unbind", "select", "repeat", "sort", "argsort", "topk",
    "kthvalue", "median", "cumsum", "square", "rsqrt", "log2", "log10", "allclose",
    "isclose", "is_floating_point", "expand", "equal", "allclose", "tril", "triu",
    "diagonal", "diag", "trace", "flip", "roll", "lerp", "tan", "unflatten", "unique", "mode",
    "addmm", "addmv", "addr", "baddbmm", "addbmm", "addcmul", "addcdiv",
]  # fmt: skip
TENSOR_METHODS += (_special.TENSOR_METHODS + _indexing.TENSOR_METHODS + _arrays.TENSOR_METHODS
                   + _matrix.TENSOR_METHODS + _stats.TENSOR_METHODS)

# Ops whose in-place twin ``x.<op>_(...)`` is recorded as the op applied to x.
INPLACE_TWINS = [
    "sin", "cos", "tan", "rsqrt", "square", "floor", "ceil", "round", "trunc", "sign",
    "log1p", "log2", "log10", "erf", "lerp", "fmod", "remainder", "erfinv", "tril", "triu",
    "cumsum", "addmm", "addmv", "addr", "baddbmm", "addbmm", "addcmul", "addcdiv", "eq", "ne",
    "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "floor_divide",
    *_special.INPLACE_TWINS, *_indexing.INPLACE_TWINS, *_arrays.INPLACE_TWINS,
    *_matrix.INPLACE_TWINS, *_stats.INPLACE_TWINS,
]  # fmt: skip

# Every op function imported above (and PyTorch's names from torch_names), read from the
# namespace rather than listed a second time: importing an op is what exports it.
__all__ = sorted(
    name for name, value in dict(globals()).items()
    if not name.startswith("_") and callable(value)
    and getattr(value, "__module__", "").startswith(__name__ + ".")
)
