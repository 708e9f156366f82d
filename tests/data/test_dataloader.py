"""DataLoader: batching, seeded shuffling, the TensorDataset fast path, default_collate."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset, default_collate


class ListDataset(Dataset):
    """A dataset with no batch fast path: one Python sample at a time."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], int(self.y[i])


def _data(n=10):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return X, np.arange(n, dtype=np.int64)


def _epoch_labels(loader):
    return np.concatenate([yb.numpy() for _, yb in loader]).tolist()


def test_batches_in_order_and_len():
    X, y = _data(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [xb.shape for xb, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    assert isinstance(batches[0][0], cr.Tensor) and batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(batches[1][0].numpy(), X[4:8])
    dropped = DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and _epoch_labels(dropped) == list(range(8))


def test_shuffle_is_seeded_and_new_each_epoch():
    X, y = _data(50)
    ds = TensorDataset(X, y)
    a = DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator().manual_seed(3))
    b = DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator().manual_seed(3))
    a1, a2 = _epoch_labels(a), _epoch_labels(a)
    assert a1 == _epoch_labels(b) and a2 == _epoch_labels(b)
    assert a1 != a2  # each epoch draws a new permutation
    assert sorted(a1) == list(range(50)) and a1 != list(range(50))
    # An int seed behaves the same way: reproducible, but a new order every epoch.
    c = DataLoader(ds, 8, shuffle=True, generator=7)
    d = DataLoader(ds, 8, shuffle=True, generator=7)
    c1, c2 = _epoch_labels(c), _epoch_labels(c)
    assert c1 == _epoch_labels(d) and c2 == _epoch_labels(d) and c1 != c2


def test_default_generator_follows_manual_seed():
    ds = TensorDataset(*_data(30))
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    cr.manual_seed(11)
    first = _epoch_labels(loader)
    cr.manual_seed(11)
    assert _epoch_labels(loader) == first


def test_fast_path_matches_per_sample_path():
    X, y = _data(23)
    fast = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, generator=1)
    slow = DataLoader(ListDataset(X, y), batch_size=5, shuffle=True, generator=1)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
        assert xf.dtype == xs.dtype == np.float32 and yf.dtype == ys.dtype == np.int64


def test_fast_path_is_used_for_tensor_dataset_and_subsets(monkeypatch):
    ds = TensorDataset(*_data(20))

    def no_per_sample(self, i):
        raise AssertionError("per-sample __getitem__ used")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_per_sample)
    assert len(list(DataLoader(ds, batch_size=6, shuffle=True, generator=0))) == 4
    sub = Subset(ds, [19, 3, 5])
    (xb, yb), = list(DataLoader(sub, batch_size=3))
    assert yb.numpy().tolist() == [19, 3, 5]


def test_custom_collate_gets_samples():
    ds = TensorDataset(*_data(6))
    loader = DataLoader(ds, batch_size=3, collate_fn=lambda samples: len(samples))
    assert list(loader) == [3, 3]


def test_default_collate_kinds():
    out = default_collate([(np.ones(2, np.float32), 1, 0.5, "a"), (np.zeros(2, np.float32), 2,
                                                                   1.5, "b")])
    x, i, f, s = out
    assert x.shape == (2, 2) and i.dtype == np.int64 and f.dtype == np.float32 and s == ["a", "b"]
    d = default_collate([{"x": cr.ones(3), "y": 1}, {"x": cr.zeros(3), "y": 0}])
    assert d["x"].shape == (2, 3) and d["y"].numpy().tolist() == [1, 0]
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object()])


def test_bad_arguments():
    ds = TensorDataset(*_data(4))
    msg = "DataLoader: batch_size must be a positive integer, got 0"
    with pytest.raises(ValueError, match=msg):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="got -2"):
        DataLoader(ds, batch_size=-2)
    with pytest.raises(TypeError, match="generator must be"):
        DataLoader(ds, generator="seed")
    with pytest.raises(TypeError, match="dataset must have __len__"):
        DataLoader(5)


def test_fast_path_indexes_whole_batches(monkeypatch):
    """A TensorDataset is batched with one fancy index per tensor, never sample by sample
    (the speed of that is the benchmark's business, not a timed test's)."""
    X = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
    y = np.arange(1000)
    ds = TensorDataset(X, y)

    def per_sample(self, i):
        raise AssertionError("DataLoader fetched a TensorDataset sample by sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample)
    batches = list(DataLoader(ds, batch_size=128, shuffle=True, generator=0))
    assert len(batches) == 8
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(seen.tolist()) == list(range(1000))
