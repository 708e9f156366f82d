"""Metrics against hand-computed values (and scikit-learn where installed)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.train import metrics as M

SCORES = np.array([[2.0, 1.0, 0.1], [0.1, 3.0, 0.2], [0.3, 0.2, 0.1], [0.0, 0.1, 5.0],
                   [1.0, 2.0, 0.0]])
LABELS = np.array([0, 1, 2, 2, 0])  # predictions are 0, 1, 0, 2, 1


def test_accuracy_from_scores_labels_tensors_and_probabilities():
    assert M.accuracy(SCORES, LABELS) == pytest.approx(3 / 5)
    assert M.accuracy(cr.tensor(SCORES), cr.tensor(LABELS)) == pytest.approx(3 / 5)
    assert M.accuracy(np.array([0, 1, 0, 2, 1]), LABELS) == pytest.approx(3 / 5)
    # one probability per sample, (N, 1) against (N,) or (N, 1) float targets
    assert M.accuracy(np.array([[0.9], [0.2], [0.6]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert M.accuracy(np.array([0.9, 0.2]), np.array([[1.0], [1.0]])) == pytest.approx(1 / 2)
    # logits need threshold 0
    assert M.accuracy(np.array([-0.3, 0.2]), np.array([0, 1]), threshold=0.0) == 1.0
    # per-position scores (N, C, T) against (N, T)
    seq = np.moveaxis(np.stack([SCORES, SCORES]), 0, -1)  # (5, 3, 2)
    assert M.accuracy(seq, np.stack([LABELS, LABELS], 1)) == pytest.approx(3 / 5)


def test_top_k_accuracy():
    assert M.top_k_accuracy(SCORES, LABELS, k=1) == pytest.approx(3 / 5)
    # sample 2 (label 2) has the lowest score for 2; sample 4 (label 0) second best
    assert M.top_k_accuracy(SCORES, LABELS, k=2) == pytest.approx(4 / 5)
    assert M.top_k_accuracy(SCORES, LABELS, k=3) == 1.0
    with pytest.raises(ValueError, match="k must be a positive int"):
        M.top_k_accuracy(SCORES, LABELS, k=0)


def test_precision_recall_f1_confusion_by_hand():
    # class 0: tp 1, predicted 2, true 2; class 1: tp 1, pred 2, true 1; class 2: tp 1, 1, 2
    assert M.precision(SCORES, LABELS) == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert M.recall(SCORES, LABELS) == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert M.f1(SCORES, LABELS) == pytest.approx((2 / 4 + 2 / 3 + 2 / 3) / 3)
    cm = M.confusion_matrix(SCORES, LABELS)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    assert M.confusion_matrix(SCORES, LABELS, num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="num_classes=2"):
        M.confusion_matrix(SCORES, LABELS, num_classes=2)


def test_classification_metrics_match_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    g = np.random.default_rng(0)
    scores, y = g.normal(size=(300, 5)), g.integers(0, 5, 300)
    pred = scores.argmax(1)
    assert M.precision(scores, y) == pytest.approx(sk.precision_score(y, pred, average="macro"))
    assert M.recall(scores, y) == pytest.approx(sk.recall_score(y, pred, average="macro"))
    assert M.f1(scores, y) == pytest.approx(sk.f1_score(y, pred, average="macro"))
    np.testing.assert_array_equal(M.confusion_matrix(scores, y), sk.confusion_matrix(y, pred))
    assert M.top_k_accuracy(scores, y, k=2) == pytest.approx(
        sk.top_k_accuracy_score(y, scores, k=2))


def test_regression_metrics():
    out, y = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    assert M.mae(out, y) == pytest.approx(1.0)
    assert M.mse(out, y) == pytest.approx(5 / 3)
    assert M.rmse(out, y) == pytest.approx(np.sqrt(5 / 3))
    assert M.r2(out, y) == pytest.approx(1 - 5 / 2)  # SS_tot = 0 + 1 + 1 around mean 2
    assert M.r2(out[:, None], y) == pytest.approx(1 - 5 / 2)  # (N, 1) output
    assert M.r2(y, y) == 1.0
    assert M.r2(np.ones(3), np.ones(3)) == 1.0  # constant target predicted exactly


def test_errors_name_the_metric():
    with pytest.raises(ValueError, match="accuracy: output of shape"):
        M.accuracy(np.zeros((4, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="non-integer"):
        M.accuracy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="mae: output shape"):
        M.mae(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get_metric("acuracy")
    with pytest.raises(ValueError, match="confusion_matrix' is a matrix"):
        M.get_metric("confusion_matrix")
    assert M.get_metric("acc")[0] == "accuracy"
