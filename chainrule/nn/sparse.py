"""``Embedding``: a lookup table of vectors indexed by integers."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..creation import empty
from ..ops._convert import as_tensor
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class EmbeddingFunction(Function):
    """y = W[idx]; gW[k] = sum of gy over the positions where idx == k (the padding row
    gets no gradient)."""

    saves_inputs = False

    def __init__(self, idx, padding_idx):
        self.idx, self.padding_idx = idx, padding_idx

    def forward(self, W):
        self.num = W.shape[0]
        return W[self.idx]

    def backward(self, gy):
        return EmbeddingBackward(self.idx, self.num, self.padding_idx)(gy)


class EmbeddingBackward(Function):
    """Rows of ``gy`` summed into a (num_embeddings, dim) table at ``idx``; the adjoint of
    the lookup, so its own gradient is the lookup again."""

    saves_inputs = False

    def __init__(self, idx, num, padding_idx):
        self.idx, self.num, self.padding_idx = idx, num, padding_idx

    def forward(self, gy):
        xp = get_array_module(gy)
        d = gy.shape[-1]
        gW = xp.zeros((self.num, d), gy.dtype)
        flat = self.idx.reshape(-1)
        g2 = gy.reshape(-1, d)
        if not flat.size:
            pass
        elif xp is np:
            # Sort the rows by index and sum each run with one reduceat: several times
            # faster than np.add.at's element-by-element scatter (1.1 ms -> 0.15 ms for a
            # batch of 32 x 64 characters), and the sums run in input order all the same.
            order = np.argsort(flat, kind="stable")
            s = flat[order]
            starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
            gW[s[starts]] = np.add.reduceat(g2[order], starts, axis=0)
        else:  # pragma: no cover - GPU only
            xp.add.at(gW, flat, g2)
        if self.padding_idx is not None:
            gW[self.padding_idx] = 0
        return gW

    def backward(self, ggW):
        idx = self.idx
        if self.padding_idx is not None:
            return EmbeddingFunction(idx, self.padding_idx)(_zero_row(ggW, self.padding_idx))
        return EmbeddingFunction(idx, None)(ggW)


def _zero_row(t: Tensor, row: int) -> Tensor:
    mask = t.xp.ones((t.shape[0], 1), t.dtype)
    mask[row] = 0
    return t * Tensor._make(mask, False)


def _check_indices(name: str, input, num: int):
    idx = as_tensor(input).array
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {idx.dtype}")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{name}: index {bad} is out of range for {num} embeddings")
    return idx


def _padding(name: str, padding_idx, num: int):
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, int) or isinstance(padding_idx, bool):
        raise TypeError(f"{name}: padding_idx must be an int or None, got "
                        f"{type(padding_idx).__name__} {padding_idx!r}")
    if not -num <= padding_idx < num:
        raise ValueError(
            f"{name}: padding_idx {padding_idx} is out of range for {num} embeddings"
        )
    return padding_idx % num


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``:
    output shape input.shape + (dim,). The row ``padding_idx`` gets no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-d, got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    idx = _check_indices("embedding", input, num)
    return EmbeddingFunction(idx, _padding("embedding", padding_idx, num))(weight)


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
