"""SELU, CELU, GLU, LogSigmoid, Softsign, Softmin, Softmax2d, Hardshrink, Softshrink,
Tanhshrink, Threshold, Mish, RReLU and the in-place F.<name>_ forms: gradient-table rows,
layers against PyTorch, train/eval, repr and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import (
    UNARY,
    Case,
    table_tests,
    variants,
)


def _tf(name, **kw):
    def f(*xs):
        import torch.nn.functional as tF

        return getattr(tF, name)(*xs, **kw)

    return f


def _away(*kinks, width=0.05):
    """Normal values, moved off the kinks (by more than gradcheck's step)."""

    def sample(rng, shape):
        x = rng.uniform(-2.0, 2.0, shape)
        for k in kinks:
            x = np.where(np.abs(x - k) < width, x + 2 * width, x)
        return x

    return sample


def _wide(rng, shape):
    return rng.uniform(-6.0, 6.0, shape)


def _f(name, **kw):
    return lambda x: getattr(F, name)(x, **kw)


CASES = [
    *variants("selu", F.selu, UNARY, _away(0.0), _tf("selu")),
    *variants("celu", _f("celu", alpha=0.7), UNARY, _away(0.0), _tf("celu", alpha=0.7)),
    *variants("logsigmoid", F.logsigmoid, UNARY, _wide, _tf("logsigmoid")),
    *variants("softsign", F.softsign, UNARY, _away(0.0), _tf("softsign")),
    *variants("tanhshrink", F.tanhshrink, UNARY, _wide, _tf("tanhshrink")),
    *variants("mish", F.mish, UNARY, _wide, _tf("mish")),
    *variants("hardshrink", _f("hardshrink", lambd=0.7), UNARY, _away(-0.7, 0.7),
              _tf("hardshrink", lambd=0.7)),
    *variants("softshrink", _f("softshrink", lambd=0.4), UNARY, _away(-0.4, 0.4),
              _tf("softshrink", lambd=0.4)),
    *variants("threshold", lambda x: F.threshold(x, 0.3, -2.0), UNARY, _away(0.3),
              _tf("threshold", threshold=0.3, value=-2.0)),
    *variants("rrelu_eval", _f("rrelu", lower=0.1, upper=0.3), UNARY, _away(0.0),
              _tf("rrelu", lower=0.1, upper=0.3)),
    # Training draws the slopes from the generator: an int seed draws the same ones per call.
    *variants("rrelu_train", _f("rrelu", training=True, generator=3), UNARY, _away(0.0)),
    Case("glu", F.glu, [(2, 6)], torch_fn=_tf("glu")),
    Case("glu_dim1", _f("glu", dim=1), [(2, 4, 3)], torch_fn=_tf("glu", dim=1)),
    Case("glu_dim0", _f("glu", dim=-3), [(4, 3, 2)], torch_fn=_tf("glu", dim=-3)),
    Case("softmin", _f("softmin", dim=1), [(3, 4)], torch_fn=_tf("softmin", dim=1)),
    Case("softmin_dim0", _f("softmin", dim=0), [(3, 4, 2)], torch_fn=_tf("softmin", dim=0)),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES)


MODULES = [
    ("SELU", (), {}), ("SELU", (), {"inplace": True}), ("CELU", (0.5,), {}),
    ("CELU", (), {"alpha": 2.0, "inplace": True}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("LogSigmoid", (), {}), ("Softsign", (), {}), ("Softmin", (1,), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (1.2,), {}), ("Softshrink", (0.3,), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.1, 20), {}),
    ("Threshold", (-0.5, 2.0), {"inplace": True}), ("Mish", (), {}),
    ("Mish", (), {"inplace": True}), ("RReLU", (), {}), ("RReLU", (0.1, 0.3), {}),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[m[0] + str(m[1:]) for m in MODULES])
def test_module_matches_torch(name, args, kwargs):
    """Same outputs and input gradients (eval mode: RReLU's mean slope) and the same repr."""
    torch = pytest.importorskip("torch")
    m = getattr(nn, name)(*args, **kwargs).eval()
    tm = getattr(torch.nn, name)(*args, **kwargs).eval()
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == []
    x = (np.random.default_rng(0).standard_normal((4, 6)) * 3).astype(np.float32)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xc), tm(xt * 1)  # torch's inplace layers need a non-leaf
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax2d_matches_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    for shape in [(3, 4, 5), (2, 3, 4, 5)]:
        x = np.random.default_rng(2).standard_normal(shape)
        xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = nn.Softmax2d()(xc), torch.nn.Softmax2d()(xt)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"Softmax2d: expected a 3-d .* got shape \(2, 3\)"):
        nn.Softmax2d()(cr.zeros(2, 3))


