"""Collectives on Tensors, with ``torch.distributed``'s names and in-place semantics.

Arrays go through MPI as raw buffers (no pickling): ``all_reduce(t)`` reduces ``t``'s own
memory in place (``MPI.IN_PLACE``) when it is contiguous, through one contiguous copy
otherwise. CuPy arrays are staged through host memory, unless the MPI library is
CUDA-aware and ``CHAINRULE_MPI_CUDA_AWARE=1`` says so; then device buffers go to MPI
directly. In a world of one process every collective returns at once.

>>> t = cr.tensor([float(rank)])
>>> dist.all_reduce(t, op=dist.ReduceOp.SUM)      # every rank now holds 0 + 1 + ... + N-1
"""

from __future__ import annotations

import enum
import os
import pickle
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from .world import _check_group, _info, _world, comm

__all__ = [
    "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object",
    "all_reduce", "barrier", "broadcast", "broadcast_object_list", "gather", "reduce",
    "reduce_scatter_tensor", "scatter",
]  # fmt: skip


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce`` combine the ranks' values (``torch.distributed
    .ReduceOp``). ``AVG`` is ``SUM`` divided by the world size (floating types only)."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PROD"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"


class Work:
    """The handle that a collective called with ``async_op=True`` returns: ``wait()``
    finishes it (and writes the result into the tensor), ``is_completed()`` polls."""

    def __init__(self, request=None, finish=None) -> None:
        self._request, self._finish, self._done = request, finish, request is None

    def is_completed(self) -> bool:
        if not self._done and self._request is not None and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None


_DONE = None  # what a synchronous collective returns, as torch.distributed


def _call(comm, name: str, finish, async_op: bool, *args, **kwargs) -> Work | None:
    """Run MPI's blocking ``name`` (``Allreduce``...) and ``finish``, or with ``async_op``
    start its non-blocking ``I``-twin (``Iallreduce``) and return the ``Work`` that
    finishes it."""
    if async_op:
        start = getattr(comm, "I" + name[0].lower() + name[1:])
        return Work(start(*args, **kwargs), finish)
    getattr(comm, name)(*args, **kwargs)
    if finish is not None:
        finish()
    return _DONE


# -- buffers ---------------------------------------------------------------------------------

def _cuda_aware() -> bool:
    return os.environ.get("CHAINRULE_MPI_CUDA_AWARE") == "1"


class _Buffer:
    """A contiguous host (or, with CUDA-aware MPI, device) array for ``a``, and how to
    write a result back into ``a``: no copy for a contiguous NumPy array."""

    def __init__(self, fname: str, a, what: str = "tensor") -> None:
        xp = get_array_module(a)
        self.a, self.xp = a, xp
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{fname}: {what} has dtype {a.dtype}; MPI collectives here take "
                            f"bool, integer and floating tensors")
        if xp is np:
            self.buf = a if a.flags.c_contiguous else np.ascontiguousarray(a)
        elif _cuda_aware():
            xp.cuda.get_current_stream().synchronize()  # MPI reads the memory: finish writes
            self.buf = a if a.flags.c_contiguous else xp.ascontiguousarray(a)
        else:
            self.buf = xp.asnumpy(a)  # host staging
        self.copied = self.buf is not a

    def write_back(self) -> None:
        if not self.copied:
            return
        self.a[...] = self.buf if self.xp is np or _cuda_aware() else self.xp.asarray(self.buf)


def _array(fname: str, t, what: str = "tensor"):
    if isinstance(t, Tensor):
        return t.array
    raise TypeError(f"{fname}: {what} must be a Tensor, got {type(t).__name__}")


_OPS: dict = {}  # (op, dtype kind) -> MPI op, filled on first use (a small message is ~2 us)


