"""chainrule.onnx.export: every module type x opsets 17/20/21, checked by ONNX's checker and
run by onnxruntime at a batch size other than the example's; load gives the model back."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import chainrule as cr  # noqa: E402
import chainrule.onnx as cx  # noqa: E402
from chainrule import nn  # noqa: E402


def bn(cls, c):
    m = cls(c)
    g = np.random.default_rng(1)
    m.running_mean.array[...] = g.normal(size=c).astype(np.float32)
    m.running_var.array[...] = g.uniform(0.5, 2.0, size=c).astype(np.float32)
    m.weight.array[...] = g.normal(size=c).astype(np.float32)
    return m


# name: (module factory, example input shape, batch axis, integer input high or None)
CASES = {
    "Linear": (lambda: nn.Linear(4, 3), (2, 4), 0, None),
    "Linear_3d": (lambda: nn.Linear(4, 3, bias=False), (2, 5, 4), 0, None),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=1), (2, 2, 9), 0, None),
    "Conv1d_same": (lambda: nn.Conv1d(2, 4, 4, padding="same", dilation=2, groups=2),
                    (2, 2, 9), 0, None),
    "Conv2d": (lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), (2, 2, 7, 6),
               0, None),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1,
                                                   output_padding=1), (2, 2, 5), 0, None),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, groups=2, dilation=2),
                        (2, 4, 4, 5), 0, None),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, stride=2, padding=1), (2, 3, 10), 0, None),
    "MaxPool2d": (lambda: nn.MaxPool2d(2, ceil_mode=True), (2, 3, 7, 7), 0, None),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False),
                  (2, 3, 10), 0, None),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 3, 8, 6), 0, None),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), (2, 3, 9), 0, None),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5), 0, None),
    "BatchNorm1d": (lambda: bn(nn.BatchNorm1d, 3), (2, 3), 0, None),
    "BatchNorm1d_3d": (lambda: bn(nn.BatchNorm1d, 3), (2, 3, 5), 0, None),
    "BatchNorm2d": (lambda: bn(nn.BatchNorm2d, 3), (2, 3, 4, 4), 0, None),
    "LayerNorm": (lambda: nn.LayerNorm((3, 4)), (2, 5, 3, 4), 0, None),
    "Dropout": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), (2, 4), 0, None),
    "Embedding": (lambda: nn.Embedding(10, 3), (2, 5), 0, 10),
    "ReLU": (nn.ReLU, (2, 5), 0, None),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), (2, 5), 0, None),
    "ELU": (lambda: nn.ELU(0.7), (2, 5), 0, None),
    "GELU": (nn.GELU, (2, 5), 0, None),
    "GELU_tanh": (lambda: nn.GELU("tanh"), (2, 5), 0, None),
    "SiLU": (nn.SiLU, (2, 5), 0, None),
    "Sigmoid": (nn.Sigmoid, (2, 5), 0, None),
    "Tanh": (nn.Tanh, (2, 5), 0, None),
    "Softplus": (lambda: nn.Softplus(beta=2.0, threshold=1.0), (2, 5), 0, None),
    "Softmax": (lambda: nn.Softmax(dim=1), (2, 5), 0, None),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=-1), (2, 3, 5), 0, None),
    "Identity": (nn.Identity, (2, 5), 0, None),
    "Flatten": (nn.Flatten, (2, 3, 4), 0, None),
    "Flatten_middle": (lambda: nn.Flatten(1, 2), (2, 3, 4, 5), 0, None),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6), 0, None),
    "RNN": (lambda: nn.RNN(3, 4, nonlinearity="relu"), (6, 2, 3), 1, None),
    "RNN_bi_2layers": (lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True), (6, 2, 3), 1,
                       None),
    "LSTM": (lambda: nn.LSTM(3, 4, batch_first=True), (2, 6, 3), 0, None),
    "LSTM_bi_2layers": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), (6, 2, 3), 1,
                        None),
    "GRU": (lambda: nn.GRU(3, 4, bias=False), (6, 2, 3), 1, None),
    "GRU_bi_batch_first": (lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True,
                                          batch_first=True), (2, 6, 3), 0, None),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(8, 2, 16), (5, 2, 8), 1,
                                None),
    "TransformerEncoderLayer_gelu_norm_first": (
        lambda: nn.TransformerEncoderLayer(8, 4, 16, activation="gelu", norm_first=True,
                                           batch_first=True), (2, 5, 8), 0, None),
    "TransformerEncoder": (lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, norm=nn.LayerNorm(8)),
        (2, 5, 8), 0, None),
    "CNN": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), bn(nn.BatchNorm2d, 4),
                                  nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(4 * 4 * 4, 3)), (2, 1, 8, 8), 0, None),
}


def example(shape, high, seed=0):
    g = np.random.default_rng(seed)
    if high is not None:
        return cr.Tensor(g.integers(0, high, size=shape).astype(np.int64))
    return cr.Tensor(g.normal(size=shape).astype(np.float32))


def flat(out) -> list[np.ndarray]:
    """A module's outputs as arrays: (y, (h, c)) -> [y, h, c]."""
    if isinstance(out, tuple):
        return [a for o in out for a in flat(o)]
    return [] if out is None else [out.numpy()]


