"""Checkpoints in the safetensors format, written and read by hand (no dependency).

The file is: an 8-byte little-endian header length ``n``; ``n`` bytes of UTF-8 JSON
(padded with spaces to a multiple of 8) mapping each tensor name to its ``dtype``,
``shape`` and ``data_offsets`` into the data that follows, plus an optional
``"__metadata__"`` of string pairs; then the raw little-endian tensor bytes.

A flat ``{name: tensor}`` dict (a model's ``state_dict``) is written exactly as
``safetensors.numpy.save_file`` writes it, so PyTorch reads it with
``safetensors.torch.load_file`` and the reverse. Nested state (an optimizer's
``state_dict``, a training checkpoint) is flattened: its tensors get dotted names and the
rest of the structure (numbers, strings, lists) goes as JSON into ``"__metadata__"``, so
``load`` rebuilds the same object. Loading never executes code.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import as_numpy
from ..tensor import Tensor
from .atomic import atomic_write

__all__ = ["LoadError", "load", "save"]

# safetensors dtype names, in the order the reference writer sorts tensors by
# (largest first, then by name), which keeps every tensor aligned to its item size.
_DTYPES = {
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "F16": np.dtype("<f2"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_RANK = {name: i for i, name in enumerate(_DTYPES)}
_NAME_OF = {(dt.kind, dt.itemsize): name for name, dt in _DTYPES.items()}
# bfloat16 has no NumPy dtype: it is read as float32 (its bits are float32's top half).
_BF16_RANK = _RANK["F16"] - 0.5

#: The metadata key that holds the JSON structure of a nested object.
STRUCTURE_KEY = "chainrule.structure"
_MAX_HEADER = 100_000_000  # the reference reader's limit


# -- flattening nested state ------------------------------------------------------------


def _flatten(obj, fname: str) -> tuple[dict[str, np.ndarray], Any, bool]:
    """Tensors of ``obj`` by dotted name, the JSON skeleton, and whether ``obj`` is flat."""
    arrays: dict[str, np.ndarray] = {}

    def array_of(x, name):
        a = as_numpy(x.array if isinstance(x, Tensor) else x)
        if (a.dtype.kind, a.dtype.itemsize) not in _NAME_OF:
            raise TypeError(
                f"{fname}: {name!r} has dtype {a.dtype}, which safetensors cannot store; "
                f"supported: bool, uint8-64, int8-64, float16/32/64"
            )
        if name in arrays:
            raise ValueError(f"{fname}: two tensors would both be named {name!r}")
        arrays[name] = a
        return name

    def walk(x, name):
        if isinstance(x, Tensor):
            return {"tensor": array_of(x, name)}
        if isinstance(x, np.ndarray):
            return {"ndarray": array_of(x, name)}
        if isinstance(x, np.generic):
            x = x.item()
        if x is None or isinstance(x, (bool, int, str)):
            return x
        if isinstance(x, float):
            # JSON has no inf/nan: keep them as tagged strings.
            return x if math.isfinite(x) else {"float": repr(x)}
        if isinstance(x, (list, tuple)):
            items = [walk(v, f"{name}.{i}" if name else str(i)) for i, v in enumerate(x)]
            return items if isinstance(x, list) else {"tuple": items}
        if isinstance(x, dict):
            items = []
            for k, v in x.items():
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise TypeError(
                        f"{fname}: dict keys must be str or int, got {type(k).__name__} "
                        f"{k!r} under {name or 'the top level'!r}"
                    )
                items.append((k, walk(v, f"{name}.{k}" if name else str(k))))
            if all(isinstance(k, str) for k, _ in items):
                return {"dict": dict(items)}
            return {"items": [[k, v] for k, v in items]}
        raise TypeError(
            f"{fname}: cannot save a {type(x).__name__} at {name or 'the top level'!r}; "
            f"expected tensors, arrays, numbers, strings, None, lists, tuples and dicts"
        )

    skeleton = walk(obj, "")
    flat = (
        isinstance(obj, dict)
        and all(isinstance(k, str) for k in obj)
        and all(isinstance(v, (Tensor, np.ndarray)) for v in obj.values())
    )
    return arrays, skeleton, flat


# -- writing ----------------------------------------------------------------------------


def _serialize(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None):
    """The header bytes and the list of data chunks, in the reference writer's order."""
    order = sorted(arrays, key=lambda k: (_RANK[_NAME_OF[arrays[k].dtype.kind,
                                                         arrays[k].dtype.itemsize]], k))
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = metadata
    chunks = []
    offset = 0
    for name in order:
        a = arrays[name]
        dtype = _NAME_OF[a.dtype.kind, a.dtype.itemsize]
        a = np.asarray(a, dtype=_DTYPES[dtype], order="C")  # keeps 0-d arrays 0-d
        header[name] = {
            "dtype": dtype,
            "shape": list(a.shape),
            "data_offsets": [offset, offset + a.nbytes],
        }
        offset += a.nbytes
        chunks.append(a)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, chunks


