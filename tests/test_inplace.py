"""In-place ops recorded in the graph, as PyTorch records them.

Every in-place method and index form is a row of the gradient table: gradcheck and
gradgradcheck (``create_graph=True``) against finite differences, and values and gradients
against PyTorch. Each row's function is written once for both libraries (``_lib`` picks the
module), starts from a non-leaf copy of its inputs (``x * 1``) and changes that in place.
Then the rules: leaves, ``no_grad``, views, and the errors for a value that backward needs.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.gradtable import (
    Case,
    away_from_zero,
    check_against_torch,
    check_case,
    check_float32,
    distinct,
    lib_of,
    like,
    positive,
)
from tests.ops.rows_arrays import INPLACE_CASES as ROWS_ARRAYS
from tests.ops.rows_indexing import INPLACE_CASES as ROWS_INDEXING
from tests.ops.rows_matrix import INPLACE_CASES as ROWS_MATRIX
from tests.ops.rows_special import INPLACE_CASES as ROWS_SPECIAL
from tests.ops.rows_stats import INPLACE_CASES as ROWS_STATS


def _set(y, index, v):
    y[index] = v
    return y


def _issue_example(w):
    buf = lib_of(w).zeros(2, 3, dtype=w.dtype)
    buf[0] = w * 2
    return buf.sum() + w.sum()


def _rnn_buffer(x, w):
    """A decoder's loop: each step's state written into a preallocated buffer row."""
    buf = lib_of(x).zeros(4, 3, dtype=x.dtype)
    h = x[0]
    for i in range(4):
        h = (h * w + x[1]).tanh()
        buf[i] = h
    return buf * buf.sum(0)


def _scatter(x, w):
    return (x * 1).scatter_(0, like(x, [[1, 0, 1]]), w)


def _index_put(accumulate):
    def fn(x, w):
        return (x * 1).index_put_((like(x, [0, 1, 0]), like(x, [2, 0, 1])), w,
                                  accumulate=accumulate)

    return fn


def _view_of_view(x, w):
    y = x * 1
    y[1][1:].mul_(w[:2])
    return y * y


def _view_used_after(x, w):
    y = x * 1
    v = y[0]
    v.mul_(w)
    return v * y[1] + y ** 2


def _reshaped_after_use(x, w, how):
    y = x * 1
    z = y + w  # broadcast: its gradient is summed back to y's shape at that time
    getattr(y, how)(0)
    return z.sum() + (y * y).sum()


def _twin_case(name):
    return lambda x: getattr(x * 1, name + "_")() * x


def _aug(op):
    def fn(x, w):
        y = x * 1
        if op == "+":
            y += w
        elif op == "-":
            y -= w
        elif op == "*":
            y *= w
        else:
            y /= w
        return y

    return fn


def _case(name, fn, shapes, sample=None, torch=True, **kw):
    return Case(name, fn, shapes, sample, fn if torch else None, **kw)


def _inside_unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


X, W = (2, 3), (3,)
CASES = [
    # index assignment: every index form, a broadcast value, a value with leading 1s
    _case("setitem_int", lambda x, w: _set(x * 1, 0, w), [X, W]),
    _case("setitem_neg_int", lambda x, w: _set(x * 1, (-1, 2), w), [X, ()]),
    _case("setitem_slice", lambda x, w: _set(x * 1, (slice(None), slice(1, None)), w[1:]),
          [X, W]),
    _case("setitem_step", lambda x, w: _set(x * 1, (0, slice(None, None, 2)), w[:2]), [X, W]),
    _case("setitem_broadcast", lambda x, w: _set(x * 1, slice(None), w), [X, W]),
    _case("setitem_number", lambda x: _set(x * 1, (1, 1), 7.0), [X]),
    _case("setitem_leading_ones", lambda x, w: _set(x * 1, 0, w), [X, (1, 3)], torch=False),
    _case("setitem_bool_mask", lambda x, w: _set(x * 1, x.detach() > 0, w[0]), [X, W],
          away_from_zero),
    _case("setitem_int_arrays",
          lambda x, w: _set(x * 1, (like(x, [0, 1]), like(x, [2, 0])), w[:2] * 3), [X, W]),
    _case("setitem_list_index", lambda x, w: _set(x * 1, [1, 0], w * w), [X, W]),
    _case("setitem_into_plain_buffer", _issue_example, [W]),
    _case("setitem_rnn_buffer", _rnn_buffer, [X, W]),
    # the in-place methods
    _case("copy_", lambda x, w: (x * 1).copy_(w), [X, W]),
    _case("fill_", lambda x, w: (x * 1).fill_(w) * x, [X, ()]),
    _case("zero_", lambda x, w: (x * 1).zero_() + w * x, [X, W]),
    _case("add_", lambda x, w: (x * 1).add_(w, alpha=2), [X, W]),
    _case("sub_", lambda x, w: (x * 1).sub_(w), [X, W]),
    _case("mul_", lambda x, w: (x * 1).mul_(w) * x, [X, W]),
    _case("div_", lambda x, w: (x * 1).div_(w), [X, W], positive),
    _case("mul_then_add_", lambda x, w: (x * 1).mul_(w).add_(x), [X, W]),
    _case("clamp_", lambda x: (x * 1).clamp_(-0.5, 0.5) * x, [X], distinct),
    _case("masked_fill_", lambda x, w: (x * 1).masked_fill_(x.detach() > 0, w[0]) * w,
          [X, W], away_from_zero),
    _case("index_put_", _index_put(False), [X, W]),
    _case("index_put_accumulate", _index_put(True), [X, W]),
    _case("scatter_", _scatter, [X, (1, 3)]),
    _case("scatter_add", lambda x, w: (x * 1).scatter_(0, like(x, [[1, 0, 1]]), w,
                                                       reduce="add"), [X, X], torch=False),
    _case("unsqueeze_", lambda x, w: (x * 1).unsqueeze_(1) * w, [X, W]),
    _case("squeeze_", lambda x, w: (x * 1).squeeze_(0) * w, [(1, 3), W]),
    _case("t_", lambda x: (x * 1).t_() * x.t(), [X]),
    _case("unsqueeze_after_use", lambda x, w: _reshaped_after_use(x, w, "unsqueeze_"),
          [(1, 3), (2, 1)]),
    _case("squeeze_after_use", lambda x, w: _reshaped_after_use(x, w, "squeeze_"),
          [(1, 3), (2, 1)]),
    _case("exp_", lambda x: (x * 1).exp_() * x, [X]),
    _case("log_", lambda x: (x * 1).log_(), [X], positive),
    _case("sqrt_", lambda x: (x * 1).sqrt_(), [X], positive),
    _case("tanh_", lambda x: (x * 1).tanh_(), [X]),
    _case("sigmoid_", lambda x: (x * 1).sigmoid_(), [X]),
    _case("abs_", lambda x: (x * 1).abs_(), [X], away_from_zero),
    _case("neg_", lambda x: (x * 1).neg_(), [X]),
    _case("relu_", lambda x: (x * 1).relu_() * x, [X], away_from_zero),
    _case("pow_", lambda x, w: (x * 1).pow_(w), [X, W], positive),
    *[_case(f"{n}_", _twin_case(n), [X], sample) for n, sample in [
        ("sin", None), ("cos", None), ("tan", None), ("rsqrt", positive), ("square", None),
        ("log1p", positive), ("log2", positive), ("log10", positive), ("erf", None),
        ("reciprocal", positive)]],
    *[_case(f"{n}_", _twin_case(n), [X], away_from_zero) for n in (
        "floor", "ceil", "round", "trunc", "sign")],
    _case("fmod_", lambda x: (x * 1).fmod_(0.7) * x, [X], away_from_zero),
    _case("remainder_", lambda x: (x * 1).remainder_(0.7) * x, [X], away_from_zero),
    _case("clamp_min_", lambda x: (x * 1).clamp_min_(0.1) * x, [X], distinct),
    _case("clamp_max_", lambda x: (x * 1).clamp_max_(0.1) * x, [X], distinct),
    _case("lerp_", lambda x, w: (x * 1).lerp_(w, 0.3), [X, W]),
    _case("erfinv_", _twin_case("erfinv"), [X], _inside_unit),
    _case("tril_", lambda x: (x * 1).tril_(-1) * x, [(3, 4)]),
    _case("triu_", lambda x: (x * 1).triu_(1) * x, [(3, 4)]),
    _case("cumsum_", lambda x: (x * 1).cumsum_(1) * x, [X]),
    _case("swapaxes_", lambda x, w: (x * 1).swapaxes_(0, 1) * w[:2], [X, W]),
    _case("swapdims_", lambda x: (x * 1).swapdims_(1, 0) * x.t(), [X]),
    _case("fill_diagonal_", lambda x: (x * 1).fill_diagonal_(-0.5) * x, [(4, 3)]),
    _case("fill_diagonal_tensor_value", lambda x, w: (x * 1).fill_diagonal_(w) * x,
          [(4, 3), ()], torch=False),  # PyTorch takes a number only
    _case("fill_diagonal_wrap", lambda x: (x * 1).fill_diagonal_(0.5, wrap=True) * x,
          [(7, 2)]),
    _case("addmm_", lambda x, a, b: (x * 1).addmm_(a, b, beta=0.5, alpha=2.0) * x,
          [(2, 4), (2, 3), (3, 4)]),
    _case("addmv_", lambda x, a, v: (x * 1).addmv_(a, v) * x, [(2,), (2, 3), (3,)]),
    _case("addr_", lambda x, a, b: (x * 1).addr_(a, b, alpha=-1.0), [X, (2,), (3,)]),
    _case("baddbmm_", lambda x, a, b: (x * 1).baddbmm_(a, b) * x,
          [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    _case("addbmm_", lambda x, a, b: (x * 1).addbmm_(a, b, beta=0) * x,
          [(2, 4), (3, 2, 3), (3, 3, 4)]),
    _case("addcmul_", lambda x, a, b: (x * 1).addcmul_(a, b, value=0.3) * x, [X, W, (2, 1)]),
    _case("addcdiv_", lambda x, a, b: (x * 1).addcdiv_(a, b, value=2) * x, [X, W, (2, 1)],
          positive),
    _case("eq_", lambda x, w: (x * 1).eq_(w) * x + w, [X, W], distinct),
    _case("lt_", lambda x, w: (x * 1).lt_(w) * x + w, [X, W], distinct),
    _case("iadd", _aug("+"), [X, W]),
    _case("isub", _aug("-"), [X, W]),
    _case("imul", _aug("*"), [X, W]),
    _case("idiv", _aug("/"), [X, W], positive),
    # views: the base sees the change through a copy-slices node
    _case("view_row_mul_", lambda x, w: (lambda y: (y[0].mul_(w), y * y)[1])(x * 1), [X, W]),
    _case("view_column_add_", lambda x, w: (lambda y: (y[:, 1].add_(w[:2]), y * y)[1])(x * 1),
          [X, W]),
    _case("view_block_setitem",
          lambda x, w: (lambda y: (_set(y[:, 1:], 0, w[1:]), y.exp())[1])(x * 1), [X, W]),
    _case("view_transpose_mul_",
          lambda x, w: (lambda y: (y.t().mul_(w[:2]), y * y)[1])(x * 1), [X, W]),
    _case("view_reshape_add_",
          lambda x, w: (lambda y: (y.view(3, 2).add_(w[:2]), y * y * w)[1])(x * 1), [X, W]),
    _case("view_of_view_mul_", _view_of_view, [X, W]),
    _case("view_element_mul_", lambda x, w: (lambda y: (y[0, 1].mul_(w), y * y)[1])(x * 1),
          [X, ()]),
    _case("view_used_after_change", _view_used_after, [X, W]),
    _case("view_diagonal_mul_",
          lambda x, w: (lambda y: (y.diagonal(1).mul_(w[:2]), y * y)[1])(x * 1), [X, W]),
    _case("view_unfold_mul_",
          lambda x, w: (lambda y: (y.unfold(1, 1, 2).mul_(w[:1]), y * y)[1])(x * 1), [X, W]),
    _case("view_diagonal_3d_fill_",
          lambda x: (lambda y: (y.diagonal(0, 2, 0).fill_(0.5), y * x)[1])(x * 1),
          [(2, 3, 4)]),
]


CASES += ROWS_SPECIAL + ROWS_INDEXING + ROWS_ARRAYS + ROWS_MATRIX + ROWS_STATS


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inplace_gradients(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch_fn is not None], ids=str)
def test_inplace_against_torch(case):
    pytest.importorskip("torch")
    check_against_torch(case)


@pytest.mark.parametrize("case", CASES[:3] + CASES[12:16], ids=str)
def test_inplace_float32(case):
    check_float32(case)


def f64(values, requires_grad=True):
    return cr.tensor(values, dtype="float64", requires_grad=requires_grad)


def test_issue_example_and_identity():
    w = cr.tensor([1.0, 1.0, 1.0], requires_grad=True)
    buf = cr.zeros(2, 3)
    alias = buf
    buf[0] = w * 2
    assert alias is buf and buf.requires_grad and buf.grad_fn.name == "SetItem"
    (buf.sum() + w.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])


def test_consumer_recorded_before_the_change_sees_the_old_value():
    # z used y before y.mul_(3): its gradient goes to y's old history, as in PyTorch
    x = f64([1.0, 2.0])
    y = x * 1
    z = y + 1
    y.mul_(3)
    (z * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 15.0])


def test_leaf_rules():
    x = f64([1.0, 2.0])
    for change in (lambda: x.add_(1.0), lambda: x.__setitem__(0, 5.0), lambda: x.zero_(),
                   lambda: x.unsqueeze_(0), lambda: x[0].mul_(2.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            change()
    with cr.no_grad():
        x.mul_(2.0)
        x[0] = 7.0
        x -= 1.0
    assert x.creator is None and x.requires_grad and x._version == 3
    np.testing.assert_allclose(x.numpy(), [6.0, 3.0])


def test_no_grad_change_of_non_leaf_is_not_recorded_but_caught():
    x = f64([1.0, 2.0])
    y = x.exp()
    with cr.no_grad():
        y.mul_(2.0)
    assert y.grad_fn.name == "Exp"
    with pytest.raises(RuntimeError, match=r"Exp: its output .* modified in place by mul_"):
        y.sum().backward()


@pytest.mark.parametrize("change, needs", [
    (lambda x: x.sigmoid().sigmoid_(), "Sigmoid"),
    (lambda x: x.sigmoid().mul_(2), "Sigmoid"),
    (lambda x: x.exp().add_(1), "Exp"),
    (lambda x: _set(x.tanh(), 0, 0.0), "Tanh"),
])
def test_overwritten_saved_output_raises_naming_both_ops(change, needs):
    x = f64([1.0, 2.0])
    y = change(x)
    with pytest.raises(RuntimeError, match=rf"{needs}: its output .* modified in place by "):
        y.sum().backward()


def test_view_of_saved_input_modified_raises():
    x = f64([1.0, 2.0, 3.0])
    y = x * 1
    v = y[1:]
    z = v * v  # Mul saves v, a view of y
    y.mul_(2.0)  # changes v's memory
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified in "
                                           r"place by mul_"):
        z.sum().backward()
    y2 = x * 1
    z2 = y2 * y2
    y2[1:].add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place by add_"):
        z2.sum().backward()


def test_change_after_inplace_op_that_saved_the_old_value():
    # mul_ keeps the old value it needs; a later change does not disturb it (PyTorch too)
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = x * 1
    y.mul_(w)
    y.add_(1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


def _plain_buffer_views(x, w):
    """Views of a buffer outside the graph, taken before the buffer enters it: each is taken
    again from the buffer's new history (PyTorch regenerates their grad_fn)."""
    lib = lib_of(x)
    buf = lib.zeros(2, 3, dtype=x.dtype)
    row, col, flat = buf[0], buf.t()[1], buf.reshape(6)
    stretched = buf[1:].expand(4, 3)
    buf[0] = w * 2
    buf[1, 1:] = x[1, :2].exp()
    return (row * x[0]).sum() + (col * col).sum() + (flat * flat.sum()) + stretched.sum()


