"""Gradient clipping and parameter flattening against torch.nn.utils."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import Parameter
from chainrule.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)

torch = pytest.importorskip("torch")


def pair(dtype=np.float32, scale=1.0, seed=0):
    """Parameters with gradients set, in chainrule and torch; the last one has no grad."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    ps, ts = [], []
    for g in grads:
        p = Parameter(cr.tensor(np.zeros(g.shape, dtype)))
        p.grad = cr.tensor(g.copy())
        t = torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name)))
        t.grad = torch.tensor(g.copy())
        ps.append(p)
        ts.append(t)
    ps.append(Parameter(cr.zeros(2)))
    ts.append(torch.nn.Parameter(torch.zeros(2)))
    return ps, ts


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ps, ts = pair(dtype)
    total = clip_grad_norm_(ps, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type)
    assert isinstance(total, cr.Tensor) and total.ndim == 0
    assert total.dtype == dtype
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-5)
    for p, t in zip(ps[:-1], ts[:-1]):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert ps[-1].grad is None
    if max_norm < total.item():  # it did clip
        assert clip_grad_norm_(ps, 1e9, norm_type).item() == pytest.approx(max_norm, rel=1e-4)


def test_clip_grad_norm_single_tensor_and_no_grads():
    ps, ts = pair()
    total = clip_grad_norm_(ps[0], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(ts[0], 1.0)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    assert clip_grad_norm_([Parameter(cr.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ps, _ = pair()
    ps[0].grad.array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="clip_grad_norm_: .*non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(ps, 1.0).item())


@pytest.mark.parametrize("clip", [0.1, 0.7, 10.0])
def test_clip_grad_value_matches_torch(clip):
    ps, ts = pair(scale=2.0)
    assert clip_grad_value_(ps, clip) is None
    torch.nn.utils.clip_grad_value_(ts, clip)
    for p, t in zip(ps[:-1], ts[:-1]):
        assert p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    assert max(np.abs(p.grad.numpy()).max() for p in ps[:-1]) <= clip


def test_parameters_to_vector_and_back():
    ps, ts = pair()
    for i, (p, t) in enumerate(zip(ps, ts)):
        p.array[...] = i + 1
        with torch.no_grad():
            t.fill_(i + 1)
    vec = parameters_to_vector(ps)
    tvec = torch.nn.utils.parameters_to_vector(ts)
    np.testing.assert_array_equal(vec.numpy(), tvec.detach().numpy())
    vector_to_parameters(cr.arange(vec.numel()).astype("float32"), ps)
    torch.nn.utils.vector_to_parameters(torch.arange(tvec.numel(), dtype=torch.float32), ts)
    for p, t in zip(ps, ts):
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy())


def test_parameters_to_vector_is_differentiable():
    a, b = Parameter(cr.tensor([1.0, 2.0])), Parameter(cr.tensor([[3.0]]))
    (parameters_to_vector([a, b]) ** 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [[6.0]])


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ps: clip_grad_norm_(ps, -1.0), ValueError, "clip_grad_norm_: max_norm"),
        (lambda ps: clip_grad_norm_(ps, "big"), TypeError, "clip_grad_norm_: max_norm"),
        (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=float("nan")), TypeError, "norm_type"),
        (lambda ps: clip_grad_norm_([ps[0], 3.0], 1.0), TypeError, r"parameters\[1\] is float"),
        (lambda ps: clip_grad_norm_(5, 1.0), TypeError, "clip_grad_norm_: parameters"),
        (lambda ps: clip_grad_value_(ps, -0.5), ValueError, "clip_grad_value_: clip_value"),
        (lambda ps: vector_to_parameters(cr.zeros(3), ps), ValueError, "3 elements"),
        (lambda ps: vector_to_parameters(np.zeros(30), ps), TypeError, "vec must be a Tensor"),
        (lambda ps: parameters_to_vector([]), ValueError, "empty"),
    ],
)
def test_bad_arguments(call, error, match):
    ps, _ = pair()
    with pytest.raises(error, match=match):
        call(ps)
