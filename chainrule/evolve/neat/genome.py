"""NEAT genomes: node and connection genes with innovation numbers, their mutations,
crossover aligned by innovation number, and the compatibility distance.

Node ids: inputs are ``0 .. num_inputs-1``, then the bias node (when the config has one),
then the outputs, then hidden nodes in order of creation. Every connection gene carries the
innovation number of the structural mutation that made it; the genes of two genomes line
up by these numbers (Stanley & Miikkulainen 2002, section 3.2).

Invariant: the graph of *all* connection genes, enabled or disabled, is acyclic. So a
disabled gene can be re-enabled by crossover without closing a loop, and every genome
compiles to a feed-forward network.
"""

from __future__ import annotations

import json

import numpy as np

from .config import NEATConfig

INPUT, BIAS, OUTPUT, HIDDEN = "input", "bias", "output", "hidden"


class ConnectionGene:
    """One link ``in_node -> out_node`` with its weight, enabled bit and innovation number."""

    __slots__ = ("innovation", "in_node", "out_node", "weight", "enabled")

    def __init__(self, innovation: int, in_node: int, out_node: int, weight: float,
                 enabled: bool = True):
        self.innovation = innovation
        self.in_node = in_node
        self.out_node = out_node
        self.weight = weight
        self.enabled = enabled

    def copy(self) -> ConnectionGene:
        return ConnectionGene(self.innovation, self.in_node, self.out_node, self.weight,
                              self.enabled)

    def __repr__(self) -> str:
        off = "" if self.enabled else ", disabled"
        return (f"ConnectionGene({self.innovation}: {self.in_node} -> {self.out_node}, "
                f"{self.weight:.3g}{off})")


class InnovationTracker:
    """Hands out innovation numbers and hidden-node ids.

    The same structural mutation made twice within one generation (the same link added,
    or the same connection split) gets the same numbers, as the paper prescribes: call
    :meth:`new_generation` between generations to forget them.
    """

    def __init__(self, next_innovation: int, next_node: int):
        self.next_innovation = next_innovation
        self.next_node = next_node
        self._links: dict[tuple[int, int], int] = {}
        self._splits: dict[int, tuple[int, int, int]] = {}

    def new_generation(self) -> None:
        self._links.clear()
        self._splits.clear()

    def link(self, in_node: int, out_node: int) -> int:
        """The innovation number of a new link ``in_node -> out_node``."""
        key = (in_node, out_node)
        innov = self._links.get(key)
        if innov is None:
            innov = self._links[key] = self.next_innovation
            self.next_innovation += 1
        return innov

    def split(self, innovation: int) -> tuple[int, int, int]:
        """(new node id, innovation in, innovation out) for splitting connection ``innovation``."""
        got = self._splits.get(innovation)
        if got is None:
            got = self._splits[innovation] = (
                self.next_node, self.next_innovation, self.next_innovation + 1)
            self.next_node += 1
            self.next_innovation += 2
        return got


