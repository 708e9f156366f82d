"""The contract between a Function and the engine: what backward must return (checked at
every node, naming the op, the input, both shapes and where the op was created), declared
saved state released after backward, and the one walk shared with diagnose."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function
from chainrule.diagnose import explain


class Scale(Function):
    """y = a * x; backward returns whatever ``grads`` makes of (gy, a, x)."""

    def __init__(self, grads):
        self.grads = grads

    def forward(self, x, a):
        return x * a

    def backward(self, gy):
        x, a = self.inputs
        return self.grads(gy, x, a)


def _run(grads, x_shape=(2,), dtype="float64"):
    x = cr.ones(x_shape, dtype=dtype, requires_grad=True)
    a = cr.full(x_shape, 3.0, dtype=dtype, requires_grad=True)
    y = Scale(grads)(x, a)  # the line an error must point at
    y.sum().backward()
    return x, a


def test_right_gradients_pass():
    x, a = _run(lambda gy, x, a: (gy * a, gy * x))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_too_few_gradients_name_the_op_and_the_line():
    with pytest.raises(RuntimeError) as e:
        _run(lambda gy, x, a: gy * a)
    msg = str(e.value)
    assert "Scale.backward returned 1 gradients for 2 inputs" in msg
    assert "test_autograd_contract.py" in msg and "y = Scale(grads)(x, a)" in msg


def test_too_many_gradients():
    with pytest.raises(RuntimeError, match=r"Scale.backward returned 3 gradients for 2 inputs"):
        _run(lambda gy, x, a: (gy, gy, gy))


def test_wrong_shape_names_the_input_and_both_shapes():
    with pytest.raises(RuntimeError) as e:
        _run(lambda gy, x, a: (gy * a, cr.ones((3,), dtype="float64")))
    msg = str(e.value)
    assert "Scale.backward returned a gradient of shape (3,) for input 1 of shape (2,)" in msg
    assert "y = Scale(grads)(x, a)" in msg


def test_shape_that_does_not_broadcast_from_the_input_is_an_error():
    # (2, 3) is not a broadcast of (3, 2): before, this reached NumPy as a raw error
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) for input 0 of shape \(3, 2\)"):
        _run(lambda gy, x, a: (cr.ones((2, 3), dtype="float64"), None), x_shape=(3, 2))


def test_broadcast_gradient_is_summed_to_the_input():
    x, _ = _run(lambda gy, x, a: (gy.reshape(1, 2) * cr.ones((4, 1), dtype="float64"), None))
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_wrong_dtype_names_the_input_dtypes_and_shapes():
    with pytest.raises(RuntimeError) as e:
        _run(lambda gy, x, a: (cr.ones((2,), dtype="int64"), None))
    msg = str(e.value)
    assert "Scale.backward returned a gradient of dtype int64 (shape (2,))" in msg
    assert "input 0 of dtype float64 (shape (2,))" in msg


def test_float_promotion_is_undone():
    x, _ = _run(lambda gy, x, a: (gy.astype("float64") * 2.0, None), dtype="float32")
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_non_tensor_gradient_is_an_error():
    with pytest.raises(RuntimeError, match=r"Scale.backward returned a ndarray for input 0"):
        _run(lambda gy, x, a: (np.ones(2), None))


def test_grad_checks_too():
    x = cr.ones(2, dtype="float64", requires_grad=True)
    a = cr.ones(2, dtype="float64", requires_grad=True)
    y = Scale(lambda gy, x, a: gy)(x, a).sum()
    with pytest.raises(RuntimeError, match="Scale.backward returned 1 gradients for 2"):
        cr.grad(y, [x])


def test_explain_runs_the_same_step():
    """diagnose walks the graph with the engine's own step, so it checks the same way."""
    x = cr.ones(2, dtype="float64", requires_grad=True)
    a = cr.ones(2, dtype="float64", requires_grad=True)
    y = Scale(lambda gy, x, a: gy)(x, a).sum()
    with pytest.raises(RuntimeError, match="Scale.backward returned 1 gradients for 2"):
        explain(y)


