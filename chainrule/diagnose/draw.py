"""``draw``: the computational graph with op names, shapes and gradient norms.

Graphviz (the ``dot`` program) renders it when installed; otherwise chainrule lays the
graph out itself (one row per depth) and writes SVG directly, or PNG through matplotlib.
``.dot`` writes the Graphviz source and ``.txt`` a text tree.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile

import numpy as np

from .trace import Namer, backward_steps, check_output


def _graph(output, names, fname="draw"):
    """Nodes and edges: tensors (ellipses) and ops (boxes), with gradient norms."""
    grads = {}
    namer = Namer(names, fname)
    if output.numel() == 1:
        steps, leaf_grads, namer = backward_steps(output, names, local=False, fname=fname)
        for s in steps:
            for o, u in zip(s.node.outputs, s.upstream):
                t = o()
                if t is not None:
                    grads[id(t)] = float(np.linalg.norm(u))
        grads.update({k: float(np.linalg.norm(g)) for k, g in leaf_grads.items()})
    nodes, edges, seen = {}, [], set()

    def tensor_node(t):
        k = f"t{id(t)}"
        if k not in nodes:
            name = namer(t, t.creator is None)
            g = grads.get(id(t))
            label = f"{name}\n{tuple(t.shape)}" + (f"\n|grad| {g:.3g}" if g is not None else "")
            nodes[k] = ("tensor", label, t.creator is None)
        return k

    stack = [output]
    root = tensor_node(output)
    while stack:
        t = stack.pop()
        c = t.creator
        if c is None or id(c) in seen:
            continue
        seen.add(id(c))
        fk = f"f{id(c)}"
        nodes[fk] = ("op", c.name, False)
        for r in c.outputs:
            o = r()
            if o is not None:
                edges.append((fk, tensor_node(o)))
        for x in c.inputs or ():
            edges.append((tensor_node(x), fk))
            stack.append(x)
    return nodes, edges, root


def to_dot(output, names: dict | None = None) -> str:
    """The graph of ``output`` in Graphviz's DOT language."""
    check_output("to_dot", output)
    nodes, edges, _ = _graph(output, names, "to_dot")
    lines = ["digraph chainrule {", "  rankdir=BT;", '  node [fontname="Helvetica"];']
    for k, (kind, label, leaf) in nodes.items():
        lab = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if kind == "op":
            lines.append(f'  {k} [label="{lab}", shape=box, style=filled, fillcolor="#dde8f7"];')
        else:
            fill = "#f7e3c6" if leaf else "#ffffff"
            lines.append(f'  {k} [label="{lab}", shape=ellipse, style=filled, '
                         f'fillcolor="{fill}"];')
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_text(output, names: dict | None = None) -> str:
    """The graph of ``output`` as an indented text tree (output at the top)."""
    check_output("to_text", output)
    nodes, edges, root = _graph(output, names, "to_text")
    children = {}
    for a, b in edges:  # a feeds b: b's children in the tree are a's
        children.setdefault(b, []).append(a)
    lines, shown = [], set()

    def walk(k, depth):
        kind, label, _ = nodes[k]
        text = label.replace("\n", "  ")
        again = k in shown and children.get(k)
        lines.append("  " * depth + ("[" + text + "]" if kind == "op" else text)
                     + ("  (see above)" if again else ""))
        if again:
            return
        shown.add(k)
        for c in children.get(k, []):
            walk(c, depth + 1)

    walk(root, 0)
    return "\n".join(lines) + "\n"


def _layout(nodes, edges, root):
    """Rows by longest distance from the output; returns ({node: (x, row, n_in_row)},
    number of rows, widest row)."""
    parents, n_children = {}, {}
    for a, b in edges:  # a feeds b
        parents.setdefault(b, []).append(a)
        n_children[a] = n_children.get(a, 0) + 1
    # Longest path in a DAG, in topological order from the output (Kahn's algorithm):
    # a node is placed once all the nodes it feeds are placed, so each is visited once.
    depth = {root: 0}
    waiting = dict(n_children)
    ready = [root]
    while ready:
        k = ready.pop()
        for p in parents.get(k, []):
            depth[p] = max(depth.get(p, 0), depth[k] + 1)
            waiting[p] -= 1
            if waiting[p] == 0:
                ready.append(p)
    rows = {}
    for k, d in depth.items():
        rows.setdefault(d, []).append(k)
    nrows = max(rows) + 1
    pos = {}
    for d, ks in rows.items():
        for i, k in enumerate(ks):
            pos[k] = ((i + 1) / (len(ks) + 1), d, len(ks))
    return pos, nrows, max(len(v) for v in rows.values())


def _box_width(nodes) -> float:
    """Boxes wide enough for the longest label line (about 6.5 px a character at 11 px)."""
    longest = max((len(line) for _, label, _ in nodes.values() for line in label.split("\n")),
                  default=10)
    return max(150.0, 6.5 * longest + 16)


