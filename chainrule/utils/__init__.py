"""``torch.utils``: ``cr.utils.data`` is ``cr.data`` (``DataLoader``, ``Dataset``...)."""

import sys

from .. import data

sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
