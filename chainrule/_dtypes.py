"""PyTorch's dtype names: ``cr.float32 is cr.float``, ``cr.long``, ``t.dtype == cr.float32``.

A dtype is NumPy's ``np.dtype`` object (the one a tensor's ``.dtype`` returns, so ``is``
and ``==`` both hold). ``cr.bfloat16`` exists so that programs can name it, but NumPy has
no bfloat16: making a tensor of it raises a clear error.
"""

import numpy as np

from .backend import bfloat16

float32 = float = np.dtype(np.float32)  # noqa: A001 - PyTorch's names
float64 = double = np.dtype(np.float64)
float16 = half = np.dtype(np.float16)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
bool = np.dtype(np.bool_)  # noqa: A001
bool_ = bool
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)
dtype = np.dtype

__all__ = [
    "bfloat16", "bool", "bool_", "cdouble", "cfloat", "complex128", "complex64", "double",
    "dtype", "float", "float16", "float32", "float64", "half", "int", "int16", "int32",
    "int64", "int8", "long", "short", "uint16", "uint32", "uint64", "uint8",
]  # fmt: skip
