"""``SummaryWriter``: PyTorch's ``torch.utils.tensorboard.SummaryWriter`` for chainrule."""

from __future__ import annotations

import itertools
import os
import socket
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from . import events as ev

__all__ = ["SummaryWriter"]

_counter = itertools.count()


def _number(fname: str, name: str, v) -> float:
    if hasattr(v, "item"):
        if getattr(v, "size", 1) != 1:
            raise ValueError(f"SummaryWriter.{fname}: {name} must be a single number, got an "
                             f"array of shape {tuple(v.shape)}")
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"SummaryWriter.{fname}: {name} must be a number, got "
                        f"{type(v).__name__}")
    return float(v)


def _array(v) -> np.ndarray:
    from ...tensor import Tensor

    return v.numpy() if isinstance(v, Tensor) else np.asarray(v)


class SummaryWriter:
    """Write TensorBoard event files into ``log_dir``, as PyTorch's SummaryWriter.

    The files are written by chainrule itself (TFRecords of hand-encoded Event protobufs,
    :mod:`chainrule.utils.tensorboard.events`); the ``tensorboard`` package is needed only
    to view them: ``tensorboard --logdir runs``.

    >>> with SummaryWriter("runs/exp1") as w:
    ...     for step in range(100):
    ...         w.add_scalar("loss/train", 1 / (step + 1), step)
    ...     w.add_histogram("weights", model[0].weight, 100)

    Args:
        log_dir: the directory (default ``runs/<date>_<host><comment>``).
        comment: appended to the default ``log_dir``.
        max_queue: events kept in memory before they are written.
        flush_secs: at most this many seconds between writes to disk.
        filename_suffix: appended to the event file's name.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.max_queue, self.flush_secs = int(max_queue), float(flush_secs)
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_counter)}{filename_suffix}")
        self.path = os.path.join(self.log_dir, name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - kept open until close()
        self._queue: list[bytes] = []
        self._last_flush = time.time()
        self._write(ev.event(time.time(), 0, file_version="brain.Event:2"))
        self.flush()

    def get_logdir(self) -> str:
        return self.log_dir

    # -- writing ------------------------------------------------------------------------

    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise ValueError("SummaryWriter: the writer is closed")
        self._queue.append(ev.record(event))
        if len(self._queue) >= self.max_queue or time.time() - self._last_flush > self.flush_secs:
            self.flush()

    def _summary(self, value: bytes, step, walltime) -> None:
        step = 0 if step is None else int(step)
        wall = time.time() if walltime is None else float(walltime)
        self._write(ev.event(wall, step, summary=ev.summary(value)))

    def flush(self) -> None:
        """Write the queued events to disk."""
        if self._file is None:
            return
        self._file.write(b"".join(self._queue))
        self._file.flush()
        self._queue.clear()
        self._last_flush = time.time()

    def close(self) -> None:
        """Flush and close the event file."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- summaries ----------------------------------------------------------------------

    def add_scalar(self, tag: str, scalar_value, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One number (a float, a NumPy scalar or a one-element Tensor) at ``global_step``."""
        value = _number("add_scalar", "scalar_value", scalar_value)
        self._summary(ev.summary_value(tag, simple_value=value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several scalars on one chart: each goes to the run ``log_dir/main_tag_tag``."""
        for tag, v in tag_scalar_dict.items():
            sub = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            writers = self.__dict__.setdefault("_sub_writers", {})
            if sub not in writers:
                writers[sub] = SummaryWriter(sub, max_queue=self.max_queue,
                                             flush_secs=self.flush_secs)
            writers[sub].add_scalar(main_tag, v, global_step, walltime)

    def add_histogram(self, tag: str, values, global_step: int | None = None,
                      bins: int | str = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """A histogram of ``values`` (a Tensor or array; non-finite values are left out).

        ``bins``: "tensorflow" (TensorFlow's default exponential buckets), or a number of
        equal-width bins.
        """
        a = _array(values)
        if not np.issubdtype(a.dtype, np.number):
            raise TypeError(f"SummaryWriter.add_histogram: values must be numeric, got "
                            f"{a.dtype}")
        if bins != "tensorflow" and (not isinstance(bins, int) or bins < 1):
            raise ValueError(f"SummaryWriter.add_histogram: bins must be 'tensorflow' or a "
                             f"positive int, got {bins!r}")
        self._summary(ev.summary_value(tag, histo=ev.histogram(a, bins)), global_step,
                      walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict,
                    hparam_domain_discrete: dict | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """A row of TensorBoard's HPARAMS tab: the hyperparameters and the metrics they gave.

        As PyTorch's, it writes into a sub-run ``log_dir/run_name`` (default: the time):
        the experiment and session summaries of the hparams plugin, then each metric as a
        scalar under its own tag.
        """
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("SummaryWriter.add_hparams: hparam_dict and metric_dict must be "
                            "dicts")
        hparams = {}
        for k, v in hparam_dict.items():
            if v is not None and not isinstance(v, (bool, int, float, str, np.number)):
                raise TypeError(f"SummaryWriter.add_hparams: hyperparameter {k!r} must be a "
                                f"number, a string or a bool, got {type(v).__name__}")
            hparams[k] = v.item() if isinstance(v, np.number) else v
        run = os.path.join(self.log_dir, run_name or str(time.time()))
        now = time.time()
        meta = {
            "_hparams_/experiment": ev.hparams_experiment(hparams, list(metric_dict), now),
            "_hparams_/session_start_info": ev.hparams_session_start(hparams, now),
            "_hparams_/session_end_info": ev.hparams_session_end(now),
        }
        with SummaryWriter(run) as w:
            for tag, content in meta.items():
                md = ev.plugin_metadata("hparams", content)
                w._summary(ev.summary_value(tag, metadata=md), 0, now)
            for tag, v in metric_dict.items():
                w.add_scalar(tag, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The model's graph for TensorBoard's GRAPHS tab, from its ONNX export
        (:func:`chainrule.onnx.export`; needs the ``onnx`` package): one node per ONNX
        operator, grouped by module."""
        from ...onnx import export

        if input_to_model is None:
            raise ValueError("SummaryWriter.add_graph: pass an example input_to_model")
        proto = export(model, input_to_model, None, dynamic_batch=False)
        self._write(ev.event(time.time(), 0, graph_def=ev.graph_def(_graph_nodes(proto))))


def _graph_nodes(proto) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """(name, op, inputs, attrs) of TensorBoard nodes for an ONNX graph: module scopes
    (``layers.0.linear1``) become name scopes (``layers/0/linear1``)."""
    g = proto.graph
    producer: dict[str, str] = {}
    nodes = []
    for i in g.input:
        producer[i.name] = i.name
        shape = [d.dim_param or str(d.dim_value) for d in i.type.tensor_type.shape.dim]
        nodes.append((i.name, "Input", [], {"shape": "x".join(shape)}))
    for init in g.initializer:
        name = init.name.replace(".", "/")
        producer[init.name] = name
        nodes.append((name, "Parameter", [], {"shape": "x".join(map(str, init.dims))}))
    for n in g.node:
        name = n.name.replace(".", "/")
        if "_" in name:
            scope, _, op = name.rpartition("_")
            name = f"{scope}/{op}" if op == n.op_type else name
        for o in n.output:
            producer[o] = name
        nodes.append((name, n.op_type, [producer.get(i, i) for i in n.input if i], {}))
    return nodes
