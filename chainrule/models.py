"""A small model zoo: classifiers built from an input shape and a number of classes.

``input_shape`` is one sample's shape without the batch axis: ``(features,)`` for
vectors and 1-D signals, ``(channels, height, width)`` for images. Every builder draws
its initial weights from the default generator (seed it with ``cr.manual_seed``).

>>> model = build_model("cnn", (1, 28, 28), 10)
>>> model(cr.randn(32, 1, 28, 28)).shape
(32, 10)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import nn
from .tensor import Tensor

__all__ = ["MODELS", "SequenceClassifier", "build_model", "cnn", "gru", "mlp",
           "parameter_count"]


def _shape(fname: str, input_shape) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise TypeError(f"{fname}: input_shape must be a tuple of ints, got {input_shape!r}") \
            from None
    if not shape or any(s < 1 for s in shape) or len(shape) > 3:
        raise ValueError(
            f"{fname}: input_shape must be (features,), (channels, length) or (channels, "
            f"height, width) with positive sizes, got {input_shape!r}"
        )
    return shape


def _classes(fname: str, num_classes) -> int:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"{fname}: num_classes must be a positive int, got {num_classes!r}")
    return num_classes


def mlp(
    input_shape: Sequence[int],
    num_classes: int,
    hidden: Sequence[int] = (256, 256),
    dropout: float = 0.0,
) -> nn.Sequential:
    """Flatten, then ``Linear -> ReLU (-> Dropout)`` per hidden width, then a linear head.

    ``num_classes`` is the number of outputs (1 for a regression).
    """
    shape = _shape("mlp", input_shape)
    num_classes = _classes("mlp", num_classes)
    if not 0 <= dropout < 1:
        raise ValueError(f"mlp: dropout must be in [0, 1), got {dropout!r}")
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(shape)
    for h in hidden:
        layers += [nn.Linear(width, int(h)), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = int(h)
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def cnn(
    input_shape: Sequence[int],
    num_classes: int,
    channels: Sequence[int] | None = None,
    hidden: int = 128,
    dropout: float = 0.0,
) -> nn.Sequential:
    """A convolutional classifier: ``Conv2d`` blocks for images, ``Conv1d`` for signals.

    Images ``(C, H, W)`` (or ``(H, W)``): per entry of ``channels`` (default 32, 64) a
    3x3 convolution, ReLU and 2x2 max-pooling while the image is at least 4 pixels
    wide, then ``Linear(hidden) -> ReLU -> Linear(num_classes)``. Signals ``(L,)`` or
    ``(C, L)``: the MNIST-1D network of Greydanus (2020), three ``Conv1d`` of 25 channels
    (kernel 5 stride 2, then 3 and 3) and a linear head.
    """
    shape = _shape("cnn", input_shape)
    num_classes = _classes("cnn", num_classes)
    layers: list[nn.Module] = []
    if len(shape) == 3:
        c, h, w = shape
        for out in channels or (32, 64):
            layers += [nn.Conv2d(c, int(out), 3, padding=1), nn.ReLU()]
            if min(h, w) >= 4:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = int(out)
        layers += [nn.Flatten(), nn.Linear(c * h * w, hidden), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(hidden, num_classes))
        return nn.Sequential(*layers)
    if len(shape) == 1:
        layers.append(nn.Unflatten(1, (1, shape[0])))
        shape = (1, shape[0])
    c, length = shape
    width = 25 if channels is None else int(channels[0])
    layers += [nn.Conv1d(c, width, 5, stride=2, padding=1), nn.ReLU(),
               nn.Conv1d(width, width, 3, stride=1, padding=1), nn.ReLU(),
               nn.Conv1d(width, width, 3, stride=1, padding=1), nn.ReLU(), nn.Flatten()]
    length = (length + 2 - 5) // 2 + 1
    if length < 1:
        raise ValueError(f"cnn: signals of length {shape[1]} are too short (at least 3)")
    layers.append(nn.Linear(width * length, num_classes))
    return nn.Sequential(*layers)


class SequenceClassifier(nn.Module):
    """A recurrent network over the sequence axis, then a linear head on its last output.

    Inputs ``(N, L)`` are read as ``L`` steps of one feature, ``(N, C, L)`` as ``L`` steps
    of ``C`` features, images ``(N, C, H, W)`` as ``H`` rows of ``C * W`` features.
    """

    def __init__(self, input_shape: Sequence[int], num_classes: int, hidden_size: int = 64,
                 num_layers: int = 1, cell: str = "gru") -> None:
        super().__init__()
        shape = _shape("SequenceClassifier", input_shape)
        num_classes = _classes("SequenceClassifier", num_classes)
        if cell not in ("gru", "lstm", "rnn"):
            raise ValueError(f"SequenceClassifier: cell must be 'gru', 'lstm' or 'rnn', got "
                             f"{cell!r}")
        features = 1 if len(shape) == 1 else shape[0] if len(shape) == 2 else shape[0] * shape[2]
        rnn_class = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell]
        self.input_shape = shape
        self.rnn = rnn_class(features, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2:  # (N, L): L steps of 1 feature
            x = x.reshape(x.shape[0], x.shape[1], 1)
        elif x.ndim == 3:  # (N, C, L) -> (N, L, C)
            x = x.permute(0, 2, 1)
        elif x.ndim == 4:  # (N, C, H, W) -> rows (N, H, C * W)
            n, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(n, h, c * w)
        else:
            raise ValueError(f"SequenceClassifier: expected 2-, 3- or 4-d input, got {x.shape}")
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


def gru(input_shape: Sequence[int], num_classes: int, hidden_size: int = 64,
        num_layers: int = 1) -> SequenceClassifier:
    """A GRU classifier (``SequenceClassifier`` with ``cell='gru'``)."""
    return SequenceClassifier(input_shape, num_classes, hidden_size, num_layers, "gru")


#: Builders by name, as the ``chainrule`` command's ``--model`` names them.
MODELS = {"mlp": mlp, "cnn": cnn, "gru": gru}


def build_model(name: str, input_shape: Sequence[int], num_classes: int, **options) -> nn.Module:
    """The model ``name`` ('mlp', 'cnn' or 'gru') for ``input_shape`` and ``num_classes``."""
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](input_shape, num_classes, **options)


def parameter_count(name: str, input_shape: Sequence[int], num_classes: int) -> int:
    """How many numbers ``build_model(name, input_shape, num_classes)`` would allocate, worked
    out without allocating them: a checkpoint's config is checked against its weights with
    this before any model is built (tests compare it with real builds)."""
    if name not in MODELS:
        raise ValueError(f"parameter_count: unknown model {name!r}; choose from {sorted(MODELS)}")
    shape = _shape(name, input_shape)
    classes = _classes(name, num_classes)
    if name == "mlp":
        width, total = math.prod(shape), 0
        for h in (256, 256):
            total += width * h + h
            width = h
        return total + width * classes + classes
    if name == "cnn" and len(shape) == 3:
        (c, h, w), total = shape, 0
        for out in (32, 64):
            total += c * out * 9 + out
            if min(h, w) >= 4:
                h, w = h // 2, w // 2
            c = out
        return total + c * h * w * 128 + 128 + 128 * classes + classes
    if name == "cnn":
        c, length = (1, shape[0]) if len(shape) == 1 else shape
        length = (length + 2 - 5) // 2 + 1
        return (c * 25 * 5 + 25) + 2 * (25 * 25 * 3 + 25) + 25 * max(length, 0) * classes + \
            classes
    features = 1 if len(shape) == 1 else shape[0] if len(shape) == 2 else shape[0] * shape[2]
    hidden = 64
    return 3 * hidden * (features + hidden + 2) + hidden * classes + classes
