"""The gradient test table's machinery, shared by every test file that lists op cases.

A case names a function of tensors, the shapes of its inputs and how to draw them, and
optionally the same function in PyTorch. ``check_case`` runs:

- gradcheck: float64 central differences against backpropagation;
- gradgradcheck: the same for second derivatives (unless ``second_order=False``);
- non-contiguous inputs (every other element of a larger array) give the same values and
  gradients as contiguous ones, and the op changes none of its inputs (Chainer's two
  extra checks);

``check_float32`` checks that float32 inputs give float32 outputs and gradients, and
``check_against_torch`` (with PyTorch installed and ``torch_fn`` given) compares values and
gradients with PyTorch's.

To add an op, add one ``Case`` to the CASES list of the test file for its package
(tests/ops/test_grad_table.py for engine ops, tests/nn/test_grad_*.py for nn functional
ops) and parametrize ``check_case`` over the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import chainrule as cr


@dataclass
class Case:
    """One row of the gradient table.

    ``fn`` takes chainrule tensors; ``shapes`` gives one shape per tensor input;
    ``sample(rng, shape)`` draws float64 values (default: standard normal), which is where
    kinks are avoided (e.g. values away from 0 for abs, positive values for log);
    ``torch_fn`` takes torch tensors; ``kwargs`` are passed to both; ``grad`` lists
    which inputs are differentiated (default: all); ``second_order`` turns gradgradcheck
    off for ops without a useful second derivative.
    """

    name: str
    fn: Callable
    shapes: list
    sample: Callable | None = None
    torch_fn: Callable | None = None
    grad: list | None = None
    second_order: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name}{[tuple(s) for s in self.shapes]}"


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    """Values in [0.5, 2): away from 0 for log, sqrt, division."""
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    """|x| in [0.3, 1.5) with random signs: away from the kink of abs, relu, clip at 0."""
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """A random permutation of well-separated values: no ties for max, min, sort."""
    n = int(np.prod(shape)) if shape else 1
    return (rng.permutation(n).reshape(shape) * 0.1 + rng.uniform(-0.02, 0.02, shape)
            ).astype(np.float64)


def variants(name, fn, shape_variants, sample=normal, torch_fn=None, **kw):
    """One ``Case`` per shape variant (a tuple with one shape per input)."""
    return [Case(name, fn, list(shapes), sample, torch_fn, **kw) for shapes in shape_variants]


UNARY = [((),), ((5,),), ((2, 3, 4),)]
BINARY = [((), ()), ((2, 3), ()), ((), (3,)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)),
          ((2, 3, 4), (2, 3, 4))]  # fmt: skip


def torch_op(name):
    """A torch function by dotted name, looked up only when the oracle test runs."""

    def f(*xs, **kw):
        import torch

        obj = torch
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj(*xs, **kw)

    return f


def lib_of(t):
    """chainrule or torch, whichever made ``t``: rows written once for both libraries."""
    if isinstance(t, cr.Tensor):
        return cr
    import torch

    return torch


def like(t, values):
    """``values`` (an index, a mask, a constant) as a tensor of ``t``'s library."""
    return lib_of(t).tensor(values)


def make_inputs(case: Case, seed: int = 0):
    rng = np.random.default_rng(seed)
    sample = case.sample or normal
    arrays = [np.asarray(sample(rng, tuple(s)), np.float64) for s in case.shapes]
    which = range(len(arrays)) if case.grad is None else case.grad
    return arrays, set(which)


def check_case(case: Case, seed: int = 0) -> None:
    arrays, which = make_inputs(case, seed)
    inputs = [cr.tensor(a, dtype="float64", requires_grad=i in which)
              for i, a in enumerate(arrays)]
    cr.gradcheck(lambda *xs: case.fn(*xs), inputs, atol=case.atol, rtol=case.rtol)
    if case.second_order:
        cr.gradgradcheck(lambda *xs: case.fn(*xs), inputs, atol=case.atol, rtol=case.rtol)
    check_layouts_and_inputs(case, seed)


