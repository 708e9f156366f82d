"""Parameters as a vector, and the batched population forward against a loop."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.evolve import (
    ParameterVector,
    PopulationModel,
    batched_forward_supported,
    parameters_to_vector,
    population_forward,
    vector_to_parameters,
)
from chainrule.evolve.population import _loop


def mlp(*acts):
    cr.manual_seed(0)
    layers = [nn.Linear(6, 5), *acts, nn.Linear(5, 3)]
    return nn.Sequential(*layers)


def test_flatten_unflatten_round_trip_and_slices():
    model = mlp(nn.Tanh())
    space = ParameterVector(model)
    assert space.dim == 6 * 5 + 5 + 5 * 3 + 3
    assert list(space.slices) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = space.get()
    np.testing.assert_array_equal(x[space.slices["0.weight"]],
                                  model[0].weight.numpy().reshape(-1))
    vector_to_parameters(x * 2, model)
    np.testing.assert_allclose(parameters_to_vector(model), x * 2, rtol=1e-6)
    parts = space.unflatten(x)
    assert parts["2.weight"].shape == (3, 5)
    space.set_grad(np.arange(space.dim, dtype=np.float64))
    assert model[2].bias.grad.shape == (3,)
    np.testing.assert_array_equal(space.grad(), np.arange(space.dim))


def test_default_skips_frozen_parameters():
    model = mlp(nn.ReLU())
    model[0].weight.requires_grad_(False)
    space = ParameterVector(model)
    assert "0.weight" not in space.slices and space.dim == 5 + 15 + 3
    assert ParameterVector(model, trainable_only=False).dim == 30 + 5 + 15 + 3


def test_no_trainable_parameters_is_named():
    model = nn.Sequential(nn.ReLU())
    with pytest.raises(ValueError, match="no trainable parameters"):
        ParameterVector(model)
    frozen = mlp(nn.Tanh()).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        ParameterVector(frozen)


def test_wrong_vector_length_is_named():
    space = ParameterVector(mlp(nn.Tanh()))
    with pytest.raises(ValueError, match=r"shape \(53,\)"):
        space.set(np.zeros(7))


@pytest.mark.parametrize("acts", [(nn.Tanh(),), (nn.ReLU(),), (nn.Sigmoid(),),
                                  (nn.GELU(), nn.Dropout(0.5)), (nn.LeakyReLU(0.1),)])
def test_batched_equals_the_loop(acts):
    model = mlp(*acts).eval()
    space = ParameterVector(model)
    assert batched_forward_supported(model, space)
    rng = np.random.default_rng(1)
    V = space.get() + 0.3 * rng.standard_normal((7, space.dim))
    x = rng.standard_normal((4, 6)).astype(np.float32)
    before = space.get()
    out = population_forward(model, V, x)
    assert out.shape == (7, 4, 3)
    ref = _loop(model, space, V.astype(np.float32), x, False)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # and against the model itself, candidate by candidate
    for p in (0, 6):
        space.set(V[p])
        with cr.no_grad():
            np.testing.assert_allclose(out[p], model(cr.tensor(x)).numpy(), rtol=1e-5,
                                       atol=1e-6)
    space.set(before)


def test_flatten_and_nested_sequential_batched():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(12, 4), nn.ReLU()),
                          nn.Linear(4, 2))
    space = ParameterVector(model)
    assert batched_forward_supported(model, space)
    V = space.get() + 0.1 * np.random.default_rng(0).standard_normal((3, space.dim))
    x = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(population_forward(model, V, x),
                               _loop(model, space, V.astype(np.float32), x, False),
                               rtol=1e-5, atol=1e-6)


def test_unsupported_layers_fall_back_to_the_loop_with_the_same_numbers():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    space = ParameterVector(model)
    assert not batched_forward_supported(model, space)
    before = space.get()
    V = before + 0.1 * np.random.default_rng(0).standard_normal((3, space.dim))
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32)
    out = population_forward(model, V, x)
    np.testing.assert_array_equal(space.get(), before)  # weights restored
    for p in range(3):
        space.set(V[p])
        with cr.no_grad():
            np.testing.assert_allclose(out[p], model(cr.tensor(x)).numpy(), rtol=1e-6)
    space.set(before)


def test_frozen_parameter_means_the_loop():
    model = mlp(nn.Tanh())
    model[2].bias.requires_grad_(False)
    assert not batched_forward_supported(model)
    space = ParameterVector(model)
    V = space.get()[None].repeat(2, 0)
    x = np.ones((1, 6), np.float32)
    with cr.no_grad():
        ref = model(cr.tensor(x)).numpy()
    np.testing.assert_allclose(population_forward(model, V, x)[1], ref, rtol=1e-6)


def test_per_candidate_inputs_and_rows():
    model = mlp(nn.Tanh())
    space = ParameterVector(model)
    rng = np.random.default_rng(0)
    V = space.get() + 0.1 * rng.standard_normal((4, space.dim))
    x = rng.standard_normal((4, 1, 6)).astype(np.float32)
    pop = PopulationModel(model, V, space)
    out = pop(x, per_candidate=True)
    for p in range(4):
        np.testing.assert_allclose(out[p], population_forward(model, V[p:p + 1], x[p])[0],
                                   rtol=1e-5, atol=1e-6)
    sub = pop(x[[1, 3]], per_candidate=True, rows=np.array([1, 3]))
    np.testing.assert_allclose(sub, out[[1, 3]], rtol=1e-6)
    with pytest.raises(ValueError, match="leading axis of 4"):
        population_forward(model, V, x[:2], per_candidate=True)


def test_population_shape_is_checked():
    model = mlp(nn.Tanh())
    with pytest.raises(ValueError, match=r"population_forward: vectors must have shape"):
        population_forward(model, np.zeros((2, 5)), np.zeros((1, 6)))


def test_derived_seeds_are_stable_and_distinct():
    from chainrule.evolve import derive_seed, normal

    assert derive_seed(0, 12, 3) == derive_seed(0, 12, 3)
    assert len({derive_seed(0, g, e) for g in range(20) for e in range(5)}) == 100
    np.testing.assert_array_equal(normal(5, 4), normal(5, 4))
    with pytest.raises(ValueError, match="derive_seed: seeds and keys must be >= 0"):
        derive_seed(0, -1)
