"""The evolve loop: history, checkpoints and resume, targets, parallel evaluation."""

import io
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.evolve import (
    SNES,
    FunctionProblem,
    GeneticAlgorithm,
    GymProblem,
    OpenAIES,
    ParallelEvaluator,
    SupervisedProblem,
    evolve,
)

SPHERE = FunctionProblem(lambda X: (X ** 2).sum(1), dim=5, maximize=False)


def digits_like(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    return X, y


def mlp():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))


def test_history_and_progress_lines():
    s = SNES(np.ones(5), maximize=False, seed=0)
    out = io.StringIO()
    h = evolve(s, SPHERE, 20, print_every=5, file=out)
    assert len(h) == 20 and h.generation == list(range(1, 21))
    assert h["evaluations"][-1] == 20 * s.popsize
    assert h["best_so_far"][-1] == s.best_fitness == min(h["best"])
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("generation 20/20 - evaluations")


def test_target_and_evaluation_budget_stop_the_run():
    s = SNES(np.ones(5), maximize=False, seed=0)
    h = evolve(s, SPHERE, 1000, target=1e-3, verbose=0)
    assert s.best_fitness <= 1e-3 and len(h) < 1000
    s = SNES(np.ones(5), maximize=False, seed=0)
    evolve(s, SPHERE, 1000, max_evaluations=50, verbose=0)
    assert 50 <= s.evaluations < 50 + s.popsize


def test_direction_and_dimension_must_match():
    with pytest.raises(ValueError, match="the problem minimises its fitness but the strategy "
                                         "has maximize=True"):
        evolve(SNES(np.ones(5), maximize=True), SPHERE, 1)
    with pytest.raises(ValueError, match="searches 4 dimensions, the problem has 5"):
        evolve(SNES(np.ones(4), maximize=False), SPHERE, 1)


@pytest.mark.parametrize("make", [
    lambda m: OpenAIES(m, maximize=False, sigma=0.05, popsize=10, seed=1),
    lambda m: GeneticAlgorithm(m, maximize=False, sigma=0.05, popsize=10, seed=1),
], ids=["openai-es", "ga"])
def test_checkpoint_resume_gives_the_uninterrupted_run(make, tmp_path):
    X, y = digits_like()
    m1 = mlp()
    full = make(m1)
    h_full = evolve(full, SupervisedProblem(m1, nn.CrossEntropyLoss(), (X, y), batch_size=16),
                    12, verbose=0)
    m2 = mlp()
    part = make(m2)
    path = tmp_path / "run.safetensors"
    evolve(part, SupervisedProblem(m2, nn.CrossEntropyLoss(), (X, y), batch_size=16), 7,
           checkpoint=path, checkpoint_every=3, verbose=0)
    m3 = mlp()
    resumed = make(m3)
    h = evolve(resumed, SupervisedProblem(m3, nn.CrossEntropyLoss(), (X, y), batch_size=16),
               12, resume=path, verbose=0)
    np.testing.assert_array_equal(resumed.center, full.center)
    np.testing.assert_array_equal(h["best"], h_full["best"])
    assert h.generation == list(range(1, 13))
    for a, b in zip(m1.parameters(), m3.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_resume_from_something_else_is_named(tmp_path):
    cr.save({"w": cr.zeros(2)}, tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="not an evolve checkpoint"):
        evolve(SNES(np.ones(5), maximize=False), SPHERE, 2, resume=tmp_path / "w.safetensors")


def test_two_processes_are_bit_identical_to_one_supervised():
    X, y = digits_like()
    runs = []
    for workers in (1, 2):
        m = mlp()
        s = OpenAIES(m, maximize=False, sigma=0.05, popsize=40, seed=3)
        h = evolve(s, SupervisedProblem(m, nn.CrossEntropyLoss(), (X, y), batch_size=16), 6,
                   workers=workers, verbose=0)
        runs.append((s.center, h["best"], h["mean"]))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_three_processes_are_bit_identical_to_one_gym_with_observation_norm():
    pytest.importorskip("gymnasium")
    runs = []
    for workers in (1, 3):
        cr.manual_seed(0)
        m = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        problem = GymProblem("CartPole-v1", m, obs_norm=True, seed=0, max_steps=30)
        s = SNES(m, maximize=True, sigma=0.5, popsize=36, seed=0)
        h = evolve(s, problem, 4, workers=workers, verbose=0)
        runs.append((s.center, h["best"], problem.obs_sum, problem.obs_count))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_workers_are_checked():
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        evolve(SNES(np.ones(5), maximize=False), SPHERE, 2, workers=0)
    with pytest.raises(ValueError, match="9 workers for a population of 8"):
        evolve(SNES(np.ones(5), maximize=False, popsize=8), SPHERE, 2, workers=9)


def test_a_failing_worker_is_reported():
    parent = os.getpid()

    def bad(X):
        if os.getpid() != parent:
            raise RuntimeError("boom")
        return (X ** 2).sum(1)

    prob = FunctionProblem(bad, dim=5, maximize=False)
    with pytest.raises(RuntimeError, match="(?s)a worker failed.*boom"):
        evolve(SNES(np.ones(5), maximize=False, popsize=20), prob, 3, workers=2, verbose=0)


def test_processes_take_whole_blocks_of_candidates():
    s = SNES(np.ones(5), maximize=False, popsize=40)
    with ParallelEvaluator(s, SPHERE, workers=2) as pe:
        assert [(a[0], a[-1]) for a in pe.slices] == [(0, 31), (32, 39)]
        assert len(pe._procs) == 1
        f, _ = pe.evaluate(0)
        np.testing.assert_array_equal(f, SPHERE.evaluate(s.ask()))
    with ParallelEvaluator(s, SPHERE, workers=8) as pe:  # 3 blocks: 3 processes
        assert len(pe.slices) == 3 and len(pe._procs) == 2


def test_history_state_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.evolve import EvolutionHistory

    h = evolve(SNES(np.ones(5), maximize=False, seed=0), SPHERE, 5, verbose=0)
    other = EvolutionHistory()
    other.load_state_dict(h.state_dict())
    assert other.history == h.history and other.generation == h.generation
    path = h.plot(tmp_path / "fitness.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
