"""IDX parsing and the MNIST / Fashion-MNIST loaders, on small fake files and the real test set."""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import data_dir, load_fashion_mnist, load_mnist, read_idx
from chainrule.data import mnist as mnist_module

from .._rss import HWM

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _idx_bytes(a: np.ndarray, code: int = 0x08) -> bytes:
    header = struct.pack(">HBB", 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def _write_fake_mnist(folder: Path, n=5, prefix="t10k", gz=True, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(seed)
    X = r.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    y = r.integers(0, 10, size=n).astype(np.uint8)
    for kind, ndim, a in (("images", 3, X), ("labels", 1, y)):
        data = _idx_bytes(a)
        name = f"{prefix}-{kind}-idx{ndim}-ubyte"
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return X, y


def test_read_idx_gz_and_raw(tmp_path):
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    (tmp_path / "a.idx").write_bytes(_idx_bytes(a, 0x0C))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(_idx_bytes(a, 0x0C)))
    for name in ("a.idx", "a.idx.gz"):
        back = read_idx(tmp_path / name)
        assert back.dtype == np.int32 and back.dtype.isnative
        np.testing.assert_array_equal(back, a)
    f = np.linspace(0, 1, 6).reshape(2, 3)
    (tmp_path / "f.idx").write_bytes(_idx_bytes(f, 0x0E))
    np.testing.assert_array_equal(read_idx(tmp_path / "f.idx"), f)


def test_truncated_idx_names_file_and_sizes(tmp_path):
    data = _idx_bytes(np.zeros((10, 28, 28), np.uint8))
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(data[:1000])
    with pytest.raises(ValueError, match=(r"read_idx: .*t10k-images-idx3-ubyte is truncated: "
                                          r"expected 7856 bytes for shape \(10, 28, 28\), "
                                          r"got 1000")):
        read_idx(path)
    gz = tmp_path / "cut.gz"
    noisy = _idx_bytes(np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8))
    gz.write_bytes(gzip.compress(noisy)[:2000])
    with pytest.raises(ValueError, match=r"cut.gz is a truncated or corrupt gzip file"):
        read_idx(gz)
    extra = tmp_path / "long"
    extra.write_bytes(data + b"\x00")
    with pytest.raises(ValueError, match="longer than its header says"):
        read_idx(extra)


def test_bad_magic_and_missing(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match=r"bad is not an IDX file: bad magic number 0x01020801"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="truncated: expected at least 16 header bytes, got 6"):
        read_idx(path)
    with pytest.raises(FileNotFoundError, match="read_idx: cannot read"):
        read_idx(tmp_path / "nothing")


def test_load_mnist_fake_files_and_mnist_subfolder(tmp_path):
    X, y = _write_fake_mnist(tmp_path / "mnist", gz=False)
    Xl, yl = load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(Xl, X)
    assert Xl.dtype == np.uint8 and yl.dtype == np.int64
    np.testing.assert_array_equal(yl, y)
    Xf, _ = load_mnist(str(tmp_path), as_float=True)
    assert Xf.dtype == np.float32 and Xf.max() <= 1.0
    np.testing.assert_allclose(Xf * 255, X, atol=1e-4)


def test_bad_checksum_is_reported(tmp_path):
    _write_fake_mnist(tmp_path)  # gzipped but not the official bytes
    msg = (r"load_mnist: .*t10k-images-idx3-ubyte.gz has md5 [0-9a-f]{32}, "
           r"expected 9fb629c4189551a2d022fa330f9573f3")
    with pytest.raises(ValueError, match=msg):
        load_mnist(tmp_path)
    X, _ = load_mnist(tmp_path, verify=False)
    assert X.shape == (5, 28, 28)


def test_mismatched_counts_and_labels(tmp_path):
    _write_fake_mnist(tmp_path, n=5, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match="has 5 images but .* has 4 labels"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(np.full(5, 11, np.uint8)))
    with pytest.raises(ValueError, match="has label 11; expected 0 to 9"):
        load_mnist(tmp_path)


