"""The backward pass, cr.grad, grad modes, hooks, and the errors the engine raises."""

import numpy as np
import pytest

import chainrule as cr


def f64(data, requires_grad=True):
    return cr.tensor(np.asarray(data, np.float64), requires_grad=requires_grad)


# -- backward ------------------------------------------------------------------------------


def test_backward_scalar():
    x = f64([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_backward_with_gradient_for_non_scalar():
    x = f64([1.0, 2.0])
    y = x * 3.0
    y.backward(gradient=cr.tensor(np.array([1.0, 10.0])))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_backward_gradient_as_array_or_list():
    x = f64([1.0, 2.0])
    (x * 2.0).backward([1.0, 0.5])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])


def test_backward_non_scalar_without_gradient_raises():
    x = f64([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match=r"backward: .*scalar.*shape \(1, 2\)"):
        (x * 2.0).backward()


def test_backward_gradient_of_wrong_shape_raises():
    x = f64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(3,\).*\(2,\)"):
        (x * 2.0).backward(cr.ones(3, dtype="float64"))


def test_backward_on_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).sum().backward()


def test_gradients_accumulate():
    x = f64([1.0, 2.0])
    (x * 2.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 2.0, 2.0 + 4.0])


def test_accumulation_does_not_alias_other_gradients():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.numpy()[...] = 100.0  # in place, through the array
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    a.grad.add_(1.0)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_second_backward_accumulates_into_own_grad_only():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    z = a + b
    z.sum().backward(retain_graph=True)
    z.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0])


def test_leaf_used_twice_and_shared_subgraph():
    x = f64(2.0)
    h = x * x  # used by two consumers
    y = h * 3.0 + h.exp()
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 2 * 2.0 * (3.0 + np.exp(4.0)))


def test_grad_of_reshape_view_is_independent_copy():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    w = f64([1.0, 1.0, 1.0, 1.0])
    (x.reshape(-1) + w).sum().backward()
    x.grad.numpy()[...] = 0.0
    np.testing.assert_allclose(w.grad.numpy(), np.ones(4))


def test_retain_graph_allows_second_backward():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_through_freed_graph_raises():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"(Sum|Mul): .*second time.*retain_graph=True"):
        y.backward()


def test_graph_is_freed_after_backward():
    x = f64([1.0, 2.0])
    y = x * x
    node = y.creator
    y.sum().backward()
    assert node.inputs is None


def test_multiple_outputs_some_unused():
    x = f64([1.0, 2.0, 3.0, 4.0])
    a, b = cr.split(x, 2)
    (b * cr.tensor(np.array([5.0, 7.0]))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 5.0, 7.0])


def test_split_outputs_with_equal_values_are_told_apart():
    # Outputs of one op must be matched by identity, not by (elementwise) equality.
    x = f64([1.0, 1.0])
    a, b = cr.split(x, 1)
    (b * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 3.0])


def test_backward_of_several_roots():
    x = f64([1.0, 2.0])
    cr.backward([(x * 2.0).sum(), (x * x).sum()])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])


def test_long_chain_backpropagates_without_recursion():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_leaf_root_backward():
    x = f64(3.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_requires_grad_propagates():
    x, c = f64([1.0]), f64([2.0], requires_grad=False)
    assert (x * c).requires_grad and not (c * c).requires_grad
    assert (x * c).grad_fn is not None and x.is_leaf and not (x * c).is_leaf


def test_constant_input_gets_no_grad():
    x, c = f64([1.0]), f64([2.0], requires_grad=False)
    (x * c).sum().backward()
    assert c.grad is None and x.grad.item() == 2.0


# -- in-place changes ---------------------------------------------------------------------


def test_inplace_change_of_saved_input_raises():
    x = f64([1.0, 2.0])
    h = x * 1.0
    y = (h * h).sum()
    with cr.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified"):
        y.backward()


def test_inplace_change_of_saved_output_raises():
    x = f64([1.0, 2.0])
    y = x.exp()
    z = y.sum()
    with cr.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Exp: its output of shape \(2,\) was modified"):
        z.backward()


def test_inplace_on_recorded_non_leaf_is_recorded():
    x = f64([1.0, 2.0])
    h = x * 1.0
    assert h.mul_(2.0) is h and h.grad_fn.name == "MulScalar"
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad"):
        x.add_(1.0)
    with cr.no_grad():
        x.add_(1.0)
    np.testing.assert_allclose(x.numpy(), [2.0, 3.0])


# -- cr.grad ------------------------------------------------------------------------------


def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    gx, gw = cr.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_grad_with_grad_outputs():
    x = f64([1.0, 2.0])
    (g,) = cr.grad(x * x, x, grad_outputs=cr.tensor(np.array([1.0, 0.5])))
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0])


