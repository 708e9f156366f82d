"""``DataLoader``: batches of samples, shuffled with a seeded generator."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from ..backend import get_array_module, infer_dtype
from ..random import Generator, rng
from ..tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples: list):
    """Stack a list of samples into a batch: tensors, arrays and numbers become Tensors.

    Tuples and lists are collated position by position, dicts key by key; strings stay a
    list.

    >>> default_collate([(cr.ones(2), 0), (cr.zeros(2), 1)])  # (Tensor (2, 2), Tensor([0, 1]))
    """
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    first = samples[0]
    shapes = {tuple(np.shape(s.array if isinstance(s, Tensor) else s)) for s in samples} \
        if hasattr(first, "shape") else None
    if shapes is not None and len(shapes) > 1:
        from .._errors import ShapeError

        raise ShapeError(
            f"default_collate: samples of one batch have different shapes {sorted(shapes)[:4]}; "
            f"pad or crop them to one shape, or pass a collate_fn that batches them")
    if isinstance(first, Tensor):
        xp = get_array_module(first.array)
        return Tensor._make(xp.stack([s.array for s in samples]), False)
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor._make(np.stack(samples), False)
    if isinstance(first, (bool, int, float)):
        return Tensor._make(np.asarray(samples, dtype=infer_dtype(samples)), False)
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, Mapping):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(
                f"default_collate: samples have different lengths "
                f"{sorted({len(s) for s in samples})}"
            )
        columns = [default_collate(list(column)) for column in zip(*samples)]
        return tuple(columns) if isinstance(first, tuple) else columns
    if hasattr(first, "shape"):  # a CuPy array
        return Tensor._make(get_array_module(first).stack(samples), False)
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}")


class DataLoader:
    """Iterate over a dataset in batches, like ``torch.utils.data.DataLoader``.

    With ``shuffle=True`` every epoch draws a new permutation from ``generator`` (a
    ``cr.Generator``, an int seed or None for the default generator), so the same seed
    gives the same sequence of epochs. A ``TensorDataset`` (or a ``Subset`` of one) is
    batched with one fancy index per tensor instead of a Python loop over samples.

    >>> loader = DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True, generator=0)
    >>> for xb, yb in loader: ...

    ``sampler``: an iterable of dataset indices with a length (a ``DistributedSampler``)
    that gives the order instead of ``shuffle``.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable | None = None,
        generator: Generator | int | None = None,
        *,
        sampler=None,
        num_workers: int = 0,
        pin_memory: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        persistent_workers: bool = False,
        prefetch_factor: int | None = None,
    ):
        # num_workers and the options that go with it are accepted, and batches are loaded
        # in this process: the batches are the same, only the parallelism differs.
        # pin_memory has no meaning for NumPy arrays.
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.sampler = sampler
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: dataset must have __len__ and __getitem__, got "
                f"{type(dataset).__name__}"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        rng(generator)  # checks its type now rather than at the first epoch
        if sampler is not None and (shuffle or not hasattr(sampler, "__iter__")
                                    or not hasattr(sampler, "__len__")):
            raise ValueError("DataLoader: sampler must be an iterable of indices with a length, "
                             "and excludes shuffle=True")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        # An int seed is turned into one generator here, so that epochs differ.
        self._seeded = rng(generator) if isinstance(generator, (int, np.integer)) else None

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64, count=len(self.sampler))
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return (self._seeded or rng(self.generator)).permutation(n)

    def __iter__(self) -> Iterator:
        order = self._order()
        stop = len(self) * self.batch_size
        fast = self.collate_fn is None and hasattr(self.dataset, "_get_batch")
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            if fast:
                yield self.dataset._get_batch(idx)
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(samples)
