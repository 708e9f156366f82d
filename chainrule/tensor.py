"""``Tensor``: an array, its gradient, and the graph node that made it."""

from __future__ import annotations

import numpy as np

from . import autograd
from .backend import (
    DEFAULT_FLOAT,
    as_numpy,
    device_of,
    get_array_module,
    infer_dtype,
    to_device,
    to_dtype,
)


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``array`` is the backend array (NumPy, or CuPy on a GPU). ``creator`` is the ``Function``
    that produced the tensor (None for a leaf). ``grad`` collects the gradient of a scalar
    with respect to this tensor after ``backward()``.

    Create tensors with ``cr.tensor``, ``cr.zeros``, ``cr.randn``...; ``Tensor(array)``
    wraps an existing array without copying it.
    """

    __slots__ = (
        "array",
        "grad",
        "requires_grad",
        "creator",
        "_vc",
        "_hooks",
        "_retains_grad",
        "__weakref__",
    )
    # NumPy defers to Tensor's reflected operators (np.float32(2) * t is a Tensor).
    __array_ufunc__ = None
    __array_priority__ = 1000.0

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        xp = get_array_module(data)
        if dtype is not None:
            dtype = to_dtype(dtype)
        elif not hasattr(data, "dtype"):
            dtype = infer_dtype(data)
        a = xp.asarray(data, dtype=dtype)
        self.array = a
        self.grad = None
        self.requires_grad = False
        self.creator = None
        self._vc = None
        self._hooks = ()
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(a, requires_grad: bool) -> Tensor:
        """Wrap an op's output array with no checks (the hot path)."""
        t = object.__new__(Tensor)
        if a.__class__ is not np.ndarray and isinstance(a, np.generic):
            a = np.asarray(a)
        t.array = a
        t.grad = None
        t.requires_grad = requires_grad
        t.creator = None
        t._vc = None
        t._hooks = ()
        t._retains_grad = False
        return t

    @property
    def data(self):
        """The backend array (an alias of ``array``)."""
        return self.array

    @data.setter
    def data(self, value) -> None:
        self.array = value.array if isinstance(value, Tensor) else value

    # -- version counter -----------------------------------------------------------------

    @property
    def _version(self) -> int:
        """How many times the data was changed in place. A tensor and its views (reshape,
        transpose, basic indexing, detach...) share one counter, so a change made through
        either is seen by a backward rule that saved the other."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    @_version.setter
    def _version(self, v: int) -> None:
        vc = self._vc
        if vc is None:
            self._vc = [v]
        else:
            vc[0] = v

    def _share_version(self, base: Tensor) -> Tensor:
        """Make this tensor, whose data may be a view of ``base``'s, share its counter."""
        if self is not base and self.xp.may_share_memory(self.array, base.array):
            vc = base._vc
            if vc is None:
                vc = base._vc = [0]
            self._vc = vc
        return self

    # -- properties --------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def size(self) -> int:
        return self.array.size

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def xp(self):
        """The array module (numpy or cupy) of this tensor."""
        return get_array_module(self.array)

    @property
    def device(self) -> str:
        return device_of(self.array)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self):
        """The ``Function`` that made this tensor (None for a leaf), as in PyTorch."""
        return self.creator

    @property
    def generation(self) -> int:
        c = self.creator
        return 0 if c is None else c.generation

    @property
    def T(self) -> Tensor:
        from .ops.shape import transpose

        return transpose(self)

    @property
    def mT(self) -> Tensor:
        from .ops.shape import swapaxes

        return swapaxes(self, -1, -2)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self.size

    # -- conversion --------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied off a GPU when needed; shares memory on CPU)."""
        return as_numpy(self.array)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(
                f"item: only a one-element tensor can be converted to a Python number, got "
                f"shape {tuple(self.shape)}"
            )
        return self.array.reshape(()).item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; use "
                f".any() or .all()"
            )
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.shape[0]):
            yield self[i]

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, and the in-place version
        counter, as in PyTorch)."""
        return Tensor._make(self.array, False)._share_version(self)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        from .ops.elementwise import Clone

        return Clone()(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing its gradient (in place); returns self."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, got "
                f"dtype {self.dtype}"
            )
        if not requires_grad and self.creator is not None:
            raise RuntimeError(
                "requires_grad_(False): this tensor is the output of an op; use .detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype) -> Tensor:
        """A copy with another dtype (differentiable between float dtypes)."""
        dtype = to_dtype(dtype, "astype")
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":
            # Integer and bool results carry no gradient (as in PyTorch).
            return Tensor._make(self.array.astype(dtype), False)
        from .ops.elementwise import Cast

        return Cast(dtype)(self)

    def type(self, dtype) -> Tensor:
        return self.astype(dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def to(self, device=None, dtype=None) -> Tensor:
        """Move to ``device`` (``"cpu"``/``"cuda"``) and/or cast to ``dtype``."""
        t = self
        if isinstance(device, (np.dtype, type)) or (
            isinstance(device, str) and not device.startswith(("cpu", "cuda"))
        ):
            device, dtype = None, device
        if dtype is not None:
            t = t.astype(dtype)
        if device is not None and device_of(t.array) != str(device).split(":")[0]:
            from .ops.elementwise import ToDevice

            t = ToDevice(str(device))(t)
        return t

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    # -- autograd ----------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Backpropagate from this tensor, accumulating into the leaves' ``.grad``.

        A scalar needs no ``gradient``; any other shape needs ``gradient=`` of its shape.
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        autograd.backward(
            [self], None if gradient is None else [gradient], retain_graph, create_graph
        )

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad")
        self._hooks = (*self._hooks, hook)
        return _HookHandle(self, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for a non-leaf tensor after backward."""
        if self.creator is not None:
            self._retains_grad = True

    # -- in-place operations (bump the version so backward can detect them) ---------------

    def _check_inplace(self, name):
        if self.requires_grad and autograd.is_grad_enabled():
            if self.creator is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad cannot be modified in place "
                    f"while recording a graph; wrap the update in cr.no_grad()"
                )
            # In-place ops are not recorded, so the gradient through this tensor would
            # silently ignore the change: refuse rather than give a wrong answer.
            raise RuntimeError(
                f"{name}: the tensor of shape {tuple(self.shape)} is the output of "
                f"{self.creator.name} and requires grad; in-place changes are not recorded in "
                f"the graph, so use the out-of-place op (e.g. y = y * 2 instead of y.mul_(2))"
            )

    def _inplace(self, name, value):
        self._check_inplace(name)
        v = value.array if isinstance(value, Tensor) else value
        return v

    def zero_(self) -> Tensor:
        self._check_inplace("zero_")
        self.array[...] = 0
        self._version += 1
        return self

    def fill_(self, value) -> Tensor:
        v = self._inplace("fill_", value)
        self.array[...] = v
        self._version += 1
        return self

    def copy_(self, src) -> Tensor:
        v = self._inplace("copy_", src)
        xp = self.xp
        v = to_device(v, self.device) if hasattr(v, "shape") else v
        try:
            self.array[...] = xp.broadcast_to(xp.asarray(v, dtype=self.dtype), self.shape)
        except ValueError:
            raise ValueError(
                f"copy_: cannot copy a source of shape {tuple(np.shape(v))} into a tensor of "
                f"shape {tuple(self.shape)}"
            ) from None
        self._version += 1
        return self

    def add_(self, other, alpha=1) -> Tensor:
        v = self._inplace("add_", other)
        self.array += v if alpha == 1 else v * alpha
        self._version += 1
        return self

    def sub_(self, other, alpha=1) -> Tensor:
        v = self._inplace("sub_", other)
        self.array -= v if alpha == 1 else v * alpha
        self._version += 1
        return self

    def mul_(self, other) -> Tensor:
        v = self._inplace("mul_", other)
        self.array *= v
        self._version += 1
        return self

    def div_(self, other) -> Tensor:
        v = self._inplace("div_", other)
        self.array /= v
        self._version += 1
        return self

    def clamp_(self, min=None, max=None) -> Tensor:
        self._check_inplace("clamp_")
        self.xp.clip(self.array, min, max, out=self.array)
        self._version += 1
        return self

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        from .ops.shape import _normalize_index

        v = value.array if isinstance(value, Tensor) else value
        self.array[_normalize_index(index)] = v
        self._version += 1

    # -- operators (the ops themselves live in chainrule.ops) ---------------------------

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __eq__(self, other):  # type: ignore[override]
        return _ops.equal(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _ops.not_equal(self, other)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    # Tensors are hashable by identity (they key dicts and sets), as in PyTorch.
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(
            self.numpy(), separator=", ", precision=4, threshold=200, prefix="Tensor("
        )
        extra = []
        if self.dtype != DEFAULT_FLOAT:
            extra.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self.creator is not None:
            extra.append(f"grad_fn=<{self.creator.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "Tensor(" + ", ".join([body, *extra]) + ")"


autograd._make_tensor = Tensor._make
autograd._Tensor = Tensor


class _HookHandle:
    def __init__(self, tensor, hook):
        self.tensor, self.hook = tensor, hook

    def remove(self):
        self.tensor._hooks = tuple(h for h in self.tensor._hooks if h is not self.hook)


from . import ops as _ops  # noqa: E402  (ops need Tensor defined first)

# Tensor methods that are simply the op of the same name with the tensor first.
for _name in _ops.TENSOR_METHODS:
    setattr(Tensor, _name, getattr(_ops, _name))
del _name