def _write_chunks(f, header: bytes, chunks: list[np.ndarray]) -> None:
    f.write(header)
    for a in chunks:
        if a.nbytes:
            f.write(memoryview(a.reshape(-1)).cast("B"))


def save(obj, path, metadata: dict[str, str] | None = None) -> None:
    """Save a state dict (flat or nested) to ``path`` as safetensors, atomically.

    ``obj`` is a ``{name: Tensor}`` dict (written exactly as ``safetensors`` would) or any
    nest of dicts, lists and tuples holding tensors, NumPy arrays, numbers, strings and
    None. A flat dict is a plain safetensors file whose arrays load back as Tensors; in a
    nested object NumPy arrays load back as arrays. ``metadata`` is extra ``{str: str}``
    stored in the header. The file is written to a temporary file beside ``path`` and
    renamed over it only when complete.

    >>> cr.save(model.state_dict(), "model.safetensors")

    ``path`` may also be a file opened for binary writing (or ``io.BytesIO``), as in
    ``torch.save(obj, f)``; the bytes are then written to it directly.
    """
    to_file = hasattr(path, "write")
    if not to_file and not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"save: path must be a str, os.PathLike or a binary file, got {type(path).__name__}"
        )
    path = path if to_file else Path(path)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise TypeError(f"save: metadata must be a dict of str to str, got {metadata!r}")
        if STRUCTURE_KEY in metadata:
            raise ValueError(f"save: metadata key {STRUCTURE_KEY!r} is reserved")
    arrays, skeleton, flat = _flatten(obj, "save")
    meta = dict(metadata or {})
    if not flat:
        meta[STRUCTURE_KEY] = json.dumps(skeleton, separators=(",", ":"), ensure_ascii=False)
    header, chunks = _serialize(arrays, meta)
    if to_file:
        _write_chunks(path, header, chunks)
        return
    atomic_write(path, lambda f: _write_chunks(f, header, chunks), "save")


# -- reading ----------------------------------------------------------------------------

class LoadError(ValueError):
    """A file ``load`` cannot read: not safetensors, truncated, or inconsistent.

    Every such file raises this one type (a ``ValueError``), with a message that starts
    with ``load:`` and names the file and what is wrong.
    """


#: NumPy's limit on dimensions; a shape with more is refused before anything is read.
_MAX_NDIM = 64
#: Nesting depth of the saved structure (state dicts nest a handful of levels).
_MAX_DEPTH = 100


def _fail(where: str, what: str) -> LoadError:
    # "load: FILE is not..." / "load: FILE: tensor ..." read as one sentence either way.
    sep = " " if what.startswith("is ") else ": "
    return LoadError(f"load: {where}{sep}{what}")


def _read_header(f, size: int, where: str) -> tuple[int, dict]:
    """The header length and the parsed JSON header, checked against the file size."""
    if size < 8:
        raise _fail(where, f"is not a safetensors file: {size} bytes, shorter than the 8-byte "
                           f"header length")
    (n,) = struct.unpack("<Q", f.read(8))
    if n > _MAX_HEADER or 8 + n > size:
        raise _fail(where, f"is not a safetensors file or is truncated: header length {n} but the "
                           f"file has {size} bytes")
    text = f.read(n)
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(where, f"is not a safetensors file: bad JSON header ({e})") from None
    except RecursionError:
        raise _fail(where, "is not a safetensors file: the JSON header nests too deeply") from None
    if not isinstance(header, dict):
        raise _fail(where, "is not a safetensors file: header is not a JSON object")
    return n, header


