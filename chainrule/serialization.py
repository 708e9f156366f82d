"""``torch.serialization``: ``save``/``load`` (safetensors, see ``chainrule.io``).

chainrule's files hold data only and loading never unpickles, so the allow-list functions
of PyTorch's ``weights_only`` unpickler have nothing to allow; they are accepted.
"""

from __future__ import annotations

from .io import load, save


def add_safe_globals(safe_globals: list) -> None:
    """Accepted: loading never runs code, whatever is listed."""


def get_safe_globals() -> list:
    return []


class safe_globals:  # noqa: N801 - PyTorch's name
    """Context manager form of ``add_safe_globals``; accepted."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


__all__ = ["add_safe_globals", "get_safe_globals", "load", "safe_globals", "save"]
