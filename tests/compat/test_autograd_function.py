"""PyTorch's ``autograd.Function`` protocol (ctx, static forward/backward, apply)
beside chainrule's own; both checked with gradcheck."""

import numpy as np
import pytest

import chainrule as cr


class MulConst(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, k):
        ctx.save_for_backward(x, w)
        ctx.k = k
        return x * w * k

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        gx = gy * w * ctx.k if ctx.needs_input_grad[0] else None
        gw = gy * x * ctx.k if ctx.needs_input_grad[1] else None
        return gx, gw, None


class SortWithIndex(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        idx = x.argsort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return x[idx], idx

    @staticmethod
    def backward(ctx, gy, gidx):
        (idx,) = ctx.saved_tensors
        gx = cr.zeros(gy.shape, dtype=gy.dtype)
        gx[idx] = gy
        return gx


def _x(seed=0, n=4):
    return cr.tensor(np.random.default_rng(seed).standard_normal(n), requires_grad=True)


def test_ctx_function_gradcheck_and_gradgradcheck():
    x, w = _x(0), _x(1)
    assert cr.gradcheck(lambda a, b: MulConst.apply(a, b, 3.0), (x, w))
    assert cr.gradgradcheck(lambda a, b: MulConst.apply(a, b, 3.0), (x, w))


def test_needs_input_grad_and_grad_fn():
    x, w = _x(0), cr.tensor(np.ones(4))
    seen = {}

    class Probe(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, gy):
            return gy, None

    y = Probe.apply(x, w)
    assert seen["needs"] == (True, False)
    assert y.grad_fn is not None and y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0)


def test_non_differentiable_output_and_multiple_outputs():
    x = _x(2)
    y, idx = SortWithIndex.apply(x)
    assert not idx.requires_grad and y.requires_grad
    assert cr.gradcheck(lambda a: SortWithIndex.apply(a)[0], x)


def test_matches_torch(torch):
    class TMul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * w * k

        @staticmethod
        def backward(ctx, gy):
            x, w = ctx.saved_tensors
            return gy * w * ctx.k, gy * x * ctx.k, None

    a = np.random.default_rng(0).standard_normal(3)
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (MulConst.apply(x, x, 2.0) ** 2).sum().backward()
    (TMul.apply(t, t, 2.0) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_chainrule_own_function_still_works():
    class Square(cr.Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * 2.0 * self.inputs[0]

    x = _x(3)
    assert cr.gradcheck(lambda a: Square()(a), x)


def test_wrong_gradient_count_is_named():
    class Bad(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, gy):
            return gy

    x = _x(4)
    with pytest.raises(RuntimeError, match="Bad.backward: returned 1 gradients"):
        Bad.apply(x, x).sum().backward()
