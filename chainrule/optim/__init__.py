"""Optimizers and learning-rate schedulers, with PyTorch's names, defaults and state keys.

>>> opt = cr.optim.Adam(model.parameters(), lr=1e-3)
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from . import lr_scheduler
from .adadelta import Adadelta, adadelta
from .adagrad import Adagrad, adagrad
from .adam import Adam, AdamW, adam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop, rmsprop
from .sgd import SGD, sgd

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "LBFGS", "Optimizer", "RMSprop", "adadelta",
    "adagrad", "adam", "lr_scheduler", "rmsprop", "sgd",
]  # fmt: skip
