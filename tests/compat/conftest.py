"""The PyTorch oracle for the compatibility tests."""

import numpy as np
import pytest


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def same(cr_value, torch_value, rtol=1e-6, atol=1e-7):
    """Assert a chainrule result equals PyTorch's: values, shape and dtype name."""
    a = np.asarray(cr_value.numpy() if hasattr(cr_value, "numpy") else cr_value)
    b = torch_value.detach().numpy() if hasattr(torch_value, "detach") else np.asarray(torch_value)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
