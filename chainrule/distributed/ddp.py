"""``DistributedDataParallel``: one model replica per rank, gradients averaged after backward.

At construction rank 0's parameters and buffers are broadcast, so every replica starts
equal. ``backward()`` through the wrapper's output then ends with the gradient average:
the gradients are copied into a few preallocated flat buffers (*buckets* of at most
``bucket_cap_mb``, filled in reverse parameter order, the order backward produces them),
each bucket is summed over the ranks with one in-place ``Allreduce`` and divided by the
world size, and the result is written back into ``.grad``. Every rank then holds the same
gradients, takes the same optimizer step and stays bit-identical to the others.

>>> model = DistributedDataParallel(Net())
>>> loss = F.cross_entropy(model(xb), yb)     # xb: this rank's share of the batch
>>> opt.zero_grad(); loss.backward(); opt.step()

Design notes (docs/distributed.md has the measurements): each bucket also carries, per
parameter, a count of the ranks that produced a gradient for it, so a parameter unused
on some ranks is averaged with zeros there and one unused on all ranks keeps
``grad=None`` (PyTorch's ``find_unused_parameters`` behaviour, always on here, at the
cost of one number per parameter). Reducing in backward-order buckets *while* backward
runs (gradient hooks + ``Iallreduce``) was measured on CPU without a consistent gain
(``bench/distributed.py --only overlap``), and would need a hook that says a parameter's
gradient is complete, which the engine does not have (docs/distributed.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from ..autograd import is_grad_enabled, queue_callback
from ..backend import get_array_module
from ..nn.module import Module
from ..tensor import Tensor
from .collectives import all_gather_object, all_reduce, broadcast
from .world import _check_group, init

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """A flat buffer for some parameters' gradients plus one count slot per parameter."""

    def __init__(self, params: list, xp, dtype) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        n = self.offsets[-1]
        self.flat = xp.empty(n + len(params), dtype)  # allocated once, reused every step
        self.grads, self.counts = self.flat[:n], self.flat[n:]
        self.tensor = Tensor._make(self.flat, False)

    def fill(self) -> None:
        """Copy the local gradients in (zeros, count 0, for a parameter without one)."""
        for i, p in enumerate(self.params):
            view = self.grads[self.offsets[i]:self.offsets[i + 1]]
            if p.grad is None:
                view[...] = 0
                self.counts[i] = 0
            else:
                view[...] = p.grad.array.reshape(-1)
                self.counts[i] = 1

    def write_back(self, size: int) -> None:
        """Divide the summed buffer by the world size and put it into each ``.grad``."""
        self.flat /= size
        for i, p in enumerate(self.params):
            if not self.counts[i] > 0:
                continue  # no rank had a gradient: leave it None, as PyTorch
            view = self.grads[self.offsets[i]:self.offsets[i + 1]].reshape(p.shape)
            g = p.grad
            if g is not None and not g.requires_grad and getattr(g.array.flags, "writeable",
                                                                   True):
                g.array[...] = view
                g._version += 1
            else:
                p.grad = Tensor._make(view.copy(), False)


def _buckets(params: list, cap_bytes: float) -> list[_Bucket]:
    """Consecutive parameters (in reverse order) grouped by dtype and device up to
    ``cap_bytes``; a parameter larger than the cap gets a bucket of its own."""
    buckets, group, nbytes, group_key = [], [], 0, None
    for p in reversed(params):
        key = (p.array.dtype, get_array_module(p.array))
        if group and (key != group_key or nbytes + p.array.nbytes > cap_bytes):
            buckets.append(_Bucket(group, group_key[1], group_key[0]))
            group, nbytes = [], 0
        group_key = key
        group.append(p)
        nbytes += p.array.nbytes
    if group:
        buckets.append(_Bucket(group, group_key[1], group_key[0]))
    return buckets


def _coalesced_broadcast(tensors: list[Tensor], src: int = 0) -> None:
    """Broadcast ``tensors`` from ``src`` with one ``Bcast`` per dtype and device."""
    groups: dict = {}
    for t in tensors:
        groups.setdefault((t.array.dtype, get_array_module(t.array)), []).append(t)
    for (_, xp), ts in groups.items():
        flat = xp.concatenate([t.array.reshape(-1) for t in ts])
        broadcast(Tensor._make(flat, False), src)
        start = 0
        for t in ts:
            t.array[...] = flat[start:start + t.numel()].reshape(t.shape)
            t._version += 1
            start += t.numel()


