"""Transforms: fitted scaling, Normalize, OneHot and seeded, vectorised image augmentation."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.transforms import (
    Compose,
    GaussianNoise,
    MinMaxScale,
    Normalize,
    OneHot,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    Standardize,
    rotate,
)


def _images(n=6, c=2, h=7, w=9, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def test_standardize_per_feature_and_global():
    r = np.random.default_rng(0)
    X = (r.normal(size=(200, 4)) * [1, 10, 100, 0] + [5, -3, 0, 7]).astype(np.float32)
    s = Standardize().fit(X)
    Z = s(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z[:, :3].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :3].std(0), 1, atol=1e-4)
    np.testing.assert_allclose(Z[:, 3], 0, atol=1e-6)  # constant column: centred only
    np.testing.assert_allclose(s(X[0]), Z[0], rtol=1e-6)  # one sample broadcasts too
    np.testing.assert_allclose(s.inverse(Z), X, rtol=1e-4, atol=1e-3)
    g = Standardize(axis=None).fit(X)
    assert np.ndim(g.mean) == 0
    np.testing.assert_allclose(g(X).mean(), 0, atol=1e-5)
    t = s(cr.tensor(X))
    assert isinstance(t, cr.Tensor)
    np.testing.assert_allclose(t.numpy(), Z)


def test_standardize_per_channel_images():
    x = _images(20) * np.array([1, 5], np.float32)[:, None, None]
    s = Standardize(axis=(0, 2, 3)).fit(x)
    assert s.mean.shape == (2, 1, 1)
    z = s(x)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-4)


def test_fitted_transforms_check_their_use():
    with pytest.raises(RuntimeError, match=r"Standardize.__call__: call fit\(x\)"):
        Standardize()(np.ones((3, 2)))
    with pytest.raises(ValueError, match="include the sample axis 0"):
        Standardize(axis=1).fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScale((1, 0))


def test_minmax_scale():
    X = np.array([[0, 10], [5, 20], [10, 30]], np.float32)
    m = MinMaxScale().fit(X)
    np.testing.assert_allclose(m(X), [[0, 0], [0.5, 0.5], [1, 1]])
    np.testing.assert_allclose(MinMaxScale((-1, 1)).fit_transform(X)[:, 1], [-1, 0, 1])
    np.testing.assert_allclose(m.inverse(m(X)), X, atol=1e-5)
    u = np.array([[0], [255]], np.uint8)
    assert MinMaxScale().fit(u)(u).dtype == np.float32


def test_normalize_per_channel_and_scalar():
    x = _images()
    out = Normalize([0.5, 0.25], [2.0, 4.0])(x)
    np.testing.assert_allclose(out[:, 1], (x[:, 1] - 0.25) / 4, rtol=1e-6)
    np.testing.assert_allclose(Normalize(0.1307, 0.3081)(x), (x - 0.1307) / 0.3081, rtol=1e-5)
    np.testing.assert_allclose(Normalize([1, 2], [1, 1])(x[0])[1], x[0, 1] - 2, rtol=1e-6)
    with pytest.raises(ValueError, match="3 values for axis -3"):
        Normalize([0, 0, 0], [1, 1, 1])(x)
    with pytest.raises(ValueError, match="std must be positive"):
        Normalize(0, 0)


def test_one_hot():
    out = OneHot(4)(np.array([0, 3, 1]))
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[0, 3, 1]])
    assert out.dtype == np.float32
    assert OneHot(3)(cr.tensor([[0, 2]])).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="label 4 is out of range for num_classes=4"):
        OneHot(4)(np.array([1, 4]))
    with pytest.raises(TypeError, match="labels must be integers"):
        OneHot(4)(np.array([1.0]))


def test_random_crop_is_a_window_of_the_padded_image():
    x = _images()
    out = RandomCrop(5, padding=1, generator=0)(x)
    assert out.shape == (6, 2, 5, 5)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(len(x)):
        found = any(
            np.array_equal(out[i], padded[i, :, a : a + 5, b : b + 5])
            for a in range(padded.shape[2] - 4) for b in range(padded.shape[3] - 4)
        )
        assert found
    with pytest.raises(ValueError, match=r"crop size \(20, 20\) is larger"):
        RandomCrop(20)(x)


def test_random_shift_keeps_shape_and_moves_content():
    x = np.zeros((50, 1, 8, 8), np.float32)
    x[:, 0, 4, 4] = 1
    out = RandomShift(2, generator=1)(x)
    assert out.shape == x.shape and np.all(out.sum(axis=(1, 2, 3)) == 1)
    pos = np.argwhere(out[:, 0] == 1)[:, 1:]
    assert np.all(np.abs(pos - 4) <= 2) and len({tuple(p) for p in pos}) > 5


def test_random_transforms_are_seeded():
    x = _images(16)
    for make in (lambda g: RandomCrop(5, padding=2, generator=g),
                 lambda g: RandomRotation(30, generator=g),
                 lambda g: RandomHorizontalFlip(generator=g),
                 lambda g: GaussianNoise(0.1, generator=g)):
        a, b, c = make(3), make(3), make(4)
        first = a(x)
        np.testing.assert_array_equal(first, b(x))
        assert not np.array_equal(first, c(x))
        assert not np.array_equal(first, a(x))  # a new draw on every call
        cr.manual_seed(9)
        d = make(None)(x)
        cr.manual_seed(9)
        np.testing.assert_array_equal(d, make(None)(x))


def test_horizontal_flip_per_image():
    x = _images(40)
    out = RandomHorizontalFlip(0.5, generator=0)(x)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped ^ kept) and 5 < flipped.sum() < 35
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x[0]), x[0][..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x), x)


@pytest.mark.parametrize("angle", [30.0, -17.5, 90.0, 180.0])
@pytest.mark.parametrize("order", [0, 1])
def test_rotate_matches_scipy(angle, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    x = _images(2, 3, 9, 11).astype(np.float64)
    ours = rotate(x, [angle, angle], order=order, fill=0.25)
    ref = np.stack([ndimage.rotate(im, angle, axes=(2, 1), reshape=False, order=order,
                                   mode="grid-constant", cval=0.25) for im in x])
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_random_rotation_layouts_and_dtypes():
    x = _images(4, 1, 28, 28)
    out = RandomRotation((10, 10), generator=0)(x)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(RandomRotation((10, 10))(x[0, 0]), out[0, 0], atol=1e-6)
    u = (x * 255).astype(np.uint8)
    assert RandomRotation(10, generator=0)(u).dtype == np.uint8
    t = RandomRotation(10, generator=0)(cr.tensor(x))
    assert isinstance(t, cr.Tensor) and t.shape == x.shape
    with pytest.raises(ValueError, match=r"expected images \(N, C, H, W\)"):
        RandomRotation(10)(np.ones(5))


def test_gaussian_noise():
    x = np.zeros((100, 100), np.float32)
    out = GaussianNoise(0.5, generator=0)(x)
    assert out.dtype == np.float32 and abs(out.std() - 0.5) < 0.02
    with pytest.raises(TypeError, match="expects a float array, got dtype uint8"):
        GaussianNoise(0.1)(np.zeros(3, np.uint8))


def test_compose_in_a_dataset_batch():
    X = _images(32, 1, 12, 12)
    aug = Compose([RandomShift(1, generator=0), GaussianNoise(0.01, generator=0)])
    ds = TensorDataset(X, np.arange(32), transform=aug, target_transform=OneHot(32))
    xb, yb = next(iter(DataLoader(ds, batch_size=8, shuffle=True, generator=0)))
    assert xb.shape == (8, 1, 12, 12) and yb.shape == (8, 32)
    assert isinstance(xb, cr.Tensor) and not np.allclose(xb.numpy(), X[:8])
    assert "RandomShift" in repr(aug)