def _plain_buffer_split(x, w):
    """Split outputs too are taken again (PyTorch refuses to use them after the change, so
    this case is checked by finite differences only)."""
    buf = lib_of(x).zeros(2, 3, dtype=x.dtype)
    head, tail = buf.reshape(6).split([2, 4])
    buf[0] = w * 2
    buf[1, 1:] = x[1, :2].exp()
    return (head * head).sum() + tail.sum() * 3 + x.sum()


def _write_through_plain_view(x, w):
    """In-place changes made through views of a plain buffer reach the buffer."""
    lib = lib_of(x)
    buf = lib.zeros(3, 3, dtype=x.dtype)
    row = buf[0]
    row.add_(w)
    buf[:, 2].mul_(x[1])
    buf.t()[1].copy_(x[0])
    return buf * buf.sum(0)


def _write_through_earlier_views(x, w):
    """Several views taken while the buffer was plain, changed in place one after another.
    PyTorch 2.13 takes ``col`` for a leaf here ("a leaf Variable that requires grad is
    being used in an in-place operation") unless its ``grad_fn`` was read first, so this
    case is checked by finite differences only."""
    lib = lib_of(x)
    buf = lib.zeros(3, 3, dtype=x.dtype)
    row, col, flat = buf[0], buf[:, 2], buf.reshape(9)
    row.add_(w)
    col.mul_(x[1])
    flat[4:7] = x[0] * 2
    return buf * buf.sum(0)


