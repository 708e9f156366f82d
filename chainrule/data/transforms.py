"""Transforms: scaling fitted on training data, one-hot labels, and image augmentation.

Each transform is a small callable class; ``Compose`` chains them. They take a NumPy
array or a Tensor and return the same kind. Image transforms take a batch ``(N, C, H, W)``
(each image gets its own random draw, all drawn at once), one image ``(C, H, W)`` or one
``(H, W)`` plane; reshape an ``(N, H, W)`` batch to ``(N, 1, H, W)`` first. Random
transforms take ``generator=`` (a ``cr.Generator``, an int seed, or None for the default).

>>> augment = Compose([RandomCrop(28, padding=2, generator=0), RandomRotation(10, generator=0)])
>>> xb = augment(xb)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..backend import get_array_module
from ..random import Generator, rng
from ..tensor import Tensor

__all__ = [
    "Compose",
    "GaussianNoise",
    "MinMaxScale",
    "Normalize",
    "OneHot",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomShift",
    "Standardize",
    "rotate",
]


def _unwrap(x):
    """The array inside ``x`` and a function that wraps a result like ``x`` was."""
    if isinstance(x, Tensor):
        return x.array, lambda a: Tensor._make(a, False)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x, lambda a: a
    return np.asarray(x), lambda a: a


def _float(fname: str, a):
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "iub":
        return a.astype(np.float32)
    raise TypeError(f"{fname}: expected a numeric array, got dtype {a.dtype}")


def _as_images(fname: str, a):
    """``a`` as an (N, C, H, W) batch, and how to give the result ``a``'s layout back."""
    if a.ndim == 4:
        return a, lambda b: b
    if a.ndim == 3:
        return a[None], lambda b: b[0]
    if a.ndim == 2:
        return a[None, None], lambda b: b[0, 0]
    raise ValueError(
        f"{fname}: expected images (N, C, H, W), (C, H, W) or (H, W), got shape {tuple(a.shape)}"
    )


class Compose:
    """Apply transforms one after another."""

    def __init__(self, transforms: Sequence[Callable]):
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


# -- scaling ----------------------------------------------------------------------------


class _Fitted:
    """A scaling whose statistics are fitted on training data with ``fit(x)``.

    ``axis`` names the axes the statistics are taken over and must include the sample axis
    0: ``axis=0`` per feature, ``axis=(0, 2, 3)`` per image channel, ``axis=None`` one
    global value. The fitted statistics broadcast over a batch and over one sample alike.
    """

    def __init__(self, axis: int | tuple[int, ...] | None = 0):
        self.axis = axis
        self._fitted = False

    def _axes(self, a) -> tuple[int, ...]:
        if self.axis is None:
            return tuple(range(a.ndim))
        axes = (self.axis,) if isinstance(self.axis, (int, np.integer)) else tuple(self.axis)
        try:
            axes = tuple(sorted(int(ax) % a.ndim for ax in axes))
        except (TypeError, ZeroDivisionError):
            raise ValueError(
                f"{type(self).__name__}.fit: bad axis {self.axis!r} for shape {a.shape}"
            ) from None
        if any(ax >= a.ndim for ax in axes) or 0 not in axes:
            raise ValueError(
                f"{type(self).__name__}.fit: axis {self.axis!r} must be valid for shape "
                f"{a.shape} and include the sample axis 0"
            )
        return axes

    def fit(self, x):
        """Compute the statistics from training data ``x`` (N, ...); returns ``self``."""
        a, _ = _unwrap(x)
        a = _float(f"{type(self).__name__}.fit", a)
        if a.ndim == 0 or a.shape[0] == 0:
            raise ValueError(
                f"{type(self).__name__}.fit: needs a non-empty batch, got shape {a.shape}"
            )
        axes = self._axes(a)
        # Keep the reduced axes except the sample axis, so one sample broadcasts too.
        stats = self._stats(a.astype(np.float64), axes)
        keep = (lambda v: v.reshape(())) if self.axis is None else (lambda v: v[0])
        self._set({k: keep(v) for k, v in stats.items()})
        self._fitted = True
        return self

    def fit_transform(self, x):
        """``fit(x)`` then transform ``x``."""
        return self.fit(x)(x)

    def _check(self, fname):
        if not self._fitted:
            raise RuntimeError(
                f"{type(self).__name__}.{fname}: call fit(x) on the training data first"
            )

    def __call__(self, x):
        self._check("__call__")
        a, wrap = _unwrap(x)
        a = _float(type(self).__name__, a)
        return wrap(self._apply(a, a.dtype))

    def inverse(self, x):
        """Undo the transform (for example to report predictions in the original units)."""
        self._check("inverse")
        a, wrap = _unwrap(x)
        a = _float(type(self).__name__, a)
        return wrap(self._invert(a, a.dtype))


