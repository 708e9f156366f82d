"""Distances (F.cosine_similarity, F.pairwise_distance, F.pdist and their layers): gradient
table rows, the layers against PyTorch, and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import (
    Case,
    lib_of,
    positive,
    table_tests,
)


def fn_of(t):
    """``chainrule.nn.functional`` or ``torch.nn.functional``, whichever made ``t``: each row
    is written once and serves as its own PyTorch oracle."""
    return lib_of(t).nn.functional


def row(name, fn, shapes, **kw):
    return Case(name, fn, shapes, torch_fn=fn, **kw)


CASES = [
    row("cosine_similarity", lambda a, b: fn_of(a).cosine_similarity(a, b), [(3, 4), (3, 4)]),
    row("cosine_similarity_dim0", lambda a, b: fn_of(a).cosine_similarity(a, b, dim=0),
        [(3, 4), (3, 4)]),
    row("cosine_similarity_broadcast",
        lambda a, b: fn_of(a).cosine_similarity(a, b, dim=-1), [(2, 3, 4), (3, 4)]),
    row("cosine_similarity_1d", lambda a, b: fn_of(a).cosine_similarity(a, b, dim=0),
        [(5,), (5,)]),
    row("pairwise_distance", lambda a, b: fn_of(a).pairwise_distance(a, b), [(3, 4), (3, 4)]),
    row("pairwise_distance_p1_keepdim",
        lambda a, b: fn_of(a).pairwise_distance(a, b, p=1.0, keepdim=True), [(3, 4), (3, 4)]),
    row("pairwise_distance_p3_broadcast",
        lambda a, b: fn_of(a).pairwise_distance(a, b, p=3.0, eps=1e-3), [(2, 3, 4), (4,)]),
    row("pairwise_distance_1d", lambda a, b: fn_of(a).pairwise_distance(a, b), [(5,), (5,)]),
    row("pdist", lambda x: fn_of(x).pdist(x), [(5, 3)]),
    row("pdist_p1", lambda x: fn_of(x).pdist(x, p=1.0), [(4, 3)]),
    row("pdist_p3", lambda x: fn_of(x).pdist(x, p=3.0), [(4, 2)], sample=positive),
]

# The eps clamps only the norms' values (PyTorch clamps them under no_grad), so finite
# differences see a constant where backpropagation sees the norm: PyTorch is the only oracle.
TORCH_ONLY = [
    row("cosine_similarity_eps", lambda a, b: fn_of(a).cosine_similarity(a, b, eps=3.0),
        [(3, 4), (3, 4)]),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES, TORCH_ONLY)


def test_layers_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 5)).astype(np.float32)
    for name, kw in [("CosineSimilarity", {}), ("CosineSimilarity", dict(dim=0, eps=1e-3)),
                     ("PairwiseDistance", {}), ("PairwiseDistance", dict(p=1.0, keepdim=True))]:
        m, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(m) == repr(tm)
        assert {k: getattr(m, k) for k in vars(tm) if not k.startswith("_")
                and k != "training"} == {k: v for k, v in vars(tm).items()
                                         if not k.startswith("_") and k != "training"}
        np.testing.assert_allclose(m(cr.tensor(a), cr.tensor(b)).numpy(),
                                   tm(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-5)


def test_zero_vector_has_a_finite_gradient():
    x = cr.zeros(2, 3, requires_grad=True)
    y = cr.ones(2, 3)
    F.cosine_similarity(x, y).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    x = cr.ones(3, 2, requires_grad=True)  # all pairs at distance 0
    F.pdist(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_errors():
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \(3, 4\), \(2, 4\) cannot"):
        F.cosine_similarity(cr.ones(3, 4), cr.ones(2, 4))
    with pytest.raises(ValueError, match="cosine_similarity: .*dim"):
        F.cosine_similarity(cr.ones(3, 4), cr.ones(3, 4), dim=2)
    with pytest.raises(ValueError, match=r"pairwise_distance: shapes \(3, 4\), \(3, 5\)"):
        F.pairwise_distance(cr.ones(3, 4), cr.ones(3, 5))
    with pytest.raises(ValueError, match=r"pdist: expects a 2-d \(N, M\) input, got shape "
                                         r"\(2, 3, 4\)"):
        F.pdist(cr.ones(2, 3, 4))
    with pytest.raises(ValueError, match="pdist: p must be non-negative"):
        F.pdist(cr.ones(2, 3), p=-1)
