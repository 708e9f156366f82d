"""Checks on data as it is loaded, so that bad values fail once, by name, before training.

They run once per dataset (a pass over the array), never per batch: a training step pays
nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..backend import as_numpy

__all__ = ["check_finite", "check_labels"]


def check_finite(a, fname: str, what: str, columns: Sequence[str] | None = None,
                 first_row: int = 0) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite value of ``a`` by row and column.

    ``what`` names the data (a file, or ``train_data inputs``); rows are counted from
    ``first_row`` (1 for a file's first data row); ``columns`` names the columns of a 2-d
    ``a``. Integer and boolean arrays pass at once.
    """
    a = as_numpy(a)
    if a.dtype.kind not in "fc":
        return
    finite = np.isfinite(a)
    if finite.all():
        return
    index = np.unravel_index(int(np.argmin(finite.reshape(-1))), a.shape)
    value = a[index]
    kind = "NaN" if np.isnan(value) else "an infinite value"
    where = f"row {int(index[0]) + first_row}" if a.ndim else "the value"
    if a.ndim == 2:
        col = int(index[1])
        where += f", column {columns[col]!r}" if columns is not None else f", column {col}"
    elif a.ndim > 2:
        where += f", element {tuple(int(i) for i in index[1:])}"
    count = int(a.size - finite.sum())
    more = f" ({count} non-finite values in all)" if count > 1 else ""
    raise ValueError(f"{fname}: {what} holds {kind} ({value}) at {where}{more}; fix or drop "
                     f"those rows before training")


def check_labels(y, fname: str, what: str, first_row: int = 0) -> int:
    """The number of classes of integer labels ``y``, after checking they are 0..K-1 with
    K at most the number of labels (a label like 2000000000 is a data error, not a
    request for two billion classes)."""
    y = as_numpy(y)
    if y.size == 0:
        raise ValueError(f"{fname}: {what} holds no labels")
    if y.dtype.kind not in "iub":
        raise ValueError(f"{fname}: {what} must hold integer class labels, got {y.dtype}")
    low, high = int(y.min()), int(y.max())
    if low < 0:
        row = int(np.argmin(y)) + first_row
        raise ValueError(f"{fname}: {what} has class label {low} at row {row}; labels must "
                         f"be >= 0")
    if high >= max(len(y), 2):
        row = int(np.argmax(y)) + first_row
        raise ValueError(
            f"{fname}: {what} has class label {high} at row {row}, but only {len(y)} samples; "
            f"labels must be 0..K-1 with K at most the number of samples (for a quantity to "
            f"predict, write the column as decimals so it is read as a regression target)"
        )
    return high + 1