class Standardize(_Fitted):
    """``(x - mean) / std`` with the mean and std fitted on training data.

    Features with zero spread (``std < eps``) are only centred.

    >>> scale = Standardize().fit(X_train); X_test = scale(X_test)
    """

    def __init__(self, axis: int | tuple[int, ...] | None = 0, eps: float = 1e-8):
        super().__init__(axis)
        self.eps = eps

    def _stats(self, a, axes):
        mean = a.mean(axis=axes, keepdims=True)
        std = a.std(axis=axes, keepdims=True)
        return {"mean": mean, "std": np.where(std < self.eps, 1.0, std)}

    def _set(self, stats):
        self.mean, self.std = stats["mean"], stats["std"]

    def _apply(self, a, dtype):
        xp = get_array_module(a)
        return (a - xp.asarray(self.mean, dtype)) / xp.asarray(self.std, dtype)

    def _invert(self, a, dtype):
        xp = get_array_module(a)
        return a * xp.asarray(self.std, dtype) + xp.asarray(self.mean, dtype)

    def __repr__(self) -> str:
        return f"Standardize(axis={self.axis!r})"


class MinMaxScale(_Fitted):
    """Map the training data's range onto ``feature_range`` (default [0, 1])."""

    def __init__(
        self, feature_range: tuple[float, float] = (0.0, 1.0), axis: int | tuple | None = 0
    ):
        lo, hi = feature_range
        if not lo < hi:
            raise ValueError(f"MinMaxScale: feature_range must be (low, high), got {feature_range}")
        super().__init__(axis)
        self.feature_range = (float(lo), float(hi))

    def _stats(self, a, axes):
        lo, hi = a.min(axis=axes, keepdims=True), a.max(axis=axes, keepdims=True)
        span = np.where(hi > lo, hi - lo, 1.0)
        return {"min": lo, "scale": (self.feature_range[1] - self.feature_range[0]) / span}

    def _set(self, stats):
        self.data_min, self.scale = stats["min"], stats["scale"]

    def _apply(self, a, dtype):
        xp = get_array_module(a)
        lo = xp.asarray(self.data_min, dtype)
        return (a - lo) * xp.asarray(self.scale, dtype) + dtype.type(self.feature_range[0])

    def _invert(self, a, dtype):
        xp = get_array_module(a)
        lo = xp.asarray(self.data_min, dtype)
        return (a - dtype.type(self.feature_range[0])) / xp.asarray(self.scale, dtype) + lo

    def __repr__(self) -> str:
        return f"MinMaxScale(feature_range={self.feature_range}, axis={self.axis!r})"


