"""MNIST and Fashion-MNIST from their official IDX files (gzipped or not).

IDX: two zero bytes, a type code, the number of dimensions, each dimension as a
big-endian uint32, then the values in C order, big-endian.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .files import data_dir, download_file, file_md5, find_file

__all__ = ["load_fashion_mnist", "load_mnist", "read_idx"]

_IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Official file names and MD5 sums of the gzipped IDX files.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


#: Deflate expands at most about 1032:1, so a gzip file of n bytes holds at most this
#: many times n bytes of data: a header that claims more is refused before inflating.
_MAX_GZIP_RATIO = 1032


def read_idx(path: str | os.PathLike, fname: str = "read_idx") -> np.ndarray:
    """The array stored in an IDX file (``.gz`` or raw), every size checked.

    The header is read and checked first (against the file size, or what a gzip file of
    that size can hold); the data is then read straight into the result, so a bad file
    fails before anything large is inflated or allocated.

    >>> read_idx("t10k-labels-idx1-ubyte.gz").shape  # (10000,)
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise FileNotFoundError(f"{fname}: cannot read {path}: {e.strerror}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        gz = f.read(2) == b"\x1f\x8b"  # the gzip magic number
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f, mode="rb") if gz else f
        try:
            return _read_idx_stream(stream, path, fname, size, gz)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(f"{fname}: {path} is a truncated or corrupt gzip file ({e})") \
                from None


def _read_into(stream, buf: memoryview) -> int:
    """Fill ``buf`` from ``stream`` as far as it goes; the number of bytes read."""
    got = 0
    while got < len(buf):
        n = stream.readinto(buf[got:])
        if not n:
            break
        got += n
    return got


def _read_idx_stream(stream, path: Path, fname: str, size: int, gz: bool) -> np.ndarray:
    head = bytearray(4)
    got = _read_into(stream, memoryview(head))
    if got < 4:
        raise ValueError(f"{fname}: {path} is truncated: {got} bytes, no IDX header")
    zero, code, ndim = struct.unpack_from(">HBB", head, 0)
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise ValueError(f"{fname}: {path} is not an IDX file: bad magic number 0x{head.hex()}")
    start = 4 + 4 * ndim
    dims = bytearray(4 * ndim)
    got = _read_into(stream, memoryview(dims))
    if got < len(dims):
        raise ValueError(f"{fname}: {path} is truncated: expected at least {start} header "
                         f"bytes, got {4 + got}")
    shape = struct.unpack_from(f">{ndim}I", dims, 0)
    dtype = _IDX_TYPES[code]
    nbytes = math.prod(shape) * dtype.itemsize
    expected = start + nbytes
    if gz and expected > _MAX_GZIP_RATIO * size + 1024:
        raise ValueError(f"{fname}: {path} is a corrupt gzip file: its header claims "
                         f"{expected} bytes for shape {shape}, more than a {size}-byte gzip "
                         f"file can hold")
    if not gz and expected != size:
        what = "truncated" if size < expected else "longer than its header says"
        raise ValueError(f"{fname}: {path} is {what}: expected {expected} bytes for shape "
                         f"{shape}, got {size}")
    # np.empty maps pages lazily: memory grows with the data actually inflated.
    out = np.empty(nbytes, dtype=np.uint8)
    got = _read_into(stream, memoryview(out))
    if got < nbytes:
        raise ValueError(f"{fname}: {path} is truncated: expected {expected} bytes for shape "
                         f"{shape}, got {start + got}")
    if stream.read(1):
        raise ValueError(f"{fname}: {path} is longer than its header says: expected "
                         f"{expected} bytes for shape {shape}")
    return out.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _load_idx_pair(fname, root, split, download, verify, as_float, md5s, mirrors, subdirs):
    if split not in ("train", "test"):
        raise ValueError(f"{fname}: split must be 'train' or 'test', got {split!r}")
    directory = data_dir(root)
    prefix = "train" if split == "train" else "t10k"
    arrays = []
    for kind, ndim in (("images", 3), ("labels", 1)):
        name = f"{prefix}-{kind}-idx{ndim}-ubyte"
        path = find_file(directory, [name + ".gz", name], subdirs)
        if path is None:
            if not download:
                looked = ", ".join(str(d) for d in [directory, *(directory / s for s in subdirs)])
                raise FileNotFoundError(
                    f"{fname}: {name}.gz not found in {looked}; pass root= or set "
                    f"CHAINRULE_DATA to the folder holding it, or pass download=True"
                )
            path = download_file(fname, mirrors, name + ".gz", md5s[name + ".gz"],
                                 directory / subdirs[0])
        elif verify and _is_gzip(path):
            # By content, not by name: gzip data under any name is checked against the
            # published sum of the official .gz file.
            got, want = file_md5(path), md5s[name + ".gz"]
            if got != want:
                raise ValueError(
                    f"{fname}: {path} has md5 {got}, expected {want} (a corrupt "
                    f"or different file; delete it, or pass verify=False to use it anyway)"
                )
        a = read_idx(path, fname)
        if a.ndim != ndim or a.dtype != np.uint8 or (ndim == 3 and a.shape[1:] != (28, 28)):
            raise ValueError(
                f"{fname}: {path} holds {a.dtype} of shape {a.shape}; expected uint8 "
                f"{'(N, 28, 28)' if ndim == 3 else '(N,)'}"
            )
        arrays.append((path, a))
    (ipath, X), (lpath, y) = arrays
    if len(X) != len(y):
        raise ValueError(f"{fname}: {ipath} has {len(X)} images but {lpath} has {len(y)} labels")
    if y.size and y.max() > 9:
        raise ValueError(f"{fname}: {lpath} has label {int(y.max())}; expected 0 to 9")
    X = X.astype(np.float32) / np.float32(255) if as_float else X
    return X, y.astype(np.int64)


def load_mnist(
    root: str | os.PathLike | None = None,
    split: str = "test",
    download: bool = False,
    verify: bool = True,
    as_float: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits: images ``(N, 28, 28)`` uint8 (float32 in [0, 1] if ``as_float``), labels int64.

    Files are looked for in the data directory (``root``, ``$CHAINRULE_DATA`` or
    ``~/.cache/chainrule``) and its ``mnist/`` folder; ``download=True`` fetches missing
    ones there. Gzipped files are checked against the official MD5 sums unless
    ``verify=False``.

    >>> X, y = load_mnist("../shared/datasets", split="test")   # 10,000 images
    """
    return _load_idx_pair("load_mnist", root, split, download, verify, as_float,
                          MNIST_MD5, MNIST_MIRRORS, ("mnist", "MNIST", "MNIST/raw"))


def load_fashion_mnist(
    root: str | os.PathLike | None = None,
    split: str = "test",
    download: bool = False,
    verify: bool = True,
    as_float: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST, with the same files, layout and arguments as ``load_mnist``.

    Files are looked for in the data directory and its ``fashion_mnist/`` folder.
    """
    return _load_idx_pair("load_fashion_mnist", root, split, download, verify, as_float,
                          FASHION_MNIST_MD5, FASHION_MNIST_MIRRORS,
                          ("fashion_mnist", "fashion-mnist", "FashionMNIST/raw"))
