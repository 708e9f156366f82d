"""TensorBoard logging at PyTorch's path: ``from chainrule.utils.tensorboard import
SummaryWriter``. Event files are written by chainrule's own small writer
(:mod:`.events`), so logging needs no extra package; viewing needs ``tensorboard``.
"""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
