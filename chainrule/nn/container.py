"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from ..autograd import arrays_only
from ..tensor import Tensor
from . import module as _module
from .module import Module


def _run_chain(fs, a):
    """Array ``a`` through the array functions ``fs`` in order."""
    for f in fs:
        a = f(a)
    return a


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b)(x) == b(a(x))``.

    Children are named "0", "1", ... (or by an OrderedDict's keys), so state_dict keys are
    PyTorch's (``0.weight``).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                if not isinstance(m, Module):
                    raise TypeError(
                        f"Sequential: argument {i} must be a Module, got {type(m).__name__}"
                    )
                self.add_module(str(i), m)

    def forward(self, x):
        if x.__class__ is Tensor and arrays_only():
            fs = self._array_chain()
            if fs is not None:  # inference: run the layers on arrays, wrap the result once
                return Tensor._make(_run_chain(fs, x.array), False)
        for m in self._modules.values():
            x = m(x)
        return x

    def _array_chain(self):
        """The children's array functions in order, or None if one has none (or hooks, or
        an instance-level forward); kept until a module anywhere gains or loses a child, a
        hook or an instance-level forward."""
        cached = self.__dict__.get("_chain")
        if cached is not None and cached[0] == _module._structure[0]:
            return cached[1]
        fs = []
        for m in self._modules.values():
            f = m._array_function()
            if f is None:
                fs = None
                break
            fs.append(f)
        self.__dict__["_chain"] = (_module._structure[0], fs)
        return fs

    def _array_forward(self):
        if type(self).forward is not Sequential.forward:
            return None
        fs = self._array_chain()
        return None if fs is None else functools.partial(_run_chain, fs)

    def __getstate__(self):
        # The cached array chain holds closures, which pickle cannot save; it is rebuilt on
        # the next forward.
        state = dict(super().__getstate__())
        state.pop("_chain", None)
        return state

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        if not -len(items) <= idx < len(items):
            raise IndexError(f"Sequential: index {idx} out of range for {len(items)} modules")
        return items[idx][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[idx]
        self.add_module(name, module)

    def __delitem__(self, idx) -> None:
        names = list(self._modules)
        _module._changed()
        for name in names[idx] if isinstance(idx, slice) else [names[idx]]:
            del self._modules[name]
        # renumber so keys stay 0..n-1
        mods = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        if not -len(mods) <= idx < len(mods):
            raise IndexError(f"ModuleList: index {idx} out of range for {len(mods)} modules")
        return mods[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(list(self._modules)[idx], module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList is a container; call its modules in your forward")


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``... so that ``parameters()`` and
    ``state_dict()`` find them, as ``torch.nn.ParameterList``."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        ps = list(self._parameters.values())
        if isinstance(idx, slice):
            return ParameterList(ps[idx])
        if not -len(ps) <= idx < len(ps):
            raise IndexError(f"ParameterList: index {idx} out of range for {len(ps)} parameters")
        return ps[idx]

    def __setitem__(self, idx: int, value) -> None:
        self.register_parameter(list(self._parameters)[idx], _as_parameter(value))

    def append(self, value) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList is a container; use its parameters in forward")


def _as_parameter(value):
    from .parameter import Parameter

    return value if value is None or isinstance(value, Parameter) else Parameter(value)


class ParameterDict(Module):
    """A dict of parameters, registered under their keys so that ``parameters()`` and
    ``state_dict()`` find them, as ``torch.nn.ParameterDict``: a tensor that is not a
    ``Parameter`` is wrapped in one. Built from a plain dict, the keys are sorted (as
    PyTorch does); an OrderedDict, a ParameterDict or (key, value) pairs keep their order.

    >>> pd = nn.ParameterDict({"scale": cr.ones(3)})
    >>> list(pd.state_dict())
    ['scale']
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._parameters:
            raise KeyError(f"ParameterDict: no parameter named {key!r}")
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - a KeyError naming the container for a missing key
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple:
        if not self._parameters:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        key = next(reversed(self._parameters))
        return key, self.pop(key)

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._parameters):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters) -> None:
        """Set each (key, value) of ``parameters`` (a mapping or pairs); a plain mapping's
        keys in sorted order, as PyTorch."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = parameters.items()
        elif isinstance(parameters, Mapping):
            items = sorted(parameters.items())
        elif isinstance(parameters, Iterable):
            items = list(parameters)
            for j, p in enumerate(items):
                if not isinstance(p, Iterable) or len(p) != 2:
                    raise ValueError(f"ParameterDict.update: element #{j} must be a (key, "
                                     f"value) pair, got {p!r}")
        else:
            raise TypeError(f"ParameterDict.update: expected a mapping or (key, value) pairs, "
                            f"got {type(parameters).__name__}")
        for key, value in items:
            self[key] = value

    def __or__(self, other) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other) -> ParameterDict:
        out = ParameterDict(other)
        out.update(self)
        return out

    def __ior__(self, other) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        from .. import tensor_types

        names = {cls.dtype: name for name in tensor_types.__all__
                 if hasattr(cls := getattr(tensor_types, name), "dtype")}
        return "\n".join(
            f"  ({k}): Object of type: NoneType" if p is None else
            f"  ({k}): Parameter containing: [chainrule.{names.get(p.dtype, p.dtype)} of size "
            f"{'x'.join(map(str, p.shape))}]" for k, p in self.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict is a container; use its parameters in forward")


class ModuleDict(Module):
    """A dict of modules, registered so their parameters are found."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        _module._changed()
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self.add_module(k, m)

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict is a container; call its modules in your forward")