@pytest.mark.parametrize("opset", [17, 20, 21])
@pytest.mark.parametrize("name", sorted(CASES))
def test_export_checks_and_matches_onnxruntime(name, opset, tmp_path):
    factory, shape, axis, high = CASES[name]
    cr.manual_seed(0)
    model = factory()
    path = tmp_path / f"{name}.onnx"
    cx.export(model, example(shape, high), path, opset=opset)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset
    assert model.training  # export puts the mode back
    other = list(shape)
    other[axis] = 3  # a batch size the example did not have
    x = example(tuple(other), high, seed=1)
    model.eval()
    with cr.no_grad():
        want = flat(model(x))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-5)
    # Export -> import gives the same function and the same weights.
    net = cx.load(path)
    with cr.no_grad():
        back = flat(net(x))
    # Attention and adaptive pooling are composed from other ONNX ops: rounding may differ.
    exact = "Transformer" not in name and "Adaptive" not in name
    for b, w in zip(back, want):
        if exact:
            np.testing.assert_array_equal(b, w)
        else:
            np.testing.assert_allclose(b, w, rtol=0, atol=1e-6)
    if name in ("Linear", "CNN", "Conv2d"):
        sd = model.state_dict()
        for key, value in net.state_dict().items():
            np.testing.assert_array_equal(value.numpy(), sd[key].numpy())


def test_multihead_attention_three_inputs_and_weights(tmp_path):
    cr.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, kdim=6, vdim=5)
    q, k, v = cr.randn(4, 2, 8), cr.randn(7, 2, 6), cr.randn(7, 2, 5)
    path = tmp_path / "mha.onnx"
    cx.export(m, (q, k, v), path, opset=20, input_names=["q", "k", "v"],
              output_names=["out", "weights"])
    onnx.checker.check_model(onnx.load(path), full_check=True)
    q, k, v = cr.randn(4, 3, 8), cr.randn(7, 3, 6), cr.randn(7, 3, 5)
    with cr.no_grad():
        out, w = m(q, k, v)
    got = ort.InferenceSession(str(path)).run(None, {"q": q.numpy(), "k": k.numpy(),
                                                     "v": v.numpy()})
    np.testing.assert_allclose(got[0], out.numpy(), atol=1e-5)
    np.testing.assert_allclose(got[1], w.numpy(), atol=1e-5)


def test_unsupported_module_is_named(tmp_path):
    class Mystery(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(cx.UnsupportedModuleError, match="Mystery"):
        cx.export(nn.Sequential(nn.Linear(2, 2), Mystery()), cr.randn(1, 2), tmp_path / "m")
    with pytest.raises(cx.UnsupportedModuleError, match="return_indices"):
        cx.export(nn.MaxPool1d(2, return_indices=True), cr.randn(1, 1, 4), None)


def test_register_converter_for_a_custom_module(tmp_path):
    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    @cx.register_converter(Double)
    def _double(g, m, xs, scope):
        return [g.node("Add", [xs[0].name, xs[0].name], hint=scope)]

    try:
        model = nn.Sequential(nn.Linear(2, 3), Double())
        cx.export(model, cr.randn(1, 2), tmp_path / "d.onnx")
        x = cr.randn(4, 2)
        with cr.no_grad():
            want = model(x).numpy()
        got = ort.InferenceSession(str(tmp_path / "d.onnx")).run(None, {"input": x.numpy()})
        np.testing.assert_allclose(got[0], want, atol=1e-6)
    finally:
        del cx.CONVERTERS[Double]


def test_pytorch_signature_and_bad_arguments(tmp_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "t.onnx"
    cr.onnx.export(model, args=(cr.randn(1, 3),), f=str(path), opset_version=20,
                   input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}},
                   dynamic_batch=False, export_params=True, do_constant_folding=True)
    proto = onnx.load(path)
    assert proto.opset_import[0].version == 20
    assert proto.graph.input[0].name == "x" and proto.graph.output[0].name == "y"
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    with pytest.raises(ValueError, match="opset"):
        cx.export(model, cr.randn(1, 3), None, opset=9)
    with pytest.raises(TypeError, match="nn.Module"):
        cx.export(lambda x: x, cr.randn(1, 3), None)
    with pytest.raises(TypeError, match="not both"):
        cx.export(model, cr.randn(1, 3), None, args=(cr.randn(1, 3),))


def test_missing_onnx_names_the_extra(monkeypatch):
    import sys

    from chainrule._optional import MissingDependencyError

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'chainrule\[onnx\]'"):
        cx.export(nn.Linear(2, 2), cr.randn(1, 2), None)
    with pytest.raises(MissingDependencyError, match="chainrule.onnx.load"):
        cx.load("x.onnx")
