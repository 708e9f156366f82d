"""A corpus of crafted files for the readers of untrusted files: ``cr.load``
(safetensors), ``read_idx`` (MNIST's IDX, raw or gzip), ``load_csv`` and the CSV reader of
``chainrule predict``.

Each entry is ``(name, file bytes, reader, expected error type, message prefix)``. The
documented types: ``cr.load`` raises ``chainrule.io.LoadError`` (a ValueError) with a
message starting ``load:``; ``read_idx`` and ``load_csv`` raise ValueError starting with
their own names; ``predict``'s reader raises ValueError naming the file (the command
prints it after ``chainrule predict:``).
"""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np

from chainrule import load
from chainrule.data import load_csv, read_idx
from chainrule.io import LoadError
from chainrule.io.safetensors import STRUCTURE_KEY


def _st(header, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def _one(**entry) -> dict:
    info = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    info.update(entry)
    return {"w": info}


def _nested(structure, tensors=None) -> bytes:
    header = dict(tensors or {})
    header["__metadata__"] = {STRUCTURE_KEY: structure if isinstance(structure, str)
                              else json.dumps(structure)}
    size = sum(v["data_offsets"][1] - v["data_offsets"][0] for k, v in header.items()
               if k != "__metadata__")
    return _st(header, b"\0" * size)


_W = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}

