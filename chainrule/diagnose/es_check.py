"""``es_gradient_check``: backprop's gradient against an evolution-strategies estimate.

An antithetic ES estimate from n random directions in D dimensions,

    g_hat = 1/n sum_i (L(theta + sigma eps_i) - L(theta - sigma eps_i)) / (2 sigma) eps_i,

is, for small sigma, 1/n sum_i (g . eps_i) eps_i: unbiased, with a cosine to the true
gradient g of about sqrt(n / (n + D)). A backprop gradient that is right gives that
cosine; one that is wrong (a sign, a missing term) gives much less. And the formula says
why backprop wins in high dimensions: matching one backward pass takes n >> D forward
passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..backend import as_numpy
from ..tensor import Tensor

__all__ = ["ESGradientCheck", "es_gradient_check"]


@dataclass
class ESGradientCheck:
    """The result: one row per number of directions.

    Attributes:
        dim: D, the number of parameters.
        directions: the n of each row.
        cosine: cos(ES estimate, backprop gradient) for each n.
        expected: sqrt(n / (n + D)) for each n.
        sigma: the perturbation size.
        loss: the minibatch loss at the parameters.
        grad_norm: the backprop gradient's norm.
    """

    dim: int
    directions: list[int]
    cosine: list[float]
    expected: list[float]
    sigma: float
    loss: float
    grad_norm: float

    def ok(self, tol: float = 0.05) -> bool:
        """Whether every cosine is within ``tol`` of its expected value."""
        return all(abs(c - e) <= tol for c, e in zip(self.cosine, self.expected))

    def __str__(self) -> str:
        lines = [f"ES gradient check: D = {self.dim} parameters, sigma = {self.sigma:g}, "
                 f"loss {self.loss:.4f}, |grad| {self.grad_norm:.4g}",
                 f"{'directions n':>14} {'cosine':>8} {'sqrt(n/(n+D))':>14} {'diff':>8}"]
        for n, c, e in zip(self.directions, self.cosine, self.expected):
            lines.append(f"{n:>14,} {c:>8.4f} {e:>14.4f} {c - e:>+8.4f}")
        return "\n".join(lines)


def es_gradient_check(model, loss_fn, inputs, targets, *, directions=(100, 1000, 10000),
                      sigma: float = 1e-4, seed: int = 0, chunk: int = 500) -> ESGradientCheck:
    """Compare the backprop gradient of ``loss_fn(model(inputs), targets)`` with ES
    estimates from each number of antithetic ``directions``.

    The perturbed losses are computed in float64 (batched over the population where the
    layers allow it, see ``chainrule.evolve.population_forward``), so ``sigma`` can be
    small enough for the loss to be linear along each direction.

    Args:
        model, loss_fn, inputs, targets: the minibatch loss to differentiate.
        directions: an int or a sequence of ints n (antithetic pairs, 2n forward passes).
        sigma: the perturbation size (> 0).
        seed: the seed of the directions.
        chunk: directions evaluated at once (memory: about 2 chunk x D numbers).

    >>> print(es_gradient_check(model, nn.CrossEntropyLoss(), X[:256], y[:256]))
    """
    from ..evolve.params import ParameterVector
    from ..evolve.population import population_forward
    from ..evolve.problems import _population_loss

    ns = [directions] if isinstance(directions, (int, np.integer)) else list(directions)
    if not ns or any(not isinstance(n, (int, np.integer)) or n < 1 for n in ns):
        raise ValueError(f"es_gradient_check: directions must be ints >= 1, got {directions!r}")
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"es_gradient_check: sigma must be finite and > 0, got {sigma!r}")
    space = ParameterVector(model)
    theta = space.get()
    x = inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs))
    y = targets if isinstance(targets, Tensor) else Tensor(np.asarray(targets))
    saved = [p.grad for p in space.params]
    try:
        for p in space.params:
            p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
        g = space.grad()
    finally:
        for p, s in zip(space.params, saved):
            p.grad = s
    xa = np.asarray(as_numpy(x.array), dtype=np.float64)
    ya = np.asarray(as_numpy(y.array))
    rng = np.random.default_rng(seed)
    cosines = []
    for n in ns:
        est = np.zeros(space.dim)
        left = int(n)
        while left:
            c = min(chunk, left)
            eps = rng.standard_normal((c, space.dim))
            X = np.concatenate([theta + sigma * eps, theta - sigma * eps])
            out = population_forward(model, X, xa, space=space, dtype=np.float64)
            f = _population_loss(loss_fn, out, ya)
            est += (f[:c] - f[c:]) / (2 * sigma) @ eps
            left -= c
        est /= n
        cosines.append(float(est @ g / (np.linalg.norm(est) * np.linalg.norm(g) + 1e-300)))
    D = space.dim
    return ESGradientCheck(dim=D, directions=[int(n) for n in ns], cosine=cosines,
                           expected=[math.sqrt(n / (n + D)) for n in ns], sigma=float(sigma),
                           loss=float(loss.item()), grad_norm=float(np.linalg.norm(g)))
