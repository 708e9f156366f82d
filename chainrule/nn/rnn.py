"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

One base class serves the three layers: it checks the input, loops over layers and
directions, and runs each (layer, direction) through the fused kernel of its mode
(``chainrule.ops.rnn.recurrence``). Parameter names, shapes, gate orders and
initialisation are PyTorch's, so a PyTorch state_dict loads unchanged.
"""

from __future__ import annotations

import math

from ..creation import empty, zeros
from ..ops import shape as _shape
from ..ops.rnn import GATES, recurrence
from ..random import Generator
from ..tensor import Tensor
from . import init
from .dropout import dropout as _dropout
from .module import Module
from .parameter import Parameter


def _as_generator(generator):
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator(generator)  # one stream: a new dropout mask at every call
    return generator


def _check_size(name: str, argname: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        raise ValueError(f"{name}: {argname} must be a positive int, got {v!r}")


class RNNBase(Module):
    """The shared multi-layer, optionally bidirectional recurrence of RNN, LSTM and GRU.

    ``mode`` is ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``. Layer ``k`` of
    direction ``d`` has ``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*H,), with the suffix ``_reverse`` for d = 1.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None,
                 generator=None) -> None:
        super().__init__()
        name = type(self).__name__
        if mode not in GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}")
        _check_size(name, "input_size", input_size)
        _check_size(name, "hidden_size", hidden_size)
        _check_size(name, "num_layers", num_layers)
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) \
                or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.generator = _as_generator(generator)
        G = GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        names = []
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (G, n_in)), ("weight_hh", (G, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (G,)), ("bias_hh", (G,))]
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(empty(*shape, dtype=dtype,
                                                               device=device)))
                names.append([pname + sfx for pname, _ in shapes])
        self._flat_weights_names = names
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv, generator=generator)

    def flatten_parameters(self) -> None:
        """Does nothing (PyTorch compacts cuDNN weights here); kept so that code runs."""

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def _check_state(self, argname: str, h, expected) -> Tensor:
        if not isinstance(h, Tensor):
            raise TypeError(
                f"{type(self).__name__}: {argname} must be a Tensor, got {type(h).__name__}"
            )
        if tuple(h.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: {argname} has shape {tuple(h.shape)} but expected "
                f"{expected}"
            )
        return h

    def forward(self, input: Tensor, hx=None):
        """Run the sequence: ``(output, h_n)``, or ``(output, (h_n, c_n))`` for LSTM.

        ``input`` is (L, N, H_in), (N, L, H_in) with ``batch_first``, or unbatched
        (L, H_in); ``hx`` (``(h_0, c_0)`` for LSTM) is (num_layers * num_directions, N, H)
        or (num_layers * num_directions, H) unbatched, zeros when omitted.
        """
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input with {self.input_size} features and 2 (unbatched) "
                f"or 3 dimensions, got {tuple(input.shape)}"
            )
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise TypeError(
                f"{name}: input has dtype {input.dtype} but the weights have {w.dtype}; "
                f"convert one of them (input.astype(...) or module.to(dtype))"
            )
        batched = input.ndim == 3
        if not batched:
            x = _shape.expand_dims(input, 1)
        elif self.batch_first:
            x = _shape.swapaxes(input, 0, 1)
        else:
            x = input
        N, H = x.shape[1], self.hidden_size
        LD = self.num_layers * self.num_directions
        lstm = self.mode == "LSTM"
        h0 = c0 = None
        if hx is not None:
            expected = (LD, N, H) if batched else (LD, H)
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
                h0 = self._check_state("h_0", hx[0], expected)
                c0 = self._check_state("c_0", hx[1], expected)
            else:
                h0 = self._check_state("h_0", hx, expected)
            if not batched:
                h0 = _shape.expand_dims(h0, 1)
                c0 = None if c0 is None else _shape.expand_dims(c0, 1)
        y, h_n, c_n = self._run(x, h0, c0)
        if not batched:
            y = _shape.squeeze(y, 1)
            h_n = _shape.squeeze(h_n, 1)
            c_n = None if c_n is None else _shape.squeeze(c_n, 1)
        elif self.batch_first:
            y = _shape.swapaxes(y, 0, 1)
        return (y, (h_n, c_n)) if lstm else (y, h_n)

    def _run(self, x: Tensor, h0, c0):
        """All layers and directions over time-major ``x``: (y, h_n, c_n or None)."""
        lstm = self.mode == "LSTM"
        D = self.num_directions
        zero = None
        if h0 is None or (lstm and c0 is None):
            zero = zeros(x.shape[1], self.hidden_size, dtype=x.dtype, device=x.device)
        hs, cs = [], []
        for layer in range(self.num_layers):
            ys = []
            for d in range(D):
                k = layer * D + d
                params = [getattr(self, n) for n in self._flat_weights_names[k]]
                h = zero if h0 is None else h0[k]
                c = (zero if c0 is None else c0[k]) if lstm else None
                last = layer == self.num_layers - 1 and D == 1
                out = recurrence(self.mode, x, h, c, *params, reverse=d == 1,
                                 batch_major=last and self.batch_first)
                ys.append(out[0])
                hs.append(out[1])
                if lstm:
                    cs.append(out[2])
            x = ys[0] if D == 1 else _shape.concatenate(ys, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, generator=self.generator)
        c_n = _shape.stack(cs) if lstm else None
        return x, _shape.stack(hs), c_n

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(cr.randn(5, 3, 10))      # output (5, 3, 20), h_n (2, 3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 generator=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype, generator)


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o (PyTorch's order):

        i, f, o = sigmoid(.), g = tanh(.) of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

    >>> lstm = nn.LSTM(64, 256, batch_first=True)
    >>> output, (h_n, c_n) = lstm(cr.randn(32, 64, 64))   # output (32, 64, 256)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None,
                 generator=None) -> None:
        if not isinstance(proj_size, int) or isinstance(proj_size, bool) or proj_size < 0:
            raise ValueError(f"LSTM: proj_size must be an int >= 0, got {proj_size!r}")
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device, dtype, generator)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n (PyTorch's order):

        r, z = sigmoid(x_t W_i{r,z}^T + b_i{r,z} + h_{t-1} W_h{r,z}^T + b_h{r,z})
        n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None,
                 generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device, dtype, generator)


