"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention``.

Both are composed of differentiable ops (matmul, softmax, dropout), so gradients of any
order flow through them. Masks become one additive constant: 0 where a query may attend
to a key and -inf where it may not (a row with no allowed key gives NaN, as in PyTorch).

Mask conventions follow PyTorch and differ between the two:
``scaled_dot_product_attention``'s boolean ``attn_mask`` is True where attention is
ALLOWED; ``MultiheadAttention``'s boolean ``attn_mask`` and ``key_padding_mask`` are True
where it is NOT allowed. Float masks are added to the scores in both.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..backend import get_array_module, to_device
from ..creation import empty
from ..ops import shape as _shape
from ..tensor import Tensor
from . import _args, init
from .dropout import dropout as _dropout
from .linear import Linear, linear
from .module import Module
from .parameter import Parameter


def _additive(mask, dtype, allowed_when_true: bool, device: str = "cpu"):
    """A mask (Tensor or array; bool or float) as an additive float array of ``dtype``, on
    ``device`` (that of the scores it is added to)."""
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    m = to_device(m, device)
    xp = get_array_module(m)
    if m.dtype == np.bool_:
        blocked = m if not allowed_when_true else ~m
        return xp.where(blocked, -np.inf, 0.0).astype(dtype)
    return m.astype(dtype, copy=False)


def _causal(L: int, S: int, dtype, device: str = "cpu"):
    """0 on and below the diagonal, -inf above it: query i sees keys 0..i."""
    return to_device(np.triu(np.full((L, S), -np.inf, dtype), k=1), device)