def _strided(a):
    """``a``'s values in a non-contiguous array: every other element of a larger one."""
    if a.ndim == 0:
        return a
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    return big[..., ::2]


def _forward_backward(case, arrays, which, seed):
    xs = [cr.Tensor(a, requires_grad=i in which) for i, a in enumerate(arrays)]
    out = case.fn(*xs)
    ys = list(out) if isinstance(out, (tuple, list)) else [out]
    rng = np.random.default_rng(seed + 2)
    seeds = [cr.tensor(rng.standard_normal(y.shape)) for y in ys]
    grads = cr.grad(ys, [xs[i] for i in sorted(which)], seeds, allow_unused=True)
    return [y.numpy() for y in ys], [None if g is None else g.numpy() for g in grads]


def check_layouts_and_inputs(case: Case, seed: int = 0) -> None:
    """Non-contiguous inputs give the values and gradients of contiguous ones, and neither
    run modifies its inputs."""
    arrays, which = make_inputs(case, seed)
    strided = [_strided(a) for a in arrays]
    kept = [a.copy() for a in arrays]
    ys, gs = _forward_backward(case, arrays, which, seed)
    ys2, gs2 = _forward_backward(case, strided, which, seed)
    for a, b in zip(ys + gs, ys2 + gs2):
        if a is None or b is None:
            assert a is None and b is None, f"{case}: a gradient is None in one layout only"
            continue
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{case}: non-contiguous inputs differ")
    for i, (a, b, k) in enumerate(zip(arrays, strided, kept)):
        assert np.array_equal(a, k) and np.array_equal(b, k), f"{case}: input {i} was modified"


def check_float32(case: Case, seed: int = 0) -> None:
    """float32 inputs give float32 outputs and gradients (no silent promotion)."""
    arrays, which = make_inputs(case, seed)
    xs = [cr.tensor(a.astype(np.float32), requires_grad=i in which)
          for i, a in enumerate(arrays)]
    out = case.fn(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for y in outs:
        assert y.dtype == np.float32, f"{case}: float32 inputs gave {y.dtype}"
    cr.backward(outs, [cr.ones(y.shape) for y in outs])
    for x in xs:
        if x.grad is not None:
            assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def check_against_torch(case: Case, seed: int = 0) -> None:
    import torch

    arrays, which = make_inputs(case, seed)
    xs = [cr.tensor(a, dtype="float64", requires_grad=i in which) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=i in which)
          for i, a in enumerate(arrays)]
    y = case.fn(*xs)
    ty = case.torch_fn(*ts)
    ys = y if isinstance(y, (tuple, list)) else [y]
    tys = ty if isinstance(ty, (tuple, list)) else [ty]
    for a, b in zip(ys, tys):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-8)
    rng = np.random.default_rng(seed + 1)
    seeds = [rng.standard_normal(a.shape) for a in ys]
    grads = cr.grad(list(ys), [x for i, x in enumerate(xs) if i in which],
                    [cr.tensor(s) for s in seeds], allow_unused=True)
    tgrads = torch.autograd.grad(list(tys), [t for i, t in enumerate(ts) if i in which],
                                 [torch.tensor(s) for s in seeds], allow_unused=True)
    for g, tg in zip(grads, tgrads):
        if tg is None:
            assert g is None or np.allclose(g.numpy(), 0)
            continue
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-6, atol=1e-8)


def table_tests(cases, torch_only=()):
    """The three tests of a gradient table, for a test module to bind::

        test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES)

    ``torch_only`` rows are compared with PyTorch only (finite differences cannot see
    their gradient, e.g. where a value is clamped)."""

    @pytest.mark.parametrize("case", cases, ids=str)
    def test_gradients(case):
        check_case(case)

    @pytest.mark.parametrize("case", [c for c in [*cases, *torch_only] if c.torch_fn], ids=str)
    def test_against_torch(case):
        pytest.importorskip("torch")
        check_against_torch(case)

    @pytest.mark.parametrize("case", cases, ids=str)
    def test_float32_stays_float32(case):
        check_float32(case)

    return test_gradients, test_against_torch, test_float32_stays_float32

