"""Distances between vectors, PyTorch's ``F.cosine_similarity``, ``F.pairwise_distance`` and
``F.pdist`` and the layers ``CosineSimilarity`` and ``PairwiseDistance``."""

from __future__ import annotations

from .. import ops
from ..linalg import vector_norm
from ..ops._convert import float_input, normalize_axis, pair
from ..ops.arrays import _broadcast
from ..ops.loss import clamp_min_value
from ..tensor import Tensor
from .module import Module


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (inputs broadcast).

    Each vector is divided by its norm before the product, so the result stays in [-1, 1];
    as in PyTorch, ``eps`` clamps the norms' values only, and the gradient flows through the
    norms as if unclamped.

    >>> F.cosine_similarity(cr.tensor([[1.0, 0.0]]), cr.tensor([[1.0, 1.0]]))  # [0.7071]
    """
    a, b = pair(float_input("cosine_similarity", x1), float_input("cosine_similarity", x2))
    shape = _broadcast("cosine_similarity", a.shape, b.shape)
    (d,) = normalize_axis("cosine_similarity", dim, max(len(shape), 1))
    a, b = ops.broadcast_to(a, shape), ops.broadcast_to(b, shape)
    na = clamp_min_value(vector_norm(a, 2, d, keepdim=True), eps)
    nb = clamp_min_value(vector_norm(b, 2, d, keepdim=True), eps)
    return ops.sum((a / na) * (b / nb), axis=d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (inputs broadcast)."""
    a, b = pair(float_input("pairwise_distance", x1), float_input("pairwise_distance", x2))
    _broadcast("pairwise_distance", a.shape, b.shape)
    return vector_norm(a - b + eps, p, -1, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The ``p``-norm distance between each pair of rows i < j of a (N, M) ``input``: a
    tensor of N (N - 1) / 2 distances, in the order of the upper triangle's rows."""
    x = float_input("pdist", input)
    if x.ndim != 2:
        raise ValueError(f"pdist: expects a 2-d (N, M) input, got shape {tuple(x.shape)}")
    if p < 0:
        raise ValueError(f"pdist: p must be non-negative, got {p}")
    i, j = x.xp.triu_indices(x.shape[0], 1)
    return vector_norm(x[i] - x[j], p, -1)


class CosineSimilarity(Module):
    """Cosine similarity of ``x1`` and ``x2`` along ``dim`` (see ``cosine_similarity``)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim (see ``pairwise_distance``); the order ``p`` is
    kept as ``norm``, PyTorch's attribute name."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