PLAIN_VIEWS = [_case("plain_buffer_views", _plain_buffer_views, [X, W]),
               _case("write_through_plain_view", _write_through_plain_view, [X, W]),
               _case("write_through_earlier_views", _write_through_earlier_views, [X, W],
                     torch=False),
               _case("plain_buffer_split", _plain_buffer_split, [X, W], torch=False)]


@pytest.mark.parametrize("case", PLAIN_VIEWS, ids=str)
def test_views_of_a_buffer_outside_the_graph(case):
    check_case(case)
    if case.torch_fn is not None:
        pytest.importorskip("torch")
        check_against_torch(case)


def test_issue_example_with_a_view_taken_first():
    w = f64([1.0, 1.0, 1.0])
    buf = cr.zeros(2, 3)
    row = buf[0]
    buf[0] = w * 2
    assert row.requires_grad and row.grad_fn is not None
    (row.sum() + buf.sum() + w.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [5.0, 5.0, 5.0])


def test_no_grad_view_of_a_base_changed_with_grad_raises():
    # PyTorch forbids it: which gradient was meant is ambiguous
    w = f64([1.0, 2.0, 3.0])
    buf = cr.zeros(2, 3, dtype="float64")
    with cr.no_grad():
        row = buf[0]
    buf[0] = w * 2
    with pytest.raises(RuntimeError, match="view created under no_grad"):
        (row * 1).sum().backward()
    buf = cr.zeros(2, 3, dtype="float64")
    with cr.no_grad():
        row = buf[0]
    with pytest.raises(RuntimeError, match="add_: .* view created under no_grad"):
        row.add_(w)


