"""Evaluate P parameter vectors of one model on one minibatch.

A population of ``P`` candidates of an MLP is one batched GEMM per layer: the weights are
stacked into ``(P, out, in)`` and the activations carried as ``(P, N, features)``, so a
generation costs a few large NumPy calls instead of ``P`` Python passes through the model.
That works for ``Sequential`` chains of ``Linear``, elementwise activations, ``Flatten``,
``Identity`` and ``Dropout`` in eval mode; any other model falls back to a loop that
writes each vector into the model and calls it (the same numbers, up to the summation
order of the GEMMs).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..backend import as_numpy
from ..tensor import Tensor
from .params import ParameterVector

__all__ = ["PopulationModel", "batched_forward_supported", "population_forward"]

#: Layers applied elementwise: they run unchanged on a (P, N, features) array.
_ELEMENTWISE = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU,
                nn.Softplus, nn.Identity)


def _layers(model) -> list | None:
    """The model as a list of layers the batched path handles, or None."""
    layers = list(model) if type(model) is nn.Sequential else [model]
    out = []
    for m in layers:
        if m._forward_hooks or m._forward_pre_hooks:
            return None
        if type(m) is nn.Sequential:
            inner = _layers(m)
            if inner is None:
                return None
            out += inner
        elif type(m) is nn.Linear or type(m) in _ELEMENTWISE or type(m) is nn.Flatten:
            out.append(m)
        elif type(m) is nn.Dropout and not m.training:
            continue  # the identity in eval mode
        else:
            return None
    return out


def batched_forward_supported(model: nn.Module, space: ParameterVector | None = None) -> bool:
    """Whether ``population_forward`` runs ``model`` batched (else it loops over P).

    Batching needs a chain of supported layers whose every parameter is in the vector.
    """
    layers = _layers(model)
    if layers is None:
        return False
    space = space or ParameterVector(model)
    searched = {id(p) for p in space.params}
    return all(id(p) in searched for p in model.parameters())


class PopulationModel:
    """A model with P parameter vectors loaded at once, called like the model.

    The stacked weights are cut from the vectors once, so calling it many times (every
    step of P episodes) costs only the GEMMs. ``rows`` picks a subset of candidates (the
    ones whose episodes still run).

    >>> pop = PopulationModel(model, X)          # X: (P, dim)
    >>> out = pop(obs[:, None, :], per_candidate=True)   # (P, 1, actions)
    """

    def __init__(self, model: nn.Module, vectors: np.ndarray, space: ParameterVector,
                 dtype=np.float32, batched: bool | None = None) -> None:
        vectors = np.asarray(vectors, dtype=dtype)
        self.model, self.space, self.vectors = model, space, vectors
        self.P = len(vectors)
        supported = batched_forward_supported(model, space)
        if batched and not supported:
            raise ValueError(f"PopulationModel: batched=True, but {type(model).__name__} has "
                             f"a layer the batched forward does not handle (or a parameter "
                             f"outside the vector)")
        self.batched = supported if batched is None else batched
        if not self.batched:
            return
        where = {id(p): s for p, s in zip(space.params, space.slices.values())}
        self.steps = []
        for m in _layers(model):
            if type(m) is nn.Linear:
                W = vectors[:, where[id(m.weight)]].reshape(self.P, m.out_features,
                                                             m.in_features)
                b = None if m.bias is None else vectors[:, where[id(m.bias)]]
                self.steps.append((m, W, b))
            else:
                self.steps.append((m, None, None))

    def __call__(self, x: np.ndarray, per_candidate: bool = False, rows=None) -> np.ndarray:
        if not self.batched:
            V = self.vectors if rows is None else self.vectors[rows]
            return _loop(self.model, self.space, V, x, per_candidate)
        P = self.P if rows is None else len(rows)
        # h is (P, N, ...) once a layer has made it per candidate; a shared input stays
        # (N, ...)
        h, shared = x, not per_candidate
        for m, W, b in self.steps:
            if W is None:
                h = _apply(m, h, population_axis=not shared)
                continue
            if rows is not None:
                W = W[rows]
                b = None if b is None else b[rows]
            if shared:
                h = _shared_linear(h, W, m)
                shared = False
            else:
                # (P, N, in) @ (P, in, out): a batched GEMM, candidate by candidate
                h = np.matmul(h, W.transpose(0, 2, 1))
            if b is not None:
                h += b.reshape((P,) + (1,) * (h.ndim - 2) + (m.out_features,))
        if shared:  # no Linear at all: every candidate gives the same output
            h = np.broadcast_to(h, (P,) + h.shape).copy()
        return h


#: Candidates per GEMM on a shared input. One GEMM for the whole population rounds
#: differently for different P, so a population split across processes would not give
#: one process's numbers; one GEMM per candidate (np.matmul) is exact but was 6-60x slower
#: here, with OpenBLAS starting its threads for each small product. Blocks of a fixed
#: size are both: ``ParallelEvaluator`` splits populations at multiples of BLOCK.
BLOCK = 16


def _shared_linear(x, W, m) -> np.ndarray:
    """``x (N..., in)`` through the Linear weights ``W (P, out, in)`` of every candidate:
    ``(P, N..., out)``, BLOCK candidates per GEMM ``(BLOCK * out, in) @ (in, N)``."""
    P = len(W)
    lead = x.shape[:-1]
    xt = x.reshape(-1, x.shape[-1]).T
    out = np.empty((P, xt.shape[1], m.out_features), dtype=np.result_type(x, W))
    for start in range(0, P, BLOCK):
        Wb = W[start:start + BLOCK]
        y = np.dot(Wb.reshape(-1, m.in_features), xt)
        out[start:start + len(Wb)] = y.reshape(len(Wb), m.out_features, -1).transpose(0, 2, 1)
    return out.reshape((P,) + lead + (m.out_features,))


def _apply(m, h, population_axis: bool):
    """A parameter-free layer on ``h``; ``population_axis``: h has a leading P axis."""
    if type(m) is nn.Flatten and population_axis:
        # the layer sees (N, ...): shift its dims by one for the population axis
        start = m.start_dim + 1 if m.start_dim >= 0 else m.start_dim
        end = m.end_dim + 1 if m.end_dim >= 0 else m.end_dim
        m = nn.Flatten(start, end)
    with no_grad():
        return m(Tensor._make(np.ascontiguousarray(h), False)).array


def population_forward(model: nn.Module, vectors, x, *, space: ParameterVector | None = None,
                       dtype=None, per_candidate: bool = False,
                       batched: bool | None = None) -> np.ndarray:
    """Outputs of ``model`` for each row of ``vectors`` on the same input ``x``.

    Args:
        model: the network; its parameters are left as they were.
        vectors: ``(P, space.dim)`` parameter vectors.
        x: the minibatch ``(N, ...)`` (a Tensor or an array); with ``per_candidate``,
            one minibatch per vector, ``(P, N, ...)``.
        space: which parameters the vectors hold (default: ``ParameterVector(model)``).
        dtype: the computation's dtype (default: the model's first parameter's).
        batched: None batches where the layers allow it; False always loops over the
            candidates (for comparison).

    Returns:
        an array ``(P, N, ...)``: ``out[p]`` is ``model(x)`` with ``vectors[p]`` loaded.

    >>> out = population_forward(model, strategy.ask(), xb)   # (P, N, 10)
    """
    space = space or ParameterVector(model)
    V = np.asarray(as_numpy(vectors.array if isinstance(vectors, Tensor) else vectors))
    if V.ndim != 2 or V.shape[1] != space.dim:
        raise ValueError(f"population_forward: vectors must have shape (P, {space.dim}), "
                         f"got {V.shape}")
    dtype = np.dtype(dtype or space.params[0].array.dtype)
    X = np.asarray(as_numpy(x.array if isinstance(x, Tensor) else x), dtype=dtype)
    V = V.astype(dtype, copy=False)
    if per_candidate and X.shape[:1] != V.shape[:1]:
        raise ValueError(f"population_forward: per_candidate inputs need a leading axis of "
                         f"{len(V)} (one minibatch per vector), got shape {X.shape}")
    return PopulationModel(model, V, space, dtype, batched)(X, per_candidate)


def _loop(model, space: ParameterVector, V: np.ndarray, X: np.ndarray,
          per_candidate: bool) -> np.ndarray:
    """One candidate at a time through the model itself, then the weights restored."""
    saved = [p.array.copy() for p in space.params]
    casts = [p.array.dtype for p in space.params]
    try:
        if any(c != X.dtype for c in casts):  # compute in the requested dtype
            for p in space.params:
                p.array = p.array.astype(X.dtype)
        outs = []
        with no_grad():
            for i, v in enumerate(V):
                space.set(v)
                x = X[i] if per_candidate else X
                outs.append(as_numpy(model(Tensor._make(x, False)).array).copy())
    finally:
        for p, a in zip(space.params, saved):
            p.array = a
            p._version += 1
    return np.stack(outs)