def _mpi_op(fname: str, op, dtype):
    hit = _OPS.get((op, dtype.kind)) if isinstance(op, ReduceOp) else None
    if hit is not None:
        return op, hit
    if isinstance(op, str):
        op = ReduceOp[op.upper()] if op.upper() in ReduceOp.__members__ else op
    if not isinstance(op, ReduceOp):
        raise ValueError(f"{fname}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, "
                         f"BOR, BXOR), got {op!r}")
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise TypeError(f"{fname}: ReduceOp.AVG needs a floating tensor, got {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "biu":
        raise TypeError(f"{fname}: ReduceOp.{op.name} needs an integer or bool tensor, got "
                        f"{dtype}")
    MPI = _world.MPI
    name = "SUM" if op is ReduceOp.AVG else op.value
    if dtype.kind == "b":  # MPI's logical ops for C bools: SUM and MAX are OR, MIN is AND
        name = {"SUM": "LOR", "MAX": "LOR", "BOR": "LOR", "MIN": "LAND", "PROD": "LAND",
                "BAND": "LAND", "BXOR": "LXOR"}[name]
    if MPI is None:
        return op, None
    _OPS[(op, dtype.kind)] = getattr(MPI, name)
    return op, _OPS[(op, dtype.kind)]


def _spec(buf):
    """The buffer argument for mpi4py: bools need their MPI datatype named."""
    return [buf, _world.MPI.C_BOOL] if buf.dtype.kind == "b" else buf


def _bump(t: Tensor) -> None:
    t._version += 1  # an in-place change: autograd refuses a stale saved value


# -- reductions ------------------------------------------------------------------------------

def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` over all ranks, in place: afterwards every rank holds the result.

    >>> g = cr.tensor([1.0, 2.0]) * (rank + 1)
    >>> dist.all_reduce(g, op=dist.ReduceOp.AVG)
    """
    _check_group("all_reduce", group)
    a = _array("all_reduce", tensor)
    b = _Buffer("all_reduce", a)
    op, mpi_op = _mpi_op("all_reduce", op, a.dtype)
    size = _info().size

    def finish():
        if op is ReduceOp.AVG and size > 1:
            b.buf /= size
        b.write_back()
        _bump(tensor)

    c = _world.comm
    if c is None or size == 1:
        finish()
        return Work() if async_op else _DONE
    return _call(c, "Allreduce", finish, async_op, _world.MPI.IN_PLACE, _spec(b.buf), op=mpi_op)


def reduce(tensor: Tensor, dst: int = 0, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` over all ranks into rank ``dst``'s tensor (others keep theirs)."""
    _check_group("reduce", group)
    a = _array("reduce", tensor)
    rank, size = _rank_check("reduce", "dst", dst)
    b = _Buffer("reduce", a)
    op, mpi_op = _mpi_op("reduce", op, a.dtype)

    def finish():
        if rank == dst:
            if op is ReduceOp.AVG and size > 1:
                b.buf /= size
            b.write_back()
            _bump(tensor)

    c = comm()
    if c is None or size == 1:
        finish()
        return Work() if async_op else _DONE
    # MPI wants IN_PLACE as the send buffer at the root only.
    send = _world.MPI.IN_PLACE if rank == dst else _spec(b.buf)
    recv = _spec(b.buf) if rank == dst else None
    return _call(c, "Reduce", finish, async_op, send, recv, op=mpi_op, root=dst)


def _rank_check(fname: str, what: str, r) -> tuple[int, int]:
    info = _info()
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or not 0 <= r < info.size:
        raise ValueError(f"{fname}: {what} must be a rank in [0, {info.size}), got {r!r}")
    return info.rank, info.size


# -- data movement ---------------------------------------------------------------------------

def broadcast(tensor: Tensor, src: int = 0, group=None, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor`` (same shape and dtype)."""
    _check_group("broadcast", group)
    a = _array("broadcast", tensor)
    _rank_check("broadcast", "src", src)
    b = _Buffer("broadcast", a)

    def finish():
        b.write_back()
        _bump(tensor)

    c = comm()
    if c is None or _info().size == 1:
        return Work() if async_op else _DONE
    return _call(c, "Bcast", finish, async_op, _spec(b.buf), root=src)


def _same_list(fname: str, what: str, tensors, like, n: int) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        raise ValueError(f"{fname}: {what} must be a list of {n} Tensors (one per rank), got "
                         f"{type(tensors).__name__}"
                         f"{f' of {len(tensors)}' if hasattr(tensors, '__len__') else ''}")
    arrays = []
    for i, t in enumerate(tensors):
        a = _array(fname, t, f"{what}[{i}]")
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{fname}: {what}[{i}] has shape {tuple(a.shape)} and dtype "
                             f"{a.dtype}; the tensor has {tuple(like.shape)} and {like.dtype}")
        arrays.append(a)
    return arrays


def _stacked(a, n: int):
    xp = get_array_module(a)
    host = xp is np or _cuda_aware()
    return (xp if host else np).empty((n, *a.shape), a.dtype)


def _fill(tensors, arrays, stacked) -> None:
    for t, a, row in zip(tensors, arrays, stacked):
        xp = get_array_module(a)
        a[...] = row if get_array_module(row) is xp else xp.asarray(row)
        _bump(t)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group=None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank (all the same shape).

    >>> parts = [cr.zeros(3) for _ in range(size)]
    >>> dist.all_gather(parts, cr.full((3,), float(rank)))
    """
    _check_group("all_gather", group)
    a = _array("all_gather", tensor)
    size = _info().size
    outs = _same_list("all_gather", "tensor_list", tensor_list, a, size)
    b = _Buffer("all_gather", a)
    stacked = _stacked(a, size)

    def finish():
        _fill(tensor_list, outs, stacked)

    c = comm()
    if c is None or size == 1:
        stacked[0] = b.buf
        finish()
        return Work() if async_op else _DONE
    return _call(c, "Allgather", finish, async_op, _spec(b.buf), _spec(stacked))


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False) -> Work | None:
    """Write every rank's ``input_tensor``, in rank order, into ``output_tensor`` of
    ``size`` times its first dimension (``torch.distributed.all_gather_into_tensor``)."""
    _check_group("all_gather_into_tensor", group)
    a = _array("all_gather_into_tensor", input_tensor, "input_tensor")
    out = _array("all_gather_into_tensor", output_tensor, "output_tensor")
    size = _info().size
    _concatenated("all_gather_into_tensor", out, a, size)
    b, o = _Buffer("all_gather_into_tensor", a), _Buffer("all_gather_into_tensor", out)

    def finish():
        o.write_back()
        _bump(output_tensor)

    c = _world.comm
    if c is None or size == 1:
        o.buf[...] = b.buf.reshape(o.buf.shape)
        finish()
        return Work() if async_op else _DONE
    return _call(c, "Allgather", finish, async_op, _spec(b.buf), _spec(o.buf))


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group=None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` (``size`` times ``output``'s first dimension) over all ranks and
    give rank r the r-th block of the result, in ``output``."""
    _check_group("reduce_scatter_tensor", group)
    a = _array("reduce_scatter_tensor", input, "input")
    out = _array("reduce_scatter_tensor", output, "output")
    size = _info().size
    _concatenated("reduce_scatter_tensor", a, out, size)
    op, mpi_op = _mpi_op("reduce_scatter_tensor", op, a.dtype)
    b, o = _Buffer("reduce_scatter_tensor", a), _Buffer("reduce_scatter_tensor", out)

    def finish():
        if op is ReduceOp.AVG and size > 1:
            o.buf /= size
        o.write_back()
        _bump(output)

    c = _world.comm
    if c is None or size == 1:
        o.buf[...] = b.buf.reshape(o.buf.shape)
        finish()
        return Work() if async_op else _DONE
    return _call(c, "Reduce_scatter_block", finish, async_op, _spec(b.buf), _spec(o.buf), op=mpi_op)


def _concatenated(fname: str, whole, part, size: int) -> None:
    """``whole`` must be ``size`` copies of ``part`` stacked along the first dimension."""
    ok = whole.dtype == part.dtype and part.ndim >= 1 and whole.ndim == part.ndim and \
        whole.shape[0] == size * part.shape[0] and whole.shape[1:] == part.shape[1:]
    if not ok:
        want = (size * part.shape[0], *part.shape[1:]) if part.ndim else "(size * n, ...)"
        raise ValueError(f"{fname}: for {size} ranks the larger tensor must have shape "
                         f"{want} and the dtype of the other, got {tuple(whole.shape)} "
                         f"{whole.dtype} and {tuple(part.shape)} {part.dtype}")


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int = 0, group=None,
           async_op: bool = False) -> Work | None:
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None elsewhere)."""
    _check_group("gather", group)
    a = _array("gather", tensor)
    rank, size = _rank_check("gather", "dst", dst)
    if rank == dst:
        outs = _same_list("gather", "gather_list", gather_list, a, size)
    elif gather_list is not None:
        raise ValueError(f"gather: gather_list is only given on the destination rank {dst}")
    b = _Buffer("gather", a)
    stacked = _stacked(a, size) if rank == dst else None

    def finish():
        if rank == dst:
            _fill(gather_list, outs, stacked)

    c = comm()
    if c is None or size == 1:
        stacked[0] = b.buf
        finish()
        return Work() if async_op else _DONE
    recv = _spec(stacked) if rank == dst else None
    return _call(c, "Gather", finish, async_op, _spec(b.buf), recv, root=dst)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int = 0, group=None,
            async_op: bool = False) -> Work | None:
    """Give rank r the tensor ``scatter_list[r]`` of rank ``src`` (written into ``tensor``)."""
    _check_group("scatter", group)
    a = _array("scatter", tensor)
    rank, size = _rank_check("scatter", "src", src)
    if rank == src:
        ins = _same_list("scatter", "scatter_list", scatter_list, a, size)
        xp = get_array_module(a)
        stacked = _stacked(a, size)
        for i, s in enumerate(ins):
            stacked[i] = s if get_array_module(stacked) is xp else xp.asnumpy(s)
    elif scatter_list is not None:
        raise ValueError(f"scatter: scatter_list is only given on the source rank {src}")
    b = _Buffer("scatter", a)

    def finish():
        b.write_back()
        _bump(tensor)

    c = comm()
    if c is None or size == 1:
        b.buf[...] = stacked[0]
        finish()
        return Work() if async_op else _DONE
    send = _spec(stacked) if rank == src else None
    return _call(c, "Scatter", finish, async_op, send, _spec(b.buf), root=src)


def barrier(group=None, async_op: bool = False) -> Work | None:
    """Wait until every rank has reached this call."""
    _check_group("barrier", group)
    c = comm()
    if c is None or _info().size == 1:
        return Work() if async_op else _DONE
    return _call(c, "Barrier", None, async_op)


# -- Python objects (pickled; for small things such as seeds and metrics) -------------------

def broadcast_object_list(object_list: list, src: int = 0, group=None) -> None:
    """Replace ``object_list``'s items, on every rank, with rank ``src``'s (pickled)."""
    _check_group("broadcast_object_list", group)
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got "
                        f"{type(object_list).__name__}")
    _rank_check("broadcast_object_list", "src", src)
    c = comm()
    if c is None or _info().size == 1:
        return
    got = pickle.loads(c.bcast(pickle.dumps(object_list), root=src))
    object_list[:] = got


def all_gather_object(object_list: list, obj: Any, group=None) -> None:
    """Fill ``object_list[r]`` with rank r's ``obj`` (pickled), on every rank."""
    _check_group("all_gather_object", group)
    size = _info().size
    if not isinstance(object_list, list) or len(object_list) != size:
        raise ValueError(f"all_gather_object: object_list must be a list of {size} items (one "
                         f"per rank), got {object_list!r}")
    c = comm()
    object_list[:] = [obj] if c is None or size == 1 else c.allgather(obj)
