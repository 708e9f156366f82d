"""``cr.linalg.vector_norm``/``matrix_norm``, ``Tensor.norm``: values and gradients as
PyTorch's, including its subgradient 0 at the zero vector."""

import numpy as np
import pytest

import chainrule as cr

from .conftest import same

INF = float("inf")
M = np.random.default_rng(0).standard_normal((3, 4))


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, INF, -INF, 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_vector_norm_values_and_gradients(torch, ord, dim):
    x, t = cr.tensor(M, requires_grad=True), torch.tensor(M, requires_grad=True)
    y, ty = cr.linalg.vector_norm(x, ord, dim), torch.linalg.vector_norm(t, ord, dim)
    same(y, ty, rtol=1e-10)
    y.sum().backward()
    ty.sum().backward()
    # PyTorch leaves the gradient of the 0-"norm" (a count) undefined: zeros.
    tgrad = t.grad if t.grad is not None else torch.zeros_like(t)
    same(x.grad, tgrad, rtol=1e-10, atol=1e-12)
    assert cr.gradcheck(lambda a: cr.linalg.vector_norm(a, ord, dim), x)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
def test_matrix_norm_values_and_gradients(torch, ord):
    x, t = cr.tensor(M, requires_grad=True), torch.tensor(M, requires_grad=True)
    y, ty = cr.linalg.matrix_norm(x, ord), torch.linalg.matrix_norm(t, ord)
    same(y, ty, rtol=1e-10)
    y.backward()
    ty.backward()
    same(x.grad, t.grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ord", [2, 1, 3, INF])
def test_gradient_at_the_zero_vector_is_zero_like_torch(torch, ord):
    x, t = cr.zeros(3, dtype=cr.float64, requires_grad=True), torch.zeros(
        3, dtype=torch.float64, requires_grad=True)
    cr.linalg.vector_norm(x, ord).backward()
    torch.linalg.vector_norm(t, ord).backward()
    same(x.grad, t.grad)
    assert np.isfinite(x.grad.numpy()).all()
    # The hand-written formula is what this replaces: NaN at 0.
    z = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cr.sqrt((z * z).sum()).backward()
    assert np.isnan(z.grad.numpy()).all()


def test_tensor_norm_and_torch_norm(torch):
    x, t = cr.tensor(M), torch.tensor(M)
    same(x.norm(), t.norm())
    same(x.norm(1, dim=1, keepdim=True), t.norm(1, dim=1, keepdim=True))
    same(cr.norm(x, p="nuc"), torch.norm(t, p="nuc"), rtol=1e-10)
    same(cr.linalg.norm(x), torch.linalg.norm(t))
    same(cr.linalg.norm(x, ord=INF), torch.linalg.norm(t, ord=INF))
    same(cr.nn.functional.normalize(x, dim=1), torch.nn.functional.normalize(t, dim=1))


def test_second_derivative_of_norm(torch):
    x, t = cr.tensor(M[0], requires_grad=True), torch.tensor(M[0], requires_grad=True)
    (g,) = cr.grad(cr.linalg.vector_norm(x), x, create_graph=True)
    (tg,) = torch.autograd.grad(torch.linalg.vector_norm(t), t, create_graph=True)
    g.sum().backward()
    tg.sum().backward()
    same(x.grad, t.grad, rtol=1e-10, atol=1e-12)
