"""One page's training run: the data, the network, the optimizer, and what the page draws.

A ``Session`` is driven by the server's event stream: ``train_step`` runs one mini-batch,
``snapshot`` measures what the page shows (losses, heatmap, neuron outputs, weights,
gradients, the gradient report's findings); with ``es`` set in the config, ``session.es``
(``evolution.EvolutionRun``) trains a copy of the network by an evolution strategy, one
generation per ``train_step``. Every method that touches the model is called
with ``session.lock`` held.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import threading
import time

import numpy as np

from . import data
from .config import ACTIVATIONS, optimizers

HEATMAP = 50  # cells per side of the output heatmap
THUMB = 16  # cells per side of a neuron's thumbnail
HISTORY = 2000  # loss-curve points kept (older ones are thinned out)
REPORT_WINDOW = 20  # steps of gradient statistics the findings are judged on
LOSS_SMOOTHING = 0.1  # weight of the newest mini-batch loss in the running mean


def _round(a: np.ndarray, digits: int = 4) -> list:
    """``a`` rounded, as nested lists, with None for NaN and infinities (which JSON lacks)."""
    r = np.round(np.asarray(a, dtype=np.float64), digits)
    finite = np.isfinite(r)
    if not finite.all():
        r = r.astype(object)
        r[~finite] = None
    return r.tolist()


def _num(v):
    """A float for JSON: None for NaN and infinities."""
    return None if v is None or not math.isfinite(v) else float(v)


def _record(history: list, epoch: int, train_loss: float, test_loss: float) -> list:
    """``history`` with the point [epoch, train loss, test loss] added, or replacing the last
    one of the same epoch; beyond HISTORY points the older half is thinned out."""
    if history and history[-1][0] == epoch:
        history[-1] = [epoch, train_loss, test_loss]
        return history
    history.append([epoch, train_loss, test_loss])
    if len(history) > HISTORY:  # keep every other old point
        history = history[:HISTORY // 2:2] + history[HISTORY // 2:]
    return history


class Session:
    """The state of one page: config, data, model, optimizer and training progress."""

    def __init__(self, config: dict, csv_store: dict | None = None):
        self.config = config
        self.lock = threading.RLock()
        self.wake = threading.Condition(self.lock)  # play/step/reset wake the stream
        self.playing = False
        self.pending_epochs = 0  # epochs asked for by "step"
        self.stream = 0  # the id of the event stream that drives this session
        self.changed = True  # something the page has not seen yet
        self._load_data(csv_store or {})
        self.reset()

    # -- setup -----------------------------------------------------------------------

    def _load_data(self, csv_store: dict) -> None:
        c = self.config
        if c["dataset"].startswith("csv:"):
            up = csv_store[c["dataset"][4:]]
            points, labels = up["points"], up["labels"]
            self.task, self.classes = up["task"], up["classes"]
            if c["noise"]:  # uploaded points get the same jitter as the built-in sets
                g = np.random.default_rng(c["seed"] + 2)
                points = points + g.uniform(-1, 1, points.shape) * c["noise"] / 100 * 2
        else:
            _, self.task, _, multi = data.DATASETS[c["dataset"]]
            self.classes = (c["classes"] if multi else 2) if self.task == "classification" \
                else 1
            points, labels = data.generate(c["dataset"], c["noise"] / 100, c["seed"],
                                           self.classes)
        train, test = data.split(len(points), c["ratio"] / 100, c["seed"])
        self.points = {"train": points[train], "test": points[test]}
        self.labels = {"train": labels[train], "test": labels[test]}
        self.inputs = {k: data.features(v, c["features"]) for k, v in self.points.items()}
        self.grid = data.features(data.grid(HEATMAP), c["features"])
        self.thumb_grid = data.features(data.grid(THUMB), c["features"])

    def _build(self):
        from .. import nn
        from ..random import Generator

        c = self.config
        g = Generator(c["seed"])
        mods, width = [], len(c["features"])
        for layer in c["layers"]:
            mods.append(nn.Linear(width, layer["units"], generator=g))
            mods.append(getattr(nn, ACTIVATIONS[layer.get("act", c["act"])])())
            if layer.get("dropout"):
                mods.append(nn.Dropout(layer["dropout"], generator=Generator(c["seed"] + 7)))
            width = layer["units"]
        mods.append(nn.Linear(width, self.classes if self.task == "classification" else 1,
                              generator=g))
        return nn.Sequential(*mods)

    def reset(self) -> None:
        """A fresh network with the config's seed: epoch 0, no history."""
        from .. import nn, optim
        from ..diagnose import Probe

        c = self.config
        self.model = self._build()
        self.linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self.optimizer = optimizers()[c["opt"]](self.model.parameters(), lr=c["lr"])
        self.scheduler = {
            "none": lambda: None,
            "step": lambda: optim.lr_scheduler.StepLR(self.optimizer, 50, gamma=0.5),
            "exp": lambda: optim.lr_scheduler.ExponentialLR(self.optimizer, 0.99),
            "cosine": lambda: optim.lr_scheduler.CosineAnnealingLR(
                self.optimizer, T_max=c["epochs"] or 100),
        }[c["sched"]]()
        self.loss_fn = nn.CrossEntropyLoss() if self.task == "classification" else \
            nn.MSELoss()
        if hasattr(self, "probe"):
            self.probe.close()
        self.probe = Probe(self.model)
        self.batch_losses: list[float] = []  # running mean of the mini-batch losses
        self.findings: list[dict] = []
        self.rng = np.random.default_rng(c["seed"] + 3)  # the batch order
        self.epoch = 0
        self.step_count = 0
        self.order = None
        self.cursor = 0
        self.history: list[list[float]] = []  # [epoch, train loss, test loss]
        self.finished = False
        self.playing = False
        self.pending_epochs = 0
        self.train_time = 0.0
        if self.config["es"] != "off":
            from .evolution import EvolutionRun

            self.es = EvolutionRun(self)  # the same initial weights, trained by an ES
        else:
            self.es = None
        self.changed = True

    # -- training --------------------------------------------------------------------

    def _targets(self, y):
        from ..creation import tensor

        return tensor(self._target_values(y))

    def _target_values(self, y) -> np.ndarray:
        """Labels as the loss takes them: class indices, or a column of float32 values."""
        if self.task == "classification":
            return np.asarray(y, np.int64)
        return np.asarray(y, np.float32).reshape(-1, 1)

    def _target_array(self, split: str) -> np.ndarray:
        return self._target_values(self.labels[split])

    def _penalty(self, loss):
        """L1 and L2 regularisation of the weights (not the biases), as TF Playground:
        l1 * sum |W| + l2 * sum W^2 / 2."""
        c = self.config
        for m in self.linears:
            if c["l1"]:
                loss = loss + c["l1"] * m.weight.abs().sum()
            if c["l2"]:
                loss = loss + (c["l2"] / 2) * (m.weight * m.weight).sum()
        return loss

    def train_step(self) -> bool:
        """One mini-batch of SGD (or the chosen optimizer). Returns True when it completed
        an epoch."""
        t0 = time.perf_counter()
        n = len(self.inputs["train"])
        if self.order is None:
            self.order = self.rng.permutation(n)
            self.cursor = 0
        idx = self.order[self.cursor:self.cursor + self.config["batch"]]
        self.cursor += len(idx)
        self.model.train()
        self.optimizer.zero_grad()
        # A diverging run (lr 100) is something to watch, not to warn about: its NaN
        # losses and gradients show on the page and in the findings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._step(idx)
        self.step_count += 1
        end = self.cursor >= n
        if end:
            self.order = None
            self.epoch += 1
            if self.scheduler is not None:
                self.scheduler.step()
            if self.config["epochs"] and self.epoch >= self.config["epochs"]:
                self.finished = True
                self.playing = False
        self.train_time += time.perf_counter() - t0
        if self.es is not None:  # one generation per batch: the two runs advance together
            self.es.step()  # (timed on its own: train_seconds stays backprop's)
        self.changed = True
        return end

    def _step(self, idx) -> None:
        from ..creation import tensor

        loss = self.loss_fn(self.model(tensor(self.inputs["train"][idx])),
                            self._targets(self.labels["train"][idx]))
        # The findings compare the first and last loss of a window: a running mean, since
        # single batches of 10 points swing 10x and read as an exploding loss.
        value = float(loss.item())
        prev = self.batch_losses[-1] if self.batch_losses else value
        self.batch_losses.append(value if not math.isfinite(prev + value) else
                                 (1 - LOSS_SMOOTHING) * prev + LOSS_SMOOTHING * value)
        self._penalty(loss).backward()
        self.probe.gradients()
        self.probe.activations()
        self.probe.snapshot()
        self.optimizer.step()
        self.probe.updates()

    def train_epoch(self) -> None:
        """Train until the current epoch ends."""
        while not self.train_step():
            pass

    def _update_findings(self) -> None:
        """Judge the last REPORT_WINDOW steps with ``diagnose``; keep each new finding."""
        if not self.batch_losses:
            return
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            report = self.probe.report(self.batch_losses, True, last=REPORT_WINDOW)
        known = {(f["kind"], f["layer"]) for f in self.findings}
        for f in report.findings:
            if (f.kind, f.layer) not in known:
                self.findings.append({"kind": f.kind, "layer": f.layer, "module": f.module,
                                      "message": f.message, "epoch": self.epoch,
                                      "step": self.step_count})
        # the findings look at a recent window only: drop older measurements
        for s in self.probe.layers.values():
            for series in (s.grad_norm, s.mean_abs_grad, s.weight_norm, s.update_ratio,
                           s.dead_fraction, s.saturated_fraction):
                del series[:-REPORT_WINDOW]
        del self.batch_losses[:-REPORT_WINDOW]

    # -- what the page draws ---------------------------------------------------------

    def _forward_layers(self, x: np.ndarray, model=None) -> list[np.ndarray]:
        """The output of each hidden layer (after its activation) and of the network
        (``model``: backprop's by default), in eval mode."""
        from ..autograd import no_grad
        from ..creation import tensor

        model = self.model if model is None else model
        outs = []
        was_training = model.training
        model.eval()
        with no_grad():
            h = tensor(x)
            for m in model:
                h = m(h)
                if type(m).__name__ not in ("Linear", "Dropout"):  # after an activation
                    outs.append(h.numpy())
            outs.append(h.numpy())
        model.train(was_training)
        return outs

    def _output_map(self, out: np.ndarray) -> dict:
        """The network's output as the page colours it: for two classes p(1) - p(0) in
        [-1, 1]; for more, the winning class and its probability; for regression the value."""
        if self.task == "regression":
            return {"value": out[:, 0]}
        z = out - out.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        if self.classes == 2:
            return {"value": p[:, 1] - p[:, 0]}
        return {"value": p.max(axis=1), "class": p.argmax(axis=1)}

    def _metrics(self, split: str, model=None) -> tuple[float, float | None]:
        out = self._forward_layers(self.inputs[split], model)[-1]
        y = self.labels[split]
        if self.task == "regression":
            return float(np.mean((out[:, 0] - y) ** 2)), None
        z = out - out.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = float(-logp[np.arange(len(y)), y].mean())
        return loss, float((out.argmax(axis=1) == y).mean())

    def snapshot(self, full_history: bool = False) -> dict:
        """Everything the page draws for the current weights (JSON-ready); the loss curve's
        last point, or all of it with ``full_history``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._snapshot(full_history)

    def _snapshot(self, full_history: bool) -> dict:
        train_loss, train_acc = self._metrics("train")
        test_loss, test_acc = self._metrics("test")
        self.history = _record(self.history, self.epoch, train_loss, test_loss)
        self._update_findings()
        heat = self._forward_layers(self.grid)[-1]
        thumbs = self._forward_layers(self.thumb_grid)
        omap = {k: _round(v, 3 if k == "value" else 0) for k, v in
                self._output_map(heat).items()}
        grads = []
        for s in self.probe.layers.values():
            if s.kind == "Linear":
                grads.append({"layer": s.name,
                              "norm": _num(s.grad_norm[-1]) if s.grad_norm else None,
                              "mean_abs": _num(s.mean_abs_grad[-1]) if s.mean_abs_grad
                              else None})
        lr = self.optimizer.param_groups[0]["lr"]
        return {
            "epoch": self.epoch, "step": self.step_count, "finished": self.finished,
            "playing": self.playing, "lr": lr,
            # backprop's cost: one forward and one backward pass per mini-batch
            "forward_passes": self.step_count, "backward_passes": self.step_count,
            "train_loss": _num(train_loss), "test_loss": _num(test_loss),
            "train_accuracy": _num(train_acc), "test_accuracy": _num(test_acc),
            "history": [[e, _num(a), _num(b)] for e, a, b in
                        (self.history if full_history else self.history[-1:])],
            "heatmap": {"size": HEATMAP, **omap},
            "neurons": {"size": THUMB,
                        "layers": [[_round(h[:, j], 3) for j in range(h.shape[1])]
                                   for h in thumbs[:-1]]},
            "weights": [_round(m.weight.numpy()) for m in self.linears],
            "biases": [_round(m.bias.numpy()) for m in self.linears],
            "weight_grads": [None if m.weight.grad is None else _round(m.weight.grad.numpy(), 6)
                             for m in self.linears],
            "grad_norms": grads,
            "findings": self.findings,
            "train_seconds": round(self.train_time, 3),
        }

    def dataset(self) -> dict:
        """The training and test points and their labels (sent once per stream)."""
        return {
            "task": self.task, "classes": self.classes, "features": self.config["features"],
            "domain": data.DOMAIN,
            **{f"{k}_points": _round(v, 3) for k, v in self.points.items()},
            **{f"{k}_labels": (v.tolist() if self.task == "classification" else _round(v, 3))
               for k, v in self.labels.items()},
            "inputs": {"size": THUMB, "maps": [_round(self.thumb_grid[:, j], 3)
                                               for j in range(self.thumb_grid.shape[1])]},
        }

    # -- step-by-step backward pass and export ----------------------------------------

    def explain(self, example: int) -> dict:
        """The backward pass for one training example, step by step (``diagnose.explain``),
        on the data loss (without L1/L2), with dropout off."""
        from ..creation import tensor
        from ..diagnose import explain

        n = len(self.inputs["train"])
        if not 0 <= example < n:
            raise IndexError(f"explain: example must be in 0..{n - 1}, got {example}")
        names = dict(self.model.named_parameters())
        hidden = {}
        handles = []
        for i, m in enumerate(self.model):
            def hook(module, args, out, i=i):
                hidden[i] = out
            handles.append(m.register_forward_hook(hook))
        self.model.eval()
        try:
            x = tensor(self.inputs["train"][example:example + 1])
            loss = self.loss_fn(self.model(x), self._targets(self.labels["train"][example:
                                                                                  example + 1]))
        finally:
            for h in handles:
                h.remove()
            self.model.train()
        names["x"] = x
        module_layer = {}
        layer = 0
        for i, m in enumerate(self.model):
            kind = type(m).__name__
            if kind == "Linear":
                layer += 1
                names[f"z{layer}"] = hidden[i]
            elif kind != "Dropout":
                names[f"a{layer}"] = hidden[i]
            module_layer[i] = layer
        text = io.StringIO()
        steps = explain(loss, names=names, file=text)
        linear_of = {id(m.weight): j + 1 for j, m in enumerate(self.linears)}
        out = []
        for s in steps:
            lay = next((linear_of[id(t)] for t in s.inputs if id(t) in linear_of), None)
            if lay is None:
                lay = next((int(nm[1:]) for nm in s.output_names
                            if nm[:1] in "za" and nm[1:].isdigit()), None)
            out.append({
                "index": s.index, "op": s.node.name, "inputs": s.input_names,
                "outputs": s.output_names, "layer": lay,
                "upstream": [_round(u, 6) for u in s.upstream],
                "local": [None if v is None else _round(v, 6) for v in s.local],
                "downstream": [None if d is None else _round(d, 6) for d in s.downstream],
            })
        return {"example": example, "point": _round(self.points["train"][example], 3),
                "label": self.labels["train"][example].item(),
                "loss": float(loss.item()), "text": text.getvalue(), "steps": out}

    def export_safetensors(self) -> bytes:
        """The trained weights as a safetensors file (``model.state_dict()`` keys)."""
        from ..io import save

        fd, path = tempfile.mkstemp(suffix=".safetensors")
        os.close(fd)
        try:
            save(self.model.state_dict(), path, metadata={"playground": self.query})
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.unlink(path)

    def export_python(self) -> str:
        """Python that builds this network, loads the exported weights and predicts."""
        c = self.config
        lines = []
        for m in self.model:
            kind = type(m).__name__
            if kind == "Linear":
                lines.append(f"    nn.Linear({m.in_features}, {m.out_features}),")
            elif kind == "Dropout":
                lines.append(f"    nn.Dropout({m.p}),")
            else:
                lines.append(f"    nn.{kind}(),")
        feats = "\n".join(f"        {data.FEATURES[f][0]},  # {f}" for f in c["features"])
        predict = ("model(features(points)).argmax(dim=1)" if self.task == "classification"
                   else "model(features(points))[:, 0]")
        return f'''"""A network trained in the chainrule playground.

Setup: {self.query}
Trained {self.epoch} epochs; final train loss {self.history[-1][1] if self.history else "-"}.
"""
import numpy as np

import chainrule as cr
import chainrule.nn as nn

model = nn.Sequential(
{chr(10).join(lines)}
)
model.load_state_dict(cr.load("model.safetensors"))
model.eval()


def features(points):
    """The network's inputs for points (n, 2) in the playground's [-6, 6] square."""
    x, y = points[:, 0], points[:, 1]
    return cr.tensor(np.stack([
{feats}
    ], axis=1).astype(np.float32))


points = np.array([[1.0, 2.0], [-3.0, 0.5]])
with cr.no_grad():
    print({predict}.numpy().tolist())
'''

    @property
    def query(self) -> str:
        from .config import to_query

        return to_query(self.config)

