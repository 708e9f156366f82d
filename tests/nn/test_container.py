"""Sequential's inference path: under no_grad it runs its layers on bare arrays; the result
must be the one the Tensor path gives, and hooks, overrides and changes must be honoured."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


def _mlp(seed=0):
    g = cr.Generator(seed)
    return nn.Sequential(nn.Linear(6, 5, generator=g), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(5, 4, generator=g), nn.Tanh(), nn.Flatten(),
                         nn.Sequential(nn.Linear(4, 3, generator=g), nn.Sigmoid()),
                         nn.Identity())


def _x(*shape):
    return cr.tensor(np.random.default_rng(1).standard_normal(shape).astype(np.float32))


def test_array_path_matches_tensor_path():
    model = _mlp().eval()
    x = _x(7, 6)
    with cr.no_grad():
        fast = model(x)
    assert model._array_chain() is not None  # the array path was taken
    slow = model(x)  # grad mode: the Tensor path, one layer call at a time
    assert not fast.requires_grad and slow.requires_grad
    np.testing.assert_array_equal(fast.numpy(), slow.numpy())


def test_batch_one_and_float64_input():
    model = _mlp().eval()
    x = _x(1, 6)
    with cr.no_grad():
        a = model(x)
        b = model(x.astype("float64"))  # cast to the weights' dtype, as the Tensor path does
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_allclose(a.numpy(), model(x).numpy(), rtol=1e-6)


def test_hook_added_after_a_call_is_run():
    model = _mlp().eval()
    x = _x(2, 6)
    with cr.no_grad():
        model(x)
        seen = []
        h = model[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
        model(x)
        assert seen == [(2, 5)]
        h.remove()
        model(x)
        assert seen == [(2, 5)]


def test_hook_replacing_the_output_is_honoured():
    model = _mlp().eval()
    x = _x(2, 6)
    model[6][1].register_forward_hook(lambda m, i, o: o * 0)
    with cr.no_grad():
        assert np.all(model(x).numpy() == 0)


def test_a_subclass_overriding_forward_is_called():
    class Doubling(nn.Linear):
        def forward(self, input):
            return super().forward(input) * 2

    model = nn.Sequential(Doubling(3, 2), nn.ReLU()).eval()
    plain = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    plain.load_state_dict(model.state_dict())
    x = _x(4, 3)
    with cr.no_grad():
        np.testing.assert_allclose(model(x).numpy(), (plain[0](x) * 2).relu().numpy())


def test_changes_to_the_sequential_are_seen():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU()).eval()
    x = _x(4, 3)
    with cr.no_grad():
        y1 = model(x)
        model.append(nn.Tanh())
        np.testing.assert_allclose(model(x).numpy(), np.tanh(y1.numpy()), rtol=1e-6)
        model[2] = nn.Sigmoid()
        np.testing.assert_allclose(model(x).numpy(), 1 / (1 + np.exp(-y1.numpy())), rtol=1e-6)
        del model[2]
        np.testing.assert_array_equal(model(x).numpy(), y1.numpy())


def test_dropout_in_training_mode_still_drops_under_no_grad():
    model = nn.Sequential(nn.Dropout(0.5, generator=cr.Generator(0))).train()
    x = cr.ones(1000)
    with cr.no_grad():
        y = model(x).numpy()
        assert set(np.unique(y)) == {0.0, 2.0}
        model.eval()
        np.testing.assert_array_equal(model(x).numpy(), x.numpy())


def test_bad_input_names_the_layer_on_the_array_path():
    model = _mlp().eval()
    with cr.no_grad(), pytest.raises(ValueError, match=r"Linear: expected input with 6 features"):
        model(_x(2, 28, 28))


# -- the no-graph path gives what calling the modules gives --------------------------------


def _both_modes(m, x):
    with_grad = m(x).numpy()
    with cr.no_grad():
        without = m(x).numpy()
    return with_grad, without


def test_sequential_respects_an_instance_forward_override_under_no_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    m[0].forward = lambda x: x * 0 + 42
    x = cr.tensor([[1.0, 2.0]])
    with_grad, without = _both_modes(m, x)
    np.testing.assert_array_equal(with_grad, [[42.0, 42.0]])
    np.testing.assert_array_equal(without, [[42.0, 42.0]])
    del m[0].forward  # the class's forward again, and the array chain with it
    with_grad, without = _both_modes(m, x)
    np.testing.assert_array_equal(without, with_grad)
    assert not np.array_equal(without, [[42.0, 42.0]])


def test_sequential_override_after_a_cached_chain_and_in_a_nested_child():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    m = nn.Sequential(inner, nn.Sigmoid())
    x = cr.tensor([[1.0, -2.0]])
    with cr.no_grad():
        m(x)  # builds and caches the array chain
    inner[1].forward = lambda x: x * 0
    with_grad, without = _both_modes(m, x)
    np.testing.assert_array_equal(with_grad, [[0.5, 0.5]])
    np.testing.assert_array_equal(without, [[0.5, 0.5]])


def test_sequential_runs_forward_hooks_under_no_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    x = cr.tensor([[1.0, 2.0]])
    with cr.no_grad():
        m(x)
    seen = []
    m[1].register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out * 0 - 1)
    m[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    with_grad, without = _both_modes(m, x)
    np.testing.assert_array_equal(without, [[-1.0, -1.0]])
    np.testing.assert_array_equal(with_grad, without)
    assert seen == [(1, 2), (1, 2)]
