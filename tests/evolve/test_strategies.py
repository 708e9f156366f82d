"""Every strategy: determinism, antithetic symmetry, rank invariance, save/restore,
convergence, and named errors."""

import sys
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule._optional import MissingDependencyError
from chainrule.evolve import (
    CMAES,
    PGPE,
    SNES,
    XNES,
    GeneticAlgorithm,
    GuidedES,
    OpenAIES,
    RandomSearch,
    centered_ranks,
    nes_utilities,
)

pytest.importorskip("cma")

DIM = 6


def sphere(X):
    return (X ** 2).sum(1)


def sphere_grad(x):
    return 2 * x


#: name -> factory(x0, seed, **overrides); the settings the tests below use
FACTORIES = {
    "openai-es": lambda x0, seed, **kw: OpenAIES(x0, maximize=False, sigma=0.1, popsize=20,
                                                 lr=0.05, weight_decay=0.0, seed=seed, **kw),
    "snes": lambda x0, seed, **kw: SNES(x0, maximize=False, sigma=1.0, popsize=10, seed=seed,
                                        **kw),
    "pgpe": lambda x0, seed, **kw: PGPE(x0, maximize=False, **{"sigma": 0.5, "popsize": 20,
                                        "max_speed": 0.3, "seed": seed, **kw}),
    "xnes": lambda x0, seed, **kw: XNES(x0, maximize=False, sigma=1.0, seed=seed, **kw),
    "ga": lambda x0, seed, **kw: GeneticAlgorithm(x0, maximize=False, sigma=0.1, popsize=30,
                                                  seed=seed, **kw),
    "cma": lambda x0, seed, **kw: CMAES(x0, maximize=False, sigma=1.0, seed=seed, **kw),
    "guided": lambda x0, seed, **kw: GuidedES(x0, maximize=False, surrogate=sphere_grad,
                                              sigma=0.1, popsize=20, lr=0.05, seed=seed, **kw),
    "random": lambda x0, seed, **kw: RandomSearch(x0, maximize=False, sigma=1.0, popsize=10,
                                                  seed=seed, **kw),
}
#: strategies that can draw mirrored pairs, and how to ask for it
ANTITHETIC = {"openai-es": {}, "pgpe": {}, "guided": {}, "snes": {"antithetic": True},
              "xnes": {"antithetic": True}}
X0 = np.full(DIM, 2.0)


def run(strategy, generations, transform=lambda f: f):
    asks = []
    for _ in range(generations):
        X = strategy.ask()
        asks.append(X)
        strategy.tell(transform(sphere(X)))
    return asks


@pytest.mark.parametrize("name", FACTORIES)
def test_same_seed_same_run_other_seed_other_run(name):
    a = run(FACTORIES[name](X0, seed=3), 5)
    b = run(FACTORIES[name](X0, seed=3), 5)
    c = run(FACTORIES[name](X0, seed=4), 5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[-1], c[-1])


@pytest.mark.parametrize("name", FACTORIES)
def test_does_not_touch_numpy_global_random_state(name):
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    run(FACTORIES[name](X0, seed=0), 3)
    assert np.random.rand() == expected


@pytest.mark.parametrize("name", ANTITHETIC)
def test_antithetic_pairs_mirror_the_mean(name):
    s = FACTORIES[name](X0, seed=0, **ANTITHETIC[name])
    for _ in range(3):
        X = s.ask()
        half = len(X) // 2
        center = s.center
        np.testing.assert_allclose(X[:half] - center, -(X[half:] - center), atol=1e-12)
        s.tell(sphere(X))


@pytest.mark.parametrize("name", FACTORIES)
def test_rank_shaping_invariant_to_monotone_transforms(name):
    base = run(FACTORIES[name](X0, seed=1), 6)
    # strictly increasing transforms of the fitness change nothing but the reported values
    for transform in (lambda f: np.exp(f / 10.0) + 5.0, lambda f: 3.0 * f ** 3 - 1.0):
        other = run(FACTORIES[name](X0, seed=1), 6, transform)
        for x, y in zip(base, other):
            np.testing.assert_array_equal(x, y)


def test_shaping_functions():
    u = np.array([3.0, 10.0, -1.0, 4.0])
    np.testing.assert_allclose(centered_ranks(u), [-1 / 6, 0.5, -0.5, 1 / 6])
    w = nes_utilities(u)
    assert abs(w.sum()) < 1e-12 and w[1] == w.max() and w[2] == w.min()
    np.testing.assert_array_equal(centered_ranks(np.exp(u)), centered_ranks(u))


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("pending", [False, True], ids=["after-tell", "after-ask"])
def test_save_restore_mid_run_continues_identically(name, pending, tmp_path):
    a = FACTORIES[name](X0, seed=2)
    run(a, 4)
    if pending:
        a.ask()
    cr.save(a.state_dict(), tmp_path / "s.safetensors")
    b = FACTORIES[name](np.zeros(DIM), seed=99)
    b.load_state_dict(cr.load(tmp_path / "s.safetensors"))
    for x, y in zip(run(a, 4), run(b, 4)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.center, b.center)
    assert a.best_fitness == b.best_fitness and a.generation == b.generation == 8