class Masked(Function):
    """relu through a declared saved mask (saves neither inputs nor output)."""

    saves_inputs = False

    def forward(self, x):
        self.save(mask=x > 0)
        return np.where(self.mask, x, 0)

    def backward(self, gy):
        return cr.where(cr.tensor(self.mask), gy, 0.0)


def test_declared_state_is_released_after_backward():
    x = cr.tensor([-1.0, 2.0], requires_grad=True)
    y = Masked()(x)
    node = y.creator
    assert node.mask is not None
    y.sum().backward(retain_graph=True)
    assert node.mask is not None  # kept for a second backward
    y.sum().backward()
    assert node.mask is None and node.inputs is None
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0])
    with pytest.raises(RuntimeError, match="Masked: trying to backward through the graph"):
        y.sum().backward()


def _nodes(y):
    seen, stack = [], [y.creator]
    while stack:
        n = stack.pop()
        if n is None or any(n is s for s in seen):
            continue
        seen.append(n)
        stack.extend(x.creator for x in (n.inputs or ()))
    return seen


def test_no_node_keeps_arrays_after_backward():
    """After backward (no retain_graph), no node of a small network holds an array: every
    op declares what it saves, and the engine frees it."""
    cr.manual_seed(0)
    net = cr.nn.Sequential(cr.nn.Conv2d(1, 2, 3), cr.nn.ReLU(), cr.nn.MaxPool2d(2),
                           cr.nn.Flatten(), cr.nn.Linear(2, 3), cr.nn.GELU(),
                           cr.nn.LeakyReLU(), cr.nn.LayerNorm(3))
    y = cr.nn.functional.cross_entropy(net(cr.randn(4, 1, 4, 4)), cr.tensor([0, 1, 2, 0]))
    nodes = _nodes(y)
    y.backward()
    _assert_no_arrays(nodes)


def _assert_no_arrays(nodes):
    for n in nodes:
        arrays = [k for k, v in vars(n).items() if isinstance(v, np.ndarray) and v.size > 1]
        assert not arrays, f"{n.name} still holds {arrays} after backward"


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
def test_recurrent_nodes_release_their_buffers(mode):
    cr.manual_seed(0)
    m = getattr(cr.nn, mode)(3, 4, num_layers=2, bidirectional=True)
    y = m(cr.randn(5, 2, 3))[0].sum()
    nodes = _nodes(y)
    y.backward()
    _assert_no_arrays(nodes)


class Cube(Function):
    """y = x^3 with both rules; each records that it ran."""

    calls: list = []

    def forward(self, x):
        return x**3

    def backward(self, gy):
        Cube.calls.append("backward")
        x = self.inputs[0]
        return gy * x * x * 3.0

    def backward_array(self, gy):
        Cube.calls.append("backward_array")
        x = self.inputs[0].array
        return gy * x * x * 3.0


def test_engine_picks_the_array_rule_for_first_order_only():
    Cube.calls.clear()
    x = cr.tensor([2.0], dtype="float64", requires_grad=True)
    Cube()(x).sum().backward()
    assert Cube.calls == ["backward_array"]
    np.testing.assert_array_equal(x.grad.numpy(), [12.0])
    Cube.calls.clear()
    (g,) = cr.grad(Cube()(x).sum(), x, create_graph=True)
    assert Cube.calls == ["backward"]
    (gg,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [12.0])  # 6 x


class _ExpPair(Function):
    """(e^x, 2 e^x): backward reads output 0, which a caller may drop."""

    saves_inputs = False
    saves_output = True

    def forward(self, x):
        e = np.exp(x)
        return e, 2 * e

    def backward(self, g0, g1):
        total = g1 * 2.0 if g0 is None else g0 + g1 * 2.0
        return total * self.output(0)


def test_second_derivative_through_an_output_the_caller_dropped():
    # only y1 = 2 e^x is used; its backward reads y0 = e^x, whose tensor is gone, and the
    # second derivative must still see y0's dependence on x (a constant would give 0)
    x = cr.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    _, y1 = _ExpPair()(x)
    (g,) = cr.grad(y1.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 2 * np.exp(x.numpy()))
    (gg,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 2 * np.exp(x.numpy()))
    assert cr.gradgradcheck(lambda t: _ExpPair()(t)[1], [x])
