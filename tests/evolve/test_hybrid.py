"""Hybrids: Lamarckian and Baldwinian learning, guided ES. (The Lamarckian GA beating
both parents on Rastrigin is tested through its example, in test_cli_examples.py.)"""

import numpy as np
import pytest

from chainrule.evolve import (
    Baldwinian,
    FunctionProblem,
    GeneticAlgorithm,
    GuidedES,
    Lamarckian,
    OpenAIES,
    evolve,
    learn,
)

SPHERE = FunctionProblem(lambda X: (X ** 2).sum(1), dim=4, maximize=False)


def test_learn_takes_gradient_steps():
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(learn(SPHERE, x, 0, steps=2, lr=0.1), x * 0.8 ** 2)


def test_lamarckian_writes_learned_weights_back_baldwinian_does_not():
    ga_l = GeneticAlgorithm(np.ones(4), maximize=False, sigma=0.1, popsize=6, seed=0)
    ga_b = GeneticAlgorithm(np.ones(4), maximize=False, sigma=0.1, popsize=6, seed=0)
    X = ga_l.ask()
    evolve(ga_l, Lamarckian(SPHERE, steps=3, lr=0.1), 1, verbose=0)
    evolve(ga_b, Baldwinian(SPHERE, steps=3, lr=0.1), 1, verbose=0)
    learned = X * 0.8 ** 3
    # the elite is the best learned vector (Lamarck) or the best genome as born (Baldwin)
    np.testing.assert_allclose(ga_l.center, learned[np.argmin((learned ** 2).sum(1))])
    np.testing.assert_array_equal(ga_b.center, X[np.argmin((learned ** 2).sum(1))])
    assert ga_l.best_fitness == ga_b.best_fitness == pytest.approx((learned ** 2).sum(1).min())


def test_learning_needs_a_gradient():
    class NoGrad:
        dim, maximize = 2, False

    with pytest.raises(TypeError, match="has no gradient"):
        Lamarckian(NoGrad())
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        Baldwinian(SPHERE, lr=0.0)


def test_guided_es_uses_the_problem_gradient_and_beats_plain_es_in_high_dimension():
    prob = FunctionProblem(lambda X: (X ** 2).sum(1), dim=200, maximize=False)
    x0 = np.ones(200)
    plain = OpenAIES(x0, maximize=False, sigma=0.05, popsize=10, lr=0.05, weight_decay=0.0,
                     seed=0)
    guided = GuidedES(x0, maximize=False, alpha=0.2, sigma=0.05, popsize=10, lr=0.05, seed=0)
    evolve(plain, prob, 60, verbose=0)
    evolve(guided, prob, 60, verbose=0)
    assert guided.surrogate is not None
    f = prob.evaluate(np.stack([plain.center, guided.center]))
    assert f[1] < 0.5 * f[0]


def test_guided_es_without_a_surrogate_is_named():
    g = GuidedES(np.ones(3), maximize=False, popsize=4)
    with pytest.raises(RuntimeError, match="no surrogate gradient"):
        g.ask()
    with pytest.raises(ValueError, match="alpha must be in"):
        GuidedES(np.ones(3), maximize=False, alpha=1.5)
