"""``Optimizer``: parameter groups, lazily created per-parameter state, and state_dict.

Each algorithm subclasses ``Optimizer``, checks its hyperparameters in ``_check_group`` and
updates one parameter in ``_update`` by calling a plain function on arrays (``sgd``,
``adam``...), so the math can be read, tested and reused without the class.

State arrays live in ``optimizer.state[param]`` as backend arrays (NumPy, or CuPy on a
GPU) of the parameter's dtype; ``state["step"]`` is a Python int. ``state_dict()`` wraps
the arrays in ``Tensor`` (sharing memory, as PyTorch's does) so ``cr.save`` can write it;
``load_state_dict()`` copies them back, cast to each parameter's dtype and device.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..backend import get_array_module, to_device
from ..tensor import Tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


#: Group keys any optimizer may carry besides its own hyperparameters (schedulers add
#: ``initial_lr``; PyTorch's state dicts carry its flags).
_GROUP_EXTRAS = frozenset({"params", "lr", "initial_lr", "foreach", "fused", "differentiable",
                           "capturable", "maximize", "decoupled_weight_decay"})

class Optimizer:
    """Base class of the optimizers: holds ``param_groups`` and per-parameter ``state``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) that each hold
    ``"params"`` and any per-group options overriding ``defaults``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._check_group(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of tensors or of dicts, got a "
                f"single Tensor; wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{self._name}: params must be an ordered collection, got a set (its order "
                f"changes between runs); use a list"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{self._name}: params must be an iterable of tensors or of dicts, got "
                f"{type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- what each algorithm provides -----------------------------------------------------

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid hyperparameter in ``group``."""

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update one parameter in place from its gradient."""
        raise NotImplementedError

    def _scratch(self, p):
        """An uninitialised array of array ``p``'s shape and dtype that an update may
        overwrite: a view of one buffer reused across parameters and steps, so that a step
        allocates nothing (the largest parameter's size, per dtype)."""
        buffers = self.__dict__.setdefault("_scratch_buffers", {})
        xp = get_array_module(p)
        key = (p.dtype, xp.__name__)
        buf = buffers.get(key)
        if buf is None or buf.size < p.size:
            buf = buffers[key] = xp.empty(p.size, p.dtype)
        return buf[: p.size].reshape(p.shape)

    # -- parameter groups -----------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones take ``defaults``).

        >>> opt.add_param_group({"params": head.parameters(), "lr": 1e-2})
        """
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{self._name}: a parameter group must be a dict, got "
                f"{type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{self._name}: a group's params must be an ordered collection, got a set; "
                f"use a list"
            )
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name}: can only optimize Tensors, but params[{i}] is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: can't optimize a non-leaf Tensor (params[{i}] is the "
                    f"output of {p.creator.name}); use a leaf such as a Parameter"
                )
            if p.array.dtype.kind != "f":
                raise TypeError(
                    f"{self._name}: can only optimize floating-point tensors, but params[{i}] "
                    f"has dtype {p.dtype}"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{self._name}: a parameter group contains the same parameter twice")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(
                f"{self._name}: some parameters appear in more than one parameter group"
            )
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    # -- the step -------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (the default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.creator is not None:
                        p.grad = p.grad.detach()
                    p.grad.array[...] = 0
                    p.grad._version += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad enabled).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.shape != p.shape:
                    raise ValueError(
                        f"{self._name}: a gradient of shape {tuple(g.shape)} does not match its "
                        f"parameter of shape {tuple(p.shape)}"
                    )
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p, state, group)
                p._version += 1
        return loss

    # -- saving and loading ---------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, parameters replaced by their indices.

        ``{"state": {index: {"step": int, "exp_avg": Tensor, ...}},
        "param_groups": [{"lr": ..., "params": [indices]}]}``. The Tensors share memory
        with the optimizer's state, as in PyTorch; copy them to keep a snapshot.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = ids
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {
                        k: Tensor(v) if _is_array(v) else v for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (chainrule's, or PyTorch's converted to arrays/Tensors)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = type(state_dict).__name__
            if isinstance(state_dict, dict):
                got += f" with keys {sorted(map(str, state_dict))}"
            raise ValueError(
                f"{self._name}: load_state_dict expects a dict with 'state' and 'param_groups', "
                f"got {got}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name}: the loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        for saved in saved_groups:
            # Another optimizer's state (SGD's into Adam) has hyperparameters this one does
            # not know and lacks some it needs: refuse it here, not as a KeyError in step().
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{self._name}: load_state_dict: each parameter group must be "
                                 f"a dict with 'params', got {str(saved)[:80]}")
            foreign = sorted(set(saved) - set(self.defaults) - _GROUP_EXTRAS)
            lacking = sorted(set(self.defaults) - set(saved))
            if foreign and lacking:
                raise ValueError(
                    f"{self._name}: load_state_dict: the state dict was saved by another kind "
                    f"of optimizer: its groups have {foreign} but not {lacking}")
        params_by_index: dict[Any, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{self._name}: loaded parameter group {i} has {len(saved['params'])} "
                    f"parameters, the optimizer's has {len(group['params'])}"
                )
            params_by_index.update(zip(saved["params"], group["params"]))
        state: dict[Tensor, dict[str, Any]] = {}
        for k, values in state_dict["state"].items():
            if k not in params_by_index:
                raise ValueError(
                    f"{self._name}: the loaded state refers to parameter {k!r}, which no "
                    f"parameter group lists"
                )
            p = params_by_index[k]
            state[p] = {name: _load_value(self, name, v, p) for name, v in values.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: v for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            self._check_group(new)
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _is_array(v) -> bool:
    return isinstance(v, np.ndarray) or get_array_module(v) is not np


def _load_value(opt: Optimizer, name: str, v, p: Tensor):
    """A saved state value as the optimizer keeps it: arrays on p's device in p's dtype."""
    if name == "step":
        v = float(v.item() if hasattr(v, "item") else v)
        return int(v) if v.is_integer() else v
    if isinstance(v, Tensor):
        v = v.array
    if not hasattr(v, "shape"):
        return v
    if get_array_module(v) is np:
        v = np.asarray(v)  # also converts other libraries' CPU tensors
    a = get_array_module(p.array).array(to_device(v, p.device), dtype=p.dtype)
    if a.shape != p.shape:
        raise ValueError(
            f"{opt._name}.load_state_dict: state {name!r} has shape {tuple(a.shape)}, its "
            f"parameter has shape {tuple(p.shape)}"
        )
    return a


# -- hyperparameter checks shared by the algorithms --------------------------------------


def check_number(
    opt: Optimizer,
    arg: str,
    value,
    low: float = 0.0,
    high: float | None = None,
    high_open: bool = False,
    what: str | None = None,
) -> None:
    """Raise unless ``low <= value <= high`` (``< high`` when ``high_open``)."""
    what = what or arg
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{opt._name}: {what} must be a number, got {value!r}")
    ok = value >= low and (
        high is None or (value < high if high_open else value <= high)
    )
    if not ok:
        if high is None:
            rule = f"{arg} must be >= {low:g}"
        else:
            rule = f"{arg} must be in [{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{opt._name}: invalid {what} {value!r} ({rule})")


def check_lr(opt: Optimizer, group: dict[str, Any]) -> None:
    """Check ``group["lr"]`` and ``group["weight_decay"]`` (both >= 0)."""
    check_number(opt, "lr", group["lr"], what="learning rate")
    check_number(opt, "weight_decay", group["weight_decay"], what="weight_decay value")


# -- a piece of math shared by the algorithms ---------------------------------------------


def grad_with_decay(p, g, weight_decay: float, maximize: bool):
    """The gradient the update uses: ``-g`` when maximizing, plus ``weight_decay * p``.

    Returns ``g`` itself when neither applies, else one new array (``g`` is never changed).
    """
    if weight_decay != 0:
        d = p * weight_decay
        if maximize:
            d -= g
        else:
            d += g
        return d
    return -g if maximize else g
