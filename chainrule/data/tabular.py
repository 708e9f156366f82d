"""CSV files with a header as arrays: numbers as float32, text columns one-hot encoded, a
text target column as class ids with their names.

A column is *text* when none of its values is a number, *numeric* when all are; a column
that mixes the two is an error naming the first value that is not a number (a typo in a
numeric column must not silently turn it into categories). ``categories=`` (or
``classes=`` for the target) reads a column as text whatever it holds.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["encode_columns", "feature_names", "load_csv"]

#: Distinct values a text feature column may hold by default: a column with more is
#: usually an identifier, whose one-hot block would be as wide as the file is long.
MAX_CATEGORIES = 1000


def load_csv(
    path: str | os.PathLike,
    target: str,
    delimiter: str = ",",
    target_dtype=None,
    return_columns: bool = False,
    allow_nonfinite: bool = False,
    *,
    classes: Sequence[str] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    return_classes: bool = False,
    return_categories: bool = False,
    max_categories: int = MAX_CATEGORIES,
) -> tuple:
    """A CSV file with a header row: features X float32 (N, F) and the ``target`` column y.

    - A numeric target is int64 when every value is a whole number (class ids), else
      float32; ``target_dtype`` overrides this.
    - A text target (e.g. ``setosa``) holds class labels: ``classes`` are its sorted
      unique values and y is int64 indices into them. Pass ``classes=`` (e.g. those of a
      training file) to use that list instead; a label outside it is an error.
    - A text feature column is one-hot encoded in place: its values, sorted, are its
      *categories*, and it becomes one 0/1 column per category, in that order (see
      ``feature_names``). Pass ``categories={column: [values]}`` to apply a training
      file's encoding; a value outside it is an error naming the file, line, column and
      value (as scikit-learn's ``OneHotEncoder`` does by default: an all-zero row would
      feed the model an input it never saw, silently). A column with more than
      ``max_categories`` distinct values is refused (an identifier, not a category).

    Blank lines are skipped; an empty cell, a value that is not a number in a numeric
    column, and a NaN or infinite value (unless ``allow_nonfinite``) are errors naming the
    line and column.

    Returns ``(X, y)``, followed, in this order, by ``columns`` (the file's feature column
    names) when ``return_columns``, ``classes`` (a list of str, or None for a numeric
    target) when ``return_classes``, and ``categories`` (a dict: text column -> list of
    its values; empty when there is none) when ``return_categories``.

    >>> X, y, classes = load_csv("iris.csv", target="species", return_classes=True)
    >>> classes
    ['setosa', 'versicolor', 'virginica']
    """
    path = Path(path)
    if not (isinstance(max_categories, int) and max_categories >= 1):
        raise ValueError(f"load_csv: max_categories must be a positive int, got "
                         f"{max_categories!r}")
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise FileNotFoundError(f"load_csv: cannot open {path}: {e.strerror}") from None
    try:
        with f:
            header, lines, rows = _read_rows(f, path, delimiter, target)
    except UnicodeDecodeError as e:
        raise ValueError(f"load_csv: {path} is not a UTF-8 text file (byte {e.start}: "
                         f"{e.reason}); is it a binary file?") from None
    t = header.index(target)
    columns = [h for i, h in enumerate(header) if i != t]
    where = f"load_csv: {path}"
    given = _check_vocabulary(categories, columns, target, path)
    by_column = list(zip(*rows))
    labels = by_column.pop(t)
    vocab, parsed = {}, {}  # text columns' categories; numeric columns' numbers
    for j, (col, values) in enumerate(zip(columns, by_column)):
        numbers = None if col in given else _numbers(values)  # float() skips blanks
        if numbers is not None:
            parsed[col] = numbers
            continue
        # cells keep their blanks until here: stripping every number costs a third more
        by_column[j] = values = [v.strip() for v in values]
        if col in given:
            vocab[col] = given[col]
        elif _is_text(values, lines, col, where):
            vocab[col] = _vocabulary(values, col, where, max_categories)
    X = encode_columns(by_column, lines, columns, vocab, where, allow_nonfinite, parsed=parsed)
    if classes is not None or _numbers(labels) is None:
        labels = [v.strip() for v in labels]
    if classes is not None:
        classes = _unique_strings(classes, "load_csv: classes")
    elif _numbers(labels) is None and _is_text(labels, lines, target, where):
        classes = sorted(set(labels) - {""})  # an empty label is reported with its line
    if classes is not None:
        y = encode_columns([labels], lines, [target], {target: classes}, where, index=True)
        y = y[:, 0].astype(np.int64 if target_dtype is None else target_dtype)
    else:
        y = encode_columns([labels], lines, [target], {}, where, allow_nonfinite)[:, 0]
        if target_dtype is None:
            # whole numbers are class labels, as long as int64 holds them exactly
            whole = np.all(np.isfinite(y)) and np.all(y == np.round(y)) and \
                np.all(np.abs(y) < 2**53)
            target_dtype = np.int64 if whole else np.float32
        y = y.astype(target_dtype)
    with np.errstate(over="ignore"):  # an overflow to inf is reported just below
        X = X.astype(np.float32)
    if not allow_nonfinite:  # a finite float64 can still overflow float32
        from .validate import check_finite

        check_finite(X, "load_csv", str(path), feature_names(columns, vocab), first_row=1)
    out = (X, y)
    if return_columns:
        out += (columns,)
    if return_classes:
        out += (classes,)
    if return_categories:
        out += (vocab,)
    return out


def feature_names(columns: Sequence[str], categories: Mapping[str, Sequence[str]]) -> list[str]:
    """The names of X's columns: a numeric column's own name, and ``column=value`` for each
    one-hot column of a text column.

    >>> feature_names(["width", "color"], {"color": ["blue", "red"]})
    ['width', 'color=blue', 'color=red']
    """
    names = []
    for c in columns:
        names += [f"{c}={v}" for v in categories[c]] if c in categories else [c]
    return names


def encode_columns(
    values: Sequence[Sequence[str]],
    lines: Sequence[int],
    columns: Sequence[str],
    categories: Mapping[str, Sequence[str]],
    where: str,
    allow_nonfinite: bool = True,
    index: bool = False,
    parsed: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Text cells, one sequence per column (in ``columns`` order), as a float64 array of
    rows: a numeric column as its numbers, a column in ``categories`` one-hot over its
    values (``index=True``: the value's index instead, for class labels).

    ``lines`` are the rows' line numbers and ``where`` starts every message (e.g.
    ``load_csv: data.csv``): a value that is not a number, an empty cell, a value outside
    its column's categories and (unless ``allow_nonfinite``) a NaN or infinity are errors
    naming the line, column and value. ``parsed`` holds numeric columns' numbers where
    they are already known (telling text from numbers parses them).
    """
    n = len(lines)
    blocks = []
    for col, cells in zip(columns, values):
        if col in categories:
            position = {v: k for k, v in enumerate(categories[col])}
            ids = np.fromiter((position.get(v, -1) for v in cells), np.int64, n)
            if (ids < 0).any():
                i = int(np.argmax(ids < 0))
                _check_present(cells[i], lines[i], col, where)
                raise ValueError(
                    f"{where} line {lines[i]}, column {col!r}: {cells[i]!r} is not one of the "
                    f"column's {len(position)} categories seen in training "
                    f"({_preview(categories[col])})"
                )
            if index:
                blocks.append(ids[:, None].astype(np.float64))
            else:
                block = np.zeros((n, len(position)))
                block[np.arange(n), ids] = 1.0
                blocks.append(block)
            continue
        numbers = parsed[col] if parsed and col in parsed else _numbers(cells)
        if numbers is None:  # find the culprit, for the message
            for i, v in enumerate(cells):
                _check_present(v, lines[i], col, where)
                if not _is_number(v):
                    raise ValueError(f"{where} line {lines[i]}, column {col!r}: "
                                     f"{v.strip()!r} is not a number")
        if not allow_nonfinite and not np.isfinite(numbers).all():
            i = int(np.argmin(np.isfinite(numbers)))
            raise ValueError(
                f"{where} line {lines[i]}, column {col!r}: {cells[i].strip()!r} is not a "
                f"finite number (fix or drop the row, or pass allow_nonfinite=True)"
            )
        blocks.append(numbers[:, None])
    if not blocks:
        return np.zeros((n, 0))
    return np.concatenate(blocks, axis=1)


