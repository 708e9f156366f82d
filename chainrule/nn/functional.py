"""The layers as functions, like ``torch.nn.functional``: ``F.relu(x)``, ``F.linear(x, W, b)``,
``F.cross_entropy(logits, labels)``."""
# ruff: noqa: F401  (this file re-exports the functions)

from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.nonlinear import erf
from ..ops.norm import batch_norm, layer_norm
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ..ops.softmax import one_hot
from .activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .attention import scaled_dot_product_attention
from .dropout import dropout, dropout1d, dropout2d
from .hard_activations import hardsigmoid, hardswish, hardtanh, prelu, relu6
from .instancenorm import instance_norm
from .linear import bilinear, linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .padding import pad
from .sparse import embedding
from .upsampling import interpolate, pixel_shuffle, unfold


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim`` (``F.normalize``)."""
    from .. import ops
    from ..linalg import vector_norm

    n = vector_norm(input, p, dim, keepdim=True)
    return input / ops.clip(n, eps, None)