def _svg(nodes, edges, root) -> str:
    pos, nrows, width = _layout(nodes, edges, root)
    bw, bh, gap, sep = _box_width(nodes), 54, 44, 24
    W = max(width * (bw + sep) + sep, 300)
    H = nrows * (bh + gap) + gap

    def xy(k):
        # a row's boxes side by side, bw + sep apart, centred: they never overlap
        fx, d, n = pos[k]
        i = round(fx * (n + 1)) - 1
        x = W / 2 + (i - (n - 1) / 2) * (bw + sep)
        return x, H - gap - d * (bh + gap) - bh / 2

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W:.0f}" height="{H:.0f}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="11">',
             '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" '
             'orient="auto" markerUnits="userSpaceOnUse"><path d="M0,0 L8,4 L0,8 z" '
             'fill="#555"/></marker></defs>']
    for k, (kind, label, leaf) in nodes.items():
        if k not in pos:
            continue
        x, y = xy(k)
        fill = "#dde8f7" if kind == "op" else ("#f7e3c6" if leaf else "#ffffff")
        rx = 4 if kind == "op" else 20
        parts.append(f'<rect x="{x - bw / 2:.0f}" y="{y - bh / 2:.0f}" width="{bw:.0f}" '
                     f'height="{bh}" rx="{rx}" fill="{fill}" stroke="#333"/>')
        lines = label.split("\n")
        for i, line in enumerate(lines):
            ty = y + (i - (len(lines) - 1) / 2) * 13 + 4
            parts.append(f'<text x="{x:.0f}" y="{ty:.0f}" text-anchor="middle">'
                         f"{html.escape(line)}</text>")
    # Edges after the boxes, so no box is drawn over an arrowhead; each ends 2 px short of
    # the box it points at: from the bottom of its source (further from the output, so
    # higher up) to the top of its target.
    for a, b in edges:
        if a in pos and b in pos:
            (x1, y1), (x2, y2) = xy(a), xy(b)
            parts.append(f'<line x1="{x1:.0f}" y1="{y1 + bh / 2:.0f}" x2="{x2:.0f}" '
                         f'y2="{y2 - bh / 2 - 2:.0f}" stroke="#555" marker-end="url(#a)"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _png(nodes, edges, root, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError(
            "draw: writing PNG needs Graphviz or matplotlib (pip install chainrule[train]); "
            "or write .svg, .dot or .txt"
        ) from None
    pos, nrows, width = _layout(nodes, edges, root)
    fig, ax = plt.subplots(figsize=(max(4, 2.2 * width), max(3, 1.2 * nrows)))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, nrows - 0.3)
    boxes = {}
    for k, (kind, label, leaf) in nodes.items():
        if k in pos:
            fill = "#dde8f7" if kind == "op" else ("#f7e3c6" if leaf else "#ffffff")
            boxes[k] = ax.text(pos[k][0], pos[k][1], label, ha="center", va="center",
                               fontsize=8, zorder=2,
                               bbox={"boxstyle": "round" if kind != "op" else "square",
                                     "fc": fill, "ec": "#333"})
    # Arrows between the boxes' edges (the text artists clip them), heads drawn on top.
    for a, b in edges:
        if a in boxes and b in boxes:
            ax.annotate("", xy=(0.5, 1), xycoords=boxes[b], xytext=(0.5, 0),
                        textcoords=boxes[a], zorder=3,
                        arrowprops={"arrowstyle": "-|>", "color": "#555", "shrinkA": 1,
                                    "shrinkB": 1})
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw(output, path, names: dict | None = None) -> str:
    """Draw the graph that computed ``output`` to ``path`` (.svg, .png, .dot or .txt).

    Boxes are ops, rounded boxes tensors (leaves shaded) with their shapes and, for a
    scalar output, the norm of the gradient backpropagation sends to each. Graphviz renders
    .svg/.png when installed; chainrule's own layout is used otherwise. Returns the path.

    >>> diagnose.draw(loss, "graph.svg", names=dict(model.named_parameters()))
    """
    from .plots import check_path

    check_output("draw", output)
    path = check_path("draw", path, (".svg", ".png", ".dot", ".txt"))
    ext = os.path.splitext(path)[1].lower()
    if ext == ".txt":
        content = to_text(output, names)
    elif ext == ".dot":
        content = to_dot(output, names)
    elif shutil.which("dot"):
        _graphviz(to_dot(output, names), ext[1:], path)
        return path
    else:
        nodes, edges, root = _graph(output, names)
        if ext == ".png":
            _png(nodes, edges, root, path)
            return path
        content = _svg(nodes, edges, root)
    from ..io.atomic import atomic_write_text

    atomic_write_text(path, content, "draw")
    return path


def _graphviz(dot_src: str, fmt: str, path: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as f:
        f.write(dot_src)
    try:
        subprocess.run(["dot", f"-T{fmt}", f.name, "-o", path], check=True,
                       capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        err = getattr(e, "stderr", b"") or b""
        raise RuntimeError(f"draw: Graphviz failed to render {path}: "
                           f"{err.decode(errors='replace').strip() or e}") from None
    finally:
        os.unlink(f.name)
