"""Problems: supervised (population losses against the loop), gymnasium, functions."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.evolve import FunctionProblem, GymProblem, ParameterVector, SupervisedProblem


def data(n=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    y = rng.integers(0, classes, n).astype(np.int64)
    return X, y


def model(out=3):
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, out))


def candidates(m, P=6, seed=0):
    space = ParameterVector(m)
    return space.get() + 0.2 * np.random.default_rng(seed).standard_normal((P, space.dim))


def loop_losses(m, loss_fn, X, xb, yb):
    space = ParameterVector(m)
    saved = space.get()
    out = []
    for x in X:
        space.set(x)
        with cr.no_grad():
            out.append(loss_fn(m(cr.tensor(xb)), cr.tensor(yb)).item())
    space.set(saved)
    return np.array(out)


@pytest.mark.parametrize("loss_fn,regression", [
    (nn.CrossEntropyLoss(), False), (nn.MSELoss(), True), (nn.L1Loss(), True),
    (nn.CrossEntropyLoss(label_smoothing=0.1), False),
])
def test_population_losses_equal_the_model_loss(loss_fn, regression):
    X, y = data()
    m = model()
    if regression:
        y = np.random.default_rng(1).standard_normal((len(X), 3)).astype(np.float32)
    prob = SupervisedProblem(m, loss_fn, (X, y), batch_size=16, seed=0)
    C = candidates(m)
    f = prob.evaluate(C, generation=3)
    xb, yb = prob.batch(3)
    assert len(xb) == 16
    np.testing.assert_allclose(f, loop_losses(m, loss_fn, C, xb, yb), rtol=1e-5)


def test_same_minibatch_for_the_whole_generation_and_slices_agree():
    X, y = data()
    m = model()
    prob = SupervisedProblem(m, nn.CrossEntropyLoss(), (X, y), batch_size=8, seed=0)
    C = candidates(m)
    full = prob.evaluate(C, 2)
    np.testing.assert_array_equal(np.concatenate([prob.evaluate(C[:2], 2),
                                                  prob.evaluate(C[2:], 2)]), full)
    assert not np.array_equal(prob.batch(2)[0], prob.batch(3)[0])
    # a later epoch is a new permutation
    assert not np.array_equal(prob.batch(0)[0], prob.batch(5)[0])


def test_dataloader_data_reads_one_batch_per_generation():
    X, y = data(n=24)
    m = model()
    loader = DataLoader(TensorDataset(cr.tensor(X), cr.tensor(y)), batch_size=8)
    prob = SupervisedProblem(m, nn.CrossEntropyLoss(), loader)
    np.testing.assert_array_equal(prob.batch(0)[0], X[:8])
    np.testing.assert_array_equal(prob.batch(1)[0], X[8:16])
    np.testing.assert_array_equal(prob.batch(3)[0], X[:8])  # a new pass after 3 batches
    with pytest.raises(ValueError, match="only read forwards"):
        prob.batch(1)


def test_gradient_is_the_backprop_gradient_and_leaves_the_model_alone():
    X, y = data()
    m = model()
    prob = SupervisedProblem(m, nn.CrossEntropyLoss(), (X, y))
    space = prob.space
    before = space.get()
    x = before + 0.1
    g = prob.gradient(x, 0)
    np.testing.assert_array_equal(space.get(), before)
    space.set(x)
    loss = nn.CrossEntropyLoss()(m(cr.tensor(X)), cr.tensor(y))
    loss.backward()
    np.testing.assert_allclose(g, space.grad(), rtol=1e-5, atol=1e-8)


def test_function_problem_and_its_gradient():
    prob = FunctionProblem(lambda X: (X ** 2).sum(1), dim=3, maximize=False)
    np.testing.assert_allclose(prob.evaluate(np.array([[1.0, 2, 3], [0, 0, 1]])), [14, 1])
    np.testing.assert_allclose(prob.gradient(np.array([1.0, 2, 3])), [2, 4, 6])
    with pytest.raises(ValueError, match=r"expected candidates of shape \(P, 3\)"):
        prob.evaluate(np.zeros((2, 4)))


# -- gymnasium ------------------------------------------------------------------------------


def policy(obs=4, actions=2):
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(obs, 8), nn.Tanh(), nn.Linear(8, actions))


def test_unknown_environment_is_named():
    pytest.importorskip("gymnasium")
    with pytest.raises(ValueError, match="no gymnasium environment 'CartPol-v1'.*CartPole-v1"):
        GymProblem("CartPol-v1", policy())


def test_missing_gymnasium_names_the_extra(monkeypatch):
    import sys

    from chainrule._optional import MissingDependencyError

    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'chainrule\[evolve\]'"):
        GymProblem("CartPole-v1", policy())


def test_cartpole_returns_are_deterministic_and_per_candidate():
    gym = pytest.importorskip("gymnasium")
    m = policy()
    prob = GymProblem("CartPole-v1", m, episodes=2, seed=0)
    assert isinstance(gym.make("CartPole-v1").action_space.n, np.integer)  # np.int64 sizes
    assert prob.n_actions == 2 and type(prob.n_actions) is int and prob.obs_size == 4
    C = candidates(m, P=5)
    f = prob.evaluate(C, 0)
    np.testing.assert_array_equal(f, prob.evaluate(C, 0))
    np.testing.assert_array_equal(prob.evaluate(C[3:4], 0), f[3:4])
    assert np.all(f >= 1) and np.all(f <= 500)
    # the one-candidate rollout agrees with a hand-written episode loop
    env = gym.make("CartPole-v1")
    space = ParameterVector(m)
    space.set(C[1])
    total = 0.0
    for e in range(2):
        obs, _ = env.reset(seed=prob.episode_seed(0, e))
        done = False
        while not done:
            with cr.no_grad():
                a = int(m(cr.tensor(obs[None].astype(np.float32))).numpy().argmax())
            obs, r, term, trunc, _ = env.step(a)
            total += r
            done = term or trunc
    assert f[1] == total / 2


def test_observation_normalisation_statistics():
    pytest.importorskip("gymnasium")
    m = policy()
    prob = GymProblem("CartPole-v1", m, obs_norm=True, seed=0)
    C = candidates(m, P=4)
    prob.evaluate(C, 0)
    c = prob.collect()
    assert c["obs_sum"].shape == (4, 4)
    prob.absorb(c)
    assert prob.obs_count == c["obs_count"].sum()
    state = prob.state_dict()
    other = GymProblem("CartPole-v1", m, obs_norm=True)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.evaluate(C, 1), prob.evaluate(C, 1))


def test_box_actions_are_clipped_policies():
    pytest.importorskip("gymnasium")
    m = policy(obs=3, actions=1)
    prob = GymProblem("Pendulum-v1", m, max_steps=20)
    f = prob.evaluate(candidates(m, P=3), 0)
    assert f.shape == (3,) and np.all(f < 0)