def test_split_output_changed_in_place_raises():
    # PyTorch forbids in-place changes of the outputs of a function returning several views
    head, _ = cr.zeros(4, dtype="float64").split(2)
    with pytest.raises(RuntimeError, match="add_: .* view of another tensor made by Split"):
        head.add_(f64([1.0, 2.0]))


def test_detach_is_no_view_for_autograd():
    w = f64([1.0, 2.0, 3.0])
    buf = cr.zeros(2, 3, dtype="float64")
    d = buf.detach()
    buf[0] = w
    assert d.grad_fn is None and not d.requires_grad
    np.testing.assert_allclose(d.numpy()[0], [1.0, 2.0, 3.0])


def test_expand_view_raises():
    y = f64([1.0, 2.0]) * 1
    e = y.expand(3, 2)
    with pytest.raises(RuntimeError, match="view of another tensor made by BroadcastTo"):
        e.mul_(2.0)


def test_second_backward_through_inplace_graph_and_grad():
    x = f64([1.0, -2.0])
    y = x * 1
    y[0] = y[1] * 3
    y.exp_()
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    e = np.exp([-6.0, -2.0])
    np.testing.assert_allclose(g.numpy(), [0.0, 3 * e[0] + e[1]])
    (gg,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [0.0, 9 * e[0] + e[1]])


