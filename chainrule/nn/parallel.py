"""``torch.nn.parallel``'s path to chainrule.distributed's DistributedDataParallel."""

from ..distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
