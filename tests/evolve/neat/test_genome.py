"""NEAT genomes: innovation bookkeeping, crossover alignment, compatibility distance."""

import numpy as np
import pytest

from chainrule.evolve.neat import (
    ConnectionGene,
    Genome,
    InnovationTracker,
    NEATConfig,
    crossover,
    distance,
    mutate,
    mutate_add_link,
    mutate_add_node,
)
from chainrule.evolve.neat.genome import _reaches

CFG = NEATConfig(num_inputs=2, num_outputs=1)


def genome(key, genes, fitness=None, hidden=()):
    """A 2-input, bias, 1-output genome (ids 0, 1 / 2 / 3) with genes (innov, a, b, w, on)."""
    nodes = {0: "input", 1: "input", 2: "bias", 3: "output"}
    nodes.update({h: "hidden" for h in hidden})
    g = Genome(key, nodes, {i: ConnectionGene(i, a, b, w, on) for i, a, b, w, on in genes})
    g.fitness = fitness
    return g


def test_initial_genomes_align():
    rng = np.random.default_rng(0)
    a, b = Genome.initial(0, CFG, rng), Genome.initial(1, CFG, rng)
    assert sorted(a.connections) == sorted(b.connections) == [0, 1, 2]
    assert [(c.in_node, c.out_node) for c in a.connections.values()] == [(0, 3), (1, 3), (2, 3)]
    assert a.nodes == {0: "input", 1: "input", 2: "bias", 3: "output"}


def test_same_structural_mutation_in_one_generation_gets_one_innovation():
    base = Genome.initial(0, CFG, np.random.default_rng(0))
    tracker = InnovationTracker(3, 4)
    g1, g2 = base.copy(1), base.copy(2)
    # The same random choice in two genomes: the same split of the same connection.
    assert mutate_add_node(g1, tracker, np.random.default_rng(5))
    assert mutate_add_node(g2, tracker, np.random.default_rng(5))
    assert g1.connections.keys() == g2.connections.keys() == {0, 1, 2, 3, 4}
    assert g1.nodes == g2.nodes and g1.nodes[4] == "hidden"
    old = next(c for c in g1.connections.values() if not c.enabled)
    into, out = g1.connections[3], g1.connections[4]
    assert (into.in_node, into.out_node, into.weight) == (old.in_node, 4, 1.0)
    assert (out.in_node, out.out_node, out.weight) == (4, old.out_node, old.weight)
    assert tracker.split(old.innovation) == (4, 3, 4)
    # A different split is a new node with new innovations.
    other = next(k for k in (0, 1, 2) if k != old.innovation)
    assert tracker.split(other) == (5, 5, 6)
    # The same new link twice in a generation: one innovation; another link: a new one.
    assert tracker.link(0, 4) == tracker.link(0, 4) == 7
    assert tracker.link(1, 4) == 8
    # Next generation: the same mutations are new innovations.
    tracker.new_generation()
    assert tracker.link(0, 4) == 9
    assert tracker.split(old.innovation) == (6, 10, 11)


def test_population_gives_one_innovation_per_mutation_per_generation():
    from chainrule.evolve.neat import Population

    cfg = CFG.replace(add_node_prob=0.5, add_link_prob=0.5)
    pop = Population(cfg, seed=0)
    pop.evaluate(lambda gs: np.ones(len(gs)))
    pop.reproduce()
    by_innov, by_link = {}, {}
    for g in pop.genomes:
        for c in g.connections.values():
            by_innov.setdefault(c.innovation, set()).add((c.in_node, c.out_node))
            by_link.setdefault((c.in_node, c.out_node), set()).add(c.innovation)
    assert len(by_innov) > 5  # structural mutations did happen
    assert all(len(v) == 1 for v in by_innov.values())
    assert all(len(v) == 1 for v in by_link.values())


def test_add_link_keeps_the_graph_acyclic():
    rng = np.random.default_rng(1)
    cfg = CFG.replace(add_node_prob=0.3, add_link_prob=0.6)
    g = Genome.initial(0, cfg, rng)
    tracker = InnovationTracker(3, 4)
    for _ in range(300):
        mutate(g, cfg, tracker, rng)
    assert len(g.nodes) > 10
    for c in g.connections.values():
        assert not _reaches(g, c.out_node, c.in_node)
    pairs = [(c.in_node, c.out_node) for c in g.connections.values()]
    assert len(pairs) == len(set(pairs))
    assert all(g.nodes[c.out_node] in ("hidden", "output") for c in g.connections.values())


