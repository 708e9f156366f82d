"""The playground's datasets and input features, after TensorFlow Playground's ``dataset.ts``.

Points lie in the square [-6, 6]^2. Classification labels are class indices 0..K-1 (for
two classes, TF Playground's -1/+1 become 0/1); regression targets lie in [-1, 1].
``noise`` is a fraction in [0, 0.5], as the page's 0-50 % slider.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math

import numpy as np

DOMAIN = 6.0  # the plotted square is [-DOMAIN, DOMAIN]^2
N_CLASSIFY = 500  # TF Playground's sample counts
N_REGRESS = 1200

#: name -> (the feature as a NumPy expression of the raw coordinates x, y; its label).
#: x and y are the raw coordinates, as in TF Playground (with inputs squeezed into [-1, 1]
#: a 4-2 tanh network at lr 0.03 reached 55-85 % on XOR in 100 epochs, unscaled 95-100 %);
#: the products are divided by 6 to span the same range, and sin takes the raw coordinate.
#: The exported Python code uses the same expressions.
FEATURES = {
    "x": ("x", "x"),
    "y": ("y", "y"),
    "x2": ("x ** 2 / 6", "x²"),
    "y2": ("y ** 2 / 6", "y²"),
    "xy": ("x * y / 6", "xy"),
    "sinx": ("np.sin(x)", "sin x"),
    "siny": ("np.sin(y)", "sin y"),
}


def features(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The input features ``names`` of ``points`` (n, 2), as a float32 array (n, len(names))."""
    env = {"x": points[:, 0].astype(np.float64), "y": points[:, 1].astype(np.float64),
           "np": np}
    # the expressions are the fixed strings above, never user input
    return np.stack([eval(FEATURES[n][0], {"__builtins__": {}}, env) for n in names],
                    axis=1).astype(np.float32)


