"""Training: ``fit``/``evaluate``/``predict``, callbacks, metrics, history and checkpoints.

>>> from chainrule.train import fit, EarlyStopping
>>> history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=20,
...               validation_split=0.1, metrics=["accuracy"],
...               callbacks=[EarlyStopping(patience=3)], seed=0)
>>> history.plot("curves.png")
"""

from . import metrics
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    LRScheduler,
    ModelCheckpoint,
)
from .checkpoint import check_state_dict, load_checkpoint, read_config, save_checkpoint
from .history import History
from .loop import Loop, evaluate, fit, predict
from .progress import ProgressBar
from .tensorboard import TensorBoard

__all__ = [
    "CSVLogger", "Callback", "EarlyStopping", "GradientClipping", "History", "LRScheduler",
    "Loop", "ModelCheckpoint", "ProgressBar", "check_state_dict", "evaluate", "fit",
    "load_checkpoint", "metrics", "predict", "read_config", "save_checkpoint", "TensorBoard",
]  # fmt: skip