def _layout(header: dict, header_size: int, data_size: int, where: str) -> list[tuple]:
    """``(name, dtype, shape, begin, stop)`` of every tensor, all checked against each other
    and against ``data_size`` before a byte of tensor data is read."""
    entries = []
    for name, info in header.items():
        dtype, shape, (begin, stop) = _entry(name, info, where)
        count = math.prod(shape)  # Python ints: no overflow whatever the shape
        itemsize = 2 if dtype == "BF16" else _DTYPES[dtype].itemsize
        if stop - begin != count * itemsize:
            raise _fail(where, f"tensor {name!r} of dtype {dtype} and shape {shape} needs "
                               f"{count * itemsize} bytes, its data_offsets {[begin, stop]} "
                               f"hold {stop - begin}")
        entries.append((name, dtype, shape, begin, stop))
    entries.sort(key=lambda e: (e[3], e[4]))
    end = 0
    for name, _, _, begin, stop in entries:
        if begin != end:
            raise _fail(where, f"tensor {name!r} starts at byte {begin}, expected {end} "
                               f"(tensors must not overlap or leave gaps)")
        end = stop
    if end != data_size:
        what = "truncated" if end > data_size else "longer than its header says"
        raise _fail(where, f"is {what}: expected {8 + header_size + end} bytes, got "
                           f"{8 + header_size + data_size}")
    return entries


def _entry(name, info, where):
    if not isinstance(info, dict):
        raise _fail(where, f"header entry {name!r} is not an object")
    dtype = info.get("dtype")
    if not isinstance(dtype, str) or (dtype not in _DTYPES and dtype != "BF16"):
        raise _fail(where, f"tensor {name!r} has unsupported dtype {str(dtype)[:40]!r}; "
                           f"supported: {', '.join([*_DTYPES, 'BF16'])}")
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(
        type(s) is int and s >= 0 for s in shape
    ):
        raise _fail(where, f"tensor {name!r} has a bad shape {str(shape)[:80]}")
    if len(shape) > _MAX_NDIM:
        raise _fail(where, f"tensor {name!r} has {len(shape)} dimensions; at most "
                           f"{_MAX_NDIM} are supported")
    itemsize = 2 if dtype == "BF16" else _DTYPES[dtype].itemsize
    # NumPy refuses shapes whose non-zero sizes multiply past int64, even with a 0 among them
    if math.prod(s for s in shape if s) * itemsize >= 2**63:
        raise _fail(where, f"tensor {name!r} has shape {shape}, too large for any array")
    offsets = info.get("data_offsets")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(o) is int and o >= 0 for o in offsets)
        or offsets[1] < offsets[0]
    ):
        raise _fail(where, f"tensor {name!r} has bad data_offsets {str(offsets)[:80]}")
    return dtype, tuple(shape), offsets


def _read_arrays(f, entries, data_size: int, where: str) -> dict[str, np.ndarray]:
    """Read the data once into one buffer (no second copy); the arrays are views of it."""
    buf = np.empty(data_size, dtype=np.uint8)
    view = memoryview(buf)
    got = 0
    while got < data_size:
        n = f.readinto(view[got:])
        if not n:
            raise _fail(where, f"the file shrank while being read ({got} of {data_size} "
                               f"data bytes)")
        got += n
    arrays = {}
    for name, dtype, shape, begin, stop in entries:
        if dtype == "BF16":
            bits = buf[begin:stop].view("<u2").astype(np.uint32) << 16
            a = bits.view(np.float32)
        else:
            count = math.prod(shape)
            a = np.frombuffer(buf, dtype=_DTYPES[dtype], count=count, offset=begin)
        arrays[name] = a.reshape(shape)
    return arrays


