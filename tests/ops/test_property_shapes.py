"""Hypothesis-generated shapes for the elementwise and reduction ops.

Values are checked against NumPy, gradients against finite differences (``cr.gradcheck``);
the shapes, broadcasting patterns and axes are drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3
)
seeds = st.integers(0, 2**16)


def _values(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _leaf(a):
    return cr.tensor(np.asarray(a, np.float64), requires_grad=True)


# (name, chainrule op, numpy op, sampler for the second operand)
BINARY = [
    ("add", lambda a, b: a + b, np.add, None),
    ("sub", lambda a, b: a - b, np.subtract, None),
    ("mul", lambda a, b: a * b, np.multiply, None),
    ("div", lambda a, b: a / b, np.divide, (0.5, 2.0)),
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


# (name, chainrule op, numpy op, value range)
UNARY = [
    ("exp", cr.exp, np.exp, (-2.0, 2.0)),
    ("log", cr.log, np.log, (0.5, 3.0)),
    ("log1p", cr.log1p, np.log1p, (-0.5, 2.0)),
    ("sqrt", cr.sqrt, np.sqrt, (0.5, 3.0)),
    ("sin", cr.sin, np.sin, (-3.0, 3.0)),
    ("cos", cr.cos, np.cos, (-3.0, 3.0)),
    ("tanh", cr.tanh, np.tanh, (-3.0, 3.0)),
    ("sigmoid", cr.sigmoid, lambda v: 1 / (1 + np.exp(-v)), (-3.0, 3.0)),
    ("neg", lambda x: -x, np.negative, (-2.0, 2.0)),
]


def _away_from_zero(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("name, op, np_op, domain", UNARY, ids=[u[0] for u in UNARY])
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary(name, op, np_op, domain, shape, seed):
    a = _values(seed, shape, *domain)
    x = _leaf(a)
    y = op(x)
    assert y.shape == shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), np_op(a), rtol=1e-12)
    assert cr.gradcheck(op, x)


@pytest.mark.parametrize(
    "op, np_op",
    [(cr.abs, np.abs), (cr.relu, lambda v: np.maximum(v, 0))],
    ids=["abs", "relu"],
)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_kinked_unary_away_from_kink(op, np_op, shape, seed):
    a = _away_from_zero(seed, shape)
    x = _leaf(a)
    np.testing.assert_allclose(op(x).numpy(), np_op(a))
    assert cr.gradcheck(op, x)


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


def _np_logsumexp(a, axis, keepdims):
    m = a.max(axis=axis, keepdims=True)
    y = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return y if keepdims else np.squeeze(y, axis=axis)


REDUCTIONS = [
    ("sum", lambda x, ax, k: x.sum(axis=ax, keepdims=k), np.sum),
    ("mean", lambda x, ax, k: x.mean(axis=ax, keepdims=k), np.mean),
    ("var", lambda x, ax, k: x.var(axis=ax, keepdims=k), np.var),
    ("std", lambda x, ax, k: x.std(axis=ax, keepdims=k), np.std),
    ("logsumexp", lambda x, ax, k: x.logsumexp(axis=ax, keepdims=k), _np_logsumexp),
    ("prod", lambda x, ax, k: x.prod(axis=ax, keepdims=k), np.prod),
]


@pytest.mark.parametrize("name, op, np_op", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_reduction(name, op, np_op, sak, seed):
    shape, axis, keepdims = sak
    a = _away_from_zero(seed, shape) if name == "prod" else _values(seed, shape)
    x = _leaf(a)
    y = op(x, axis, keepdims)
    expected = np_op(a, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)
    if name == "std" and np.any(expected == 0):
        return  # a single-element reduction: the gradient is a convention, not a derivative
    assert cr.gradcheck(lambda t: op(t, axis, keepdims), x)


@pytest.mark.parametrize("fn", ["max", "min"])
@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_max_min_without_ties(fn, sak, seed):
    shape, axis, keepdims = sak
    n = int(np.prod(shape))
    a = (np.random.default_rng(seed).permutation(n) * 0.1).reshape(shape)  # no ties
    x = _leaf(a)
    op = getattr(cr, fn)
    y = op(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(y.numpy(), getattr(np, fn)(a, axis=axis, keepdims=keepdims))
    assert cr.gradcheck(lambda t: op(t, axis=axis, keepdims=keepdims), x)


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
