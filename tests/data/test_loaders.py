"""load_digits, load_mnist1d, load_csv, and the character corpus."""

import random
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import CharCorpus, load_char_corpus, load_csv, load_digits, load_mnist1d

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
SHAKESPEARE = SHARED / "text" / "tinyshakespeare.txt"


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and sorted(set(y.tolist())) == list(range(10))
    Xs, _ = load_digits(scale=True)
    np.testing.assert_allclose(Xs * 16, X)


def test_load_mnist1d_offline_and_seeded():
    pytest.importorskip("mnist1d")
    np.random.seed(1234)
    random.seed(1234)
    before_np, before_py = np.random.random(), random.random()
    np.random.seed(1234)
    random.seed(1234)
    X, y, Xt, yt = load_mnist1d(n_train=400, n_test=100, seed=7)
    # The package seeds global generators; the loader must put them back.
    assert np.random.random() == before_np and random.random() == before_py
    assert X.shape == (400, 40) and Xt.shape == (100, 40)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(10))
    X2, *_ = load_mnist1d(n_train=400, n_test=100, seed=7)
    np.testing.assert_array_equal(X, X2)
    X2[0, 0] = 99  # a copy: the cached data is untouched
    assert load_mnist1d(n_train=400, n_test=100, seed=7)[0][0, 0] != 99
    X3, *_ = load_mnist1d(n_train=400, n_test=100, seed=8)
    assert not np.array_equal(X, X3)
    with pytest.raises(ValueError, match="n_train must be a non-negative int"):
        load_mnist1d(n_train=-1)


def test_load_mnist1d_matches_package():
    mdata = pytest.importorskip("mnist1d.data")
    args = mdata.get_dataset_args()
    args.num_samples, args.seed = 500, 7  # the package's own 80/20 split
    state = np.random.get_state()
    ref = mdata.make_dataset(args)
    np.random.set_state(state)
    X, y, Xt, yt = load_mnist1d(n_train=400, n_test=100, seed=7)
    np.testing.assert_allclose(X, ref["x"], rtol=1e-6)
    np.testing.assert_allclose(Xt, ref["x_test"], rtol=1e-6)
    np.testing.assert_array_equal(y, ref["y"])
    np.testing.assert_array_equal(yt, ref["y_test"])


def _csv(tmp_path, text):
    p = tmp_path / "d.csv"
    p.write_text(text)
    return p


def test_load_csv(tmp_path):
    p = _csv(tmp_path, "a,b,label\n1,2.5,0\n\n3,-4e1,1\n5,6,2\n")
    X, y = load_csv(p, target="label")
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, [[1, 2.5], [3, -40], [5, 6]])
    assert y.tolist() == [0, 1, 2]
    X, y, cols = load_csv(str(p), target="b", return_columns=True)
    assert y.dtype == np.float32 and cols == ["a", "label"]
    np.testing.assert_array_equal(y, [2.5, -40, 6])
    _, y = load_csv(p, target="label", target_dtype=np.float64)
    assert y.dtype == np.float64


def test_load_csv_errors(tmp_path):
    p = _csv(tmp_path, "a,b\n1,2\n3,x\n")
    with pytest.raises(ValueError, match=r"load_csv: .*d.csv has no column 'c'; its columns are "
                                         r"\['a', 'b'\]"):
        load_csv(p, target="c")
    with pytest.raises(ValueError, match=r"d.csv line 3, column 'b': 'x' is not a number"):
        load_csv(p, target="a")
    p = _csv(tmp_path, "a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="line 3 has 1 fields, the header has 2"):
        load_csv(p, target="a")
    p = _csv(tmp_path, "a,b\n")
    with pytest.raises(ValueError, match="has a header but no data rows"):
        load_csv(p, target="a")
    with pytest.raises(FileNotFoundError, match="load_csv: cannot open"):
        load_csv(tmp_path / "missing.csv", target="a")


def test_char_corpus_encode_decode_split():
    text = "hello world, hello chainrule"
    c = CharCorpus(text, val_fraction=0.25)
    assert c.vocab_size == len(set(text)) and c.chars == sorted(set(text))
    assert c.decode(c.encode(text)) == text
    assert c.encode("hello").dtype == np.int64
    assert len(c.train_data) == 21 and len(c.val_data) == 7
    assert c.decode(np.concatenate([c.train_data, c.val_data])) == text
    assert c.decode(cr.tensor(c.encode("low"))) == "low"
    with pytest.raises(ValueError, match=r"character 'Z' is not in the vocabulary \(14 symbols\)"):
        c.encode("Zebra")
    with pytest.raises(ValueError, match=r"ids must be integers in \[0, 14\)"):
        c.decode([0, 14])


def test_char_corpus_batches_are_shifted_windows_and_seeded():
    text = "".join(chr(ord("a") + i % 26) for i in range(500))
    c = CharCorpus(text)
    x, y = c.get_batch(4, 16, generator=0)
    assert isinstance(x, cr.Tensor) and x.shape == (4, 16) == y.shape and x.dtype == np.int64
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    assert np.all((y.numpy() - x.numpy()) % 26 == 1)  # y is the next character
    x2, _ = c.get_batch(4, 16, generator=0)
    np.testing.assert_array_equal(x.numpy(), x2.numpy())
    run = list(c.batches(4, 16, generator=1, num_batches=3))
    again = list(c.batches(4, 16, generator=1, num_batches=3))
    assert len(run) == 3 and not np.array_equal(run[0][0].numpy(), run[1][0].numpy())
    assert all(np.array_equal(a[0].numpy(), b[0].numpy()) for a, b in zip(run, again))
    xv, _ = c.get_batch(2, 8, split="val", generator=0)
    assert xv.shape == (2, 8)
    with pytest.raises(ValueError, match="too few for seq_len=100"):
        c.get_batch(2, 100, split="val")
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        c.get_batch(0, 8)
    with pytest.raises(ValueError, match="split must be 'train' or 'val'"):
        c.get_batch(1, 8, split="test")


@pytest.mark.skipif(not SHAKESPEARE.is_file(), reason="shared tinyshakespeare.txt not present")
def test_tiny_shakespeare(monkeypatch):
    c = load_char_corpus(SHAKESPEARE)
    assert len(c) == 1115394 and c.vocab_size == 65
    assert c.decode(c.data[:9]) == "First Cit"
    monkeypatch.setenv("CHAINRULE_DATA", str(SHARED))
    assert load_char_corpus().vocab_size == 65


def test_load_char_corpus_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="load_char_corpus: cannot read"):
        load_char_corpus(tmp_path / "none.txt")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="tinyshakespeare.txt not found"):
        load_char_corpus()
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        load_char_corpus(tmp_path / "bin.txt")