def _unflatten(node, tensors: dict[str, Tensor], arrays: dict[str, np.ndarray], where: str,
               depth: int = 0):
    if depth > _MAX_DEPTH:
        raise _fail(where, f"the saved structure nests deeper than {_MAX_DEPTH} levels")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node

    def sub(v):
        return _unflatten(v, tensors, arrays, where, depth + 1)

    if isinstance(node, list):
        return [sub(v) for v in node]
    if isinstance(node, dict) and len(node) == 1:
        (tag, value), = node.items()
        if tag in ("tensor", "ndarray") and isinstance(value, str):
            if value not in arrays:
                raise _fail(where, f"the structure names a missing tensor {value[:80]!r}")
            return tensors[value] if tag == "tensor" else arrays[value]
        if tag == "float" and value in ("inf", "-inf", "nan"):
            return float(value)
        if tag == "tuple" and isinstance(value, list):
            return tuple(sub(v) for v in value)
        if tag == "dict" and isinstance(value, dict):
            return {k: sub(v) for k, v in value.items()}
        if tag == "items" and isinstance(value, list) and all(
            isinstance(kv, list) and len(kv) == 2 and isinstance(kv[0], (str, int))
            for kv in value
        ):
            return {k: sub(v) for k, v in value}
    raise _fail(where, f"unreadable structure entry {str(node)[:80]}")


def load(path, map_location=None, *, weights_only: bool | None = None,
         return_metadata: bool = False, mmap: bool | None = None):
    """Load what ``save`` wrote (or any safetensors file) from ``path``.

    A file of plain tensors gives a ``{name: Tensor}`` dict; a nested object saved by
    ``save`` comes back with the same structure. With ``return_metadata=True`` the result
    is ``(obj, metadata)``. BF16 tensors are read as float32.

    The header is checked in full (dtypes, shapes, offsets, against the file size) before
    any tensor data is read, and the data is read once into one buffer that the tensors
    share, so loading needs about the file's size in memory and a bad file costs almost
    nothing. Every malformed file raises ``LoadError`` (a ``ValueError``); loading never
    executes code.

    >>> model.load_state_dict(cr.load("model.safetensors"))

    As ``torch.load``: ``path`` may be a file opened for binary reading; ``map_location``
    (``"cpu"``, ``"cuda"``, a ``cr.device``, a ``{from: to}`` dict or a function of
    (tensor, location)) says where the tensors go; ``weights_only`` is accepted with any
    value, since a safetensors file holds data only and loading never runs code.
    """
    from_file = hasattr(path, "read")
    if not from_file and not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"load: path must be a str, os.PathLike or a binary file, got {type(path).__name__}"
        )
    if from_file:
        where = getattr(path, "name", "<file object>")
        f = io.BytesIO(path.read())
        size = len(f.getbuffer())
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"load: no such file: {path}")
        where = str(path)
        f = open(path, "rb")
        size = os.fstat(f.fileno()).st_size
    with f:
        n, header = _read_header(f, size, where)
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise _fail(where, "__metadata__ must map str to str")
        entries = _layout(header, n, size - 8 - n, where)
        skeleton = None
        structure = metadata.pop(STRUCTURE_KEY, None)
        if structure is not None:
            try:
                skeleton = json.loads(structure)
            except json.JSONDecodeError as e:
                raise _fail(where, f"bad {STRUCTURE_KEY} metadata ({e})") from None
            except RecursionError:
                raise _fail(where, f"{STRUCTURE_KEY} metadata nests too deeply") from None
        arrays = _read_arrays(f, entries, size - 8 - n, where)
    tensors = {name: _map_location(Tensor(a), map_location) for name, a in arrays.items()}
    obj = tensors if structure is None else _unflatten(skeleton, tensors, arrays, where)
    return (obj, metadata) if return_metadata else obj


def _map_location(t: Tensor, map_location) -> Tensor:
    """``t`` (read on the CPU) moved where ``torch.load``'s ``map_location`` says."""
    if map_location is None:
        return t
    if callable(map_location) and not isinstance(map_location, (str, dict)):
        r = map_location(t, "cpu")
        return t if r is None else r
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
    return t.to(map_location)