class Genome:
    """A NEAT genome: ``nodes`` (id -> kind) and ``connections`` (innovation -> gene).

    ``fitness`` is set by the population after evaluation. The mutation functions drop the
    network cached by :meth:`network`; after changing genes by hand, call
    :meth:`clear_cache`.
    """

    __slots__ = ("key", "nodes", "connections", "fitness", "_net")

    def __init__(self, key: int, nodes: dict[int, str],
                 connections: dict[int, ConnectionGene]):
        self.key = key
        self.nodes = nodes
        self.connections = connections
        self.fitness: float | None = None
        self._net = None

    # -- construction -------------------------------------------------------------------

    @staticmethod
    def layout(config: NEATConfig) -> tuple[list[int], int | None, list[int]]:
        """Input ids, the bias id (or None) and output ids for ``config``."""
        inputs = list(range(config.num_inputs))
        bias = config.num_inputs if config.bias else None
        start = config.num_inputs + (1 if config.bias else 0)
        return inputs, bias, list(range(start, start + config.num_outputs))

    @classmethod
    def initial(cls, key: int, config: NEATConfig, rng: np.random.Generator) -> Genome:
        """The paper's starting genome: every input (and the bias) linked to every output,
        no hidden nodes, weights N(0, weight_init_std²). Innovation numbers 0, 1, ... in the
        same order for every initial genome, so they all align."""
        inputs, bias, outputs = cls.layout(config)
        nodes = {i: INPUT for i in inputs}
        if bias is not None:
            nodes[bias] = BIAS
        nodes.update({o: OUTPUT for o in outputs})
        sources = inputs + ([bias] if bias is not None else [])
        w = rng.normal(0.0, config.weight_init_std, len(sources) * len(outputs))
        conns, innov = {}, 0
        for o in outputs:
            for s in sources:
                conns[innov] = ConnectionGene(innov, s, o, float(w[innov]))
                innov += 1
        return cls(key, nodes, conns)

    def copy(self, key: int | None = None) -> Genome:
        g = Genome(self.key if key is None else key, dict(self.nodes),
                   {k: c.copy() for k, c in self.connections.items()})
        return g

    # -- views --------------------------------------------------------------------------

    def size(self) -> tuple[int, int]:
        """(hidden nodes, enabled connections)."""
        hidden = sum(1 for k in self.nodes.values() if k == HIDDEN)
        return hidden, sum(1 for c in self.connections.values() if c.enabled)

    def clear_cache(self) -> None:
        """Forget the compiled network (call after changing genes by hand)."""
        self._net = None

    def network(self, config: NEATConfig):
        """The compiled feed-forward network (cached): see :class:`FeedForwardNetwork`."""
        if self._net is None or self._net[0] is not config:
            from .network import FeedForwardNetwork

            self._net = (config, FeedForwardNetwork(self, config))
        return self._net[1]

    def __repr__(self) -> str:
        h, c = self.size()
        return (f"Genome(key={self.key}, hidden={h}, enabled connections={c}, "
                f"fitness={self.fitness})")

    # -- serialisation ------------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-ready description (nodes, genes with innovation numbers, fitness)."""
        return {
            "key": self.key,
            "nodes": {str(k): v for k, v in sorted(self.nodes.items())},
            "connections": [[c.innovation, c.in_node, c.out_node, c.weight, c.enabled]
                            for _, c in sorted(self.connections.items())],
            "fitness": self.fitness,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Genome:
        try:
            nodes = {int(k): v for k, v in d["nodes"].items()}
            conns = {int(i): ConnectionGene(int(i), int(a), int(b), float(w), bool(e))
                     for i, a, b, w, e in d["connections"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Genome.from_dict: not a genome description ({exc})") from None
        for c in conns.values():
            for n in (c.in_node, c.out_node):
                if n not in nodes:
                    raise ValueError(f"Genome.from_dict: connection {c.innovation} uses node "
                                     f"{n}, which is not among the nodes")
        g = cls(int(d.get("key", 0)), nodes, conns)
        g.fitness = d.get("fitness")
        return g

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


# -- mutations ------------------------------------------------------------------------------


def mutate_weights(genome: Genome, config: NEATConfig, rng: np.random.Generator) -> None:
    """Each weight: with probability ``weight_perturb_prob`` perturbed uniformly in
    ±weight_perturb_power, otherwise replaced by a new N(0, weight_init_std²) value."""
    conns = list(genome.connections.values())
    n = len(conns)
    if n == 0:
        return
    perturb = rng.random(n) < config.weight_perturb_prob
    delta = rng.uniform(-config.weight_perturb_power, config.weight_perturb_power, n)
    fresh = rng.normal(0.0, config.weight_init_std, n)
    lim = config.weight_limit
    genome._net = None
    for c, p, d, f in zip(conns, perturb, delta, fresh):
        w = c.weight + d if p else f
        c.weight = float(min(max(w, -lim), lim))


def mutate_add_node(genome: Genome, tracker: InnovationTracker,
                    rng: np.random.Generator) -> bool:
    """Split a random enabled connection a -> b: it is disabled and replaced by a -> new
    (weight 1) and new -> b (the old weight), as in the paper. Returns whether it did."""
    enabled = [c for _, c in sorted(genome.connections.items()) if c.enabled]
    if not enabled:
        return False
    old = enabled[rng.integers(len(enabled))]
    node, i_in, i_out = tracker.split(old.innovation)
    if node in genome.nodes:  # this genome already split this connection (via a parent)
        return False
    old.enabled = False
    genome._net = None
    genome.nodes[node] = HIDDEN
    genome.connections[i_in] = ConnectionGene(i_in, old.in_node, node, 1.0)
    genome.connections[i_out] = ConnectionGene(i_out, node, old.out_node, old.weight)
    return True


def _reaches(genome: Genome, start: int, goal: int) -> bool:
    """Whether ``goal`` is reachable from ``start`` along any connection gene."""
    succ: dict[int, list[int]] = {}
    for c in genome.connections.values():
        succ.setdefault(c.in_node, []).append(c.out_node)
    stack, seen = [start], {start}
    while stack:
        n = stack.pop()
        if n == goal:
            return True
        for m in succ.get(n, ()):
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return False


def mutate_add_link(genome: Genome, config: NEATConfig, tracker: InnovationTracker,
                    rng: np.random.Generator) -> bool:
    """Link two unconnected nodes with a new N(0, weight_init_std²) weight, if a pair that
    keeps the network acyclic is found in ``add_link_tries`` tries. Returns whether it did."""
    nodes = sorted(genome.nodes)
    targets = [n for n in nodes if genome.nodes[n] in (HIDDEN, OUTPUT)]
    existing = {(c.in_node, c.out_node) for c in genome.connections.values()}
    for _ in range(config.add_link_tries):
        a = nodes[rng.integers(len(nodes))]
        b = targets[rng.integers(len(targets))]
        if a == b or (a, b) in existing or _reaches(genome, b, a):
            continue
        innov = tracker.link(a, b)
        genome._net = None
        genome.connections[innov] = ConnectionGene(
            innov, a, b, float(rng.normal(0.0, config.weight_init_std)))
        return True
    return False


def mutate(genome: Genome, config: NEATConfig, tracker: InnovationTracker,
           rng: np.random.Generator) -> None:
    """One round of mutation, as the reference implementation: add a node (probability
    add_node_prob), else add a link (add_link_prob), else mutate the weights
    (weight_mutate_rate)."""
    r = rng.random()
    if r < config.add_node_prob:
        mutate_add_node(genome, tracker, rng)
    elif r < config.add_node_prob + config.add_link_prob:
        mutate_add_link(genome, config, tracker, rng)
    elif rng.random() < config.weight_mutate_rate:
        mutate_weights(genome, config, rng)


# -- crossover and distance -----------------------------------------------------------------


def crossover(parent1: Genome, parent2: Genome, key: int, config: NEATConfig,
              rng: np.random.Generator) -> Genome:
    """A child aligned by innovation number (paper, figure 4).

    Matching genes are inherited from either parent at random; disjoint and excess genes
    from the fitter parent (equal fitness: the smaller genome). A gene disabled in either
    parent is disabled in the child with probability ``disable_inherited_prob``.
    """
    f1, f2 = parent1.fitness or 0.0, parent2.fitness or 0.0
    if f2 > f1 or (f2 == f1 and len(parent2.connections) < len(parent1.connections)):
        parent1, parent2 = parent2, parent1
    other = parent2.connections
    conns = {}
    for innov, g1 in parent1.connections.items():
        g2 = other.get(innov)
        if g2 is None:
            child = g1.copy()
        else:
            child = (g1 if rng.random() < 0.5 else g2).copy()
            if not (g1.enabled and g2.enabled):
                child.enabled = not rng.random() < config.disable_inherited_prob
        conns[innov] = child
    return Genome(key, dict(parent1.nodes), conns)


def distance(g1: Genome, g2: Genome, config: NEATConfig) -> float:
    """Compatibility distance δ = c1 E / N + c2 D / N + c3 W̄ (paper, equation 1).

    E: excess genes (beyond the other genome's highest innovation), D: disjoint genes,
    W̄: mean absolute weight difference of matching genes (disabled ones included), N: the
    larger genome's gene count, or 1 when both have fewer than ``normalize_below`` genes.
    """
    a, b = g1.connections, g2.connections
    if not a or not b:
        n = max(len(a), len(b))
        big = n if n >= config.normalize_below else 1
        return config.c1 * n / big if n else 0.0
    matching = a.keys() & b.keys()
    unmatched = len(a) + len(b) - 2 * len(matching)
    if config.c1 == config.c2:  # the paper's values: E and D need not be told apart
        excess, disjoint = unmatched, 0
    else:
        max_a, max_b = max(a), max(b)
        excess = sum(1 for k in a.keys() - matching if k > max_b)
        excess += sum(1 for k in b.keys() - matching if k > max_a)
        disjoint = unmatched - excess
    wbar = (sum(abs(a[k].weight - b[k].weight) for k in matching) / len(matching)
            if matching else 0.0)
    n = max(len(a), len(b))
    if n < config.normalize_below:
        n = 1
    return config.c1 * excess / n + config.c2 * disjoint / n + config.c3 * wbar