class DistributedDataParallel(Module):
    """Data-parallel training on MPI with ``torch.nn.parallel.DistributedDataParallel``'s
    interface: wrap the model on every rank, feed each rank its share of the batch, and
    after ``loss.backward()`` every rank holds the gradients averaged over all ranks.

    Args:
        module: the model (the same architecture on every rank; checked at construction).
        device_ids, output_device: accepted for PyTorch compatibility; the model stays on
            the device it is on (move it before wrapping).
        broadcast_buffers: broadcast rank 0's buffers (BatchNorm's running statistics) at
            every forward in training mode, as PyTorch.
        process_group: None (the world).
        bucket_cap_mb: the largest flat gradient buffer, in MiB (PyTorch's default 25).
        find_unused_parameters: accepted; parameters without a gradient are always handled.

    ``module`` is the wrapped model, and ``state_dict`` keys carry PyTorch's ``module.``
    prefix. Use ``no_sync()`` to accumulate gradients locally over several backward passes.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = 25, find_unused_parameters: bool = False,
                 **_ignored) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a chainrule.nn.Module, "
                            f"got {type(module).__name__}")
        _check_group("DistributedDataParallel", process_group)
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: only dim=0 (the batch dimension) is "
                             f"supported, got dim={dim!r}")
        cap = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not isinstance(cap, (int, float)) or isinstance(cap, bool) or not cap > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb!r}")
        if _ignored:
            raise TypeError(f"DistributedDataParallel: unexpected arguments {sorted(_ignored)}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = float(cap)
        self.find_unused_parameters = bool(find_unused_parameters)
        info = init()
        self.rank, self.world_size = info.rank, info.size
        params = [p for p in module.parameters() if p.requires_grad]
        self._params = params
        self._require_backward_grad_sync = True
        self._expect_sync = False
        self._queued = False
        if self.world_size > 1:
            self._check_replicas(module)
            _coalesced_broadcast([*module.parameters(), *module.buffers()], 0)
        self._buckets = _buckets(params, self.bucket_cap_mb * 2**20)
        self._hook_handles = [p.register_hook(self._grad_hook) for p in params] \
            if self.world_size > 1 else []

    def _check_replicas(self, module: Module) -> None:
        """Every rank must hold the same parameter and buffer names, shapes and dtypes."""
        mine = [(k, tuple(v.shape), str(v.dtype)) for k, v in
                module.state_dict(keep_vars=True).items()]
        everyone: list = [None] * self.world_size
        all_gather_object(everyone, mine)
        for r, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                diff = next((f"{a} vs {b}" for a, b in zip(everyone[0], theirs) if a != b),
                            f"{len(everyone[0])} vs {len(theirs)} tensors")
                raise ValueError(f"DistributedDataParallel: the model on rank {r} differs "
                                 f"from rank 0's: {diff}")

    # -- forward and the gradient average ------------------------------------------------

    def forward(self, *inputs, **kwargs):
        if self.world_size > 1:
            if self.training and self.broadcast_buffers:
                buffers = list(self.module.buffers())
                if buffers:
                    _coalesced_broadcast(buffers, 0)
            self._expect_sync = is_grad_enabled() and self._require_backward_grad_sync
            self._queued = False
        return self.module(*inputs, **kwargs)

    def _grad_hook(self, grad):
        # Called for each gradient that reaches a parameter; the first one of a backward
        # pass through our forward queues the average for when that pass has finished.
        if self._expect_sync and not self._queued:
            self._queued = True
            queue_callback(self._sync_gradients)
        return None

    def _sync_gradients(self) -> None:
        self._expect_sync = self._queued = False
        for b in self._buckets:
            b.fill()
            all_reduce(b.tensor)
            b.write_back(self.world_size)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient average for the forward passes made inside this block: their
        gradients accumulate locally, and the first backward after it averages the sum.

        >>> with ddp.no_sync():
        ...     F.mse_loss(ddp(x1), y1).backward()      # local accumulation only
        >>> F.mse_loss(ddp(x2), y2).backward()          # averages the accumulated gradients
        """
        previous = self._require_backward_grad_sync
        self._require_backward_grad_sync = False
        try:
            yield
        finally:
            self._require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"
