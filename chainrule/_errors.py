"""Error types that are both the Python convention and PyTorch's.

PyTorch raises ``RuntimeError`` where Python code raises ``ValueError`` (a wrong shape or
value) or ``TypeError`` (a wrong dtype). These classes are both, as NumPy's ``AxisError``
is both a ValueError and an IndexError, so code written against either catches them.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """A shape or value that does not fit (PyTorch: RuntimeError)."""


class DtypeError(TypeError, RuntimeError):
    """A dtype that does not fit (PyTorch: RuntimeError)."""
