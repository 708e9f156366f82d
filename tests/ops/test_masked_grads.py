"""Masked gradients select, never multiply: an infinite (or NaN) upstream gradient where a
mask is off gives 0, as PyTorch, not 0 * inf = NaN. Each case is compared with PyTorch."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INF = float("inf")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1/0, 0*inf on purpose

# name, chainrule function, torch function, inputs, upstream gradient (None: sum().backward())
CASES = [
    ("sqrt_relu", lambda x: cr.sqrt(x.relu()), lambda x: torch.sqrt(x.relu()),
     [[-1.0, 4.0]], None),
    ("relu_inf", lambda x: cr.relu(x), lambda x: torch.relu(x), [[-2.0, 0.0, 0.5]], INF),
    ("clip_pow", lambda x: x.clip(0, None) ** 0.5, lambda x: x.clip(0, None) ** 0.5,
     [[-1.0, 4.0]], None),
    ("clamp_both", lambda x: cr.clamp(x, -1.0, 1.0), lambda x: x.clamp(-1.0, 1.0),
     [[-2.0, 0.5, 2.0]], INF),
    ("sqrt_maximum", lambda x: cr.sqrt(cr.maximum(x, cr.zeros_like(x))),
     lambda x: torch.sqrt(torch.maximum(x, torch.zeros_like(x))), [[-1.0, 4.0]], None),
    ("sqrt_minimum", lambda x: cr.sqrt(-cr.minimum(x, cr.zeros_like(x))),
     lambda x: torch.sqrt(-torch.minimum(x, torch.zeros_like(x))), [[1.0, -4.0]], None),
    ("maximum_ties", lambda a, b: cr.maximum(a, b), lambda a, b: torch.maximum(a, b),
     [[1.0, 2.0, 3.0], [2.0, 2.0, 1.0]], INF),
    ("minimum_ties", lambda a, b: cr.minimum(a, b), lambda a, b: torch.minimum(a, b),
     [[1.0, 2.0, 3.0], [2.0, 2.0, 1.0]], INF),
    ("pow_at_0_0", lambda a, b: a**b, lambda a, b: a**b, [[0.0, 2.0], [0.0, 1.5]], None),
    ("pow_scalar_0", lambda x: x**0, lambda x: x**0, [[-2.0, 0.5]], INF),
    ("max_all", lambda x: x.max().reshape(1), lambda x: x.max().reshape(1),
     [[1.0, 3.0, 2.0]], INF),
    ("max_pool", lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2),
     [np.arange(16.0).reshape(1, 1, 4, 4).tolist()], INF),
    ("max_pool_overlap", lambda x: F.max_pool2d(x, 3, stride=1),
     lambda x: TF.max_pool2d(x, 3, stride=1), [np.arange(16.0).reshape(1, 1, 4, 4).tolist()],
     INF),
    ("max_pool_padded", lambda x: F.max_pool2d(x, 2, padding=1),
     lambda x: TF.max_pool2d(x, 2, padding=1),
     [np.arange(9.0).reshape(1, 1, 3, 3).tolist()], INF),
]


def _grads(lib, f, values, upstream):
    if lib is cr:
        xs = [cr.tensor(v, dtype="float64", requires_grad=True) for v in values]
    else:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    y = f(*xs)
    if upstream is None:
        y.sum().backward()
    else:
        full = (cr.full if lib is cr else torch.full)(tuple(y.shape), upstream,
                                                      dtype=xs[0].dtype)
        y.backward(full)
    return [np.asarray(x.grad.numpy() if lib is cr else x.grad.detach().numpy())
            for x in xs]


@pytest.mark.parametrize("name, f, tf, values, upstream", CASES, ids=[c[0] for c in CASES])
def test_masked_gradient_selects_like_pytorch(name, f, tf, values, upstream):
    got = _grads(cr, f, values, upstream)
    want = _grads(torch, tf, values, upstream)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=name)
        np.testing.assert_allclose(g, w, rtol=1e-12, err_msg=name)


def test_relu_double_backward_selects():
    """ReLUGrad (relu's backward as an op, used under create_graph) selects too."""
    x = cr.tensor([-1.0, 2.0], dtype="float64", requires_grad=True)
    (g,) = cr.grad(cr.relu(x).sum(), x, create_graph=True)
    gg = cr.grad(g, x, grad_outputs=cr.tensor([INF, INF], dtype="float64"), allow_unused=True)
    assert gg[0] is None or not np.isnan(gg[0].numpy()).any()
    y = cr.relu(x)
    (gy,) = cr.grad(y, x, grad_outputs=cr.tensor([INF, 1.0], dtype="float64"),
                    create_graph=True)
    np.testing.assert_array_equal(gy.numpy(), [0.0, 1.0])
