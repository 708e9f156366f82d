"""``cr.device``: where a tensor lives, as ``torch.device``."""

from __future__ import annotations


class device:  # noqa: N801 - PyTorch's name
    """A device: ``type`` (``"cpu"`` or ``"cuda"``) and an optional ``index``.

    >>> cr.device("cuda:0").index
    0
    >>> cr.device("cpu") == "cpu"
    True

    A tensor's ``.device`` is one of these. ``"cpu"`` arrays are NumPy's, ``"cuda"`` ones
    CuPy's (``cr.cuda.is_available()`` tells whether that works here). A device compares
    equal to another device or to its string form.
    """

    __slots__ = ("type", "index")
    _TYPES = ("cpu", "cuda", "meta")

    def __init__(self, type: str | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device: give the index in the device or as index=, not both")
            type, index = type.type, type.index  # noqa: A001
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # noqa: A001 - torch.device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device, got {type!r}")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise ValueError(f"device: {type!r} already names an index; drop index=")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(idx)
        if name not in self._TYPES:
            raise ValueError(
                f"device: unknown device type {name!r}; expected one of {list(self._TYPES)}"
            )
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device is immutable")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except ValueError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))
