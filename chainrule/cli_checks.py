"""Checks the ``chainrule`` command makes before it allocates or trusts anything.

A checkpoint's embedded config is checked against its own weights before a model is
built from it (a 400-byte file must not be able to ask for a million-wide layer); input
files for ``predict`` are matched to the training columns by name and refused when they
hold NaN or infinite values.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from .data.tabular import _is_number, encode_columns, feature_names, short_lines
from .data.validate import check_finite

__all__ = ["check_config", "read_inputs"]


class ConfigError(ValueError):
    """A checkpoint's config is missing, malformed, or does not match its weights."""


def _positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def check_config(config, state: dict | None, where: str) -> dict:
    """``config`` checked field by field and, when ``state`` (the weights) is given, against
    the weights' sizes: a config that asks for more than the weights hold is refused before
    any model is built."""
    from .models import MODELS, parameter_count

    if not isinstance(config, dict):
        raise ConfigError(f"{where}: the config must be a JSON object, got "
                          f"{type(config).__name__}")
    model = config.get("model")
    if model not in MODELS:
        raise ConfigError(f"{where}: config 'model' must be one of {sorted(MODELS)}, got "
                          f"{model!r}")
    shape = config.get("input_shape")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 3 or \
            not all(_positive_int(s) for s in shape):
        raise ConfigError(f"{where}: config 'input_shape' must be a list of 1 to 3 positive "
                          f"ints, got {str(shape)[:80]}")
    classes = config.get("num_classes")
    if not _positive_int(classes):
        raise ConfigError(f"{where}: config 'num_classes' must be a positive int, got "
                          f"{str(classes)[:80]}")
    if config.get("task", "classification") not in ("classification", "regression"):
        raise ConfigError(f"{where}: config 'task' must be 'classification' or 'regression', "
                          f"got {config.get('task')!r}")
    _check_csv_fields(config, where)
    if state is None:
        return config
    if not isinstance(state, dict) or not state:
        raise ConfigError(f"{where}: the checkpoint holds no model weights")
    sizes = {k: tuple(getattr(v, "shape", ())) for k, v in state.items()}
    total = sum(math.prod(s) for s in sizes.values())
    # Every input value and every class reaches at least one weight in these models.
    for name, need in (("input_shape", math.prod(shape)), ("num_classes", classes)):
        if need > total:
            raise ConfigError(f"{where}: config '{name}' asks for {need} values but the "
                              f"weights hold only {total} numbers in all")
    head = _head_bias(sizes)
    if head is not None and sizes[head][:1] != (classes,):
        raise ConfigError(f"{where}: config 'num_classes' is {classes} but the weights' last "
                          f"layer {head} has shape {sizes[head]}")
    first = sizes.get("1.weight") if model == "mlp" else None
    if first is not None and len(first) == 2 and first[1] != math.prod(shape):
        raise ConfigError(f"{where}: config 'input_shape' {shape} has {math.prod(shape)} "
                          f"values but the first layer takes {first[1]}")
    try:
        wanted = parameter_count(model, shape, classes)
    except ValueError as e:
        raise ConfigError(f"{where}: config does not describe a model: {e}") from None
    # More than the weights hold would allocate what the file does not justify; fewer is
    # cheap, and building the model then names the mismatched keys.
    if wanted > total:
        raise ConfigError(f"{where}: config {{'model': {model!r}, 'input_shape': {shape}, "
                          f"'num_classes': {classes}}} describes {wanted} parameters but the "
                          f"weights hold {total}")
    return config


#: Longest column, class or category name a config may hold (a crafted checkpoint must
#: not carry megabyte-long names into every line that prints them).
MAX_NAME = 1000


def _names(v, what: str, where: str, limit: int) -> list[str]:
    """``v`` checked as a non-empty list of at most ``limit`` distinct short strings."""
    if not isinstance(v, list) or not 1 <= len(v) <= limit or \
            not all(isinstance(s, str) and len(s) <= MAX_NAME for s in v):
        raise ConfigError(f"{where}: config {what} must be a list of 1 to {limit} strings of "
                          f"at most {MAX_NAME} characters, got {str(v)[:80]}")
    if len(set(v)) != len(v):
        raise ConfigError(f"{where}: config {what} repeats a name: {str(v)[:80]}")
    return v


