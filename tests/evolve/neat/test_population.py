"""The NEAT loop: determinism per seed, speciation, elitism, XOR, backprop-tuned fitness,
drawing."""

import numpy as np
import pytest

from chainrule.evolve.neat import (
    BackpropFitness,
    NEATConfig,
    Population,
    distance,
    draw_genome,
    make_task,
    plot_history,
    xor_fitness,
    xor_solved,
)

CFG = NEATConfig(num_inputs=2, num_outputs=1)


def xor(cfg=CFG):
    return lambda gs: xor_fitness(gs, cfg)


def run(seed, generations=8, cfg=CFG):
    pop = Population(cfg, seed=seed)
    pop.run(xor(cfg), generations)
    return pop


def test_runs_are_deterministic_per_seed():
    a, b, c = run(3), run(3), run(4)
    assert [g.to_dict() for g in a.genomes] == [g.to_dict() for g in b.genomes]
    assert [h.best_fitness for h in a.history] == [h.best_fitness for h in b.history]
    assert [g.to_dict() for g in a.genomes] != [g.to_dict() for g in c.genomes]
    # No seed: chainrule's default generator, which cr.manual_seed resets.
    import chainrule as cr

    cr.manual_seed(7)
    d = Population(CFG)
    cr.manual_seed(7)
    e = Population(CFG)
    assert [g.to_dict() for g in d.genomes] == [g.to_dict() for g in e.genomes]


def test_speciation_puts_each_genome_within_threshold_of_its_representative():
    pop = run(0, generations=12)
    pop.evaluate(xor())
    seen = []
    for s in pop.species.values():
        assert s.members
        # The first compatible species in order: within δt of its own, not of any earlier.
        for g in s.members:
            assert distance(g, s.representative, CFG) < CFG.compatibility_threshold
        seen += [g.key for g in s.members]
    assert sorted(seen) == sorted(g.key for g in pop.genomes)
    assert len(pop.species) > 1


def test_offspring_fill_the_population_and_champions_survive_unchanged():
    pop = run(1, generations=5)
    pop.evaluate(xor())
    champs = [max(s.members, key=lambda g: g.fitness) for s in pop.species.values()
              if len(s.members) > CFG.elitism_min_size]
    assert champs
    pop.reproduce()
    assert len(pop.genomes) == CFG.population_size
    got = [{k: (c.weight, c.enabled) for k, c in g.connections.items()} for g in pop.genomes]
    for ch in champs:
        assert {k: (c.weight, c.enabled) for k, c in ch.connections.items()} in got


def test_fitness_sharing_allots_offspring_by_mean_fitness():
    pop = Population(CFG, seed=0)
    pop.evaluate(lambda gs: np.ones(len(gs)))
    species = list(pop.species.values())
    counts = pop._offspring_counts(species)
    assert sum(counts) == CFG.population_size
    sizes = np.array([len(s.members) for s in species])
    # Equal fitness: every species has mean 1, so they get equal shares regardless of size.
    assert max(counts) - min(counts) <= 1 or len(species) == 1
    assert sizes.sum() == CFG.population_size


def test_stagnant_species_stop_reproducing():
    cfg = CFG.replace(stagnation=2, population_stagnation=1000)
    pop = Population(cfg, seed=0)
    for _ in range(4):
        pop.evaluate(lambda gs: np.ones(len(gs)))  # nothing ever improves
        before = set(pop.species)
        pop.reproduce()
    assert len(pop.species) == 1 and set(pop.species) <= before


def test_neat_solves_xor():
    pop = Population(CFG, seed=1)
    best = pop.run(xor(), 150, solved=lambda g: xor_solved(g, CFG))
    assert pop.solved and xor_solved(best, CFG)
    assert pop.evaluations == CFG.population_size * len(pop.history)
    assert best.size()[0] >= 1  # XOR needs a hidden node


def test_bad_fitness_is_named():
    pop = Population(CFG, seed=0)
    with pytest.raises(ValueError, match="fitness must be finite and >= 0.*-1.0"):
        pop.evaluate(lambda gs: -np.ones(len(gs)))
    with pytest.raises(ValueError, match=r"returned shape \(3,\) for 150 genomes"):
        pop.evaluate(lambda gs: np.ones(3))
    with pytest.raises(ValueError, match="Population.run: generations"):
        pop.run(xor(), 0)
    with pytest.raises(TypeError, match="Population: config must be a NEATConfig"):
        Population({"num_inputs": 2})


