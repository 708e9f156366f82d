"""Dataset, TensorDataset, Subset, ConcatDataset, random_split and k-fold splitting."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    ConcatDataset,
    Dataset,
    KFold,
    Subset,
    TensorDataset,
    kfold_indices,
    random_split,
)


def _ds(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) * 10
    return TensorDataset(cr.tensor(X), y)


def test_tensor_dataset_items_are_rows():
    ds = _ds()
    assert len(ds) == 10
    x, y = ds[2]
    assert isinstance(x, cr.Tensor) and isinstance(y, cr.Tensor)
    np.testing.assert_array_equal(x.numpy(), [6, 7, 8])
    assert y.shape == () and int(y.item()) == 20
    np.testing.assert_array_equal(ds[-1][0].numpy(), [27, 28, 29])


def test_tensor_dataset_checks():
    with pytest.raises(ValueError, match=r"tensor 0 has 3 rows, tensor 1 has 4"):
        TensorDataset(cr.zeros(3, 2), cr.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(IndexError, match="index 10 is out of range for 10 samples"):
        _ds()[10]
    with pytest.raises(TypeError, match="index must be an int"):
        _ds()["a"]


def test_tensor_dataset_transforms_apply_to_inputs_and_targets():
    ds = TensorDataset(cr.ones(4, 2), np.arange(4), transform=lambda x: x * 2,
                       target_transform=lambda y: y + 100)
    x, y = ds[1]
    np.testing.assert_array_equal(x.numpy(), [2, 2])
    assert int(y.item()) == 101


def test_subset_and_concat():
    ds = _ds()
    sub = Subset(ds, [7, 2, -1])
    assert len(sub) == 3
    assert int(sub[0][1].item()) == 70 and int(sub[2][1].item()) == 90
    with pytest.raises(IndexError, match="Subset: index 12 is out of range"):
        Subset(ds, [1, 12])
    both = ConcatDataset([ds, Subset(ds, [0, 1])])
    assert len(both) == 12
    assert int(both[10][1].item()) == 0 and int(both[9][1].item()) == 90
    assert len(ds + ds) == 20


def test_base_dataset_must_be_subclassed():
    with pytest.raises(NotImplementedError):
        len(Dataset())


def _labels(subset):
    return sorted(int(subset[i][1].item()) for i in range(len(subset)))


def test_random_split_is_a_seeded_partition():
    ds = _ds(10)
    a = random_split(ds, [7, 3], generator=cr.Generator().manual_seed(1))
    b = random_split(ds, [7, 3], generator=cr.Generator().manual_seed(1))
    c = random_split(ds, [7, 3], generator=cr.Generator().manual_seed(2))
    assert [len(s) for s in a] == [7, 3]
    assert list(a[0].indices) == list(b[0].indices)
    assert list(a[0].indices) != list(c[0].indices)
    assert sorted(_labels(a[0]) + _labels(a[1])) == list(range(0, 100, 10))


def test_random_split_fractions_follow_pytorch():
    ds = _ds(10)
    sizes = [len(s) for s in random_split(ds, [0.5, 0.3, 0.2], generator=0)]
    assert sizes == [5, 3, 2]
    # 11 * [0.34, 0.33, 0.33] floors to [3, 3, 3]; the 2 left over go round-robin.
    sizes = [len(s) for s in random_split(_ds(11), [0.34, 0.33, 0.33], generator=0)]
    assert sizes == [4, 4, 3]  # what torch.utils.data.random_split gives


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match="sum to the dataset's length 10"):
        random_split(_ds(), [5, 4])
    with pytest.raises(ValueError, match="fractions in"):
        random_split(_ds(), [0.5, 0.6])


def test_random_split_default_generator_follows_manual_seed():
    cr.manual_seed(123)
    a = random_split(_ds(), [5, 5])
    cr.manual_seed(123)
    b = random_split(_ds(), [5, 5])
    assert list(a[0].indices) == list(b[0].indices)


@pytest.mark.parametrize("n,k", [(10, 5), (11, 3), (7, 7), (100, 10)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_kfold_validates_every_index_exactly_once(n, k, shuffle):
    folds = kfold_indices(n, k, shuffle=shuffle, generator=0)
    assert len(folds) == k
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(n))
    sizes = [len(v) for _, v in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0
        assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))


def test_kfold_matches_sklearn_without_shuffle():
    sk = pytest.importorskip("sklearn.model_selection")
    ours = [(t.tolist(), v.tolist()) for t, v in KFold(3).split(11)]
    theirs = [(t.tolist(), v.tolist()) for t, v in sk.KFold(3).split(np.zeros(11))]
    assert ours == theirs


def test_kfold_shuffle_is_seeded():
    a = kfold_indices(20, 4, generator=5)
    b = kfold_indices(20, 4, generator=5)
    c = kfold_indices(20, 4, generator=6)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))
    assert [len(t) for t, _ in KFold(4).split(_ds(10))] == [7, 7, 8, 8]


def test_kfold_checks():
    with pytest.raises(ValueError, match="n_splits must be at least 2"):
        KFold(1)
    with pytest.raises(ValueError, match="n_splits=5 is more than the number of samples 3"):
        kfold_indices(3, 5)
