"""``torch.nn.modules``: PyTorch's import paths for the layers.

``chainrule.nn.modules.linear.Linear`` is ``chainrule.nn.Linear``; PyTorch's submodule
names that differ from chainrule's files map to the file that holds the layers
(``batchnorm`` and ``normalization`` to ``nn/normalization.py``, ``pooling`` to
``nn/pooling.py``...). Every layer is also importable from here directly.
"""

import importlib
import sys

# PyTorch's file name -> chainrule's module that holds those layers.
_ALIASES = {
    "activation": "activation", "batchnorm": "normalization", "container": "container",
    "conv": "conv", "dropout": "dropout", "flatten": "flatten", "linear": "linear",
    "loss": "loss", "module": "module", "normalization": "normalization",
    "pooling": "pooling", "rnn": "rnn", "sparse": "sparse", "transformer": "transformer",
    "instancenorm": "instancenorm", "padding": "padding", "upsampling": "upsampling",
    "pixelshuffle": "upsampling",
}  # fmt: skip

_NN = __package__.rsplit(".", 1)[0]
for _name, _target in _ALIASES.items():
    _mod = importlib.import_module(f"{_NN}.{_target}")
    sys.modules[f"{__name__}.{_name}"] = _mod
    globals()[_name] = _mod
del _name, _target, _mod


def __getattr__(name: str):
    """Every layer of ``chainrule.nn`` (``torch.nn.modules.Linear``)."""
    nn = sys.modules[_NN]
    if name[:1].isupper() and hasattr(nn, name):
        return getattr(nn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
