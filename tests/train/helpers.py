"""Small problems and models shared by the training tests."""

import numpy as np

import chainrule as cr
from chainrule import nn


def blobs(n=200, classes=3, features=4, seed=0):
    """Well-separated Gaussian blobs: (X float32 (n, features), y int64 (n,))."""
    centers = np.random.default_rng(0).normal(0, 4, size=(classes, features))
    g = np.random.default_rng(seed + 1)
    y = g.integers(0, classes, size=n)
    X = centers[y] + g.normal(0, 1, size=(n, features))
    return X.astype(np.float32), y.astype(np.int64)


def small_mlp(features=4, classes=3, hidden=16, dropout=0.0, seed=0):
    cr.manual_seed(seed)
    layers = [nn.Linear(features, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, classes))
    return nn.Sequential(*layers)


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}