def _attend(q, k, v, mask, dropout_p: float, scale: float, generator=None):
    """softmax(q k^T * scale + mask) v, with dropout on the weights: (output, weights)."""
    scores = ops.matmul(q * scale, _shape.swapaxes(k, -1, -2))
    if mask is not None:
        scores = scores + Tensor._make(mask, False)
    w = ops.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        w = _dropout(w, dropout_p, generator=generator)
    return ops.matmul(w, v), w


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, generator=None) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two axes, as PyTorch's function.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). ``scale``
    defaults to 1/sqrt(E). A boolean ``attn_mask`` is True where attention is allowed; a
    float one is added to the scores; ``is_causal`` lets query i see keys 0..i only.

    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)
    """
    name = "scaled_dot_product_attention"
    for argname, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {argname} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"{name}: {argname} needs at least 2 dimensions, got "
                             f"{tuple(t.shape)}")
    L, E = query.shape[-2:]
    S = key.shape[-2]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise ValueError(
            f"{name}: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
            f"{tuple(value.shape)} do not fit (need query (..., L, E), key (..., S, E), "
            f"value (..., S, Ev))"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: pass either attn_mask or is_causal=True, not both")
    mask = None
    if is_causal:
        mask = _causal(L, S, query.dtype, query.device)
    elif attn_mask is not None:
        mask = _additive(attn_mask, query.dtype, allowed_when_true=True, device=query.device)
        try:
            np.broadcast_shapes(mask.shape, query.shape[:-2] + (L, S))
        except ValueError:
            raise ValueError(
                f"{name}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the "
                f"scores' shape {query.shape[:-2] + (L, S)}"
            ) from None
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    return _attend(query, key, value, mask, dropout_p, scale, generator)[0]


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size embed_dim / num_heads (PyTorch's layer).

    ``in_proj_weight`` (3E, E) stacks the query, key and value projections (separate
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ
    from ``embed_dim``); ``out_proj`` is a Linear(E, E). Inputs are (L, N, E), (N, L, E)
    with ``batch_first``, or unbatched (L, E).

    >>> mha = nn.MultiheadAttention(64, 8, batch_first=True)
    >>> out, weights = mha(x, x, x)        # x (N, L, 64): out (N, L, 64), weights (N, L, L)
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device=None, dtype=None, generator=None) -> None:
        super().__init__()
        for argname, n in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"MultiheadAttention: {argname} must be a positive int, got "
                                 f"{n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        _args.probability("MultiheadAttention", "dropout", dropout)
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv and add_zero_attn are not supported"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.generator = generator
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * E, E, dtype=dtype, device=device))
            for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(n, None)
        else:
            self.q_proj_weight = Parameter(empty(E, E, dtype=dtype, device=device))
            self.k_proj_weight = Parameter(empty(E, self.kdim, dtype=dtype, device=device))
            self.v_proj_weight = Parameter(empty(E, self.vdim, dtype=dtype, device=device))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * E, dtype=dtype, device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, device=device, dtype=dtype, generator=generator)
        self._reset_parameters(generator)

    def _reset_parameters(self, generator=None) -> None:
        """Xavier-uniform projections and zero biases, as PyTorch."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _check_inputs(self, query, key, value):
        name = "MultiheadAttention"
        for argname, t, dim in (("query", query, self.embed_dim), ("key", key, self.kdim),
                                ("value", value, self.vdim)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {argname} must be a Tensor, got {type(t).__name__}")
            if t.ndim not in (2, 3) or t.shape[-1] != dim:
                raise ValueError(
                    f"{name}: expected {argname} with {dim} features and 2 (unbatched) or 3 "
                    f"dimensions, got {tuple(t.shape)}"
                )
        if not (query.ndim == key.ndim == value.ndim):
            raise ValueError(
                f"{name}: query, key and value must all be batched or all unbatched, got "
                f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
            )
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(
                f"{name}: key {tuple(key.shape)} and value {tuple(value.shape)} must have the "
                f"same sequence length and batch size"
            )
        if query.ndim == 3:
            b = 0 if self.batch_first else 1
            if query.shape[b] != key.shape[b]:
                raise ValueError(
                    f"{name}: query {tuple(query.shape)} and key {tuple(key.shape)} have "
                    f"different batch sizes"
                )

    def _project(self, query, key, value):
        """q, k, v = the input projections, one GEMM when query, key and value are one."""
        E, b = self.embed_dim, self.in_proj_bias
        bq = bk = bv = None
        if b is not None:
            bq, bk, bv = b[:E], b[E : 2 * E], b[2 * E :]
        if self._qkv_same_embed_dim:
            W = self.in_proj_weight
            if query is key and key is value:
                return _shape.chunk(linear(query, W, b), 3, -1)
            Wq, Wk, Wv = W[:E], W[E : 2 * E], W[2 * E :]
        else:
            Wq, Wk, Wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, Wq, bq), linear(key, Wk, bk), linear(value, Wv, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """``(output, weights)``: output like ``query`` (embed_dim features); weights
        (N, L, S) averaged over heads, (N, num_heads, L, S) with
        ``average_attn_weights=False``, None with ``need_weights=False``.

        Boolean masks are True where attention is NOT allowed; float masks are added.
        ``attn_mask`` is (L, S) or (N * num_heads, L, S); ``key_padding_mask`` is (N, S).
        ``is_causal`` without ``attn_mask`` applies the causal mask.
        """
        self._check_inputs(query, key, value)
        batched = query.ndim == 3
        same = query is key and key is value
        if not batched:
            query, key, value = (_shape.expand_dims(t, 0) for t in (query, key, value))
        elif not self.batch_first:
            query, key, value = (_shape.swapaxes(t, 0, 1) for t in (query, key, value))
        if same:
            key = value = query
        N, L, _ = query.shape
        S = key.shape[1]
        h, d = self.num_heads, self.head_dim
        dtype = self.out_proj.weight.dtype
        mask = self._mask(attn_mask, key_padding_mask, is_causal, N, L, S, batched, dtype,
                          query.device)
        q, k, v = self._project(query, key, value)
        q = _shape.swapaxes(_shape.reshape(q, (N, L, h, d)), 1, 2)
        k = _shape.swapaxes(_shape.reshape(k, (N, S, h, d)), 1, 2)
        v = _shape.swapaxes(_shape.reshape(v, (N, S, h, d)), 1, 2)
        p = self.dropout if self.training else 0.0
        out, w = _attend(q, k, v, mask, p, 1.0 / math.sqrt(d), self.generator)
        out = _shape.reshape(_shape.swapaxes(out, 1, 2), (N, L, self.embed_dim))
        out = self.out_proj(out)
        if not batched:
            out = _shape.squeeze(out, 0)
        elif not self.batch_first:
            out = _shape.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            w = ops.mean(w, axis=1)
        if not batched:
            w = _shape.squeeze(w, 0)
        return out, w

    def _mask(self, attn_mask, key_padding_mask, is_causal, N, L, S, batched, dtype,
              device="cpu"):
        """attn_mask and key_padding_mask merged into one additive (N, h, L, S)-broadcastable
        array, or None."""
        name = "MultiheadAttention"
        h = self.num_heads
        mask = None
        if attn_mask is not None:
            m = _additive(attn_mask, dtype, allowed_when_true=False, device=device)
            if m.shape == (L, S):
                mask = m
            elif m.ndim == 3 and m.shape == (N * h, L, S):
                mask = m.reshape(N, h, L, S)
            else:
                raise ValueError(
                    f"{name}: attn_mask has shape {tuple(m.shape)} but expected {(L, S)} or "
                    f"{(N * h, L, S)}"
                )
        elif is_causal:
            mask = _causal(L, S, dtype, device)
        if key_padding_mask is not None:
            m = _additive(key_padding_mask, dtype, allowed_when_true=False, device=device)
            expected = (N, S) if batched else (S,)
            if m.shape != expected:
                raise ValueError(
                    f"{name}: key_padding_mask has shape {tuple(m.shape)} but expected "
                    f"{expected}"
                )
            m = m.reshape(N, 1, 1, S)
            mask = m if mask is None else mask + m
        return mask

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"