def grid(n: int) -> np.ndarray:
    """``n * n`` points covering the square, row-major from the top-left corner (x grows
    along a row, y falls down the rows), as a heatmap is drawn."""
    c = (np.arange(n) + 0.5) / n * 2 * DOMAIN - DOMAIN
    xs, ys = np.meshgrid(c, c[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _circle(g, n, noise, classes):
    r = 5.0
    half = n // 2
    radius = np.concatenate([g.uniform(0, 0.5 * r, half), g.uniform(0.7 * r, r, n - half)])
    angle = g.uniform(0, 2 * math.pi, n)
    p = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    shifted = p + g.uniform(-r, r, (n, 2)) * noise
    return p, (np.hypot(shifted[:, 0], shifted[:, 1]) < 0.5 * r).astype(np.int64)


def _xor(g, n, noise, classes):
    p = g.uniform(-5, 5, (n, 2))
    p += np.where(p > 0, 0.3, -0.3)  # keep the points off the axes
    shifted = p + g.uniform(-5, 5, (n, 2)) * noise
    return p, (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)


def _gauss(g, n, noise, classes):
    std = math.sqrt(0.5 + 3.5 * noise / 0.5)  # TF's variance, lerp(0.5, 4, noise)
    half = n // 2
    labels = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    centres = np.where(labels[:, None] == 1, 2.0, -2.0)
    return centres + g.normal(0, std, (n, 2)), labels


def _spiral_arms(g, n, noise, k):
    """``k`` interleaved spiral arms, arm j starting at angle 2 pi j / k."""
    labels = np.arange(n) % k
    i = np.arange(n) // k
    m = math.ceil(n / k)
    r = i / m * 5
    t = 1.75 * i / m * 2 * math.pi + 2 * math.pi * labels / k
    p = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + g.uniform(-1, 1, (n, 2)) * noise
    return p, labels.astype(np.int64)


def _spiral(g, n, noise, classes):
    p, labels = _spiral_arms(g, n, noise, 2)
    return p, 1 - labels  # TF's first arm is the positive (blue) class


def _blobs(g, n, noise, classes):
    """``classes`` Gaussian clusters on a circle of radius 3.5."""
    labels = np.arange(n) % classes
    angle = 2 * math.pi * labels / classes + math.pi / 2
    centres = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    std = math.sqrt(0.3 + 2.7 * noise / 0.5)
    return centres + g.normal(0, std, (n, 2)), labels.astype(np.int64)


def _spirals(g, n, noise, classes):
    return _spiral_arms(g, n, noise, classes)


def _plane(g, n, noise, classes):
    p = g.uniform(-DOMAIN, DOMAIN, (n, 2))
    shifted = p + g.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    return p, np.clip((shifted[:, 0] + shifted[:, 1]) / (2 * DOMAIN), -1, 1).astype(np.float32)


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _reg_gauss(g, n, noise, classes):
    p = g.uniform(-DOMAIN, DOMAIN, (n, 2))
    shifted = p + g.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    d = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    bumps = _BUMPS[:, 2] * np.clip(1 - d / 2, 0, 1)  # each bump falls to 0 at distance 2
    strongest = np.abs(bumps).argmax(axis=1)
    return p, bumps[np.arange(n), strongest].astype(np.float32)


#: name -> (generator, task, sample count, whether ``classes`` applies)
DATASETS = {
    "circle": (_circle, "classification", N_CLASSIFY, False),
    "xor": (_xor, "classification", N_CLASSIFY, False),
    "gauss": (_gauss, "classification", N_CLASSIFY, False),
    "spiral": (_spiral, "classification", N_CLASSIFY, False),
    "blobs": (_blobs, "classification", N_CLASSIFY, True),
    "spirals": (_spirals, "classification", 3 * N_CLASSIFY // 2, True),
    "plane": (_plane, "regression", N_REGRESS, False),
    "reg-gauss": (_reg_gauss, "regression", N_REGRESS, False),
}


def generate(name: str, noise: float, seed: int, classes: int = 2):
    """``(points, labels)`` of the dataset ``name``, drawn with ``seed``."""
    make, _, n, _ = DATASETS[name]
    return make(np.random.default_rng(seed), n, noise, classes)


def split(n: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test points: a seeded shuffle cut at ``train_fraction``."""
    order = np.random.default_rng(seed + 1).permutation(n)
    n_train = min(n - 1, max(1, round(n * train_fraction)))
    return order[:n_train], order[n_train:]


# -- uploaded CSV ----------------------------------------------------------------------

MAX_CSV_ROWS = 5000
MAX_CLASSES = 8


class CSVError(ValueError):
    """An uploaded CSV the playground cannot use; the message says why."""


def parse_csv(text: str) -> dict:
    """An uploaded CSV as a dataset: the first two columns are the coordinates, the last the
    label (integers: class indices 0..7; any other number: a regression target).

    Coordinates are centred and scaled into the plotted square; regression targets are
    scaled into [-1, 1]. Returns ``{"id", "points", "labels", "task", "classes", "rows"}``;
    the id is a hash of the content, so the same file gets the same id.
    """
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # a header
    if len(rows) < 4:
        raise CSVError(f"upload: the CSV needs at least 4 data rows, got {len(rows)}")
    if len(rows) > MAX_CSV_ROWS:
        raise CSVError(f"upload: at most {MAX_CSV_ROWS} rows, got {len(rows)}")
    widths = {len(r) for r in rows}
    if min(widths) < 3:
        raise CSVError("upload: each row needs x, y and a label (3 columns), found a row with "
                       f"{min(widths)}")
    try:
        table = np.array([[float(r[0]), float(r[1]), float(r[-1])] for r in rows])
    except ValueError as e:
        raise CSVError(f"upload: every x, y and label must be a number ({e})") from None
    if not np.isfinite(table).all():
        raise CSVError("upload: the CSV holds NaN or infinite values")
    p, y = table[:, :2], table[:, 2]
    p = p - (p.max(axis=0) + p.min(axis=0)) / 2
    span = np.abs(p).max(axis=0)
    p = p / np.where(span > 0, span, 1) * (DOMAIN - 0.5)
    if np.all(y == np.round(y)) and y.min() >= 0:
        classes = int(y.max()) + 1
        if classes > MAX_CLASSES:
            raise CSVError(f"upload: integer labels are classes 0..{MAX_CLASSES - 1}; found "
                           f"{classes - 1} (write the label with a decimal point for a "
                           f"regression target)")
        task, labels = "classification", y.astype(np.int64)
        classes = max(classes, 2)
    else:
        task, classes = "regression", 1
        lo, hi = y.min(), y.max()
        labels = ((y - lo) / (hi - lo) * 2 - 1 if hi > lo else y * 0).astype(np.float32)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return {"id": digest, "points": p, "labels": labels, "task": task, "classes": classes,
            "rows": len(rows)}


def _numeric(row) -> bool:
    try:
        [float(c) for c in row]
    except ValueError:
        return False
    return True
