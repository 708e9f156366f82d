"""TensorBoard event files, written without TensorFlow, tensorboard or tensorboardX.

An event file is a sequence of TFRecords, each ``uint64 length, uint32 masked CRC-32C of
the length, data, uint32 masked CRC-32C of the data`` (little-endian), whose data is a
serialized ``tensorflow.Event`` protobuf. The few messages needed (Event, Summary,
HistogramProto, the hparams plugin's, GraphDef) are encoded here by hand from their
``.proto`` field numbers: protobuf's wire format is a key ``field_number << 3 | wire_type``
followed by a varint, a fixed 64-bit value or a length-delimited payload.
"""

from __future__ import annotations

import struct

import numpy as np

# -- CRC-32C (Castagnoli), as TFRecord uses -------------------------------------------------


def _crc_table() -> list[int]:
    poly = 0x82F63B78  # the Castagnoli polynomial, bit-reversed
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (``crc32c(b"123456789") == 0xE3069283``)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant, so that a CRC of
    data holding CRCs stays well distributed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord holding ``data``."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


# -- protobuf wire format ------------------------------------------------------------------


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # negative int32/int64 values are ten-byte two's complement varints
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(int(value))


def double_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", float(value))


def float_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", float(value))


def bytes_field(number: int, value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def packed_doubles(number: int, values) -> bytes:
    return bytes_field(number, np.asarray(values, dtype="<f8").tobytes())


# -- messages ------------------------------------------------------------------------------


def event(wall_time: float, step: int = 0, *, file_version: str | None = None,
          summary: bytes | None = None, graph_def: bytes | None = None) -> bytes:
    """tensorflow.Event: wall_time=1, step=2, file_version=3, graph_def=4, summary=5."""
    out = double_field(1, wall_time) + varint_field(2, step)
    if file_version is not None:
        out += bytes_field(3, file_version)
    if graph_def is not None:
        out += bytes_field(4, graph_def)
    if summary is not None:
        out += bytes_field(5, summary)
    return out


def plugin_metadata(plugin_name: str, content: bytes = b"") -> bytes:
    """SummaryMetadata{plugin_data=1: PluginData{plugin_name=1, content=2}}."""
    return bytes_field(1, bytes_field(1, plugin_name) + bytes_field(2, content))


def summary_value(tag: str, *, simple_value: float | None = None, histo: bytes | None = None,
                  metadata: bytes | None = None) -> bytes:
    """Summary.Value: tag=1, simple_value=2, histo=5, metadata=9."""
    out = bytes_field(1, tag)
    if simple_value is not None:
        out += float_field(2, simple_value)
    if histo is not None:
        out += bytes_field(5, histo)
    if metadata is not None:
        out += bytes_field(9, metadata)
    return out


def summary(*values: bytes) -> bytes:
    """Summary{value=1 (repeated)}."""
    return b"".join(bytes_field(1, v) for v in values)


def histogram(values, bins: int | str = "tensorflow") -> bytes:
    """HistogramProto{min=1, max=2, num=3, sum=4, sum_squares=5, bucket_limit=6, bucket=7}
    of the finite ``values``.

    ``bins``: a number of equal-width bins, or "tensorflow" for TensorFlow's default
    buckets (exponentially growing from 1e-12 by 10 %, mirrored for negative values).
    """
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    a = a[np.isfinite(a)]
    if a.size == 0:
        raise ValueError("histogram: no finite values to summarize")
    if bins == "tensorflow":
        pos = 1e-12 * 1.1 ** np.arange(np.ceil(np.log(1e20 / 1e-12) / np.log(1.1)))
        edges = np.concatenate([-pos[::-1], [0.0], pos, [np.finfo(np.float64).max]])
        counts = np.bincount(np.searchsorted(edges, a, side="left"), minlength=len(edges))
        limits = edges
        counts = counts[: len(edges)]
        keep = np.nonzero(counts)[0]
        # TensorBoard draws the non-empty buckets and their left neighbours.
        keep = np.unique(np.concatenate([keep, np.maximum(keep - 1, 0)]))
        limits, counts = limits[keep], counts[keep]
    else:
        counts, edges = np.histogram(a, bins=int(bins))
        limits = edges[1:]
    return (double_field(1, a.min()) + double_field(2, a.max()) + double_field(3, a.size)
            + double_field(4, a.sum()) + double_field(5, np.dot(a, a))
            + packed_doubles(6, limits) + packed_doubles(7, counts))


# -- the hparams plugin (tensorboard/plugins/hparams/*.proto) ------------------------------


def _protobuf_value(v) -> bytes:
    """google.protobuf.Value: number_value=2, string_value=3, bool_value=4."""
    if isinstance(v, (bool, np.bool_)):
        return varint_field(4, int(bool(v)))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return double_field(2, float(v))
    return bytes_field(3, str(v))


def hparams_session_start(hparams: dict, start_time: float, group_name: str = "") -> bytes:
    """HParamsPluginData{version=1: 0, session_start_info=3: SessionStartInfo{hparams=1
    (map<string, Value>), group_name=4, start_time_secs=5}}."""
    info = b"".join(bytes_field(1, bytes_field(1, k) + bytes_field(2, _protobuf_value(v)))
                    for k, v in hparams.items())
    if group_name:
        info += bytes_field(4, group_name)
    info += double_field(5, start_time)
    return varint_field(1, 0) + bytes_field(3, info)


def hparams_session_end(end_time: float) -> bytes:
    """HParamsPluginData{session_end_info=4: SessionEndInfo{status=1: SUCCESS (1),
    end_time_secs=2}}."""
    return varint_field(1, 0) + bytes_field(4, varint_field(1, 1) + double_field(2, end_time))


_HPARAM_TYPES = {str: 1, bool: 2, float: 3, int: 3}  # DATA_TYPE_STRING, _BOOL, _FLOAT64


def hparams_experiment(hparams: dict, metrics: list[str], time_created: float) -> bytes:
    """HParamsPluginData{experiment=2: Experiment{time_created_secs=3, hparam_infos=4
    (HParamInfo{name=1, type=4}), metric_infos=5 (MetricInfo{name=1: MetricName{tag=2}})}}."""
    exp = double_field(3, time_created)
    for k, v in hparams.items():
        kind = next((t for cls, t in _HPARAM_TYPES.items() if isinstance(v, cls)), 1)
        exp += bytes_field(4, bytes_field(1, k) + varint_field(4, kind))
    for m in metrics:
        exp += bytes_field(5, bytes_field(1, bytes_field(2, m)))
    return varint_field(1, 0) + bytes_field(2, exp)


# -- graphs (tensorflow GraphDef, as TensorBoard's graph view reads them) ------------------


def graph_def(nodes: list[tuple[str, str, list[str], dict[str, str]]]) -> bytes:
    """GraphDef{node=1: NodeDef{name=1, op=2, input=3, attr=5 (map<string, AttrValue{s=2}>)},
    versions=4: VersionDef{producer=1}} from (name, op, inputs, string attrs)."""
    out = b""
    for name, op, inputs, attrs in nodes:
        node = bytes_field(1, name) + bytes_field(2, op)
        node += b"".join(bytes_field(3, i) for i in inputs)
        node += b"".join(bytes_field(5, bytes_field(1, k) + bytes_field(2, bytes_field(2, v)))
                         for k, v in attrs.items())
        out += bytes_field(1, node)
    return out + bytes_field(4, varint_field(1, 22))
