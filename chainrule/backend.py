"""Which array module holds a tensor (NumPy, or CuPy on a GPU), and the dtype rules.

Every op body is written once against ``xp``, the array module of its inputs, so the same
code runs on the CPU and, where CuPy is installed, on a GPU.
"""

from __future__ import annotations

import numpy as np

try:  # CuPy is optional; importing it is the only cost of a GPU-less machine.
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

#: The dtype a float tensor gets when nothing else decides: PyTorch's default.
DEFAULT_FLOAT = np.dtype(np.float32)

class UnsupportedDtype:
    """A PyTorch dtype that NumPy cannot hold (``cr.bfloat16``): it exists so that programs
    can name and compare it, and any tensor asked to have it raises a clear error."""

    def __init__(self, name: str, hint: str):
        self.name, self.hint = name, hint

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    is_floating_point = True

    def error(self, fname: str) -> TypeError:
        return TypeError(f"{fname}: dtype {self.name} is not supported: {self.hint}")


bfloat16 = UnsupportedDtype(
    "bfloat16", "NumPy has no bfloat16 type; use float32 (or float16 to halve the memory)"
)

_DTYPE_NAMES = {
    "float32": np.float32,
    "float": np.float32,
    "float64": np.float64,
    "double": np.float64,
    "float16": np.float16,
    "half": np.float16,
    "int32": np.int32,
    "int": np.int32,
    "int64": np.int64,
    "long": np.int64,
    "int8": np.int8,
    "int16": np.int16,
    "uint8": np.uint8,
    "bool": np.bool_,
    "short": np.int16,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "complex64": np.complex64,
    "cfloat": np.complex64,
    "complex128": np.complex128,
    "cdouble": np.complex128,
}


def cupy_available() -> bool:
    """True when CuPy is installed and sees a GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - depends on the machine
        return False


def get_array_module(x):
    """The array module (``numpy`` or ``cupy``) that holds ``x``."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy
    return np


def device_of(x) -> str:
    """``"cpu"`` for a NumPy array, ``"cuda"`` for a CuPy one."""
    return "cuda" if get_array_module(x) is not np else "cpu"


def to_device(a, device):
    """Copy array ``a`` to ``device`` (``"cpu"``, ``"cuda"`` or a ``cr.device``); no copy if
    already there."""
    device = str(device)
    if device.startswith("cuda"):
        if _cupy is None:
            raise RuntimeError("to('cuda'): CuPy is not installed; install cupy to use a GPU")
        return _cupy.asarray(a)
    if device != "cpu":
        raise ValueError(f"to: unknown device {device!r}; expected 'cpu' or 'cuda'")
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return _cupy.asnumpy(a)
    return a


def as_numpy(a) -> np.ndarray:
    """A NumPy array of ``a`` (copied off a GPU when needed)."""
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return _cupy.asnumpy(a)
    return np.asarray(a)


def to_dtype(dtype, fname: str = "dtype") -> np.dtype | None:
    """Normalise a dtype given as a NumPy dtype, a type or a name (``"float32"``).

    ``fname`` is the public function that asked, named in the error for an unknown dtype.
    """
    if dtype is None:
        return None
    if isinstance(dtype, UnsupportedDtype):
        raise dtype.error(fname)
    if isinstance(dtype, str):
        if dtype.startswith("torch."):  # str(torch.float32), as some programs store it
            dtype = dtype[len("torch."):]
        if dtype not in _DTYPE_NAMES:
            raise TypeError(
                f"{fname}: unknown dtype {dtype!r}; expected one of {sorted(_DTYPE_NAMES)}"
            )
        return np.dtype(_DTYPE_NAMES[dtype])
    if dtype is float:
        return DEFAULT_FLOAT
    if dtype is int:
        return np.dtype(np.int64)
    if dtype is bool:
        return np.dtype(np.bool_)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fname}: unknown dtype {dtype!r}") from None


def is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def infer_dtype(data) -> np.dtype:
    """The dtype PyTorch would give ``torch.tensor(data)``.

    Python floats become float32, Python ints int64, bools bool; NumPy arrays keep their
    dtype (a float64 array stays float64, as in ``torch.from_numpy``).
    """
    if isinstance(data, np.ndarray) or (_cupy is not None and isinstance(data, _cupy.ndarray)):
        return data.dtype
    if isinstance(data, np.generic):
        return data.dtype
    a = np.asarray(data)
    if a.dtype.kind == "f":
        return DEFAULT_FLOAT
    if a.dtype.kind in "iu":
        return np.dtype(np.int64)
    if a.dtype.kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__}")


def result_dtype(*dtypes) -> np.dtype:
    """The common dtype of tensors' dtypes, with PyTorch's promotion.

    Floats win over integers and bools without widening: float32 with int64 is float32
    (NumPy would say float64). Within one kind the wider dtype wins.
    """
    first = np.dtype(dtypes[0])
    if all(np.dtype(d) == first for d in dtypes[1:]):
        return first
    floats = [d for d in dtypes if np.dtype(d).kind in "fc"]
    return np.result_type(*floats) if floats else np.result_type(*dtypes)
