"""``ProgressBar``: a tqdm bar per epoch on a terminal, one line per epoch elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .callbacks import Callback

__all__ = ["ProgressBar", "format_logs"]


def format_logs(logs: dict) -> str:
    """``loss 0.1234 - accuracy 0.9750 - val_loss ...``: logs as one short line."""
    parts = []
    for k, v in logs.items():
        if k == "lr":
            parts.append(f"lr {v:.3g}")
        elif isinstance(v, float):
            parts.append(f"{k} {v:.4f}")
    return " - ".join(parts)


def _wrap(text: str, width: int) -> list[str]:
    """Split ``a - b - c`` into lines of at most ``width`` characters at the `` - ``."""
    lines, line = [], ""
    for part in text.split(" - "):
        candidate = part if not line else f"{line} - {part}"
        if line and len(candidate) > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    return [*lines, line] if line else lines


class ProgressBar(Callback):
    """Show training progress: loss, metrics and samples per second.

    On a terminal (``file.isatty()``) and with tqdm installed, a bar per epoch, and at the
    epoch's end the epoch's metrics on a line of their own under it (as Keras does), so that
    an 80-column terminal never cuts off validation metrics; otherwise one line per epoch.
    ``verbose=2`` always prints lines; ``verbose=0`` prints nothing.
    """

    order = 100
    rank_zero_only = True

    def __init__(self, verbose: int = 1, file: TextIO | None = None) -> None:
        super().__init__()
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self.file = file
        self._bar = None

    def _out(self) -> TextIO:
        return self.file if self.file is not None else sys.stdout

    def _use_bar(self) -> bool:
        if self.verbose != 1:
            return False
        isatty = getattr(self._out(), "isatty", None)
        if not (isatty and isatty()):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._start = time.perf_counter()
        self._seen = 0
        self._loss_sum = 0.0
        if self._use_bar():
            from tqdm.auto import tqdm

            total = self.loop.num_samples
            self._bar = tqdm(total=total, desc=f"epoch {epoch + 1}/{self.loop.epochs}",
                             unit="sample", unit_scale=True, file=self._out(), leave=True,
                             dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None) -> None:
        n = logs["size"]
        self._seen += n
        self._loss_sum += logs["loss"] * n
        if self._bar is not None:
            self._bar.update(n)
            if batch % 10 == 0:
                self._bar.set_postfix_str(f"loss {self._loss_sum / self._seen:.4f}",
                                          refresh=False)

    def on_epoch_end(self, epoch, logs=None) -> None:
        seconds = time.perf_counter() - self._start
        rate = self._seen / seconds if seconds > 0 else float("inf")
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(f"loss {self._loss_sum / max(self._seen, 1):.4f}",
                                      refresh=True)
            self._bar.close()
            self._bar = None
            # The bar's postfix is cut to the terminal's width: the metrics get their own
            # line, wrapped at " - " so that every number stays visible at 80 columns.
            for line in _wrap(f"{text} - {rate:,.0f} samples/s - {seconds:.1f}s", 78):
                print(f"  {line}", file=self._out(), flush=True)
        elif self.verbose:
            width = len(str(self.loop.epochs))
            print(f"epoch {epoch + 1:>{width}}/{self.loop.epochs} - {text} - "
                  f"{rate:,.0f} samples/s - {seconds:.1f}s", file=self._out(), flush=True)

    def on_train_end(self, logs=None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
