"""The gradient test table's machinery, shared by every test file that lists op cases.

A case names a function of tensors, the shapes of its inputs and how to draw them, and
optionally the same function in PyTorch. ``check_case`` runs:

- gradcheck: float64 central differences against backpropagation;
- gradgradcheck: the same for second derivatives (unless ``second_order=False``);
- with PyTorch installed and ``torch_fn`` given: values and gradients against PyTorch.

To add an op, add one ``Case`` to the CASES list of the test file for its package
(tests/ops/test_grad_table.py for engine ops, tests/nn/test_grad_*.py for nn functional
ops) and parametrize ``check_case`` over the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

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
