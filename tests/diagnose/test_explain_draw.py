"""explain() on the XOR network, and draw() of its graph."""

import io
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnose, nn


def xor_loss():
    """The 2-2-1 sigmoid XOR network, its parameters by name, and its MSE loss."""
    cr.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    X = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = cr.tensor([[0.0], [1.0], [1.0], [0.0]])
    names = dict(net.named_parameters())
    names.update(X=X, y=y)
    return ((net(X) - y) ** 2).mean(), net, names


def numbers(text):
    """The numbers after the last '=' of a printed line (shape prefix dropped)."""
    value = text.rsplit("=", 1)[1]
    value = value.split(":", 1)[1] if "shape" in value else value
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e[-+]\d+)?", value)
                     if v], dtype=np.float64)


def explained():
    loss, net, names = xor_loss()
    buf = io.StringIO()
    steps = diagnose.explain(loss, names=names, file=buf)
    return buf.getvalue(), steps, loss, net


def test_printed_leaf_gradients_equal_backward():
    text, steps, loss, net = explained()
    leaves = text.split("gradients of the leaves")[1].splitlines()[1:]
    printed = {ln.split("=")[0].strip().removeprefix("dL/d"): numbers(ln) for ln in leaves}
    loss.backward()
    assert sorted(printed) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for name, p in net.named_parameters():
        np.testing.assert_allclose(printed[name], p.grad.numpy().ravel(), rtol=1e-3)


def test_each_product_line_is_upstream_times_local():
    text, steps, _, _ = explained()
    blocks = text.split("\nstep ")[1:]
    checked = 0
    for block in blocks:
        lines = block.splitlines()
        up = [ln for ln in lines if "upstream" in ln]
        locs = [ln for ln in lines if ln.strip().startswith("local")]
        chains = [ln for ln in lines if "chain rule" in ln and " * " in ln]
        for loc, chain in zip(locs, chains):
            u, lo, c = numbers(up[0]), numbers(loc), numbers(chain)
            np.testing.assert_allclose(c, u * lo, rtol=2e-3, atol=1e-6)
            checked += 1
    assert checked == 5  # MulScalar (of the mean), PowScalar, Sub and the two Sigmoids
    # and exactly, on the returned steps
    for s in steps:
        for loc, d in zip(s.local, s.downstream):
            if loc is not None and d is not None:
                np.testing.assert_allclose(d, s.upstream[0] * loc, rtol=1e-6)


def test_explain_walks_the_graph_in_backward_order_and_leaves_it_usable():
    text, steps, loss, net = explained()
    ops = [s.node.name for s in steps]
    assert ops == ["MulScalar", "Sum", "PowScalar", "Sub", "Sigmoid", "LinearFunction",
                   "Sigmoid", "LinearFunction"]
    assert text.startswith("Backward pass from L = ")
    assert "step 5: t4 = Sigmoid(t5)" in text and "rule       dy/dx = y (1 - y)" in text
    assert "value      X = shape (4, 2): [0, 0, 0, 1, 1, 0, 1, 1]" in text
    loss.backward()  # the graph was not freed by explain
    assert net[0].weight.grad is not None


def test_broadcast_input_sums_the_product():
    w = cr.tensor([2.0], requires_grad=True)
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    buf = io.StringIO()
    steps = diagnose.explain((w * x).sum(), names={"w": w, "x": x}, file=buf)
    assert "dL/dw = dL/dt1 * dt1/dw, summed to w's shape (1,) = 10" in buf.getvalue()
    mul = steps[1]
    np.testing.assert_allclose(mul.downstream[0], [10.0])


def test_explain_bad_input():
    loss, _, _ = xor_loss()
    with pytest.raises(TypeError, match="explain: expected a Tensor, got float"):
        diagnose.explain(1.0)
    with pytest.raises(ValueError, match="explain: the tensor has no graph"):
        diagnose.explain(cr.tensor([1.0]))
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"explain: the output must be a scalar .* shape \(2,\)"):
        diagnose.explain(x * 2)
    with pytest.raises(TypeError, match="explain: names must be a dict"):
        diagnose.explain(loss, names=["w"])
    with pytest.raises(TypeError, match=r"explain: names\['w'\] must be a Tensor"):
        diagnose.explain(loss, names={"w": 3})
    loss.backward()
    with pytest.raises(RuntimeError, match="explain: the graph was freed by backward"):
        diagnose.explain(loss)


