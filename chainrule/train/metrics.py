"""Metrics on model outputs and targets: classification and regression scores.

Every metric takes ``(output, target)`` in the order of PyTorch's losses: ``output`` is
what the model returned (class scores ``(N, C)`` or ``(N, C, d1, ...)``, probabilities or
predicted labels), ``target`` the true labels or values. Both may be Tensors or arrays;
the result is a Python float (``confusion_matrix``: an int array).

>>> accuracy(model(X), y)          # scores (N, C) and labels (N,)
0.975
>>> fit(model, loss, opt, (X, y), metrics=["accuracy", "f1"])

Names usable in ``fit(metrics=[...])``: accuracy (acc), top_k_accuracy (top5_accuracy),
precision, recall, f1, mae, mse, rmse, r2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..backend import as_numpy
from ..tensor import Tensor

__all__ = [
    "METRICS", "accuracy", "confusion_matrix", "f1", "f1_score", "get_metric", "mae", "mse",
    "precision", "r2", "r2_score", "recall", "rmse", "top_k_accuracy",
]  # fmt: skip


def _array(x, fname: str, what: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return as_numpy(x.array)
    try:
        return as_numpy(x) if hasattr(x, "__cuda_array_interface__") else np.asarray(x)
    except Exception:
        raise TypeError(f"{fname}: {what} must be a Tensor or an array, got {type(x).__name__}")\
            from None


def _labels(output, target, fname: str, threshold: float = 0.5):
    """Predicted and true labels as flat int arrays of the same length."""
    out = _array(output, fname, "output")
    y = _array(target, fname, "target")
    if out.ndim >= 2 and out.shape[1] > 1 and out.ndim == y.ndim + 1:
        pred = out.argmax(axis=1)  # class scores: (N, C) or (N, C, d1, ...)
    elif out.dtype.kind == "f":
        # one probability per sample (binary): (N,) or (N, 1)
        pred = (out > threshold).astype(np.int64)
    else:
        pred = out
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"{fname}: target holds non-integer values; expected class labels")
        y = y.astype(np.int64)
    pred, y = pred.reshape(-1), y.reshape(-1)
    if pred.shape != y.shape:
        raise ValueError(
            f"{fname}: output of shape {out.shape} gives {pred.size} predictions but target of "
            f"shape {_array(target, fname, 'target').shape} has {y.size} labels"
        )
    if y.size == 0:
        raise ValueError(f"{fname}: got no samples")
    return pred.astype(np.int64), y.astype(np.int64)


def accuracy(output, target, threshold: float = 0.5) -> float:
    """Fraction of samples whose predicted class (argmax of scores) equals the target.

    A single score per sample is a probability of class 1, cut at ``threshold``
    (use ``threshold=0`` for logits).
    """
    pred, y = _labels(output, target, "accuracy", threshold)
    return float(np.mean(pred == y))


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"top_k_accuracy: k must be a positive int, got {k!r}")
    out = _array(output, "top_k_accuracy", "output")
    y = _array(target, "top_k_accuracy", "target").astype(np.int64)
    if out.ndim < 2 or out.ndim != y.ndim + 1:
        raise ValueError(
            f"top_k_accuracy: output must be class scores (N, C, ...) for targets {y.shape}, "
            f"got shape {out.shape}"
        )
    scores = np.moveaxis(out, 1, -1).reshape(-1, out.shape[1])
    y = y.reshape(-1)
    if scores.shape[0] != y.size:
        raise ValueError(f"top_k_accuracy: output {out.shape} does not match target {y.shape}")
    if k >= scores.shape[1]:
        return 1.0
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float(np.mean(np.any(top == y[:, None], axis=1)))


def confusion_matrix(output, target, num_classes: int | None = None) -> np.ndarray:
    """Counts ``M[i, j]`` of samples of true class ``i`` predicted as class ``j``."""
    pred, y = _labels(output, target, "confusion_matrix")
    if pred.min() < 0 or y.min() < 0:
        raise ValueError("confusion_matrix: labels must be non-negative")
    n = int(max(pred.max(), y.max())) + 1
    if num_classes is not None:
        if n > num_classes:
            raise ValueError(
                f"confusion_matrix: found label {n - 1} but num_classes={num_classes}"
            )
        n = num_classes
    return np.bincount(y * n + pred, minlength=n * n).reshape(n, n)


def _per_class(output, target, fname: str):
    pred, y = _labels(output, target, fname)
    classes = np.union1d(pred, y)  # scikit-learn's macro average: labels seen in either
    tp = np.array([np.sum((pred == c) & (y == c)) for c in classes], dtype=np.float64)
    n_pred = np.array([np.sum(pred == c) for c in classes], dtype=np.float64)
    n_true = np.array([np.sum(y == c) for c in classes], dtype=np.float64)
    return tp, n_pred, n_true


def _ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)  # 0 where undefined, as sklearn


def precision(output, target) -> float:
    """Macro-averaged precision: mean over classes of TP / (TP + FP)."""
    tp, n_pred, _ = _per_class(output, target, "precision")
    return float(np.mean(_ratio(tp, n_pred)))


def recall(output, target) -> float:
    """Macro-averaged recall: mean over classes of TP / (TP + FN)."""
    tp, _, n_true = _per_class(output, target, "recall")
    return float(np.mean(_ratio(tp, n_true)))


def f1(output, target) -> float:
    """Macro-averaged F1: mean over classes of 2 TP / (2 TP + FP + FN)."""
    tp, n_pred, n_true = _per_class(output, target, "f1")
    return float(np.mean(_ratio(2 * tp, n_pred + n_true)))


f1_score = f1


def _values(output, target, fname: str):
    out = _array(output, fname, "output").astype(np.float64)
    y = _array(target, fname, "target").astype(np.float64)
    if out.shape != y.shape:
        if out.size == y.size:  # (N, 1) against (N,)
            out = out.reshape(y.shape)
        else:
            raise ValueError(f"{fname}: output shape {out.shape} != target shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{fname}: got no samples")
    return out, y


def mae(output, target) -> float:
    """Mean absolute error: mean |output - target|."""
    out, y = _values(output, target, "mae")
    return float(np.mean(np.abs(out - y)))


def mse(output, target) -> float:
    """Mean squared error: mean (output - target)^2."""
    out, y = _values(output, target, "mse")
    return float(np.mean((out - y) ** 2))


def rmse(output, target) -> float:
    """Root mean squared error: sqrt(mean (output - target)^2)."""
    out, y = _values(output, target, "rmse")
    return float(np.sqrt(np.mean((out - y) ** 2)))


def r2(output, target) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot, averaged over output columns."""
    out, y = _values(output, target, "r2")
    if y.ndim == 1:
        out, y = out[:, None], y[:, None]
    out, y = out.reshape(len(y), -1), y.reshape(len(y), -1)
    ss_res = np.sum((y - out) ** 2, axis=0)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    # a constant target: 1 if predicted exactly, else 0 (scikit-learn's convention)
    score = np.where(ss_tot > 0, 1 - _ratio(ss_res, ss_tot), (ss_res == 0).astype(np.float64))
    return float(np.mean(score))


