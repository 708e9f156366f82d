"""Utilities at PyTorch's paths: ``cr.utils.data`` is ``cr.data`` (``DataLoader``,
``Dataset``...), and ``chainrule.utils.tensorboard.SummaryWriter``."""

import sys

from .. import data

sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
