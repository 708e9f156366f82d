"""Datasets, the DataLoader, transforms and dataset loaders.

>>> from chainrule.data import DataLoader, TensorDataset, load_mnist
>>> X, y = load_mnist("../shared/datasets", as_float=True)
>>> loader = DataLoader(TensorDataset(X[:, None], y), batch_size=128, shuffle=True, generator=0)
"""

from . import transforms
from .dataloader import DataLoader, default_collate
from .dataset import (
    ConcatDataset,
    Dataset,
    KFold,
    Subset,
    TensorDataset,
    kfold_indices,
    random_split,
)
from .datasets import load_csv, load_digits, load_mnist1d
from .files import data_dir
from .mnist import load_fashion_mnist, load_mnist, read_idx
from .sampler import (
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .text import CharCorpus, load_char_corpus

__all__ = [
    "CharCorpus",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "KFold",
    "Subset",
    "TensorDataset",
    "data_dir",
    "default_collate",
    "kfold_indices",
    "load_char_corpus",
    "load_csv",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist1d",
    "random_split",
    "read_idx",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "transforms",
]


def __getattr__(name):  # torch.utils.data.distributed's sampler, imported on first use
    if name == "DistributedSampler":
        from ..distributed.sampler import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module 'chainrule.data' has no attribute {name!r}")
