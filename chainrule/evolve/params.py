"""A module's parameters as one flat vector: what every gradient-free method searches.

``ParameterVector(model)`` lists the parameters that require grad (or the ones given), in
``named_parameters()`` order, and moves values between them and a 1-d NumPy vector:

>>> space = ParameterVector(model)
>>> x = space.get()                 # float64 copy, shape (space.dim,)
>>> space.set(x + 0.01)             # written into each parameter's array, cast to its dtype
>>> space.slices["0.weight"]        # where a parameter lives in the vector
>>> space.set_grad(g)               # a vector written into every parameter's .grad
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..backend import as_numpy
from ..nn import Module
from ..tensor import Tensor

__all__ = ["ParameterVector", "parameters_to_vector", "vector_to_parameters"]


def _named(fname: str, params, trainable_only: bool) -> list[tuple[str, Tensor]]:
    if isinstance(params, Module):
        named = [(n, p) for n, p in params.named_parameters()
                 if p.requires_grad or not trainable_only]
        what = f"the {type(params).__name__}"
    elif isinstance(params, Tensor):
        named = [("0", params)]
        what = "the tensor"
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(f"{fname}: expected a Module or an iterable of tensors, got "
                            f"{type(params).__name__}") from None
        named = []
        for i, p in enumerate(items):
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
                named.append((str(p[0]), p[1]))
            elif isinstance(p, Tensor):
                named.append((str(i), p))
            else:
                raise TypeError(f"{fname}: item {i} is a {type(p).__name__}, not a tensor")
        what = "the parameter list"
    if not named:
        raise ValueError(
            f"{fname}: {what} has no trainable parameters (none with requires_grad=True); "
            f"nothing to search"
        )
    for n, p in named:
        if p.array.dtype.kind != "f":
            raise TypeError(f"{fname}: parameter {n!r} has dtype {p.array.dtype}; "
                            f"only floating-point parameters can be searched")
    return named


class ParameterVector:
    """A view of a module's parameters as one vector of ``dim`` numbers.

    Args:
        params: a ``Module`` (its parameters with ``requires_grad``, or all of them with
            ``trainable_only=False``), a tensor, or an iterable of tensors or
            ``(name, tensor)`` pairs.
        trainable_only: with a Module, skip parameters whose ``requires_grad`` is False.

    Attributes:
        names, shapes, slices: each parameter's name, shape and place in the vector.
        dim: the vector's length.
    """

    def __init__(self, params, trainable_only: bool = True) -> None:
        named = _named("ParameterVector", params, trainable_only)
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.shapes = [tuple(p.shape) for p in self.params]
        self.slices: dict[str, slice] = {}
        start = 0
        for n, p in named:
            self.slices[n] = slice(start, start + p.array.size)
            start += p.array.size
        self.dim = start

    def __len__(self) -> int:
        return self.dim

    def __repr__(self) -> str:
        return f"ParameterVector(dim={self.dim}, parameters={len(self.params)})"

    def _check(self, fname: str, vector) -> np.ndarray:
        v = np.asarray(as_numpy(vector.array if isinstance(vector, Tensor) else vector))
        if v.shape != (self.dim,):
            raise ValueError(f"ParameterVector.{fname}: expected a vector of shape "
                             f"({self.dim},), got {v.shape}")
        return v

    def get(self, dtype=np.float64) -> np.ndarray:
        """The parameters' values as a new vector (float64 by default)."""
        out = np.empty(self.dim, dtype=dtype)
        for p, s in zip(self.params, self.slices.values()):
            out[s] = as_numpy(p.array).reshape(-1)
        return out

    def set(self, vector) -> None:
        """Write ``vector`` into the parameters in place (cast to each one's dtype)."""
        v = self._check("set", vector)
        for p, s in zip(self.params, self.slices.values()):
            p.array[...] = v[s].reshape(p.shape)
            p._version += 1

    def grad(self, dtype=np.float64) -> np.ndarray:
        """The parameters' ``.grad`` as one vector (zeros where a grad is None)."""
        out = np.zeros(self.dim, dtype=dtype)
        for p, s in zip(self.params, self.slices.values()):
            if p.grad is not None:
                out[s] = as_numpy(p.grad.array).reshape(-1)
        return out

    def set_grad(self, vector) -> None:
        """Write ``vector`` into every parameter's ``.grad`` (replacing what was there)."""
        v = self._check("set_grad", vector)
        for p, s in zip(self.params, self.slices.values()):
            xp_array = p.array
            g = np.asarray(v[s], dtype=xp_array.dtype).reshape(p.shape)
            if not isinstance(xp_array, np.ndarray):  # a CuPy parameter
                import cupy

                g = cupy.asarray(g)
            p.grad = Tensor._make(g, False)

    def unflatten(self, vector) -> dict[str, np.ndarray]:
        """``{name: array}`` of the parameters' shapes cut from ``vector`` (views)."""
        v = self._check("unflatten", vector)
        return {n: v[s].reshape(shape) for (n, s), shape in zip(self.slices.items(),
                                                                self.shapes)}


def parameters_to_vector(params: Module | Iterable[Tensor]) -> np.ndarray:
    """The trainable parameters of a module (or the given tensors) as one float64 vector.

    >>> x = parameters_to_vector(model)   # shape (number of trainable parameters,)
    """
    return ParameterVector(params).get()


def vector_to_parameters(vector, params: Module | Iterable[Tensor]) -> None:
    """Write a vector (as ``parameters_to_vector`` made it) back into the parameters."""
    ParameterVector(params).set(vector)

