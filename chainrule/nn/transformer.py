"""Transformer encoder: ``TransformerEncoderLayer`` and a stack of them,
``TransformerEncoder``, with PyTorch's submodule names and state_dict keys."""

from __future__ import annotations

import copy
from collections.abc import Callable

from ..tensor import Tensor
from . import _args
from .activation import gelu, relu
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": relu, "gelu": gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and
    LayerNorm (after the residual; before it with ``norm_first``):

        x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(ff(x)))
        ff(x) = linear2(dropout(activation(linear1(x))))

    >>> layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, batch_first=True)
    >>> layer(cr.randn(8, 10, 64)).shape
    (8, 10, 64)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        # Checked here so the error names this layer's arguments, not a sublayer's.
        owner = "TransformerEncoderLayer"
        _args.integer(owner, "d_model", d_model)
        _args.integer(owner, "nhead", nhead)
        if d_model % nhead:
            raise ValueError(f"{owner}: d_model ({d_model}) must be divisible by nhead ({nhead})")
        _args.integer(owner, "dim_feedforward", dim_feedforward)
        _args.probability(owner, "dropout", dropout)
        if not isinstance(activation, str) and not callable(activation):
            raise TypeError(f"{owner}: activation must be 'relu', 'gelu' or a callable, got "
                            f"{type(activation).__name__} {activation!r}")
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a "
                    f"callable, got {activation!r}"
                )
            activation = _ACTIVATIONS[activation]
        self.activation = activation
        self.batch_first = batch_first

    def forward(self, src: Tensor, src_mask=None, src_key_padding_mask=None,
                is_causal: bool = False) -> Tensor:
        """Encode ``src`` (L, N, E), (N, L, E) with ``batch_first``, or unbatched (L, E).

        ``src_mask`` (L, L) and ``src_key_padding_mask`` (N, L) follow MultiheadAttention:
        boolean True means "may not attend".
        """
        if not isinstance(src, Tensor):
            raise TypeError(
                f"TransformerEncoderLayer: src must be a Tensor, got {type(src).__name__}"
            )
        d_model = self.self_attn.embed_dim
        if src.ndim not in (2, 3) or src.shape[-1] != d_model:
            raise ValueError(
                f"TransformerEncoderLayer: expected src with {d_model} features and 2 "
                f"(unbatched) or 3 dimensions, got {tuple(src.shape)}"
            )
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn (``layers.0``, ``layers.1``
    ...), then ``norm`` when given."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module (a "
                            f"TransformerEncoderLayer), got {type(encoder_layer).__name__}")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(
                f"TransformerEncoder: num_layers must be a positive int, got {num_layers!r}"
            )
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None,
                is_causal: bool | None = None) -> Tensor:
        """Run every layer on ``src`` with the same masks."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        if self.norm is not None:
            x = self.norm(x)
        return x