def _numbers(cells: Sequence[str]) -> np.ndarray | None:
    """The cells as float64, or None when one is not a number (one pass, no per-cell try)."""
    try:
        return np.fromiter(map(float, cells), np.float64, len(cells))
    except ValueError:
        return None


def _check_present(v: str, line: int, col: str, where: str) -> None:
    if not v.strip():
        raise ValueError(f"{where} line {line}, column {col!r}: '' is not a number or a "
                         f"category (an empty cell); fill it or drop the row")


def _preview(values: Sequence[str], n: int = 10) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:n])
    return shown + (f", ... {len(values) - n} more" if len(values) > n else "")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_text(values: Sequence[str], lines: Sequence[int], col: str, where: str) -> bool:
    """Whether a column holds text (no value is a number); a mix of numbers and text is an
    error naming the first value that is not a number."""
    kinds = [_is_number(v) for v in values if v != ""]
    if not kinds or all(kinds):
        return False
    if not any(kinds):
        return True
    # A mix: report the first value that is not a number, with a number it sits beside.
    i = next(i for i, v in enumerate(values) if v != "" and not _is_number(v))
    k = next(k for k, v in enumerate(values) if v != "" and _is_number(v))
    raise ValueError(
        f"{where} line {lines[i]}, column {col!r}: {values[i]!r} is not a number, but line "
        f"{lines[k]} holds the number {values[k]!r}; a column is either all numbers or all "
        f"text (categories); to read it as categories pass categories={{{col!r}: [...]}}"
    )


