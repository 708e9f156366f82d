"""Datasets: indexable collections of samples, their subsets, splits and folds."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence

import numpy as np

from ..backend import get_array_module
from ..random import rng
from ..tensor import Tensor

__all__ = [
    "ConcatDataset",
    "Dataset",
    "KFold",
    "Subset",
    "TensorDataset",
    "kfold_indices",
    "random_split",
]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is one sample and ``len(dataset)`` their count."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _index(fname: str, index, n: int) -> int:
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{fname}: index must be an int, got {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"{fname}: index {index} is out of range for {n} samples")
    return int(index) % n if n else 0


class TensorDataset(Dataset):
    """Samples made of the i-th row of each tensor: ``(X[i], y[i])``.

    ``transform`` is applied to the first tensor's rows and ``target_transform`` to the
    second's; both receive a single sample or, through ``DataLoader``, a whole batch.

    >>> ds = TensorDataset(cr.randn(100, 3), cr.arange(100))
    >>> x, y = ds[0]
    """

    def __init__(self, *tensors, transform=None, target_transform=None):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        arrays = []
        for i, t in enumerate(tensors):
            a = t.array if isinstance(t, Tensor) else t
            if not hasattr(a, "shape"):
                a = np.asarray(a)
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; each needs a first dim")
            arrays.append(a)
        n = arrays[0].shape[0]
        for i, a in enumerate(arrays[1:], 1):
            if a.shape[0] != n:
                shapes = [tuple(a.shape) for a in arrays]
                raise ValueError(
                    f"TensorDataset: all tensors need the same first dimension; tensor 0 has "
                    f"{n} rows, tensor {i} has {a.shape[0]} (shapes {shapes})"
                )
        self.tensors = tuple(
            t if isinstance(t, Tensor) else Tensor(a) for t, a in zip(tensors, arrays)
        )
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index) -> tuple:
        # A slice selects several samples at once, as PyTorch's (tensor[index] per tensor).
        i = index if isinstance(index, slice) else _index("TensorDataset", index, len(self))
        return self._finish(tuple(t.array[i] for t in self.tensors))

    def _get_batch(self, indices: np.ndarray) -> tuple:
        """A whole batch with one fancy-index per tensor (the DataLoader's fast path)."""
        return self._finish(
            tuple(t.array[get_array_module(t.array).asarray(indices)] for t in self.tensors)
        )

    def _finish(self, arrays: tuple) -> tuple:
        out = [Tensor._make(a, False) if hasattr(a, "ndim") else a for a in arrays]
        if self.transform is not None:
            out[0] = self.transform(out[0])
        if self.target_transform is not None and len(out) > 1:
            out[1] = self.target_transform(out[1])
        return tuple(out)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices: Sequence[int]):
        raw = np.asarray(indices.array if isinstance(indices, Tensor) else indices)
        if raw.size and raw.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be ints, got {raw.dtype} values such as "
                            f"{raw.reshape(-1)[0]!r}")
        idx = raw.astype(np.int64).reshape(-1)
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = int(idx[(idx < -n) | (idx >= n)][0])
            raise IndexError(f"Subset: index {bad} is out of range for a dataset of {n}")
        self.dataset = dataset
        self.indices = idx % n if n else idx

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_index("Subset", index, len(self))])]

    @property
    def _get_batch(self):
        # Exists only when the wrapped dataset has a batch fast path.
        inner = self.dataset._get_batch
        return lambda indices: inner(self.indices[indices])


class ConcatDataset(Dataset):
    """Datasets one after another: ``ConcatDataset([a, b])[len(a)]`` is ``b[0]``."""

    def __init__(self, datasets: Sequence):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index):
        i = _index("ConcatDataset", index, len(self))
        d = bisect.bisect_right(self.cumulative_sizes, i)
        start = self.cumulative_sizes[d - 1] if d else 0
        return self.datasets[d][i - start]


def _split_lengths(lengths: Sequence[int | float], n: int) -> list[int]:
    """PyTorch's rule: ints sum to ``n``; fractions sum to 1, the remainder dealt round-robin."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(
                f"random_split: lengths {lengths} must be non-negative and sum to the "
                f"dataset's length {n}"
            )
        return [int(v) for v in lengths]
    if not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in lengths) or not math.isclose(
        sum(lengths), 1.0, abs_tol=1e-6
    ):
        raise ValueError(
            f"random_split: lengths {lengths} must be ints summing to {n} or fractions in "
            f"[0, 1] summing to 1"
        )
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1.

    >>> train, val = random_split(ds, [0.8, 0.2], generator=cr.Generator().manual_seed(0))
    """
    n = len(dataset)
    sizes = _split_lengths(lengths, n)
    perm = rng(generator).permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def kfold_indices(
    n: int, k: int, shuffle: bool = True, generator=None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` pairs ``(train_idx, val_idx)``: each of the ``n`` indices is validated once.

    Fold sizes differ by at most one (the first ``n % k`` folds get the extra sample).

    >>> for train_idx, val_idx in kfold_indices(len(ds), 5, generator=0): ...
    """
    return list(KFold(k, shuffle=shuffle, generator=generator).split(n))


class KFold:
    """K-fold cross-validation splitter, like scikit-learn's, with a chainrule generator."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, generator=None):
        if not isinstance(n_splits, (int, np.integer)) or isinstance(n_splits, bool):
            raise TypeError(f"KFold: n_splits must be an int, got {type(n_splits).__name__}")
        if n_splits < 2:
            raise ValueError(f"KFold: n_splits must be at least 2, got {n_splits}")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.generator = generator

    def split(self, data) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, val_idx)`` for a sample count or anything with ``len``."""
        n = int(data) if isinstance(data, (int, np.integer)) else len(data)
        k = self.n_splits
        if k > n:
            raise ValueError(f"KFold: n_splits={k} is more than the number of samples {n}")
        order = rng(self.generator).permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(k, n // k)
        sizes[: n % k] += 1
        start = 0
        for size in sizes:
            val = order[start : start + size]
            train = np.concatenate([order[:start], order[start + size :]])
            start += size
            yield train, val

    def get_n_splits(self) -> int:
        return self.n_splits
