"""``torch.testing``: ``assert_close`` for tensors, numbers and arrays."""

from __future__ import annotations

import numpy as np

from .backend import as_numpy
from .tensor import Tensor

# PyTorch's default tolerances per dtype: (rtol, atol).
_TOL = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
        np.dtype(np.float64): (1e-7, 1e-7)}


def _array(x):
    return as_numpy(x.array) if isinstance(x, Tensor) else np.asarray(x)


def assert_close(actual, expected, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, check_dtype: bool = True, msg: str | None = None):
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected|
    elementwise, with PyTorch's default tolerances for the dtype (exact for integers)."""
    a, e = _array(actual), _array(expected)
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    if a.shape != e.shape:
        raise AssertionError(msg or f"assert_close: shapes differ: {a.shape} and {e.shape}")
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor) \
            and a.dtype != e.dtype:
        raise AssertionError(msg or f"assert_close: dtypes differ: {a.dtype} and {e.dtype}")
    if rtol is None:
        rtol, atol = _TOL.get(np.result_type(a, e), (0.0, 0.0))
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                               err_msg=msg or "")


__all__ = ["assert_close"]
