"""chainrule.utils.tensorboard: event files read back by TensorBoard's own reader."""

import struct

import numpy as np
import pytest

from chainrule.utils.tensorboard import SummaryWriter
from chainrule.utils.tensorboard import events as ev


def accumulator(path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(path), size_guidance={"histograms": 0, "scalars": 0})
    ea.Reload()
    return ea


def test_crc32c_known_values_and_masking():
    assert ev.crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert ev.crc32c(b"") == 0
    assert ev.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 test vector: 32 zero bytes
    crc = ev.crc32c(b"abc")
    assert ev.masked_crc32c(b"abc") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_record_framing_is_read_by_tensorboards_reader(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: F401

    data = ev.event(12.5, 7, summary=ev.summary(ev.summary_value("a/b", simple_value=1.5)))
    rec = ev.record(data)
    length, = struct.unpack("<Q", rec[:8])
    assert length == len(data) and rec[12:12 + length] == data
    e = event_pb2.Event.FromString(data)
    assert e.wall_time == 12.5 and e.step == 7
    assert e.summary.value[0].tag == "a/b" and e.summary.value[0].simple_value == 1.5
    # Negative steps are ten-byte varints, as protobuf encodes negative int64.
    assert event_pb2.Event.FromString(ev.event(0.0, -3)).step == -3


def test_scalars_histograms_and_steps(tmp_path):
    g = np.random.default_rng(0)
    with SummaryWriter(tmp_path, max_queue=3) as w:
        for step in range(6):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("np", np.float32(2.5), 0)
        w.add_histogram("w", g.normal(size=500), 2)
        w.add_histogram("w/bins", np.arange(10.0), 3, bins=5)
    ea = accumulator(tmp_path)
    assert set(ea.Tags()["scalars"]) == {"loss/train", "np"}
    events = ea.Scalars("loss/train")
    assert [e.step for e in events] == list(range(6))
    np.testing.assert_allclose([e.value for e in events], [1 / (s + 1) for s in range(6)],
                               rtol=1e-6)
    h = ea.Histograms("w")[0]
    assert h.step == 2 and h.histogram_value.num == 500
    assert sum(h.histogram_value.bucket) == 500
    b = ea.Histograms("w/bins")[0].histogram_value
    assert list(b.bucket) == [2, 2, 2, 2, 2] and b.sum == 45 and b.sum_squares == 285


def test_hparams_read_back_through_the_plugin(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.plugins.hparams import plugin_data_pb2

    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "bn": True, "layers": 3},
                      {"hparam/accuracy": 0.9}, run_name="trial")
    ea = accumulator(tmp_path / "trial")
    content = ea.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["lr"].number_value == 0.01
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["bn"].bool_value is True
    assert start.hparams["layers"].number_value == 3
    exp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    assert [m.name.tag for m in exp.experiment.metric_infos] == ["hparam/accuracy"]
    assert ea.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)


def test_graph_from_the_onnx_exporter(tmp_path):
    pytest.importorskip("onnx")
    import chainrule as cr
    from chainrule import nn

    with SummaryWriter(tmp_path) as w:
        w.add_graph(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), cr.randn(2, 3))
    graph = accumulator(tmp_path).Graph()
    ops = {n.name: n.op for n in graph.node}
    assert ops["0/Gemm"] == "Gemm" and ops["1/Relu"] == "Relu"
    assert list(next(n for n in graph.node if n.name == "1/Relu").input) == ["0/Gemm"]


def test_bad_values_are_named(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="add_scalar: scalar_value must be a number"):
            w.add_scalar("x", "high", 0)
        with pytest.raises(ValueError, match="single number"):
            w.add_scalar("x", np.ones(3), 0)
        with pytest.raises(ValueError, match="bins"):
            w.add_histogram("x", np.ones(3), 0, bins=0)
        with pytest.raises(ValueError, match="no finite values"):
            w.add_histogram("x", np.array([np.nan]), 0)
    with pytest.raises(ValueError, match="closed"):
        w.add_scalar("x", 1.0, 0)