@pytest.mark.parametrize("name,generations,tol", [
    ("openai-es", 300, 1e-2), ("snes", 300, 1e-8), ("pgpe", 300, 1e-2), ("xnes", 300, 1e-3),
    ("ga", 300, 0.1), ("cma", 200, 1e-10), ("guided", 300, 1e-2),
])
def test_converges_on_the_sphere(name, generations, tol):
    # ClipUp moves at up to max_speed per generation: it settles within about that distance
    s = FACTORIES[name](X0, seed=0, **({"max_speed": 0.05} if name == "pgpe" else {}))
    start = sphere(s.center[None])[0]
    run(s, generations)
    assert sphere(s.center[None])[0] < tol < start


def rosenbrock(X):
    return (100 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1 - X[:, :-1]) ** 2).sum(1)


def test_cma_solves_rosenbrock_8d_to_1e_10_within_5000_evaluations():
    s = CMAES(np.zeros(8), maximize=False, sigma=0.5, seed=0)
    while s.best_fitness > 1e-10 and s.evaluations < 5000:
        X = s.ask()
        s.tell(rosenbrock(X))
    assert s.best_fitness <= 1e-10 and s.evaluations <= 5000
    np.testing.assert_allclose(s.best_solution, np.ones(8), atol=1e-4)


@pytest.mark.parametrize("name", ["snes", "cma", "ga", "openai-es"])
def test_maximize_is_the_mirror_of_minimize(name):
    lo = FACTORIES[name](X0, seed=0)
    hi = type(lo)(X0, **{**_kwargs(name), "maximize": True})
    for _ in range(5):
        X1, X2 = lo.ask(), hi.ask()
        np.testing.assert_array_equal(X1, X2)
        lo.tell(sphere(X1))
        hi.tell(-sphere(X2))
    assert hi.best_fitness == -lo.best_fitness


def _kwargs(name):
    return {"snes": dict(sigma=1.0, popsize=10, seed=0),
            "cma": dict(sigma=1.0, seed=0),
            "ga": dict(sigma=0.1, popsize=30, seed=0),
            "openai-es": dict(sigma=0.1, popsize=20, lr=0.05, weight_decay=0.0, seed=0)}[name]


# -- OpenAI-ES and the optimizers ----------------------------------------------------------


def test_openai_es_writes_grad_and_any_optimizer_steps():
    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    sched = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    es = OpenAIES(model, maximize=False, sigma=0.1, popsize=8, optimizer=opt,
                  weight_decay=0.01, seed=0)
    before = es.space.get()
    X = es.ask()
    f = sphere(X)
    es.tell(f)
    g = es.space.grad()
    assert model.weight.grad is not None and model.weight.grad.shape == (2, 3)
    eps = (X - before) / 0.1
    expected = -(centered_ranks(-f) @ eps / (8 * 0.1)) + 0.01 * before
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(es.space.get(), before - 0.1 * g, rtol=1e-5, atol=1e-6)
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    # step=False only writes .grad
    X = es.ask()
    p = es.space.get()
    es.tell(sphere(X), step=False)
    np.testing.assert_array_equal(es.space.get(), p)


def test_openai_es_gradient_points_downhill_on_a_linear_function():
    a = np.linspace(-1, 1, 20)
    es = OpenAIES(np.zeros(20), maximize=True, sigma=0.01, popsize=2000, seed=0,
                  rank_shaping=False, weight_decay=0.0)
    X = es.ask()
    es.tell(X @ a)
    cos = es.gradient @ a / np.linalg.norm(es.gradient) / np.linalg.norm(a)
    assert cos > 0.9


def test_model_follows_the_center():
    cr.manual_seed(0)
    model = nn.Linear(2, 1)
    s = SNES(model, maximize=False, sigma=0.5, seed=0)
    for _ in range(3):
        X = s.ask()
        s.tell(sphere(X))
    np.testing.assert_allclose(s.space.get(), s.center, rtol=1e-6)


def test_ga_seed_lists_decode_to_the_population():
    ga = GeneticAlgorithm(X0, maximize=False, sigma=0.1, popsize=10, truncation=3, seed=0)
    run(ga, 4)
    X = ga.ask()
    for i in range(10):
        np.testing.assert_allclose(ga.decode(ga.encode(i)), X[i], atol=1e-12)
    assert max(len(ga.encode(i)) for i in range(10)) == 5  # one seed per generation
    # elitism: the best of a generation is in the next one unchanged
    f = sphere(X)
    ga.tell(f)
    np.testing.assert_array_equal(ga.ask()[0], X[np.argmin(f)])


