"""Each activation op is defined once (chainrule.ops) and exposed as cr.<name> and
F.<name> (the same function, PyTorch's signature), with values as PyTorch's."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")

NAMES = ["relu", "sigmoid", "tanh", "gelu", "softplus", "silu", "elu", "leaky_relu"]


@pytest.mark.parametrize("name", NAMES)
def test_activation_is_one_function_in_cr_and_F(name):
    assert getattr(cr, name) is getattr(F, name)
    x = np.linspace(-3, 3, 7)
    got = getattr(F, name)(cr.tensor(x, dtype="float64")).numpy()
    want = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)


def test_inplace_flag_is_accepted_like_pytorch():
    x = cr.tensor([-1.0, 2.0])
    for f in (F.relu, F.silu, F.elu, F.leaky_relu):
        np.testing.assert_array_equal(f(x, inplace=False).numpy(), f(x).numpy())


@pytest.mark.parametrize("module", ["special", "indexing", "arrays", "matrix", "stats"])
def test_op_module_names_are_pytorch_names(module):
    """An op module's functions are cr.<name> (PyTorch's torch.<name>), the Tensor methods it
    declares are those functions, and its in-place twins are PyTorch's Tensor methods."""
    import importlib

    mod = importlib.import_module(f"chainrule.ops.{module}")
    for name in mod.TENSOR_METHODS:
        assert getattr(cr.Tensor, name) is getattr(cr.ops, name), name
        assert hasattr(torch.Tensor, name), name
    for name in mod.INPLACE_TWINS:
        assert hasattr(cr.Tensor, name + "_") and hasattr(torch.Tensor, name + "_"), name
    for name in mod.__all__:
        assert getattr(cr, name) is getattr(cr.ops, name), name
        assert hasattr(torch, name), name

