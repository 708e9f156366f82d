"""``GradientMonitor``: gradient-flow measurements as a training callback for ``fit``."""

from __future__ import annotations

import warnings

from ..train.callbacks import Callback
from .report import _SERIES, GradientReport, Probe


class GradientMonitor(Callback):
    """Record per-layer gradient norms, update ratios, dead and saturated units while
    ``fit`` trains, and warn when a finding appears.

    Measures every ``every``-th training step (gradients between backward and the optimizer
    step, so the numbers are the ones the optimizer uses). After each epoch the findings
    are recomputed from the last ``window`` measurements; a new kind of finding is reported
    once with ``warnings.warn`` (and printed when ``verbose``). ``findings_by_epoch`` keeps
    the kinds found after each epoch.

    >>> monitor = diagnose.GradientMonitor(every=10)
    >>> fit(model, loss, opt, (x, y), epochs=5, callbacks=[monitor])
    >>> print(monitor.report())
    >>> monitor.plot("gradient_norms.png")
    """

    def __init__(self, every: int = 10, window: int = 20, verbose: bool = False):
        super().__init__()
        for name, v in (("every", every), ("window", window)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"GradientMonitor: {name} must be a positive integer, got {v!r}")
        self.every = every
        self.window = window
        self.findings_by_epoch: list = []
        self.verbose = verbose
        self.probe: Probe | None = None
        self.losses: list = []
        self.steps: list = []  # global step numbers of the measurements
        self.findings: list = []
        self._step = 0
        self._measuring = False
        self._seen_kinds: set = set()
        self._resumed: dict | None = None

    def on_train_begin(self, logs=None) -> None:
        if self.probe is not None:
            self.probe.close()
        self.probe = Probe(self.model)  # each fit starts a fresh record
        self.losses, self.steps, self.findings, self.findings_by_epoch = [], [], [], []
        self._step = 0
        self._seen_kinds = set()
        if self._resumed is not None:  # a resumed fit continues the record it saved
            self._restore(self._resumed)
            self._resumed = None

    def state_dict(self) -> dict:
        """The record so far (step count, losses, per-layer series, findings), so that a
        resumed ``fit`` continues it exactly."""
        layers = {} if self.probe is None else {
            name: {k: [float(v) for v in getattr(s, k)] for k in _SERIES}
            for name, s in self.probe.layers.items()}
        return {"step": self._step, "losses": list(self.losses), "steps": list(self.steps),
                "findings_by_epoch": [list(k) for k in self.findings_by_epoch],
                "seen_kinds": sorted(self._seen_kinds), "layers": layers}

    def load_state_dict(self, state: dict) -> None:
        """Keep ``state`` for the coming ``fit`` (applied when it begins)."""
        missing = {"step", "losses", "steps", "findings_by_epoch", "seen_kinds",
                   "layers"} - set(state)
        if missing:
            raise ValueError(f"GradientMonitor.load_state_dict: missing {sorted(missing)}")
        self._resumed = state

    def _restore(self, state: dict) -> None:
        self._step = int(state["step"])
        self.losses = [float(v) for v in state["losses"]]
        self.steps = [int(v) for v in state["steps"]]
        self.findings_by_epoch = [list(k) for k in state["findings_by_epoch"]]
        self._seen_kinds = set(state["seen_kinds"])
        for name, series in state["layers"].items():
            if name in self.probe.layers:
                for k in _SERIES:
                    getattr(self.probe.layers[name], k)[:] = list(series.get(k, []))
        if self.losses:
            self.findings = self.report().findings

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self._measuring = self._step % self.every == 0

    def on_before_optimizer_step(self, batch) -> None:
        if self._measuring:
            self.probe.gradients()
            self.probe.activations()
            self.probe.snapshot()

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self._measuring:
            self.probe.updates()
            self.steps.append(self._step)
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))
        self._step += 1

    def on_epoch_end(self, epoch, logs=None) -> None:
        report = self.report()
        self.findings = report.findings
        self.findings_by_epoch.append(report.kinds)
        for f in report.findings:
            if f.kind not in self._seen_kinds:
                self._seen_kinds.add(f.kind)
                msg = f"GradientMonitor (epoch {epoch + 1}): {f}"
                warnings.warn(msg, RuntimeWarning, stacklevel=2)
                if self.verbose:
                    print(msg)

    def on_train_end(self, logs=None) -> None:
        if self.probe is not None:
            self.probe.close()

    def report(self) -> GradientReport:
        """The measurements so far as a ``GradientReport``; findings from the last window."""
        if self.probe is None:
            raise RuntimeError("GradientMonitor.report: the monitor has not been run by fit "
                               "yet; pass it in fit(..., callbacks=[monitor])")
        return self.probe.report(self.losses, trained=True, last=self.window)

    def plot(self, path) -> str:
        """Write a PNG of each layer's gradient norm over training."""
        from .plots import plot_gradient_norms

        return plot_gradient_norms(self.report(), path, steps=self.steps)
