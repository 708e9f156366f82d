"""Hypothesis-generated shapes and values for the elementwise and reduction ops: values
against NumPy, gradients against finite differences (gradcheck)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

SETTINGS = settings(max_examples=25, deadline=None)

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# (name, chainrule fn, numpy fn, how to map a standard normal draw into the op's domain)
UNARY = [
    ("neg", lambda x: -x, np.negative, None),
    ("exp", cr.exp, np.exp, None),
    ("log", cr.log, np.log, lambda a: np.abs(a) + 0.5),
    ("log1p", cr.log1p, np.log1p, lambda a: np.abs(a) - 0.5),
    ("sqrt", cr.sqrt, np.sqrt, lambda a: np.abs(a) + 0.5),
    ("sin", cr.sin, np.sin, None),
    ("cos", cr.cos, np.cos, None),
    ("tanh", cr.tanh, np.tanh, None),
    ("sigmoid", cr.sigmoid, _sigmoid, None),
    ("abs", cr.abs, np.abs, lambda a: np.where(a >= 0, a + 0.1, a - 0.1)),
    ("relu", cr.relu, lambda a: np.maximum(a, 0), lambda a: np.where(a >= 0, a + 0.1, a - 0.1)),
    ("pow_3", lambda x: x**3, lambda a: a**3, None),
]

BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("maximum", cr.maximum, np.maximum),
    ("minimum", cr.minimum, np.minimum),
]

REDUCTIONS = [
    ("sum", np.sum),
    ("mean", np.mean),
    ("amax", np.max),
    ("amin", np.min),
    ("var", np.var),
    ("prod", np.prod),
    ("logsumexp", None),
]


def _values(draw, shape, seed_name="seed"):
    seed = draw(st.integers(0, 2**16), label=seed_name)
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name, fn, np_fn, domain", UNARY, ids=[u[0] for u in UNARY])
@SETTINGS
@given(data=st.data())
def test_unary(name, fn, np_fn, domain, data):
    shape = data.draw(SHAPES, label="shape")
    a = _values(data.draw, shape)
    if domain is not None:
        a = domain(a)
    x = cr.tensor(a, requires_grad=True)
    y = fn(x)
    assert y.shape == a.shape
    np.testing.assert_allclose(y.numpy(), np_fn(a), rtol=1e-12, atol=1e-14)
    assert cr.gradcheck(fn, x)


@pytest.mark.parametrize("name, fn, np_fn", BINARY, ids=[b[0] for b in BINARY])
@SETTINGS
@given(data=st.data())
def test_binary_broadcasting(name, fn, np_fn, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         max_side=3), label="shapes")
    sa, sb = shapes.input_shapes
    a = _values(data.draw, sa, "seed_a")
    b = _values(data.draw, sb, "seed_b")
    b = np.where(b >= 0, b + 0.2, b - 0.2)  # away from 0 (div) and from ties with a
    a = a + 0.05
    x, w = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    y = fn(x, w)
    assert y.shape == shapes.result_shape
    np.testing.assert_allclose(y.numpy(), np_fn(a, b), rtol=1e-12)
    x.grad = w.grad = None
    y.backward(cr.ones(y.shape, dtype="float64"))
    assert x.grad.shape == sa and w.grad.shape == sb
    if name not in ("maximum", "minimum") or np.abs(np.subtract(a, b)).min() > 1e-3:
        assert cr.gradcheck(fn, (x, w))


@st.composite
def shape_and_axis(draw):
    shape = draw(SHAPES)
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]) if nd else st.just("none"))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                   unique=True)))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("name, np_fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@SETTINGS
@given(data=st.data())
def test_reductions(name, np_fn, data):
    shape, axis, keepdims = data.draw(shape_and_axis(), label="shape, axis, keepdims")
    a = _values(data.draw, shape)
    if name in ("amax", "amin"):  # distinct values: no ties, where the gradient jumps
        n = a.size
        a = (np.random.default_rng(n).permutation(n) * 0.1).reshape(shape)
    x = cr.tensor(a, requires_grad=True)

    # var compared with np.var: the population variance (PyTorch's default is unbiased)
    extra = {"correction": 0} if name == "var" else {}

    def fn(t):
        return getattr(t, name)(axis=axis, keepdims=keepdims, **extra)

    y = fn(x)
    if np_fn is None:  # logsumexp
        m = np.max(a, axis=axis, keepdims=True)
        want = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
        if not keepdims:
            want = np.squeeze(want, axis=axis) if axis is not None else want.reshape(())
    else:
        want = np_fn(a, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(want)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-12)
    assert cr.gradcheck(fn, x)


# -- more ops, drawn with explicit seeds -------------------------------------------------

seeds = st.integers(0, 2**16)
broadcast_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3
)


def _uniform(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _leaf(a):
    return cr.tensor(np.asarray(a, np.float64), requires_grad=True)


# (name, chainrule op, numpy op, range of the second operand)
BINARY_EXTRA = [
    ("pow", lambda a, b: a**b, np.power, None),
]


@pytest.mark.parametrize("name, op, np_op, b_range", BINARY_EXTRA, ids=[b[0] for b in BINARY_EXTRA])
@SETTINGS
@given(pair=broadcast_pairs, seed=seeds)
def test_binary_broadcast(name, op, np_op, b_range, pair, seed):
    sa, sb = pair.input_shapes
    a = _uniform(seed, sa, 0.5, 2.0) if name == "pow" else _uniform(seed, sa)
    b = _uniform(seed + 1, sb, *(b_range or (-2.0, 2.0)))
    xa, xb = _leaf(a), _leaf(b)
    y = op(xa, xb)
    assert y.shape == pair.result_shape
    np.testing.assert_allclose(y.numpy(), np_op(a, b), rtol=1e-12)
    assert cr.gradcheck(op, (xa, xb))
    # The gradients have their inputs' shapes (broadcasting summed back).
    y.sum().backward()
    assert xa.grad.shape == sa and xb.grad.shape == sb


REDUCTIONS_EXTRA = [
    ("std", lambda x, ax, k: x.std(axis=ax, keepdims=k, correction=0), np.std),
    ("std_ddof1", lambda x, ax, k: x.std(axis=ax, keepdims=k, ddof=1),
     lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1)),
]


@pytest.mark.parametrize("name, op, np_op", REDUCTIONS_EXTRA, ids=[r[0] for r in REDUCTIONS_EXTRA])
@SETTINGS
@given(sak=shape_and_axis(), seed=seeds)
def test_reduction(name, op, np_op, sak, seed):
    shape, axis, keepdims = sak
    n = np.prod([shape[i] for i in (range(len(shape)) if axis is None else np.atleast_1d(axis))])
    assume(name != "std_ddof1" or n > 1)  # ddof=1 needs two elements per slice
    a = _uniform(seed, shape)
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
    a = _uniform(seed, shape)
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
    x.amax(axis=axis, keepdims=keepdims).sum().backward()
    # Each reduced slice hands out exactly one unit of gradient, shared by its maxima.
    expected_total = a.size / np.prod([shape[i] for i in (
        range(len(shape)) if axis is None else np.atleast_1d(axis))])
    np.testing.assert_allclose(x.grad.numpy().sum(), expected_total)
    assert (x.grad.numpy()[a < a.max(axis=axis, keepdims=True)] == 0).all()


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_softmax_rows_sum_to_one_and_gradcheck(shape, seed):
    a = _uniform(seed, shape, -5.0, 5.0)
    x = _leaf(a)
    axis = seed % len(shape)
    y = cr.softmax(x, axis=axis)
    np.testing.assert_allclose(y.numpy().sum(axis=axis), 1.0)
    np.testing.assert_allclose(cr.log_softmax(x, axis=axis).numpy(), np.log(y.numpy()),
                               atol=1e-12)
    assert cr.gradcheck(lambda t: cr.log_softmax(t, axis=axis), x)
