"""float16 as PyTorch computes it: polynomials and tanh in float32, reductions accumulated
in float32, results cast back; never a NaN or a flushed 0 where PyTorch has a number."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.nonlinear import erf

torch = pytest.importorskip("torch")

X = np.array([-30.0, -10.0, -6.0, -4.5, -1.0, 0.0, 0.5, 3.0, 4.6, 6.5, 10.0, 300.0],
             dtype=np.float16)


@pytest.mark.parametrize("name, ours, theirs", [
    ("erf", erf, torch.erf),
    ("gelu", F.gelu, torch.nn.functional.gelu),
    ("sigmoid", cr.sigmoid, torch.sigmoid),
    ("silu", F.silu, torch.nn.functional.silu),
])
def test_float16_activations_match_pytorch(name, ours, theirs):
    got = ours(cr.tensor(X)).numpy()
    want = theirs(torch.tensor(X)).numpy()
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=2e-3,
                               atol=0, err_msg=name)
    assert np.isfinite(got).all()


def test_sigmoid_and_silu_of_minus_10_are_not_flushed_to_zero():
    x = cr.tensor(np.array([-10.0], np.float16))
    assert cr.sigmoid(x).numpy()[0] > 0 and F.silu(x).numpy()[0] < 0


@pytest.mark.parametrize("op", ["mean", "var"])
def test_float16_reductions_accumulate_in_float32(op):
    a = np.full((4, 3000), 60.0, np.float16)  # the float16 sum of a row passes 65504
    a[:, ::2] = 70.0
    x = cr.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    kwargs = {} if op == "mean" else {"correction": 1}
    for axis in (None, 1):
        got = getattr(cr, op)(x, dim=axis, **kwargs) if axis is not None else \
            getattr(cr, op)(x, **kwargs)
        want = getattr(torch, op)(t, dim=axis, **kwargs) if axis is not None else \
            getattr(torch, op)(t, **kwargs)
        assert got.dtype == np.float16
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   want.detach().numpy().astype(np.float64), rtol=1e-3)
    got.sum().backward()
    want.sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64),
                               t.grad.numpy().astype(np.float64), rtol=1e-2, atol=1e-6)