class RNNCellBase(Module):
    """One time step of a recurrent layer: the same kernel as the layers, with T = 1.

    Parameters ``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh``.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None, generator=None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_size(name, "input_size", input_size)
        _check_size(name, "hidden_size", hidden_size)
        self.mode = mode
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = GATES[mode] * hidden_size
        self.weight_ih = Parameter(empty(G, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(G, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(G, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(G, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    reset_parameters = RNNBase.reset_parameters

    def forward(self, input: Tensor, hx=None):
        """``h'`` (``(h', c')`` for LSTMCell) from input (N, H_in) or (H_in,) and state."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input with {self.input_size} features and 1 (unbatched) "
                f"or 2 dimensions, got {tuple(input.shape)}"
            )
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{name}: input has dtype {input.dtype} but the weights have "
                f"{self.weight_ih.dtype}"
            )
        batched = input.ndim == 2
        x = input if batched else _shape.expand_dims(input, 0)
        expected = (x.shape[0], self.hidden_size)
        lstm = self.mode == "LSTM"
        states = [] if hx is None else list(hx) if lstm else [hx]
        if lstm and hx is not None and len(states) != 2:
            raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
        for i, s in enumerate(states):
            argname = "hx" if not lstm else ("h_0", "c_0")[i]
            RNNBase._check_state(self, argname, s, expected if batched else expected[1:])
            if not batched:
                states[i] = _shape.expand_dims(s, 0)
        if not states:
            z = zeros(*expected, dtype=x.dtype, device=x.device)
            states = [z, z] if lstm else [z]
        params = [self.weight_ih, self.weight_hh]
        if self.bias:
            params += [self.bias_ih, self.bias_hh]
        out = recurrence(self.mode, _shape.expand_dims(x, 0), states[0],
                         states[1] if lstm else None, *params)
        new = list(out[1:])
        if not batched:
            new = [_shape.squeeze(s, 0) for s in new]
        return tuple(new) if lstm else new[0]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh) with act tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None, generator=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, bias, device, dtype, generator)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``, gates i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None, generator=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype, generator)


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(x, h)``, gates r, z, n."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None, generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype, generator)
