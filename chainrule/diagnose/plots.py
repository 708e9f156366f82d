"""Pictures of gradient flow (matplotlib, an optional extra)."""

from __future__ import annotations

import os

import numpy as np


def _pyplot(fname):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError(
            f"{fname}: plotting needs matplotlib: pip install chainrule[train]"
        ) from None
    return plt


def check_path(fname, path, exts=None):
    """``path`` as a string if a file can be written there, else a clear error."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fname}: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if exts is not None and os.path.splitext(path)[1].lower() not in exts:
        raise ValueError(f"{fname}: unsupported file type {os.path.splitext(path)[1]!r} for "
                         f"{path}; use {', '.join(exts)}")
    if os.path.isdir(path):
        raise OSError(f"{fname}: cannot write {path}: it is a folder")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OSError(f"{fname}: cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OSError(f"{fname}: cannot write {path}: folder {folder} is not writable")
    return path


def _measured(fname, report):
    from .report import GradientReport

    if not isinstance(report, GradientReport):
        raise TypeError(f"{fname}: expected a GradientReport (from gradient_report or "
                        f"GradientMonitor.report()), got {type(report).__name__}")
    layers = [s for s in report.layers if s.grad_norm]
    if not layers:
        raise ValueError(f"{fname}: the report holds no gradient measurements (did the loss "
                         f"become NaN at the first step?)")
    return layers


# Log scales cannot show 0: an exactly-zero gradient is drawn at this floor.
_FLOOR = 1e-30


def _save(fig, plt, path):
    from ..io.atomic import atomic_write

    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110), "plot")
    plt.close(fig)
    return path


def plot_gradient_flow(report, path) -> str:
    """Bar chart of each layer's gradient norm and mean |grad| (median over the steps, log
    scale), input side on the left: a vanishing gradient shows as bars falling towards the
    input. Writes a PNG; returns the path."""
    layers = _measured("plot_gradient_flow", report)
    path = check_path("plot_gradient_flow", path)
    plt = _pyplot("plot_gradient_flow")
    names = [s.name for s in layers]
    mean = [max(float(np.median(s.mean_abs_grad)), _FLOOR) for s in layers]
    norm = [max(float(np.median(s.grad_norm)), _FLOOR) for s in layers]
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(names) + 2), 4))
    x = np.arange(len(names))
    ax.bar(x - 0.2, norm, 0.4, label="gradient norm")
    ax.bar(x + 0.2, mean, 0.4, label="mean |grad|")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=45, ha="right")
    ax.set_ylabel("gradient (log scale)")
    ax.set_title("gradient flow by layer (input side on the left)")
    # Outside the axes: inside, it covered the bars of small models whatever corner it took.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, fontsize=8,
              frameon=False)
    fig.tight_layout()
    return _save(fig, plt, path)


def plot_gradient_norms(report, path, steps=None) -> str:
    """Each layer's gradient norm over the measured steps (log scale) as a PNG; returns the
    path. ``steps`` gives the step number of each measurement (1, 2, ... when None)."""
    layers = _measured("plot_gradient_norms", report)
    path = check_path("plot_gradient_norms", path)
    plt = _pyplot("plot_gradient_norms")
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 4))
    # One colour per depth, input side dark: a vanishing gradient reads as a dark-to-light
    # ladder.
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(layers)))
    for s, c in zip(layers, colors):
        xs = list(steps)[-len(s.grad_norm):] if steps else range(1, len(s.grad_norm) + 1)
        ax.plot(list(xs), [max(v, _FLOOR) for v in s.grad_norm], label=s.name, color=c)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title("gradient norms during training")
    ax.legend(title="layer", fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5),
              ncol=1 + len(layers) // 16)
    fig.tight_layout()
    return _save(fig, plt, path)