def test_missing_files_and_bad_split(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_mnist: t10k-images-idx3-ubyte.gz not found"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        load_mnist(tmp_path, split="val")
    with pytest.raises(FileNotFoundError, match="load_fashion_mnist: train-images"):
        load_fashion_mnist(tmp_path, split="train")


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("CHAINRULE_DATA")
    assert data_dir() == Path.home() / ".cache" / "chainrule"
    X, _ = _write_fake_mnist(tmp_path / "env" / "mnist", gz=False, seed=3)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    np.testing.assert_array_equal(load_mnist()[0], X)


def test_download_verifies_checksum(tmp_path, monkeypatch):
    # A local "mirror" reached through a file:// URL: nothing leaves the machine.
    mirror = tmp_path / "mirror"
    _write_fake_mnist(mirror, prefix="train", seed=5)
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", (mirror.as_uri() + "/",))
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match=r"load_mnist: could not download "
                                           r"train-images-idx3-ubyte.gz: .* md5 [0-9a-f]{32}, "
                                           r"expected f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        load_mnist(cache, split="train", download=True)
    assert not any(p.is_file() for p in cache.rglob("*"))  # nothing half-written is left
    good = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in mirror.iterdir()}
    monkeypatch.setattr(mnist_module, "MNIST_MD5", {**mnist_module.MNIST_MD5, **good})
    X, y = load_mnist(cache, split="train", download=True)
    assert X.shape == (5, 28, 28)
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(good)


def test_md5_tables_hold_the_published_sums():
    assert mnist_module.MNIST_MD5["t10k-images-idx3-ubyte.gz"] == "9fb629c4189551a2d022fa330f9573f3"
    assert mnist_module.MNIST_MD5["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    for table in (mnist_module.MNIST_MD5, mnist_module.FASHION_MNIST_MD5):
        assert len(table) == 4 and all(len(v) == 32 for v in table.values())


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="shared MNIST files not present")
def test_real_mnist_test_set():
    X, y = load_mnist(SHARED, split="test")
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=10)
    assert counts.sum() == 10000 and counts.min() > 800 and counts.max() < 1200
    assert counts.tolist()[:2] == [980, 1135]  # the published test-set counts of 0s and 1s
    assert X.max() == 255 and 0.1 < X.mean() / 255 < 0.15
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


def _peak_of_read_idx(path) -> tuple[str, float]:
    """read_idx in a fresh process: the error it raised and how far RSS grew (MiB)."""
    import subprocess
    import sys

    code = (HWM + "import sys\nfrom chainrule.data.mnist import read_idx\n"
            "base = hwm()\n"
            "try:\n    read_idx(sys.argv[1])\nexcept ValueError as e:\n    print(e)\n"
            "print((hwm() - base) / 1024)")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                       timeout=60)
    *lines, grown = r.stdout.strip().splitlines()
    return "\n".join(lines), float(grown)


def test_a_gzip_bomb_is_refused_by_its_header_before_inflating(tmp_path):
    # 1 image declared, 300 MB of zeros after it: about 300 KB compressed
    bomb = tmp_path / "t10k-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        f.write(_idx_bytes(np.zeros((1, 28, 28), np.uint8)))
        block = b"\0" * (1 << 20)
        for _ in range(300):
            f.write(block)
    err, grown = _peak_of_read_idx(bomb)
    assert "longer than its header says" in err
    assert grown < 20, f"read_idx grew by {grown:.0f} MiB"
    liar = tmp_path / "liar.gz"  # a header that claims more than the file can hold
    liar.write_bytes(gzip.compress(b"\0\0\x08\x03" + np.array([60000, 28, 28], ">u4").tobytes()))
    err, grown = _peak_of_read_idx(liar)
    assert "more than a" in err and grown < 20


def test_gzip_data_is_checked_against_its_md5_whatever_its_name(tmp_path):
    wrong = gzip.compress(_idx_bytes(np.zeros((3, 28, 28), np.uint8)))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(wrong)  # gzip data, no .gz name
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(
        gzip.compress(_idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte has md5 [0-9a-f]{32}, "
                                         r"expected 9fb629c4189551a2d022fa330f9573f3"):
        load_mnist(tmp_path)
    X, y = load_mnist(tmp_path, verify=False)
    assert X.shape == (3, 28, 28) and y.shape == (3,)