def test_ga_lamarckian_tell_drops_seed_lists():
    ga = GeneticAlgorithm(X0, maximize=False, sigma=0.1, popsize=6, truncation=2, seed=0)
    X = ga.ask()
    learned = X * 0.5
    ga.tell(sphere(learned), solutions=learned)
    np.testing.assert_array_equal(ga.ask()[0], learned[np.argmin(sphere(learned))])
    assert ga.encode(0) is None


def test_xnes_and_cma_warn_in_high_dimensions():
    with pytest.warns(UserWarning, match="XNES: 2001 dimensions"):
        XNES(np.zeros(2001), maximize=False, seed=0)
    with pytest.warns(UserWarning, match="CMA_diagonal"):
        CMAES(np.zeros(2001), maximize=False, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CMAES(np.zeros(2001), maximize=False, seed=0, options={"CMA_diagonal": True})


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FACTORIES)
def test_population_below_two_is_named(name):
    cls = type(FACTORIES[name](X0, seed=0))
    kw = {"surrogate": sphere_grad} if name == "guided" else {}
    with pytest.raises(ValueError, match=rf"{cls.__name__}: popsize must be at least 2, got 1"):
        cls(X0, maximize=False, popsize=1, **kw)


@pytest.mark.parametrize("name", [n for n in FACTORIES if n != "pgpe"])
@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan")])
def test_sigma_not_positive_is_named(name, sigma):
    cls = type(FACTORIES[name](X0, seed=0))
    kw = {"surrogate": sphere_grad} if name == "guided" else {}
    with pytest.raises(ValueError, match=rf"{cls.__name__}: sigma must be finite and > 0"):
        cls(X0, maximize=False, sigma=sigma, **kw)


def test_pgpe_sigma_and_odd_population():
    with pytest.raises(ValueError, match="PGPE: sigma must be finite and > 0"):
        PGPE(X0, maximize=False, sigma=0.0)
    with pytest.raises(ValueError, match="PGPE: popsize must be even"):
        PGPE(X0, maximize=False, popsize=7)


def test_maximize_must_be_stated():
    with pytest.raises(TypeError, match="maximize"):
        SNES(X0)  # no maximize=
    with pytest.raises(TypeError, match="SNES: maximize must be True or False"):
        SNES(X0, maximize="yes")


def test_model_without_trainable_parameters_is_named():
    model = nn.Sequential(nn.Linear(2, 2)).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        OpenAIES(model, maximize=False)


def test_tell_checks_its_input():
    s = SNES(X0, maximize=False, popsize=4)
    with pytest.raises(RuntimeError, match="call ask"):
        s.tell(np.zeros(4))
    s.ask()
    with pytest.raises(ValueError, match="expected 4 fitness values"):
        s.tell(np.zeros(3))
    with pytest.raises(ValueError, match=r"finite; candidates \[2\]"):
        s.tell(np.array([1.0, 2.0, np.nan, 3.0]))


def test_missing_cma_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cma", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'chainrule\[evolve\]'"):
        CMAES(X0, maximize=False)


def test_load_state_of_another_strategy_is_named():
    with pytest.raises(ValueError, match="the state is of 'SNES', not XNES"):
        XNES(X0, maximize=False).load_state_dict(SNES(X0, maximize=False).state_dict())


@pytest.mark.parametrize("name", FACTORIES)
def test_start_from_a_parameter_generator_list_or_module(name):
    cls = type(FACTORIES[name](X0, seed=0))
    kw = {"surrogate": lambda x: 2 * x} if name == "guided" else {}
    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    for x0 in (model.parameters(), list(model.parameters()), model, [0.5] * 8):
        assert cls(x0, maximize=False, **kw).dim == 8
    with pytest.raises(ValueError, match=f"{cls.__name__}: x0 is empty"):
        cls([], maximize=False, **kw)


def test_openai_es_optimizer_factory_for_a_vector_start():
    es = OpenAIES(np.ones(3), maximize=False, sigma=0.1, popsize=4, weight_decay=0.0,
                  optimizer=lambda ps: cr.optim.SGD(ps, lr=0.5), seed=0)
    assert isinstance(es.optimizer, cr.optim.SGD)
    X = es.ask()
    es.tell(sphere(X))
    np.testing.assert_allclose(es.center, np.ones(3) - 0.5 * es.space.grad())
    with pytest.raises(TypeError, match="OpenAIES: optimizer must be a cr.optim.Optimizer"):
        OpenAIES(np.ones(3), maximize=False, optimizer="adam")