def _check_csv_fields(config: dict, where: str) -> None:
    """The CSV fields: ``columns`` (the file's feature columns), ``classes`` (the names of
    a text target's classes) and ``categories`` (each text column's one-hot values). Their
    sizes are tied to ``input_shape`` and ``num_classes``, which the weights bound."""
    width = math.prod(config["input_shape"])
    columns = config.get("columns")
    if columns is not None:
        _names(columns, "'columns'", where, width)
    classes = config.get("classes")
    if classes is not None:
        _names(classes, "'classes'", where, config["num_classes"])
        if len(classes) != config["num_classes"] or \
                config.get("task", "classification") != "classification":
            raise ConfigError(f"{where}: config 'classes' names {len(classes)} classes but "
                              f"the model is a {config.get('task', 'classification')} model "
                              f"with num_classes {config['num_classes']}")
    categories = config.get("categories")
    if categories is None:
        return
    if not isinstance(categories, dict) or columns is None:
        raise ConfigError(f"{where}: config 'categories' must be a dict of column -> values, "
                          f"beside 'columns'; got {str(categories)[:80]}")
    for col, values in categories.items():
        if col not in columns:
            raise ConfigError(f"{where}: config 'categories' names {col!r}, which is not one "
                              f"of the config's columns")
        _names(values, f"'categories'[{col!r}]", where, width)
    encoded = sum(len(categories[c]) if c in categories else 1 for c in columns)
    if encoded != width:
        raise ConfigError(f"{where}: config 'columns' and 'categories' encode {encoded} "
                          f"inputs but 'input_shape' {config['input_shape']} has {width}")


def _head_bias(sizes: dict) -> str | None:
    """The bias of the model's last layer: ``fc.bias``, or the highest-numbered ``N.bias``."""
    if "fc.bias" in sizes:
        return "fc.bias"
    numbered = [k for k in sizes if k.endswith(".bias") and k.split(".")[0].isdigit()
                and k.count(".") == 1]
    return max(numbered, key=lambda k: int(k.split(".")[0])) if numbered else None


def read_inputs(path: str, config: dict) -> np.ndarray:
    """The samples of a ``predict`` input file (.csv or .npy), as float64.

    A CSV file with a header is matched to the training columns by name (in any order;
    the label column is dropped; a missing or unknown column is an error); without a
    header, columns are taken in the training order. NaN or infinite values are refused
    with the file, row and column.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such input file: {path}")
    if p.suffix == ".npy":
        try:
            X = np.load(p, allow_pickle=False)
        except ValueError as e:
            raise ValueError(f"{path} is not a readable .npy array ({e})") from None
        if X.dtype.kind not in "iuf":
            raise ValueError(f"{path} holds {X.dtype} values; expected numbers")
        if X.ndim == 0:
            raise ValueError(f"{path} holds a single number; expected one sample per row")
        check_finite(X, "predict", path)
        return X
    if p.suffix != ".csv":
        raise ValueError(f"INPUT must be a .csv or .npy file, got {path}")
    try:
        with open(p, newline="", encoding="utf-8") as f:
            width = f.readline().count(",") + 1
            f.seek(0)
            lines = short_lines(f, path, ",", width, fname=None, first=1)
            rows = [(i, r) for i, r in enumerate(csv.reader(lines), start=1)
                    if r and any(c.strip() for c in r)]
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not a UTF-8 text file (byte {e.start}: {e.reason})") \
            from None
    if not rows:
        raise ValueError(f"{path} holds no samples")
    first = [c.strip() for c in rows[0][1]]
    columns = config.get("columns")
    vocab = config.get("categories") or {}
    header = None if _is_sample(first, columns, config.get("target"), vocab) else first
    order = None
    if header is not None:
        rows = rows[1:]
        if columns is not None:
            order = _match_columns(path, header, columns, config.get("target"))
        elif config.get("target") in header:  # an older checkpoint: by position
            order = [i for i, h in enumerate(header) if h != config["target"]]
    if not rows:
        raise ValueError(f"{path} has a header but no samples")
    cells, lines = [], []
    for line, row in rows:
        if header is not None and len(row) != len(header):
            raise ValueError(f"{path} line {line} has {len(row)} fields, the header has "
                             f"{len(header)}")
        if order is not None:
            row = [row[i] for i in order]
        cells.append([c.strip() for c in row])
        lines.append(line)
    widths = sorted({len(r) for r in cells})
    if len(widths) > 1:
        raise ValueError(f"{path}: rows have different numbers of values {widths}")
    if order is not None:
        names = [header[i] for i in order]
    elif header is not None:
        names = header
    elif columns is not None and len(columns) == widths[0]:
        names = columns  # no header: the training columns, in their order
    else:
        names = [str(i) for i in range(widths[0])]
    # The training encoding: each text column one-hot over the categories it had then.
    used = vocab if names == columns else {}
    X = encode_columns(list(zip(*cells)), lines, names, used, path)
    check_finite(X, "predict", path, feature_names(names, used), first_row=1)
    return X


def _is_sample(row: list[str], columns, target, vocab: dict) -> bool:
    """Whether a CSV file's first row is a sample rather than a header: all numbers, or,
    for a model with text columns, a row as wide as the training columns that names none
    of them (so that an unseen category in it is reported as such)."""
    if not vocab or columns is None or len(row) != len(columns):
        return all(_is_number(c) for c in row)
    return not any(c in columns or c == target for c in row)


def _match_columns(path: str, header: list[str], columns: list[str], target) -> list[int]:
    """Indices of ``header`` that give the training ``columns`` in their order."""
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns and h != target]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"unknown columns {extra}")
        raise ValueError(f"{path}: {'; '.join(parts)}; the model was trained on columns "
                         f"{columns}")
    return [header.index(c) for c in columns]


