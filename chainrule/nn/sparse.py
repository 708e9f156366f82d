"""``Embedding``: a lookup table of vectors indexed by integers; its op and ``embedding`` live
in ``chainrule.ops.embedding``."""

from __future__ import annotations

import numpy as np

from ..creation import empty
from ..ops.embedding import (  # noqa: F401 - nn's names for them
    EmbeddingBackward,
    EmbeddingFunction,
    _check_indices,
    _padding,
    embedding,
)
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1);
    the row ``padding_idx`` (if given) starts at zero and is never updated by gradients.

    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(cr.tensor([[1, 2], [0, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None, generator=None) -> None:
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {v!r}")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError(
                "Embedding: max_norm, scale_grad_by_freq and sparse are not supported"
            )
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding("Embedding", padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device), requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            w = _weight.array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if tuple(w.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {tuple(w.shape)}, expected "
                    f"{(num_embeddings, embedding_dim)}"
                )
            self.weight = Parameter(w.copy(), requires_grad=not _freeze)

    def reset_parameters(self, generator=None) -> None:
        """Draw the table from N(0, 1) and zero the padding row."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        idx = _check_indices("Embedding", input, self.num_embeddings)
        return EmbeddingFunction(idx, self.padding_idx)(self.weight)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        **kwargs) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (2-d); frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-d, got shape "
                f"{tuple(embeddings.shape)}"
            )
        n, d = embeddings.shape
        return cls(n, d, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze, **kwargs)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