class Normalize:
    """``(x - mean) / std`` with given constants, per channel like torchvision's.

    ``mean`` and ``std`` are numbers or one value per channel; the channel axis is
    ``axis`` (default: -3 for images, the last axis for 1-D or 2-D data).

    >>> Normalize(0.1307, 0.3081)(xb)   # the usual MNIST constants
    """

    def __init__(self, mean, std, axis: int | None = None):
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        if self.mean.ndim > 1 or self.std.ndim > 1:
            raise ValueError(f"Normalize: mean and std must be numbers or 1-D, got {mean}, {std}")
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {std}")
        self.axis = axis

    def _shaped(self, v, a):
        if v.ndim == 0:
            return v
        ax = self.axis if self.axis is not None else (-3 if a.ndim >= 3 else -1)
        if not -a.ndim <= ax < a.ndim or a.shape[ax] != v.size:
            raise ValueError(
                f"Normalize: {v.size} values for axis {ax} of shape {tuple(a.shape)}"
            )
        shape = [1] * a.ndim
        shape[ax] = v.size
        return v.reshape(shape)

    def __call__(self, x):
        a, wrap = _unwrap(x)
        a = _float("Normalize", a)
        xp = get_array_module(a)
        mean = xp.asarray(self._shaped(self.mean, a), a.dtype)
        std = xp.asarray(self._shaped(self.std, a), a.dtype)
        return wrap((a - mean) / std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class OneHot:
    """Integer labels of any shape to one-hot vectors ``(..., num_classes)``.

    >>> OneHot(3)(np.array([0, 2]))  # [[1, 0, 0], [0, 0, 1]] as float32
    """

    def __init__(self, num_classes: int, dtype=np.float32):
        if not isinstance(num_classes, (int, np.integer)) or num_classes <= 0:
            raise ValueError(f"OneHot: num_classes must be a positive int, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.dtype = np.dtype(dtype)

    def __call__(self, y):
        a, wrap = _unwrap(y)
        if a.dtype.kind not in "iu":
            raise TypeError(f"OneHot: labels must be integers, got dtype {a.dtype}")
        xp = get_array_module(a)
        if a.size and (int(a.min()) < 0 or int(a.max()) >= self.num_classes):
            bad = int(a.min()) if int(a.min()) < 0 else int(a.max())
            raise ValueError(
                f"OneHot: label {bad} is out of range for num_classes={self.num_classes}"
            )
        return wrap(xp.eye(self.num_classes, dtype=self.dtype)[a])

    def __repr__(self) -> str:
        return f"OneHot({self.num_classes})"


# -- augmentation -----------------------------------------------------------------------


class _Random:
    """Holds ``generator``; an int seed becomes one stream, so calls draw fresh numbers."""

    def __init__(self, generator: Generator | int | None):
        rng(generator)  # check its type now
        self.generator = generator
        self._seeded = rng(generator) if isinstance(generator, (int, np.integer)) else None

    def _rng(self) -> np.random.Generator:
        return self._seeded or rng(self.generator)


def _pair(fname: str, name: str, v) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) and p >= 0 for p in pair):
        raise ValueError(f"{fname}: {name} must be an int or a pair of ints >= 0, got {v!r}")
    return int(pair[0]), int(pair[1])


class RandomCrop(_Random):
    """Crop each image at a random place after padding it with ``fill`` on every side.

    ``size`` is the output's (height, width), or one int for a square; None keeps the
    input's size, which with ``padding=p`` shifts each image by up to ``p`` pixels.
    """

    def __init__(self, size=None, padding: int = 0, fill: float = 0, generator=None):
        super().__init__(generator)
        self.size = None if size is None else _pair("RandomCrop", "size", size)
        self.padding = _pair("RandomCrop", "padding", padding)
        self.fill = fill

    def __call__(self, x):
        fname = type(self).__name__
        a, wrap = _unwrap(x)
        b, restore = _as_images(fname, a)
        xp = get_array_module(b)
        n, c, H, W = b.shape
        py, px = self.padding
        h, w = self.size or (H, W)
        if h > H + 2 * py or w > W + 2 * px:
            raise ValueError(
                f"{fname}: crop size {(h, w)} is larger than the padded image "
                f"{(H + 2 * py, W + 2 * px)}"
            )
        if py or px:
            b = xp.pad(b, ((0, 0), (0, 0), (py, py), (px, px)), constant_values=self.fill)
        r = self._rng()
        top = r.integers(0, b.shape[2] - h + 1, size=n)
        left = r.integers(0, b.shape[3] - w + 1, size=n)
        rows = xp.asarray(top[:, None, None, None] + np.arange(h)[:, None])  # (n, 1, h, 1)
        cols = xp.asarray(left[:, None, None, None] + np.arange(w))  # (n, 1, 1, w)
        out = b[xp.arange(n)[:, None, None, None], xp.arange(c)[:, None, None], rows, cols]
        return wrap(restore(out))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomShift(RandomCrop):
    """Shift each image by up to ``max_shift`` pixels in each direction, filling with ``fill``."""

    def __init__(self, max_shift: int, fill: float = 0, generator=None):
        super().__init__(None, padding=max_shift, fill=fill, generator=generator)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.padding})"


