"""Small real datasets that need no download, and numeric CSV files."""

from __future__ import annotations

import csv
import functools
import math
import os
import random as _pyrandom
from pathlib import Path

import numpy as np

__all__ = ["load_csv", "load_digits", "load_mnist1d"]


def load_digits(scale: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits: X float32 (1797, 64) in [0, 16], y int64.

    With ``scale=True`` X is divided by 16, into [0, 1]. Needs scikit-learn.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError(
            "load_digits: needs scikit-learn; install it with pip install 'chainrule[train]'"
        ) from None
    d = _sk_load_digits()
    X = d.data.astype(np.float32)
    if scale:
        X /= np.float32(16)
    return X, d.target.astype(np.int64)


@functools.lru_cache(maxsize=4)
def _mnist1d(total: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise ImportError(
            "load_mnist1d: needs the mnist1d package; install it with "
            "pip install 'chainrule[mnist1d]'"
        ) from None
    args = get_dataset_args()
    args.num_samples = total
    args.train_split = 1.0  # everything in "x"; the caller splits
    args.seed = seed
    # make_dataset seeds NumPy's and Python's global generators: put them back afterwards.
    np_state, py_state = np.random.get_state(), _pyrandom.getstate()
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        _pyrandom.setstate(py_state)
    return d["x"].astype(np.float32), d["y"].astype(np.int64)


def load_mnist1d(
    n_train: int = 4000, n_test: int = 1000, seed: int = 42
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-1D generated locally: ``(X_train, y_train, X_test, y_test)``, X float32 (N, 40).

    The defaults give the published dataset (5,000 signals, seed 42, 4,000 for training).
    Built with ``mnist1d.data.make_dataset``; nothing is downloaded.

    >>> X_train, y_train, X_test, y_test = load_mnist1d()
    """
    for name, v in (("n_train", n_train), ("n_test", n_test), ("seed", seed)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"load_mnist1d: {name} must be a non-negative int, got {v!r}")
    if n_train + n_test == 0:
        raise ValueError("load_mnist1d: n_train + n_test must be positive")
    total = 10 * math.ceil((n_train + n_test) / 10)  # mnist1d makes equal counts per class
    X, y = _mnist1d(total, int(seed))
    return (X[:n_train].copy(), y[:n_train].copy(),
            X[n_train : n_train + n_test].copy(), y[n_train : n_train + n_test].copy())


def load_csv(
    path: str | os.PathLike,
    target: str,
    delimiter: str = ",",
    target_dtype=None,
    return_columns: bool = False,
    allow_nonfinite: bool = False,
) -> tuple:
    """A numeric CSV file with a header row: features X float32 (N, F) and the ``target`` column.

    The target is int64 when every value is a whole number (class labels), else float32;
    ``target_dtype`` overrides this. Blank lines are skipped; anything non-numeric is an
    error naming the line and column, and so is a NaN or infinite value unless
    ``allow_nonfinite``. ``return_columns=True`` adds the feature names: ``(X, y, columns)``.

    >>> X, y = load_csv("iris.csv", target="species")
    """
    path = Path(path)
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise FileNotFoundError(f"load_csv: cannot open {path}: {e.strerror}") from None
    try:
        with f:
            return _read_csv(f, path, target, delimiter, target_dtype, return_columns,
                             allow_nonfinite)
    except UnicodeDecodeError as e:
        raise ValueError(f"load_csv: {path} is not a UTF-8 text file (byte {e.start}: "
                         f"{e.reason}); is it a binary file?") from None


def _short_lines(f, path, delimiter: str, width: int, fname: str | None = "load_csv",
                 first: int = 2):
    """The file's lines, refusing one with more delimiters than a row of ``width`` fields
    can hold before the csv module splits it (a line of a million commas would take a
    second and a list of a million strings). A delimiter inside quotes cannot be part of
    a number, so such a line is an error either way."""
    for line, text in enumerate(f, start=first):
        if text.count(delimiter) >= width:
            prefix = f"{fname}: " if fname else ""
            raise ValueError(f"{prefix}{path} line {line} has more than {width} fields, the "
                             f"first line has {width}")
        yield text


def _read_csv(f, path, target, delimiter, target_dtype, return_columns, allow_nonfinite):
    reader = csv.reader(f, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ValueError(f"load_csv: {path} is empty")
    header = [h.strip() for h in header]
    if target not in header:
        raise ValueError(
            f"load_csv: {path} has no column {target!r}; its columns are {header}"
        )
    t = header.index(target)
    rows = []
    reader = csv.reader(_short_lines(f, path, delimiter, len(header)), delimiter=delimiter)
    for line, row in enumerate(reader, start=2):
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            raise ValueError(
                f"load_csv: {path} line {line} has {len(row)} fields, the header has "
                f"{len(header)}"
            )
        values = []
        for col, v in zip(header, row):
            try:
                x = float(v)
            except ValueError:
                raise ValueError(
                    f"load_csv: {path} line {line}, column {col!r}: {v.strip()!r} is "
                    f"not a number"
                ) from None
            if not allow_nonfinite and not math.isfinite(x):
                raise ValueError(
                    f"load_csv: {path} line {line}, column {col!r}: {v.strip()!r} is not "
                    f"a finite number (fix or drop the row, or pass allow_nonfinite=True)"
                )
            values.append(x)
        rows.append(values)
    if not rows:
        raise ValueError(f"load_csv: {path} has a header but no data rows")
    data = np.asarray(rows, dtype=np.float64)
    y = data[:, t]
    with np.errstate(over="ignore"):  # an overflow to inf is reported just below
        X = np.delete(data, t, axis=1).astype(np.float32)
    if not allow_nonfinite:  # a finite float64 can still overflow float32
        from .validate import check_finite

        check_finite(X, "load_csv", str(path), [h for i, h in enumerate(header) if i != t],
                     first_row=1)
    if target_dtype is None:
        # whole numbers are class labels, as long as int64 holds them exactly
        target_dtype = np.int64 if np.all(np.isfinite(y)) and np.all(y == np.round(y)) \
            and np.all(np.abs(y) < 2**53) else np.float32
    y = y.astype(target_dtype)
    return (X, y, [h for i, h in enumerate(header) if i != t]) if return_columns else (X, y)