def _vocabulary(values: Iterable[str], col: str, where: str, limit: int) -> list[str]:
    vocab = sorted(set(values))
    if "" in vocab:
        vocab.remove("")  # an empty cell is reported by encode_columns, with its line
    if len(vocab) > limit:
        raise ValueError(
            f"{where}: text column {col!r} has {len(vocab)} distinct values, more than "
            f"max_categories={limit}; is it an identifier? drop it, or raise max_categories"
        )
    return vocab


def _unique_strings(values, what: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence) or \
            not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what} must be a list of strings, got {str(values)[:80]}")
    if len(set(values)) != len(values) or not values:
        raise ValueError(f"{what} must be a non-empty list of distinct strings, got "
                         f"{_preview(values)}")
    return list(values)


def _check_vocabulary(categories, columns: list[str], target: str, path) -> dict:
    if categories is None:
        return {}
    if not isinstance(categories, Mapping):
        raise ValueError(f"load_csv: categories must be a dict of column -> list of values, "
                         f"got {type(categories).__name__}")
    out = {}
    for col, values in categories.items():
        if col not in columns:
            kind = "the target" if col == target else "not a column of"
            raise ValueError(f"load_csv: categories names column {col!r}, {kind} {path} "
                             f"(its feature columns are {columns})")
        out[col] = _unique_strings(values, f"load_csv: categories[{col!r}]")
    return out


def short_lines(f, path, delimiter: str, width: int, fname: str | None = "load_csv",
                first: int = 2):
    """The file's lines, refusing one with far more delimiters than a row of ``width``
    fields holds before the csv module splits it (a line of a million commas would take a
    second and a list of a million strings). The bound leaves room for quoted text values
    that hold the delimiter; the csv reader then checks the exact number of fields."""
    limit = 4 * width + 64
    for line, text in enumerate(f, start=first):
        if text.count(delimiter) >= limit:
            prefix = f"{fname}: " if fname else ""
            raise ValueError(f"{prefix}{path} line {line} has {text.count(delimiter)} "
                             f"delimiters; a row has {width} fields")
        yield text


def _read_rows(f, path, delimiter: str, target: str):
    """``(header, line numbers, rows)``: the non-blank rows as lists of cells (with their
    surrounding blanks)."""
    reader = csv.reader(f, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ValueError(f"load_csv: {path} is empty")
    header = [h.strip() for h in header]
    if target not in header:
        raise ValueError(f"load_csv: {path} has no column {target!r}; its columns are {header}")
    lines, rows = [], []
    reader = csv.reader(short_lines(f, path, delimiter, len(header)), delimiter=delimiter)
    for line, row in enumerate(reader, start=2):
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            raise ValueError(f"load_csv: {path} line {line} has {len(row)} fields, the header "
                             f"has {len(header)}")
        lines.append(line)
        rows.append(row)
    if not rows:
        raise ValueError(f"load_csv: {path} has a header but no data rows")
    return header, lines, rows
