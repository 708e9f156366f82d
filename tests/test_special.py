"""chainrule.special (torch.special's names) and the gamma functions: values against
PyTorch and, where PyTorch is itself approximate, against high-precision references;
the tails and poles each function defines; named errors."""

import math

import numpy as np
import pytest

import chainrule as cr


def f64(values):
    return cr.tensor(values, dtype="float64")


def test_lgamma_and_digamma_are_precise_on_both_sides_of_the_reflection():
    x = np.concatenate([np.linspace(-5.5, 40, 911), [1e-8, 0.5, 1.0, 2.0, 1e5]])
    x = x[(x > 0) | (x != np.round(x))]
    want = np.array([math.lgamma(v) for v in x])
    np.testing.assert_allclose(cr.lgamma(f64(x)).numpy(), want, rtol=2e-14, atol=2e-14)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(cr.digamma(f64(x)).numpy(),
                               torch.digamma(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-12)


def test_poles_follow_pytorch():
    poles = f64([0.0, -1.0, -2.0])
    assert np.isinf(cr.lgamma(poles).numpy()).all()
    d = cr.digamma(poles).numpy()
    assert d[0] == -np.inf and np.isnan(d[1:]).all()
    assert cr.polygamma(1, f64([0.0])).item() == np.inf
    assert np.isnan(cr.polygamma(2, f64([-1.0])).numpy()).all()


def test_polygamma_matches_the_series():
    # psi'(x) = sum 1 / (x + k)^2: PyTorch's own trigamma is good to about 1e-9 only
    x = np.array([0.3, 1.1385, 2.0, 7.5])
    k = np.arange(2_000_000)[:, None]
    tail = 1.0 / (x + 2_000_000)  # the integral of the rest of the sum
    want = (1.0 / (x + k) ** 2).sum(axis=0) + tail
    np.testing.assert_allclose(cr.polygamma(1, f64(x)).numpy(), want, rtol=1e-11)
    np.testing.assert_allclose(cr.polygamma(0, f64(x)).numpy(), cr.digamma(f64(x)).numpy())
    assert cr.tensor([2.0]).polygamma(1).item() == pytest.approx(math.pi**2 / 6 - 1, rel=1e-6)


def test_gamma_gradients_chain_into_each_other():
    x = cr.tensor([0.7, 3.2], dtype="float64", requires_grad=True)
    (g,) = cr.grad(cr.lgamma(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), cr.digamma(x.detach()).numpy())
    (gg,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), cr.polygamma(1, x.detach()).numpy())


def test_mvlgamma_checks_its_domain():
    with pytest.raises(ValueError, match=r"mvlgamma: all elements must be greater than "
                                         r"\(p-1\)/2 = 1.0"):
        cr.mvlgamma(f64([0.9, 2.0]), 3)
    with pytest.raises(ValueError, match="mvlgamma: p must be a positive int"):
        cr.mvlgamma(f64([2.0]), 0)
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative int"):
        cr.polygamma(-1, f64([2.0]))


def test_special_namespace_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 49)
    p = np.linspace(0.01, 0.99, 21)
    pos = np.linspace(0.1, 5, 21)
    for name, values in [("expit", x), ("ndtr", x), ("log_ndtr", x), ("erfcx", x),
                         ("ndtri", p), ("entr", pos), ("gammaln", pos), ("psi", pos),
                         ("expm1", x), ("exp2", x), ("sinc", x), ("logit", p), ("erfc", x),
                         ("erf", x), ("erfinv", 2 * p - 1), ("log1p", pos)]:
        got = getattr(cr.special, name)(f64(values)).numpy()
        want = getattr(torch.special, name)(torch.tensor(values)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(cr.special.xlog1py(f64(x), f64(pos.mean())).numpy(),
                               torch.special.xlog1py(torch.tensor(x), pos.mean()).numpy())
    np.testing.assert_allclose(cr.special.zeta(f64([2.0, 3.5]), f64([1.0, 0.5])).numpy(),
                               torch.special.zeta(torch.tensor([2.0, 3.5], dtype=torch.float64),
                                                  torch.tensor([1.0, 0.5],
                                                               dtype=torch.float64)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(cr.special.multigammaln(f64([3.0]), 2).numpy(),
                               torch.special.multigammaln(torch.tensor([3.0],
                                                                       dtype=torch.float64),
                                                          2).numpy())


def test_the_tails_stay_finite():
    torch = pytest.importorskip("torch")
    x = np.array([-40.0, -25.0, -10.0])
    np.testing.assert_allclose(cr.special.log_ndtr(f64(x)).numpy(),
                               torch.special.log_ndtr(torch.tensor(x)).numpy(), rtol=1e-12)
    big = np.array([10.0, 1e3, 1e8])
    np.testing.assert_allclose(cr.special.erfcx(f64(big)).numpy(),
                               torch.special.erfcx(torch.tensor(big)).numpy(), rtol=1e-13)
    ent = cr.special.entr(f64([0.0, -1.0])).numpy()
    assert ent[0] == 0.0 and ent[1] == -np.inf
