"""Gradient-flow diagnostics: measure each layer while training, and name what is wrong.

The measurements, per layer (a module that owns parameters):

- gradient norm ||dL/dW|| and mean |dL/dW| over the layer's parameters;
- update-to-weight ratio ||delta W|| / ||W|| of one optimizer step (healthy training is
  around 1e-3 to 1e-2; above 1 a step rewrites the weights);

and per activation module (ReLU, Sigmoid, Tanh...), from its outputs:

- dead fraction: units that are exactly 0 for every sample of the batch (ReLU);
- saturated fraction: outputs within 1% of a bound of sigmoid (0, 1) or tanh (-1, 1),
  where the local derivative is below 0.01 (sigmoid) or 0.04 (tanh).

From these the report draws findings, each a known failure mode of backpropagation with
its likely cause and what to try.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor

#: Thresholds of the findings. A 10-layer sigmoid MLP with small weights gives its first
#: layer ~1e-10 of the last layer's gradient, a healthy ReLU net 0.1 to 10; a learning
#: rate 1000x too high gives update ratios of 10 and more, a healthy one 1e-3 to 1e-1.
VANISHING_RATIO = 1e-3  # a layer's mean |grad| below this fraction of the largest layer's
VANISHING_ABS = 1e-8  # or all layers below this while the loss is far from 0
EXPLODING_UPDATE_RATIO = 1.0  # an optimizer step larger than the weights themselves
EXPLODING_GRAD_GROWTH = 1e3  # gradient norm growing this much while the loss does not fall
EXPLODING_GRAD_NORM = 1e4  # or simply this large
DEAD_FRACTION = 0.5  # more than half the units of a layer never active
SATURATED_FRACTION = 0.5  # more than half the outputs pinned at a bound

KINDS = ("vanishing", "exploding", "dead_units", "saturation", "nan")


@dataclass
class Finding:
    """One problem found: its ``kind`` (one of KINDS), the ``layer`` and a ``message``.

    A finding that concerns several layers (every vanishing, dead or saturated layer is one
    finding, not one per layer) names the first in ``layer`` and all of them in ``layers``.
    """

    kind: str
    layer: str
    message: str
    module: str = ""  # the layer's class name, e.g. "Linear"
    layers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.layers:
            self.layers = [self.layer]

    def __str__(self) -> str:
        where = f"{self.layer} ({self.module})" if self.module else self.layer
        return f"[{self.kind}] {where}: {self.message}"


@dataclass
class LayerStats:
    """Measurements of one layer (parameters) or activation (outputs), one per step."""

    name: str
    kind: str  # the module's class name
    grad_norm: list = field(default_factory=list)
    mean_abs_grad: list = field(default_factory=list)
    weight_norm: list = field(default_factory=list)
    update_ratio: list = field(default_factory=list)
    dead_fraction: list = field(default_factory=list)
    saturated_fraction: list = field(default_factory=list)

    @staticmethod
    def _last(xs):
        return xs[-1] if xs else None

    def recent(self, n: int) -> LayerStats:
        """A copy holding only the last ``n`` measurements of each series."""
        return LayerStats(self.name, self.kind, *(getattr(self, k)[-n:] for k in _SERIES))


_SERIES = ("grad_norm", "mean_abs_grad", "weight_norm", "update_ratio", "dead_fraction",
           "saturated_fraction")


@dataclass
class GradientReport:
    """What ``gradient_report`` measured: per-layer statistics, losses and findings."""

    layers: list
    losses: list
    findings: list

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def kinds(self) -> list:
        """The kinds of the findings, in order, each once."""
        return list(dict.fromkeys(f.kind for f in self.findings))

    def layer(self, name: str) -> LayerStats:
        """The statistics of the layer or activation called ``name``."""
        for s in self.layers:
            if s.name == name:
                return s
        raise KeyError(f"GradientReport.layer: no layer named {name!r}; the layers are "
                       f"{[s.name for s in self.layers]}")

    def __str__(self) -> str:
        head = (f"{'layer':<18} {'type':<12} {'grad norm':>10} {'mean|grad|':>10} "
                f"{'update/W':>9} {'dead':>6} {'saturated':>9}")
        lines = [head, "-" * len(head)]

        def num(v, fmt):
            return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt % v

        for s in self.layers:
            last = LayerStats._last
            lines.append(
                f"{s.name[:18]:<18} {s.kind[:12]:<12} "
                f"{num(last(s.grad_norm), '%10.3g'):>10} "
                f"{num(last(s.mean_abs_grad), '%10.3g'):>10} "
                f"{num(last(s.update_ratio), '%9.2g'):>9} "
                f"{num(_pct(s.dead_fraction), '%5.0f%%'):>6} "
                f"{num(_pct(s.saturated_fraction), '%8.0f%%'):>9}"
            )
        lines.append("(gradients and update/W at the last step; dead and saturated: mean over "
                     "the steps)")
        if self.losses:
            lines.append(f"\nloss: {self.losses[0]:.4g} at the first step, {self.losses[-1]:.4g} "
                         f"at the last ({len(self.losses)} steps)")
        if self.findings:
            lines.append("\nfindings:")
            lines += [f"  {f}" for f in self.findings]
        else:
            lines.append("\nno findings: gradients flow through every layer.")
        return "\n".join(lines)

    __repr__ = __str__


def _pct(xs):
    return None if not xs else 100.0 * float(np.mean(xs))


def _watched_op(module):
    """The op of an activation layer the probe watches (``function``, a class attribute of
    the layer): one that saturates or rectifies, as its class says; else None."""
    op = getattr(type(module), "function", None)
    if op is not None and (op.saturates is not None or op.rectifier):
        return op
    return None


def _saturating_kinds() -> dict:
    """Layer class name -> the op of every saturating activation layer in ``nn``."""
    from .. import nn

    return {name: cls.function for name, cls in vars(nn).items()
            if isinstance(cls, type) and getattr(cls, "function", None) is not None
            and cls.function.saturates is not None}


def _batch(fname, name, x):
    """``x`` as a Tensor with a batch axis."""
    from ..creation import tensor

    if not isinstance(x, Tensor):
        try:
            x = tensor(np.asarray(x))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fname}: {name} must be an array or a Tensor, got "
                            f"{type(x).__name__} ({e})") from None
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{fname}: {name} must hold at least one sample along the first "
                         f"(batch) axis, got shape {tuple(x.shape)}")
    return x


def check_inputs(fname, model, loss_fn, inputs, targets):
    """Check the arguments shared by the diagnostics; returns (inputs, targets) as Tensors."""
    from ..nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"{fname}: model must be an nn.Module, got {type(model).__name__}")
    if not any(True for _ in model.parameters()):
        raise ValueError(f"{fname}: the model {type(model).__name__} has no parameters, so "
                         f"there are no gradients to diagnose")
    if not callable(loss_fn):
        raise TypeError(f"{fname}: loss_fn must be callable, e.g. nn.CrossEntropyLoss(), got "
                        f"{type(loss_fn).__name__}")
    X, Y = _batch(fname, "inputs", inputs), _batch(fname, "targets", targets)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"{fname}: inputs and targets have different batch sizes "
                         f"({X.shape[0]} != {Y.shape[0]}; shapes {tuple(X.shape)} and "
                         f"{tuple(Y.shape)})")
    return X, Y


def scalar_loss(fname, loss):
    """``loss`` if it is a one-element Tensor, else a clear error."""
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"{fname}: loss_fn must return a scalar tensor (one element), got "
                         f"{got}; use a reduction such as reduction='mean'")
    return loss


def _positive_int(fname, name, v):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{fname}: {name} must be a positive integer, got {v!r}")
    return int(v)


def _sq(a) -> float:
    return float(np.square(a, dtype=np.float64).sum())


class Probe:
    """Measures a model's layers: attach, then call the measure methods around a step.

    ``gradients()`` after ``loss.backward()``; ``activations()`` after the forward;
    ``snapshot()`` before and ``updates()`` after ``optimizer.step()``. ``close()`` removes
    the forward hooks.
    """

    def __init__(self, model):
        self.layers = {}  # name -> LayerStats, in module order
        self.owners = []  # (name, module) owning parameters directly
        self._out = {}
        self._ops = {}  # layer kind -> the op class that computes it
        self._before = {}
        self._handles = []
        for name, m in model.named_modules():
            name = name or type(m).__name__
            kind = type(m).__name__
            if any(True for _ in m.parameters(recurse=False)):
                self.owners.append((name, m))
                self.layers[name] = LayerStats(name, kind)
            elif _watched_op(m) is not None:
                self._ops[kind] = _watched_op(m)
                self.layers[name] = LayerStats(name, kind)
                self._handles.append(m.register_forward_hook(self._hook(name, kind)))

    def _hook(self, name, kind):
        def hook(module, args, out):
            if isinstance(out, Tensor):
                self._out[name] = (kind, out.array)
        return hook

    def gradients(self) -> None:
        for name, m in self.owners:
            ps = list(m.parameters(recurse=False))
            grads = [p.grad.array for p in ps if p.grad is not None]
            if not grads:
                continue
            s = self.layers[name]
            s.grad_norm.append(math.sqrt(sum(_sq(g) for g in grads)))
            s.mean_abs_grad.append(float(sum(np.abs(g).sum(dtype=np.float64) for g in grads)
                                         / sum(g.size for g in grads)))
            s.weight_norm.append(math.sqrt(sum(_sq(p.array) for p in ps)))

    def activations(self) -> None:
        for name, (kind, y) in self._out.items():
            s = self.layers[name]
            y = np.asarray(y)
            units = y.reshape(y.shape[0], -1) if y.ndim > 1 else y.reshape(1, -1)
            op = self._ops[kind]
            if op.rectifier:
                s.dead_fraction.append(float((units <= 0).all(axis=0).mean()))
            else:
                lo, hi = op.saturates
                margin = 0.01 * (hi - lo)
                s.saturated_fraction.append(
                    float(((units <= lo + margin) | (units >= hi - margin)).mean()))
        self._out.clear()

    def snapshot(self) -> None:
        self._before = {name: [p.array.copy() for p in m.parameters(recurse=False)]
                        for name, m in self.owners}

    def updates(self) -> None:
        for name, m in self.owners:
            before = self._before.get(name)
            if before is None:
                continue
            du = math.sqrt(sum(_sq(p.array - b) for p, b in zip(m.parameters(recurse=False),
                                                                 before)))
            w = math.sqrt(sum(_sq(b) for b in before))
            if w > 0:  # all-zero weights (a zero-initialised layer) have no ratio yet
                self.layers[name].update_ratio.append(du / w)
        self._before = {}

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def report(self, losses, trained, extra_findings=(), last: int | None = None
               ) -> GradientReport:
        """The report of the measurements; findings from the ``last`` ones when given."""
        stats = list(self.layers.values())
        judged = stats if last is None else [s.recent(last) for s in stats]
        losses = list(losses)
        return GradientReport(stats, losses, list(extra_findings) + _findings(
            judged, losses if last is None else losses[-last:], trained))


def _nan_loss(value, step) -> Finding:
    if step == 1:
        cause = ("at the first step, before any update: check the inputs and targets for "
                 "NaN/Inf and the loss for log(0) or division by zero")
    else:
        cause = ("after the weights were updated: the updates overflowed. Lower the learning "
                 "rate (by 10x) or clip gradients (nn.utils.clip_grad_norm_)")
    return Finding(
        "nan", "loss",
        f"the loss became {value} at step {step}, {cause}; run the step under "
        f"cr.detect_anomaly() to find the first op that produced it.",
    )


def gradient_report(model, loss_fn, inputs, targets, steps: int = 20, optimizer=None,
                    batch_size: int | None = None, generator=None) -> GradientReport:
    """Train (with ``optimizer``) or probe (without) for a few steps and diagnose the
    gradients layer by layer.

    With an optimizer, each step updates the model (pass a copy to keep yours untouched);
    without one, gradients are measured on ``steps`` batches with no update. ``batch_size``
    picks random mini-batches of ``inputs`` with ``generator`` (the whole set when None).

    >>> report = diagnose.gradient_report(model, nn.CrossEntropyLoss(), x, y, steps=10)
    >>> print(report)                # per-layer table and findings
    >>> report.kinds                 # e.g. ['vanishing']
    """
    from ..random import rng

    fname = "gradient_report"
    X, Y = check_inputs(fname, model, loss_fn, inputs, targets)
    steps = _positive_int(fname, "steps", steps)
    if batch_size is not None:
        batch_size = _positive_int(fname, "batch_size", batch_size)
    if optimizer is not None and not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"{fname}: optimizer must be an optimizer with a step() method (or "
                        f"None to measure without training), got {type(optimizer).__name__}")
    g = rng(generator)
    probe = Probe(model)
    losses, extra = [], []
    was_training = model.training
    model.train()
    try:
        # Overflow is what this function diagnoses: report it as a finding, not warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for step in range(steps):
                if batch_size is not None and batch_size < X.shape[0]:
                    idx = g.choice(X.shape[0], batch_size, replace=False)
                    xb, yb = X[idx], Y[idx]
                else:
                    xb, yb = X, Y
                model.zero_grad()
                loss = scalar_loss(fname, loss_fn(model(xb), yb))
                losses.append(float(loss.item()))
                if not math.isfinite(losses[-1]):
                    extra.append(_nan_loss(losses[-1], step + 1))
                    break
                loss.backward()
                probe.gradients()
                probe.activations()
                if optimizer is not None:
                    probe.snapshot()
                    optimizer.step()
                    probe.updates()
    finally:
        probe.close()
        model.train(was_training)
    return probe.report(losses, optimizer is not None, extra)


def _findings(stats, losses, trained) -> list:
    out = []
    params = [s for s in stats if s.grad_norm]
    for s in params:
        if any(not math.isfinite(v) for v in s.grad_norm + s.mean_abs_grad + s.update_ratio):
            out.append(Finding(
                "nan", s.name, module=s.kind, message=
                "gradients or updates contain NaN/Inf. Lower the learning rate, clip gradients, "
                "and run the step under cr.detect_anomaly() to find the op that produced it.",
            ))
            return out
    finite = [v for v in losses if math.isfinite(v)]
    falling = len(finite) > 1 and finite[-1] < finite[0]
    # Exploding: steps larger than the weights, or gradients growing without bound.
    growing = []
    for s in params:
        g0, g1 = s.grad_norm[0], s.grad_norm[-1]
        big_update = trained and s.update_ratio and max(s.update_ratio) > EXPLODING_UPDATE_RATIO
        grows = g0 > 0 and g1 / g0 > EXPLODING_GRAD_GROWTH and not falling
        if big_update or grows or g1 > EXPLODING_GRAD_NORM:
            growing.append(s)
    loss_blowup = len(losses) > 1 and (not math.isfinite(losses[-1]) or
                                       losses[-1] > 10 * max(losses[0], 1e-12))
    if growing or loss_blowup:
        names = ", ".join(s.name for s in growing) or "the model"
        ratio = max((max(s.update_ratio) for s in growing if s.update_ratio), default=None)
        gmax = max((max(s.grad_norm) for s in growing), default=None)
        detail = []
        if ratio is not None:
            detail.append(f"an optimizer step changed the weights by {ratio:.3g}x their norm; "
                          f"healthy is 1e-3 to 1e-2")
        if gmax is not None:
            detail.append(f"largest gradient norm {gmax:.3g}")
        if loss_blowup:
            detail.append(f"the loss went from {losses[0]:.4g} to {losses[-1]:.4g}")
        out.append(Finding(
            "exploding", growing[0].name if growing else "loss",
            module=growing[0].kind if growing else "", message=
            f"gradients or updates explode in {names} ({'; '.join(detail)}). Likely cause: a "
            f"learning rate far too high (or unscaled inputs/targets). Lower the learning rate "
            f"by 10x, clip gradients (nn.utils.clip_grad_norm_ or the GradientClipping "
            f"callback), or add normalisation layers.",
        ))
    dead = [s for s in stats if s.dead_fraction and float(np.mean(s.dead_fraction)) > DEAD_FRACTION]
    saturated = [s for s in stats if s.saturated_fraction
                 and float(np.mean(s.saturated_fraction)) > SATURATED_FRACTION]
    # Vanishing: some layers get a tiny fraction of the gradient the best layer gets.
    if params and not growing and not loss_blowup:
        means = [float(np.median(s.mean_abs_grad)) for s in params]
        top = max(means)
        far_from_zero = bool(finite) and finite[-1] > 1e-3
        weak = [s for s, m in zip(params, means)
                if (top > 0 and m < VANISHING_RATIO * top) or (top < VANISHING_ABS and
                                                               far_from_zero)]
        if weak:
            worst_m, worst = min(zip(means, params), key=lambda t: t[0])
            kinds = _saturating_kinds()
            acts = sorted({s.kind for s in stats if s.kind in kinds})
            if dead:
                cause = (f"dead ReLU units ({', '.join(s.name for s in dead)}) pass no gradient "
                         f"back to the layers before them")
            elif acts:
                bound = ", ".join(f"{kinds[a].max_slope:g} for {a}" for a in acts)
                cause = (f"each {'/'.join(acts)} layer multiplies the gradient by its derivative "
                         f"(at most {bound}) and small weights shrink it further, so it decays "
                         f"geometrically towards the input")
            else:
                cause = ("the gradient shrinks at every layer on its way back (weights too small "
                         "for the depth)")
            out.append(Finding(
                "vanishing", weak[0].name, module=weak[0].kind, layers=[s.name for s in weak],
                message=
                f"{len(weak)} of {len(params)} layers get almost no gradient (mean |grad| "
                f"{worst_m:.2g} in {worst.name} vs {top:.2g} in the best layer, a ratio of "
                f"{worst_m / top if top > 0 else 0:.1g}): {cause}. Those layers barely learn. Try "
                f"ReLU-family activations with He (kaiming) initialisation, normalisation layers "
                f"(BatchNorm/LayerNorm), residual connections, or a shallower network.",
            ))
    for kind, found, attr, effect in (
        ("dead_units", dead, "dead_fraction",
         "output 0 for every sample in that share of their units, so no gradient reaches the "
         "weights that feed them and they never recover. Likely causes: strongly negative "
         "biases, or a learning rate that pushed them there. Try He (kaiming) initialisation "
         "with zero biases, a lower learning rate, or LeakyReLU/ELU/GELU, which keep a "
         "gradient below 0."),
        ("saturation", saturated, "saturated_fraction",
         "have that share of their outputs within 1% of the bounds, where the derivative is "
         "almost 0 and the gradient stops. Likely causes: unscaled inputs (features in the "
         "tens or hundreds) or large weights. Standardise the inputs (zero mean, unit "
         "variance), use Xavier (glorot) initialisation, or add normalisation before the "
         "activation."),
    ):
        if found:  # one finding for every layer of the kind, not a paragraph per layer
            names = "/".join(sorted({s.kind for s in found}))
            out.append(Finding(kind, found[0].name, module=found[0].kind,
                               layers=[s.name for s in found],
                               message=f"{_layer_list(found, attr, stats, names)} {effect}"))
    return out


def _layer_list(found, attr, stats, kinds, shown: int = 6) -> str:
    """``3 of 5 ReLU layers (1: 62%, 3: 80%, 5: 97%)``: one finding for many layers."""
    of = sum(1 for s in stats if s.kind in {f.kind for f in found})
    items = [f"{s.name}: {100 * float(np.mean(getattr(s, attr))):.0f}%" for s in found[:shown]]
    if len(found) > shown:
        items.append(f"and {len(found) - shown} more")
    noun = "layer" if of == 1 else "layers"
    return f"{len(found)} of {of} {kinds} {noun} ({', '.join(items)})"


def layer_gradients(model) -> dict:
    """The current gradient norm of each parameter, by name (None where it has no grad)."""
    with no_grad():
        return {n: (None if p.grad is None else float(np.linalg.norm(p.grad.numpy())))
                for n, p in model.named_parameters()}