def test_draw_svg_without_graphviz_parses_and_names_the_ops(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    loss, _, names = xor_loss()
    path = diagnose.draw(loss, tmp_path / "graph.svg", names=names)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    for op in ("MulScalar", "Sum", "PowScalar", "Sub", "Sigmoid", "LinearFunction"):
        assert op in texts
    assert "0.weight" in texts and "(2, 2)" in texts and "|grad| 1" in texts
    # one box per node: 8 ops and 14 tensors (L, t1..t7, X, y and 4 parameters)
    assert len([e for e in root.iter() if e.tag.endswith("rect")]) == 8 + 14


def test_draw_png_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    loss, _, names = xor_loss()
    path = diagnose.draw(loss, str(tmp_path / "graph.png"), names=names)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_draw_svg_with_graphviz(tmp_path):
    loss, _, names = xor_loss()
    root = ET.parse(diagnose.draw(loss, tmp_path / "g.svg", names=names)).getroot()
    assert "LinearFunction" in ET.tostring(root, encoding="unicode")


def test_draw_text_and_dot(tmp_path):
    loss, _, names = xor_loss()
    text = open(diagnose.draw(loss, tmp_path / "g.txt", names=names)).read()
    lines = text.splitlines()
    assert lines[0] == "L  ()  |grad| 1"
    assert lines[1] == "  [MulScalar]"
    assert any(ln.strip().startswith("0.weight  (2, 2)  |grad| ") for ln in lines)
    dot = open(diagnose.draw(loss, tmp_path / "g.dot", names=names)).read()
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    assert dot.count("shape=box") == 8 and "LinearFunction" in dot
    # an edge from each op to its output, and 13 from inputs (1+1+1+2+1+3+1+3) to ops
    assert dot.count("->") == 8 + 13


def test_draw_layout_of_a_deep_diamond_chain_is_fast(tmp_path):
    # Each step uses x twice: with a naive layout the paths multiply as 2^depth.
    x = cr.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(40):
        y = y * 0.5 + y.sin()
    path = diagnose.draw(y.sum(), tmp_path / "deep.svg")
    ET.parse(path)


def test_draw_bad_paths(tmp_path):
    loss, _, _ = xor_loss()
    with pytest.raises(ValueError, match=r"draw: unsupported file type '.pdf'.*use .svg"):
        diagnose.draw(loss, tmp_path / "g.pdf")
    with pytest.raises(OSError, match=r"draw: cannot write .*g.svg: folder .* does not exist"):
        diagnose.draw(loss, tmp_path / "missing" / "g.svg")
    with pytest.raises(TypeError, match="draw: path must be a str or os.PathLike, got int"):
        diagnose.draw(loss, 3)
    with pytest.raises(TypeError, match="draw: expected a Tensor"):
        diagnose.draw(np.zeros(2), tmp_path / "g.svg")


def test_own_svg_layout_arrows_between_boxes_and_no_overlap(monkeypatch, tmp_path):
    import shutil
    import xml.etree.ElementTree as ET

    import chainrule as cr
    from chainrule import diagnose

    monkeypatch.setattr(shutil, "which", lambda name: None)  # chainrule's own layout
    cr.manual_seed(0)
    # five inputs side by side in one row
    xs = [cr.randn(3, requires_grad=True) for _ in range(5)]
    loss = (xs[0] * xs[1] + xs[2] * xs[3] - xs[4]).sum()
    path = diagnose.draw(loss, str(tmp_path / "g.svg"))
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    rects = [(float(r.get("x")), float(r.get("y")), float(r.get("width")),
              float(r.get("height"))) for r in root.iter(f"{ns}rect")]
    for i, (x, y, w, h) in enumerate(rects):
        for x2, y2, w2, h2 in rects[i + 1:]:
            overlap = x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h
            assert not overlap, ((x, y, w, h), (x2, y2, w2, h2))
    children = list(root)
    last_rect = max(i for i, c in enumerate(children) if c.tag == f"{ns}rect")
    lines = [(i, c) for i, c in enumerate(children) if c.tag == f"{ns}line"]
    assert lines and all(i > last_rect for i, _ in lines)  # arrows drawn over the boxes
    for _, ln in lines:
        x2, y2 = float(ln.get("x2")), float(ln.get("y2"))
        # an arrowhead never ends inside a box
        assert not any(x <= x2 <= x + w and y < y2 < y + h for x, y, w, h in rects)
