"""``History``: what ``fit`` returns, the per-epoch logs, and their plot."""

from __future__ import annotations

import os
from pathlib import Path

from .callbacks import Callback

__all__ = ["History"]


class History(Callback):
    """Per-epoch logs of a training run, like Keras' ``History``.

    ``history.history`` maps each logged quantity (``loss``, ``val_loss``, ``accuracy``,
    ``lr``...) to its list of per-epoch values; ``history.epoch`` lists the epoch indices.

    >>> h = fit(model, loss, opt, (X, y), epochs=5, validation_split=0.2)
    >>> h.history["val_loss"][-1]
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            # a key that appears late is padded so every list lines up with ``epoch``
            self.history.setdefault(k, [float("nan")] * (len(self.epoch) - 1)).append(v)
        for values in self.history.values():
            if len(values) < len(self.epoch):
                values.append(float("nan"))

    def state_dict(self) -> dict:
        """The logs as plain data (saved in training checkpoints)."""
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in
                                                       self.history.items()}}

    def load_state_dict(self, state: dict) -> None:
        """Continue the logs of a saved run."""
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def plot(self, path: str | os.PathLike, keys: list[str] | None = None) -> Path:
        """Write a PNG of the training (and validation) curves to ``path``; returns it.

        One panel per quantity (``loss``, then each metric), training and validation on
        the same axes. Needs matplotlib (``pip install chainrule[train]``).
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError(
                "History.plot needs matplotlib: pip install chainrule[train]"
            ) from None
        if not self.history:
            raise ValueError("History.plot: nothing to plot, no epoch has been logged")
        names = [k for k in self.history if not k.startswith("val_")]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        if keys is not None:
            unknown = [k for k in keys if k not in names]
            if unknown:
                raise ValueError(f"History.plot: unknown keys {unknown}; logged: {names}")
            names = list(keys)
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(f"History.plot: directory {path.parent} does not exist")
        fig = Figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        epochs = [e + 1 for e in self.epoch]
        for ax, name in zip(axes, names):
            has_val = "val_" + name in self.history
            for key, label in ((name, "training" if has_val else name),
                               ("val_" + name, "validation")):
                if key in self.history:
                    ax.plot(epochs, self.history[key], marker="o" if len(epochs) < 30 else None,
                            markersize=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            if name in ("loss", "lr"):
                values = [v for k in (name, "val_" + name) for v in self.history.get(k, [])]
                if values and min(values) > 0 and max(values) / min(values) > 20:
                    ax.set_yscale("log")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.savefig(path, dpi=100)
        return path