class RandomHorizontalFlip(_Random):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        super().__init__(generator)
        self.p = p

    def __call__(self, x):
        a, wrap = _unwrap(x)
        b, restore = _as_images("RandomHorizontalFlip", a)
        xp = get_array_module(b)
        flip = xp.asarray(self._rng().random(b.shape[0]) < self.p)[:, None, None, None]
        return wrap(restore(xp.where(flip, b[..., ::-1], b)))

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation(_Random):
    """Rotate each image about its centre by an angle drawn from ``degrees``.

    ``degrees`` is ``d`` for (-d, d) or a (min, max) pair; positive angles turn
    counter-clockwise as displayed. ``order=1`` interpolates bilinearly, ``order=0`` takes
    the nearest pixel; outside the image is ``fill``. The whole batch is resampled in one
    vectorised gather (the same result as ``scipy.ndimage.rotate(..., reshape=False,
    mode="grid-constant")``).
    """

    def __init__(self, degrees, order: int = 1, fill: float = 0, generator=None):
        super().__init__(generator)
        lo, hi = (-abs(degrees), abs(degrees)) if np.isscalar(degrees) else tuple(degrees)
        if not lo <= hi:
            raise ValueError(f"RandomRotation: degrees must be d or (min, max), got {degrees!r}")
        if order not in (0, 1):
            raise ValueError(f"RandomRotation: order must be 0 (nearest) or 1, got {order}")
        self.degrees = (float(lo), float(hi))
        self.order = order
        self.fill = fill

    def __call__(self, x):
        a, wrap = _unwrap(x)
        b, restore = _as_images("RandomRotation", a)
        angles = self._rng().uniform(*self.degrees, size=b.shape[0])
        return wrap(restore(rotate(b, angles, self.order, self.fill)))

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, order={self.order})"


def rotate(b, angles, order: int = 1, fill: float = 0):
    """Rotate each image of the batch ``b`` (N, C, H, W) by its angle in degrees."""
    xp = get_array_module(b)
    n, c, H, W = b.shape
    dtype = b.dtype if b.dtype.kind == "f" else np.dtype(np.float32)
    # Each output pixel reads the input at its coordinates turned back by the angle;
    # the minus sign makes positive angles counter-clockwise with rows pointing down.
    t = -np.deg2rad(np.asarray(angles, dtype=np.float64)).reshape(n, 1, 1)
    cos, sin = np.cos(t).astype(np.float32), np.sin(t).astype(np.float32)
    dy = (np.arange(H, dtype=np.float32) - (H - 1) / 2)[:, None]
    dx = (np.arange(W, dtype=np.float32) - (W - 1) / 2)[None, :]
    src_y = cos * dy - sin * dx + np.float32((H - 1) / 2)
    src_x = sin * dy + cos * dx + np.float32((W - 1) / 2)
    # A one-pixel border of ``fill`` all round: every tap outside the image reads it, so
    # no masks are needed and edges blend into ``fill`` as in scipy's "grid-constant".
    Hp, Wp = H + 2, W + 2
    planes = xp.pad(b.transpose(0, 2, 3, 1).astype(dtype, copy=False),
                    ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=fill).reshape(-1, c)
    base = (np.arange(n) * (Hp * Wp))[:, None, None]

    def gather(yy, xx):
        rows = np.clip(yy, -1, H) + 1
        cols = np.clip(xx, -1, W) + 1
        return planes[xp.asarray(base + rows * Wp + cols)]  # (N, H, W, C)

    if order == 0:
        out = gather(np.floor(src_y + 0.5).astype(np.intp), np.floor(src_x + 0.5).astype(np.intp))
    else:
        y0, x0 = np.floor(src_y), np.floor(src_x)
        wy, wx = (src_y - y0)[..., None], (src_x - x0)[..., None]
        y0, x0 = y0.astype(np.intp), x0.astype(np.intp)
        wy, wx = xp.asarray(wy.astype(dtype)), xp.asarray(wx.astype(dtype))
        top = gather(y0, x0) * (1 - wx) + gather(y0, x0 + 1) * wx
        bottom = gather(y0 + 1, x0) * (1 - wx) + gather(y0 + 1, x0 + 1) * wx
        out = top * (1 - wy) + bottom * wy
    out = out.transpose(0, 3, 1, 2)
    if b.dtype.kind in "iu":
        info = np.iinfo(b.dtype)
        out = xp.clip(xp.rint(out), info.min, info.max)
    return xp.ascontiguousarray(out.astype(b.dtype, copy=False))


class GaussianNoise(_Random):
    """Add noise drawn from N(mean, std^2) to every element (float input only)."""

    def __init__(self, std: float, mean: float = 0.0, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        super().__init__(generator)
        self.std = float(std)
        self.mean = float(mean)

    def __call__(self, x):
        a, wrap = _unwrap(x)
        if a.dtype.kind != "f":
            raise TypeError(
                f"GaussianNoise: expects a float array, got dtype {a.dtype}; "
                f"scale integer images to float first"
            )
        xp = get_array_module(a)
        noise = self._rng().normal(self.mean, self.std, size=a.shape).astype(a.dtype)
        return wrap(a + xp.asarray(noise))

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean})"
