"""Hypothesis-generated shapes for the elementwise and reduction ops.

Values are checked against NumPy, gradients against finite differences (``cr.gradcheck``);
the shapes, broadcasting patterns and axes are drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None)

broadcast_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3
)
seeds = st.integers(0, 2**16)


def _values(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _leaf(a):
    return cr.tensor(np.asarray(a, np.float64), requires_grad=True)


# (name, chainrule op, numpy op, range of the second operand); add, sub, mul, div,
# maximum and minimum are in test_hypothesis_shapes.py
BINARY = [
    ("pow", lambda a, b: a**b, np.power, None),
]


@pytest.mark.parametrize("name, op, np_op, b_range", BINARY, ids=[b[0] for b in BINARY])
@SETTINGS
@given(pair=broadcast_pairs, seed=seeds)
def test_binary_broadcast(name, op, np_op, b_range, pair, seed):
    sa, sb = pair.input_shapes
    a = _values(seed, sa, 0.5, 2.0) if name == "pow" else _values(seed, sa)
    b = _values(seed + 1, sb, *(b_range or (-2.0, 2.0)))
    xa, xb = _leaf(a), _leaf(b)
    y = op(xa, xb)
    assert y.shape == pair.result_shape
    np.testing.assert_allclose(y.numpy(), np_op(a, b), rtol=1e-12)
    assert cr.gradcheck(op, (xa, xb))
    # The gradients have their inputs' shapes (broadcasting summed back).
    y.sum().backward()
    assert xa.grad.shape == sa and xb.grad.shape == sb


@st.composite
def shape_and_axis(draw):
    """A shape and a valid axis for it: None, an int (maybe negative) or a tuple."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                   unique=True)))
    return shape, axis, draw(st.booleans())


# sum, mean, var, logsumexp, prod, max and min are in test_hypothesis_shapes.py
REDUCTIONS = [
    ("std", lambda x, ax, k: x.std(axis=ax, keepdims=k), np.std),
    ("std_ddof1", lambda x, ax, k: x.std(axis=ax, keepdims=k, ddof=1),
     lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1)),
]


@pytest.mark.parametrize("name, op, np_op", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_reduction(name, op, np_op, sak, seed):
    shape, axis, keepdims = sak
    n = np.prod([shape[i] for i in (range(len(shape)) if axis is None else np.atleast_1d(axis))])
    assume(name != "std_ddof1" or n > 1)  # ddof=1 needs two elements per slice
    a = _values(seed, shape)
    x = _leaf(a)
    y = op(x, axis, keepdims)
    expected = np_op(a, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)
    if n == 1:
        return  # zero spread: the gradient is a convention (0, as PyTorch), not a derivative
    assert cr.gradcheck(lambda t: op(t, axis, keepdims), x)


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_argmax_argmin_match_numpy(fn, sak, seed):
    shape, axis, keepdims = sak
    if isinstance(axis, tuple):
        axis = axis[0]
    a = _values(seed, shape)
    got = getattr(cr, fn)(cr.tensor(a), axis=axis, keepdims=keepdims)
    expected = getattr(np, fn)(a.astype(np.float32), axis=axis, keepdims=keepdims)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), expected)


@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_max_splits_gradient_evenly_on_ties(sak, seed):
    shape, axis, keepdims = sak
    a = np.random.default_rng(seed).integers(0, 2, shape).astype(np.float64)  # many ties
    x = _leaf(a)
    x.max(axis=axis, keepdims=keepdims).sum().backward()
    # Each reduced slice hands out exactly one unit of gradient, shared by its maxima.
    expected_total = a.size / np.prod([shape[i] for i in (
        range(len(shape)) if axis is None else np.atleast_1d(axis))])
    np.testing.assert_allclose(x.grad.numpy().sum(), expected_total)
    assert (x.grad.numpy()[a < a.max(axis=axis, keepdims=True)] == 0).all()


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_softmax_rows_sum_to_one_and_gradcheck(shape, seed):
    a = _values(seed, shape, -5.0, 5.0)
    x = _leaf(a)
    axis = seed % len(shape)
    y = cr.softmax(x, axis=axis)
    np.testing.assert_allclose(y.numpy().sum(axis=axis), 1.0)
    np.testing.assert_allclose(cr.log_softmax(x, axis=axis).numpy(), np.log(y.numpy()),
                               atol=1e-12)
    assert cr.gradcheck(lambda t: cr.log_softmax(t, axis=axis), x)