r2_score = r2

#: Metrics by the names ``fit(metrics=[...])`` accepts.
METRICS: dict[str, Callable] = {
    "accuracy": accuracy, "acc": accuracy, "top_k_accuracy": top_k_accuracy,
    "top5_accuracy": top_k_accuracy, "precision": precision, "recall": recall, "f1": f1,
    "mae": mae, "mse": mse, "rmse": rmse, "r2": r2,
}  # fmt: skip


def get_metric(metric: str | Callable) -> tuple[str, Callable]:
    """``(name, function)`` for a metric name or a callable ``f(output, target) -> float``."""
    if isinstance(metric, str):
        if metric == "confusion_matrix":
            raise ValueError(
                "metrics: 'confusion_matrix' is a matrix, not a score; call "
                "chainrule.train.metrics.confusion_matrix on predict()'s output instead"
            )
        if metric not in METRICS:
            raise ValueError(
                f"metrics: unknown metric {metric!r}; choose from {sorted(METRICS)} or pass a "
                f"function f(output, target) -> float"
            )
        name = "accuracy" if metric == "acc" else metric
        return name, METRICS[metric]
    if callable(metric):
        name = getattr(metric, "__name__", None) or type(metric).__name__
        return name, metric
    raise TypeError(f"metrics: each metric must be a name or a callable, got {metric!r}")
