"""Samplers: the order in which a ``DataLoader`` visits a dataset, as
``torch.utils.data``'s (``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler``). Each is an iterable of indices with a length; the random ones
draw from ``generator`` (a ``cr.Generator``, an int seed, or the default generator)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..random import rng


class Sampler:
    """Base class: an iterable of dataset indices."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices (a new one each pass), or ``num_samples``
    draws with replacement when ``replacement=True``."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got "
                             f"{num_samples!r}")
        self.data_source, self.replacement = data_source, bool(replacement)
        self._num_samples, self.generator = num_samples, generator
        self._rng = rng(generator) if isinstance(generator, (int, np.integer)) else None

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        g, n = self._rng or rng(self.generator), len(self.data_source)
        if self.replacement:
            return iter(g.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // max(n, 1))
        order = np.concatenate([g.permutation(n) for _ in range(reps)]) if n else []
        return iter(list(order[: self.num_samples]))

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one each pass)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices, self.generator = list(indices), generator
        self._rng = rng(generator) if isinstance(generator, (int, np.integer)) else None

    def __iter__(self) -> Iterator[int]:
        g = self._rng or rng(self.generator)
        return iter([self.indices[i] for i in g.permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        w = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, np.float64)
        if w.ndim != 1 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be a 1-d sequence of finite, "
                             "non-negative numbers with a positive sum")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = bool(replacement), generator
        self._rng = rng(generator) if isinstance(generator, (int, np.integer)) else None

    def __iter__(self) -> Iterator[int]:
        g = self._rng or rng(self.generator)
        p = self.weights / self.weights.sum()
        return iter(g.choice(len(p), self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


__all__ = ["RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]
