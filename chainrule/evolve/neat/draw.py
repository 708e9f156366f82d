"""Pictures of NEAT runs: a genome as a graph (the ``chainrule.diagnose.draw`` layout and
SVG/PNG renderers) and fitness and species sizes over generations (matplotlib)."""

from __future__ import annotations

import os

from chainrule.diagnose.draw import _png, _svg
from chainrule.diagnose.plots import check_path

from .config import NEATConfig
from .genome import BIAS, INPUT, OUTPUT, Genome

#: The node every output feeds, so diagnose's layout (rows by distance from one root)
#: puts the outputs on the top row and the inputs at the bottom.
_ROOT = "network"


def genome_graph(genome: Genome, config: NEATConfig | None = None):
    """(nodes, edges, root) in ``diagnose.draw``'s form: nodes {key: (kind, label, leaf)}."""
    act = config.activation if config else None
    out_act = config.output_activation if config else None
    nodes = {_ROOT: ("op", "outputs", False)}
    for n, kind in sorted(genome.nodes.items()):
        if kind == INPUT:
            label, leaf = f"input {n}", True
        elif kind == BIAS:
            label, leaf = "bias (1)", True
        elif kind == OUTPUT:
            label, leaf = f"output {n}" + (f"\n{out_act}" if out_act else ""), False
        else:
            label, leaf = f"hidden {n}" + (f"\n{act}" if act else ""), False
        nodes[n] = ("tensor", label, leaf)
    edges = [(c.in_node, c.out_node) for _, c in sorted(genome.connections.items())
             if c.enabled]
    edges += [(n, _ROOT) for n, k in sorted(genome.nodes.items()) if k == OUTPUT]
    return nodes, edges, _ROOT


def draw_genome(genome: Genome, path, config: NEATConfig | None = None) -> str:
    """Draw ``genome``'s enabled network to ``path`` (.svg, .png or .txt). Nodes that no
    output depends on are left out. Returns the path.

    >>> draw_genome(pop.best, "xor.svg", config)
    """
    if not isinstance(genome, Genome):
        raise TypeError(f"draw_genome: genome must be a Genome, got {type(genome).__name__}")
    path = check_path("draw_genome", path, (".svg", ".png", ".txt"))
    nodes, edges, root = genome_graph(genome, config)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".png":
        _png(nodes, edges, root, path)
        return path
    if ext == ".svg":
        text = _svg(nodes, edges, root)
    else:
        w = {(c.in_node, c.out_node): c.weight for c in genome.connections.values()
             if c.enabled}
        text = "".join(f"{nodes[a][1].splitlines()[0]} -> {nodes[b][1].splitlines()[0]}: "
                       f"{w[(a, b)]:.4g}\n" for a, b in edges if b != root)
    from chainrule.io.atomic import atomic_write_text

    atomic_write_text(path, text, "draw_genome")
    return path


def plot_history(history, path) -> str:
    """Best and mean fitness, and species sizes (stacked), over generations, to ``path``
    (an image file matplotlib can write). ``history`` is ``Population.history``."""
    if not history:
        raise ValueError("plot_history: the history is empty (run at least one generation)")
    from chainrule._optional import require

    matplotlib = require("matplotlib", extra="train", feature="plot_history")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = check_path("plot_history", path, (".png", ".svg", ".pdf"))
    gens = [h.generation for h in history]
    keys = sorted({k for h in history for k in h.species_sizes})
    sizes = [[h.species_sizes.get(k, 0) for h in history] for k in keys]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    a1.plot(gens, [h.best_fitness for h in history], label="best")
    a1.plot(gens, [h.mean_fitness for h in history], label="mean")
    a1.set_ylabel("fitness")
    a1.legend()
    a2.stackplot(gens, sizes)
    a2.set_xlabel("generation")
    a2.set_ylabel("genomes per species")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