SAFETENSORS = {
    "empty": b"",
    "four bytes": b"\x01\x02\x03\x04",
    "header length 2**63": _st(b"{}", length=2**63),
    "header longer than file": _st(b"{}", length=1000),
    "header not UTF-8": _st(b"\xff\xfe{}"),
    "header not JSON": _st(b"{not json"),
    "header a JSON list": _st([1, 2]),
    "header nested 100,000 deep": _st(b"[" * 100_000 + b"]" * 100_000),
    "header objects nested deep": _st(b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    "entry not an object": _st({"w": 5}),
    "dtype a list": _st(_one(dtype=["F32"]), b"\0" * 8),
    "dtype unknown": _st(_one(dtype="C64"), b"\0" * 8),
    "dtype an int": _st(_one(dtype=7), b"\0" * 8),
    "dtype missing": _st({"w": {"shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
    "shape a string": _st(_one(shape="2"), b"\0" * 8),
    "shape negative": _st(_one(shape=[-2]), b"\0" * 8),
    "shape floats": _st(_one(shape=[2.0]), b"\0" * 8),
    "shape bools": _st(_one(shape=[True, True]), b"\0" * 8),
    "shape 100-d": _st(_one(shape=[1] * 100, data_offsets=[0, 4]), b"\0" * 4),
    "shape (0, 2**62)": _st(_one(shape=[0, 2**62], data_offsets=[0, 0])),
    "shape (2**40, 2**40)": _st(_one(shape=[2**40, 2**40]), b"\0" * 8),
    "shape disagrees with offsets": _st(_one(shape=[3]), b"\0" * 8),
    "offsets missing": _st({"w": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
    "offsets reversed": _st(_one(data_offsets=[8, 0]), b"\0" * 8),
    "offsets negative": _st(_one(data_offsets=[-8, 0]), b"\0" * 8),
    "offsets three": _st(_one(data_offsets=[0, 4, 8]), b"\0" * 8),
    "offsets floats": _st(_one(data_offsets=[0.0, 8.0]), b"\0" * 8),
    "offsets past the end": _st(_one(data_offsets=[8, 16]), b"\0" * 8),
    "offsets 2**64": _st(_one(shape=[2**61], data_offsets=[0, 2**63]), b"\0" * 8),
    "tensors overlap": _st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                           b"\0" * 12),
    "gap between tensors": _st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}},
                               b"\0" * 12),
    "truncated data": _st(_W, b"\0" * 4),
    "trailing bytes": _st(_W, b"\0" * 9),
    "metadata a list": _st({"__metadata__": [1]}),
    "metadata values not strings": _st({"__metadata__": {"a": 1}}),
    "structure not JSON": _nested("{oops"),
    "structure nested 100,000 deep": _nested("[" * 100_000 + "]" * 100_000),
    "structure nested 500 deep": _nested("[" * 500 + "]" * 500),
    "structure unknown tag": _nested({"pickle": "os.system"}),
    "structure tensor tag a list": _nested({"tensor": ["w"]}, _W),
    "structure names a missing tensor": _nested({"tensor": "v"}, _W),
    "structure dict tag a list": _nested({"dict": [1]}),
    "structure items not pairs": _nested({"items": [[1]]}),
    "structure items key a list": _nested({"items": [[[1], 2]]}),
    "structure float tag not a float": _nested({"float": "__import__('os')"}),
    "structure tuple tag a number": _nested({"tuple": 5}),
    "structure two tags": _nested({"tensor": "w", "dict": {}}, _W),
}

IDX_HEADER = b"\0\0\x08\x03" + np.array([1, 28, 28], ">u4").tobytes()

IDX = {
    "empty": b"",
    "three bytes": b"\0\0\x08",
    "bad magic": b"\x01\x02\x08\x01" + b"\0" * 8,
    "unknown type code": b"\0\0\x07\x01" + b"\0" * 8,
    "zero dimensions": b"\0\0\x08\x00",
    "truncated dimensions": b"\0\0\x08\x03\0\0",
    "truncated data": IDX_HEADER + b"\0" * 100,
    "trailing data": IDX_HEADER + b"\0" * 785,
    "dimensions of 2**32 - 1": b"\0\0\x08\x03" + b"\xff" * 12 + b"\0" * 16,
    "gzip magic then garbage": b"\x1f\x8b" + b"\x07" * 200,
    "gzip truncated": gzip.compress(IDX_HEADER + bytes(range(256)) * 4)[:60],
    "gzip header lies (60000 images)": gzip.compress(
        b"\0\0\x08\x03" + np.array([60000, 28, 28], ">u4").tobytes()),
    "gzip bomb": gzip.compress(IDX_HEADER + b"\0" * (16 << 20), compresslevel=9),
    "gzip of a bad magic": gzip.compress(b"\x05\x05\x05\x05" + b"\0" * 100),
}

CSV = {
    "binary": b"\x00\xff\xfe\x89PNG\r\n" + bytes(range(256)),
    "empty": b"",
    "header only": b"a,b,y\n",
    "no target column": b"a,b\n1,2\n",
    "ragged row": b"a,b,y\n1,2,0\n1,2\n",
    # a text column is categorical; text among numbers is the error
    "text value": b"a,b,y\n1,2,0\n1,two,0\n",
    "empty cell in a text column": b"a,b,y\n1,red,0\n1,,0\n",
    "NaN value": b"a,b,y\n1,nan,0\n",
    "infinite value": b"a,b,y\n1,inf,0\n",
    "float32 overflow": b"a,b,y\n1,1e39,0\n",
    "NaN label": b"a,b,y\n1,2,nan\n",
    "UTF-16": "a,b,y\n1,2,0\n".encode("utf-16"),
    "a million commas": b"a,b,y\n" + b"," * 1_000_000 + b"\n",
}


PREDICT_CSV = {
    "binary": b"\x00\xff\xfe\x89PNG\r\n" + bytes(range(256)),
    "empty": b"",
    "header only": b"a,b\n",
    "unknown column": b"a,c\n1,2\n",
    "missing column": b"a\n1\n",
    "ragged row": b"a,b\n1,2\n3\n",
    "text value": b"a,b\n1,two\n",
    "NaN value": b"a,b\n1,nan\n",
    "infinite value": b"b,a\n-inf,2\n",
    "a million commas": b"a,b\n" + b"," * 1_000_000 + b"\n",
}

#: The config ``chainrule predict`` reads a CSV file against: two named columns.
PREDICT_CONFIG = {"columns": ["a", "b"], "target": "y", "input_shape": [2]}


def _csv(path):
    return load_csv(path, "y")


def _predict_csv(path):
    from chainrule.cli_checks import read_inputs

    return read_inputs(str(path), PREDICT_CONFIG)


def corpus():
    """Every crafted file: ``(id, name, bytes, reader, error type, message prefix)``."""
    for name, blob in SAFETENSORS.items():
        yield f"load: {name}", name, blob, load, LoadError, "load: "
    for name, blob in IDX.items():
        yield f"read_idx: {name}", name, blob, read_idx, ValueError, "read_idx: "
    for name, blob in CSV.items():
        yield f"load_csv: {name}", name, blob, _csv, ValueError, "load_csv: "
    for name, blob in PREDICT_CSV.items():
        yield f"predict: {name}", name, blob, _predict_csv, ValueError, ""
