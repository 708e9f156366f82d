"""Regularized evolution of layer-based models trained by backprop."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.evolve.architecture import (
    Architecture,
    Block,
    SearchSpace,
    accuracy,
    draw_architecture,
    load_architecture,
    mutate_architecture,
    regularized_evolution,
    save_architecture,
)

SMALL = SearchSpace(widths=(8, 16, 32), max_blocks=2)


def blobs(n=240, seed=0):
    """Three Gaussian classes in 6-D, split 2:1."""
    r = np.random.default_rng(seed)
    y = r.integers(0, 3, n)
    X = (r.normal(size=(n, 6)) + 2.0 * np.eye(3, 6)[y]).astype(np.float32)
    return X[: 2 * n // 3], y[: 2 * n // 3], X[2 * n // 3:], y[2 * n // 3:]


def test_build_names_layers_and_shapes():
    arch = Architecture((Block(16, "tanh", "batch", 0.25), Block(8, "relu", "layer")))
    model = arch.build(6, 3, generator=0)
    assert isinstance(model, nn.Sequential)
    assert list(model.state_dict()) == [
        "fc0.weight", "fc0.bias", "norm0.weight", "norm0.bias", "norm0.running_mean",
        "norm0.running_var", "norm0.num_batches_tracked", "fc1.weight", "fc1.bias",
        "norm1.weight", "norm1.bias", "out.weight", "out.bias"]
    assert model.fc0.weight.shape == (16, 6) and model.out.weight.shape == (3, 8)
    assert isinstance(model.drop0, nn.Dropout) and isinstance(model.act0, nn.Tanh)
    assert Architecture.from_json(arch.to_json()) == arch
    assert arch.describe() == "16 tanh batchnorm drop 0.25 | 8 relu layernorm"


def test_mutations_change_exactly_one_thing():
    rng = np.random.default_rng(0)
    arch = SMALL.random(rng)
    kinds = set()
    for _ in range(200):
        child, what = mutate_architecture(arch, SMALL, rng)
        assert child != arch and 0 <= len(child.blocks) <= SMALL.max_blocks
        kinds.add(what.split()[0])
        if len(child.blocks) == len(arch.blocks):
            diffs = [(a, b) for a, b in zip(arch.blocks, child.blocks) if a != b]
            assert len(diffs) == 1
            changed = [f for f in ("width", "activation", "norm", "dropout")
                       if getattr(diffs[0][0], f) != getattr(diffs[0][1], f)]
            assert len(changed) == 1
        else:
            assert abs(len(child.blocks) - len(arch.blocks)) == 1
        arch = child
    assert kinds == {"add", "remove", "width", "activation", "norm", "dropout"}


def test_search_ages_out_the_oldest_and_is_deterministic():
    data = blobs()
    kw = dict(cycles=9, population_size=4, sample_size=2, epochs=5, lr=1e-2, space=SMALL,
              seed=1)
    a = regularized_evolution(*data, **kw)
    b = regularized_evolution(*data, **kw)
    assert [c.architecture for c in a.history] == [c.architecture for c in b.history]
    assert [c.val_accuracy for c in a.history] == [c.val_accuracy for c in b.history]
    assert len(a.history) == 9
    assert all(c.parent is None for c in a.history[:4])
    # Tournament over the 4 youngest alive: parent of child i is among candidates i-4..i-1.
    for c in a.history[4:]:
        assert c.id - 4 <= c.parent < c.id
    assert a.best.val_accuracy == max(c.val_accuracy for c in a.history) > 0.6


def test_weight_inheritance_starts_children_from_parent_weights():
    data = blobs()
    res = regularized_evolution(*data, cycles=6, population_size=3, sample_size=3, epochs=0,
                                space=SMALL, seed=2, inherit_weights=True)
    for c in res.history[3:]:
        parent = res.history[c.parent]
        mine, theirs = c.model.state_dict(), parent.model.state_dict()
        same = [k for k in mine if k in theirs and mine[k].shape == theirs[k].shape]
        assert same  # the output layer at least, unless its input width changed
        for k in same:
            np.testing.assert_array_equal(mine[k].numpy(), theirs[k].numpy())


def test_save_and_load_the_winner(tmp_path):
    pytest.importorskip("safetensors")
    X, y, Xv, yv = blobs()
    res = regularized_evolution(X, y, Xv, yv, cycles=3, population_size=3, sample_size=2,
                                epochs=3, space=SMALL, seed=0)
    path = tmp_path / "best.safetensors"
    save_architecture(res.best, path)
    model = load_architecture(path, 6, 3)
    assert accuracy(model, Xv, yv) == res.best.val_accuracy
    from safetensors.numpy import load_file

    assert set(load_file(path)) == set(res.best.model.state_dict())


def test_bad_input_is_named():
    X, y, Xv, yv = blobs()
    with pytest.raises(ValueError, match="regularized_evolution: sample_size"):
        regularized_evolution(X, y, Xv, yv, population_size=2, sample_size=3)
    with pytest.raises(ValueError, match="regularized_evolution: training data must be"):
        regularized_evolution(X, y[:5], Xv, yv)
    with pytest.raises(ValueError, match="validation data has 5 features"):
        regularized_evolution(X, y, Xv[:, :5], yv)
    with pytest.raises(ValueError, match="SearchSpace: unknown activations"):
        SearchSpace(activations=("swish",))


def test_draw_architecture(tmp_path):
    arch = Architecture((Block(16, "tanh", "batch", 0.25), Block(8, "relu")))
    svg = draw_architecture(arch, tmp_path / "a.svg", 6, 3)
    text = (tmp_path / "a.svg").read_text()
    assert svg.endswith("a.svg") and text.startswith("<svg")
    assert "6 -&gt; 16" in text and "BatchNorm1d" in text and "p = 0.25" in text
    assert text.count("<line") == 7  # input, fc0, norm0, act0, drop0, fc1, act1, out
    draw_architecture(arch, tmp_path / "a.txt", 6, 3)
    assert (tmp_path / "a.txt").read_text().splitlines()[-1] == "out  Linear  8 -> 3"
    with pytest.raises(TypeError, match="draw_architecture: arch must be an Architecture"):
        draw_architecture("mlp", tmp_path / "b.svg", 6, 3)