def test_element_is_a_view():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    t[1, 0].add_(5.0)
    t[0][1].mul_(10.0)
    np.testing.assert_allclose(t.numpy(), [[1.0, 20.0], [8.0, 4.0]])


def test_shape_ops_that_change_nothing():
    x = f64([1.0, 2.0])
    y = x * 1
    creator = y.grad_fn
    assert y.t_() is y and y.squeeze_() is y and y.grad_fn is creator
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_plain_tensors_unchanged():
    t = cr.tensor([1.0, 2.0])
    t[0] = 5.0
    t.add_(1.0).clamp_(0.0, 4.0)
    assert t.creator is None and not t.requires_grad and t._version == 3
    np.testing.assert_allclose(t.numpy(), [4.0, 3.0])


def _base_changed_after_view(x, w):
    y = x * 1
    v = y[0]
    a = v.exp() * w  # uses the view before the change: the old value
    y.mul_(2)
    b = v.exp() * w  # after: v holds 2 x[0], and its gradient reaches x through the change
    y2 = y.t()
    y[1] = w
    return a + 3 * b + (y2 * y2).sum()


VIEW_TAKEN_AGAIN = _case("base_changed_after_view", _base_changed_after_view, [X, W])


def test_view_taken_again_after_base_changes():
    check_case(VIEW_TAKEN_AGAIN)
    pytest.importorskip("torch")
    check_against_torch(VIEW_TAKEN_AGAIN)


def test_buffer_filled_row_by_row_costs_rows_not_copies():
    # x[i] = v writes the row (no copy of the tensor per assignment), and the backward
    # frees each row's gradient as it goes instead of holding one full gradient per row
    import tracemalloc

    T, n = 400, 256
    w = cr.randn(n, requires_grad=True)
    buf = cr.zeros(T, n)
    tracemalloc.start()
    try:
        for i in range(T):
            buf[i] = w * i
        forward_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        buf.sum().backward()
        backward_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = buf.numpy().nbytes
    assert forward_peak < 4 * size, (forward_peak, size)  # the rows written, kept as inputs
    assert backward_peak < 8 * size, (backward_peak, size)
    np.testing.assert_allclose(w.grad.numpy(), np.full(n, T * (T - 1) / 2))
