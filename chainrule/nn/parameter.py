"""``Parameter``: a tensor that a Module registers as trainable."""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that ``Module`` lists in ``parameters()``.

    >>> w = nn.Parameter(cr.zeros(3, 4))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros(0, np.float32)
        if isinstance(data, Tensor):
            data = data.array
        xp = get_array_module(data)
        a = xp.asarray(data)
        if a.dtype.kind != "f":
            a = a.astype(np.float32)
        super().__init__(a, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
