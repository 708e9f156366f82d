"""chainrule: backpropagation you can read and check.

A reverse-mode autodiff engine on NumPy arrays (CuPy on a GPU) with PyTorch's public API.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 2.0]], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
Tensor([[2., 4.]])
"""

from . import _malloc  # noqa: F401, I001 - first: tunes malloc before arrays are allocated
from .tensor import Tensor  # noqa: I001 - first: the ops module attaches Tensor's methods
from . import ops
from .autograd import (
    Function,
    backward,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import cupy_available
from .creation import (
    bernoulli,
    multinomial,
    normal,
    poisson,
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import *  # noqa: F403 - the ops are the package's functions (cr.exp, cr.matmul...)
from .random import Generator, default_generator, get_rng_state, manual_seed, set_rng_state
from .threads import get_num_threads, set_num_threads
from .random import (
    initial_seed,
    seed,
)
from .tensor import Size
from ._device import device
from . import linalg, special
from .linalg import torch_norm as norm
from . import amp, backends, cuda, accelerator, serialization  # noqa: E402
from .amp import autocast
from .tensor_types import *  # noqa: F403 - FloatTensor, LongTensor..., finfo, iinfo
from .tensor_types import __all__ as _tensor_types
from . import testing, version  # noqa: E402
from .precision import (
    get_default_dtype,
    get_float32_matmul_precision,
    set_float32_matmul_precision,
)
from .inference import inference_mode
from .random import default_generator as _default_generator  # noqa: F401

from . import nn, optim  # noqa: E402 - after the ops they are built on
from .io import load, save  # noqa: E402

from ._dtypes import *  # noqa: E402, F403 - cr.float32, cr.float, cr.long... (PyTorch's names)
from ._dtypes import __all__ as _dtype_names  # noqa: E402

__version__ = "0.1.0"

# Imported on first use, so that `import chainrule` stays fast.
_LAZY = ("data", "train", "diagnose", "evolve", "models", "onnx", "utils", "distributed")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")

__all__ = [
    "Function", "Generator", "GradcheckError", "Tensor", "arange", "as_tensor", "backward",
    "cupy_available", "default_generator", "detect_anomaly", "empty", "enable_grad", "eye",
    "from_numpy", "full", "full_like", "get_num_threads", "get_rng_state", "grad", "gradcheck",
    "gradgradcheck",
    "is_grad_enabled", "linspace", "load", "manual_seed", "nn", "no_grad", "ones", "ones_like",
    "ops", "optim", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "save", "set_grad_enabled",
    "set_num_threads",
    "set_rng_state", "tensor", "zeros", "zeros_like", *ops.__all__,
    "Size", "accelerator", "amp", "autocast", "backends", "cuda", "device", "initial_seed",
    "linalg", "norm", "seed", "serialization", "special", *_dtype_names, *_tensor_types, "testing",
    "version", "inference_mode", "multinomial", "normal", "get_default_dtype", "bernoulli",
    "poisson",
    "get_float32_matmul_precision", "set_float32_matmul_precision",
]  # fmt: skip
