"""Training checkpoints: a model's weights, or the whole state needed to resume a run.

A weights-only checkpoint is the model's flat ``state_dict`` in safetensors (PyTorch's
``safetensors.torch.load_file`` reads it). A full checkpoint nests ``model``,
``optimizer``, ``epoch``, random-generator states, the history and callback states
(schedulers among them), so ``fit(..., resume=path)`` continues exactly where the run
stopped. Either kind may carry a JSON ``config`` (how to rebuild the model).

>>> save_checkpoint("run.safetensors", model, opt, epoch=3, config={"model": "mlp"})
>>> info = load_checkpoint("run.safetensors", model, opt)
>>> info["epoch"], info["config"]
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..io import load, save

__all__ = ["check_state_dict", "load_checkpoint", "read_config", "save_checkpoint"]

#: Metadata key of the JSON config stored with a checkpoint.
CONFIG_KEY = "chainrule.config"
#: Metadata key that marks a full training checkpoint (its value: the format version).
FORMAT_KEY = "chainrule.checkpoint"
FORMAT = "1"


def _metadata(fname: str, metadata: dict | None, config: dict | None) -> dict[str, str]:
    meta = dict(metadata or {})
    if config is not None:
        if not isinstance(config, dict):
            raise TypeError(f"{fname}: config must be a dict, got {type(config).__name__}")
        try:
            meta[CONFIG_KEY] = json.dumps(config, sort_keys=True)
        except TypeError as e:
            raise TypeError(f"{fname}: config must be JSON data: {e}") from None
    return meta


def save_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    scheduler=None,
    *,
    epoch: int | None = None,
    config: dict | None = None,
    metadata: dict[str, str] | None = None,
    weights_only: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save ``model`` (and optimizer, scheduler, epoch, ``extra`` state) to ``path``."""
    path = Path(path)
    if not hasattr(model, "state_dict"):
        raise TypeError(f"save_checkpoint: model must be a Module, got {type(model).__name__}")
    meta = _metadata("save_checkpoint", metadata, config)
    if weights_only:
        save(model.state_dict(), path, metadata=meta)
        return path
    state: dict[str, Any] = {"model": model.state_dict()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if epoch is not None:
        state["epoch"] = int(epoch)
    state.update(extra or {})
    meta[FORMAT_KEY] = FORMAT
    save(state, path, metadata=meta)
    return path


def check_state_dict(model, state: dict, where: str) -> None:
    """Raise ValueError naming the missing, unexpected and mis-shaped keys, if any."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        for label, items in (("missing keys", missing), ("unexpected keys", unexpected),
                             ("shape mismatch (checkpoint vs model)", shapes)):
            if items:
                more = f" and {len(items) - 5} more" if len(items) > 5 else ""
                parts.append(f"{label} {', '.join(items[:5])}{more}")
        raise ValueError(f"{where}: {'; '.join(parts)}")


def _read(fname: str, path) -> tuple[dict, dict]:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fname}: path must be a str or a path, got {type(path).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"{fname}: no such checkpoint: {path}")
    try:
        obj, meta = load(path, return_metadata=True)
    except ValueError as e:
        raise ValueError(f"{fname}: {path} is not a readable safetensors checkpoint ({e})") \
            from None
    return obj, meta


def load_checkpoint(path: str | os.PathLike, model=None, optimizer=None, scheduler=None) -> dict:
    """Load a checkpoint into the objects given; returns its contents.

    The result holds ``model`` (the state dict), ``config`` (or None), ``metadata``,
    ``full`` (whether it is a full training checkpoint) and, when present, ``optimizer``,
    ``scheduler``, ``epoch`` and any extra state.
    """
    obj, meta = _read("load_checkpoint", path)
    full = meta.get(FORMAT_KEY) is not None
    info = dict(obj) if full else {"model": obj}
    info["full"] = full
    info["metadata"] = meta
    info["config"] = json.loads(meta[CONFIG_KEY]) if CONFIG_KEY in meta else None
    if model is not None:
        check_state_dict(model, info["model"], f"load_checkpoint: {path} does not fit the model")
        model.load_state_dict(info["model"])
    for name, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is None:
            continue
        if name not in info:
            raise ValueError(f"load_checkpoint: {path} holds no {name} state")
        target.load_state_dict(info[name])
    return info


def read_config(path: str | os.PathLike) -> dict | None:
    """The JSON config stored with a checkpoint, or None."""
    _, meta = _read("read_config", path)
    return json.loads(meta[CONFIG_KEY]) if CONFIG_KEY in meta else None