@pytest.mark.parametrize("name", ["xor", "circle", "spirals", "gaussians"])
def test_tasks(name):
    X, y = make_task(name, n=100, seed=0)
    assert X.shape == (100, 2) and y.shape == (100,) and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(make_task(name, n=100, seed=0)[0], X)
    assert abs(y.mean() - 0.5) < 0.2


def test_make_task_bad_name():
    with pytest.raises(ValueError, match="make_task: name must be one of"):
        make_task("moons")


def test_backprop_fitness_lamarckian_writes_weights_back_baldwinian_does_not():
    X, y = make_task("gaussians", n=100, seed=0)  # linearly separable: no hidden node needed
    cfg = NEATConfig(num_inputs=2, num_outputs=1, activation="tanh",
                     output_activation="identity", population_size=6)
    for lamarckian in (True, False):
        pop = Population(cfg, seed=0)
        before = [[c.weight for c in g.connections.values()] for g in pop.genomes]
        untrained = BackpropFitness(X, y, cfg, steps=0, lamarckian=False)(pop.genomes)
        fit = BackpropFitness(X, y, cfg, steps=50, lr=0.2, lamarckian=lamarckian)
        trained = fit(pop.genomes)
        after = [[c.weight for c in g.connections.values()] for g in pop.genomes]
        assert (before != after) == lamarckian
        assert trained.mean() > untrained.mean() + 0.1 and trained.max() >= 0.9


@pytest.mark.slow
def test_backprop_neat_learns_the_circle():
    X, y = make_task("circle", n=200, seed=0)
    cfg = NEATConfig(num_inputs=2, num_outputs=1, activation="tanh",
                     output_activation="identity", population_size=30, add_node_prob=0.2,
                     add_link_prob=0.3)
    pop = Population(cfg, seed=0)
    best = pop.run(BackpropFitness(X, y, cfg, steps=30, lr=0.1), 10, fitness_threshold=0.95)
    # Generation 0 (no hidden nodes) cannot separate a circle: about 0.66 here.
    assert pop.history[0].best_fitness < 0.75
    assert best.fitness >= 0.95 and best.size()[0] >= 1


def test_draw_genome_and_plot_history(tmp_path):
    pop = run(0, generations=4)
    best = pop.best
    svg = (tmp_path / "g.svg")
    draw_genome(best, svg, CFG)
    text = svg.read_text()
    assert text.startswith("<svg") and "input 0" in text and "bias (1)" in text
    assert text.count("<line") == best.size()[1] + 1  # enabled links + output -> root
    draw_genome(best, tmp_path / "g.txt", CFG)
    assert len((tmp_path / "g.txt").read_text().splitlines()) == best.size()[1]
    with pytest.raises(ValueError, match="draw_genome: unsupported file type"):
        draw_genome(best, tmp_path / "g.jpg")
    pytest.importorskip("matplotlib")
    plot_history(pop.history, tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_dynamic_threshold_moves_towards_the_target_species_count():
    fixed = run(0, generations=6)
    assert fixed.compatibility_threshold == 3.0
    cfg = CFG.replace(target_species=10)
    pop = Population(cfg, seed=0)
    thresholds, counts = [], []
    for _ in range(6):
        pop.evaluate(xor(cfg))
        thresholds.append(pop.compatibility_threshold)
        counts.append(len(pop.species))
        pop.reproduce()
    # Fewer species than the target: δt falls by 0.3 a generation, so more species form.
    for t, prev, n in zip(thresholds[1:], thresholds, counts[1:]):
        assert t == pytest.approx(prev - 0.3 if n < 10 else prev + 0.3 if n > 10 else prev)
    assert thresholds[0] == pytest.approx(2.7)
    assert counts[-1] > len(fixed.species)
    with pytest.raises(ValueError, match="NEATConfig: target_species"):
        NEATConfig(target_species=0)