def test_grad_create_graph_gives_second_derivative():
    x = f64(3.0)
    (g,) = cr.grad(x**3, x, create_graph=True)
    assert g.requires_grad
    assert g.item() == pytest.approx(27.0)
    (gg,) = cr.grad(g, x)
    assert gg.item() == pytest.approx(18.0)


def test_hessian_vector_product_matches_analytic():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = f64([1.0, -1.0])
    A = cr.tensor(a)
    f = 0.5 * (x * (A @ x)).sum() + x.sin().sum()
    (g,) = cr.grad(f, x, create_graph=True)
    v = cr.tensor(np.array([1.0, 2.0]))
    (hv,) = cr.grad((g * v).sum(), x)
    hess = a - np.diag(np.sin([1.0, -1.0]))
    np.testing.assert_allclose(hv.numpy(), hess @ [1.0, 2.0])


def test_gradient_penalty_backward_through_grad():
    x = f64([1.0, 2.0])
    (g,) = cr.grad((x**3).sum(), x, create_graph=True)
    (g * g).sum().backward()  # d/dx sum (3x^2)^2 = 36 x^3
    np.testing.assert_allclose(x.grad.numpy(), 36 * np.array([1.0, 8.0]))


def test_grad_unused_input_raises_or_returns_none():
    x, u = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match=r"grad: .*shape \(1,\).*allow_unused=True"):
        cr.grad((x * 2.0).sum(), [x, u])
    gx, gu = cr.grad((x * 2.0).sum(), [x, u], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_grad_wrt_intermediate():
    x = f64([1.0, 2.0])
    h = x * 2.0
    (gh,) = cr.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])


def test_grad_argument_errors():
    x = f64([1.0])
    with pytest.raises(RuntimeError, match="grad: an input of shape"):
        cr.grad((x * 2.0).sum(), cr.ones(1))
    with pytest.raises(TypeError, match="grad: inputs must be Tensors"):
        cr.grad((x * 2.0).sum(), [np.ones(1)])
    with pytest.raises(RuntimeError, match=r"grad: .*scalar.*\(1, 2\)"):
        cr.grad(x * cr.ones(1, 2, dtype="float64"), x)
    with pytest.raises(ValueError, match="grad: got 1 outputs but 2 gradients"):
        cr.grad(x * 2.0, x, grad_outputs=[cr.ones(1), cr.ones(1)])


