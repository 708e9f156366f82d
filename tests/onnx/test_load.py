"""chainrule.onnx.load: imported graphs run with chainrule ops, train by backprop, and pass
ONNX's own backend test data."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

import chainrule as cr  # noqa: E402
import chainrule.onnx as cx  # noqa: E402
from chainrule import nn  # noqa: E402

BENCH = Path(__file__).resolve().parents[2] / "bench" / "onnx_import.py"


def bench():
    spec = importlib.util.spec_from_file_location("onnx_import", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model, shape", [
    (lambda: nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.Tanh(), nn.AvgPool1d(2),
                           nn.Flatten(), nn.Linear(6, 2), nn.LogSoftmax(dim=1)), (2, 2, 4)),
    (lambda: nn.LSTM(3, 2, bidirectional=True), (3, 2, 3)),
    (lambda: nn.Sequential(nn.LayerNorm(4), nn.GELU(), nn.Linear(4, 2)), (2, 4)),
    (lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True), (2, 3, 4)),
])
def test_gradients_through_an_imported_graph_pass_gradcheck(model, shape, tmp_path):
    cr.manual_seed(0)
    cx.export(model(), cr.randn(*shape), tmp_path / "m.onnx", opset=17)
    net = cx.load(tmp_path / "m.onnx").double()
    x = cr.randn(*shape, dtype="float64", requires_grad=True)
    params = list(net.parameters())
    assert params and all(p.dtype == np.float64 for p in params)

    def f(x, *ps):
        out = net(x)
        return out[0] if isinstance(out, tuple) else out

    assert cr.gradcheck(f, (x, *params[:3]))


def test_imported_model_fine_tunes(tmp_path):
    cr.manual_seed(0)
    X = cr.randn(64, 4)
    y = cr.tensor((X.numpy()[:, 0] > 0).astype(np.int64))
    cx.export(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), X[:1],
              tmp_path / "m.onnx")
    net = cx.load(tmp_path / "m.onnx")
    opt = cr.optim.Adam(net.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        loss = nn.functional.cross_entropy(net(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_load_accepts_bytes_and_protos_and_checks_inputs(tmp_path):
    proto = cx.export(nn.Linear(3, 2), cr.randn(1, 3), None)
    x = cr.randn(2, 3)
    a, b = cx.load(proto)(x), cx.load(proto.SerializeToString())(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(TypeError, match="takes 1 inputs"):
        cx.load(proto)(x, x)
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        cx.load(tmp_path / "nope.onnx")


def test_unsupported_operator_is_named():
    h = onnx.helper
    node = h.make_node("Unique", ["x"], ["y"])
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", 1, [3])],
                         [h.make_tensor_value_info("y", 1, [None])])
    with pytest.raises(cx.UnsupportedOperatorError, match="'Unique'"):
        cx.load(h.make_model(graph))


def test_backend_pytorch_converted_and_operator_suites():
    counts = bench().main(["--suite", "pytorch-converted", "--suite", "pytorch-operator"])
    # The README's figures: only allowed to go up.
    assert counts["pytorch-converted"]["pass"] >= 82
    assert counts["pytorch-operator"]["pass"] >= 35


@pytest.mark.slow
def test_backend_node_suite():
    counts = bench().main(["--suite", "node"])
    assert counts["node"]["pass"] >= 1451


def single_node(op, shapes, out_count=1, inits=None, opset=23, **attrs):
    """A one-node ONNX model with float64 inputs of ``shapes`` (and integer initializers)."""
    h = onnx.helper
    names = [f"x{i}" for i in range(len(shapes))]
    inits = inits or {}
    node = h.make_node(op, names + list(inits), [f"y{i}" for i in range(out_count)], **attrs)
    graph = h.make_graph(
        [node], "g", [h.make_tensor_value_info(n, onnx.TensorProto.DOUBLE, s)
                      for n, s in zip(names, shapes)],
        [h.make_tensor_value_info(f"y{i}", onnx.TensorProto.DOUBLE, None)
         for i in range(out_count)],
        [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])


@pytest.mark.parametrize("op, shapes, inits, attrs", [
    ("Conv", [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)], {}, {"pads": [1, 0, 0, 0, 1, 1],
                                                       "strides": [2, 1, 1]}),
    ("MaxPool", [(1, 2, 5, 4, 4)], {}, {"kernel_shape": [2, 2, 2], "pads": [0, 1, 0, 1, 0, 0]}),
    ("AveragePool", [(1, 2, 5, 5)], {}, {"kernel_shape": [3, 2], "strides": [2, 2],
                                          "pads": [1, 0, 0, 1], "ceil_mode": 1}),
    ("Pad", [(2, 4)], {"pads": np.array([1, 2, 0, 1])}, {"mode": "reflect"}),
    ("CumSum", [(3, 4)], {"axis": np.array(1)}, {"exclusive": 1, "reverse": 1}),
    ("GatherElements", [(3, 4)], {"idx": np.array([[0, 3], [1, 1], [2, 0]])}, {"axis": 1}),
    ("LayerNormalization", [(2, 3, 4), (4,), (4,)], {}, {"axis": -1}),
    ("Attention", [(1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 2)], {}, {"is_causal": 1,
                                                                  "softcap": 2.0}),
    ("GRU", [(3, 2, 2), (2, 6, 2), (2, 6, 2), (2, 12)], {}, {"hidden_size": 2,
                                                            "direction": "bidirectional"}),
    ("LSTM", [(3, 2, 2), (1, 8, 2), (1, 8, 2)], {}, {"hidden_size": 2, "layout": 0}),
    ("Resize", [(1, 2, 3, 3)], {"roi": np.zeros(0, np.float32),
                                "scales": np.array([1, 1, 2, 1.5], np.float32)},
     {"mode": "cubic", "coordinate_transformation_mode": "half_pixel"}),
])
def test_imported_operators_are_differentiable(op, shapes, inits, attrs):
    net = cx.load(single_node(op, shapes, inits=inits, **attrs))
    g = np.random.default_rng(0)
    xs = [cr.tensor(g.normal(size=s), dtype="float64", requires_grad=True) for s in shapes]

    def f(*xs):
        out = net(*xs)
        return out[0] if isinstance(out, tuple) else out

    assert cr.gradcheck(f, tuple(xs))


def test_softmax_cross_entropy_matches_chainrule_and_differentiates():
    h = onnx.helper
    node = h.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["loss"], ignore_index=2)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", 11, [4, 3]),
                                       h.make_tensor_value_info("t", 7, [4])],
                         [h.make_tensor_value_info("loss", 11, [])])
    net = cx.load(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]))
    x = cr.randn(4, 3, dtype="float64", requires_grad=True)
    t = cr.tensor(np.array([0, 2, 1, 1]))
    want = nn.functional.cross_entropy(x, t, ignore_index=2)
    np.testing.assert_allclose(net(x, t).item(), want.item(), rtol=1e-12)
    assert cr.gradcheck(lambda x: net(x, t), (x,))


@pytest.mark.parametrize("reduction", ["none", "add", "max"])
def test_scatter_elements_reaches_data_and_updates(reduction):
    h = onnx.helper
    idx = np.array([[1, 0], [2, 2]])
    node = h.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction=reduction)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", 11, [2, 3]),
                                       h.make_tensor_value_info("u", 11, [2, 2])],
                         [h.make_tensor_value_info("y", 11, [2, 3])],
                         [onnx.numpy_helper.from_array(idx, "i")])
    net = cx.load(h.make_model(graph, opset_imports=[h.make_opsetid("", 18)]))
    g = np.random.default_rng(0)
    x = cr.tensor(g.normal(size=(2, 3)), dtype="float64", requires_grad=True)
    u = cr.tensor(g.normal(size=(2, 2)), dtype="float64", requires_grad=True)
    want = x.numpy().copy()
    for r in range(2):
        for c in range(2):
            j = idx[r, c]
            v = u.numpy()[r, c]
            want[r, j] = {"none": v, "add": want[r, j] + v, "max": max(want[r, j], v)}[reduction]
    np.testing.assert_allclose(net(x, u).numpy(), want)
    assert cr.gradcheck(lambda x, u: net(x, u), (x, u))
