"""PyTorch's global precision switches, as far as they apply to NumPy."""

from __future__ import annotations

from .backend import DEFAULT_FLOAT

_MATMUL_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted: PyTorch lets float32 matmuls use TF32 or bfloat16 internally for speed
    ("high", "medium"); NumPy's float32 matmul is always full precision ("highest")."""
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(
            f"set_float32_matmul_precision: precision must be one of "
            f"{list(_MATMUL_PRECISIONS)}, got {precision!r}"
        )


def get_float32_matmul_precision() -> str:
    """Always ``"highest"`` (see ``set_float32_matmul_precision``)."""
    return "highest"


def get_default_dtype():
    """The dtype of float tensors made from Python floats: float32, as PyTorch's default."""
    return DEFAULT_FLOAT


__all__ = ["get_default_dtype", "get_float32_matmul_precision", "set_float32_matmul_precision"]
