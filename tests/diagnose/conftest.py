"""Small data and the classic gradient-flow cases shared by the diagnose tests."""

import functools

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


@functools.lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data[:256] / 16).astype(np.float32)
    return X, d.target[:256].astype(np.int64)


@pytest.fixture
def digits():
    """256 of scikit-learn's digits, scaled to [0, 1]: X (256, 64) float32, y (256,) int64."""
    X, y = _digits()
    return X.copy(), y.copy()


def mlp(act, init=None, depth=10, width=32, bias=0.0, seed=0):
    """depth x (Linear -> act) and a linear head on 64 features, 10 classes."""
    cr.manual_seed(seed)
    layers, n = [], 64
    for _ in range(depth):
        lin = nn.Linear(n, width)
        if init == "small":
            nn.init.normal_(lin.weight, 0.0, 0.05)
        elif init == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        if init is not None:
            nn.init.constant_(lin.bias, bias)
        layers += [lin, act()]
        n = width
    layers.append(nn.Linear(n, 10))
    return nn.Sequential(*layers)