def test_rrelu_training_draws_seeded_slopes_in_range():
    x = -cr.ones(1000, dtype="float64")
    m = nn.RReLU(0.2, 0.4, generator=0)
    a, b = m(x).numpy(), m(x).numpy()
    assert not np.array_equal(a, b)  # one stream: new slopes at each call
    assert (-a >= 0.2).all() and (-a <= 0.4).all() and abs(-a.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(nn.RReLU(0.2, 0.4, generator=0)(x).numpy(), a)
    pos = cr.tensor([0.0, 1.5, 3.0])
    np.testing.assert_array_equal(m(pos).numpy(), pos.numpy())  # x >= 0 passes unchanged
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.3)  # eval: the mean slope
    # Gradients are the drawn slopes, as PyTorch's noise.
    xg = cr.tensor([-1.0, -2.0, 3.0], requires_grad=True)
    y = F.rrelu(xg, training=True, generator=5)
    y.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), [-y.numpy()[0], y.numpy()[1] / -2, 1.0])


def test_extremes_stay_finite_and_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    for name in ("logsigmoid", "mish", "selu", "celu", "softsign", "tanhshrink"):
        xc = cr.tensor(x, requires_grad=True)
        y = getattr(F, name)(xc)
        (g,) = cr.grad(y.sum(), xc)
        xt = torch.tensor(x, requires_grad=True)
        ty = getattr(torch.nn.functional, name)(xt)
        (tg,) = torch.autograd.grad(ty.sum(), xt)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, err_msg=name)
        # atol: chainrule's sigmoid rounds tails below ~1e-17 to 0 (logsigmoid'(50) ~ 2e-22)
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
    nan = cr.tensor([float("nan")])
    assert np.isnan(F.threshold(nan, 0.0, 1.0).numpy()).all()  # as PyTorch: NaN stays NaN
    assert np.isnan(F.softshrink(nan).numpy()).all()


INPLACE = [
    ("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
    ("selu_", ()), ("celu_", (0.7,)), ("threshold_", (0.1, -3.0)), ("rrelu_", (0.1, 0.3)),
]  # fmt: skip


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_forms_match_torch(name, args):
    """F.<name>_ writes into its input and returns it; the graph sees the op applied to
    the old value, so gradients flow through it as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((3, 4)) * 2
    w = cr.tensor(x, requires_grad=True)
    h = w * 1.5
    out = getattr(F, name)(h, *args)
    assert out is h
    tw = torch.tensor(x, requires_grad=True)
    th = tw * 1.5
    getattr(torch.nn.functional, name)(th, *args)
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12)
    (h * h).sum().backward()
    (th * th).sum().backward()
    # rtol: PyTorch's in-place celu_ takes its gradient from the output (y + alpha), which
    # loses ~1e-8 relative; chainrule differentiates the old value.
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-7)
    plain = cr.tensor(x * 1.5)
    getattr(F, name)(plain, *args)  # no graph: computed and written in place
    np.testing.assert_allclose(plain.numpy(), th.detach().numpy(), rtol=1e-12)
    leaf = cr.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad"):
        getattr(F, name)(leaf, *args)


def test_bad_arguments_are_named():
    x = cr.zeros(2, 5)
    with pytest.raises(ValueError, match=r"glu: halving dimension -1 needs an even size, got 5"):
        F.glu(x)
    with pytest.raises(ValueError, match="glu: dim 2 is out of range"):
        F.glu(x, dim=2)
    with pytest.raises(ValueError, match="glu: does not support a 0-d input"):
        F.glu(cr.tensor(1.0))
    with pytest.raises(ValueError, match="celu: alpha must be nonzero"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match="CELU: alpha must be nonzero"):
        nn.CELU(0)
    with pytest.raises(ValueError, match=r"softshrink: lambd must be in \[0.0, inf\), got -1"):
        F.softshrink(x, -1)
    with pytest.raises(ValueError, match="Softshrink: lambd must be in"):
        nn.Softshrink(-0.5)
    with pytest.raises(ValueError, match="rrelu: lower must be <= upper, got lower=0.5"):
        F.rrelu(x, 0.5, 0.1)
    with pytest.raises(ValueError, match="RReLU: lower must be <= upper"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(TypeError, match="Threshold: threshold must be a number"):
        nn.Threshold("1", 0.0)
    with pytest.raises(TypeError, match="selu: input must be a Tensor"):
        F.selu([1.0])
    with pytest.raises(TypeError, match="mish: input must be a Tensor"):
        nn.Mish()(np.zeros(2))
    with pytest.raises(ValueError, match="softmin: dim 2 is out of range"):
        F.softmin(x, dim=2)
    with pytest.raises(TypeError, match="GLU: dim must be an int"):
        nn.GLU(1.5)
