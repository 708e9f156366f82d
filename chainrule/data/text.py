"""Character-level text corpora for language modelling (e.g. Tiny Shakespeare)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..random import Generator, rng
from ..tensor import Tensor
from .files import data_dir, find_file

__all__ = ["CharCorpus", "load_char_corpus"]


class CharCorpus:
    """A text as integer ids over its sorted set of characters, split into train and val.

    The first ``1 - val_fraction`` of the text is for training, the rest for validation
    (a contiguous split, so no validation sequence overlaps the training text).

    >>> corpus = CharCorpus(open("tinyshakespeare.txt").read())
    >>> x, y = corpus.get_batch(32, 128, generator=0)   # y is x shifted by one character
    """

    def __init__(self, text: str, val_fraction: float = 0.1):
        if not isinstance(text, str):
            raise TypeError(f"CharCorpus: text must be a str, got {type(text).__name__}")
        if len(text) < 2:
            raise ValueError(f"CharCorpus: text needs at least 2 characters, got {len(text)}")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"CharCorpus: val_fraction must be in [0, 1), got {val_fraction}")
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = np.array(self.chars)
        self.data = self.encode(text)
        n_train = len(self.data) - int(len(self.data) * val_fraction)
        self.train_data = self.data[:n_train]
        self.val_data = self.data[n_train:]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.data)

    def encode(self, text: str) -> np.ndarray:
        """Character ids (int64) of ``text``."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise ValueError(
                f"CharCorpus.encode: character {e.args[0]!r} is not in the vocabulary "
                f"({self.vocab_size} symbols)"
            ) from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (a list, array or Tensor)."""
        a = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids).reshape(-1)
        if a.size and (a.dtype.kind not in "iu" or a.min() < 0 or a.max() >= self.vocab_size):
            raise ValueError(
                f"CharCorpus.decode: ids must be integers in [0, {self.vocab_size}), got "
                f"{a.dtype} in [{a.min()}, {a.max()}]"
            )
        return "".join(self.itos[a].tolist())

    def get_batch(
        self,
        batch_size: int,
        seq_len: int,
        split: str = "train",
        generator: Generator | int | np.random.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Random windows ``x`` (batch_size, seq_len) int64 and the next characters ``y``."""
        return self._batch(batch_size, seq_len, split, rng(generator))

    def batches(
        self,
        batch_size: int,
        seq_len: int,
        generator: Generator | int | None = None,
        split: str = "train",
        num_batches: int | None = None,
    ) -> Iterator[tuple[Tensor, Tensor]]:
        """Yield ``num_batches`` random ``(x, y)`` batches (forever if None), like ``get_batch``."""
        r = rng(generator)  # one stream for the whole run, even from an int seed
        count = 0
        while num_batches is None or count < num_batches:
            yield self._batch(batch_size, seq_len, split, r)
            count += 1

    def _batch(self, batch_size, seq_len, split, r):
        if split not in ("train", "val"):
            raise ValueError(f"CharCorpus: split must be 'train' or 'val', got {split!r}")
        for name, v in (("batch_size", batch_size), ("seq_len", seq_len)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"CharCorpus: {name} must be a positive integer, got {v!r}")
        data = self.train_data if split == "train" else self.val_data
        if len(data) < seq_len + 1:
            raise ValueError(
                f"CharCorpus: the {split} text has {len(data)} characters, too few for "
                f"seq_len={seq_len} (needs seq_len + 1)"
            )
        starts = r.integers(0, len(data) - seq_len, size=batch_size)
        idx = starts[:, None] + np.arange(seq_len + 1)
        windows = data[idx]
        return Tensor._make(windows[:, :-1], False), Tensor._make(windows[:, 1:], False)

    def __repr__(self) -> str:
        return (f"CharCorpus({len(self.data)} characters, vocab_size={self.vocab_size}, "
                f"train={len(self.train_data)}, val={len(self.val_data)})")


def load_char_corpus(
    path: str | os.PathLike | None = None, val_fraction: float = 0.1
) -> CharCorpus:
    """A ``CharCorpus`` of a UTF-8 text file; with no ``path``, Tiny Shakespeare.

    Tiny Shakespeare is looked for as ``tinyshakespeare.txt`` in the data directory
    (``$CHAINRULE_DATA`` or ``~/.cache/chainrule``) and its ``text/`` folder.
    """
    if path is None:
        directory = data_dir()
        found = find_file(directory, ["tinyshakespeare.txt"], ["text"])
        if found is None:
            raise FileNotFoundError(
                f"load_char_corpus: tinyshakespeare.txt not found in {directory} or "
                f"{directory / 'text'}; pass path= or set CHAINRULE_DATA"
            )
        path = found
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise FileNotFoundError(f"load_char_corpus: cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"load_char_corpus: {path} is not UTF-8 text ({e.reason})") from None
    return CharCorpus(text, val_fraction)
