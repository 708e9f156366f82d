"""Hypothesis-generated shapes and values for the elementwise and reduction ops: values
against NumPy, gradients against finite differences (gradcheck)."""

import numpy as np
import pytest
from hypothesis import given, settings
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
    ("max", np.max),
    ("min", np.min),
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
    if name in ("max", "min"):  # distinct values: no ties, where the gradient jumps
        n = a.size
        a = (np.random.default_rng(n).permutation(n) * 0.1).reshape(shape)
    x = cr.tensor(a, requires_grad=True)

    def fn(t):
        return getattr(t, name)(axis=axis, keepdims=keepdims)

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
