"""``Tensor``: an array, its gradient, and the graph node that made it."""

from __future__ import annotations

import math
import weakref

import numpy as np

from . import autograd
from ._device import device as _device
from .backend import (
    DEFAULT_FLOAT,
    as_numpy,
    device_of,
    get_array_module,
    infer_dtype,
    to_device,
    to_dtype,
)
from .backend import bfloat16 as _bfloat16


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple of ints (what ``t.size()`` returns).

    >>> cr.zeros(2, 3).size()
    cr.Size([2, 3])
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, index):
        r = tuple.__getitem__(self, index)
        return Size(r) if isinstance(index, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __repr__(self) -> str:
        return f"cr.Size({list(self)})"


def _ml_number(dtype) -> bool:
    """True for ml_dtypes' numeric types (bfloat16, float8, int4...: NumPy kind 'V'), which
    ONNX files and accelerator checkpoints hold; they are real numbers, unlike the other
    kinds a Tensor refuses (object, complex, strings)."""
    return dtype.kind == "V" and getattr(dtype.type, "__module__", "").startswith("ml_dtypes")


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
        "_view",
        "__weakref__",
    )
    # NumPy defers to Tensor's reflected operators (np.float32(2) * t is a Tensor).
    __array_ufunc__ = None
    __array_priority__ = 1000.0

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        if isinstance(data, (int, np.integer)) and isinstance(dtype, (int, np.integer)) \
                and not isinstance(data, bool):
            # torch.Tensor(2, 3): a float32 tensor of that shape (zeros here; PyTorch
            # leaves the memory uninitialised).
            data, dtype = np.zeros((int(data), int(dtype)), DEFAULT_FLOAT), None
        xp = get_array_module(data)
        if dtype is not None:
            dtype = to_dtype(dtype)
        elif isinstance(data, (list, tuple)):
            dtype = DEFAULT_FLOAT  # torch.Tensor([1, 2]) is float32, as FloatTensor
        elif not hasattr(data, "dtype"):
            dtype = infer_dtype(data)
        a = xp.asarray(data, dtype=dtype)
        if a.dtype.kind not in "biuf" and not _ml_number(a.dtype):
            raise TypeError(f"Tensor: dtype {a.dtype} is not supported; tensors hold bool, "
                            f"integer or real floating-point numbers")
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
    def data(self) -> Tensor:
        """The same memory as a tensor without history, as PyTorch's ``.data``: changes made
        through it are not seen by autograd (``detach()`` is the safe form). The raw backend
        array is ``.array``."""
        return Tensor._make(self.array, False)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        self.array = value.array

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

    def _share_version(self, base: Tensor, op=None) -> Tensor:
        """Make this tensor, whose data may be a view of ``base``'s, share its counter.

        ``op`` is the view op that made it (None for ``detach``, which is no view for
        autograd). A view is kept (weakly) with the counter, so that an in-place change of
        the base recorded in the graph takes the view again from the new base, as PyTorch
        regenerates a view's history; a view the op did not record (its base was outside
        the graph, or grad mode was off) remembers ``op`` and its base for that."""
        if self is not base and self.xp.may_share_memory(self.array, base.array):
            vc = base._vc
            if vc is None:
                vc = base._vc = [0]
            self._vc = vc
            if self.creator is None:
                if op is None:
                    return self
                self._view = (op, base, autograd._state["grad_enabled"])
            elif not autograd._state["grad_enabled"] or (
                    base.creator is None and base.requires_grad):
                return self  # the view of a leaf that requires grad, which cannot change
            if len(vc) < 3:
                vc[1:] = [vc[1] if len(vc) > 1 else None, weakref.WeakSet()]
            vc[2].add(self)
        return self

    def _view_link(self):
        """``(op, base, made_in_grad_mode)`` of a view, or None: the view op and the tensor
        it was taken from (the op's node when recorded, else what ``_share_version`` kept)."""
        c = self.creator
        if c is not None:
            if not c.makes_view or not c.inputs:
                return None
            if len(c.outputs) > 1:  # a split: the output's own part
                k = next(i for i, ref in enumerate(c.outputs) if ref() is self)
                return c.part(k), c.inputs[0], True
            return c, c.inputs[0], True
        return getattr(self, "_view", None)

    # -- properties --------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def size(self, dim: int | None = None):
        """The shape as a ``cr.Size``, or the length of ``dim``, as PyTorch's ``size()``.
        (NumPy's element count is ``numel()``.)"""
        if dim is None:
            return Size(self.array.shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size: dim must be an int, got {dim!r}")
        nd = self.array.ndim
        if not -max(nd, 1) <= dim < max(nd, 1) or nd == 0:
            raise IndexError(
                f"size: dim {dim} is out of range for a tensor of shape {tuple(self.shape)}"
            )
        return self.array.shape[dim]

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def xp(self):
        """The array module (numpy or cupy) of this tensor."""
        return get_array_module(self.array)

    @property
    def device(self) -> _device:
        """Where the data lives: ``cr.device('cpu')`` or ``cr.device('cuda')``."""
        return _device(device_of(self.array))

    @property
    def is_cuda(self) -> bool:
        return device_of(self.array) == "cuda"

    # chainrule has CPU (NumPy) and CUDA (CuPy) arrays only.
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = property(lambda self: False)

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
        """The dims in reverse order."""
        from .ops.shape import permute

        return permute(self, tuple(range(self.ndim - 1, -1, -1)))

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
        """The number of elements."""
        return self.array.size

    nelement = numel

    def ndimension(self) -> int:
        return self.ndim

    def element_size(self) -> int:
        """Bytes per element."""
        return self.array.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self.array.dtype.kind == "c"

    # -- conversion --------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied off a GPU when needed; shares memory on CPU)."""
        return as_numpy(self.array)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
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
        if self.array.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; use "
                f".any() or .all()"
            )
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor as its number, as PyTorch."""
        if self.array.size == 1 and self.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise TypeError(
            f"unsupported format string {spec!r} for a tensor of shape {tuple(self.shape)}; "
            f"only a 0-d tensor formats as a number"
        )

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.shape[0]):
            yield self[i]

    # -- copying and pickling: the data and requires_grad, never the graph or the version
    # bookkeeping, as PyTorch (a pickled non-leaf comes back as a leaf).

    def __reduce_ex__(self, protocol):
        return _rebuild_tensor, (type(self), self.array, self.requires_grad)

    def __deepcopy__(self, memo) -> Tensor:
        if self.creator is not None:
            raise RuntimeError(
                "deepcopy: only tensors created by the user (graph leaves) can be deep-copied, "
                "as in PyTorch; copy a detached one (t.detach().clone()) instead"
            )
        import copy

        new = _rebuild_tensor(type(self), copy.deepcopy(self.array, memo), self.requires_grad)
        if self.grad is not None:
            new.grad = copy.deepcopy(self.grad, memo)
        memo[id(self)] = new
        return new

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
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), np.dtype):
            dtype = dtype.dtype  # cr.FloatTensor and the other typed classes
        dtype = to_dtype(dtype, "astype")
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":
            # Integer and bool results carry no gradient (as in PyTorch).
            return Tensor._make(self.array.astype(dtype), False)
        from .ops.elementwise import Cast

        return Cast(dtype)(self)

    def type(self, dtype=None):
        """The dtype's name when called without one (``'float32'``), else ``astype``."""
        if dtype is None:
            return str(self.dtype)
        return self.astype(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.astype(other.dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def short(self) -> Tensor:
        return self.astype(np.int16)

    def byte(self) -> Tensor:
        return self.astype(np.uint8)

    def char(self) -> Tensor:
        return self.astype(np.int8)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def bfloat16(self) -> Tensor:
        return self.astype(_bfloat16)

    def to(self, *args, **kwargs) -> Tensor:
        """Move and/or cast, as PyTorch's ``to``: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(other_tensor)``, or the keywords ``device=``, ``dtype=``
        (``non_blocking=`` and ``copy=`` are accepted; ``copy=True`` always copies)."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (_device, str)) and not _is_dtype_name(a):
                device = a
            elif isinstance(a, bool):
                copy = a if device is not None or dtype is not None else copy
            elif a is not None:
                dtype = a
        t = self
        if dtype is not None:
            try:
                t = t.astype(dtype)
            except TypeError as e:
                from ._errors import DtypeError

                raise DtypeError(f"to: {dtype!r} is neither a device ('cpu', 'cuda', 'cuda:N') "
                                 f"nor a dtype ({e})") from None
        if device is not None:
            try:
                device = _device(device)
            except (TypeError, ValueError) as e:
                from ._errors import ShapeError

                raise ShapeError(f"to: {str(device)!r} is neither a device ('cpu', 'cuda', "
                                 f"'cuda:N') nor a dtype name ('float32', 'int64', ...) "
                                 f"({e})") from None
            if device_of(t.array) != device.type:
                from .ops.elementwise import ToDevice

                t = ToDevice(device.type)(t)
        if copy and t is self:
            t = self.clone()
        return t

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else _device(device))

    def contiguous(self, memory_format=None) -> Tensor:
        """The same values in C order (a copy only when the data is not already)."""
        if self.array.flags.c_contiguous:
            return self
        from .ops.elementwise import Clone

        t = Clone()(self)
        t.array = self.xp.ascontiguousarray(t.array)
        return t

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self.array.flags.c_contiguous)

    def stride(self, dim: int | None = None):
        """Strides in elements, as PyTorch's ``stride()``."""
        st = tuple(s // self.array.itemsize for s in self.array.strides)
        return st if dim is None else st[dim]

    def data_ptr(self) -> int:
        return int(self.array.__array_interface__["data"][0]) if self.xp is np else int(
            self.array.data.ptr
        )

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

    # -- in-place operations ----------------------------------------------------------------
    #
    # Each one bumps the version counter (so a backward rule that saved the old value
    # raises) and, when it must be recorded (grad mode on and the tensor, or a value written
    # into it, requires grad), rebases the tensor's history onto the op: ``_rebase``. Under
    # no_grad, or on tensors outside any graph, it is a plain write into the array.

    def _bump(self, name: str) -> None:
        """One more in-place change, made by ``name`` (kept for the error messages)."""
        vc = self._vc
        if vc is None:
            self._vc = [1, name]
        else:  # [version, last in-place op, recorded views] (the last two when known)
            vc[0] += 1
            if len(vc) == 1:
                vc.append(name)
            else:
                vc[1] = name

    def _records(self, name: str, *values) -> bool:
        """True when the in-place op ``name`` must be recorded in the graph. A leaf that
        requires grad cannot change in place while recording (PyTorch's rule)."""
        if not autograd._state["grad_enabled"]:
            return False
        if self.requires_grad:
            if self.creator is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad cannot be modified in place "
                    f"while recording a graph; wrap the update in cr.no_grad()"
                )
            return True
        for v in values:
            if isinstance(v, Tensor) and v.requires_grad:
                return True
        return False

    def _is_view(self) -> bool:
        """True when this tensor's data is a view of another tensor's (a slice, reshape,
        transpose, expand or split of it, or an unrecorded view sharing its counter)."""
        c = self.creator
        if c is None:
            return self._vc is not None and getattr(self.array, "base", None) is not None
        if not c.makes_view or not c.inputs:
            return False
        return any(x is not None and self.xp.may_share_memory(self.array, x.array)
                   for x in c.inputs)

    def _view_to_update(self, name: str):
        """``(view op, base)`` of this view, about to change in place by ``name``: the base is
        updated through the op's ``view_into``. Raises where that cannot be recorded, and
        before any write when a base up the chain is a leaf that requires grad."""
        link = self._view_link()
        view = None if link is None else link[0]
        if link is not None and not link[2]:
            raise RuntimeError(
                f"{name}: this tensor of shape {tuple(self.shape)} is a view created under "
                f"no_grad and is being changed in place with grad mode on; make both the view "
                f"and the change under no_grad, or both outside it"
            )
        if getattr(view, "view_into", None) is None:
            made = "" if view is None else " made by " + view.name
            raise RuntimeError(
                f"{name}: this tensor of shape {tuple(self.shape)} is a view of another "
                f"tensor{made} whose graph cannot record an in-place change of the view; write "
                f"into the base instead (base[index] = value), or change a copy (.clone())"
            )
        p = link[1]
        while p is not None:
            p._records(name)
            up = p._view_link() if p._is_view() else None
            p = None if up is None else up[1]
        return view, link[1]

    def _rebase(self, name: str, compute, write=None) -> Tensor:
        """Record the in-place op ``name`` as PyTorch does: ``compute(old)`` gives the new
        value out of place from a tensor ``old`` standing for the current value and history;
        it is written into this tensor's memory (``write(result)`` when given, else the whole
        array), and this tensor, keeping its identity, becomes the op's output."""
        view, base = self._view_to_update(name) if self._is_view() else (None, None)
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        old = Tensor._make(self.array, self.requires_grad)
        old.creator = c = self.creator
        old._vc = vc
        r = compute(old)
        if r is old:  # nothing to do (t_ of a vector, squeeze_ without a dim of length 1)
            return self
        if r.creator is None:
            # An op without a gradient (sign, comparisons): its result is written as a
            # constant, so the gradient to the old value is zero, as PyTorch.
            from .ops.shape import setitem

            r = setitem(old, Ellipsis, r)
            if r.creator is None:  # nothing requires grad after all
                self.array[...] = r.array
                self._bump(name)
                return self
        if write is None:
            if r.shape != self.shape:
                raise RuntimeError(
                    f"{name}: the result has shape {tuple(r.shape)}, the tensor changed in "
                    f"place has shape {tuple(self.shape)}; an in-place result must keep its "
                    f"shape (use the out-of-place op)"
                )
            if r.dtype != self.dtype and not np.can_cast(r.dtype, self.dtype, "same_kind"):
                raise RuntimeError(
                    f"{name}: the result type {r.dtype} can't be cast to the dtype "
                    f"{self.dtype} of the tensor changed in place (convert first, e.g. "
                    f"x = x.float())"
                )
        node = r.creator
        if node.saves_inputs or not any(x is old for x in node.inputs):
            # The op's backward may read the old value, about to be overwritten (it saves
            # its inputs, or it is made of several ops that may): it keeps a copy (PyTorch
            # saves the original too), with its own counter.
            old.array = old.array.copy()
            old._vc = [vc[0]]
        if c is not None:
            # The old creator's output is now ``old``; held strongly (the old history needs
            # it), and a node that saved its output still sees changes through this tensor.
            c.outputs = [_Held(old) if ref() is self else ref for ref in c.outputs]
            if c.saves_output and c.out_vc is None:
                c.out_vc = vc
        if write is None:
            self.array[...] = r.array
        else:
            write(r)
        self._bump(name)
        if base is not None:
            # A view: the base is updated through a copy-slices node (the view's new value
            # written into the base's old one), and the view is taken again from the new base.
            base._rebase(name, lambda old_base: view.view_into(old_base, r), _no_write)
            node = view.view_again(base).creator
        node.rebased_from = old
        node.outputs = [weakref.ref(self)]
        node.generation = autograd._rebased_generation(node.generation)
        if node.saves_output:
            node.out_vc, node.out_version = vc, vc[0]
        self.creator = node
        self.requires_grad = True
        if len(vc) > 2:
            _retake_views(self, vc[2])
        return self

    def _inplace_error(self, name: str, v, error: Exception, shape=None) -> Exception:
        """The named error for an in-place op NumPy refused (built only on failure).

        ``shape`` is the shape written to (the indexed part for ``__setitem__``)."""
        shape = tuple(self.shape if shape is None else shape)
        try:
            a = np.asarray(as_numpy(v))
        except Exception:
            a = np.asarray(None)
        if a.dtype.kind not in "biuf":
            return TypeError(f"{name}: expected a real number or a tensor, got "
                             f"{type(v).__name__} {str(v)[:40]!r}")
        try:
            np.broadcast_shapes(a.shape, shape)
            fits = np.broadcast_shapes(a.shape, shape) == shape
        except ValueError:
            fits = False
        from ._errors import DtypeError, ShapeError

        if not fits:
            return ShapeError(f"{name}: a value of shape {tuple(a.shape)} does not broadcast to "
                              f"the shape {shape} it is written to")
        result = "float" if name == "div_" else \
            {"f": "float", "i": "int", "u": "int", "b": "bool"}[a.dtype.kind]
        return DtypeError(f"{name}: the result would be {result} but the tensor is "
                         f"{self.dtype}; an in-place op cannot change a tensor's dtype (use the "
                         f"out-of-place op, or convert first, e.g. x = x.float())")

    def _write(self, name: str, index, value) -> Tensor:
        """``self[index] = value`` (a tensor or a number, broadcast), recorded when needed:
        the one write behind ``__setitem__``, ``copy_``, ``fill_``, ``zero_`` and the
        random fills."""
        from .ops.shape import _normalize_index, setitem

        index = _normalize_index(index)
        v = value.array if isinstance(value, Tensor) else value
        try:
            if self._records(name, value):
                # written into this tensor's memory by the op itself
                return self._rebase(name, lambda old: setitem(old, index, value, _inplace=True),
                                    _no_write)
            self.array[index] = v
        except (ValueError, TypeError) as e:
            try:
                shape = self.array[index].shape
            except Exception:  # the index itself is bad: NumPy's IndexError says why
                raise e from None
            raise self._inplace_error(name, v, e, shape) from None
        self._bump(name)
        return self

    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        return self._write("zero_", Ellipsis, 0)

    def fill_(self, value) -> Tensor:
        """Fill with ``value`` (a number or a 0-d tensor), in place."""
        if getattr(value, "ndim", 0) != 0:  # PyTorch: a number or a 0-d tensor
            from ._errors import ShapeError

            raise ShapeError(f"fill_: the value must be a number or a 0-d tensor, got shape "
                             f"{tuple(value.shape)}")
        return self._write("fill_", Ellipsis, value)

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast to this shape, converted to this dtype) into this tensor;
        recorded, the gradient flows to ``src``."""
        v = src.array if isinstance(src, Tensor) else src
        v = to_device(v, self.device) if hasattr(v, "shape") else v
        if np.asarray(as_numpy(v)).dtype.kind not in "biuf":
            raise self._inplace_error("copy_", v, TypeError())
        if tuple(np.shape(v)) != tuple(self.shape):
            try:
                fits = np.broadcast_shapes(np.shape(v), self.shape) == tuple(self.shape)
            except ValueError:
                fits = False
            if not fits:
                from ._errors import ShapeError

                raise ShapeError(
                    f"copy_: cannot copy a source of shape {tuple(np.shape(v))} into a tensor "
                    f"of shape {tuple(self.shape)}"
                )
        if not isinstance(src, Tensor):
            src = self.xp.asarray(v, dtype=self.dtype)
        return self._write("copy_", Ellipsis, src)

    def __setitem__(self, index, value) -> None:
        self._write("__setitem__", index, value)

    def _arith_(self, name: str, op, other) -> Tensor:
        """``self = op(self, other)`` in place, for add_/sub_/mul_/div_."""
        if self._records(name, other):
            return self._rebase(name, lambda old: op(old, other))
        v = other.array if isinstance(other, Tensor) else other
        try:
            if name == "add_":
                self.array += v
            elif name == "sub_":
                self.array -= v
            elif name == "mul_":
                self.array *= v
            else:
                self.array /= v
        except (ValueError, TypeError) as e:
            raise self._inplace_error(name, v, e) from None
        self._bump(name)
        return self

    def add_(self, other, alpha=1) -> Tensor:
        return self._arith_("add_", _ops.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1) -> Tensor:
        return self._arith_("sub_", _ops.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other) -> Tensor:
        return self._arith_("mul_", _ops.mul, other)

    def div_(self, other, *, rounding_mode: str | None = None) -> Tensor:
        if rounding_mode is not None:
            return self._inplace_op("div_", _ops.div, other, rounding_mode=rounding_mode)
        return self._arith_("div_", _ops.div, other)

    def clamp_(self, min=None, max=None) -> Tensor:
        """Limit the values to [min, max] in place (the gradient flows where inside)."""
        if self._records("clamp_"):
            return self._rebase("clamp_", lambda old: _ops.clip(old, min, max))
        self.xp.clip(self.array, min, max, out=self.array)
        self._bump("clamp_")
        return self

    clip_ = clamp_

    def _augmented(self, op, other, symbol: str):
        """``self op= other``, in place as in PyTorch (``p -= lr * p.grad`` changes ``p``
        itself, so every other reference to it sees the update). Recorded in the graph when
        ``self`` or ``other`` requires grad; a leaf that requires grad cannot change in
        place outside ``no_grad`` (PyTorch's rule)."""
        if self._records(symbol, other):
            return self._rebase(symbol, lambda old: op(old, other))
        with autograd.no_grad():
            r = op(self, other)
        if r.shape != self.shape:
            raise RuntimeError(
                f"{symbol}: the result has shape {tuple(r.shape)}, the tensor changed in "
                f"place has shape {tuple(self.shape)}; an in-place result must keep its shape"
            )
        if r.dtype != self.dtype and not np.can_cast(r.dtype, self.dtype, "same_kind"):
            raise RuntimeError(
                f"{symbol}: the result type {r.dtype} can't be cast to the dtype {self.dtype} "
                f"of the tensor changed in place"
            )
        try:
            self.array[...] = r.array
        except ValueError as e:  # a read-only array (a broadcast view)
            raise RuntimeError(f"{symbol}: this tensor cannot be written in place ({e})") from None
        self._bump(symbol)
        return self

    def __iadd__(self, other):
        return self._augmented(_ops.add, other, "+=")

    def __isub__(self, other):
        return self._augmented(_ops.sub, other, "-=")

    def __imul__(self, other):
        return self._augmented(_ops.mul, other, "*=")

    def __itruediv__(self, other):
        return self._augmented(_ops.div, other, "/=")

    def __ifloordiv__(self, other):
        return self._augmented(_ops.floor_divide, other, "//=")

    def __imod__(self, other):
        return self._augmented(_ops.remainder, other, "%=")

    def __ipow__(self, other):
        return self._augmented(_ops.pow, other, "**=")

    def __iand__(self, other):
        return self._augmented(_ops.bitwise_and, other, "&=")

    def __ior__(self, other):
        return self._augmented(_ops.bitwise_or, other, "|=")

    def __ixor__(self, other):
        return self._augmented(_ops.bitwise_xor, other, "^=")

    # ``a @= b`` is not in place in PyTorch either (Tensor has no __imatmul__): Python
    # rebinds the name to ``a @ b``.

    def _inplace_op(self, name, op, *args, **kwargs):
        """The in-place twin ``x.name_(...)`` of an op: recorded as the op applied to the
        old value when needed, else computed out of place and written into ``x``. The
        result must keep x's shape, and its dtype must cast to x's within its kind (a float
        result does not go into an integer tensor), as PyTorch."""
        if self._records(name, *args, *kwargs.values()):
            return self._rebase(name, lambda old: op(old, *args, **kwargs))
        with autograd.no_grad():
            r = op(self, *args, **kwargs)
        if r.shape != self.shape or not np.can_cast(r.dtype, self.dtype, "same_kind"):
            from ._errors import DtypeError, ShapeError

            if r.shape != self.shape:
                raise ShapeError(f"{name}: the result has shape {tuple(r.shape)}, the tensor "
                                 f"changed in place has shape {tuple(self.shape)}")
            raise DtypeError(f"{name}: the result would be {r.dtype} but the tensor is "
                             f"{self.dtype}; an in-place op cannot change a tensor's dtype "
                             f"(use the out-of-place op, or convert first, e.g. x = x.float())")
        self.array[...] = r.array.astype(self.dtype, copy=False)
        self._bump(name)
        return self

    def abs_(self) -> Tensor:
        return self._inplace_op("abs_", _ops.abs)

    def exp_(self) -> Tensor:
        return self._inplace_op("exp_", _ops.exp)

    def log_(self) -> Tensor:
        return self._inplace_op("log_", _ops.log)

    def sqrt_(self) -> Tensor:
        return self._inplace_op("sqrt_", _ops.sqrt)

    def neg_(self) -> Tensor:
        return self._inplace_op("neg_", _ops.neg)

    def relu_(self) -> Tensor:
        return self._inplace_op("relu_", _ops.relu)

    def sigmoid_(self) -> Tensor:
        return self._inplace_op("sigmoid_", _ops.sigmoid)

    def tanh_(self) -> Tensor:
        return self._inplace_op("tanh_", _ops.tanh)

    def pow_(self, exponent) -> Tensor:
        return self._inplace_op("pow_", _ops.pow, exponent)

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace_op("masked_fill_", _ops.masked_fill, mask, value)

    def index_put_(self, indices, values, accumulate: bool = False) -> Tensor:
        """``self[indices] = values`` (``indices`` a tuple of index tensors, as PyTorch's
        ``index_put_``); with ``accumulate=True`` the values are added (repeated indices add
        up)."""
        index = tuple(indices)
        if not accumulate:
            return self._write("index_put_", index, values)
        from .ops.shape import ScatterAdd, _normalize_index

        index = _normalize_index(index)
        shape = self.array[index].shape

        def added(old):
            v = values if isinstance(values, Tensor) else Tensor(
                self.xp.asarray(values, dtype=self.dtype))
            return old + ScatterAdd(index, self.shape)(_ops.broadcast_to(v, shape))

        if self._records("index_put_", values):
            return self._rebase("index_put_", added)
        return self._index_add(index, values)

    def _index_add(self, index, values) -> Tensor:
        v = values.array if isinstance(values, Tensor) else values
        self.xp.add.at(self.array, index,
                       self.xp.broadcast_to(self.xp.asarray(v, self.dtype),
                                            self.array[index].shape))
        self._bump("index_put_")
        return self

    def _fill_random(self, name: str, a) -> Tensor:
        return self._write(name, Ellipsis, to_device(a, self.device).astype(self.dtype,
                                                                             copy=False))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        """Fill with samples from U(a, b) (from ``generator``, else the default one)."""
        from .random import rng

        return self._fill_random("uniform_", rng(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2)."""
        from .random import rng

        return self._fill_random("normal_", rng(generator).normal(mean, std, self.shape))

    def random_(self, low: int = 0, high: int | None = None, generator=None) -> Tensor:
        """Fill with integers drawn uniformly from [low, high) (``random_(high)`` reads
        ``high``, as PyTorch)."""
        from .random import rng

        if high is None:
            low, high = 0, low
        return self._fill_random("random_", rng(generator).integers(low, high, self.shape))

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """Fill with 0 or 1, 1 with probability ``p`` (a number or a tensor of
        probabilities broadcast to this shape)."""
        from .creation import _probabilities
        from .random import rng

        prob = _probabilities("bernoulli_", p, "p")
        return self._fill_random("bernoulli_", rng(generator).random(self.shape) < prob)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from the Cauchy distribution (``median``, scale ``sigma``)."""
        from .random import rng

        return self._fill_random(
            "cauchy_", median + sigma * rng(generator).standard_cauchy(self.shape))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from the exponential distribution of rate ``lambd``."""
        from .random import rng

        if not lambd > 0:
            raise ValueError(f"exponential_: lambd must be positive, got {lambd!r}")
        return self._fill_random("exponential_", rng(generator).exponential(1 / lambd,
                                                                            self.shape))

    def geometric_(self, p: float, *, generator=None) -> Tensor:
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2...)."""
        from .random import rng

        if not 0 < p <= 1:
            raise ValueError(f"geometric_: p must be in (0, 1], got {p!r}")
        return self._fill_random("geometric_", rng(generator).geometric(p, self.shape))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
        """Fill with exp(N(mean, std^2)) samples."""
        from .random import rng

        if not std > 0:
            raise ValueError(f"log_normal_: std must be positive, got {std!r}")
        return self._fill_random("log_normal_", rng(generator).lognormal(mean, std, self.shape))

    def bernoulli(self, p=None, *, generator=None) -> Tensor:
        from .creation import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator=None) -> Tensor:
        from .creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def float_power_(self, exponent) -> Tensor:
        """``float_power`` in place: only a float64 tensor can hold its result, as PyTorch."""
        if self.dtype != np.float64:
            from ._errors import DtypeError

            raise DtypeError(f"float_power_: the result is float64 but the tensor is "
                             f"{self.dtype}; convert first (x = x.double())")
        return self._inplace_op("float_power_", _ops.float_power, exponent)

    def resize_(self, *sizes) -> Tensor:
        """Give this tensor the shape ``sizes``, keeping its first elements in row-major
        order: in its own memory when it has enough (views stay views), else in new memory
        whose extra elements are zeros (PyTorch leaves them uninitialized). A tensor that
        requires grad cannot be resized, as in PyTorch."""
        from .ops.shape import _shape_arg

        shape = _shape_arg(sizes)
        if any(n < 0 for n in shape):
            raise ValueError(f"resize_: sizes must be non-negative, got {shape}")
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize a tensor that requires grad (use "
                               "reshape, or resize a detached copy)")
        n = int(np.prod(shape))
        a = self.array
        if n <= a.size and a.flags.c_contiguous:
            self.array = a.reshape(-1)[:n].reshape(shape)
        else:
            grown = self.xp.zeros(n, a.dtype)
            keep = min(n, a.size)
            grown[:keep] = a.reshape(-1)[:keep]
            self.array = grown.reshape(shape)
        self._bump("resize_")
        return self

    def resize_as_(self, other: Tensor) -> Tensor:
        return self.resize_(tuple(other.shape))

    def _apply_python(self, name: str, fn, *others) -> Tensor:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(f"{name}: a Python function has no gradient; call it on a "
                               f"tensor that does not require grad, or under cr.no_grad()")
        if not callable(fn):
            raise TypeError(f"{name}: expected a callable, got {type(fn).__name__}")
        arrays = [np.broadcast_to(as_numpy(o.array if isinstance(o, Tensor) else o),
                                  self.shape) for o in others]
        flat = [fn(*(a.item() for a in items))
                for items in zip(as_numpy(self.array).reshape(-1),
                                 *(a.reshape(-1) for a in arrays))]
        out = np.asarray(flat, dtype=self.dtype).reshape(self.shape)
        self.array[...] = to_device(out, self.device)
        self._bump(name)
        return self

    def apply_(self, callable) -> Tensor:  # noqa: A002 - PyTorch's argument name
        """``callable(x)`` for every element, in place (a Python loop, as PyTorch's)."""
        return self._apply_python("apply_", callable)

    def map_(self, tensor, callable) -> Tensor:  # noqa: A002
        """``callable(x, y)`` for every element x and the element y of ``tensor``
        broadcast to this shape, in place."""
        return self._apply_python("map_", callable, tensor)

    def map2_(self, x, y, callable) -> Tensor:  # noqa: A002
        """``callable(a, b, c)`` for every element a and the elements of ``x`` and ``y``."""
        return self._apply_python("map2_", callable, x, y)

    def share_memory_(self) -> Tensor:
        """Nothing to do: NumPy arrays are shared by reference within a process (processes
        exchange tensors by pickling)."""
        return self

    def _reshape_(self, name: str, op, *args) -> Tensor:
        """A shape change in place (``unsqueeze_``, ``squeeze_``, ``t_``): same memory, new
        shape; recorded as the out-of-place op when this tensor is in a graph. The version
        is bumped: a backward rule that saved this tensor would read the wrong shape."""
        if self._records(name):
            def write(r):
                self.array = r.array

            self._rebase(name, lambda old: op(old, *args), write)
            self.creator.makes_view = False  # this tensor itself, not a view of another
            return self
        with autograd.no_grad():
            self.array = op(self, *args).array
        self._bump(name)
        return self

    def unsqueeze_(self, dim: int) -> Tensor:
        return self._reshape_("unsqueeze_", _ops.unsqueeze, dim)

    def squeeze_(self, dim=None) -> Tensor:
        return self._reshape_("squeeze_", _ops.squeeze, dim)

    def t_(self) -> Tensor:
        return self._reshape_("t_", _ops.t)

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        return self._reshape_("transpose_", _ops.transpose, dim0, dim1)

    swapaxes_ = swapdims_ = transpose_

    def where(self, condition, other) -> Tensor:
        """``where(condition, self, other)`` (PyTorch's method order)."""
        return _ops.where(condition, self, other)

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal (all dims of equal length beyond 2-d);
        for a tall matrix ``wrap=True`` starts the diagonal again after every N+1 rows, as
        PyTorch and NumPy."""
        if self.ndim < 2:
            raise ValueError(f"fill_diagonal_: the tensor needs at least 2 dims, got shape "
                             f"{tuple(self.shape)}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise ValueError(f"fill_diagonal_: beyond 2 dims all lengths must be equal, got "
                             f"shape {tuple(self.shape)}")
        if getattr(fill_value, "ndim", 0) != 0:
            raise ValueError("fill_diagonal_: fill_value must be a number or a 0-d tensor")
        shape = tuple(self.shape)
        step = sum(int(np.prod(shape[k + 1:])) for k in range(len(shape)))
        flat = np.arange(0, self.numel(), step)
        if not (wrap and self.ndim == 2):
            flat = flat[:min(shape)]
        return self._write("fill_diagonal_", np.unravel_index(flat, shape), fill_value)

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
        """``self[index[i][j]][j] = src[i][j]`` for ``dim=0`` (``src`` a tensor or a number,
        or ``value=``); ``reduce="add"``/``"multiply"`` combines instead of writing. Where
        ``index`` repeats, the last write wins (PyTorch leaves it unspecified). Recorded in
        the graph for ``reduce=None`` and ``"add"``."""
        from .ops._convert import normalize_axis

        (d,) = normalize_axis("scatter_", dim, self.ndim)
        idx = index.array if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"scatter_: index must be an integer tensor, got dtype {idx.dtype}")
        if idx.ndim != self.ndim:
            raise ValueError(
                f"scatter_: index has {idx.ndim} dims, the tensor of shape "
                f"{tuple(self.shape)} has {self.ndim}"
            )
        if reduce not in (None, "add", "multiply"):
            raise ValueError(f"scatter_: reduce must be None, 'add' or 'multiply', got {reduce!r}")
        src = value if src is None else src
        part = tuple(slice(0, n) for n in idx.shape)
        if getattr(src, "ndim", 0):
            src = src[part]
        xp = self.xp
        grids = xp.ogrid[part]
        where = tuple(idx if i == d else grids[i] for i in range(self.ndim))
        if reduce is None:
            return self._write("scatter_", where, src)
        if reduce == "add":
            return self.index_put_(where, src, accumulate=True)
        if self._records("scatter_", src):
            raise RuntimeError("scatter_: the gradient of reduce='multiply' is not "
                               "implemented; compute it under cr.no_grad()")
        v = src.array if isinstance(src, Tensor) else src
        xp.multiply.at(self.array, where, xp.broadcast_to(xp.asarray(v, self.dtype), idx.shape))
        self._bump("scatter_")
        return self

    def scatter(self, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
        """Out-of-place ``scatter_``: ``scatter_`` on a copy (in the graph when recorded)."""
        return self.clone().scatter_(dim, index, src, value=value, reduce=reduce)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (it becomes a leaf without grad)."""
        self.creator = None
        self.requires_grad = False
        return self

    @property
    def name(self) -> None:
        """Named tensors are not supported: always None (PyTorch's value for an unnamed
        tensor)."""
        return None

    def new(self, *args) -> Tensor:
        """Legacy ``x.new(sizes...)`` (zeros) or ``x.new(data)``: this dtype and device."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return self.new_tensor(args[0])
        return self.new_zeros(*args)

    def ravel(self) -> Tensor:
        return _ops.reshape(self, -1)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last
        dim: a view (``Tensor.unfold``); the gradient adds up where windows overlap."""
        from .ops.shape import unfold

        return unfold(self, dimension, size, step)

    # -- PyTorch's method names for ops ---------------------------------------------------

    def view(self, *shape) -> Tensor:
        """The same elements in another shape (``reshape``), or, given a dtype, the same
        bytes read as that dtype."""
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
            return Tensor._make(self.array.view(to_dtype(shape[0], "view")), False)
        return _ops.reshape(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return _ops.broadcast_to(self, other.shape)

    def add(self, other, alpha=1) -> Tensor:
        return _ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1) -> Tensor:
        return _ops.sub(self, other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other) -> Tensor:
        return _ops.mul(self, other)

    multiply = mul

    def div(self, other, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient."""
        return _ops.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def pow(self, exponent) -> Tensor:
        return _ops.pow(self, exponent)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    negative = neg

    def dot(self, other) -> Tensor:
        return _ops.dot(self, other)

    def mm(self, other) -> Tensor:
        return _ops.mm(self, other)

    def bmm(self, other) -> Tensor:
        return _ops.bmm(self, other)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
        """The ``p``-norm (``torch.norm``; see ``cr.linalg.vector_norm``)."""
        from .linalg import torch_norm

        return torch_norm(self, p, dim, keepdim, dtype=dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new tensor of ``data`` with this tensor's dtype and device unless given."""
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def _new_filled(self, fname, size, value, dtype, device, requires_grad) -> Tensor:
        from .creation import full

        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return full(size, value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_zeros", size, 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_ones", size, 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_empty", size, 0, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_full", (size,), fill_value, dtype, device, requires_grad)

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
        return _ops.eq(self, other)

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


def _retake_views(base: Tensor, views) -> None:
    """After ``base`` was changed in place, each view of it (or of such a view) is taken
    again from the new base, as PyTorch regenerates a view's ``grad_fn``: ops that used the
    view before keep its old history (``rebased_from``), later ones see the change. A view
    made under no_grad cannot follow: it gets a node whose backward raises, as PyTorch
    refuses such a view once its base changed in place with grad mode on."""
    done = {id(base)}
    pending = [v for v in views if v is not base]
    while pending:
        left = []
        for v in pending:
            link = v._view_link()
            if link is None or getattr(link[0], "view_again", None) is None:
                continue
            view, src, grad_mode = link
            if id(src) not in done:
                left.append(v)
                continue
            c = v.creator
            if c is not None:
                old = Tensor._make(v.array, v.requires_grad)
                old.creator, old._vc = c, v._vc
                c.outputs = [_Held(old) if ref() is v else ref for ref in c.outputs]
            else:
                old = None
                v._view = None
            node = (view.view_again(src) if grad_mode else _StaleView()(src)).creator
            node.rebased_from = old
            node.outputs = [weakref.ref(v)]
            v.creator = node
            v.requires_grad = True
            done.add(id(v))
        if len(left) == len(pending):
            break
        pending = left


class _StaleView(autograd.Function):
    """The history of a view made under no_grad whose base then changed in place with grad
    mode on: using it in a backward raises (PyTorch's rule; which gradient the user meant
    is ambiguous)."""

    saves_inputs = False

    def forward(self, x):
        return x

    def backward(self, gy):
        raise RuntimeError(
            "backward: a view created under no_grad was used after its base (or another view "
            "of its base) was changed in place with grad mode on; make both the view and "
            "the change under no_grad, or both outside it"
        )


def _rebuild_tensor(cls, array, requires_grad: bool) -> Tensor:
    """A leaf of class ``cls`` (Tensor or Parameter) holding ``array`` (unpickling)."""
    t = object.__new__(cls)
    Tensor.__init__(t, array)
    t.requires_grad = bool(requires_grad)
    return t


def _no_write(r) -> None:
    """The memory was already written (through a view of it)."""


class _Held:
    """A strong reference called like a weak one: a node's output slot for the tensor that
    stands for a value later changed in place (nothing else may hold it)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


autograd._make_tensor = Tensor._make
autograd._Tensor = Tensor


def _is_dtype_name(a) -> bool:
    if not isinstance(a, str):
        return False
    try:
        _device(a)
        return False
    except ValueError:
        return True


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


def _inplace_twin(name: str, op):
    def method(self, *args, **kwargs):
        return self._inplace_op(name, op, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{name[:-1]}`` in place (recorded in the graph when it must be)."
    return method


# In-place twins ``x.op_(...)`` of more elementwise ops, each recorded as its op.
for _name in _ops.INPLACE_TWINS:
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _inplace_twin(_name + "_", getattr(_ops, _name)))
Tensor.reciprocal_ = _inplace_twin("reciprocal_", lambda x: 1.0 / x)
Tensor.clamp_min_ = _inplace_twin("clamp_min_", _ops.clamp_min)
Tensor.clamp_max_ = _inplace_twin("clamp_max_", _ops.clamp_max)
Tensor.sum_to_size = _ops.arrays.sum_to_size  # a method only, as in PyTorch
Tensor.polygamma = lambda self, n: _ops.polygamma(n, self)  # x.polygamma(n): n second
for _name in _ops.stats.TENSOR_ONLY:  # methods PyTorch has on tensors only
    setattr(Tensor, _name, getattr(_ops.stats, _name))
for _name in _ops.stats.TENSOR_PROPERTIES:
    setattr(Tensor, _name, property(getattr(_ops.stats, _name)))
Tensor.polygamma_ = _inplace_twin("polygamma_", lambda x, n: _ops.polygamma(n, x))
del _name


def _is_dtype_name(name: str) -> bool:
    from .backend import to_dtype

    try:
        to_dtype(name)
    except TypeError:
        return False
    return True