def test_grad_matches_torch_for_second_order():
    torch = pytest.importorskip("torch")
    a = np.array([0.3, -1.2, 0.7])
    x = f64(a)
    y = (x.tanh() * x.exp()).sum()
    (g,) = cr.grad(y, x, create_graph=True)
    (gg,) = cr.grad(g.sum(), x)
    t = torch.tensor(a, requires_grad=True)
    ty = (t.tanh() * t.exp()).sum()
    (tg,) = torch.autograd.grad(ty, t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


# -- grad modes ---------------------------------------------------------------------------


def test_no_grad_context():
    x = f64([1.0])
    with cr.no_grad():
        y = x * 2.0
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.creator is None


def test_no_grad_decorator_with_and_without_parentheses():
    @cr.no_grad()
    def f(x):
        return x * 2.0

    @cr.no_grad
    def g(x):
        return x * 2.0

    x = f64([1.0])
    assert not f(x).requires_grad and not g(x).requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_decorated_recursion_restores_mode():
    @cr.no_grad()
    def depth(n):
        return depth(n - 1) if n else cr.is_grad_enabled()

    assert depth(3) is False
    assert cr.is_grad_enabled()


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(KeyError):
        with cr.no_grad():
            raise KeyError("x")
    assert cr.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = f64([1.0])
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled():
    x = f64([1.0])
    with cr.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    with cr.set_grad_enabled(True):
        assert (x * 2.0).requires_grad


# -- hooks and retain_grad ----------------------------------------------------------------


def test_hook_on_leaf_sees_and_replaces_gradient():
    x = f64([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10.0

    x.register_hook(hook)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_hook_on_intermediate_changes_upstream_gradient():
    x = f64([1.0, 2.0])
    h = x * 2.0
    handle = h.register_hook(lambda g: g * 0.0)
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])
    handle.remove()
    x.grad = None
    h2 = x * 2.0
    (h2 * h2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def test_hook_handle_remove():
    x = f64([1.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    handle.remove()
    (x * 2.0).sum().backward()
    assert calls == []


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="register_hook"):
        cr.ones(2).register_hook(lambda g: g)


def test_retain_grad_keeps_intermediate_gradient():
    x = f64([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    z = x * 5.0  # not retained
    (h * h + z).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])
    assert z.grad is None


# -- anomaly detection --------------------------------------------------------------------


def test_detect_anomaly_names_forward_op():
    x = f64([1.0, -1.0])
    with cr.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"Log produced NaN in its forward.*\(2,\)"):
            with np.errstate(invalid="ignore"):
                cr.log(x)


def test_detect_anomaly_names_backward_op():
    x = f64([0.0, 1.0])
    with cr.detect_anomaly():
        y = cr.sqrt(x).sum()
        with pytest.raises(FloatingPointError, match="Sqrt produced Inf in its backward"):
            with np.errstate(divide="ignore"):
                y.backward()


def test_no_anomaly_check_by_default():
    with np.errstate(invalid="ignore"):
        y = cr.log(f64([-1.0]))
    assert np.isnan(y.item())


# -- custom Function ----------------------------------------------------------------------


class Cube(cr.Function):
    def forward(self, x):
        return x**3

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 3.0 * x * x


def test_custom_function_first_and_second_order():
    x = f64([1.0, -2.0])
    y = Cube()(x)
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    (gg,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [6.0, -12.0])
    assert cr.gradcheck(lambda t: Cube()(t), x)
    assert cr.gradgradcheck(lambda t: Cube()(t), x)


# -- more engine behaviour -----------------------------------------------------------------


def test_inplace_change_of_an_input_backward_does_not_read_is_allowed():
    x = f64([1.0, 2.0])
    h = x * 1.0
    y = (h + 1.0).sum()  # add does not keep h's value
    with cr.no_grad():
        h.mul_(5.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_third_derivative():
    x = f64(0.7)
    (g1,) = cr.grad(x.sin(), x, create_graph=True)
    (g2,) = cr.grad(g1, x, create_graph=True)
    (g3,) = cr.grad(g2, x)
    np.testing.assert_allclose(g3.numpy(), -np.cos(0.7))


def test_leaf_root_gradient_does_not_alias_the_seed():
    x = f64([1.0, 2.0])
    seed = cr.tensor(np.array([5.0, 6.0]))
    x.backward(gradient=seed)
    x.grad.zero_()
    np.testing.assert_allclose(seed.numpy(), [5.0, 6.0])


def test_detect_anomaly_blames_the_op_not_its_gradient_formula():
    """Sqrt's backward divides by its output; the report names Sqrt, not that division."""
    x = f64([0.0, 1.0])
    with cr.detect_anomaly(), np.errstate(divide="ignore"):
        y = cr.sqrt(x * 1.0).sum()
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    assert "Sqrt produced Inf in its backward" in str(info.value)
    assert "Div" not in str(info.value)
    assert "test_autograd.py" in str(info.value)  # the user's line that created the op


def test_accumulating_into_a_grad_with_a_graph_does_not_change_it_in_place():
    x = f64([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    g1 = x.grad
    assert g1.requires_grad
    before = g1.numpy().copy()
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(g1.numpy(), before)
    np.testing.assert_allclose(x.grad.numpy(), before + 1.0)


def test_create_graph_backward_does_not_alias_a_constant_seed():
    x = f64([1.0, 2.0])
    seed = cr.tensor(np.array([1.0, 1.0]))
    (x + 0.0).backward(gradient=seed, create_graph=True)
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(seed.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


# -- views share the in-place version counter ----------------------------------------------


def test_inplace_change_through_a_view_of_a_saved_input_raises():
    x = f64([1.0, 2.0])
    h = x * 1.0
    y = (h * h).sum()
    with cr.no_grad():
        h.reshape(2, 1).mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified"):
        y.backward()


def test_inplace_change_of_base_after_a_view_was_saved_raises():
    x = f64([1.0, 2.0, 3.0])
    h = x * 1.0
    v = h[1:]
    y = (v * v).sum()
    with cr.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified"):
        y.backward()


def test_weight_updated_before_backward_through_its_transpose_raises():
    w = f64([[1.0, 2.0], [3.0, 4.0]])
    y = (f64([[1.0, 1.0]]) @ w.T).sum()
    with cr.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match=r"MatMul: an input of shape \(2, 2\)"):
        y.backward()


def test_inplace_change_through_detach_raises():
    x = f64([1.0, 2.0])
    h = x.exp()
    y = (h * 2.0).sum()
    h.detach().zero_()
    with pytest.raises(RuntimeError, match=r"Exp: its output of shape \(2,\) was modified"):
        y.backward()


def test_copies_do_not_share_the_version_counter():
    x = f64([1.0, 2.0, 3.0])
    h = x * 1.0
    v = h[[0, 1]]  # integer-array indexing copies
    y = (v * v).sum()
    with cr.no_grad():
        h.add_(1.0)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 0.0])
