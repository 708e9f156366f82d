"""``Module``: the base of every layer and model, with PyTorch's registration rules."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..backend import to_dtype
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


# Bumped whenever a module gains or loses a child, a hook or an instance-level forward
# anywhere: Sequential keeps the chain of its children's array functions (see
# Module._array_function) until it changes.
_structure = [0]


def _changed() -> None:
    _structure[0] += 1


class _Handle:
    def __init__(self, registry: dict, key: int):
        self.registry, self.key = registry, key

    def remove(self) -> None:
        self.registry.pop(self.key, None)
        _changed()


class Module:
    """Base class of layers and models.

    Assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
    ``parameters()``, ``state_dict()`` and ``train()``/``eval()`` find it; tensors that are
    state but not trained (BatchNorm's running statistics) are registered with
    ``register_buffer``. Subclasses define ``forward``; call the module, not ``forward``.

    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["training"] = True

    # -- registration ------------------------------------------------------------------

    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._check_init()
            self._discard(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_init()
            self._discard(name)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter "
                    f"'{name}' (use nn.Parameter or None)"
                )
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to buffer "
                    f"'{name}' (use a Tensor or None)"
                )
            self._buffers[name] = value
        elif "_modules" in self.__dict__ and name in self._modules and value is None:
            _changed()
            self._modules[name] = None
        else:
            if name == "forward":  # an instance-level override: array chains must see it
                _changed()
            object.__setattr__(self, name, value)

    def _discard(self, name):
        _changed()
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            r = d.get(registry)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        _changed()
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        self._check_init()
        _check_name(self, "register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: '{name}' must be a Parameter or "
                f"None, got {type(param).__name__}"
            )
        self._discard(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not trained (saved in ``state_dict`` unless
        ``persistent=False``)."""
        self._check_init()
        _check_name(self, "register_buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor or None, "
                f"got {type(tensor).__name__}"
            )
        self._discard(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name``."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: '{name}' must be a Module, got "
                f"{type(module).__name__}"
            )
        _check_name(self, "add_module", name)
        self._discard(name)
        self._modules[name] = module

    register_module = add_module

    # -- calling -----------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                r = hook(self, args, out)
                if r is not None:
                    out = r
        return out

    def _array_forward(self) -> Callable | None:
        """A function that does this module's forward on a bare array, or None.

        ``Sequential`` chains these under ``no_grad`` (no graph, no anomaly checks) to skip
        wrapping every intermediate result in a Tensor: for small inputs (batch-1
        inference) that wrapping is a large share of the time. A layer returns one only
        when its ``forward`` is the one the function mirrors (not a subclass's override);
        callers go through ``_array_function``, which checks the rest.
        """
        return None

    def _array_function(self) -> Callable | None:
        """``_array_forward()``, unless calling the module would run something else: an
        instance-level ``forward`` or a forward (pre-)hook. The one gate of the no-graph
        array path: what it returns must give exactly what ``self(x)`` gives."""
        if "forward" in self.__dict__ or self._forward_pre_hooks or self._forward_hooks:
            return None
        return self._array_forward()

    def register_forward_hook(self, hook: Callable) -> _Handle:
        """Call ``hook(module, inputs, output)`` after every forward; a returned value
        replaces the output."""
        key = id(hook) ^ len(self._forward_hooks)
        self._forward_hooks[key] = hook
        _changed()
        return _Handle(self._forward_hooks, key)

    def register_forward_pre_hook(self, hook: Callable) -> _Handle:
        """Call ``hook(module, inputs)`` before every forward."""
        key = id(hook) ^ len(self._forward_pre_hooks)
        self._forward_pre_hooks[key] = hook
        _changed()
        return _Handle(self._forward_pre_hooks, key)

    # -- traversal ---------------------------------------------------------------------

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """All modules in the tree (this one first) with their dotted names."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                       remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mprefix, m in mods:
            for name, t in getattr(m, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a shared parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no submodule '{part}'")
            m = m._modules[part]
        return m

    # -- modes and utilities -------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradients of all parameters on or off (freezing layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, fn):
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is None:
                        continue
                    new = fn(t.array)
                    if new is not t.array:
                        t.array = new
                        t.grad = None if t.grad is None else Tensor._make(fn(t.grad.array), False)
        return self

    def to(self, device=None, dtype=None) -> Module:
        """Move parameters and buffers to ``device`` and/or cast float ones to ``dtype``
        (in place; returns self)."""
        from ..backend import to_device

        if isinstance(device, (np.dtype, type)) or (
            isinstance(device, str) and not device.startswith(("cpu", "cuda"))
        ):
            device, dtype = None, device
        dt = to_dtype(dtype)

        def fn(a):
            if dt is not None and a.dtype.kind == "f" and a.dtype != dt:
                a = a.astype(dt)
            if device is not None:
                a = to_device(a, str(device).split(":")[0])
            return a

        return self._apply_to_tensors(fn)

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    # -- state ------------------------------------------------------------------------

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False) -> dict:
        """Parameters and persistent buffers by dotted name (``fc.weight``), as PyTorch.

        The tensors share memory with the module (detached unless ``keep_vars``).
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy tensors from ``state_dict`` into this module's parameters and buffers.

        With ``strict=True`` (default), missing or unexpected keys raise an error that lists
        them; a tensor of the wrong shape always raises, naming the key and both shapes.
        Values may be Tensors or NumPy arrays.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"load_state_dict: expected a dict of tensors, got {type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mis_shaped = []
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = v.array if isinstance(v, Tensor) else np.asarray(v)
            if tuple(arr.shape) != tuple(t.shape):
                mis_shaped.append(
                    f"{k}: checkpoint has shape {tuple(arr.shape)}, the model "
                    f"{tuple(t.shape)}"
                )
        errors = []
        if mis_shaped:
            errors.append("size mismatch for " + "; ".join(mis_shaped))
        if strict and missing:
            errors.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            errors.append("unexpected keys: " + ", ".join(unexpected))
        if errors:
            raise RuntimeError(
                f"load_state_dict: the state dict does not fit {type(self).__name__}: "
                + "; ".join(errors)
            )
        from ..backend import to_device

        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            dtype = (v.array if isinstance(v, Tensor) else np.asarray(v)).dtype
            if dtype.kind not in "biuf":  # complex or object: cast with a warning at best
                raise TypeError(f"load_state_dict: {k!r} has dtype {dtype}; expected real "
                                f"numbers for the model's {t.dtype}")
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                arr = v.array if isinstance(v, Tensor) else np.asarray(v)
                t.array[...] = to_device(arr, t.device).astype(t.dtype, copy=False)
                t._version += 1
        return IncompatibleKeys(missing, unexpected)

    # -- repr --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of this module's repr."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers)
            | set(self._modules)
        )

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)


def _check_name(module, fname: str, name) -> None:
    """PyTorch's rules for a parameter, buffer or child name: a non-empty str without a dot
    (the dot separates the levels of ``state_dict`` keys)."""
    if not isinstance(name, str):
        raise TypeError(f"{type(module).__name__}.{fname}: name must be a str, got "
                        f"{type(name).__name__} {name!r}")
    if "." in name or name == "":
        raise KeyError(f"{type(module).__name__}.{fname}: invalid name {name!r} (it must be "
                       f"non-empty and contain no '.')")