def test_crossover_aligns_by_innovation_and_takes_structure_from_fitter_parent():
    # Figure 4 of the paper, shape-for-shape: parent 1 has genes 1-5 and 8,
    # parent 2 has 1-7 and 9, 10; parent 1 is fitter here.
    p1 = genome(0, [(1, 0, 3, 0.1, True), (2, 1, 3, 0.2, False), (3, 2, 3, 0.3, True),
                    (4, 1, 4, 0.4, True), (5, 4, 3, 0.5, True), (8, 0, 4, 0.8, True)],
                fitness=2.0, hidden=(4,))
    p2 = genome(1, [(1, 0, 3, -0.1, True), (2, 1, 3, -0.2, False), (3, 2, 3, -0.3, True),
                    (4, 1, 4, -0.4, True), (5, 4, 3, -0.5, False), (6, 4, 5, 0.6, True),
                    (7, 5, 3, 0.7, True), (9, 2, 4, 0.9, True), (10, 0, 5, 1.0, True)],
                fitness=1.0, hidden=(4, 5))
    rng = np.random.default_rng(0)
    from_p1 = 0
    disabled5 = 0
    trials = 2000
    for _ in range(trials):
        child = crossover(p1, p2, 7, CFG, rng)
        assert sorted(child.connections) == [1, 2, 3, 4, 5, 8]
        assert child.nodes == p1.nodes
        for k, c in child.connections.items():
            assert (c.in_node, c.out_node) == (p1.connections[k].in_node,
                                               p1.connections[k].out_node)
            assert c.weight in (p1.connections[k].weight, p2.connections.get(k, c).weight)
        assert child.connections[8].weight == 0.8  # disjoint: from the fitter parent
        from_p1 += child.connections[1].weight == 0.1
        disabled5 += not child.connections[5].enabled
    # Matching genes at random; gene 5 disabled in one parent -> disabled 75 % of the time.
    assert abs(from_p1 / trials - 0.5) < 0.05
    assert abs(disabled5 / trials - 0.75) < 0.04
    # The order of the arguments does not matter: the fitter parent leads.
    assert sorted(crossover(p2, p1, 8, CFG, rng).connections) == [1, 2, 3, 4, 5, 8]
    # Parents unchanged.
    assert p1.connections[5].enabled and p2.connections[6].weight == 0.6


def test_crossover_equal_fitness_takes_the_smaller_genome():
    p1 = genome(0, [(1, 0, 3, 0.1, True), (2, 1, 3, 0.2, True)], fitness=1.0)
    p2 = genome(1, [(1, 0, 3, 0.1, True), (2, 1, 3, 0.2, True), (3, 2, 3, 0.3, True)],
                fitness=1.0)
    child = crossover(p2, p1, 2, CFG, np.random.default_rng(0))
    assert sorted(child.connections) == [1, 2]


def test_distance_counts_excess_disjoint_and_weight_difference():
    p1 = genome(0, [(1, 0, 3, 0.5, True), (2, 1, 3, 1.0, False), (3, 2, 3, 0.0, True),
                    (4, 1, 4, 0.0, True), (5, 4, 3, 0.0, True), (8, 0, 4, 0.0, True)],
                hidden=(4,))
    p2 = genome(1, [(1, 0, 3, 1.5, True), (2, 1, 3, -1.0, False), (3, 2, 3, 0.0, True),
                    (4, 1, 4, 0.0, True), (5, 4, 3, 0.0, True), (6, 4, 5, 0.0, True),
                    (7, 5, 3, 0.0, True), (9, 2, 4, 0.0, True), (10, 0, 5, 0.0, True)],
                hidden=(4, 5))
    # E = 2 (9, 10), D = 3 (6, 7, 8), W̄ = (1 + 2 + 0 + 0 + 0) / 5, N = 1 (small genomes).
    cfg = NEATConfig(c1=1.0, c2=2.0, c3=0.4)
    assert distance(p1, p2, cfg) == pytest.approx(1.0 * 2 + 2.0 * 3 + 0.4 * 0.6)
    assert distance(p1, p2, cfg) == pytest.approx(distance(p2, p1, cfg))
    assert distance(p1, p1, cfg) == 0.0
    # The paper's c1 = c2: the same value by the shortcut that does not split E and D.
    assert distance(p1, p2, NEATConfig()) == pytest.approx(1.0 * 5 + 0.4 * 0.6)
    # N is the larger gene count once a genome has normalize_below genes or more.
    cfg = NEATConfig(c1=1.0, c2=2.0, c3=0.4, normalize_below=5)
    assert distance(p1, p2, cfg) == pytest.approx((2 + 2 * 3) / 9 + 0.4 * 0.6)


def test_mutate_add_link_finds_nothing_when_fully_connected():
    g = genome(0, [(0, 0, 3, 1.0, True), (1, 1, 3, 1.0, True), (2, 2, 3, 1.0, True)])
    assert not mutate_add_link(g, CFG, InnovationTracker(3, 4), np.random.default_rng(0))
    assert len(g.connections) == 3


def test_genome_json_round_trip_and_bad_input():
    g = genome(0, [(1, 0, 3, 0.5, True), (2, 1, 3, 1.0, False)], fitness=3.0)
    h = Genome.from_dict(g.to_dict())
    assert h.to_dict() == g.to_dict()
    with pytest.raises(ValueError, match="Genome.from_dict: connection 1 uses node 9"):
        Genome.from_dict({"nodes": {"0": "input"}, "connections": [[1, 0, 9, 0.5, True]]})
    with pytest.raises(ValueError, match="Genome.from_dict: not a genome"):
        Genome.from_dict({"connections": []})


@pytest.mark.parametrize("field, value", [
    ("num_inputs", 0), ("population_size", 1.5), ("add_node_prob", 1.5),
    ("compatibility_threshold", -1.0), ("activation", "softmax"), ("survival_threshold", 0),
])
def test_config_names_bad_values(field, value):
    with pytest.raises(ValueError, match=f"NEATConfig: {field}"):
        NEATConfig(**{field: value})
