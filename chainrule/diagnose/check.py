"""``check_model_gradients``: every parameter's backprop gradient against finite differences."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ..autograd import no_grad


@dataclass
class ParamCheck:
    """The check of one parameter: how it was checked and the relative error found."""

    name: str
    shape: tuple
    method: str  # "full" (every element) or "directional" (random directions)
    rel_error: float
    ok: bool


@dataclass
class GradientCheckReport:
    """Per-parameter results of ``check_model_gradients``."""

    results: list
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failed(self) -> list:
        return [r for r in self.results if not r.ok]

    def __str__(self) -> str:
        head = f"{'parameter':<28} {'shape':<16} {'method':<12} {'rel. error':>10}  ok"
        lines = [head, "-" * len(head)]
        for r in self.results:
            lines.append(f"{r.name[:28]:<28} {str(r.shape)[:16]:<16} {r.method:<12} "
                         f"{r.rel_error:>10.2e}  {'yes' if r.ok else 'NO'}")
        bad = self.failed()
        lines.append("")
        lines.append("all gradients agree with finite differences" if not bad else
                     f"{len(bad)} parameter(s) disagree beyond {self.tolerance:g}: "
                     + ", ".join(r.name for r in bad)
                     + ". An op on their path to the loss has a wrong backward: look after "
                     "the last parameter that fails and before the first one that passes")
        return "\n".join(lines)

    __repr__ = __str__


def _rel(a, b, floor: float) -> float:
    """max |a - b| / max(|a|, |b|, floor): relative, but absolute for gradients near 0,
    where finite differences are only as exact as the loss's rounding allows."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), floor)
    return float(np.max(np.abs(a - b))) / scale


def check_model_gradients(model, loss_fn, inputs, targets, eps: float = 1e-6,
                          tolerance: float = 1e-4, max_full: int = 32, directions: int = 3,
                          seed: int = 0) -> GradientCheckReport:
    """Compare every parameter's backprop gradient with central finite differences.

    The check runs on a float64 copy of ``model`` in eval mode (so Dropout is off and the
    loss is a deterministic function of the weights); the model itself is untouched. A
    parameter with at most ``max_full`` elements is checked element by element; a larger
    one along ``directions`` random unit directions u, comparing <dL/dW, u> with
    (L(W + eps u) - L(W - eps u)) / (2 eps). The relative error per parameter is reported;
    above ``tolerance`` the parameter fails, which points at a layer with a wrong backward.

    >>> print(diagnose.check_model_gradients(model, nn.MSELoss(), x, y))
    """
    from ..creation import tensor
    from .report import check_inputs, scalar_loss

    fname = "check_model_gradients"
    X, Y = check_inputs(fname, model, loss_fn, inputs, targets)
    for name, v in (("eps", eps), ("tolerance", tolerance)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v < 1:
            raise ValueError(f"{fname}: {name} must be a number in (0, 1), got {v!r}")
    for name, v, low in (("max_full", max_full, 0), ("directions", directions, 1)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise ValueError(f"{fname}: {name} must be an integer >= {low}, got {v!r}")
    m = copy.deepcopy(model).double().eval()

    def as64(t):
        a = t.numpy()
        return tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)

    X, Y = as64(X), as64(Y)

    def loss_value() -> float:
        with no_grad():
            out = loss_fn(m(X), Y)
        return float(out.item())

    m.zero_grad()
    loss = scalar_loss(fname, loss_fn(m(X), Y))
    # Central differences in float64 carry a rounding error of about 1e-14 |L| / eps (some
    # hundred ulps of the loss): a gradient smaller than that over the tolerance is compared
    # in absolute terms, so rounding alone never fails a check.
    floor = 1e-14 * max(1.0, abs(float(loss.item()))) / eps / tolerance
    loss.backward()
    g = np.random.default_rng(seed)
    results = []
    for name, p in m.named_parameters():
        if not p.requires_grad:
            continue
        grad = np.zeros(p.shape) if p.grad is None else p.grad.numpy().astype(np.float64)
        w = p.array
        if p.numel() <= max_full:
            num = np.zeros(p.numel())
            flat = w.reshape(-1)
            for i in range(p.numel()):
                old = flat[i]
                flat[i] = old + eps
                lp = loss_value()
                flat[i] = old - eps
                lm = loss_value()
                flat[i] = old
                num[i] = (lp - lm) / (2 * eps)
            err = _rel(num, grad.reshape(-1), floor)
            method = "full"
        else:
            errs = []
            for _ in range(directions):
                u = g.standard_normal(p.shape)
                u /= np.linalg.norm(u)
                old = w.copy()
                w += eps * u
                lp = loss_value()
                w[...] = old - eps * u
                lm = loss_value()
                w[...] = old
                errs.append(_rel((lp - lm) / (2 * eps), float((grad * u).sum()), floor))
            err = max(errs)
            method = "directional"
        results.append(ParamCheck(name, tuple(p.shape), method, err,
                                  bool(math.isfinite(err) and err <= tolerance)))
    return GradientCheckReport(results, tolerance)
