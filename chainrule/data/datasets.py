"""Small real datasets that need no download (CSV files: ``tabular``)."""

from __future__ import annotations

import functools
import math
import random as _pyrandom

import numpy as np

from .tabular import load_csv  # re-exported: chainrule.data.datasets.load_csv stays valid

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
